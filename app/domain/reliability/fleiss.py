"""Fleiss' kappa: chance-corrected agreement of many raters on nominal categories.

Fleiss (1971) assumes every subject has the same number m of ratings. With missing ratings
we use the generalisation of Gwet (2014, ch. 2; irrCAC::fleiss.kappa.raw) over the subjects
with at least 2 ratings, each with its own n_i:

    p_a = mean_i sum_k n_ik (n_ik - 1) / (n_i (n_i - 1))      (observed pair agreement)
    pi_k = mean_i n_ik / n_i,  p_e = sum_k pi_k^2              (chance agreement)
    kappa = (p_a - p_e) / (1 - p_e)

With equal n_i this is exactly Fleiss (1971), which is what statsmodels' ``fleiss_kappa``
computes (it asserts complete data). irrCAC keeps subjects with a single rating in pi_k;
we leave them out of both terms so that p_a and p_e describe the same subjects: the two
agree whenever no subject has exactly one rating.

Standard error: Gwet's (2014) linearisation variance of the generalised kappa, conditional
on the raters (subjects sampled from an infinite population):

    kappa*_i = (p_a,i - p_e)/(1 - p_e) - 2 (1 - kappa) (p_e,i - p_e)/(1 - p_e),
    p_e,i = sum_k (n_ik / n_i) pi_k,   var = sum_i (kappa*_i - kappa)^2 / (n (n - 1)).

It holds for any kappa, so it gives the interval (kappa ± t(n-1) SE, as irrCAC, clipped to
[-1, 1]). Fleiss, Nee & Landis (1979) give the variance only under kappa = 0, which tests
that hypothesis but cannot give an interval around kappa; with equal n_i we report it in
``details`` as ``se_null`` with z = kappa / se_null and its two-sided p, as R's
irr::kappam.fleiss does (z = 17.652 on Fleiss' 1971 data; old irr releases used the variance
printed in Fleiss 1971, which Fleiss, Nee & Landis corrected, and gave z = 15.64).
statsmodels reports no standard error at all.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, stdtrit

from app.domain.reliability.agreement import subject_agreement
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable, Result

NAME = "fleiss_kappa"
CI_METHOD = (
    "t interval (n-1 df) on Gwet's (2014) linearisation standard error, conditional on "
    "raters, as irrCAC::fleiss.kappa.raw; clipped to [-1, 1]"
)


def fleiss_kappa(m: RatingMatrix) -> Result:
    """Fleiss' (1971) kappa, generalised to varying numbers of ratings per subject.

    Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses; kappa = .430
    (irr::kappam.fleiss reports z = 17.652 for the null test).

    >>> diagnoses = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5],
    ...     [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5],
    ...     [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4],
    ...     [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    ...     [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4],
    ...     [1, 3, 3, 5, 5, 5], [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5],
    ...     [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5],
    ...     [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]
    >>> r = fleiss_kappa(RatingMatrix.from_array(diagnoses))
    >>> round(r.value, 3), round(r.details["z"], 3)
    (0.43, 17.652)
    """
    if m.n_raters < 2:
        return NotApplicable(NAME, f"needs at least 2 raters; these data have {m.n_raters}")
    shares, kept, n_i = subject_agreement(m)
    n = n_i.size
    if n < 2:
        return NotApplicable(
            NAME, f"needs at least 2 subjects with 2 or more ratings; these data have {n}"
        )
    p = m.pairs
    # pi_k: each rating carries 1/n_i of its subject, among subjects rated twice or more.
    pi = p.shares(p.code, p.domain.size, least=2) / n
    p_e = float(pi @ pi)
    if p_e >= 1.0 - 1e-12:
        return NotApplicable(
            NAME, "every rating is in one category: chance agreement is 1 and kappa undefined"
        )
    p_a = float(shares.mean())
    kappa = (p_a - p_e) / (1.0 - p_e)
    pe_i = p.subject_sums(pi[p.code])[kept] / n_i  # p_e,i: mean pi over a subject's ratings
    k_i = (shares - p_e - 2.0 * (1.0 - kappa) * (pe_i - p_e)) / (1.0 - p_e)
    se = float(np.sqrt(((k_i - kappa) ** 2).sum() / (n * (n - 1))))
    half = float(stdtrit(n - 1, 0.975)) * se
    lo_n, hi_n = int(n_i.min()), int(n_i.max())
    details: dict[str, float | int | str] = {
        "n_subjects_used": n,
        "n_subjects_dropped": m.n_subjects - n,
        "n_categories_used": int(np.count_nonzero(pi)),
        "min_raters_per_subject": lo_n,
        "max_raters_per_subject": hi_n,
        "p_observed": p_a,
        "p_expected": p_e,
    }
    if lo_n == hi_n:
        # Fleiss, Nee & Landis (1979): the variance under kappa = 0, for equal counts only.
        pq = pi * (1.0 - pi)
        s = float(pq.sum())
        var0 = 2.0 * (s * s - float(pq @ (1.0 - 2.0 * pi))) / (n * lo_n * (lo_n - 1) * s * s)
        if var0 > 0:
            se0 = float(np.sqrt(var0))
            z = kappa / se0
            details.update(se_null=se0, z=z, p=float(2.0 * ndtr(-abs(z))))
    ci = (max(-1.0, kappa - half), min(1.0, kappa + half))
    return Estimate(NAME, kappa, ci, CI_METHOD, se=se, details=details)
