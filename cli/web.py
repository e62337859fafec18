"""`kyodo serve`: the web application, with notices and reminders delivered alongside.

On the embedded default (no Redis) one process does everything: uvicorn serves the
pages, a Celery worker thread consumes the SQLite broker, and a ticker thread sends the
relay and the reminder scan at the beat's intervals (the beat schedule's own figures).
With Redis configured, run `kyodo worker` and one `kyodo beat` beside any number of
`kyodo serve` instances. `--demo` tells the demo stories on a fresh SQLite database,
adds open proposals and calls for partners so every role has work of both lifecycles
waiting, and prints a login for each role.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, NamedTuple

import typer

from cli.demo_stories import REVIEWERS
from cli.errors import fail, friendly
from cli.output import console


class NoticeDelivery:
    """A Celery worker thread and a ticker that plays the beat, for the embedded broker."""

    def __init__(self, relay_every: float, scan_every: float):
        self.relay_every, self.scan_every = relay_every, scan_every
        self._stop = threading.Event()
        self._stack = contextlib.ExitStack()
        self._ticker: threading.Thread | None = None

    def start(self) -> None:
        from celery.contrib.testing.worker import start_worker

        from notifications.celery_app import app

        self._stack.enter_context(start_worker(app, pool="solo", concurrency=1, perform_ping_check=False,
                                               loglevel="WARNING", shutdown_timeout=30))
        self._ticker = threading.Thread(target=self._tick, name="kyodo-beat", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        from notifications.tasks import relay, scan_reminders, send_digests
        from workflow.calendar.clock import JST

        next_relay = next_scan = 0.0
        last_digest = None
        clock = 0.0
        while not self._stop.wait(1.0):
            clock += 1.0
            try:
                if clock >= next_relay:
                    relay.delay()
                    next_relay = clock + self.relay_every
                if clock >= next_scan:
                    scan_reminders.delay()
                    next_scan = clock + self.scan_every
                now = datetime.now(JST)
                if (now.hour, now.minute) >= (8, 30) and last_digest != now.date():
                    send_digests.delay()  # the beat's 08:30 daily digest
                    last_digest = now.date()
            except Exception as exc:  # noqa: BLE001 - a broker hiccup must not stop the server
                console.print(f"[yellow]通知の配信処理でエラー / delivery tick failed:[/] {exc}")

    def stop(self) -> None:
        self._stop.set()
        if self._ticker:
            self._ticker.join(timeout=5)
        self._stack.close()


def _fresh_demo_environment() -> Path:
    """Point every setting at a new directory: its own SQLite database, broker and mail."""
    from config import get_settings
    from db.session import get_engine
    from web.settings import get_web_settings

    var = Path(tempfile.mkdtemp(prefix="kyodo-demo-"))
    os.environ["KYODO_VAR_DIR"] = str(var)
    os.environ["KYODO_DATABASE_URL"] = f"sqlite:///{var / 'kyodo.sqlite3'}"
    for name in ("KYODO_BROKER_URL", "KYODO_MAIL_DIR", "KYODO_ATTACHMENT_DIR"):
        os.environ.pop(name, None)
    os.environ.setdefault("KYODO_MAIL_TRANSPORT", "file")
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_web_settings.cache_clear()
    try:
        from notifications.celery_app import reconfigure

        reconfigure(get_settings())
    except ImportError:
        pass
    return var


# --- The open cases added to the stories, each left where some role must act.
#
# A seeded case plays a script: on which day after it began, who fires which trigger with
# what. Each case stops after the first step firing the trigger it names; a detour is a
# step only the case stopping there takes. Days ago are counted from today, so the older
# cases are overdue, for the compliance board.

OWNER, DEPARTMENT = "<the group or department that began the case>", "<the department in charge>"


class Step(NamedTuple):
    day: int
    who: str  # a login, or OWNER / DEPARTMENT
    trigger: str
    inputs: Callable[[Seeded], dict[str, Any]] | dict[str, Any] = {}
    detour: bool = False


@dataclass
class Seeded:
    """One seeded case as its script sees it."""

    d: Any  # the demo world (cli.demo.Demo)
    owner: str
    department: str
    applications: list[int] = field(default_factory=list)

    def login(self, who: str) -> str:
        return {OWNER: self.owner, DEPARTMENT: self.department}.get(who, who)

    def reviewers(self) -> list[int]:
        return [self.d.people[login].user_id for login in REVIEWERS]


SCORES = dict(score_technique=4, score_expertise=4, score_quality=3, score_capability=4,
              review_comment="地域の課題に即した提案です。")

PROPOSAL_SCRIPT = (
    Step(0, OWNER, "submit"),
    Step(1, "tanaka", "start_review",
         lambda c: dict(reviewer_ids=c.reviewers(), department_id=c.d.depts[c.department])),
    *(Step(3, reviewer, "submit_review", SCORES) for reviewer in REVIEWERS),
    Step(3, "tanaka", "finish_review"),
    Step(5, DEPARTMENT, "request_revision", dict(revision_request="調査の頻度と安全管理の体制を追記してください。"),
         detour=True),
    Step(5, DEPARTMENT, "refer_for_decision", dict(department_opinion="公益性が高く、採用が適当と考えます。")),
    Step(6, "kobayashi", "adopt", dict(reasons="地域の防災力の向上に資する提案であり、審査員の評価も高いため。")),
)

# Group, organisation, title, field, days ago, the trigger the case stops after.
OPEN_CASES = (
    ("sato", "shokudo", "子ども食堂の食材ロス削減マップ", 5, 20, "submit"),
    ("yamada", "midori", "川辺の外来植物の駆除と学習会", 2, 3, "start_review"),
    ("suzuki", "aoba", "自治会の災害時要援護者名簿づくり", 8, 30, "start_review"),
    ("kimura", "esports", "高齢者向けデジタル交流会", 10, 8, "finish_review"),
    ("yamada", "midori", "河川敷の花壇づくりと水辺の観察会", 2, 40, "finish_review"),
    ("yamada", "midori", "川辺のごみ調査とマップ公開", 2, 25, "request_revision"),
    ("suzuki", "bousai", "防災マップのオープンデータ化", 8, 12, "refer_for_decision"),
    ("sato", "shokudo", "こども食堂の学習支援", 5, 70, "refer_for_decision"),
    ("suzuki", "bousai", "避難所運営訓練の共同実施", 8, 45, "adopt"),
)
DEPARTMENT_OF = {2: "env", 5: "kohoku", 8: "bousai", 10: "keizai"}

# A call accepts applications for two weeks from the day it is prepared.
CALL_OPEN_DAYS = 14


def _application(n: int) -> Callable[[Seeded], dict[str, Any]]:
    return lambda c: dict(application_id=c.applications[n], **SCORES)


def _applying(org: str) -> Callable[[Seeded], dict[str, Any]]:
    return lambda c: dict(organisation_id=c.d.orgs[org], proposed_amount_yen=900_000,
                          application_summary="地域の団体と連携して、年間を通じて活動を企画・運営します。")


# A call of the department: published, applied to by two groups, closed after its closing
# date, every application reviewed by the panel, referred for selection.
CALL_SCRIPT = (
    Step(1, DEPARTMENT, "open_call"),
    Step(2, "suzuki", "submit_application", _applying("aoba")),
    Step(3, "yamada", "submit_application", _applying("midori")),
    Step(CALL_OPEN_DAYS + 2, DEPARTMENT, "close_applications", lambda c: dict(reviewer_ids=c.reviewers())),
    *(Step(CALL_OPEN_DAYS + 4, reviewer, "review_application", _application(n))
      for reviewer in REVIEWERS for n in range(2)),
    Step(CALL_OPEN_DAYS + 6, DEPARTMENT, "refer_for_selection",
         dict(department_opinion="審査の平均点が最も高い応募を相手方とすることが適当と考えます。")),
)

# Calls of the department whose staff logs in (``env``): one open for applications (one
# group has applied; ``yamada``'s may still), one under selection review (the panel's
# work), one awaiting the approver's selection. Title, days ago, the trigger it stops after.
OPEN_CALLS = (
    ("公園の花壇と緑を地域で育てる協働事業", 5, "submit_application"),
    ("川辺の環境学習プログラムの協働事業", 25, "close_applications"),
    ("里山の保全と体験活動の協働事業", 40, "refer_for_selection"),
)
CALLING_DEPARTMENT = "env"


def _play(c: Seeded, pid: int, script: tuple[Step, ...], stop_after: str, began: datetime) -> None:
    """Play ``script`` on one case up to the first step firing ``stop_after``."""
    from workflow import engine
    from workflow.calendar.clock import MovableClock

    last = next(i for i, step in enumerate(script) if step.trigger == stop_after)
    for i, step in enumerate(script[:last + 1]):
        if step.detour and i != last:
            continue
        clock = MovableClock(began + timedelta(days=step.day))
        given = step.inputs(c) if callable(step.inputs) else step.inputs
        out = engine.apply(c.d.s, pid, step.trigger, c.d.people[c.login(step.who)], given, clock=clock)
        if "application_id" in out.facts:
            c.applications.append(out.facts["application_id"])


def _open_cases(d, real_now: datetime) -> list[int]:
    from workflow import calls, proposals
    from workflow.calendar.clock import MovableClock, japan_today

    ids = []
    for who, org, title, field_, days_ago, stop_after in OPEN_CASES:
        began = real_now - timedelta(days=days_ago)
        content = dict(title=title, field=field_, purpose=f"{title}を通じて地域の課題を解決する。",
                       content=f"{title}を月1回実施し、結果を市と共有する。",
                       proposed_roles="団体：企画と運営／市：広報と会場の調整", estimated_cost_yen=500_000,
                       desired_contract_form="subsidy")
        pid = proposals.create(d.s, d.people[who], d.orgs[org], content, clock=MovableClock(began))
        _play(Seeded(d, who, DEPARTMENT_OF[field_]), pid, PROPOSAL_SCRIPT, stop_after, began)
        ids.append(pid)
    for title, days_ago, stop_after in OPEN_CALLS:
        began = real_now - timedelta(days=days_ago)
        clock = MovableClock(began)
        pid = calls.create_call(
            d.s, d.people[CALLING_DEPARTMENT], title=title, field=2, clock=clock,
            purpose=f"{title}を通じて、地域の団体とともに身近な環境を守り育てる。",
            content=f"{title}として、年間を通じた活動の企画・運営と記録の作成を行う。",
            proposed_roles="団体：活動の企画と運営／市：会場の確保と広報",
            criteria="地域での活動実績、参加者の安全管理の体制、継続して運営できる人員",
            closing_on=japan_today(clock) + timedelta(days=CALL_OPEN_DAYS),
            estimated_cost_yen=1_000_000, contract_form="entrustment")
        _play(Seeded(d, CALLING_DEPARTMENT, CALLING_DEPARTMENT), pid, CALL_SCRIPT, stop_after, began)
        ids.append(pid)
    return ids


def _demo(password: str) -> None:
    from sqlalchemy import update

    from cli.demo import Demo
    from db.migrate import upgrade
    from db.models import User
    from db.session import get_engine, new_session
    from workflow.accounts import hash_password
    from workflow.calendar.clock import JST, MovableClock, SystemClock

    upgrade(get_engine())
    with new_session() as s:
        d = Demo(s, MovableClock(datetime(2026, 4, 1, 9, tzinfo=JST)))
        d.seed()
        d.run()
        console.rule("対応待ちの案件と公募を追加 / open cases and calls for every role")
        real_now = SystemClock().now()
        ids = _open_cases(d, real_now)
        console.print(f"  {len(ids)} 件 / cases: ID {', '.join(map(str, ids))}")
        s.execute(update(User).values(password_hash=hash_password(password)))
        s.commit()
        latest = max(d.latest, real_now)
    _deliver(latest)


def _deliver(now: datetime) -> None:
    """Send what the stories wrote, as the relay would at the stories' latest moment."""
    from notifications.embedded import drain

    console.rule("通知 / notices")
    left = drain(now=now.isoformat())
    console.print("  通知を送信しました / notices delivered" if not left else
                  f"  [red]{left} 通が未送信です / still in flight[/]")


LOGINS = (
    ("yamada", "提案団体", "Proposing group"),
    ("tanaka", "市民協働推進課（事務局）", "Secretariat"),
    ("ito", "審査員", "Reviewer"),
    ("env", "所管課", "Department in charge"),
    ("kobayashi", "決裁者", "Approver"),
)


@friendly
def serve(
    host: str = typer.Option("127.0.0.1", help="待ち受けるアドレス / address to listen on"),
    port: int = typer.Option(8000, help="ポート / port"),
    demo: bool = typer.Option(False, "--demo", help="新しい SQLite にデモデータを入れて起動 / serve the demo city on a fresh SQLite"),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Web サーバーのプロセス数（2 以上は Redis のブローカーが必要）"
                                     " / web processes (more than one needs a Redis broker)"),
) -> None:
    """Web サーバーを起動します（通知の配信も行います）/ run the web server, with notices delivered."""
    import uvicorn

    from config import get_settings

    if workers > 1 and (demo or get_settings().embedded_broker):
        # Each process would start its own delivery thread and beat ticker on the same
        # SQLite broker: every scan and relay N times, and SQLite's one writer fought over.
        fail("組み込みブローカーでは Web サーバーを複数のプロセスで動かせません。",
             f"--workers {workers} needs a Redis broker: the embedded broker's delivery would run in every process",
             "KYODO_BROKER_URL に Redis（例: redis://127.0.0.1:6379/0）を設定し、`kyodo worker` と `kyodo beat` を"
             "別に起動してください。組み込みブローカーのままなら --workers を付けずに起動してください。",
             "set KYODO_BROKER_URL to Redis (e.g. redis://127.0.0.1:6379/0) and run `kyodo worker` and `kyodo beat` "
             "beside it, or start without --workers on the embedded broker")

    password = ""
    if demo:
        var = _fresh_demo_environment()
        password = secrets.token_urlsafe(9)
        _demo(password)
        console.print(f"  デモのデータ / demo data: {var}")
    else:
        from cli.database import require_schema

        require_schema()

    from web.app import create_app
    from web.settings import get_web_settings

    settings, web_settings = get_settings(), get_web_settings()
    if web_settings.env != "production" and web_settings.secret_key.startswith("kyodo-development"):
        console.print("[yellow]開発用の秘密鍵で動いています。本番では KYODO_SECRET_KEY を設定してください。[/]")
        console.print("[dim]running with the development secret key; set KYODO_SECRET_KEY in production[/]")
    delivery = None
    if settings.embedded_broker:
        delivery = NoticeDelivery(settings.relay_interval_seconds, settings.reminder_scan_seconds)
        delivery.start()
        console.print("通知とリマインダーをこのプロセスで配信します（組み込みブローカー）。/ notices and reminders run in-process.")
    else:
        console.print("通知の配信は `kyodo worker` と `kyodo beat`（一つだけ）で行ってください。"
                      " / run `kyodo worker` and exactly one `kyodo beat` for notices.")
    url = f"http://{host}:{port}/"
    if demo:
        console.rule("ログイン / logins")
        for login, ja, en in LOGINS:
            console.print(f"  {ja} / {en}: [bold]{login}[/]  パスワード / password: [bold]{password}[/]")
        console.print("  ほかの利用者も同じパスワードです / every other demo user has the same password.")
    console.print(f"  {url}")
    try:
        if workers == 1:
            uvicorn.run(create_app(), host=host, port=port, proxy_headers=True, log_level="info")
        else:
            # Each process builds its own application (and database pool) from the same
            # environment; uvicorn's supervisor restarts one that dies.
            console.print(f"  Web サーバーのプロセス数 / web processes: {workers}")
            uvicorn.run("web.app:create_app", factory=True, workers=workers, host=host, port=port,
                        proxy_headers=True, log_level="info")
    finally:
        if delivery:
            delivery.stop()
