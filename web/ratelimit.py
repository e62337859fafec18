"""Login rate limiting: in Redis when it is configured, else in the ``loginattempt`` table.

Both stores are shared by every instance, so limits hold behind a load balancer. Limits
count failures only, per login name and per client address, within a sliding window; a
successful login clears the name's count (Redis) or starts a new count (database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlmodel import Session

from db.models import LoginAttempt
from db.session import write
from web.settings import WebSettings


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


class Limiter(Protocol):
    def check(self, login: str, ip: str, now: datetime) -> Verdict: ...

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None: ...


class DatabaseLimiter:
    def __init__(self, session: Session, settings: WebSettings):
        self.s, self.settings = session, settings

    def _failures(self, where, since: datetime) -> int:
        return self.s.execute(
            select(func.count()).select_from(LoginAttempt)
            .where(where, LoginAttempt.success.is_(False), LoginAttempt.at > since)
        ).scalar_one()

    def check(self, login: str, ip: str, now: datetime) -> Verdict:
        window = now - timedelta(seconds=self.settings.login_window_seconds)
        last_ok = self.s.execute(
            select(func.max(LoginAttempt.at)).where(LoginAttempt.login == login, LoginAttempt.success.is_(True),
                                                    LoginAttempt.at > window)
        ).scalar()
        by_login = self._failures(LoginAttempt.login == login, max(window, last_ok) if last_ok else window)
        by_ip = self._failures(LoginAttempt.ip == ip, window) if ip else 0
        self.s.rollback()
        if by_login >= self.settings.login_max_failures or by_ip >= self.settings.login_max_failures_per_ip:
            return Verdict(False, self.settings.login_window_seconds)
        return Verdict(True)

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None:
        with write(self.s):
            self.s.execute(insert(LoginAttempt).values(login=login[:100], ip=ip[:64], success=success, at=now))


class RedisLimiter:
    """Fixed keys with a TTL: ``INCR`` then ``EXPIRE`` on the first failure of a window."""

    def __init__(self, url: str, settings: WebSettings):
        import redis

        self.r = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.settings = settings

    def _keys(self, login: str, ip: str) -> tuple[str, str]:
        return f"kyodo:login-fail:name:{login}", f"kyodo:login-fail:ip:{ip}"

    def check(self, login: str, ip: str, now: datetime) -> Verdict:
        k_login, k_ip = self._keys(login, ip)
        by_login, by_ip = self.r.mget(k_login, k_ip)
        if int(by_login or 0) >= self.settings.login_max_failures:
            return Verdict(False, max(int(self.r.ttl(k_login)), 1))
        if int(by_ip or 0) >= self.settings.login_max_failures_per_ip:
            return Verdict(False, max(int(self.r.ttl(k_ip)), 1))
        return Verdict(True)

    def record(self, login: str, ip: str, success: bool, now: datetime) -> None:
        k_login, k_ip = self._keys(login, ip)
        if success:
            self.r.delete(k_login)
            return
        pipe = self.r.pipeline()
        for key in (k_login, k_ip):
            pipe.incr(key)
            pipe.expire(key, self.settings.login_window_seconds, nx=True)
        pipe.execute()


def limiter_for(session: Session, settings: WebSettings) -> Limiter:
    url = settings.effective_redis_url
    return RedisLimiter(url, settings) if url else DatabaseLimiter(session, settings)
