"""Rater quality: severity, calibration against master ratings, drift and straight-lining.

Every function takes long records, one score a row: ``sessions``, ``raters`` and ``scores``
columns and optionally ``items`` (then each (session, item) is a *unit*; without it each
session is one unit, scored for instance by the rater's session mean). A NaN score is an
item marked not applicable and takes no part. A rater scoring one unit twice is an error,
as in :meth:`RatingMatrix.from_long`.

**Severity.** For a rater's score x on a unit scored by m >= 2 raters, the *difference* is x
minus the mean of the *other* m - 1 raters of that unit; units with one rater give none.
Positive means the rater scores higher than their peers (lenient), negative lower (severe).
Against the mean of *all* m raters it would be (m - 1)/m times as large, which shrinks it
most where panels are smallest; against the others it is the plain paired difference when
m = 2. Adding c to every score of one rater moves that rater's differences by exactly c and
each co-rater's by -c/(m - 1) on the units they share, and the m differences of a unit
always sum to zero.

Items of one session are not independent (one rater, one recording, one sitting), so a
rater's differences are first averaged within each session, and the severity and its 95% CI
are the mean and the t interval (J - 1 df) of those J session means: each session counts
once, whatever its number of comparable items. The rater is flagged ``lenient`` or
``severe`` when that interval excludes zero; with one session there is no interval and no
flag.

**Calibration.** Against the master ratings of calibration sessions, per rater over the
(session, item) units both scored: ICC(A,1) (Shrout & Fleiss ICC(2,1): two-way random,
absolute agreement, single rater; the engine's ``ICC2``), Gwet's AC2 with quadratic weights
over the rubric's scale, and exact and within-one-point agreement. The rater is certified
when the ICC estimate is at least 0.75, within-one agreement at least 80% and at least 2
calibration sessions contributed (all three are :class:`CertificationRule` parameters).
Each (session, item) is a subject of the ICC: calibration asks whether this rater gives
*these* scores, item by item, so the item-level variance is the point.

**Drift.** See :func:`drift`. **Straight-lining.** See :func:`is_straight_lined`.

Everything is vectorised: integer codes from one factorisation per column, sums by
``bincount``, so a program's whole history (a million records) takes a fraction of a second.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import stdtrit  # no scipy stubs in the venv

from app.domain.reliability.agreement import percent_agreement
from app.domain.reliability.data import RatingMatrix, RatingsInputError
from app.domain.reliability.gwet import gwet_ac
from app.domain.reliability.icc import icc
from app.domain.reliability.results import NotApplicable, Result

Label: TypeAlias = str | int
Column: TypeAlias = Sequence[str] | Sequence[int] | NDArray[Any]
Scores: TypeAlias = Sequence[float] | NDArray[np.float64]
Dates: TypeAlias = Sequence[date] | NDArray[np.datetime64]
Flag = Literal["lenient", "severe"]
K = TypeVar("K")

Codes = NDArray[np.int64]
FloatVector = NDArray[np.float64]

SEVERITY_CI_METHOD = (
    "t interval (J-1 df) over the rater's J session means of the differences; items of a "
    "session are averaged first, so a session counts once"
)
ICC_FORM = "ICC2"  # the engine's key for ICC(A,1) = Shrout & Fleiss ICC(2,1)
# Rounding slack when comparing an estimate with its threshold, so that an ICC computed as
# 0.7499999999999999 for data whose exact ICC is 0.75 still passes.
_SLACK = 1e-9


# --- records -----------------------------------------------------------------


def _compact(code: Codes) -> tuple[Codes, Codes]:
    """The distinct non-negative ``code`` values in order, and each value's index among them.

    np.unique sorts (a tenth of a second for a million); when the codes span a range not
    much larger than their number a lookup table does the same in linear time.
    """
    top = int(code.max()) + 1 if code.size else 0
    if top > max(4 * code.size, 1 << 16):
        labels, inverse = np.unique(code, return_inverse=True)
        return labels.astype(np.int64), inverse.astype(np.int64).ravel()
    present = np.zeros(top, dtype=np.bool_)
    present[code] = True
    lookup = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64), lookup[code]


def _factorize(values: Column, what: str) -> tuple[list[Label], Codes]:
    """Labels in order and an integer code per value.

    numpy sorts strings slowly (0.5 s for a million); a dict gives their codes ten times
    faster, in order of first appearance. Integer ids (database keys) go through
    :func:`_compact`.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "biu":
        ints = values.astype(np.int64).ravel()
        low = int(ints.min()) if ints.size else 0
        labels, codes = _compact(ints - low)
        return list((labels + low).tolist()), codes
    index: dict[Any, int] = {}
    try:
        codes = np.fromiter(
            (index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values)
        )
    except TypeError as exc:
        raise RatingsInputError(f"{what} labels must be strings or integers ({exc})") from None
    return list(index), codes


@dataclass(frozen=True)
class _Records:
    """Long records as integer codes; ``unit`` is session x n_items + item."""

    scores: FloatVector
    session: Codes
    rater: Codes
    unit: Codes
    session_labels: list[Label]
    rater_labels: list[Label]


def _repeats(code: Codes) -> bool:
    """Whether a non-negative code occurs twice: by counting when the codes span a range
    not much larger than their number (linear), else by sorting."""
    if not code.size:
        return False
    if int(code.max()) < max(8 * code.size, 1 << 16):
        return bool(np.bincount(code).max() > 1)
    return bool((np.diff(np.sort(code)) == 0).any())  # an unstable sort is fastest


def _records(sessions: Column, raters: Column, scores: Scores, items: Column | None) -> _Records:
    x = np.asarray(scores, dtype=np.float64).ravel()
    lengths = {len(sessions), len(raters), x.size} | ({len(items)} if items is not None else set())
    if len(lengths) != 1:
        raise RatingsInputError("session, rater, score and item columns differ in length")
    if np.isinf(x).any():
        raise RatingsInputError("scores must be finite (NaN marks an item not applicable)")
    session_labels, session = _factorize(sessions, "session")
    rater_labels, rater = _factorize(raters, "rater")
    if items is None:
        unit = session
        item_label: list[Label] | None = None
    else:
        item_labels, item = _factorize(items, "item")
        unit = session * len(item_labels) + item
        item_label = item_labels
    cell = unit * max(len(rater_labels), 1) + rater
    if _repeats(cell):
        order = np.argsort(cell, kind="stable")
        repeated = np.flatnonzero(np.diff(cell[order]) == 0)
        row = int(order[repeated[0] + 1])
        where = f"session {session_labels[int(session[row])]!r}"
        if item_label is not None:
            where += f" on item {item_label[int(unit[row] % len(item_label))]!r}"
        raise RatingsInputError(
            f"rater {rater_labels[int(rater[row])]!r} scored {where} more than once", row
        )
    return _Records(x, session, rater, unit, session_labels, rater_labels)


def _differences(rec: _Records) -> FloatVector:
    scored = ~np.isnan(rec.scores)
    unit, x = rec.unit[scored], rec.scores[scored]
    n_units = int(rec.unit.max()) + 1 if rec.unit.size else 0
    total = np.bincount(unit, weights=x, minlength=n_units)
    count = np.bincount(unit, minlength=n_units)[unit]
    out = np.full(rec.scores.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):  # single-rater units: NaN below
        d = x - (total[unit] - x) / (count - 1)
    out[scored] = np.where(count >= 2, d, np.nan)
    return out


def differences(
    sessions: Column, raters: Column, scores: Scores, *, items: Column | None = None
) -> FloatVector:
    """Per record, the score minus the mean of the other raters of its unit (NaN if none).

    >>> differences(["s", "s", "s", "t"], ["a", "b", "c", "a"], [3, 2, 1, 4]).tolist()
    [1.5, 0.0, -1.5, nan]
    """
    return _differences(_records(sessions, raters, scores, items))


@dataclass(frozen=True)
class _Clusters:
    """One row per (rater, session) with a comparable unit: the rater's mean difference there."""

    rater: Codes
    mean: FloatVector
    units: Codes  # comparable units behind each mean
    inverse: Codes  # for each comparable record, its cluster
    rows: Codes  # the comparable records


def _clusters(rec: _Records, diff: FloatVector) -> _Clusters:
    rows = np.flatnonzero(~np.isnan(diff))
    n_sessions = len(rec.session_labels)
    code = rec.rater[rows] * n_sessions + rec.session[rows]
    labels, inverse = _compact(code)
    units = np.bincount(inverse, minlength=labels.size)
    mean = np.bincount(inverse, weights=diff[rows], minlength=labels.size) / units
    return _Clusters(labels // max(n_sessions, 1), mean, units, inverse, rows)


def _group_means(group: Codes, values: FloatVector, n_groups: int) -> tuple[Codes, FloatVector]:
    n = np.bincount(group, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(group, weights=values, minlength=n_groups) / n
    return n, mean


# --- severity ------------------------------------------------------------------


@dataclass(frozen=True)
class RaterSeverity:
    """A rater's mean difference from the other raters of the same units.

    ``mean_difference`` is the mean over ``n_sessions`` sessions of the rater's mean
    difference within each; ``flag`` is set only when the 95% CI excludes zero.
    """

    rater: Label
    mean_difference: float
    n_units: int
    n_sessions: int
    se: float | None
    ci95: tuple[float, float] | None
    flag: Flag | None
    ci_method: str = SEVERITY_CI_METHOD


def severity(
    sessions: Column, raters: Column, scores: Scores, *, items: Column | None = None
) -> dict[Label, RaterSeverity]:
    """Severity or leniency of every rater who shared at least one unit with another rater.

    Raters who never did have no severity and are absent from the result.

    >>> s = severity(["s1", "s1", "s2", "s2"], ["a", "b", "a", "b"], [4, 2, 5, 4])
    >>> s["a"].mean_difference, s["a"].n_sessions, s["b"].mean_difference
    (1.5, 2, -1.5)
    """
    rec = _records(sessions, raters, scores, items)
    diff = _differences(rec)
    cl = _clusters(rec, diff)
    n_raters = len(rec.rater_labels)
    n_sessions, mean = _group_means(cl.rater, cl.mean, n_raters)
    n_units = np.bincount(rec.rater[cl.rows], minlength=n_raters)
    dev = cl.mean - mean[cl.rater]
    ss = np.bincount(cl.rater, weights=dev * dev, minlength=n_raters)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss / (n_sessions - 1) / n_sessions)
        half = stdtrit(np.maximum(n_sessions - 1, 1), 0.975) * se

    out: dict[Label, RaterSeverity] = {}
    for r in np.flatnonzero(n_sessions > 0).tolist():
        value = float(mean[r])
        ci: tuple[float, float] | None = None
        flag: Flag | None = None
        rater_se: float | None = None
        if n_sessions[r] >= 2:
            rater_se = float(se[r])
            ci = (value - float(half[r]), value + float(half[r]))
            flag = "lenient" if ci[0] > 0 else "severe" if ci[1] < 0 else None
        label = rec.rater_labels[r]
        out[label] = RaterSeverity(
            label, value, int(n_units[r]), int(n_sessions[r]), rater_se, ci, flag
        )
    return out


# --- calibration against master ratings -----------------------------------------


@dataclass(frozen=True)
class CertificationRule:
    """When a rater's agreement with the master ratings is good enough to certify them.

    The ICC threshold applies to the point estimate, as the issue states it; 0.75 is the
    lower bound of Koo & Li's (2016) "good".
    """

    icc_min: float = 0.75
    within1_min: float = 0.80
    min_sessions: int = 2


DEFAULT_RULE = CertificationRule()


@dataclass(frozen=True)
class Calibration:
    """One rater against the master over the (session, item) units both scored.

    ``icc`` is ICC(A,1) (Shrout & Fleiss ICC(2,1)); ``ac2`` Gwet's AC2 with quadratic
    weights over the scale; ``exact`` and ``within1`` the shares of units scored identically
    and at most one point apart. ``reasons`` says why the rater is not certified (empty when
    they are).
    """

    rater: Label
    n_sessions: int
    n_units: int
    icc: Result
    ac2: Result
    exact: Result
    within1: Result
    certified: bool
    reasons: tuple[str, ...]


def _no_units(name: str) -> NotApplicable:
    return NotApplicable(name, "no unit was scored by both the rater and the master")


def _certify(
    n_sessions: int, icc_result: Result, within1: Result, rule: CertificationRule
) -> tuple[str, ...]:
    reasons: list[str] = []
    if n_sessions < rule.min_sessions:
        reasons.append(
            f"calibrated on {n_sessions} session(s); certification needs at least "
            f"{rule.min_sessions}"
        )
    if isinstance(icc_result, NotApplicable):
        reasons.append(f"ICC(A,1) is undefined: {icc_result.reason}")
    elif icc_result.value < rule.icc_min - _SLACK:
        reasons.append(f"ICC(A,1) {icc_result.value:.3f} is below {rule.icc_min:g}")
    if isinstance(within1, NotApplicable):
        reasons.append(f"±1 agreement is undefined: {within1.reason}")
    elif within1.value < rule.within1_min - _SLACK:
        reasons.append(f"±1 agreement {within1.value:.1%} is below {rule.within1_min:.0%}")
    return tuple(reasons)


def calibration(
    sessions: Column,
    raters: Column,
    scores: Scores,
    *,
    master: Label,
    scale: tuple[int, int],
    items: Column | None = None,
    rule: CertificationRule = DEFAULT_RULE,
) -> dict[Label, Calibration]:
    """Every rater other than ``master`` against the master's scores on the same units.

    The master's records are the reference; a rater appears even with no unit in common
    with the master (then not certified, saying so). ``scale`` is the rubric's (min, max):
    AC2's weights and chance agreement depend on unused scale points too.
    """
    rec = _records(sessions, raters, scores, items)
    if master not in rec.rater_labels:
        raise RatingsInputError(f"no ratings by the master rater {master!r}")
    master_code = rec.rater_labels.index(master)
    scored = ~np.isnan(rec.scores)
    n_units = int(rec.unit.max()) + 1
    reference = np.full(n_units, np.nan)
    is_master = rec.rater == master_code
    reference[rec.unit[is_master & scored]] = rec.scores[is_master & scored]
    paired = np.flatnonzero(scored & ~is_master & ~np.isnan(reference[rec.unit]))
    order = paired[np.argsort(rec.rater[paired], kind="stable")]
    bounds = np.searchsorted(rec.rater[order], np.arange(len(rec.rater_labels) + 1))

    out: dict[Label, Calibration] = {}
    for r, label in enumerate(rec.rater_labels):
        if r == master_code:
            continue
        rows = order[bounds[r] : bounds[r + 1]]
        n_sessions = int(np.unique(rec.session[rows]).size)
        if rows.size == 0:
            results: tuple[Result, ...] = tuple(
                _no_units(name)
                for name in (
                    ICC_FORM,
                    "gwet_ac2_quadratic",
                    "percent_agreement",
                    "percent_agreement_within1",
                )
            )
        else:
            m = RatingMatrix.from_array(
                np.column_stack([rec.scores[rows], reference[rec.unit[rows]]]), scale=scale
            )
            results = (
                icc(m)[ICC_FORM],
                gwet_ac(m, "quadratic"),
                percent_agreement(m),
                percent_agreement(m, within=1),
            )
        icc_result, ac2, exact, within1 = results
        reasons = _certify(n_sessions, icc_result, within1, rule)
        out[label] = Calibration(
            label,
            n_sessions,
            int(rows.size),
            icc_result,
            ac2,
            exact,
            within1,
            not reasons,
            reasons,
        )
    return out


def certified_raters(calibrations: Mapping[Label, Calibration]) -> frozenset[Label]:
    """The raters whose ratings reports show unmarked; anyone else's are marked uncertified."""
    return frozenset(label for label, c in calibrations.items() if c.certified)


# --- drift ----------------------------------------------------------------------


@dataclass(frozen=True)
class DriftRule:
    """Rolling windows of ``window_days`` every ``step_days``, and when a window is flagged.

    ``baseline`` "first" compares each window with the rater's first window holding at least
    ``min_sessions`` sessions (their own starting level: drift is change, and a rater who
    was always severe is already reported by :func:`severity`); "overall" with the rater's
    severity over their whole history.
    """

    window_days: int = 90
    step_days: int = 30
    threshold: float = 0.5
    min_sessions: int = 3
    baseline: Literal["first", "overall"] = "first"

    def __post_init__(self) -> None:
        if self.window_days < 1 or self.step_days < 1:
            raise ValueError("window_days and step_days must be positive")
        if self.min_sessions < 1:
            raise ValueError("min_sessions must be at least 1")
        if not self.threshold >= 0:
            raise ValueError("threshold must be a non-negative number of scale points")


DEFAULT_DRIFT = DriftRule()


@dataclass(frozen=True)
class DriftWindow:
    """The rater's severity over the sessions they rated in [start, end) (end exclusive)."""

    start: date
    end: date
    n_sessions: int
    severity: float
    departure: float | None  # severity - baseline; None while there is no baseline
    flagged: bool


@dataclass(frozen=True)
class RaterDrift:
    rater: Label
    baseline: float | None
    windows: tuple[DriftWindow, ...]

    @property
    def flagged(self) -> bool:
        return any(w.flagged for w in self.windows)


def drift(
    sessions: Column,
    raters: Column,
    scores: Scores,
    dates: Dates,
    *,
    items: Column | None = None,
    rule: DriftRule = DEFAULT_DRIFT,
    origin: date | None = None,
) -> dict[Label, RaterDrift]:
    """Each rater's severity in rolling windows of time, flagged where it moved too far.

    Exactly: a rater's session means of the differences (as in :func:`severity`) are dated
    by the rater's earliest record in that session (``dates`` is per record: when the rating
    was made). Window k covers the days [origin + k * step, origin + k * step + width), with
    ``origin`` by default the earliest date in the data, so windows are the same calendar
    periods for every rater; k runs from 0 to the last date. A window's severity is the mean
    of the session means dated inside it. Its departure is that severity minus the baseline
    (see :class:`DriftRule`), and it is flagged when it holds at least ``min_sessions``
    sessions and |departure| > ``threshold``. Only windows in which the rater rated a
    comparable session are listed.
    """
    rec = _records(sessions, raters, scores, items)
    day_values = np.asarray(dates, dtype="datetime64[D]").ravel()
    if day_values.size != rec.scores.size:
        raise RatingsInputError("the date column differs in length from the others")
    if np.isnat(day_values).any():
        raise RatingsInputError("every record needs a date")
    diff = _differences(rec)
    cl = _clusters(rec, diff)
    if cl.rows.size == 0:
        return {}
    start = np.datetime64(origin, "D") if origin is not None else day_values.min()
    if day_values.min() < start:
        raise ValueError(f"origin {origin} is after the earliest date {day_values.min()}")
    days = (day_values - start).astype(np.int64)
    cl_day = np.full(cl.mean.size, np.iinfo(np.int64).max)
    np.minimum.at(cl_day, cl.inverse, days[cl.rows])

    width, step = rule.window_days, rule.step_days
    n_windows = int(cl_day.max()) // step + 1
    n_raters = len(rec.rater_labels)
    groups: list[Codes] = []
    members: list[Codes] = []
    for back in range(-(-width // step)):  # the windows that contain each day
        k = cl_day // step - back
        inside = np.flatnonzero((k >= 0) & (cl_day < k * step + width))
        groups.append(cl.rater[inside] * n_windows + k[inside])
        members.append(inside)
    group, member = np.concatenate(groups), np.concatenate(members)
    count, mean = _group_means(group, cl.mean[member], n_raters * n_windows)
    count, mean = count.reshape(n_raters, n_windows), mean.reshape(n_raters, n_windows)
    _, overall = _group_means(cl.rater, cl.mean, n_raters)
    origin_date: date = start.astype(object)

    out: dict[Label, RaterDrift] = {}
    for r in np.unique(cl.rater).tolist():
        enough = np.flatnonzero(count[r] >= rule.min_sessions)
        baseline: float | None
        if rule.baseline == "overall":
            baseline = float(overall[r])
        else:
            baseline = float(mean[r, enough[0]]) if enough.size else None
        windows = []
        for w in np.flatnonzero(count[r] > 0).tolist():
            value = float(mean[r, w])
            departure = None if baseline is None else value - baseline
            flagged = (
                departure is not None
                and count[r, w] >= rule.min_sessions
                and abs(departure) > rule.threshold
            )
            first = origin_date + timedelta(days=w * step)
            windows.append(
                DriftWindow(
                    first,
                    first + timedelta(days=width),
                    int(count[r, w]),
                    value,
                    departure,
                    bool(flagged),
                )
            )
        label = rec.rater_labels[r]
        out[label] = RaterDrift(label, baseline, tuple(windows))
    return out


# --- straight-lining -------------------------------------------------------------------


def is_straight_lined(scores: Iterable[float | None], min_items: int = 5) -> bool:
    """True when every applicable score of one rating is the same and there are enough.

    None and NaN mark items not applicable and are skipped. With fewer than ``min_items``
    applicable scores identical ones are plausible (a short rating of a good session), so
    they are not flagged.

    >>> is_straight_lined([3, 3, None, 3, 3, 3]), is_straight_lined([3, 3, 3, 3])
    (True, False)
    """
    if min_items < 1:
        raise ValueError("min_items must be at least 1")
    applicable = [s for s in scores if s is not None and not math.isnan(s)]
    return len(applicable) >= min_items and len(set(applicable)) == 1


def straight_lined(ratings: Mapping[K, Iterable[float | None]], min_items: int = 5) -> list[K]:
    """The ids of the ratings (id -> item scores) that are straight-lined, in input order."""
    return [rid for rid, scores in ratings.items() if is_straight_lined(scores, min_items)]


def straight_lined_ratings(
    rating: Codes, scores: Scores, n_ratings: int, min_items: int = 5
) -> NDArray[np.bool_]:
    """:func:`is_straight_lined` for many ratings at once, from long records.

    ``rating`` gives each score's rating as a code 0..n_ratings-1; the result says, per
    code, whether that rating is straight-lined. NaN scores are skipped.

    >>> straight_lined_ratings(np.array([0] * 5 + [1] * 5), [3] * 9 + [4], 3).tolist()
    [True, False, False]
    """
    if min_items < 1:
        raise ValueError("min_items must be at least 1")
    x = np.asarray(scores, dtype=np.float64).ravel()
    codes = np.asarray(rating, dtype=np.int64).ravel()
    if codes.size != x.size:
        raise RatingsInputError("rating and score columns differ in length")
    applicable = ~np.isnan(x)
    codes, x = codes[applicable], x[applicable]
    count = np.bincount(codes, minlength=n_ratings)
    low = np.full(n_ratings, np.inf)
    high = np.full(n_ratings, -np.inf)
    np.minimum.at(low, codes, x)
    np.maximum.at(high, codes, x)
    return np.asarray((count >= min_items) & (low == high), dtype=np.bool_)


__all__ = [
    "DEFAULT_DRIFT",
    "DEFAULT_RULE",
    "Calibration",
    "CertificationRule",
    "DriftRule",
    "DriftWindow",
    "RaterDrift",
    "RaterSeverity",
    "calibration",
    "certified_raters",
    "differences",
    "drift",
    "is_straight_lined",
    "severity",
    "straight_lined",
    "straight_lined_ratings",
]
