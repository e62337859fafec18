"""yen amounts as 64-bit integers

Contracts of more than 2,147,483,647 yen exist (the seed report lists a 1,003,209,104-yen
project; a multi-year contract passes 2**31 easily); 32-bit columns refused them on
PostgreSQL. SQLite's integers are 64-bit already.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (("proposal", "estimated_cost_yen"), ("proposalrevision", "estimated_cost_yen"),
           ("contract", "amount_yen"), ("callapplication", "proposed_amount_yen"),
           ("registryproject", "contract_amount_yen"))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=True)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=True)
