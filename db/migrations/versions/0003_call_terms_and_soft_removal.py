"""call terms as columns, attachments removed for the record, the directory's audit trail

A call's selection criteria and closing date were case notes; they become columns of the
case (and of each revision, so earlier terms stay readable), filled from the latest notes.
Attachments are no longer deleted: a removal keeps the row and the file, with who and
when. Changes to organisations, memberships and users get an append-only trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ("proposal", "proposalrevision"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("selection_criteria", sa.Text(), nullable=False, server_default=""))
            batch.add_column(sa.Column("closing_on", sa.Date(), nullable=True))
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_attachment_removed_by_user", "user", ["removed_by"], ["id"])
    op.create_table(
        "directoryevent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_directoryevent_subject_id", "directoryevent", ["subject_id"])
    # The latest note of each kind is the call's current term (SQLite keeps dates as text).
    as_date = "{}" if op.get_bind().dialect.name == "sqlite" else "CAST({} AS DATE)"
    for column, kind, convert in (("selection_criteria", "call_criteria", "{}"), ("closing_on", "call_closing_on", as_date)):
        latest = (f"SELECT n.text FROM casenote n WHERE n.proposal_id = proposal.id AND n.kind = '{kind}' "
                  f"ORDER BY n.id DESC LIMIT 1")
        op.execute(f"UPDATE proposal SET {column} = {convert.format('(' + latest + ')')} "
                   f"WHERE EXISTS ({latest})")


def downgrade() -> None:
    op.drop_index("ix_directoryevent_subject_id", table_name="directoryevent")
    op.drop_table("directoryevent")
    with op.batch_alter_table("attachment") as batch:
        batch.drop_constraint("fk_attachment_removed_by_user", type_="foreignkey")
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
    for table in ("proposal", "proposalrevision"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("closing_on")
            batch.drop_column("selection_criteria")
