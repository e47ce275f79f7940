"""Krippendorff's alpha for any number of raters, missing ratings and level of measurement.

Alpha compares the disagreement observed within units with the disagreement expected if
the same pairable values were paired at random (Krippendorff 2011, "Computing Krippendorff's
alpha-reliability", Annenberg School for Communication; Krippendorff 2019, *Content
Analysis*, 4th ed.)::

    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o_ck delta_ck / sum_ck n_c n_k delta_ck

where the coincidence matrix ``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)`` counts,
over units u with m_u >= 2 values, the ordered pairs of values c, k; ``n_c`` are its margins
and ``n`` the number of pairable values. Units with fewer than two values cannot be paired
and are ignored. The coincidence matrix is one ``bincount`` over the pairs of values within
units (:class:`RatingPairs`), which costs the same whatever the number of distinct values;
fast-krippendorff's (Castro, pypi ``krippendorff``) product of per-unit value counts costs
O(units x values^2), and raters' mean scores take hundreds of values. A difference matrix
``delta`` then gives the level of measurement.

Only values that occur in pairable units are tabulated: a scale point nobody used has
``n_g = 0`` in every metric (the ordinal one included), so it cannot change alpha, and leaving
it out keeps the matrices small on long scales. This agrees with ``krippendorff.alpha``
called with ``value_domain`` set to the whole scale.

>>> nan = float("nan")
>>> m = RatingMatrix.from_array(np.array([  # Krippendorff (2011): observers A-D x 12 units
...     [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
...     [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
... ]).T)
>>> [round(krippendorff_alpha(m, lv).value, 3) for lv in ("nominal", "ordinal", "interval")]
[0.743, 0.815, 0.849]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from app.domain.reliability.data import FloatMatrix, RatingMatrix, RatingPairs
from app.domain.reliability.results import Estimate, NotApplicable, Result

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Progress = Callable[[int, int], None]
FloatVector = NDArray[np.float64]

LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
PROGRESS_EVERY = 50  # bootstrap draws per batch, and per progress report
NO_INTERVAL = "none (pass bootstrap draws for an interval)"


def _midranks(n_v: FloatMatrix) -> FloatMatrix:
    """Cumulative frequency up to the middle of each value, along the last axis.

    Krippendorff's ordinal difference (sum_{g=c..k} n_g - (n_c + n_k) / 2)**2 equals
    (C_k - C_c)**2 with C_c = sum_{g<=c} n_g - n_c / 2: interval alpha on mid-ranks.
    """
    return np.asarray(np.cumsum(n_v, axis=-1) - n_v / 2, dtype=np.float64)


def _squared_differences(x: FloatMatrix) -> FloatMatrix:
    """(x_c - x_k)**2 for every pair along the last axis."""
    return np.asarray((x[..., :, None] - x[..., None, :]) ** 2, dtype=np.float64)


def _differences(domain: FloatVector, n_v: FloatVector, level: Level) -> FloatMatrix:
    """The metric difference delta_ck between the tabulated values (Krippendorff 2011)."""
    if level == "nominal":
        return 1.0 - np.eye(domain.size)
    if level == "ordinal":
        return _squared_differences(_midranks(n_v))
    if level == "interval":
        return _squared_differences(domain)
    total = domain[:, None] + domain[None, :]  # ratio: ((c - k) / (c + k))**2, 0 when c = k = 0
    gap = domain[:, None] - domain[None, :]
    ratio = np.divide(gap, total, out=np.zeros_like(total), where=total != 0)
    return np.asarray(ratio**2, dtype=np.float64)


def _unit_counts(p: RatingPairs, domain: FloatVector) -> tuple[FloatMatrix, FloatVector]:
    """Per pairable unit (in subject order), how many of its values fall on each of
    ``domain`` (which holds them all), and its number of values m_u."""
    pairable = p.per_subject[p.subject] >= 2
    units, unit = np.unique(p.subject[pairable], return_inverse=True)
    column = np.searchsorted(domain, p.value[pairable])
    cells = unit.reshape(-1) * domain.size + column
    counts = np.bincount(cells, minlength=units.size * domain.size)
    m_u = p.per_subject[units].astype(np.float64)
    return counts.reshape(units.size, domain.size).astype(np.float64), m_u


def _bootstrap(
    counts: FloatMatrix,
    m_u: FloatVector,
    delta: FloatMatrix,
    level: Level,
    draws: int,
    rng: np.random.Generator,
    progress: Progress | None,
) -> FloatVector:
    """Alpha in ``draws`` resamples of the pairable units (NaN where a draw has D_e = 0).

    A resample is a vector w of unit multiplicities, and every sum over units becomes a
    product with w: margins n = w @ counts and observed disagreement w @ D_u, where
    D_u = n_u' delta n_u / (m_u - 1) is unit u's share of sum_ck o_ck delta_ck. The ordinal
    delta depends on the margins, so there each draw re-ranks its own margins and uses
    n_u' delta n_u = 2 (m_u sum_c n_uc C_c**2 - (sum_c n_uc C_c)**2) with mid-ranks C.
    """
    n_units = counts.shape[0]
    per_unit = ((counts @ delta) * counts).sum(axis=1) / (m_u - 1)  # D_u, for a fixed delta
    alphas = np.empty(draws)
    for start in range(0, draws, PROGRESS_EVERY):
        size = min(PROGRESS_EVERY, draws - start)
        picks = rng.integers(0, n_units, size=(size, n_units))
        picks += np.arange(size)[:, None] * n_units
        w = np.bincount(picks.ravel(), minlength=size * n_units).reshape(size, n_units)
        n_v = w @ counts  # (draws, values)
        if level == "ordinal":
            ranks = _midranks(n_v)
            first, second = counts @ ranks.T, counts @ (ranks**2).T  # (units, draws)
            within = 2 * (m_u[:, None] * second - first**2) / (m_u - 1)[:, None]
            observed = (w * within.T).sum(axis=1)
            totals = n_v.sum(axis=1)
            expected = 2 * (totals * (n_v * ranks**2).sum(axis=1) - (n_v * ranks).sum(axis=1) ** 2)
        else:
            observed = w @ per_unit
            totals = n_v.sum(axis=1)
            expected = ((n_v @ delta) * n_v).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1 - (totals - 1) * observed / expected
        alphas[start : start + size] = np.where(expected > 0, alpha, np.nan)
        if progress is not None:
            progress(start + size, draws)
    return alphas


def krippendorff_alpha(
    m: RatingMatrix,
    level: Level,
    *,
    bootstrap: int = 0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """Krippendorff's alpha at ``level``, with a unit-bootstrap 95% CI when ``bootstrap`` > 0.

    The interval is a percentile bootstrap over units (subjects): each draw resamples the
    pairable units with replacement and recomputes alpha; the CI is the 2.5th and 97.5th
    percentiles and ``se`` the draws' standard deviation. Resampling whole units keeps the
    dependence among one unit's values, which Krippendorff's own bootstrap (Hayes &
    Krippendorff 2007, Commun Methods Meas 1:77-89; Krippendorff 2016) loses by drawing
    pairable values from the coincidence matrix with D_e held fixed. Zapf et al. (2016, BMC
    Med Res Methodol 16:93) found bootstrap intervals for alpha close to nominal coverage;
    with few units they run narrow (Hughes 2022, arXiv:2210.13265). Draws where every sampled
    value is equal (alpha undefined) are left out and counted in ``details``. Without
    ``seed`` one is drawn from the OS and reported, so every interval can be replayed.
    ``progress(done, total)`` is called every ``PROGRESS_EVERY`` draws and at the end.

    >>> m = RatingMatrix.from_array([[1, 1], [2, 2], [3, 3], [1, 2], [2, 3], [3, 3]])
    >>> krippendorff_alpha(m, "ordinal", bootstrap=200, seed=7).ci_method
    'percentile bootstrap over units (200 draws, seed 7)'
    >>> krippendorff_alpha(RatingMatrix.from_array([[1, 1], [1, 1]]), "nominal").reason
    'every pairable rating has the same value: expected disagreement is zero, alpha undefined'
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if bootstrap < 0:
        raise ValueError("bootstrap draws cannot be negative")
    name = f"krippendorff_alpha_{level}"

    def undefined(reason: str) -> NotApplicable:
        if bootstrap and progress is not None:
            progress(bootstrap, bootstrap)  # nothing to draw: let a progress bar finish
        return NotApplicable(name, reason)

    tabulated = m.coincidences
    if tabulated is None:
        return undefined("no unit was rated by two or more raters, so nothing to pair")
    domain, n_v, o = tabulated.domain, tabulated.n_v, tabulated.o
    if level == "ratio" and domain[0] < 0:
        return undefined("ratio level needs non-negative scores (a true zero)")
    total = float(n_v.sum())
    delta = _differences(domain, n_v, level)
    observed = float((o * delta).sum())
    expected = float(n_v @ delta @ n_v)
    if expected <= 0:
        return undefined(
            "every pairable rating has the same value: expected disagreement is zero, "
            "alpha undefined"
        )
    value = 1 - (total - 1) * observed / expected
    details: dict[str, float | int | str] = {
        "n_pairable_units": tabulated.n_units,
        "n_pairable_values": int(total),
        "n_distinct_values": int(domain.size),
        "observed_disagreement": observed / total,
        "expected_disagreement": expected / (total * (total - 1)),
        "bootstrap_draws": bootstrap,
    }
    if bootstrap == 0:
        return Estimate(name, value, None, NO_INTERVAL, None, details)

    if seed is None:
        entropy = np.random.SeedSequence().entropy  # fresh OS entropy, reported for replay
        seed = entropy if isinstance(entropy, int) else 0
    rng = np.random.default_rng(seed)
    counts, m_u = _unit_counts(m.pairs, domain)
    alphas = _bootstrap(counts, m_u, delta, level, bootstrap, rng, progress)
    defined = alphas[~np.isnan(alphas)]
    details |= {"seed": seed, "bootstrap_undefined_draws": bootstrap - defined.size}
    if defined.size < 2:
        method = f"none ({defined.size} of {bootstrap} draws gave a defined alpha; 2 are needed)"
        return Estimate(name, value, None, method, None, details)
    low, high = np.quantile(defined, [0.025, 0.975])
    method = f"percentile bootstrap over units ({bootstrap} draws, seed {seed})"
    se = float(defined.std(ddof=1))
    return Estimate(name, value, (float(low), float(high)), method, se, details)
