"""Program settings (automatic release, amendment window), rater conflicts, imported sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:56:23.573423+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rater_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rater_id <> trainee_id", name=op.f("ck_rater_conflict_distinct_people")
        ),
        sa.ForeignKeyConstraint(
            ["declared_by_id"],
            ["user_account.id"],
            name=op.f("fk_rater_conflict_declared_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_rater_conflict_program_id_program"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"],
            ["user_account.id"],
            name=op.f("fk_rater_conflict_rater_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["user_account.id"],
            name=op.f("fk_rater_conflict_trainee_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rater_conflict")),
        sa.UniqueConstraint(
            "program_id",
            "rater_id",
            "trainee_id",
            name=op.f("uq_rater_conflict_program_id_rater_id_trainee_id"),
        ),
    )
    with op.batch_alter_table("rater_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rater_conflict_trainee_id"), ["trainee_id"], unique=False
        )

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_release", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "amendment_window_days", sa.Integer(), server_default=sa.text("14"), nullable=False
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_program_amendment_window_non_negative"), "amendment_window_days >= 0"
        )

    with op.batch_alter_table("recorded_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_ref", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_recorded_session_program_id_external_ref"),
            ["program_id", "external_ref"],
        )


def downgrade() -> None:
    with op.batch_alter_table("recorded_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_recorded_session_program_id_external_ref"), type_="unique"
        )
        batch_op.drop_column("external_ref")

    with op.batch_alter_table("program", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_program_amendment_window_non_negative"), type_="check")
        batch_op.drop_column("amendment_window_days")
        batch_op.drop_column("auto_release")

    with op.batch_alter_table("rater_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rater_conflict_trainee_id"))

    op.drop_table("rater_conflict")
