"""Login tokens, one-time password-set tokens and login attempts (for throttling).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 22:08:07.992963+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_attempt_client_time", ["client_address", "attempted_at"], unique=False
        )
        batch_op.create_index(
            "ix_login_attempt_email_time", ["email", "attempted_at"], unique=False
        )

    op.create_table(
        "auth_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_auth_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_token_token_hash")),
    )
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.create_index("ix_auth_token_user_active", ["user_id", "revoked_at"], unique=False)

    op.create_table(
        "password_set_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_set_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_set_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_set_token_token_hash")),
    )
    with op.batch_alter_table("password_set_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_set_token_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("password_set_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_set_token_user_id"))

    op.drop_table("password_set_token")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index("ix_auth_token_user_active")

    op.drop_table("auth_token")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_email_time")
        batch_op.drop_index("ix_login_attempt_client_time")

    op.drop_table("login_attempt")
