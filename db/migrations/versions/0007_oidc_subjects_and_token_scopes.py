"""staff linked to the city's identity provider; API tokens with scopes and an expiry

A person signed in through OpenID Connect is linked by the provider's subject
(``user.oidc_subject``). An API token now says what it may do (``read``, or ``read write``)
and when it expires: tokens made before this change keep both powers and expire 90 days
after the upgrade, so no running integration stops without warning.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from datetime import datetime, timedelta, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.create_unique_constraint("uq_user_oidc_subject", ["oidc_subject"])
    grace = datetime.now(timezone.utc) + timedelta(days=90)
    with op.batch_alter_table("apitoken") as batch:
        batch.add_column(sa.Column("scopes", sa.String(length=100), nullable=False, server_default="read write"))
        batch.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE apitoken SET expires_at = :grace").bindparams(
        sa.bindparam("grace", grace, type_=UTCDateTime(timezone=True))))
    with op.batch_alter_table("apitoken") as batch:
        batch.alter_column("expires_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch.alter_column("scopes", existing_type=sa.String(length=100), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("apitoken") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_oidc_subject", type_="unique")
        batch.drop_column("oidc_subject")
