"""staff accounts, invitations and password resets, sessions held on the server

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import db.types  # noqa: F401

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
