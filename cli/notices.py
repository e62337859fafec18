"""`kyodo worker`, `kyodo beat` and `kyodo notices …`: running and inspecting delivery."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.database import require_schema
from cli.errors import fail, friendly
from cli.output import console, jtime
from config import get_settings
from db.session import get_engine, new_session
from notifications import outbox
from workflow.calendar.clock import SystemClock

app = typer.Typer(help="通知 / notices", no_args_is_help=True)


@app.command("failed")
@friendly
def failed_command() -> None:
    """送信に失敗した通知の一覧 / notices that could not be delivered."""
    require_schema()
    with new_session() as s:
        rows = outbox.failed(s)
    if not rows:
        console.print("送信に失敗した通知はありません。/ no failed notices.")
        return
    table = Table("ID", "種類 / kind", "宛先 / to", "提案 / case", "試行 / tries", "最後のエラー / last error", "作成 / created")
    for n in rows:
        table.add_row(str(n.id), n.kind, n.email, str(n.proposal_id or "—"), str(n.attempts),
                      (n.last_error or "")[:80], jtime(n.created_at))
    console.print(table)
    console.print("再送するには / to send again: `kyodo notices resend ID`")


@app.command("resend")
@friendly
def resend_command(notice_id: int = typer.Argument(..., help="通知 ID / notice id")) -> None:
    """失敗した通知をもう一度送ります / send a failed notice again."""
    require_schema()
    with new_session() as s:
        ok = outbox.resend(s, notice_id, SystemClock().now())
    if not ok:
        fail(f"通知 {notice_id} は送信失敗の状態ではありません。", f"notice {notice_id} is not a failed notice",
             "`kyodo notices failed` で ID を確認してください。", "see `kyodo notices failed`")
    console.print(f"通知 {notice_id} を再送の列に戻しました。ワーカーが送信します。/ notice {notice_id} queued again.")


def worker(concurrency: int = typer.Option(2, help="同時に処理する数 / worker processes"),
           loglevel: str = typer.Option("INFO")) -> None:
    """通知を配信するワーカーを起動します / run a Celery worker (with beat on the embedded broker)."""
    from notifications.celery_app import app as celery

    require_schema()
    get_engine().dispose()  # nothing opened here may cross the fork into the pool's processes
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    args = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--hostname=kyodo@%h"]
    if settings.embedded_broker:
        # One process does everything on the embedded default: worker threads and the beat.
        args += ["--pool=threads", "--beat", f"--schedule={settings.var_dir / 'beat-schedule'}"]
        console.print("組み込みブローカー（SQLite）で、ワーカーとビートを一つのプロセスで動かします。")
    celery.worker_main(args)


def beat(loglevel: str = typer.Option("INFO")) -> None:
    """定期処理（中継・リマインダー・日次ダイジェスト）を起動します。必ず一つだけ / run the one beat."""
    from notifications.celery_app import app as celery

    require_schema()
    get_engine().dispose()
    settings = get_settings()
    # The beat keeps its schedule under var/, which a fresh server does not have yet.
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", f"--loglevel={loglevel}", f"--schedule={settings.var_dir / 'beat-schedule'}"])
