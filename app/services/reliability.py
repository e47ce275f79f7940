"""Reliability of ratings handed in directly (a researcher's file or JSON)."""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.krippendorff import Level
from app.domain.reliability.long_format import LongRatings, RatingsFileError, read_ratings_csv
from app.domain.reliability.panel import ReliabilityReport, reliability_panel
from app.services.errors import InvalidInputError


def reliability_of(
    ratings: LongRatings,
    *,
    where: str = "ratings[{}]",
    level: Level = "ordinal",
    scale: tuple[int, int] | None = None,
    item: str | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
) -> ReliabilityReport:
    """``where`` names a record from its ``lines`` entry: a JSON index or a file line."""
    selected = ratings
    try:
        if item is not None:
            selected = ratings.select_item(item)
        matrix = selected.to_matrix(scale)
    except RatingsInputError as exc:
        location = "ratings" if exc.row is None else where.format(selected.lines[exc.row])
        raise InvalidInputError(f"{location}: {exc}") from None
    return reliability_panel(matrix, level, bootstrap=bootstrap, seed=seed)


def ratings_from_records(
    records: Iterable[tuple[str, str, float | None, str | None]],
) -> LongRatings:
    """Records as the API receives them; a null score is a missing rating."""
    subjects: list[str] = []
    raters: list[str] = []
    scores: list[float] = []
    items: list[str] = []
    positions: list[int] = []
    any_item = False
    for index, (subject, rater, score, item) in enumerate(records):
        any_item = any_item or item is not None
        if score is None:
            continue
        subjects.append(subject)
        raters.append(rater)
        scores.append(score)
        items.append(item or "")
        positions.append(index)
    if not scores:
        raise InvalidInputError("ratings: no rating has a score")
    return LongRatings(subjects, raters, scores, items if any_item else None, positions)


def ratings_from_csv(text: str) -> LongRatings:
    try:
        return read_ratings_csv(text.splitlines())
    except RatingsFileError as exc:
        raise InvalidInputError(f"file: line {exc.line}: {exc.detail}") from None
