"""every case records the version of its lifecycle

A lifecycle's definition is versioned (``states/``): an amendment of the ordinance or a
new service standard is a new version with the day it takes effect. Every case existing
before this change runs under version 1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("lifecycle_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("proposal") as batch:
        batch.alter_column("lifecycle_version", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("lifecycle_version")
