"""Side-by-side ratings of one session: where raters part ways by a meaningful margin.

Two points on a five-point scale is the difference between "developing" and "competent"
and the like, which is what calibration discussions should be about; one point is noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DISAGREEMENT = 2


@dataclass(frozen=True)
class ComparedItem:
    key: str
    scores: tuple[int | None, ...]  # one per column; None = not applicable or unscored
    spread: int | None
    disagreement: bool


def compare(
    item_keys: Sequence[str], columns: Sequence[Mapping[str, int | None]]
) -> list[ComparedItem]:
    """One row per item that any column scored, in the order given.

    >>> rows = compare(["A1", "A2", "A3"], [{"A1": 3, "A2": 4}, {"A1": 5, "A2": 4}])
    >>> [(r.key, r.spread, r.disagreement) for r in rows]
    [('A1', 2, True), ('A2', 0, False)]
    """
    rows: list[ComparedItem] = []
    for key in item_keys:
        scores = tuple(column.get(key) for column in columns)
        given = [s for s in scores if s is not None]
        if not any(key in column for column in columns):
            continue
        spread = max(given) - min(given) if len(given) >= 2 else None
        rows.append(
            ComparedItem(key, scores, spread, spread is not None and spread >= DISAGREEMENT)
        )
    return rows
