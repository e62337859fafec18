"""The six stories `kyodo demo` tells, written as scripts of the engine's triggers.

Four citizen proposals (Article 10), a city's call for partners (Article 9) and a round
of proposals (募集) decided together; the player that runs them is ``cli/demo.py``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from workflow import consultations, panels, proposals, round_results, rounds
from workflow.calendar.japan import add_business_days

if TYPE_CHECKING:
    from cli.demo import Demo

# --- The stories, written as scripts.
#
# A story creates one case and plays its scenes. A scene is a moment of the story (a date,
# or how many days after the scene before it) and, unless nobody acts then, who fires
# which trigger with what: the trigger names are the story's data, so they stand in these
# tables and nowhere else in the file. An input given as a function is read from the
# demo's world when the scene is played (an id exists only once the world holds it).

class Scene(NamedTuple):
    on: date | int  # a date, or days after the scene before (0: at the same moment)
    who: str | None = None  # None: nobody acts; the reminder scan runs, as the beat would
    trigger: str | None = None
    inputs: dict[str, Any] = {}
    case: str | None = None  # one of the story's named cases (a fact); None: the story's own case
    refused: bool = False  # the engine must refuse it: the refusal is shown and the story goes on


class Call(NamedTuple):
    """A step that is no transition of a case: a call to a workflow function, made as ``who``.

    Declaring and publishing a round, a prior consultation, a review panel's members and
    scores, deciding a round's cases together … The player passes the session first, then
    ``args``, then ``inputs``; it adds the clock and the person acting as the function names
    them (``actor``, in its place among the arguments; ``actor_id``, ``created_by``) unless
    the story gives them.
    """

    on: date | int
    who: str
    says: tuple[str, str]  # what the step is, as the story prints it (Japanese, English)
    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    inputs: dict[str, Any] = {}
    keep: str | None = None  # the fact under which the result is kept (e.g. a new case's id)


class Story(NamedTuple):
    heading: str
    begins: date
    author: str | None  # the login that creates the case; None: the story makes its cases in its scenes
    organisation: str | None  # the proposing group; None for a department's call for partners
    content: dict[str, Any]
    scenes: tuple[Scene | Call, ...]
    tell: bool = False  # print the reasons and the notices of every scene
    cases: tuple[str, ...] = ()  # the facts naming the cases the scenes made, as the ending tells them


def at(on: date | int, who: str, trigger: str, **inputs: Any) -> Scene:
    return Scene(on, who, trigger, inputs)


def reminder_scan(on: date | int) -> Scene:
    return Scene(on)


def tries(on: date | int, who: str, trigger: str, **inputs: Any) -> Scene:
    """A step the engine refuses (e.g. too late): the story shows why, and nothing changes."""
    return Scene(on, who, trigger, inputs, refused=True)


def of(case: str, *scenes: Scene) -> tuple[Scene, ...]:
    """The scenes, played on one of the story's named cases."""
    return tuple(scene._replace(case=case) for scene in scenes)


def call(on: date | int, who: str, says: tuple[str, str], function: Callable[..., Any], *args: Any,
         keep: str | None = None, **inputs: Any) -> Call:
    return Call(on, who, says, function, args, inputs, keep)


def each_reviewer(on: date | int, trigger: str, **inputs: Any) -> tuple[Scene, ...]:
    """The review panel, one after the other, giving the same inputs."""
    return tuple(at(on if i == 0 else 0, who, trigger, **inputs) for i, who in enumerate(REVIEWERS))


def scored(technique: int, expertise: int, quality: int, capability: int, comment: str) -> dict[str, Any]:
    return dict(score_technique=technique, score_expertise=expertise, score_quality=quality,
                score_capability=capability, review_comment=comment)


def _orgs(*keys: str) -> Callable[[Demo], list[int]]:
    return lambda d: [d.orgs[key] for key in keys]


def _org(key: str) -> Callable[[Demo], int]:
    return lambda d: d.orgs[key]


def _dept(key: str) -> Callable[[Demo], int]:
    return lambda d: d.depts[key]


def _users(*logins: str) -> Callable[[Demo], list[int]]:
    return lambda d: [d.people[login].user_id for login in logins]


def _user(login: str) -> Callable[[Demo], int]:
    return lambda d: d.people[login].user_id


def _fact(name: str) -> Callable[[Demo], Any]:
    """What an earlier scene of the story produced (e.g. the id of an own project)."""
    return lambda d: d.facts[name]


def _application(key: str) -> Callable[[Demo], int]:
    return lambda d: d.applications[d.orgs[key]]


REVIEWERS = ("ito", "watanabe")
PANEL = _users(*REVIEWERS)
EVAL = dict(evaluation_results="計画した活動をすべて実施し、参加者は目標を上回った。",
            role_sharing_assessment="役割分担は適切に機能した。", evaluation_comments="次年度も継続を検討する。",
            collaboration_effect="市の広報と団体の現場力が合わさり、単独では届かなかった層が参加した。")

ADOPTED_STORY = Story(
    "1. 採用され、契約・実施・相互評価の公表まで / adopted, contracted, run, evaluated, published",
    date(2026, 4, 6), "yamada", "midori",
    dict(title="鶴見川の生き物調査と川辺清掃", field=2, purpose="川辺の自然を市民の手で守り、生き物の記録を市と共有する。",
         content="月1回の生き物調査と清掃活動、年2回の観察会。", proposed_roles="団体：調査と清掃の運営／市：広報と許可手続",
         estimated_cost_yen=1_200_000, desired_contract_form="entrustment"),
    (
        at(0, "yamada", "submit"),
        at(3, "tanaka", "start_review", reviewer_ids=PANEL, department_id=_dept("env")),
        *each_reviewer(7, "submit_review", **scored(4, 5, 4, 4, "地域の実績があり、調査手法も妥当。")),
        at(0, "tanaka", "finish_review"),
        at(5, "env", "request_revision", revision_request="観察会の安全管理（保険・救護）を追記してください。"),
        at(6, "yamada", "save_revision", revision_note="安全管理を追記",
           content={"content": "月1回の生き物調査と清掃活動、年2回の観察会（ボランティア保険加入・救護担当を配置）。"}),
        at(0, "yamada", "resubmit", revision_note="安全管理の体制を追記しました。"),
        at(0, "env", "refer_for_decision", department_opinion="安全管理も整い、採用が適当。"),
        at(4, "kobayashi", "adopt",
           reasons="市民が主体となった継続的な環境保全の取組であり、審査員の評価も高く、所管課との役割分担が明確であるため。"),
        at(20, "env", "conclude_contract", contract_form="entrustment", partner_ids=_orgs("midori"),
           purpose="鶴見川流域の生物多様性の保全", process="月例調査・清掃、年2回の観察会、結果報告",
           role_sharing="団体：調査・清掃の実施／市：広報・河川管理者との調整",
           cost_sharing="委託料1,200,000円（保険料を含む）",
           responsibility_sharing="活動中の事故は団体の保険で対応、河川管理上の事項は市",
           period_start=date(2026, 6, 1), period_end=date(2027, 3, 31), amount_yen=1_200_000),
        at(date(2026, 7, 15), "yamada", "notify_own_project_start", own_project_title="川辺の写真展（自主事業）",
           own_project_start=date(2026, 8, 1)),
        at(date(2026, 10, 1), "yamada", "report_progress", progress_report="上半期：調査6回・清掃6回、参加者延べ240人。"),
        at(0, "env", "amend_contract", amendment_reason="観察会を1回追加するため", new_amount_yen=1_350_000),
        at(date(2026, 10, 20), "yamada", "notify_own_project_end", own_project_id=_fact("own_project_id"),
           own_project_end=date(2026, 10, 18)),
        at(date(2027, 3, 31), "env", "complete", completion_report="全活動を完了。調査結果を報告書にまとめた。"),
        at(date(2027, 4, 20), "yamada", "submit_final_evaluation", **EVAL),
        at(0, "env", "submit_final_evaluation", **EVAL),
        at(date(2027, 5, 10), "tanaka", "publish_final_evaluation"),
    ),
)

NOT_ADOPTED_STORY = Story(
    "2. 理由を付して不採用 / not adopted, with reasons",
    date(2026, 5, 11), "kimura", "esports",
    dict(title="空き店舗を使ったeスポーツ大会", field=10, purpose="商店街のにぎわいづくり",
         content="空き店舗で月例のeスポーツ大会を開催する。", proposed_roles="会社：運営／市：会場の紹介",
         estimated_cost_yen=3_000_000, desired_contract_form="subsidy"),
    (
        at(0, "kimura", "submit"),
        at(3, "tanaka", "start_review", reviewer_ids=PANEL, department_id=_dept("keizai")),
        *each_reviewer(7, "submit_review", **scored(3, 2, 2, 3, "公益性の説明が不足している。")),
        at(0, "tanaka", "finish_review"),
        at(10, "keizai", "refer_for_decision", department_opinion="営利事業としての性格が強い。"),
        at(3, "kobayashi", "reject",
           reasons="提案内容は主として提案者の営業活動に資するものであり、条例第5条第4号に照らし公益性が認められないため。"
                   "なお、商店街振興の補助制度については経済局商業振興課にご相談ください。"),
    ),
)

WITHDRAWN_STORY = Story(
    "3. 提案団体による取下げ / withdrawn by the group",
    date(2026, 6, 1), "sato", "shokudo",
    dict(title="こども食堂ネットワークの立ち上げ", field=5, purpose="区内のこども食堂をつなぐ",
         content="連絡会と食材の共同調達。", proposed_roles="会：連絡会の運営／区：会場と広報"),
    (
        at(0, "sato", "submit"),
        at(3, "tanaka", "start_review", reviewer_ids=PANEL, department_id=_dept("kohoku")),
        *each_reviewer(7, "submit_review", **scored(4, 3, 4, 3, "意義は大きいが体制の記載が薄い。")),
        at(0, "tanaka", "finish_review"),
        at(3, "kohoku", "request_revision", revision_request="運営体制と衛生管理を具体的に記載してください。"),
        # Thirteen business days after the request, with no revision yet: the reminders run.
        reminder_scan(add_business_days(date(2026, 6, 14), 13)),
        at(0, "sato", "withdraw", withdrawal_reason="社会福祉協議会の助成事業として実施することにしたため。"),
    ),
)

MULTI_YEAR_STORY = Story(
    "4. 複数年度の事業：年度ごとの相互評価 / a multi-year project, evaluated every fiscal year",
    date(2026, 6, 15), "suzuki", "bousai",
    dict(title="地域防災リーダー育成プログラム", field=8, purpose="自治会ごとに防災リーダーを育てる",
         content="3年間で30自治会、各2名のリーダーを育成する。",
         proposed_roles="ラボ：研修の企画と講師／自治会：受講者の推薦／市：教材と会場",
         estimated_cost_yen=6_000_000, desired_contract_form="contribution"),
    (
        at(0, "suzuki", "submit"),
        at(3, "tanaka", "start_review", reviewer_ids=PANEL, department_id=_dept("bousai")),
        *each_reviewer(7, "submit_review", **scored(5, 5, 4, 4, "専門性が高く、複数年の計画も現実的。")),
        at(0, "tanaka", "finish_review"),
        at(10, "bousai", "refer_for_decision", department_opinion="地域防災計画と整合し、採用が適当。"),
        at(3, "kobayashi", "adopt", reasons="地域防災計画の重点施策と合致し、提案団体の専門性と自治会との連携体制が評価されたため。"),
        at(21, "bousai", "conclude_contract", contract_form="contribution", partner_ids=_orgs("bousai", "aoba"),
           purpose="地域防災の担い手の育成", process="年10自治会ずつ研修・訓練を実施",
           role_sharing="ラボ：研修／自治会：受講者推薦／市：教材・会場",
           cost_sharing="負担金 年2,000,000円（市）、会場準備は自治会", responsibility_sharing="研修中の事故はラボ、会場の管理は市",
           period_start=date(2026, 9, 1), period_end=date(2029, 3, 31), amount_yen=6_000_000),
        *(scene for fy in (2026, 2027) for scene in (
            at(date(fy + 1, 4, 10), "tanaka", "open_annual_evaluation", fiscal_year=fy),
            at(date(fy + 1, 5, 20), "suzuki", "submit_evaluation", fiscal_year=fy, **EVAL),
            at(0, "bousai", "submit_evaluation", fiscal_year=fy, **EVAL),
            at(date(fy + 1, 6, 10), "tanaka", "publish_evaluation", fiscal_year=fy),
        )),
        at(date(2029, 3, 30), "bousai", "complete", completion_report="3年間で31自治会・64名の防災リーダーを育成。"),
        at(date(2029, 4, 25), "suzuki", "submit_final_evaluation", **EVAL),
        at(0, "bousai", "submit_final_evaluation", **EVAL),
        at(date(2029, 5, 15), "tanaka", "publish_final_evaluation"),
    ),
)

# The city's call (Article 9): three groups apply, the review panel scores every
# application on the four criteria, the approver selects with reasons, the others are told.
SELECTED = "hokago"
APPLICANTS = {  # organisation → who applies for it, on which day, with what, for how much
    "hokago": ("mori", date(2026, 7, 14), "元教員と学生ボランティアによる見守り体制で、3か所を週2回運営します。", 2_300_000),
    "kitayamata": ("okamoto", date(2026, 7, 22), "自治会と連携し、地域の大人が交代で居場所を開きます。", 1_800_000),
    "manabi": ("ishii", date(2026, 7, 29), "学習アプリと講師派遣による放課後の学習支援を行います。", 2_900_000),
}
SCORES = {  # (reviewer, organisation) → technique, expertise, quality, capability, comment
    ("ito", "hokago"): (5, 4, 5, 4, "安全管理と見守りの体制が具体的で、実績もある。"),
    ("ito", "kitayamata"): (4, 3, 4, 3, "地域との連携は強いが、3か所を運営する人員に不安が残る。"),
    ("ito", "manabi"): (4, 4, 3, 4, "学習支援の手法は優れているが、居場所としての性格が弱い。"),
    ("watanabe", "hokago"): (4, 5, 4, 5, "3か所を継続して運営できる人員の裏付けがある。"),
    ("watanabe", "kitayamata"): (3, 3, 4, 3, "温かい取組だが、運営計画の具体性が不足している。"),
    ("watanabe", "manabi"): (4, 4, 3, 3, "費用が見積りを上回っている。"),
}
CLOSING_ON = date(2026, 7, 31)

CITY_CALL_STORY = Story(
    "5. 市の公募：3団体の応募、選定審査、理由を付した選定と通知、契約 / a city's call for partners: "
    "applied, scored, selected with reasons, the others told why, contracted",
    date(2026, 7, 1), "kodomo", None,
    dict(title="放課後の子どもの居場所づくり協働事業", field=5,
         purpose="小学生が放課後を安心して過ごせる居場所を、地域の力で市内に広げる。",
         content="市内3か所の地区センターで、週2回、学習・遊び・軽食のある放課後の居場所を運営する。",
         proposed_roles="団体：居場所の運営と見守り／市：会場の確保と学校・地域への周知",
         criteria="子どもの安全管理の体制、学校・自治会との連携、3か所で継続して運営できる人員",
         closing_on=CLOSING_ON, estimated_cost_yen=2_400_000, contract_form="entrustment"),
    (
        at(date(2026, 7, 6), "kodomo", "open_call"),
        *(at(on, who, "submit_application", organisation_id=_org(org), application_summary=summary,
             proposed_amount_yen=amount)
          for org, (who, on, summary, amount) in APPLICANTS.items()),
        # The closing day: the department is reminded to close the applications.
        reminder_scan(CLOSING_ON),
        at(date(2026, 8, 3), "kodomo", "close_applications", reviewer_ids=PANEL),
        *(at(date(2026, 8, 12), who, "review_application", application_id=_application(org), **scored(*given))
          for (who, org), given in SCORES.items()),
        at(date(2026, 8, 17), "kodomo", "refer_for_selection",
           department_opinion="審査の平均点が最も高い放課後スタジオを相手方とすることが適当と考えます。"),
        at(date(2026, 8, 21), "kobayashi", "select", selected_application_id=_application(SELECTED),
           reasons="審査員2名の平均点が最も高く、子どもの安全管理と見守りの体制が具体的であり、"
                   "3か所で継続して運営できる人員が確保されているため。"),
        at(date(2026, 9, 15), "kodomo", "conclude_contract", contract_form="entrustment", partner_ids=_orgs(SELECTED),
           purpose="放課後の子どもの居場所の運営", process="3か所の地区センターで週2回運営し、四半期ごとに報告",
           role_sharing="団体：居場所の運営と見守り／市：会場の確保と学校・地域への周知",
           cost_sharing="委託料2,300,000円（保険料を含む）",
           responsibility_sharing="運営中の事故は団体の保険で対応、会場の管理は市",
           period_start=date(2026, 10, 1), period_end=date(2027, 3, 31), amount_yen=2_300_000),
    ),
    tell=True,
)

# A round of proposals (募集) in FY2027, so its cases run the lifecycle's version 2 (in
# force 2027-04-01: a public presentation scored by a review panel). The secretariat
# declares and publishes the round; two groups consult first; three apply in the window
# and a fourth too late; the reviewers screen the documents; the panel scores the
# presentations, one member recused by a declared conflict; the approver decides the
# three together; the results are public on the round's publication date.
ROUND_OPENS, ROUND_CLOSES, ROUND_PUBLICATION = date(2027, 4, 12), date(2027, 5, 14), date(2027, 7, 30)
ROUND = dict(
    code="2027-kyodo", fiscal_year=2027, kind="theme", title_ja="令和9年度 協働事業提案の募集",
    title_en="FY2027 call for collaborative project proposals",
    guidelines="市の所管課が提示するテーマについて、市民活動団体からの協働事業の提案を募集します。\n"
               "書類審査の後、公開プレゼンテーションを審査委員会が審査し、合格点（60点）以上の提案から採用を決定します。",
    opens_on=ROUND_OPENS, closes_on=ROUND_CLOSES, requires_consultation=False, pass_mark=60,
    publication_on=ROUND_PUBLICATION)
THEMES = {  # the fact naming the theme → the department offering it, its title, its budget ceiling
    "theme_waterside": ("env", "水辺と緑を市民の手で守る", "川や緑地の保全・調査を市民とともに進める事業", 1_500_000),
    "theme_ibasho": ("kohoku", "地域のつながりを生む居場所づくり", "世代を超えて人が集まる地域の居場所を運営する事業", 1_000_000),
}
ROUND_CRITERIA = (  # key, Japanese, English, weight (out of 100; each scored 0–5)
    ("public_benefit", "公益性", "Public benefit", 30),
    ("collaboration", "協働の効果", "Effect of collaboration", 30),
    ("feasibility", "実現可能性", "Feasibility", 20),
    ("capability", "団体の実行力", "The group's capability", 20),
)
ROUND_PANEL = ("ito", "watanabe", "kato")
# Each case is named by its group: who writes it, on which day, for which theme, with what.
ROUND_CASES = {
    "midori": ("yamada", date(2027, 4, 26), "theme_waterside", "鶴見川流域の水辺の生き物マップづくり",
               "市民調査の結果を地図にまとめ、学校の環境学習に活かす。", "env"),
    "shokudo": ("sato", date(2027, 5, 6), "theme_ibasho", "こども食堂を核にした多世代の居場所",
                "こども食堂の日に高齢者の茶話会を併せて開き、世代を超えた交流の場をつくる。", "kohoku"),
    "kitayamata": ("okamoto", date(2027, 5, 13), "theme_ibasho", "空き家を活かした地域サロン",
                   "空き家を借りて、週1回の地域サロンを開く。", "kohoku"),
}
LATE = ("manabi", "ishii", date(2027, 5, 13), "theme_ibasho", "放課後の学び合いスペース",
        "地区センターで中学生の自習と学び合いの場を開く。")
DOCUMENT_REVIEWS = {  # the reviewers' document screening, the same from both
    "midori": scored(4, 4, 4, 4, "テーマの趣旨に沿っており、公開プレゼンテーションに進めることが適当。"),
    "shokudo": scored(4, 3, 4, 3, "既存の活動を活かした提案で、公開プレゼンテーションに進めることが適当。"),
    "kitayamata": scored(3, 3, 3, 2, "運営体制に課題があるが、公開プレゼンテーションで確認したい。"),
}
# (panel member, case) → points on each criterion, in the order of ROUND_CRITERIA.
PANEL_SCORES = {
    ("ito", "midori"): (5, 5, 4, 4), ("watanabe", "midori"): (4, 5, 4, 4), ("kato", "midori"): (5, 4, 4, 5),
    ("ito", "shokudo"): (4, 4, 3, 4), ("watanabe", "shokudo"): (4, 3, 4, 3), ("kato", "shokudo"): (3, 4, 4, 3),
    ("ito", "kitayamata"): (3, 2, 3, 2), ("watanabe", "kitayamata"): (2, 3, 3, 3),
}
RECUSED = ("kato", "kitayamata", "提案団体の代表者と親族関係にあるため。")
ROUND_DECISIONS = {  # case → the approver's decision and its reasons
    # The themes' projects run in FY2028 (令和10年度): adopted, they wait for that year's budget.
    "midori": ("adopt_for_budget", "審査委員会の平均点が最も高く、市民調査の成果を学校の環境学習に活かす協働の効果が大きいため。"),
    "shokudo": ("adopt_for_budget", "合格点を上回り、既存のこども食堂の担い手を活かした多世代交流の実現性が高いため。"),
    "kitayamata": ("reject", "審査委員会の平均点が合格点（60点）に達せず、空き家の確保と運営体制の見通しが示されていないため。"),
}


def _content(title: str, purpose: str, theme: str) -> dict[str, Any]:
    return dict(title=title, field=5, purpose=purpose, content=f"{title}を年間を通じて実施し、結果を市と共有する。",
                proposed_roles="団体：企画と運営／市：広報と会場の調整", estimated_cost_yen=900_000,
                desired_contract_form="entrustment", round_id=_fact("round"), theme_id=_fact(theme))


def _picks(d: Demo) -> list[round_results.Pick]:
    return [round_results.Pick(d.facts[case], trigger, reasons, None)
            for case, (trigger, reasons) in ROUND_DECISIONS.items()]


def _points(member: str, case: str) -> dict[str, int]:
    return {key: points for (key, *_), points in zip(ROUND_CRITERIA, PANEL_SCORES[(member, case)])}


ROUND_STORY = Story(
    "6. 令和9年度 協働事業提案の募集：募集の公表、事前相談、応募と締切後の提出、書類審査、公開プレゼンテーションの審査、"
    "一括の決定、結果の公表、予算化と翌年度の契約 / a FY2027 round of proposals: published, consulted, applied to "
    "(one too late), screened, presentations scored by a panel, decided together, results published, "
    "budgeted and contracted for the next fiscal year",
    date(2027, 4, 5), None, None, {},
    (
        call(0, "tanaka", ("募集を作成する", "Declare the round"), rounds.declare, ROUND, keep="round"),
        *(call(0, "tanaka", ("テーマを登録する", "Add a theme"), rounds.add_theme, _fact("round"),
               dict(department_id=_dept(dept), title=title, description=description, budget_ceiling_yen=ceiling),
               keep=theme)
          for theme, (dept, title, description, ceiling) in THEMES.items()),
        *(call(0, "tanaka", ("審査基準と配点を登録する", "Add a criterion and its weight"), rounds.add_criterion,
               _fact("round"), dict(key=key, label_ja=ja, label_en=en, weight=weight))
          for key, ja, en, weight in ROUND_CRITERIA),
        call(1, "tanaka", ("募集を公表する", "Publish the round"), rounds.publish, _fact("round")),
        call(date(2027, 4, 14), "yamada", ("事前相談を申し込む", "Request a prior consultation"), consultations.request,
             _org("midori"), topic="生き物調査の結果を学校で使ってもらう方法を相談したい。",
             preferred_dates="4月19日・20日の午前", round_id=_fact("round"), keep="consultation_midori"),
        call(1, "sato", ("事前相談を申し込む", "Request a prior consultation"), consultations.request,
             _org("shokudo"), topic="高齢者の茶話会を併せて開くときの会場の使い方を相談したい。",
             preferred_dates="4月19日の午後", round_id=_fact("round"), keep="consultation_shokudo"),
        *(call(date(2027, 4, 19), "tanaka", ("事前相談を記録する", "Record a consultation held"),
               consultations.record_held, _fact(f"consultation_{org}"), held_on=date(2027, 4, 19),
               notes="テーマの趣旨と審査基準を説明し、所管課との役割分担の書き方を助言した。")
          for org in ("midori", "shokudo")),
        *(scene for case, (who, on, theme, title, purpose, _) in ROUND_CASES.items() for scene in (
            call(on, who, ("募集に応募する提案書を作成する", "Write a proposal for the round"), proposals.create,
                 _org(case), _content(title, purpose, theme), keep=case),
            *of(case, at(0, who, "submit")),
        )),
        call(LATE[2], LATE[1], ("募集に応募する提案書を作成する", "Write a proposal for the round"), proposals.create,
             _org(LATE[0]), _content(LATE[4], LATE[5], LATE[3]), keep=LATE[0]),
        # Three days after the window closed: refused, and the proposal stays a draft.
        *of(LATE[0], tries(date(2027, 5, 17), LATE[1], "submit")),
        *(scene for case, (*_, dept) in ROUND_CASES.items() for scene in of(
            case, at(date(2027, 5, 18), "tanaka", "start_review", reviewer_ids=PANEL,
                     department_id=_dept(dept)))),
        *(scene for case, review in DOCUMENT_REVIEWS.items() for scene in of(
            case, *each_reviewer(date(2027, 5, 25), "submit_review", **review), at(0, "tanaka", "finish_review"))),
        *(call(date(2027, 5, 26), "tanaka", ("審査委員会の委員を選任する", "Appoint a member of the review panel"),
               panels.add_member, _fact("round"), _user(member))
          for member in ROUND_PANEL),
        *(call(0, "tanaka", ("公開プレゼンテーションの日程を設定する", "Schedule the public presentation"),
               panels.schedule, _fact(case),
               dict(starts_at=f"2027-06-12T{13 + n}:00", place="市民活動支援センター 多目的室", position=n + 1))
          for n, case in enumerate(ROUND_CASES)),
        *of(RECUSED[1], at(date(2027, 6, 1), RECUSED[0], "declare_conflict", conflict_reason=RECUSED[2])),
        *(call(date(2027, 6, 14), member, ("公開プレゼンテーションを採点する", "Score the public presentation"),
               panels.record_scores, _fact(case), _user(member), _points(member, case))
          for (member, case) in PANEL_SCORES),
        call(0, "tanaka", ("審査委員会の集計を確認する", "Read the panel's totals"), panels.round_results, _fact("round")),
        *(scene for case in ROUND_CASES for scene in of(
            case, at(date(2027, 6, 15), "tanaka", "record_presentation",
                     note="公開プレゼンテーションを実施し、審査委員会の採点がそろった。"))),
        *(scene for case, (*_, dept) in ROUND_CASES.items() for scene in of(
            case, at(date(2027, 6, 25), dept, "refer_for_decision",
                     department_opinion="審査委員会の結果を踏まえ、決裁に付します。"))),
        call(date(2027, 7, 9), "kobayashi", ("募集の提案をまとめて決定する", "Decide the round's proposals together"),
             round_results.decide, _fact("round"), _picks),
        call(date(2027, 7, 29), "tanaka", ("公表日前の審査結果を確認する", "Look for the results before the publication date"),
             round_results.public_results, ROUND["code"]),
        call(ROUND_PUBLICATION, "tanaka", ("審査結果の公表を確認する", "Read the published results"),
             round_results.public_results, ROUND["code"]),
        # The council passes the FY2028 budget in March; each department records it, and the
        # waterside survey is contracted for FY2028 from its first business day.
        *(scene for case in ROUND_DECISIONS if ROUND_DECISIONS[case][0] == "adopt_for_budget" for scene in of(
            case, at(date(2028, 3, 24), ROUND_CASES[case][5], "record_budget",
                     budget_note="令和10年3月22日 市議会で令和10年度予算が議決された（協働事業推進費）。"))),
        *of("midori", at(date(2028, 4, 3), "env", "conclude_contract", contract_form="entrustment",
                         partner_ids=_orgs("midori"), purpose="鶴見川流域の水辺の生き物マップづくり",
                         process="年4回の市民調査を行い、年度末に地図と学校向け教材にまとめる",
                         role_sharing="団体：調査の企画と実施、地図の作成／市：学校との調整と広報",
                         cost_sharing="委託料1,400,000円", responsibility_sharing="調査中の事故は団体の保険で対応",
                         period_start=date(2028, 4, 3), period_end=date(2029, 3, 30), amount_yen=1_400_000)),
    ),
    cases=(*ROUND_CASES, LATE[0]),
)

STORIES = (ADOPTED_STORY, NOT_ADOPTED_STORY, WITHDRAWN_STORY, MULTI_YEAR_STORY, CITY_CALL_STORY, ROUND_STORY)
