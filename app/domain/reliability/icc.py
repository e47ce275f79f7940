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
"""

from __future__ import annotations

import numpy as np
from scipy.special import fdtrc, fdtri

from app.domain.reliability.data import RatingMatrix
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


def icc(m: RatingMatrix) -> dict[str, Result]:
    """All six ICC forms, keyed ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.

    Shrout & Fleiss (1979), Table 1 (6 targets x 4 judges) and their published values:

    >>> sf = RatingMatrix.from_array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
    ...                               [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> {name: round(r.value, 2) for name, r in icc(sf).items() if isinstance(r, Estimate)}
    {'ICC1': 0.17, 'ICC2': 0.29, 'ICC3': 0.71, 'ICC1k': 0.44, 'ICC2k': 0.62, 'ICC3k': 0.91}
    """
    # Raters as rows: per-subject means then add k long vectors instead of reducing n short
    # rows. Listwise deletion as RatingMatrix.complete_rows(), without relabelling subjects.
    xt = np.ascontiguousarray(m.values.T)
    complete = ~np.isnan(xt).any(axis=0)
    if not complete.all():
        xt = xt[:, complete]
    k, n = xt.shape
    dropped = m.n_subjects - n
    reason = None
    if k < 2:
        reason = f"needs at least 2 raters; these data have {k}"
    elif n < 2:
        reason = (
            f"needs at least 2 subjects scored by every rater; {n} of {m.n_subjects} are "
            "complete (ICC drops incomplete subjects listwise)"
        )
    elif xt.min() == xt.max():
        reason = "every score is identical: zero variance, so no share of it can be attributed"
    if reason is not None:
        return {name: NotApplicable(name, reason) for name in FORMS}

    # Two-way ANOVA without replication, each sum of squares from its own deviations so that
    # none is a difference of large numbers.
    grand = float(xt.mean())
    subj_dev = xt.mean(axis=0) - grand
    rater_dev = xt.mean(axis=1) - grand
    resid = xt - (subj_dev + grand)
    resid -= rater_dev[:, None]
    # einsum, not BLAS dot: a threaded BLAS stalls for milliseconds on a busy machine.
    ss_rows = k * float(np.einsum("i,i->", subj_dev, subj_dev))
    ss_cols = n * float(rater_dev @ rater_dev)
    ss_err = float(np.einsum("ij,ij->", resid, resid))
    # Rounding leaves ~1e-16 relative residue where a sum of squares is exactly 0 (perfect
    # agreement); flush it so that F is infinite there rather than 1e30.
    noise = 1e-12 * (ss_rows + ss_cols + ss_err)
    ss_rows, ss_cols, ss_err = (ss if ss > noise else 0.0 for ss in (ss_rows, ss_cols, ss_err))
    bms = ss_rows / (n - 1)  # between subjects
    wms = (ss_cols + ss_err) / (n * (k - 1))  # within subjects (one-way)
    jms = ss_cols / (k - 1)  # between raters (judges)
    ems = ss_err / ((n - 1) * (k - 1))  # residual

    # Estimates as ratios (numerator, denominator); the denominators estimate variances.
    ratios = {
        "ICC1": (bms - wms, bms + (k - 1) * wms),
        "ICC2": (bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC3": (bms - ems, bms + (k - 1) * ems),
        "ICC1k": (bms - wms, bms),
        "ICC2k": (bms - ems, bms + (jms - ems) / n),
        "ICC3k": (bms - ems, bms),
    }

    # F tests of Shrout & Fleiss; an error mean square of 0 makes F infinite (in the limit the
    # interval collapses on 1, which the forms below reach without dividing by zero).
    df1, df1d, df2d = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1 = bms / wms if wms > 0 else np.inf
    f2 = bms / ems if ems > 0 else np.inf
    f1_lo, f1_hi = f1 / fdtri(df1, df1d, _Q), f1 * fdtri(df1d, df1, _Q)
    f2_lo, f2_hi = f2 / fdtri(df1, df2d, _Q), f2 * fdtri(df2d, df1, _Q)

    # ICC(A,1): McGraw & Wong (1996) with Satterthwaite df v, in psych's algebra multiplied
    # through by EMS^2 so that EMS = 0 stays finite.
    r2_num, r2_den = ratios["ICC2"]
    # A denominator at rounding level of the mean squares is a zero one.
    tiny = 1e-12 * (bms + wms + jms + ems)
    r2 = r2_num / r2_den if r2_den > tiny else 0.0
    c = n * (1 + (k - 1) * r2) - k * r2
    a_term, b_term = k * r2 * jms, c * ems
    x = a_term + b_term
    x = 0.0 if abs(x) <= 1e-12 * (abs(a_term) + abs(b_term)) else x  # rounding residue
    vn = (k - 1) * (n - 1) * x**2
    vd = (n - 1) * a_term**2 + b_term**2
    v = vn / vd if vd > 0 else float(k - 1)
    fu, fl = fdtri(df1, v, _Q), fdtri(v, df1, _Q)
    spread = k * jms + (k * n - k - n) * ems
    with np.errstate(all="ignore"):  # limits at F = 0 or inf come out as inf or NaN
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
    # Spearman-Brown r k / (1 + (k - 1) r) has its pole at r = -1/(k-1); within 1e-6 of it
    # the stepped-up limit is below -1e6/k and at the mercy of rounding, as good as none.
    near_pole = bool(1 + (k - 1) * lo2 <= 1e-6)
    unavailable = "not available: the F quantiles are undefined for these mean squares"
    notes = dict.fromkeys(FORMS, unavailable)
    excluded = (
        "not available: the interval excludes the estimate, as the F approximation can when "
        f"its Satterthwaite df ({v:.3g}) is tiny (psych and pingouin print it anyway)"
    )
    if near_pole:
        notes["ICC2k"] = (
            "not available: the ICC2 lower limit is at (within 1e-6) or below -1/(k-1), the "
            "pole of the Spearman-Brown step-up (psych and pingouin print a reversed or "
            "unbounded interval here)"
        )
    tests = {"1": (f1, df1, df1d), "2": (f2, df1, df2d)}
    common: dict[str, float | int | str] = {
        "n_subjects_used": n,
        "n_subjects_dropped": dropped,
        "n_raters": k,
        "ms_subjects": bms,
        "ms_within": wms,
        "ms_raters": jms,
        "ms_error": ems,
    }

    out: dict[str, Result] = {}
    for name in FORMS:
        num, den = ratios[name]
        if not den > tiny:
            out[name] = NotApplicable(
                name,
                "the variance estimate in the denominator is not positive "
                f"(mean squares: subjects {bms:.4g}, raters {jms:.4g}, error {ems:.4g})",
            )
            continue
        f, d1, d2 = tests["1" if name.startswith("ICC1") else "2"]
        details = dict(common)
        details.update(mcgraw_wong=_MODELS[name][0], model=_MODELS[name][1])
        if np.isfinite(f):
            details["F"] = float(f)
        else:
            details["F_note"] = "infinite: the error mean square is zero"
        details.update(df1=d1, df2=d2, p=float(fdtrc(d1, d2, f)) if np.isfinite(f) else 0.0)
        if name.startswith("ICC2"):
            details["ci_df2_satterthwaite"] = float(v)
        value = num / den
        lo, hi = (float(b) for b in intervals[name])
        method = _CI_METHOD[name]
        ci: tuple[float, float] | None = (min(lo, hi), max(lo, hi))  # equal up to rounding
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi + 1e-9) or (
            name == "ICC2k" and near_pole
        ):
            ci, method = None, notes[name]
        elif not lo - 1e-9 <= value <= hi + 1e-9:
            ci, method = None, excluded
        out[name] = Estimate(name, value, ci, method, details=details)
    return out
