"""reviewers replaced during the review, conflicts of interest declared on a case

A review assignment that ends (the reviewer fell ill, or has a conflict of interest) is
kept for the record with who ended it, when, why and who came instead. A declaration of
a conflict of interest (利害関係の申出) is a row of its own: the person takes no further
part in reviewing, coordinating or deciding that case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("reviewassignment") as batch:
        batch.add_column(sa.Column("ended_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("ended_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("end_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_reviewassignment_ended_by_user", "user", ["ended_by"], ["id"])
        batch.create_foreign_key("fk_reviewassignment_replaced_by_user", "user", ["replaced_by"], ["id"])
    op.create_table(
        "conflictdeclaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "user_id"),
    )
    op.create_index("ix_conflictdeclaration_proposal_id", "conflictdeclaration", ["proposal_id"])
    op.create_index("ix_conflictdeclaration_user_id", "conflictdeclaration", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_conflictdeclaration_user_id", table_name="conflictdeclaration")
    op.drop_index("ix_conflictdeclaration_proposal_id", table_name="conflictdeclaration")
    op.drop_table("conflictdeclaration")
    with op.batch_alter_table("reviewassignment") as batch:
        batch.drop_constraint("fk_reviewassignment_replaced_by_user", type_="foreignkey")
        batch.drop_constraint("fk_reviewassignment_ended_by_user", type_="foreignkey")
        batch.drop_column("replaced_by")
        batch.drop_column("end_reason")
        batch.drop_column("ended_by")
        batch.drop_column("ended_at")
