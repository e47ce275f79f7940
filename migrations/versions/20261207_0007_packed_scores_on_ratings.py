"""Each rating carries its item scores packed into one value, for program-wide reads.

Existing ratings get theirs from their item scores, a batch of ratings at a time. The
format is written out here rather than imported, so that this revision keeps doing what
it did when the application's code moves on: per item score three little-endian 32-bit
integers (item id, score or -1 for not applicable, harm flag), in ascending item id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:50:00+00:00
"""

from collections.abc import Sequence
from itertools import groupby

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000  # ratings per round trip


def _backfill() -> None:
    connection = op.get_bind()
    rating = sa.table("rating", sa.column("id", sa.Integer), sa.column("packed_scores"))
    item_score = sa.table(
        "item_score",
        sa.column("rating_id", sa.Integer),
        sa.column("item_id", sa.Integer),
        sa.column("score", sa.Integer),
        sa.column("harm_flag", sa.Boolean),
    )
    ids = connection.execute(sa.select(rating.c.id).order_by(rating.c.id)).scalars().all()
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        rows = connection.execute(
            sa.select(
                item_score.c.rating_id,
                item_score.c.item_id,
                sa.func.coalesce(item_score.c.score, -1),
                item_score.c.harm_flag,
            )
            .where(item_score.c.rating_id.between(batch[0], batch[-1]))
            .order_by(item_score.c.rating_id, item_score.c.item_id)
        ).all()
        packed = dict.fromkeys(batch, b"")
        for rating_id, scores in groupby(rows, key=lambda r: r[0]):
            triples = [(item, score, int(flag)) for _, item, score, flag in scores]
            packed[rating_id] = np.array(triples, dtype="<i4").tobytes()
        connection.execute(
            sa.update(rating)
            .where(rating.c.id == sa.bindparam("rid"))
            .values(packed_scores=sa.bindparam("packed")),
            [{"rid": rid, "packed": value} for rid, value in packed.items()],
        )


def upgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("packed_scores", sa.LargeBinary(), nullable=True))
    _backfill()
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.alter_column("packed_scores", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_column("packed_scores")
