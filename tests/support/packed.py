"""The guard every database test ends with: each rating's packed scores match its rows.

Program-wide reads trust ``Rating.packed_scores`` alone, so a writer of item scores that
forgot it would skew readiness silently. Checked after every passing test that used the
database, any path that writes item scores without it fails the test that took it.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ItemScore, Rating
from app.domain.packed_scores import pack


def stale_packed_scores(session: Session) -> list[int]:
    """Ids of the ratings whose ``packed_scores`` differ from their item score rows."""
    session.flush()
    stored = dict(session.execute(select(Rating.id, Rating.packed_scores)).all())
    rows = session.execute(
        select(
            ItemScore.rating_id, ItemScore.item_id, ItemScore.score, ItemScore.harm_flag
        ).order_by(ItemScore.rating_id)
    )
    expected = dict.fromkeys(stored, b"")
    for rating_id, scores in groupby(rows, key=lambda r: r[0]):
        expected[rating_id] = pack((item, score, flag) for _, item, score, flag in scores)
    return sorted(rid for rid, packed in stored.items() if bytes(packed) != expected[rid])
