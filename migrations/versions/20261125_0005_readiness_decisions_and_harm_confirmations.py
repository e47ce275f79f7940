"""Readiness decisions signed off by a program, and admin confirmations of harm flags.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:07:14.017720+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "readiness_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=False),
        sa.Column("committee_comment", sa.Text(), nullable=False),
        sa.Column("entrustment_level", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entrustment_level IS NULL OR entrustment_level BETWEEN 1 AND 5",
            name=op.f("ck_readiness_decision_entrustment_level_range"),
        ),
        sa.CheckConstraint(
            "length(fingerprint) = 64", name=op.f("ck_readiness_decision_fingerprint_hex")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_readiness_decision_program_id_program"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_readiness_decision_rubric_version_id_rubric_version"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"],
            ["user_account.id"],
            name=op.f("fk_readiness_decision_signed_off_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["user_account.id"],
            name=op.f("fk_readiness_decision_trainee_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_decision")),
    )
    with op.batch_alter_table("readiness_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_readiness_decision_trainee",
            ["program_id", "trainee_id", "decided_at"],
            unique=False,
        )

    op.create_table(
        "harm_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_harm_confirmation_confirmed_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rubric_item.id"],
            name=op.f("fk_harm_confirmation_item_id_rubric_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["recorded_session.id"],
            name=op.f("fk_harm_confirmation_session_id_recorded_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harm_confirmation")),
        sa.UniqueConstraint(
            "session_id", "item_id", name=op.f("uq_harm_confirmation_session_id_item_id")
        ),
    )
    with op.batch_alter_table("harm_confirmation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_harm_confirmation_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("harm_confirmation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harm_confirmation_session_id"))

    op.drop_table("harm_confirmation")
    with op.batch_alter_table("readiness_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_decision_trainee")

    op.drop_table("readiness_decision")
