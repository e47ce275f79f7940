"""Intraclass correlations: the six Shrout & Fleiss (1979) / McGraw & Wong (1996) forms.

All six come from the mean squares of one two-way subjects x raters ANOVA without
replication, so they are computed together. Names follow psych::ICC and pingouin (whose 0.7
labels are ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k)):

=====  ========  ============================  ======================================
name   McGraw    model                         estimate from the mean squares
=====  ========  ============================  ======================================
ICC1   ICC(1)    one-way random, agreement     (BMS-WMS) / (BMS+(k-1)WMS)
ICC2   ICC(A,1)  two-way random, agreement     (BMS-EMS) / (BMS+(k-1)EMS+k(JMS-EMS)/n)
ICC3   ICC(C,1)  two-way mixed, consistency    (BMS-EMS) / (BMS+(k-1)EMS)
ICC1k  ICC(k)    mean of k raters, as ICC1     (BMS-WMS) / BMS
ICC2k  ICC(A,k)  mean of k raters, as ICC2     (BMS-EMS) / (BMS+(JMS-EMS)/n)
ICC3k  ICC(C,k)  mean of k raters, as ICC3     (BMS-EMS) / BMS
=====  ========  ============================  ======================================

BMS, WMS, JMS and EMS are the between-subjects, within-subjects, between-raters and residual
mean squares of n subjects and k raters (Shrout & Fleiss 1979).

The 95% intervals are those of psych::ICC (Revelle), which pingouin ports line for line:
the exact F intervals of Shrout & Fleiss (1979) for ICC1, ICC3, ICC1k and ICC3k; for ICC2
McGraw & Wong's (1996) interval on an F with Satterthwaite denominator df; and for ICC2k the
ICC2 limits stepped up by Spearman-Brown, L*k/(1+(k-1)L). R's irr::icc instead computes
the Satterthwaite df from the ICC(A,k) estimate and applies McGraw & Wong's average-measure
bounds directly, so its ICC(A,k) interval differs slightly; irr also doubles every p-value
(two-sided) and reports the Satterthwaite df as df2 for ICC(A,1) and ICC(A,k). We follow
psych: F, df1, df2 and the one-sided p of the Shrout & Fleiss F tests (the Satterthwaite df
of the ICC2 interval is in ``details`` as ``ci_df2_satterthwaite``), from the ANOVA mean
squares as pingouin and psych's ``lmer = FALSE`` path do (recent psych by default rebuilds
the mean squares from lme4 variance components, which agree on complete data as long as no
component is estimated at zero). pingouin rounds its intervals to two decimals unless its
rounding option is switched off.

ICC needs every rater on every subject: incomplete subjects are dropped listwise (as psych
and pingouin do) and counted in ``details``. A form whose denominator (an estimate of the
total variance it is a share of) is not positive is NotApplicable rather than a meaningless
ratio; psych would print one, such as ICC2k = 9 when EMS > n*BMS + JMS. Likewise an interval
that psych would print reversed or unbounded (ICC2k when the ICC2 lower limit is at or below
-1/(k-1), the pole of the Spearman-Brown step-up) or that excludes its own estimate (ICC2
when the Satterthwaite df is tiny) is withheld: ``ci95`` is None and ``ci_method`` says why.

``icc_blocks`` gives one form for each of many matrices stacked as blocks of rows (one per
trainee of a program, say) in one pass, since for small matrices a call's overhead outweighs
its arithmetic: the mean squares come from per-block reductions, and everything after them is
array-valued over the blocks, the same code that ``icc`` runs on its single block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import fdtrc, fdtri

from app.domain.reliability.data import (
    FloatMatrix,
    FloatVector,
    IntVector,
    RatingMatrix,
    RatingsInputError,
)
from app.domain.reliability.results import Estimate, NotApplicable, Result

FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
_MODELS = {
    "ICC1": ("ICC(1)", "one-way random effects, absolute agreement, single rater"),
    "ICC2": ("ICC(A,1)", "two-way random effects, absolute agreement, single rater"),
    "ICC3": ("ICC(C,1)", "two-way mixed effects, consistency, single rater"),
    "ICC1k": ("ICC(k)", "one-way random effects, absolute agreement, mean of k raters"),
    "ICC2k": ("ICC(A,k)", "two-way random effects, absolute agreement, mean of k raters"),
    "ICC3k": ("ICC(C,k)", "two-way mixed effects, consistency, mean of k raters"),
}
_CI_F = "F distribution (Shrout & Fleiss 1979; McGraw & Wong 1996), as psych::ICC"
_CI_METHOD = {
    "ICC1": _CI_F,
    "ICC3": _CI_F,
    "ICC1k": _CI_F,
    "ICC3k": _CI_F,
    "ICC2": _CI_F + "; Satterthwaite denominator df",
    "ICC2k": _CI_F + "; ICC2 limits stepped up by Spearman-Brown (irr::icc differs slightly)",
}
_Q = 0.975  # upper quantile of a two-sided 95% interval
_UNAVAILABLE = "not available: the F quantiles are undefined for these mean squares"
_NEAR_POLE = (
    "not available: the ICC2 lower limit is at (within 1e-6) or below -1/(k-1), the pole of "
    "the Spearman-Brown step-up (psych and pingouin print a reversed or unbounded interval "
    "here)"
)


def icc(m: RatingMatrix) -> dict[str, Result]:
    """All six ICC forms, keyed ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.

    Shrout & Fleiss (1979), Table 1 (6 targets x 4 judges) and their published values:

    >>> sf = RatingMatrix.from_array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                               [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> {name: round(r.value, 2) for name, r in icc(sf).items() if isinstance(r, Estimate)}
    {'ICC1': 0.17, 'ICC2': 0.29, 'ICC3': 0.71, 'ICC1k': 0.44, 'ICC2k': 0.62, 'ICC3k': 0.91}
    """
    by_form = _icc(m.values, np.array([0, m.n_subjects]), FORMS)
    return {name: results[0] for name, results in by_form.items()}


def icc_blocks(
    values: FloatMatrix, bounds: Sequence[int] | IntVector, form: str = "ICC2k"
) -> list[Result]:
    """``form`` of each block of rows ``values[bounds[b]:bounds[b + 1]]``, as ``icc`` gives
    it for that block alone (incomplete rows dropped listwise within their block).

    ``bounds`` ascends from 0 to the number of rows; an empty block is NotApplicable.

    >>> values = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...                    [10, 5, 6, 9], [6, 2, 4, 7], [3, 3, 3, 3], [3, 3, 3, 3]], float)
    >>> table_1, constant, empty = icc_blocks(values, [0, 6, 8, 8])
    >>> round(table_1.value, 2), table_1 == icc(RatingMatrix.from_array(values[:6]))["ICC2k"]
    (0.62, True)
    >>> constant.reason
    'every score is identical: zero variance, so no share of it can be attributed'
    >>> empty.reason  # doctest: +ELLIPSIS
    'needs at least 2 subjects scored by every rater; 0 of 0 are complete...'
    """
    edges = np.asarray(bounds, dtype=np.intp)
    if values.ndim != 2:
        raise RatingsInputError("ratings must form a subjects x raters matrix")
    if (
        edges.ndim != 1
        or edges.size == 0
        or edges[0] != 0
        or edges[-1] != values.shape[0]
        or bool((np.diff(edges) < 0).any())
    ):
        raise RatingsInputError("block bounds must ascend from 0 to the number of rows")
    if form not in FORMS:
        raise ValueError(f"unknown ICC form {form!r}; expected one of {', '.join(FORMS)}")
    return _icc(values, edges, (form,))[form]


@dataclass(frozen=True)
class _Anova:
    """Per block, the two-way subjects x raters ANOVA every form is computed from."""

    k: int  # raters
    n: IntVector  # complete subjects
    dropped: IntVector  # incomplete subjects, dropped listwise
    bms: FloatVector  # between subjects
    wms: FloatVector  # within subjects (one-way)
    jms: FloatVector  # between raters (judges)
    ems: FloatVector  # residual


def _icc(values: FloatMatrix, bounds: IntVector, names: Sequence[str]) -> dict[str, list[Result]]:
    """The forms ``names`` of every block, each a list in block order."""
    sizes = np.diff(bounds)
    k = values.shape[1]
    if k < 2:
        lone = f"needs at least 2 raters; these data have {k}"
        return {name: [NotApplicable(name, lone) for _ in range(sizes.size)] for name in names}
    # Raters as rows: per-subject sums then add k long vectors instead of reducing many short
    # rows. Listwise deletion as RatingMatrix.complete_rows(), without relabelling subjects.
    xt = np.ascontiguousarray(values.T)
    missing = np.isnan(xt).any(axis=0)
    incomplete = np.flatnonzero(missing)
    if incomplete.size:
        xt = xt.compress(~missing, axis=1)
    edges = bounds - np.searchsorted(incomplete, bounds)  # the bounds in the complete rows
    n = np.diff(edges)
    # Blocks with no complete row have no segment of their own for reduceat.
    filled = n > 0
    constant = np.zeros(sizes.size, dtype=bool)
    starts = edges[:-1][filled]
    if starts.size:
        low = np.minimum.reduceat(xt.min(axis=0), starts)
        constant[filled] = low == np.maximum.reduceat(xt.max(axis=0), starts)
    usable = (n >= 2) & ~constant
    reasons: list[str | None] = [None] * sizes.size
    for b in np.flatnonzero(~usable).tolist():
        reasons[b] = (
            f"needs at least 2 subjects scored by every rater; {n[b]} of {sizes[b]} are "
            "complete (ICC drops incomplete subjects listwise)"
            if n[b] < 2
            else "every score is identical: zero variance, so no share of it can be attributed"
        )
    if not usable.all():
        xt = xt.compress(np.repeat(usable, n), axis=1)
    by_form = _forms(_anova(xt, n[usable], (sizes - n)[usable]), names)
    out: dict[str, list[Result]] = {}
    for name in names:
        estimates = iter(by_form[name])
        out[name] = [
            next(estimates) if reason is None else NotApplicable(name, reason) for reason in reasons
        ]
    return out


def _anova(xt: FloatMatrix, n: IntVector, dropped: IntVector) -> _Anova:
    """Mean squares of blocks of ``n[b]`` consecutive columns (subjects) of ``xt``, raters
    by subjects, each block at least two subjects and not constant."""
    k = xt.shape[0]
    starts = np.cumsum(n) - n
    # Two-way ANOVA without replication, each sum of squares from its own deviations so that
    # none is a difference of large numbers.
    subj_sum = xt.sum(axis=0)
    grand = np.add.reduceat(subj_sum, starts) / (k * n)
    grand_of_subject = np.repeat(grand, n)
    subj_dev = subj_sum / k - grand_of_subject
    rater_dev = np.add.reduceat(xt, starts, axis=1) / n - grand
    resid = xt - (subj_dev + grand_of_subject)
    resid -= np.repeat(rater_dev, n, axis=1)
    # einsum, not BLAS dot: a threaded BLAS stalls for milliseconds on a busy machine.
    ss_rows = k * np.add.reduceat(subj_dev * subj_dev, starts)
    ss_cols = n * np.einsum("ib,ib->b", rater_dev, rater_dev)
    ss_err = np.add.reduceat(np.einsum("ij,ij->j", resid, resid), starts)
    # Rounding leaves ~1e-16 relative residue where a sum of squares is exactly 0 (perfect
    # agreement); flush it so that F is infinite there rather than 1e30.
    noise = 1e-12 * (ss_rows + ss_cols + ss_err)
    ss_rows, ss_cols, ss_err = (np.where(ss > noise, ss, 0.0) for ss in (ss_rows, ss_cols, ss_err))
    return _Anova(
        k,
        n,
        dropped,
        bms=ss_rows / (n - 1),
        wms=(ss_cols + ss_err) / (n * (k - 1)),
        jms=ss_cols / (k - 1),
        ems=ss_err / ((n - 1) * (k - 1)),
    )


def _forms(a: _Anova, names: Sequence[str]) -> dict[str, list[Result]]:
    """The forms ``names`` from each block's mean squares, each a list in block order."""
    k, n, bms, wms, jms, ems = a.k, a.n, a.bms, a.wms, a.jms, a.ems
    # Every block evaluates both sides of each guard below and keeps one, so the side it
    # drops may divide by zero harmlessly; limits at F = 0 or inf come out as inf or NaN.
    with np.errstate(all="ignore"):
        # Estimates as ratios (numerator, denominator); the denominators estimate variances.
        ratios = {
            "ICC1": (bms - wms, bms + (k - 1) * wms),
            "ICC2": (bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
            "ICC3": (bms - ems, bms + (k - 1) * ems),
            "ICC1k": (bms - wms, bms),
            "ICC2k": (bms - ems, bms + (jms - ems) / n),
            "ICC3k": (bms - ems, bms),
        }

        # F tests of Shrout & Fleiss; an error mean square of 0 makes F infinite (in the
        # limit the interval collapses on 1, which the forms below reach without dividing
        # by zero).
        df1, df1d, df2d = n - 1, n * (k - 1), (n - 1) * (k - 1)
        f1 = np.where(wms > 0, bms / wms, np.inf)
        f2 = np.where(ems > 0, bms / ems, np.inf)
        f1_lo, f1_hi = f1 / fdtri(df1, df1d, _Q), f1 * fdtri(df1d, df1, _Q)
        f2_lo, f2_hi = f2 / fdtri(df1, df2d, _Q), f2 * fdtri(df2d, df1, _Q)

        # ICC(A,1): McGraw & Wong (1996) with Satterthwaite df v, in psych's algebra
        # multiplied through by EMS^2 so that EMS = 0 stays finite.
        r2_num, r2_den = ratios["ICC2"]
        # A denominator at rounding level of the mean squares is a zero one.
        tiny = 1e-12 * (bms + wms + jms + ems)
        r2 = np.where(r2_den > tiny, r2_num / r2_den, 0.0)
        c = n * (1 + (k - 1) * r2) - k * r2
        a_term, b_term = k * r2 * jms, c * ems
        x = a_term + b_term
        x[np.abs(x) <= 1e-12 * (np.abs(a_term) + np.abs(b_term))] = 0.0  # rounding residue
        vn = (k - 1) * (n - 1) * x**2
        vd = (n - 1) * a_term**2 + b_term**2
        v = np.where(vd > 0, vn / vd, float(k - 1))
        fu, fl = fdtri(df1, v, _Q), fdtri(v, df1, _Q)
        spread = k * jms + (k * n - k - n) * ems
        lo2 = n * (bms - fu * ems) / (fu * spread + n * bms)
        hi2 = n * (fl * bms - ems) / (spread + n * fl * bms)
        intervals = {
            # (F-1)/(F+k-1) as 1 - k/(F+k-1) and 1 - 1/F both survive F = inf.
            "ICC1": (1 - k / (f1_lo + k - 1), 1 - k / (f1_hi + k - 1)),
            "ICC2": (lo2, hi2),
            "ICC3": (1 - k / (f2_lo + k - 1), 1 - k / (f2_hi + k - 1)),
            "ICC1k": (1 - 1 / f1_lo, 1 - 1 / f1_hi),
            "ICC2k": (lo2 * k / (1 + (k - 1) * lo2), hi2 * k / (1 + (k - 1) * hi2)),
            "ICC3k": (1 - 1 / f2_lo, 1 - 1 / f2_hi),
        }
        p1 = np.where(np.isfinite(f1), fdtrc(df1, df1d, f1), 0.0)
        p2 = np.where(np.isfinite(f2), fdtrc(df1, df2d, f2), 0.0)
        # Rows are the forms asked for: one array operation per step serves them all.
        num = np.array([ratios[name][0] for name in names])
        den = np.array([ratios[name][1] for name in names])
        lo = np.array([intervals[name][0] for name in names])
        hi = np.array([intervals[name][1] for name in names])
        value = num / den
    defined = (den > tiny).tolist()
    estimate = value.tolist()
    low, high = np.minimum(lo, hi).tolist(), np.maximum(lo, hi).tolist()  # equal up to rounding
    ci_shown = (np.isfinite(lo) & np.isfinite(hi) & (lo <= hi + 1e-9)).tolist()
    covers = ((lo - 1e-9 <= value) & (value <= hi + 1e-9)).tolist()
    # Spearman-Brown r k / (1 + (k - 1) r) has its pole at r = -1/(k-1); within 1e-6 of it
    # the stepped-up limit is below -1e6/k and at the mercy of rounding, as good as none.
    near_pole = (1 + (k - 1) * lo2 <= 1e-6).tolist()
    tests = {
        "1": (f1.tolist(), df1.tolist(), df1d.tolist(), p1.tolist()),
        "2": (f2.tolist(), df1.tolist(), df2d.tolist(), p2.tolist()),
    }

    # The loop over blocks only assembles results, from Python lists of the arrays' values.
    used, dropped, satterthwaite = n.tolist(), a.dropped.tolist(), v.tolist()
    bms_, wms_, jms_, ems_ = bms.tolist(), wms.tolist(), jms.tolist(), ems.tolist()
    out: dict[str, list[Result]] = {}
    for i, name in enumerate(names):
        f, d1, d2, p = tests["1" if name.startswith("ICC1") else "2"]
        mcgraw_wong, model = _MODELS[name]
        two_way, stepped_up = name.startswith("ICC2"), name == "ICC2k"
        results: list[Result] = []
        for b, ok in enumerate(defined[i]):
            if not ok:
                results.append(
                    NotApplicable(
                        name,
                        "the variance estimate in the denominator is not positive (mean "
                        f"squares: subjects {bms_[b]:.4g}, raters {jms_[b]:.4g}, error "
                        f"{ems_[b]:.4g})",
                    )
                )
                continue
            details: dict[str, float | int | str] = {
                "n_subjects_used": used[b],
                "n_subjects_dropped": dropped[b],
                "n_raters": k,
                "ms_subjects": bms_[b],
                "ms_within": wms_[b],
                "ms_raters": jms_[b],
                "ms_error": ems_[b],
                "mcgraw_wong": mcgraw_wong,
                "model": model,
            }
            if math.isfinite(f[b]):
                details["F"] = f[b]
            else:
                details["F_note"] = "infinite: the error mean square is zero"
            details["df1"], details["df2"], details["p"] = d1[b], d2[b], p[b]
            if two_way:
                details["ci_df2_satterthwaite"] = satterthwaite[b]
            ci: tuple[float, float] | None = (low[i][b], high[i][b])
            method = _CI_METHOD[name]
            if stepped_up and near_pole[b]:
                ci, method = None, _NEAR_POLE
            elif not ci_shown[i][b]:
                ci, method = None, _UNAVAILABLE
            elif not covers[i][b]:
                ci = None
                method = (
                    "not available: the interval excludes the estimate, as the F approximation "
                    f"can when its Satterthwaite df ({satterthwaite[b]:.3g}) is tiny (psych and "
                    "pingouin print it anyway)"
                )
            results.append(Estimate(name, estimate[i][b], ci, method, details=details))
        out[name] = results
    return out
