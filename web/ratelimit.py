"""Slowing password guessing down without ever locking the owner out.

Failures are counted per (login name, address) and per address, in Redis when it is
configured, else in the ``loginattempt`` table; both stores are shared by every instance,
so the limits hold behind a load balancer. After ``login_max_failures`` failures of one
name from one address, the next attempt for that name from that address waits 1 s, then
2 s, 4 s … doubling up to ``login_window_seconds``; likewise for one address over all
names after ``login_max_failures_per_ip``. Nothing is counted per name alone: a guesser
elsewhere never holds back the owner signing in from an address that has not been
failing. A success clears its (name, address); failures are forgotten a day after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import and_, delete, func, insert, select
from sqlmodel import Session

from db.models import LoginAttempt
from db.session import write
from web.settings import WebSettings
from workflow.accounts import digest

FORGET = timedelta(hours=24)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


class Limiter(Protocol):
    def check(self, login: str, ip: str, now: datetime) -> Verdict: ...

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None: ...


def delay(failures: int, free: int, cap: int) -> float:
    """Seconds to wait after the last of ``failures``: none for the first ``free``, then doubling."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 32))


def verdict(pair: tuple[int, datetime | None], by_ip: tuple[int, datetime | None], settings: WebSettings,
            now: datetime) -> Verdict:
    """``pair`` and ``by_ip`` are (failures, time of the last one)."""
    cap = settings.login_window_seconds
    waits = [delay(n, free, cap) - (now - last).total_seconds()
             for (n, last), free in ((pair, settings.login_max_failures), (by_ip, settings.login_max_failures_per_ip))
             if n and last is not None]
    wait = max(waits, default=0)
    return Verdict(True) if wait <= 0 else Verdict(False, max(1, math.ceil(wait)))


class DatabaseLimiter:
    def __init__(self, session: Session, settings: WebSettings):
        self.s, self.settings = session, settings

    def _failures(self, where, since: datetime) -> tuple[int, datetime | None]:
        count, last = self.s.execute(
            select(func.count(), func.max(LoginAttempt.at))
            .where(where, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        ).one()
        return count, last

    def check(self, login: str, ip: str, now: datetime) -> Verdict:
        horizon = now - FORGET
        same = and_(LoginAttempt.login == login[:100], LoginAttempt.ip == ip[:64])
        last_ok = self.s.execute(
            select(func.max(LoginAttempt.at)).where(same, LoginAttempt.success.is_(True), LoginAttempt.at > horizon)
        ).scalar()
        pair = self._failures(same, max(horizon, last_ok) if last_ok else horizon)
        by_ip = self._failures(LoginAttempt.ip == ip[:64], horizon) if ip else (0, None)
        self.s.rollback()
        return verdict(pair, by_ip, self.settings, now)

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None:
        with write(self.s):
            # Attempts older than anything counted are let go, name by name (the index serves it).
            self.s.execute(delete(LoginAttempt).where(LoginAttempt.login == login[:100],
                                                      LoginAttempt.at < now - FORGET))
            self.s.execute(insert(LoginAttempt).values(login=login[:100], ip=ip[:64], success=success, at=now))


class RedisLimiter:
    """One hash per key, {n: failures, last: time of the last one}, forgotten a day after it."""

    def __init__(self, url: str, settings: WebSettings):
        import redis

        self.r = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.settings = settings

    @staticmethod
    def keys(login: str, ip: str) -> tuple[str, str]:
        # The name hashed: a login name is anything a visitor typed, a key should not be.
        return f"kyodo:login-fail:pair:{digest(login)[:32]}:{ip}", f"kyodo:login-fail:ip:{ip}"

    def check(self, login: str, ip: str, now: datetime) -> Verdict:
        pipe = self.r.pipeline(transaction=False)
        for key in self.keys(login, ip):
            pipe.hmget(key, "n", "last")
        (n_pair, t_pair), (n_ip, t_ip) = pipe.execute()
        return verdict(self._read(n_pair, t_pair), self._read(n_ip, t_ip), self.settings, now)

    @staticmethod
    def _read(n, last) -> tuple[int, datetime | None]:
        if not n or not last:
            return 0, None
        return int(n), datetime.fromtimestamp(float(last), timezone.utc)

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None:
        k_pair, k_ip = self.keys(login, ip)
        if success:
            self.r.delete(k_pair)
            return
        pipe = self.r.pipeline(transaction=True)
        for key in (k_pair, k_ip):
            pipe.hincrby(key, "n", 1)
            pipe.hset(key, "last", str(now.timestamp()))
            pipe.expire(key, int(FORGET.total_seconds()))
        pipe.execute()


def limiter_for(session: Session, settings: WebSettings) -> Limiter:
    url = settings.effective_redis_url
    return RedisLimiter(url, settings) if url else DatabaseLimiter(session, settings)
