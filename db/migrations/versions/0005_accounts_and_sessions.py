"""staff accounts, invitations and password resets, sessions held on the server

``usersession``: one row per signed-in browser, named in the cookie by a random key whose
SHA-256 is stored; ending the row ends the session whatever copies of the cookie exist.
``accounttoken``: one-time links (invitation, password reset), stored as SHA-256 only.
``loginattempt`` gains an index by address: failures are now counted per address too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (sqlmodel.sql.sqltypes.AutoString)
from alembic import op

import db.types

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "usersession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(op.f("ix_usersession_user_id"), "usersession", ["user_id"], unique=False)
    op.create_table(
        "accounttoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_accounttoken_user_id"), "accounttoken", ["user_id"], unique=False)
    op.create_index("ix_loginattempt_ip_at", "loginattempt", ["ip", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_loginattempt_ip_at", table_name="loginattempt")
    op.drop_index(op.f("ix_accounttoken_user_id"), table_name="accounttoken")
    op.drop_table("accounttoken")
    op.drop_index(op.f("ix_usersession_user_id"), table_name="usersession")
    op.drop_table("usersession")
