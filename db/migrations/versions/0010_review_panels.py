"""a round's review panel, its scores, and the public presentations' schedule

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "panelmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["proposalround.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "user_id"),
    )
    op.create_index("ix_panelmember_round_id", "panelmember", ["round_id"])
    op.create_index("ix_panelmember_user_id", "panelmember", ["user_id"])
    op.create_table(
        "panelscore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("scored_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["criterion_id"], ["roundcriterion.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "member_id", "criterion_id"),
    )
    op.create_index("ix_panelscore_proposal_id", "panelscore", ["proposal_id"])
    op.create_table(
        "presentationslot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposal.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id"),
    )


def downgrade() -> None:
    op.drop_table("presentationslot")
    op.drop_index("ix_panelscore_proposal_id", table_name="panelscore")
    op.drop_table("panelscore")
    op.drop_index("ix_panelmember_user_id", table_name="panelmember")
    op.drop_index("ix_panelmember_round_id", table_name="panelmember")
    op.drop_table("panelmember")
