"""`kyodo demo`: six stories told through the real engine on a fresh database.

Four citizen proposals (Article 10), a city's call for partners (Article 9) and a round
of proposals (募集) decided together. The clock
is moved instead of slept, so a whole multi-year project runs in seconds. Every step goes
through ``workflow.engine``, exactly as the web and the API do, and every state or trigger
is printed as the case's own lifecycle names it. Steps that are no transition of a case
(declaring a round, a consultation, a panel's scores, deciding a round together) are calls
to the workflow functions the web and the API call.
"""

from __future__ import annotations

import inspect
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
from states import lifecycle_of
from states.common import REVIEW_CRITERIA
from workflow import calls, directory, engine, panels, proposals, round_entry, round_results, rounds
from workflow.actors import Actor, load_actor
from workflow.calendar.japan import era_date
from workflow.calendar.clock import JST, MovableClock, japan_today
from workflow.errors import KyodoError
from cli.demo_stories import STORIES, Call, Scene, Story

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
            # On the review panel of the FY2027 round, with the two reviewers.
            ("kato", "加藤 理恵（市民協働推進課長）", ("secretariat",), {}),
        ]
        for login, name, roles, extra in users:
            uid = directory.add_user(s, login, name, f"{login}@example.jp", roles, clock=c, **extra)
            self.people[login] = uid
        s.commit()
        self.people = {login: load_actor(s, uid) for login, uid in self.people.items()}
        s.commit()

    # -- telling ----------------------------------------------------------------------
    def run(self) -> list[int]:
        return [pid for story in STORIES for pid in self.tell(story)]

    def tell(self, story: Story) -> list[int]:
        """Create the story's case, play its scenes, and show where it ended and its audit trail.

        A story without an author makes its cases in its scenes: the ending tells where each ended.
        """
        console.rule(story.heading)
        self.facts = {}
        self.on(story.begins)
        if story.author is None:
            self.play(None, story.scenes, tell=story.tell)
            pids = [self.facts[name] for name in story.cases]
            for pid in pids:
                self.final_state(pid)
            return pids
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
        return [pid]

    def play(self, pid: int | None, scenes: tuple[Scene | Call, ...], tell: bool) -> None:
        for scene in scenes:
            if isinstance(scene.on, date):
                self.on(scene.on)
            elif scene.on:
                self.clock.advance(days=scene.on)
            if isinstance(scene, Call):
                self.call(scene, tell=tell)
                continue
            if scene.trigger is None:
                self.remind()
                continue
            target = pid if scene.case is None else self.facts[scene.case]
            given = self.given(scene.inputs)
            if scene.refused:
                self.refusal(target, scene.trigger, scene.who, given)
                continue
            out = self.step(target, scene.trigger, scene.who, given, tell=tell, named=scene.case is not None)
            self.facts.update(out.facts)
            if "application_id" in out.facts and "organisation_id" in given:
                self.applications[given["organisation_id"]] = out.facts["application_id"]

    def given(self, value: Any) -> Any:
        """A scene's input as the world holds it now: a function is read from the demo, at any depth."""
        if callable(value):
            return value(self)
        if type(value) is dict:
            return {k: self.given(v) for k, v in value.items()}
        if type(value) in (list, tuple):
            return type(value)(self.given(v) for v in value)
        return value

    def on(self, d: date) -> None:
        self.clock.advance_to_date(d)

    def today(self) -> str:
        """The story's date as printed; also notes the latest moment told (notices wait for it)."""
        self.latest = max(self.latest, self.clock.now())
        return era_date(japan_today(self.clock))

    def lifecycle(self, pid: int):
        return lifecycle_of(engine.load_case_row(self.s, pid))

    def step(self, pid: int, trigger: str, who: str, given: dict[str, Any], tell: bool,
             named: bool = False) -> engine.Outcome:
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
        about = self.about(given) or (self.group_of(pid) if named else "")
        console.print(f"  [dim]{self.today()}[/]  {actor.name}: "
                      f"[bold]{t.label_ja}[/] [dim]/ {t.label_en}[/]{about}  {move}{extra}")
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

    def print_notices(self, pid: int | None, after: int) -> None:
        """The notices a step wrote to the outbox (about case ``pid``, or any), as their recipients will read them."""
        from notifications.render import render
        from workflow.engine.outbox import decode

        q = select(Notice, User.name).join(User, User.id == Notice.recipient_id).where(Notice.id > after)
        if pid is not None:
            q = q.where(Notice.proposal_id == pid)
        written = self.s.execute(q.order_by(Notice.id)).all()
        for n, name in written:
            context = decode(n.context)
            console.print(f"      [dim]通知 / notice →[/] {name}: {render(n.kind, n.language, context).subject}")
            own = context.get("own_result")
            if own:  # what an applicant that was not selected is told of its own result
                console.print(f"        {context['organisation']['name']}: {own['ranked']}団体中{own['rank']}位、"
                              f"平均{own['average_total']}点（{own['max_total']}点満点） / ranked {own['rank']} "
                              f"of {own['ranked']}, mean {own['average_total']} of {own['max_total']}")

    # -- a story's steps that are no transition of a case --------------------------------
    def group_of(self, pid: int) -> str:
        row = engine.load_case_row(self.s, pid)
        org = self.s.get(Organisation, row.organisation_id) if row.organisation_id else None
        return f"  「{org.name}」" if org else ""

    def refusal(self, pid: int, trigger: str, who: str, given: dict[str, Any]) -> None:
        """A step the engine refuses: shown in the case's words and the refusal's, as an edge shows it."""
        actor = self.people[who]
        lc, state = self.lifecycle(pid), engine.load_case_row(self.s, pid).state
        t = lc.transition_from(trigger, state)
        try:
            engine.apply(self.s, pid, trigger, actor, given, clock=self.clock)
        except KyodoError as exc:
            # What the web and the API answer: a late attempt is kept in its round's trail.
            said = round_entry.refused(self.s, exc, pid, actor, self.clock)
        else:
            raise RuntimeError(f"the story expects {trigger} on case {pid} to be refused")
        self.s.commit()
        st = lc.state(engine.load_case_row(self.s, pid).state)
        console.print(f"  [dim]{self.today()}[/]  {actor.name}: [bold]{t.label_ja}[/] [dim]/ {t.label_en}[/]"
                      f"{self.group_of(pid)}  → [red]受け付けられません / refused[/]")
        console.print(f"      {said.message('ja')} / {said.message('en')}")
        console.print(f"      提案は「{st.label_ja}」のままです。提出は記録されていません / "
                      f"the proposal is still “{st.label_en}”: nothing was submitted")

    def call(self, scene: Call, tell: bool) -> None:
        """Call a workflow function as the scene's person, print the step and what its result shows."""
        actor = self.people[scene.who]
        fn = scene.function
        sig = inspect.signature(fn)
        names = list(sig.parameters)[1:]  # after the session
        args, kwargs = [self.given(a) for a in scene.args], self.given(dict(scene.inputs))
        if "actor" in names and "actor" not in kwargs:
            args.insert(names.index("actor"), actor)
        for name, value in (("actor_id", actor.user_id), ("created_by", actor.user_id), ("clock", self.clock)):
            if name in names and name not in kwargs:
                kwargs[name] = value
        given = sig.bind(self.s, *args, **kwargs).arguments
        before = self.s.execute(select(func.max(Notice.id))).scalar() or 0
        result = fn(self.s, *args, **kwargs)
        self.s.commit()
        if scene.keep:
            self.facts[scene.keep] = result
        ja, en = scene.says
        console.print(f"  [dim]{self.today()}[/]  {actor.name}: [bold]{ja}[/] [dim]/ {en}[/]{self.called_about(given)}"
                      + (f"  (ID {result})" if fn is proposals.create else ""))
        shown = SHOWN.get(fn)
        if shown:
            shown(self, given, result)
        if tell:
            self.print_notices(None, after=before)

    def called_about(self, given: dict[str, Any]) -> str:
        """Which group, case or person a call is about, and the total of a panel member's scores."""
        text = ""
        if "proposal_id" in given:
            text = self.group_of(given["proposal_id"])
        elif "organisation_id" in given:
            text = f"  「{self.s.get(Organisation, given['organisation_id']).name}」"
        if "points" in given and "proposal_id" in given:
            row = engine.load_case_row(self.s, given["proposal_id"])
            total = rounds.weighted_total(rounds.round_detail(self.s, round_id=row.round_id).criteria, given["points"])
            text += f" {panels.fmt(total)}点 / {panels.fmt(total)} points"
        elif "user_id" in given:  # a person the call is about (a panel member appointed)
            text += f"  {self.s.get(User, given['user_id']).name}"
        if "data" in given:
            data = given["data"]
            for key in ("title_ja", "title", "label_ja"):
                if key in data:
                    text += f"  「{data[key]}」"
                    break
            if "weight" in data:
                text += f" 配点{data['weight']} / weight {data['weight']}"
        return text

    def final_state(self, pid: int) -> None:
        row = engine.load_case_row(self.s, pid)
        console.print(f"  → ID {pid}{self.group_of(pid)}「{row.title}」 最終状態 / final state: "
                      f"[bold]{state_label(lifecycle_of(row), row.state)}[/]")
        self.s.commit()

    def remind(self) -> None:
        """Run the reminder scan as the beat would at this moment of the story."""
        from notifications.reminders import scan

        written = scan(self.s, self.clock, get_settings())
        console.print(f"  [dim]{self.today()}[/]  [italic]リマインダーの確認 / reminder scan[/]: "
                      f"{written} 件 / reminder(s) written to the outbox")

    def ending(self, pid: int, title: str) -> None:
        row = engine.load_case_row(self.s, pid)
        lc = lifecycle_of(row)
        console.print(f"  → 最終状態 / final state: [bold]{state_label(lc, row.state)}[/]")
        print_scores(self.s, lc, pid)
        print_history(self.s, lc, pid, title=f"監査証跡 / audit trail — {title}")
        self.s.commit()


# -- what a call's result shows, by the workflow function called --------------------------

def _show_published(d: Demo, given: dict[str, Any], _: Any) -> None:
    detail = rounds.round_detail(d.s, round_id=given["round_id"])
    r = detail.round
    ja, en = round_entry.window_words(r)
    console.print(f"      「{r.title_ja}」（{r.kind_label[0]} / {r.kind_label[1]}）募集期間 / window: {ja} / {en}")
    for t in detail.themes:
        console.print(f"      テーマ / theme: {t.title}（{t.department_ja} / {t.department_en}）")
    console.print("      審査基準 / criteria: " + "、".join(f"{c.label_ja} {c.weight}" for c in detail.criteria)
                  + f"（合格点 {r.pass_mark} / pass mark {r.pass_mark}）")
    console.print(f"      結果の公表日 / results published on: {jdate(r.publication_on)}")
    d.s.commit()


def _show_panel(d: Demo, _: dict[str, Any], results: list[panels.ProposalResult]) -> None:
    """Each proposal's totals by member (staff see the names), the mean, the rank and the pass."""
    for x in sorted(results, key=lambda x: (x.rank is None, x.rank or 0, x.proposal_id)):
        totals = "、".join(f"{m.name.split('（')[0]} " + ("利害関係により除外 / recused" if m.recused else panels.fmt(m.total))
                          for m in x.members)
        verdict = "合格 / passed" if x.passed else "不合格 / below the pass mark"
        console.print(f"      {x.rank}位 / rank {x.rank}  「{x.organisation}」 平均 / mean {panels.fmt(x.mean)}点  "
                      f"{verdict}  （{totals}）")


def _show_decisions(d: Demo, _: dict[str, Any], done: list[engine.Outcome]) -> None:
    for out in done:
        lc = d.lifecycle(out.proposal_id)
        number = out.facts.get("document_number", "")
        console.print(f"     {d.group_of(out.proposal_id)}  {lc.state(out.from_state).label_ja} → "
                      f"[bold]{lc.state(out.to_state).label_ja}[/] / {lc.state(out.to_state).label_en}  {number}")
    d.s.commit()


def _show_results(d: Demo, given: dict[str, Any], res: round_results.Results | None) -> None:
    if res is None:
        console.print("      公表日の前のため、審査結果のページはまだありません / "
                      "the results are not public before the publication date")
        return
    console.print(f"      {jdate(res.round.publication_on)} 公表 / published: 「{res.round.title_ja}」の審査結果 / results")
    for heading, lines in (("採用 / adopted", res.adopted), ("不採用 / not adopted", res.not_adopted)):
        for line in lines:
            p = line.panel
            panel = (f"  {p.rank}位 / rank {p.rank}  平均 / mean {p.mean:.2f}点  "
                     + "、".join(f"委員{n} / member {n}: {t:g}" for n, t in enumerate(p.totals, 1))) if p else ""
            console.print(f"      {heading}: 「{line.title or '（非公開 / confidential）'}」（{line.organisation}）"
                          f"  {line.document_number}{panel}")
            if line.reasons:
                console.print(f"        理由 / reasons: {line.reasons}")


SHOWN = {
    rounds.publish: _show_published,
    panels.round_results: _show_panel,
    round_results.decide: _show_decisions,
    round_results.public_results: _show_results,
}


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
    """六つの事例を最初から最後まで実演します / tell six stories through the engine on a fresh database."""
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
            console.print(f"  ID {pid}: {row.title} — {state_label(lifecycle_of(row), row.state)}")
    console.print(f"  データベース / database: {engine_.url.render_as_string(hide_password=True)}")
    console.print("  詳しくは / details: `kyodo proposals show ID`")
