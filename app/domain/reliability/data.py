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


IntVector = NDArray[np.intp]


def distinct_values(observed: FloatVector) -> tuple[FloatVector, IntVector]:
    """The sorted distinct values and each value's index among them.

    Integer scores in a modest range are counted into a table, which is linear; other
    values are sorted by ``np.unique``.

    >>> domain, code = distinct_values(np.array([5.0, 3.0, 5.0, 4.5]))
    >>> domain.tolist(), code.tolist()
    ([3.0, 4.5, 5.0], [2, 0, 2, 1])
    """
    if observed.size and np.array_equal(observed, np.round(observed)):
        lo, hi = float(observed.min()), float(observed.max())
        if hi - lo <= 4 * observed.size + 1024:
            offset = (observed - lo).astype(np.intp)
            seen = np.bincount(offset) > 0
            position = np.cumsum(seen) - 1
            return lo + np.flatnonzero(seen).astype(np.float64), position[offset]
    domain, code = np.unique(observed, return_inverse=True)
    return domain, code.reshape(-1)


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class RatingPairs:
    """The matrix's ratings one by one, and every unordered pair of ratings of one subject.

    Agreement coefficients are sums over such pairs (Fleiss, Gwet, Krippendorff's
    coincidences, percent agreement). Listing the pairs costs O(ratings x raters per
    subject), where tabulating subjects x distinct values costs O(subjects x values^2) in
    the weighted sums: for raters' mean scores, with hundreds of distinct values, the
    difference is two orders of magnitude.
    """

    subject: IntVector  # each rating's row, ascending
    value: FloatVector
    domain: FloatVector  # the distinct values, ascending
    code: IntVector  # each rating's index in ``domain``
    per_subject: IntVector  # ratings of every row, rated or not
    first: IntVector  # per pair, its two ratings (indices into the arrays above)
    second: IntVector

    def subject_sums(self, weights: FloatVector, *, of_pairs: bool = False) -> FloatVector:
        """Per row, the sum of ``weights`` over its ratings (or over its pairs)."""
        rows = self.subject[self.first] if of_pairs else self.subject
        sums = np.bincount(rows, weights=weights, minlength=self.per_subject.size)
        return np.asarray(sums, dtype=np.float64)

    def shares(self, codes: IntVector, size: int, *, least: int = 1) -> FloatVector:
        """sum_i r_ik / r_i over the subjects with at least ``least`` ratings: per code k of
        ``size``, the subjects' shares of ratings coded k (``codes`` has one per rating).

        Whole counts per number of ratings r, each divided once by r: a code every rating
        took gets exactly the number of subjects, as chance agreement of 1 needs.
        """
        sizes = self.per_subject[self.subject]
        total = np.zeros(size)
        for r in np.flatnonzero(np.bincount(sizes, minlength=least)[least:]) + least:
            total += np.bincount(codes[sizes == r], minlength=size) / r
        return total


@dataclass(frozen=True, eq=False)
class Coincidences:
    """Krippendorff's tabulation of the pairable units (rated by two raters or more): the
    values seen in them, each value's total n_c and the coincidence matrix o, whose rows
    sum to n_c. Alpha at every level shares it: only the metric differs."""

    domain: FloatVector
    n_v: FloatVector
    o: FloatMatrix
    n_units: int


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
    def pairs(self) -> RatingPairs:
        """The ratings and their pairs, shared by every coefficient of a panel."""
        subject, _ = np.nonzero(~np.isnan(self.values))  # row-major: by subject
        value = self.values[~np.isnan(self.values)]
        domain, code = distinct_values(value)
        per_subject = np.bincount(subject, minlength=self.n_subjects)
        # Ratings of one subject are adjacent: pair each with the one d places on.
        firsts, seconds = [np.zeros(0, np.intp)], [np.zeros(0, np.intp)]
        for d in range(1, int(per_subject.max(initial=0))):
            first = np.flatnonzero(subject[d:] == subject[:-d])
            firsts.append(first)
            seconds.append(first + d)
        found = RatingPairs(
            subject, value, domain, code, per_subject, np.concatenate(firsts),
            np.concatenate(seconds),
        )  # fmt: skip
        for shared in vars(found).values():
            shared.setflags(write=False)  # shared by every coefficient: none may change it
        return found

    @cached_property
    def coincidences(self) -> Coincidences | None:
        """Krippendorff's o_ck = sum_u sum_{a != b} [x_ua = c][x_ub = k] / (m_u - 1), from
        the pairs; None when no unit is pairable."""
        p = self.pairs
        if not p.first.size:
            return None
        size = p.domain.size
        share = 1.0 / (p.per_subject[p.subject[p.first]] - 1)
        cells = p.code[p.first] * size + p.code[p.second]
        half = np.bincount(cells, weights=share, minlength=size * size).astype(np.float64)
        half = half.reshape(size, size)
        pairable = p.per_subject[p.subject] >= 2
        n_v = np.bincount(p.code[pairable], minlength=size).astype(np.float64)
        used = n_v > 0  # values seen only in unpairable units play no part
        o = (half + half.T)[np.ix_(used, used)]
        found = Coincidences(
            p.domain[used], n_v[used], o, int(np.count_nonzero(p.per_subject >= 2))
        )
        for shared in (found.domain, found.n_v, found.o):
            shared.setflags(write=False)
        return found

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
