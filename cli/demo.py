"""`kyodo demo`: five stories told through the real engine on a fresh database.

Four citizen proposals (Article 10) and a city's call for partners (Article 9). The clock
is moved instead of slept, so a whole multi-year project runs in seconds. Every step goes
through ``workflow.engine``, exactly as the web and the API do, and every state or trigger
is printed as the case's own lifecycle names it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, NamedTuple

import typer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cli.errors import fail, friendly
from cli.output import console, jdate, state_label
from cli.proposals import print_history, print_scores
from config import get_settings
from db.migrate import upgrade
from db.models import Notice, Organisation, Proposal, User
from db.session import get_engine, new_session
from states import get_lifecycle
from states.common import REVIEW_CRITERIA
from workflow import calls, directory, engine, proposals
from workflow.actors import Actor, load_actor
from workflow.calendar.japan import add_business_days, era_date
from workflow.calendar.clock import JST, MovableClock, japan_today

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


class Story(NamedTuple):
    heading: str
    begins: date
    author: str  # the login that creates the case
    organisation: str | None  # the proposing group; None for a department's call for partners
    content: dict[str, Any]
    scenes: tuple[Scene, ...]
    tell: bool = False  # print the reasons and the notices of every scene


def at(on: date | int, who: str, trigger: str, **inputs: Any) -> Scene:
    return Scene(on, who, trigger, inputs)


def reminder_scan(on: date | int) -> Scene:
    return Scene(on)


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

STORIES = (ADOPTED_STORY, NOT_ADOPTED_STORY, WITHDRAWN_STORY, MULTI_YEAR_STORY, CITY_CALL_STORY)


class Demo:
    def __init__(self, session, clock: MovableClock):
        self.s, self.clock = session, clock
        self.people: dict[str, Actor] = {}
        self.applications: dict[int, int] = {}  # organisation id → its application to the call
        self.facts: dict[str, Any] = {}  # what the scenes of the story being told produced
        self.latest = clock.now()

    # -- the cast ---------------------------------------------------------------------
    def seed(self) -> None:
        s, c = self.s, self.clock
        org = lambda *a, **k: directory.add_organisation(s, *a, clock=c, **k)  # noqa: E731
        self.orgs = {
            "midori": org("NPO法人 みどりの川辺ネット", "npo", "山田 花子", representative_title="代表理事"),
            "shokudo": org("港北こども食堂の会", "voluntary_group", "佐藤 一郎"),
            "esports": org("株式会社 まちなかゲームズ", "company", "木村 拓也", representative_title="代表取締役"),
            "bousai": org("一般社団法人 まちの防災ラボ", "general_association", "鈴木 恵", representative_title="代表理事"),
            "aoba": org("青葉台連合自治会", "neighbourhood_association", "高橋 勉", representative_title="会長"),
            # The three applicants to the city's call.
            "hokago": org("NPO法人 放課後スタジオ", "npo", "森 由美", representative_title="理事長"),
            "kitayamata": org("北山田まちづくりの会", "voluntary_group", "岡本 健二"),
            "manabi": org("株式会社 学びのたね", "company", "石井 直子", representative_title="代表取締役"),
        }
        dept = lambda *a, **k: directory.add_department(s, *a, **k)  # noqa: E731
        self.depts = {
            "env": dept("kankyo-katsudo", "環境創造局 環境活動支援課", "bureau", "環境創造局", name_en="Environmental Activities Support Division"),
            "kohoku": dept("kohoku-chiiki", "港北区 地域振興課", "ward", "港北区", name_en="Kohoku Ward Community Promotion Section"),
            "bousai": dept("somu-kiki", "総務局 危機管理課", "bureau", "総務局", name_en="Crisis Management Division"),
            "keizai": dept("keizai-shogyo", "経済局 商業振興課", "bureau", "経済局", name_en="Commerce Promotion Division"),
            "kodomo": dept("kodomo-ikusei", "こども青少年局 青少年育成課", "bureau", "こども青少年局",
                           name_en="Youth Development Division"),
        }
        users = [
            ("yamada", "山田 花子", ("proposer",), dict(organisation_ids=(self.orgs["midori"],))),
            ("sato", "佐藤 一郎", ("proposer",), dict(organisation_ids=(self.orgs["shokudo"],))),
            ("kimura", "木村 拓也", ("proposer",), dict(organisation_ids=(self.orgs["esports"],))),
            ("suzuki", "鈴木 恵", ("proposer",), dict(organisation_ids=(self.orgs["bousai"], self.orgs["aoba"]))),
            ("mori", "森 由美", ("proposer",), dict(organisation_ids=(self.orgs["hokago"],))),
            ("okamoto", "岡本 健二", ("proposer",), dict(organisation_ids=(self.orgs["kitayamata"],))),
            ("ishii", "石井 直子", ("proposer",), dict(organisation_ids=(self.orgs["manabi"],))),
            ("tanaka", "田中 誠（市民協働推進課）", ("secretariat",), {}),
            ("ito", "伊藤 教授（審査員）", ("reviewer",), {}),
            ("watanabe", "渡辺 氏（審査員）", ("reviewer",), {}),
            ("env", "中村 健（環境活動支援課）", ("department",), dict(department_id=self.depts["env"])),
            ("kohoku", "小川 愛（地域振興課）", ("department",), dict(department_id=self.depts["kohoku"])),
            ("bousai", "松本 剛（危機管理課）", ("department",), dict(department_id=self.depts["bousai"])),
            ("keizai", "井上 翔（商業振興課）", ("department",), dict(department_id=self.depts["keizai"])),
            ("kodomo", "前田 美咲（青少年育成課）", ("department",), dict(department_id=self.depts["kodomo"])),
            ("kobayashi", "小林 局長（決裁者）", ("approver",), {}),
        ]
        for login, name, roles, extra in users:
            uid = directory.add_user(s, login, name, f"{login}@example.jp", roles, clock=c, **extra)
            self.people[login] = uid
        s.commit()
        self.people = {login: load_actor(s, uid) for login, uid in self.people.items()}
        s.commit()

    # -- telling ----------------------------------------------------------------------
    def run(self) -> list[int]:
        return [self.tell(story) for story in STORIES]

    def tell(self, story: Story) -> int:
        """Create the story's case, play its scenes, and show where it ended and its audit trail."""
        console.rule(story.heading)
        self.facts = {}
        self.on(story.begins)
        author, content = self.people[story.author], story.content
        if story.organisation is None:
            pid = calls.create_call(self.s, author, clock=self.clock, **content)
        else:
            pid = proposals.create(self.s, author, self.orgs[story.organisation], content, clock=self.clock)
        creation = self.lifecycle(pid).creation
        console.print(f"  [dim]{self.today()}[/]  {author.name}: "
                      f"[bold]{creation.label_ja}[/] [dim]/ {creation.label_en}[/]  「{content['title']}」 (ID {pid})")
        if "criteria" in content:
            console.print(f"      選定基準 / selection criteria: {content['criteria']}")
            console.print(f"      応募締切日 / closing date: {jdate(content['closing_on'])}")
        self.play(pid, story.scenes, tell=story.tell)
        self.ending(pid, content["title"])
        return pid

    def play(self, pid: int, scenes: tuple[Scene, ...], tell: bool) -> None:
        for scene in scenes:
            if isinstance(scene.on, date):
                self.on(scene.on)
            elif scene.on:
                self.clock.advance(days=scene.on)
            if scene.trigger is None:
                self.remind()
                continue
            given = {k: v(self) if callable(v) else v for k, v in scene.inputs.items()}
            out = self.step(pid, scene.trigger, scene.who, given, tell=tell)
            self.facts.update(out.facts)
            if "application_id" in out.facts and "organisation_id" in given:
                self.applications[given["organisation_id"]] = out.facts["application_id"]

    def on(self, d: date) -> None:
        self.clock.advance_to_date(d)

    def today(self) -> str:
        """The story's date as printed; also notes the latest moment told (notices wait for it)."""
        self.latest = max(self.latest, self.clock.now())
        return era_date(japan_today(self.clock))

    def lifecycle(self, pid: int):
        return get_lifecycle(engine.load_case_row(self.s, pid).lifecycle)

    def step(self, pid: int, trigger: str, who: str, given: dict[str, Any], tell: bool) -> engine.Outcome:
        """Fire one trigger and print it, read with the case's own lifecycle.

        ``tell`` adds the reasons given and the notices the step wrote to the outbox.
        """
        actor = self.people[who]
        before = self.s.execute(select(func.max(Notice.id))).scalar() or 0
        out = engine.apply(self.s, pid, trigger, actor, given, clock=self.clock)
        lc = self.lifecycle(pid)
        t = lc.transition_from(trigger, out.from_state)
        move = (f"{lc.state(out.from_state).label_ja} → {lc.state(out.to_state).label_ja}"
                if out.from_state != out.to_state else f"（{lc.state(out.to_state).label_ja}）")
        extra = f"  {out.facts['document_number']}" if "document_number" in out.facts else ""
        if "revision" in out.facts:
            extra += f"  第{out.facts['revision']}版 / revision {out.facts['revision']}"
        console.print(f"  [dim]{self.today()}[/]  {actor.name}: "
                      f"[bold]{t.label_ja}[/] [dim]/ {t.label_en}[/]{self.about(given)}  {move}{extra}")
        if tell:
            if given.get("reasons"):
                console.print(f"      理由 / reasons: {given['reasons']}")
            self.print_notices(pid, after=before)
        self.s.commit()
        return out

    def about(self, given: dict[str, Any]) -> str:
        """Which group's application a step is about, and the total a reviewer gave it."""
        by_application = {a: o for o, a in self.applications.items()}
        org = given.get("organisation_id") or by_application.get(
            given.get("application_id") or given.get("selected_application_id"))
        if org is None:
            return ""
        text = f"  「{self.s.get(Organisation, org).name}」"
        if all(c in given for c in REVIEW_CRITERIA):
            total = sum(given[c] for c in REVIEW_CRITERIA)
            text += f" {total}点 / {total} points"
        return text

    def print_notices(self, pid: int, after: int) -> None:
        """The notices a step wrote to the outbox, as their recipients will read them."""
        from notifications.render import render
        from workflow.engine.outbox import decode

        written = self.s.execute(
            select(Notice, User.name).join(User, User.id == Notice.recipient_id)
            .where(Notice.proposal_id == pid, Notice.id > after).order_by(Notice.id)
        ).all()
        for n, name in written:
            context = decode(n.context)
            console.print(f"      [dim]通知 / notice →[/] {name}: {render(n.kind, n.language, context).subject}")
            own = context.get("own_result")
            if own:  # what an applicant that was not selected is told of its own result
                console.print(f"        {context['organisation']['name']}: {own['ranked']}団体中{own['rank']}位、"
                              f"平均{own['average_total']}点（{own['max_total']}点満点） / ranked {own['rank']} "
                              f"of {own['ranked']}, mean {own['average_total']} of {own['max_total']}")

    def remind(self) -> None:
        """Run the reminder scan as the beat would at this moment of the story."""
        from notifications.reminders import scan

        written = scan(self.s, self.clock, get_settings())
        console.print(f"  [dim]{self.today()}[/]  [italic]リマインダーの確認 / reminder scan[/]: "
                      f"{written} 件 / reminder(s) written to the outbox")

    def ending(self, pid: int, title: str) -> None:
        row = engine.load_case_row(self.s, pid)
        lc = get_lifecycle(row.lifecycle)
        console.print(f"  → 最終状態 / final state: [bold]{state_label(lc, row.state)}[/]")
        print_scores(self.s, lc, pid)
        print_history(self.s, lc, pid, title=f"監査証跡 / audit trail — {title}")
        self.s.commit()


def _deliver_notices(now: datetime) -> None:
    """Send the stories' notices through the real Celery tasks and show their subjects.

    The stories ran to ``now`` on the demo's clock, so the relay is told that time too:
    otherwise notices written "in 2029" would wait for 2029.
    """
    from db.models import Notice
    from notifications.embedded import drain

    settings = get_settings()
    console.rule("通知 / notices")
    left = drain(now=now.isoformat())
    with new_session() as s:
        sent = s.execute(select(Notice).where(Notice.status == "sent").order_by(Notice.id)).scalars().all()
    for n in sent:
        console.print(f"  [dim]#{n.id} → {n.email}[/]  {n.subject}")
    with new_session() as s:
        cancelled = s.execute(select(func.count()).select_from(Notice).where(Notice.status == "cancelled")).scalar_one()
    if cancelled:
        console.print(f"  {cancelled} 通のリマインダーは、送信前に案件が進んだため取りやめました / "
                      f"reminder(s) cancelled: the case moved on before delivery")
    where = settings.effective_mail_dir if settings.mail_transport == "file" else f"SMTP {settings.smtp_host}"
    console.print(f"  {len(sent)} 通の通知を送信しました / notices delivered → {where}")
    if left:
        console.print(f"  [red]{left} 通が未送信です / still in flight[/] — `kyodo notices failed`")


def _reset_sqlite() -> None:
    url = make_url(get_settings().effective_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        fail("--reset は組み込みの SQLite データベースでのみ使えます。", "--reset only works on the embedded SQLite database",
             "PostgreSQL では空のデータベースを用意してください。", "use an empty database on PostgreSQL")
    get_engine().dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)
    settings = get_settings()
    if settings.embedded_broker:
        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.var_dir / "broker.sqlite3") + suffix).unlink(missing_ok=True)
    mail = settings.effective_mail_dir
    if mail.is_dir():
        for eml in mail.glob("*.eml"):
            eml.unlink()


@friendly
def demo(reset: bool = typer.Option(False, "--reset", help="組み込み SQLite を作り直してから実行 / start from an empty SQLite file")) -> None:
    """五つの事例を最初から最後まで実演します / tell five stories through the engine on a fresh database."""
    if reset:
        _reset_sqlite()
    engine_ = get_engine()
    upgrade(engine_)
    with new_session() as s:
        if s.execute(select(func.count()).select_from(Proposal)).scalar_one():
            fail("このデータベースにはすでに提案があります。デモは空のデータベースで実行します。",
                 "the database already holds proposals; the demo runs on a fresh database",
                 "`kyodo demo --reset` で組み込みの SQLite を作り直せます。",
                 "`kyodo demo --reset` starts the embedded SQLite database afresh")
        clock = MovableClock(datetime(2026, 4, 1, 9, tzinfo=JST))
        d = Demo(s, clock)
        d.seed()
        ids = d.run()
    _deliver_notices(d.latest)
    console.rule("まとめ / summary")
    with new_session() as s:
        for pid in ids:
            row = engine.load_case_row(s, pid)
            console.print(f"  ID {pid}: {row.title} — {state_label(get_lifecycle(row.lifecycle), row.state)}")
    console.print(f"  データベース / database: {engine_.url.render_as_string(hide_password=True)}")
    console.print("  詳しくは / details: `kyodo proposals show ID`")
