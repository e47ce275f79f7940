"""Gwet's AC1 (unweighted) and AC2 (weighted) for any number of raters and missing ratings.

AC1 keeps kappa's form (p_a - p_e) / (1 - p_e) but takes chance agreement to be the agreement
of raters who score hard-to-classify subjects at random, so it does not collapse when one
category dominates (Gwet 2008, Br J Math Stat Psychol 61:29-48). With r_ik raters putting
subject i in category k, r_i = sum_k r_ik, weights w_kl and r*_ik = sum_l w_kl r_il, Gwet
(2014, *Handbook of Inter-Rater Reliability*, 4th ed., raw ratings with missing values; the
same formulas as his irrCAC ``gwet.ac1.raw``) defines over the n subjects rated at all::

    p_a = 1/n2 * sum_{i: r_i >= 2} sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))
    pi_k = 1/n * sum_i r_ik / r_i
    p_e = T_w / (q (q - 1)) * sum_k pi_k (1 - pi_k),    T_w = sum_kl w_kl

where n2 counts the subjects rated at least twice. Its variance is the linearised one,
conditional on the raters (Gwet 2014; irrCAC), without finite-population correction::

    p_e|i = T_w / (q (q - 1)) * sum_k r_ik (1 - pi_k) / r_i
    ac_i  = n/n2 * (p_a|i - p_e [r_i >= 2]) / (1 - p_e)
    ac*_i = ac_i - 2 (1 - AC) (p_e|i - p_e) / (1 - p_e)
    var   = 1 / (n (n - 1)) * sum_i (ac*_i - AC)**2

and the 95% CI is AC +/- t_{0.975, n-1} SE, clipped to [-1, 1] (irrCAC clips only above);
AC2 can fall below -1 when p_e > 1/2, and then the floor is its minimum -p_e / (1 - p_e).
Categories come from the rubric's scale when known, so unused scale points count in q, T_w
and the weights' span; a score between scale points (2.5 on 1..5) becomes a category too.

>>> nan = float("nan")
>>> m = RatingMatrix.from_array(np.array([  # irrCAC's cac.raw4raters (Gwet 2014)
...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, nan],
...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
... ]).T)
>>> ac1 = gwet_ac(m)
>>> round(ac1.value, 5), round(ac1.se, 5), round(ac1.ci95[0], 3), ac1.ci95[1]
(0.77544, 0.14295, 0.461, 1.0)
>>> ac2 = gwet_ac(m, "quadratic")
>>> round(ac2.value, 3), round(ac2.se, 5), round(ac2.ci95[0], 3)
(0.914, 0.10396, 0.685)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import stdtrit  # no scipy stubs in the venv

from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.domain.reliability.weights import WeightKind, agreement_weights

FloatVector = NDArray[np.float64]

NAMES: dict[WeightKind, str] = {
    "unweighted": "gwet_ac1",
    "linear": "gwet_ac2_linear",
    "quadratic": "gwet_ac2_quadratic",
}


def _categories(m: RatingMatrix, observed: FloatVector) -> FloatVector:
    """The scale's points when known, with any score that falls between them; else the
    scores. ``observed`` holds the distinct scores, ascending."""
    if m.scale is None:
        return observed
    offset = observed - m.scale[0]
    if np.array_equal(offset, np.round(offset)):
        return m.categories()
    return np.union1d(m.categories(), observed)


def gwet_ac(m: RatingMatrix, weights: WeightKind = "unweighted") -> Result:
    """Gwet's AC1 (``"unweighted"``) or AC2 (``"linear"``, ``"quadratic"``) with its SE and CI.

    Every sum over a subject's ratings or rating pairs is one ``bincount`` over
    :class:`RatingPairs`, whatever the number of categories; q, T_w and the weights' span
    use every category, used or not.

    >>> gwet_ac(RatingMatrix.from_array([[1, 1], [1, 1]]), "linear").reason
    'only one category and no scale: chance agreement needs at least two categories'
    """
    name = NAMES[weights]
    p = m.pairs
    if p.value.size == 0:
        return NotApplicable(name, "no ratings")
    categories = _categories(m, p.domain)
    q = categories.size
    if q < 2:
        return NotApplicable(
            name, "only one category and no scale: chance agreement needs at least two categories"
        )
    r_i = p.per_subject.astype(np.float64)
    rated = r_i > 0  # subjects nobody rated drop out, as in irrCAC
    n = int(np.count_nonzero(rated))
    w = agreement_weights(categories, weights)
    category = np.searchsorted(categories, p.domain)[p.code]  # each rating's category
    paired = r_i >= 2
    n2 = int(np.count_nonzero(paired))
    if n2 == 0:
        return NotApplicable(name, "no subject was rated by two or more raters")
    # sum_k r_ik (r*_ik - 1) = sum over ordered pairs of a subject's ratings of their w_kl:
    # each rating agrees with itself (w_kk = 1), which the -1 takes away.
    agree = 2 * p.subject_sums(w[category[p.first], category[p.second]], of_pairs=True)
    pa_i = np.where(paired, agree / np.where(paired, r_i * (r_i - 1), 1), 0.0)
    pa = float(pa_i.sum()) / n2
    pi_k = p.shares(category, q) / n
    chance = float(w.sum()) / (q * (q - 1))
    pe = chance * float((pi_k * (1 - pi_k)).sum())  # < 1: w has zero corners, so T_w < q**2
    value = (pa - pe) / (1 - pe)
    details: dict[str, float | int | str] = {
        "pa": pa,
        "pe": pe,
        "n_subjects": n,
        "n_subjects_rated_twice": n2,
        "n_categories": q,
    }
    if n < 2:
        return Estimate(name, value, None, "none (one subject gives no variance)", None, details)

    ac_i = ((n / n2) * (pa_i - pe * paired) / (1 - pe))[rated]
    pe_i = chance * p.subject_sums(1 - pi_k[category])[rated] / r_i[rated]
    ac_star = ac_i - 2 * (1 - value) * (pe_i - pe) / (1 - pe)
    se = float(np.sqrt(((ac_star - value) ** 2).sum() / (n * (n - 1))))
    half = float(stdtrit(n - 1, 0.975)) * se
    floor = min(-1.0, -pe / (1 - pe))  # AC at p_a = 0; below -1 only for AC2 with p_e > 1/2
    ci = (max(floor, value - half), min(1.0, value + half))
    method = f"t({n - 1}) on Gwet's (2014) variance conditional on the raters, no FPC"
    return Estimate(name, value, ci, method, se, details | {"df": n - 1})
