"""The one clock every part of Kyodo reads the time from.

Deadlines under the ordinance run for weeks (a 30-day comment period, replies
"promptly" under Art. 10(2), reminders before a period lapses). Tests and the demo
cannot sleep through that, so nothing calls ``datetime.now()`` directly: it asks an
injected ``Clock``. Production uses ``SystemClock``; tests and the demo use a
``MovableClock`` and move time forward instead of waiting for it.

Times are kept in UTC everywhere and converted to Japan time only where a person
reads them or where a calendar date matters (which day is "today" in the city).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

# Moving to a date lands at the start of the office day, not midnight, so that
# "today" means the same date in Japan and in UTC (09:00 JST is 00:00 UTC).
_OFFICE_OPENS = time(9, 0)


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class MovableClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime):
        self._now = to_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, dt: datetime) -> None:
        self._now = to_utc(dt)

    def advance(self, **timedelta_kwargs: float) -> datetime:
        """Move forward, e.g. ``advance(days=14)``; returns the new time."""
        self._now += timedelta(**timedelta_kwargs)
        return self._now

    def advance_to_date(self, d: date) -> datetime:
        """Move to 09:00 Japan time on ``d``; returns the new time."""
        self._now = to_utc(datetime.combine(d, _OFFICE_OPENS, tzinfo=JST))
        return self._now

    def __repr__(self) -> str:
        return f"MovableClock({self._now.isoformat()})"


def to_utc(dt: datetime) -> datetime:
    """Make ``dt`` aware and UTC. Naive values are taken as UTC: SQLite drops the offset."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def to_japan(dt: datetime) -> datetime:
    """``dt`` in Japan time (naive values taken as UTC, as in ``to_utc``)."""
    return to_utc(dt).astimezone(JST)


def japan_today(clock: Clock) -> date:
    """The calendar date in the city right now; deadlines count from this, not the UTC date."""
    return to_japan(clock.now()).date()
