"""proposal rounds: themes, criteria, prior consultations; a proposal's round and theme

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0009"
down_revision: Union[str, None] = "0008"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "proposalround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title_ja", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("guidelines", sa.Text(), server_default="", nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("requires_consultation", sa.Boolean(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("publication_on", sa.Date(), nullable=True),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "roundtheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("budget_ceiling_yen", sa.BigInteger(), nullable=True),
        sa.Column("project_fiscal_year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["proposalround.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_roundtheme_round_id", "roundtheme", ["round_id"])
    op.create_table(
        "roundcriterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label_ja", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["proposalround.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "key"),
    )
    op.create_index("ix_roundcriterion_round_id", "roundcriterion", ["round_id"])
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("preferred_dates", sa.String(length=500), nullable=False),
        sa.Column("topic", sa.String(length=2000), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["proposalround.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consultation_organisation_id", "consultation", ["organisation_id"])
    op.create_index("ix_consultation_round_id", "consultation", ["round_id"])
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("theme_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_proposal_round_id_proposalround", "proposalround", ["round_id"], ["id"])
        batch.create_foreign_key("fk_proposal_theme_id_roundtheme", "roundtheme", ["theme_id"], ["id"])
        batch.create_index("ix_proposal_round_id", ["round_id"])


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_index("ix_proposal_round_id")
        batch.drop_constraint("fk_proposal_theme_id_roundtheme", type_="foreignkey")
        batch.drop_constraint("fk_proposal_round_id_proposalround", type_="foreignkey")
        batch.drop_column("theme_id")
        batch.drop_column("round_id")
    op.drop_index("ix_consultation_round_id", table_name="consultation")
    op.drop_index("ix_consultation_organisation_id", table_name="consultation")
    op.drop_table("consultation")
    op.drop_index("ix_roundcriterion_round_id", table_name="roundcriterion")
    op.drop_table("roundcriterion")
    op.drop_index("ix_roundtheme_round_id", table_name="roundtheme")
    op.drop_table("roundtheme")
    op.drop_table("proposalround")
