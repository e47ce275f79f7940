"""Long-format ratings (subject, rater, score[, item]) from CSV text, with line-exact errors."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from app.domain.reliability.data import RatingMatrix, RatingsInputError

REQUIRED = ("subject", "rater", "score")


class RatingsFileError(RatingsInputError):
    """A problem at a 1-based line of the file, which the CLI and the API both name."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.detail = message


@dataclass(frozen=True)
class LongRatings:
    subjects: list[str]
    raters: list[str]
    scores: list[float]
    items: list[str] | None
    # Where each record came from (a file line, or a position in a JSON list), so that an
    # error found after parsing can still name it.
    lines: list[int]

    def select_item(self, item: str) -> LongRatings:
        if self.items is None:
            raise RatingsInputError("--item needs an 'item' column in the file")
        keep = [i for i, it in enumerate(self.items) if it == item]
        if not keep:
            raise RatingsInputError(f"no ratings for item {item!r}")
        return LongRatings(
            [self.subjects[i] for i in keep],
            [self.raters[i] for i in keep],
            [self.scores[i] for i in keep],
            None,
            [self.lines[i] for i in keep],
        )

    def to_matrix(self, scale: tuple[int, int] | None = None) -> RatingMatrix:
        """Pivot to subjects x raters; with several items, each (subject, item) is a unit.

        Errors carry ``row``, an index into these records: ``lines[row]`` says where it was.
        """
        if scale is not None:
            lo, hi = scale
            outside = np.flatnonzero(
                (np.asarray(self.scores) < lo) | (np.asarray(self.scores) > hi)
            )
            if outside.size:
                row = int(outside[0])
                raise RatingsInputError(
                    f"score {self.scores[row]:g} is outside the scale {lo}..{hi}", row
                )
        units = (
            self.subjects
            if self.items is None
            else [f"{s}\x1f{it}" for s, it in zip(self.subjects, self.items, strict=True)]
        )
        return RatingMatrix.from_long(units, self.raters, np.asarray(self.scores), scale)


def read_ratings_csv(lines: Iterable[str]) -> LongRatings:
    """Parse CSV with a header naming ``subject``, ``rater``, ``score`` and optionally ``item``.

    An empty score is a missing rating; anything else must be a finite number.

    >>> r = read_ratings_csv(["subject,rater,score", "s1,a,3", "s1,b,4"])
    >>> (r.subjects, r.raters, r.scores)
    (['s1', 's1'], ['a', 'b'], [3.0, 4.0])
    """
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise RatingsFileError(
            1, "the file is empty; expected a header subject,rater,score"
        ) from None
    except csv.Error as exc:
        raise RatingsFileError(1, f"not CSV: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise RatingsFileError(1, f"missing column(s) {', '.join(missing)} in the header")
    si, ri, vi = (names.index(c) for c in REQUIRED)
    ii = names.index("item") if "item" in names else None
    width = len(names)
    subjects: list[str] = []
    raters: list[str] = []
    scores: list[float] = []
    items: list[str] = []
    line_numbers: list[int] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != width:
                raise RatingsFileError(line, f"expected {width} fields, found {len(row)}")
            raw = row[vi].strip()
            if not raw:
                continue  # a missing rating
            try:
                score = float(raw)
            except ValueError:
                raise RatingsFileError(line, f"score {raw!r} is not a number") from None
            if not math.isfinite(score):
                raise RatingsFileError(line, f"score {raw!r} is not a finite number")
            subject, rater = row[si].strip(), row[ri].strip()
            if not subject or not rater:
                raise RatingsFileError(line, "subject and rater must not be empty")
            subjects.append(subject)
            raters.append(rater)
            scores.append(score)
            if ii is not None:
                items.append(row[ii].strip())
            line_numbers.append(line)
    except csv.Error as exc:
        raise RatingsFileError(reader.line_num, f"not CSV: {exc}") from None
    if not scores:
        raise RatingsFileError(max(reader.line_num, 1), "the file holds no ratings")
    return LongRatings(subjects, raters, scores, items if ii is not None else None, line_numbers)
