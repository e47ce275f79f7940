"""Percent agreement: the share of rater pairs that agree, averaged over subjects.

Not chance-corrected (McHugh 2012), but the figure raters and readers understand first, and
the observed-agreement term p_a of Fleiss' kappa and Gwet's AC1 (Gwet 2014, ch. 2), which
is why the pair counting here is shared with :mod:`fleiss`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import stdtrit

from app.domain.reliability.data import FloatMatrix, RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable, Result

CI_METHOD = (
    "t interval (n-1 df) on the standard error of the mean over subjects, whose pair "
    "agreements are the independent units (as irrCAC::pa.coeff.raw)"
)


def category_codes(x: FloatMatrix) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Codes 0..q-1 of the scores and the q category values they stand for; NaN gets q.

    Integer scores in a modest range are coded by an offset (no sort), so the categories are
    every integer from the lowest to the highest score, used or not; other scores by a sort.
    Unused categories carry no probability in any coefficient computed from the codes.

    >>> codes, labels = category_codes(np.array([[3.0, 5.0, np.nan]]))
    >>> codes.tolist(), labels.tolist()
    ([[0, 2, 3]], [3.0, 4.0, 5.0])
    """
    missing = np.isnan(x)
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    shifted = x - lo
    shifted[missing] = 0.0
    if hi - lo <= 4 * x.size and bool((shifted == np.floor(shifted)).all()):
        labels = lo + np.arange(int(hi - lo) + 1, dtype=np.float64)
        codes = shifted.astype(np.intp)
    else:
        labels, inverse = np.unique(x[~missing], return_inverse=True)
        codes = np.zeros(x.shape, dtype=np.intp)
        codes[~missing] = inverse.ravel()
    codes[missing] = labels.size
    return codes, labels


def subject_agreement(
    m: RatingMatrix, within: float = 0
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.intp]]:
    """Per subject with at least 2 ratings, the share of its rater pairs within ``within``.

    Returns (shares of the subjects kept, mask of subjects kept, ratings per kept subject).
    A subject's share is sum_k n_ik (n_ik - 1) / (n_i (n_i - 1)) when ``within`` is 0
    (Fleiss 1971, his P_i). One pass over the pairs of ratings of a subject, however many
    raters the matrix has.

    >>> m = RatingMatrix.from_array([[1, 1, 2], [3, 3, 3], [1, np.nan, np.nan]])
    >>> shares, kept, n_i = subject_agreement(m)
    >>> shares.tolist(), kept.tolist(), n_i.tolist()
    ([0.3333333333333333, 1.0], [True, True, False], [3, 3])
    """
    p = m.pairs
    close = np.abs(p.value[p.second] - p.value[p.first]) <= within
    agree = p.subject_sums(close.astype(np.float64), of_pairs=True)
    kept = p.per_subject >= 2
    n_i = p.per_subject[kept]
    return agree[kept] / (n_i * (n_i - 1) / 2), kept, n_i


def percent_agreement(m: RatingMatrix, within: int = 0) -> Result:
    """Mean over subjects of the share of agreeing rater pairs (exact, or within ± ``within``).

    Subjects with fewer than 2 ratings have no pairs and are left out (counted in
    ``details``). Averaging per subject, not pooling pairs, weighs every subject equally
    whatever its number of raters, as Fleiss (1971) and Gwet (2014) do. The interval treats
    subjects as the sampled units: pairs within a subject are not independent, so a Wilson
    interval over pairs would be too narrow. With ``within`` = 1 two scores agree when they
    are at most one scale point apart.

    >>> m = RatingMatrix.from_array([[1, 1, 2], [3, 3, 3], [2, 4, 4], [0, 1, 2]])
    >>> round(percent_agreement(m).value, 4), round(percent_agreement(m, within=1).value, 4)
    (0.4167, 0.75)
    """
    if within < 0:
        raise ValueError("within must be a non-negative number of scale points")
    name = "percent_agreement" if within == 0 else f"percent_agreement_within{within}"
    if m.n_raters < 2:
        return NotApplicable(name, f"needs at least 2 raters; these data have {m.n_raters}")
    shares, _, n_i = subject_agreement(m, within)
    n = shares.size
    if n == 0:
        return NotApplicable(name, "no subject has ratings from 2 or more raters")
    value = float(shares.mean())
    details: dict[str, float | int | str] = {
        "n_subjects_used": n,
        "n_subjects_dropped": m.n_subjects - n,
        "n_pairs": int((n_i * (n_i - 1) // 2).sum()),
        "within": within,
    }
    if n < 2:
        return Estimate(name, value, None, "not available: a single subject", details=details)
    se = float(shares.std(ddof=1) / np.sqrt(n))
    half = float(stdtrit(n - 1, 0.975)) * se
    ci = (max(0.0, value - half), min(1.0, value + half))
    return Estimate(name, value, ci, CI_METHOD, se=se, details=details)
