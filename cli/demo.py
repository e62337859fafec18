"""`kyodo demo`: four stories told through the real engine on a fresh database.

The clock is moved instead of slept, so a whole multi-year project runs in seconds. Every
step goes through ``workflow.engine.apply``, exactly as the web and the API will.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cli.errors import fail, friendly
from cli.output import console, jdate, state_label
from cli.proposals import print_history
from config import get_settings
from db.migrate import upgrade
from db.models import Proposal
from db.session import get_engine, new_session
from states import get_lifecycle
from workflow import directory, engine, proposals
from workflow.actors import Actor, load_actor
from workflow.calendar.japan import add_business_days, era_date
from workflow.calendar.clock import JST, MovableClock, japan_today

LC = get_lifecycle("citizen_proposal")
EVAL = dict(evaluation_results="計画した活動をすべて実施し、参加者は目標を上回った。",
            role_sharing_assessment="役割分担は適切に機能した。", evaluation_comments="次年度も継続を検討する。",
            collaboration_effect="市の広報と団体の現場力が合わさり、単独では届かなかった層が参加した。")


class Demo:
    def __init__(self, session, clock: MovableClock):
        self.s, self.clock = session, clock
        self.people: dict[str, Actor] = {}

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
        }
        dept = lambda *a, **k: directory.add_department(s, *a, **k)  # noqa: E731
        self.depts = {
            "env": dept("kankyo-katsudo", "環境創造局 環境活動支援課", "bureau", "環境創造局", name_en="Environmental Activities Support Division"),
            "kohoku": dept("kohoku-chiiki", "港北区 地域振興課", "ward", "港北区", name_en="Kohoku Ward Community Promotion Section"),
            "bousai": dept("somu-kiki", "総務局 危機管理課", "bureau", "総務局", name_en="Crisis Management Division"),
            "keizai": dept("keizai-shogyo", "経済局 商業振興課", "bureau", "経済局", name_en="Commerce Promotion Division"),
        }
        users = [
            ("yamada", "山田 花子", ("proposer",), dict(organisation_ids=(self.orgs["midori"],))),
            ("sato", "佐藤 一郎", ("proposer",), dict(organisation_ids=(self.orgs["shokudo"],))),
            ("kimura", "木村 拓也", ("proposer",), dict(organisation_ids=(self.orgs["esports"],))),
            ("suzuki", "鈴木 恵", ("proposer",), dict(organisation_ids=(self.orgs["bousai"], self.orgs["aoba"]))),
            ("tanaka", "田中 誠（市民協働推進課）", ("secretariat",), {}),
            ("ito", "伊藤 教授（審査員）", ("reviewer",), {}),
            ("watanabe", "渡辺 氏（審査員）", ("reviewer",), {}),
            ("env", "中村 健（環境活動支援課）", ("department",), dict(department_id=self.depts["env"])),
            ("kohoku", "小川 愛（地域振興課）", ("department",), dict(department_id=self.depts["kohoku"])),
            ("bousai", "松本 剛（危機管理課）", ("department",), dict(department_id=self.depts["bousai"])),
            ("keizai", "井上 翔（商業振興課）", ("department",), dict(department_id=self.depts["keizai"])),
            ("kobayashi", "小林 局長（決裁者）", ("approver",), {}),
        ]
        for login, name, roles, extra in users:
            uid = directory.add_user(s, login, name, f"{login}@example.jp", roles, clock=c, **extra)
            self.people[login] = uid
        s.commit()
        self.people = {login: load_actor(s, uid) for login, uid in self.people.items()}
        s.commit()

    # -- telling ----------------------------------------------------------------------
    def on(self, d: date) -> None:
        self.clock.advance_to_date(d)

    def step(self, pid: int, trigger: str, who: str, **inputs) -> engine.Outcome:
        actor = self.people[who]
        out = engine.apply(self.s, pid, trigger, actor, inputs, clock=self.clock)
        t = LC.transition_from(trigger, out.from_state)
        move = (f"{LC.state(out.from_state).label_ja} → {LC.state(out.to_state).label_ja}"
                if out.from_state != out.to_state else f"（{LC.state(out.to_state).label_ja}）")
        extra = f"  {out.facts['document_number']}" if "document_number" in out.facts else ""
        console.print(f"  [dim]{era_date(japan_today(self.clock))}[/]  {actor.name}: "
                      f"[bold]{t.label_ja}[/] [dim]/ {t.label_en}[/]  {move}{extra}")
        return out

    def propose(self, who: str, org: str, **content) -> int:
        pid = proposals.create(self.s, self.people[who], self.orgs[org], content, clock=self.clock)
        console.print(f"  [dim]{era_date(japan_today(self.clock))}[/]  {self.people[who].name}: "
                      f"[bold]提案書を作成[/] [dim]/ draft created[/]  「{content['title']}」 (ID {pid})")
        return pid

    def review(self, pid: int, scores: tuple[int, int, int, int], comment: str) -> None:
        for who in ("ito", "watanabe"):
            self.step(pid, "submit_review", who, score_technique=scores[0], score_expertise=scores[1],
                      score_quality=scores[2], score_capability=scores[3], review_comment=comment)

    def start(self, pid: int, dept: str) -> None:
        self.step(pid, "submit", self.owner[pid])
        self.clock.advance(days=3)
        self.step(pid, "start_review", "tanaka",
                  reviewer_ids=[self.people["ito"].user_id, self.people["watanabe"].user_id],
                  department_id=self.depts[dept])

    def remind(self) -> None:
        """Run the reminder scan as the beat would at this moment of the story."""
        from notifications.reminders import scan

        written = scan(self.s, self.clock, get_settings())
        console.print(f"  [dim]{era_date(japan_today(self.clock))}[/]  [italic]リマインダーの確認 / reminder scan[/]: "
                      f"{written} 件 / reminder(s) written to the outbox")

    def ending(self, pid: int, title: str) -> None:
        row = engine.load_case_row(self.s, pid)
        console.print(f"  → 最終状態 / final state: [bold]{state_label(LC, row.state)}[/]")
        print_history(self.s, LC, pid, title=f"監査証跡 / audit trail — {title}")
        self.s.commit()

    # -- the four stories -----------------------------------------------------------------
    def run(self) -> list[int]:
        self.owner: dict[int, str] = {}
        ids = [self.adopted_story(), self.not_adopted_story(), self.withdrawn_story(), self.multi_year_story()]
        return ids

    def adopted_story(self) -> int:
        console.rule("1. 採用され、契約・実施・相互評価の公表まで / adopted, contracted, run, evaluated, published")
        self.on(date(2026, 4, 6))
        pid = self.propose("yamada", "midori", title="鶴見川の生き物調査と川辺清掃", field=2,
                           purpose="川辺の自然を市民の手で守り、生き物の記録を市と共有する。",
                           content="月1回の生き物調査と清掃活動、年2回の観察会。", proposed_roles="団体：調査と清掃の運営／市：広報と許可手続",
                           estimated_cost_yen=1_200_000, desired_contract_form="entrustment")
        self.owner[pid] = "yamada"
        self.start(pid, "env")
        self.clock.advance(days=7)
        self.review(pid, (4, 5, 4, 4), "地域の実績があり、調査手法も妥当。")
        self.step(pid, "finish_review", "tanaka")
        self.clock.advance(days=5)
        self.step(pid, "request_revision", "env", revision_request="観察会の安全管理（保険・救護）を追記してください。")
        self.clock.advance(days=6)
        proposals.save_revision(self.s, self.people["yamada"], pid,
                                {"content": "月1回の生き物調査と清掃活動、年2回の観察会（ボランティア保険加入・救護担当を配置）。"},
                                note="安全管理を追記", clock=self.clock)
        console.print(f"  [dim]{era_date(japan_today(self.clock))}[/]  山田 花子: [bold]提案書を修正（第2版）[/] [dim]/ revised (revision 2)[/]")
        self.step(pid, "resubmit", "yamada", revision_note="安全管理の体制を追記しました。")
        self.step(pid, "refer_for_decision", "env", department_opinion="安全管理も整い、採用が適当。")
        self.clock.advance(days=4)
        self.step(pid, "adopt", "kobayashi",
                  reasons="市民が主体となった継続的な環境保全の取組であり、審査員の評価も高く、所管課との役割分担が明確であるため。")
        self.clock.advance(days=20)
        self.step(pid, "conclude_contract", "env", contract_form="entrustment", partner_ids=[self.orgs["midori"]],
                  purpose="鶴見川流域の生物多様性の保全", process="月例調査・清掃、年2回の観察会、結果報告",
                  role_sharing="団体：調査・清掃の実施／市：広報・河川管理者との調整",
                  cost_sharing="委託料1,200,000円（保険料を含む）", responsibility_sharing="活動中の事故は団体の保険で対応、河川管理上の事項は市",
                  period_start=date(2026, 6, 1), period_end=date(2027, 3, 31), amount_yen=1_200_000)
        self.on(date(2026, 7, 15))
        own = self.step(pid, "notify_own_project_start", "yamada", own_project_title="川辺の写真展（自主事業）",
                        own_project_start=date(2026, 8, 1)).facts["own_project_id"]
        self.on(date(2026, 10, 1))
        self.step(pid, "report_progress", "yamada", progress_report="上半期：調査6回・清掃6回、参加者延べ240人。")
        self.step(pid, "amend_contract", "env", amendment_reason="観察会を1回追加するため", new_amount_yen=1_350_000)
        self.on(date(2026, 10, 20))
        self.step(pid, "notify_own_project_end", "yamada", own_project_id=own, own_project_end=date(2026, 10, 18))
        self.on(date(2027, 3, 31))
        self.step(pid, "complete", "env", completion_report="全活動を完了。調査結果を報告書にまとめた。")
        self.on(date(2027, 4, 20))
        self.step(pid, "submit_final_evaluation", "yamada", **EVAL)
        self.step(pid, "submit_final_evaluation", "env", **EVAL)
        self.on(date(2027, 5, 10))
        self.step(pid, "publish_final_evaluation", "tanaka")
        self.ending(pid, "鶴見川の生き物調査と川辺清掃")
        return pid

    def not_adopted_story(self) -> int:
        console.rule("2. 理由を付して不採用 / not adopted, with reasons")
        self.on(date(2026, 5, 11))
        pid = self.propose("kimura", "esports", title="空き店舗を使ったeスポーツ大会", field=10,
                           purpose="商店街のにぎわいづくり", content="空き店舗で月例のeスポーツ大会を開催する。",
                           proposed_roles="会社：運営／市：会場の紹介", estimated_cost_yen=3_000_000,
                           desired_contract_form="subsidy")
        self.owner[pid] = "kimura"
        self.start(pid, "keizai")
        self.clock.advance(days=7)
        self.review(pid, (3, 2, 2, 3), "公益性の説明が不足している。")
        self.step(pid, "finish_review", "tanaka")
        self.clock.advance(days=10)
        self.step(pid, "refer_for_decision", "keizai", department_opinion="営利事業としての性格が強い。")
        self.clock.advance(days=3)
        self.step(pid, "reject", "kobayashi",
                  reasons="提案内容は主として提案者の営業活動に資するものであり、条例第5条第4号に照らし公益性が認められないため。"
                          "なお、商店街振興の補助制度については経済局商業振興課にご相談ください。")
        self.ending(pid, "空き店舗を使ったeスポーツ大会")
        return pid

    def withdrawn_story(self) -> int:
        console.rule("3. 提案団体による取下げ / withdrawn by the group")
        self.on(date(2026, 6, 1))
        pid = self.propose("sato", "shokudo", title="こども食堂ネットワークの立ち上げ", field=5,
                           purpose="区内のこども食堂をつなぐ", content="連絡会と食材の共同調達。",
                           proposed_roles="会：連絡会の運営／区：会場と広報")
        self.owner[pid] = "sato"
        self.start(pid, "kohoku")
        self.clock.advance(days=7)
        self.review(pid, (4, 3, 4, 3), "意義は大きいが体制の記載が薄い。")
        self.step(pid, "finish_review", "tanaka")
        self.clock.advance(days=3)
        self.step(pid, "request_revision", "kohoku", revision_request="運営体制と衛生管理を具体的に記載してください。")
        self.on(add_business_days(japan_today(self.clock), 13))
        self.remind()
        self.step(pid, "withdraw", "sato", withdrawal_reason="社会福祉協議会の助成事業として実施することにしたため。")
        self.ending(pid, "こども食堂ネットワークの立ち上げ")
        return pid

    def multi_year_story(self) -> int:
        console.rule("4. 複数年度の事業：年度ごとの相互評価 / a multi-year project, evaluated every fiscal year")
        self.on(date(2026, 6, 15))
        pid = self.propose("suzuki", "bousai", title="地域防災リーダー育成プログラム", field=8,
                           purpose="自治会ごとに防災リーダーを育てる", content="3年間で30自治会、各2名のリーダーを育成する。",
                           proposed_roles="ラボ：研修の企画と講師／自治会：受講者の推薦／市：教材と会場",
                           estimated_cost_yen=6_000_000, desired_contract_form="contribution")
        self.owner[pid] = "suzuki"
        self.start(pid, "bousai")
        self.clock.advance(days=7)
        self.review(pid, (5, 5, 4, 4), "専門性が高く、複数年の計画も現実的。")
        self.step(pid, "finish_review", "tanaka")
        self.clock.advance(days=10)
        self.step(pid, "refer_for_decision", "bousai", department_opinion="地域防災計画と整合し、採用が適当。")
        self.clock.advance(days=3)
        self.step(pid, "adopt", "kobayashi", reasons="地域防災計画の重点施策と合致し、提案団体の専門性と自治会との連携体制が評価されたため。")
        self.clock.advance(days=21)
        self.step(pid, "conclude_contract", "bousai", contract_form="contribution",
                  partner_ids=[self.orgs["bousai"], self.orgs["aoba"]], purpose="地域防災の担い手の育成",
                  process="年10自治会ずつ研修・訓練を実施", role_sharing="ラボ：研修／自治会：受講者推薦／市：教材・会場",
                  cost_sharing="負担金 年2,000,000円（市）、会場準備は自治会", responsibility_sharing="研修中の事故はラボ、会場の管理は市",
                  period_start=date(2026, 9, 1), period_end=date(2029, 3, 31), amount_yen=6_000_000)
        for fy in (2026, 2027):
            self.on(date(fy + 1, 4, 10))
            self.step(pid, "open_annual_evaluation", "tanaka", fiscal_year=fy)
            self.on(date(fy + 1, 5, 20))
            self.step(pid, "submit_evaluation", "suzuki", fiscal_year=fy, **EVAL)
            self.step(pid, "submit_evaluation", "bousai", fiscal_year=fy, **EVAL)
            self.on(date(fy + 1, 6, 10))
            self.step(pid, "publish_evaluation", "tanaka", fiscal_year=fy)
        self.on(date(2029, 3, 30))
        self.step(pid, "complete", "bousai", completion_report="3年間で31自治会・64名の防災リーダーを育成。")
        self.on(date(2029, 4, 25))
        self.step(pid, "submit_final_evaluation", "suzuki", **EVAL)
        self.step(pid, "submit_final_evaluation", "bousai", **EVAL)
        self.on(date(2029, 5, 15))
        self.step(pid, "publish_final_evaluation", "tanaka")
        self.ending(pid, "地域防災リーダー育成プログラム")
        return pid


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
    """四つの事例を最初から最後まで実演します / tell four stories through the engine on a fresh database."""
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
    _deliver_notices(clock.now())
    console.rule("まとめ / summary")
    with new_session() as s:
        for pid in ids:
            row = engine.load_case_row(s, pid)
            console.print(f"  ID {pid}: {row.title} — {state_label(LC, row.state)}")
    console.print(f"  データベース / database: {engine_.url.render_as_string(hide_password=True)}")
    console.print("  詳しくは / details: `kyodo proposals show ID`")
