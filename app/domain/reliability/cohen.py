"""Cohen's kappa for two raters, unweighted (Cohen 1960) or weighted (Cohen 1968).

With agreement weights w (1 on the diagonal; see :mod:`weights`) and the joint proportions
p_kl of the subjects both raters scored:

    p_o = sum_kl w_kl p_kl,  p_e = sum_kl w_kl p_k. p_.l,  kappa = (p_o - p_e) / (1 - p_e).

Standard error: the large-sample variance of Fleiss, Cohen & Everitt (1969), the non-null
one, which holds for any kappa and so gives the Wald interval kappa ± 1.96 SE (clipped to
[-1, 1]); it is SAS PROC FREQ's "ASE" and statsmodels' ``std_kappa``:

    var = [sum_kl p_kl (w_kl - (wr_k + wc_l)(1 - kappa))^2 - (kappa - p_e (1 - kappa))^2]
          / (n (1 - p_e)^2),   wr_k = sum_l w_kl p_.l,  wc_l = sum_k w_kl p_k.

Their variance under kappa = 0 (p_kl replaced by p_k. p_.l, kappa by 0) tests agreement
beyond chance and is in ``details`` as ``se_null`` with z and the two-sided p.

The scale's unused points cannot change Cohen's kappa: they carry no probability, and with
linear or quadratic weights the disagreement weights 1 - w are proportional to |k - l| or
(k - l)^2 whatever the span, a factor to which kappa and both variances are invariant
(unlike Gwet's AC2 and alpha). So the observed scores are coded directly, which equals
using ``m.categories()`` and keeps a 0..1000 scale cheap. Weights depend on the scores'
distances (Cohen 1968; statsmodels with ``weights`` = the category values); scikit-learn's
``cohen_kappa_score`` weighs by label index instead, which agrees only when the categories
are equally spaced (always so for a scale, not always for observed categories with gaps).
statsmodels and scikit-learn do not clip the interval, nor does SAS.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

from app.domain.reliability.agreement import category_codes
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.domain.reliability.weights import WeightKind, agreement_weights

NAMES: dict[WeightKind, str] = {
    "unweighted": "cohen_kappa",
    "linear": "cohen_kappa_linear",
    "quadratic": "cohen_kappa_quadratic",
}
CI_METHOD = (
    "Wald, kappa ± 1.96 SE with the large-sample non-null variance of Fleiss, Cohen & "
    "Everitt (1969), as SAS PROC FREQ and statsmodels; clipped to [-1, 1]"
)


def cohen_kappa(m: RatingMatrix, weights: WeightKind = "unweighted") -> Result:
    """Cohen's kappa between the two raters of ``m``, over the subjects both scored.

    Wikipedia's example (50 proposals: both yes 20, both no 15, yes/no 5, no/yes 10):

    >>> pairs = [[1, 1]] * 20 + [[0, 0]] * 15 + [[1, 0]] * 5 + [[0, 1]] * 10
    >>> round(cohen_kappa(RatingMatrix.from_array(pairs)).value, 10)
    0.4
    """
    name = NAMES[weights]
    if m.n_raters != 2:
        return NotApplicable(name, f"needs exactly 2 raters; these data have {m.n_raters}")
    rater_a, rater_b = m.values[:, 0], m.values[:, 1]
    both = ~(np.isnan(rater_a) | np.isnan(rater_b))
    pairs = np.stack([rater_a, rater_b])[:, both]  # raters as rows
    n = pairs.shape[1]
    if n < 2:
        return NotApplicable(name, f"needs at least 2 subjects scored by both raters; {n} are")

    # Categories nobody used carry no probability, and the weights' span cancels from kappa
    # and both variances (1 - w is proportional to distance), so coding the observed scores
    # gives exactly what the scale's categories would, and a 0..1000 scale stays cheap.
    codes, support = category_codes(pairs)
    q = support.size
    p = np.bincount(codes[0] * q + codes[1], minlength=q * q).reshape(q, q) / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    w = agreement_weights(support, weights)
    # einsum rather than BLAS: a threaded BLAS can stall for milliseconds on a busy machine.
    w_rows, w_cols = np.einsum("kl,l->k", w, cols), np.einsum("k,kl->l", rows, w)
    p_o = float(np.einsum("kl,kl->", w, p))
    p_e = float(np.einsum("k,k->", rows, w_rows))
    details: dict[str, float | int | str] = {
        "n_subjects_used": n,
        "n_subjects_dropped": m.n_subjects - n,
        "p_observed": p_o,
        "p_expected": p_e,
        "weights": weights,
    }
    if p_e >= 1.0 - 1e-12:
        return NotApplicable(
            name, "expected agreement is 1 (both raters used one and the same category)"
        )
    kappa = (p_o - p_e) / (1.0 - p_e)
    scale = n * (1.0 - p_e) ** 2
    spread = w_rows[:, None] + w_cols[None, :]
    first = float(np.einsum("kl,kl->", p, (w - spread * (1.0 - kappa)) ** 2))
    first0 = float(np.einsum("k,kl,l->", rows, (w - spread) ** 2, cols))
    var = (first - (kappa - p_e * (1.0 - kappa)) ** 2) / scale
    var0 = (first0 - p_e**2) / scale
    # Each variance is a difference of O(1) terms: one at rounding level is an exact zero
    # (kappa = 1; under the null, e.g. a rater who used a single category).
    se = float(np.sqrt(var)) if var > 1e-12 * first / scale else 0.0
    if var0 > 1e-12 * first0 / scale:
        se0 = float(np.sqrt(var0))
        z = kappa / se0
        details.update(se_null=se0, z=z, p=float(2.0 * ndtr(-abs(z))))
    half = float(ndtri(0.975)) * se
    ci = (max(-1.0, kappa - half), min(1.0, kappa + half))
    return Estimate(name, kappa, ci, CI_METHOD, se=se, details=details)
