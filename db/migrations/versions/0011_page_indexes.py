"""indexes for the busy pages at a big city's volume

The secretariat's list narrowed to a state, newest first, and its counts by state
(read from the index alone); the department's desk, newest first, at any depth. With
100,000 cases each page is then cut from an index instead of sorted from a scan.

Building them reads the proposal table once (under a second at 100,000 cases); it holds
a lock that blocks writes to proposals meanwhile, so run ``kyodo db upgrade`` when the
offices are closed, as for any migration.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0011"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_proposal_lifecycle_state_id", "proposal", ["lifecycle", "state", "id"])
    op.create_index("ix_proposal_department_id_id", "proposal", ["department_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_proposal_department_id_id", table_name="proposal")
    op.drop_index("ix_proposal_lifecycle_state_id", table_name="proposal")
