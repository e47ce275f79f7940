"""Ratings as a subjects x raters matrix with NaN for missing values.

Every coefficient takes this one shape; long-format input is pivoted once, vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

FloatMatrix = NDArray[np.float64]
FloatVector = NDArray[np.float64]


def _codes(observed: FloatVector, domain: FloatVector) -> NDArray[np.intp]:
    """Each score's index in the sorted ``domain``: a lookup table for integer scores."""
    lo, span = (domain[0], domain[-1] - domain[0]) if domain.size else (0.0, 0.0)
    if span <= 1 << 16 and np.array_equal(domain, np.round(domain)):
        table = np.zeros(int(span) + 1, dtype=np.intp)
        table[(domain - lo).astype(np.intp)] = np.arange(domain.size)
        return np.asarray(table[(observed - lo).astype(np.intp)], dtype=np.intp)
    return np.searchsorted(domain, observed)


def category_counts(values: FloatMatrix, domain: FloatVector) -> FloatMatrix:
    """How many raters gave each row each value of the sorted ``domain`` (rows x values).

    ``domain`` must hold every score. One ``bincount`` over all cells, as fast-krippendorff
    does with ``np.add.at``; missing cells go to a spare column that is dropped.
    """
    rows, width = values.shape[0], domain.size + 1
    present = ~np.isnan(values)
    cells = np.full(values.shape, domain.size, dtype=np.intp)
    cells[present] = _codes(values[present], domain)
    cells += np.arange(rows)[:, None] * width
    counts = np.bincount(cells.ravel(), minlength=rows * width).reshape(rows, width)
    return counts[:, :-1].astype(np.float64)


class RatingsInputError(ValueError):
    """Input that cannot be a ratings table; ``row`` is the 0-based offending record."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class RatingMatrix:
    values: FloatMatrix  # shape (n_subjects, n_raters); NaN where a rater did not score
    subjects: tuple[str, ...]
    raters: tuple[str, ...]
    # The scale's (min, max) when known: categories then include unused scale points,
    # which weighted kappa, AC2 and alpha depend on.
    scale: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.values.ndim != 2:
            raise RatingsInputError("ratings must form a subjects x raters matrix")
        if self.values.shape != (len(self.subjects), len(self.raters)):
            raise RatingsInputError("labels do not match the matrix shape")
        if self.scale is not None:
            lo, hi = self.scale
            if lo >= hi:
                raise RatingsInputError(f"scale {lo}..{hi} is empty")
            observed = self.values[~np.isnan(self.values)]
            if observed.size and (observed.min() < lo or observed.max() > hi):
                raise RatingsInputError(f"scores fall outside the scale {lo}..{hi}")

    @property
    def n_subjects(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_raters(self) -> int:
        return int(self.values.shape[1])

    @property
    def n_ratings(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.values)))

    @cached_property
    def value_counts(self) -> tuple[FloatVector, FloatMatrix]:
        """The distinct observed values, and how many raters gave each subject each one.

        Krippendorff's alpha at every level and Gwet's AC at every weighting start from
        these same counts; computed once, a reliability panel tabulates the matrix once
        instead of six times (for means, with many distinct values, the bulk of its time).
        """
        domain = np.unique(self.values[~np.isnan(self.values)])
        counts = category_counts(self.values, domain)
        for shared in (domain, counts):
            shared.setflags(write=False)  # shared by every coefficient: none may change it
        return domain, counts

    @cached_property
    def coincidences(
        self,
    ) -> tuple[FloatVector, FloatMatrix, FloatVector, FloatVector, FloatMatrix] | None:
        """Krippendorff's tabulation of the pairable units (rated by two raters or more).

        The values seen in them, their counts per unit, each unit's number of values m_u,
        each value's total n_c and the coincidence matrix o (sum_k o_ck = n_c); None when
        no unit is pairable. Alpha at every level shares it: only the metric differs.
        """
        domain, counts = self.value_counts
        m_u = counts @ np.ones(domain.size)
        pairable = m_u >= 2
        if not pairable.any():
            return None
        counts, m_u = counts[pairable], m_u[pairable]
        n_v = counts.sum(axis=0)
        used = n_v > 0  # values seen only in unpairable units play no part
        counts, domain, n_v = counts[:, used], domain[used], n_v[used]
        scaled = counts / (m_u - 1)[:, None]
        o = scaled.T @ counts - np.diag(scaled.sum(axis=0))
        for shared in (domain, counts, m_u, n_v, o):
            shared.setflags(write=False)
        return domain, counts, m_u, n_v, o

    def categories(self) -> NDArray[np.float64]:
        """The scale's points when known, otherwise the distinct observed values."""
        if self.scale is not None:
            return np.arange(self.scale[0], self.scale[1] + 1, dtype=np.float64)
        observed = self.values[~np.isnan(self.values)]
        return np.unique(observed)

    def complete_rows(self) -> RatingMatrix:
        """Only the subjects every rater scored (listwise deletion, as ICC requires)."""
        keep = np.flatnonzero(~np.isnan(self.values).any(axis=1))
        return RatingMatrix(
            self.values[keep],
            tuple(self.subjects[i] for i in keep.tolist()),
            self.raters,
            self.scale,
        )

    @classmethod
    def from_array(
        cls, values: Sequence[Sequence[float]] | FloatMatrix, scale: tuple[int, int] | None = None
    ) -> RatingMatrix:
        """A matrix given directly: rows are subjects, columns raters, NaN missing.

        >>> RatingMatrix.from_array([[1, 2], [3, float("nan")]]).n_ratings
        3
        """
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 2:
            raise RatingsInputError("ratings must form a subjects x raters matrix")
        return cls(
            array,
            tuple(str(i) for i in range(array.shape[0])),
            tuple(str(j) for j in range(array.shape[1])),
            scale,
        )

    @classmethod
    def from_long(
        cls,
        subjects: Sequence[str],
        raters: Sequence[str],
        scores: Sequence[float] | NDArray[np.float64],
        scale: tuple[int, int] | None = None,
    ) -> RatingMatrix:
        """Pivot (subject, rater, score) records; a rater scoring a subject twice is an error.

        >>> m = RatingMatrix.from_long(["a", "a", "b"], ["r1", "r2", "r1"], [1, 2, 3])
        >>> m.values.tolist()
        [[1.0, 2.0], [3.0, nan]]
        """
        if not (len(subjects) == len(raters) == len(scores)):
            raise RatingsInputError("subject, rater and score columns differ in length")
        subject_labels, subject_idx = np.unique(
            np.asarray(subjects, dtype=str), return_inverse=True
        )
        rater_labels, rater_idx = np.unique(np.asarray(raters, dtype=str), return_inverse=True)
        cell = subject_idx * len(rater_labels) + rater_idx
        order = np.argsort(cell, kind="stable")
        repeated = np.flatnonzero(np.diff(cell[order]) == 0)
        if repeated.size:
            row = int(order[repeated[0] + 1])
            subject = str(subjects[row]).split("\x1f")
            what = f"subject {subject[0]!r}" + (
                f" on item {subject[1]!r}" if len(subject) > 1 else ""
            )
            raise RatingsInputError(f"rater {raters[row]!r} scored {what} more than once", row)
        values = np.full((len(subject_labels), len(rater_labels)), np.nan)
        values.flat[cell] = np.asarray(scores, dtype=np.float64)
        return cls(
            values,
            tuple(str(s) for s in subject_labels),
            tuple(str(r) for r in rater_labels),
            scale,
        )
