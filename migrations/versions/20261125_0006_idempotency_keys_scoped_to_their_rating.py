"""Idempotency keys scoped to their rating: a key reused by another rater is not a conflict.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:38:08.626152+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_rating_idempotency_key"), type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_rating_idempotency_key"), ["idempotency_key"]
        )
