"""Official document numbers (市市協第566号): a prefix and a serial that restarts each fiscal year.

One upsert both creates the year's counter and takes the next number, so two decisions
taken at the same moment never share a number; a unique constraint on the decision
table is the last guard.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from db.models import DocumentSerial


def next_serial(session: Session, prefix: str, fiscal_year: int) -> int:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = DocumentSerial.__table__
    stmt = (
        dialect.insert(table)
        .values(prefix=prefix, fiscal_year=fiscal_year, last_serial=1)
        .on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.fiscal_year],
            set_={"last_serial": table.c.last_serial + 1},
        )
        .returning(table.c.last_serial)
    )
    return session.execute(stmt).scalar_one()


def format_number(prefix: str, serial: int) -> str:
    return f"{prefix}第{serial}号"
