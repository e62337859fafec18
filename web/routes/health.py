"""``/healthz``: can this instance reach the database and the broker? For load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

router = APIRouter(include_in_schema=False)


def _database(request: Request) -> str:
    with request.app.state.engine.connect() as conn:
        conn.execute(text("select 1"))
    return "ok"


def _broker(request: Request) -> str:
    url = request.app.state.settings.effective_broker_url
    if url.startswith(("redis://", "rediss://")):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return "ok"
    if url.startswith(("sqla+", "kyodo+")):  # the embedded broker: a SQLite file
        engine = create_engine(url.split("+", 1)[1])
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        finally:
            engine.dispose()
        return "ok"
    from kombu import Connection

    with Connection(url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
    return "ok"


@router.get("/healthz")
def healthz(request: Request):
    report = {}
    for name, probe in (("database", _database), ("broker", _broker)):
        try:
            report[name] = probe(request)
        except Exception as exc:  # noqa: BLE001 - any failure to reach it is the answer
            report[name] = f"error: {type(exc).__name__}: {str(exc)[:200]}"
    healthy = all(v == "ok" for v in report.values())
    return JSONResponse({"status": "ok" if healthy else "degraded", **report}, status_code=200 if healthy else 503)
