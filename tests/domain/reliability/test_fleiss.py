"""Fleiss' kappa: Fleiss' 1971 example, statsmodels, irrCAC's formulas, properties, edges.

Where references differ from us (documented in app/domain/reliability/fleiss.py):
- statsmodels' ``fleiss_kappa`` needs the same number of ratings per subject, so it is the
  reference on complete data only, and it gives no standard error;
- irrCAC (no Python port here; its formulas are transcribed below, loop by loop) keeps
  subjects with a single rating in the category prevalences; we drop them, so we compare
  where every subject has at least 2 ratings and check the dropping separately;
- R's irr::kappam.fleiss gives the Fleiss-Nee-Landis null z (ours: ``details["z"]``); old
  irr releases used Fleiss' (1971) uncorrected variance instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from scipy.special import stdtrit
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from app.domain.reliability.agreement import percent_agreement
from app.domain.reliability.data import FloatMatrix, RatingMatrix
from app.domain.reliability.fleiss import fleiss_kappa
from app.domain.reliability.results import Estimate, NotApplicable
from tests.support.reliability import FAST, assert_clean, estimate

# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, diagnoses 1..5 (depression,
# personality disorder, schizophrenia, neurosis, other). Fleiss printed only the counts per
# category; this raw form is the one statsmodels' test suite and R's irr (``diagnoses``) ship.
DIAGNOSES = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip


@st.composite
def ratings(draw: st.DrawFn, missing: bool = False, top: int = 4) -> FloatMatrix:
    n = draw(st.integers(2, 40))
    k = draw(st.integers(2, 7))
    values = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, top))).astype(float)
    if missing:
        values[draw(hnp.arrays(np.bool_, (n, k)))] = np.nan
    return values


def irrcac_fleiss(values: FloatMatrix) -> tuple[float, float]:
    """irrCAC::fleiss.kappa.raw (unweighted, N = Inf) transcribed with explicit loops."""
    cats = sorted({v for v in values.ravel().tolist() if not math.isnan(v)})
    rows = [[v for v in row if not math.isnan(v)] for row in values.tolist()]
    rows = [row for row in rows if row]  # irrCAC: subjects nobody rated are excluded
    n = len(rows)
    counts = [[row.count(c) for c in cats] for row in rows]
    r_i = [len(row) for row in rows]
    n2 = sum(r >= 2 for r in r_i)
    pa_i = [
        sum(x * (x - 1) for x in c) / (r * (r - 1)) if r >= 2 else 0.0
        for c, r in zip(counts, r_i, strict=True)
    ]
    pa = sum(pa_i) / n2
    pi = [sum(c[k] / r for c, r in zip(counts, r_i, strict=True)) / n for k in range(len(cats))]
    pe = sum(p * p for p in pi)
    kappa = (pa - pe) / (1 - pe)
    var = 0.0
    for c, r, pa_one in zip(counts, r_i, pa_i, strict=True):
        k_i = (n / n2) * (pa_one - pe * (r >= 2)) / (1 - pe)
        pe_i = sum(ck * p for ck, p in zip(c, pi, strict=True)) / r
        k_x = k_i - 2 * (1 - kappa) * (pe_i - pe) / (1 - pe)
        var += (k_x - kappa) ** 2
    return kappa, math.sqrt(var / (n * (n - 1)))


def fnl_null_se(values: FloatMatrix) -> float:
    """Fleiss, Nee & Landis (1979) as R's irr::kappam.fleiss computes it (complete data)."""
    n, m = values.shape
    _, counts = np.unique(values, return_counts=True)
    p = counts / values.size
    q = 1 - p
    pq = p * q
    var = 2 / (pq.sum() ** 2 * (n * m * (m - 1))) * (pq.sum() ** 2 - (pq * (q - p)).sum())
    return math.sqrt(var)


# Published example ----------------------------------------------------------------------------


def test_fleiss_1971_diagnoses() -> None:
    """kappa = .430 (Fleiss 1971); R's irr::kappam.fleiss prints z = 17.652 for these data."""
    r = estimate(fleiss_kappa(RatingMatrix.from_array(DIAGNOSES)))
    assert round(r.value, 3) == 0.430
    assert round(float(r.details["z"]), 3) == 17.652
    assert r.details["p_observed"] == pytest.approx(5 / 9)  # the mean pair agreement
    assert r.details["p_expected"] == pytest.approx(0.2199, abs=5e-5)
    assert r.value == pytest.approx(sm_fleiss_kappa(aggregate_raters(DIAGNOSES)[0]), abs=1e-12)
    kappa, se = irrcac_fleiss(np.array(DIAGNOSES, dtype=float))
    assert (r.value, r.se) == pytest.approx((kappa, se), abs=1e-12)
    assert_clean(r)


# Reference libraries ----------------------------------------------------------------------


@FAST
@given(ratings())
def test_matches_statsmodels_on_complete_data(values: FloatMatrix) -> None:
    ours = fleiss_kappa(RatingMatrix.from_array(values))
    assert_clean(ours)
    assume(isinstance(ours, Estimate))
    assert isinstance(ours, Estimate)
    table = aggregate_raters(values.astype(int))[0]
    assert ours.value == pytest.approx(sm_fleiss_kappa(table), abs=1e-9)
    if "se_null" in ours.details:
        assert ours.details["se_null"] == pytest.approx(fnl_null_se(values), abs=1e-9)


@FAST
@given(ratings(missing=True))
def test_matches_irrcac_formulas_with_missing_ratings(values: FloatMatrix) -> None:
    """Where no subject has exactly one rating, our subject set is irrCAC's."""
    n_i = (~np.isnan(values)).sum(axis=1)
    values = values[n_i != 1]
    assume(values.shape[0] >= 2)
    ours = fleiss_kappa(RatingMatrix.from_array(values))
    assert_clean(ours)
    assume(isinstance(ours, Estimate))
    assert isinstance(ours, Estimate)
    kappa, se = irrcac_fleiss(values)
    assert ours.value == pytest.approx(kappa, abs=1e-9)
    assert ours.se == pytest.approx(se, abs=1e-9)
    assert ours.ci95 is not None
    half = float(stdtrit(int(ours.details["n_subjects_used"]) - 1, 0.975)) * se
    assert ours.ci95 == pytest.approx((max(-1, kappa - half), min(1, kappa + half)), abs=1e-9)


def test_subjects_with_one_rating_are_dropped_not_used_for_prevalence() -> None:
    values = np.array([[1, 1, 2], [2, 2, 2], [1, 2, np.nan], [3, np.nan, np.nan]])
    r = estimate(fleiss_kappa(RatingMatrix.from_array(values)))
    assert r.details["n_subjects_used"] == 3
    assert r.details["n_subjects_dropped"] == 1
    assert r.details["n_categories_used"] == 2  # the lone 3 is gone
    same = estimate(fleiss_kappa(RatingMatrix.from_array(values[:3])))
    assert (r.value, r.se) == (same.value, same.se)
    assert r.value != pytest.approx(irrcac_fleiss(values)[0])  # irrCAC keeps the lone 3


@FAST
@given(ratings(missing=True))
def test_observed_agreement_is_percent_agreement(values: FloatMatrix) -> None:
    m = RatingMatrix.from_array(values)
    kappa, agreement = fleiss_kappa(m), percent_agreement(m)
    if isinstance(kappa, Estimate):
        assert isinstance(agreement, Estimate)
        assert kappa.details["p_observed"] == pytest.approx(agreement.value, abs=1e-12)


# Properties -------------------------------------------------------------------------------


@FAST
@given(ratings(missing=True), st.data())
def test_invariant_to_order_of_raters_subjects_and_category_labels(
    values: FloatMatrix, data: st.DataObject
) -> None:
    rows = np.array(data.draw(st.permutations(range(values.shape[0]))))
    cols = np.array(data.draw(st.permutations(range(values.shape[1]))))
    relabel = np.array(data.draw(st.permutations([0.5, 7.0, 12.0, 40.0, 1000.0])))
    shuffled = values[rows][:, cols]
    coded = np.full(shuffled.shape, np.nan)
    seen = ~np.isnan(shuffled)
    coded[seen] = relabel[shuffled[seen].astype(int)]
    a = fleiss_kappa(RatingMatrix.from_array(values))
    b = fleiss_kappa(RatingMatrix.from_array(coded))
    assert type(a) is type(b)
    if isinstance(a, Estimate) and isinstance(b, Estimate):
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert a.se == pytest.approx(b.se, abs=1e-9)


@FAST
@given(hnp.arrays(np.int64, st.integers(2, 40), elements=st.integers(0, 6)), st.integers(2, 6))
def test_perfect_agreement_gives_one(truth: NDArray[np.int64], k: int) -> None:
    assume(np.ptp(truth) > 0)
    r = estimate(fleiss_kappa(RatingMatrix.from_array(np.repeat(truth[:, None], k, axis=1))))
    assert r.value == pytest.approx(1.0)
    assert r.se == pytest.approx(0.0, abs=1e-12)


# Degenerate data ------------------------------------------------------------------------------


def test_not_applicable_cases() -> None:
    cases = {
        "needs at least 2 raters": [[1], [2], [3]],
        "needs at least 2 subjects with 2 or more ratings; these data have 1": [
            [1, 2, np.nan],
            [3, np.nan, np.nan],
            [np.nan, np.nan, np.nan],
        ],
        "these data have 0": np.full((4, 3), np.nan),
        "every rating is in one category": [[2, 2, 2], [2, 2, np.nan], [2, np.nan, 2]],
    }
    for fragment, values in cases.items():
        r = fleiss_kappa(RatingMatrix.from_array(np.asarray(values, float), scale=(1, 3)))
        assert isinstance(r, NotApplicable), (fragment, r)
        assert fragment in r.reason


def test_two_subjects_and_varying_raters_have_no_null_test() -> None:
    r = estimate(fleiss_kappa(RatingMatrix.from_array([[1, 2, 2], [1, 1, np.nan]])))
    assert_clean(r)
    assert "se_null" not in r.details  # Fleiss-Nee-Landis needs equal counts


def test_huge_scale_and_non_integer_labels() -> None:
    rng = np.random.default_rng(11)
    values = rng.integers(0, 1001, size=(500, 4)).astype(float)
    values[::3, 0] = values[::3, 1]
    huge = estimate(fleiss_kappa(RatingMatrix.from_array(values, scale=(0, 1000))))
    assert_clean(huge)
    assert huge.value == pytest.approx(
        sm_fleiss_kappa(aggregate_raters(values.astype(int))[0]), abs=1e-12
    )
    spread_out = estimate(fleiss_kappa(RatingMatrix.from_array(values * 1e6 + 0.25)))
    assert spread_out.value == pytest.approx(huge.value, abs=1e-12)


def test_nan_heavy_matrix() -> None:
    rng = np.random.default_rng(2)
    values = rng.integers(0, 3, size=(300, 8)).astype(float)
    values[rng.random(values.shape) < 0.85] = np.nan
    r = estimate(fleiss_kappa(RatingMatrix.from_array(values)))
    assert_clean(r)
    assert r.details["min_raters_per_subject"] == 2


@FAST
@given(ratings(missing=True, top=1))
def test_never_nan_or_exception(values: FloatMatrix) -> None:
    assert_clean(fleiss_kappa(RatingMatrix.from_array(values)))
