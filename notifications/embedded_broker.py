"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, polled briskly.

kombu's SQLAlchemy transport polls every second and hands any transport option to
``create_engine()``, so the interval cannot be set the usual way; with one unacknowledged
message allowed at a time (``acks_late``) a one-second poll means one notice a second.
This subclass only shortens the poll. Registered as the ``kyodo`` transport:
``kyodo+sqlite:///var/broker.sqlite3``.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport as SQLAlchemyTransport

ALIAS = "kyodo"


class Transport(SQLAlchemyTransport):
    polling_interval = 0.05


def register() -> None:
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
