"""Gwet's AC1/AC2: values printed in irrCAC's documentation, irrCAC itself, properties, edges.

irrCAC (Python port of Gwet's R package; GPL) is a test-only reference, never imported by
app/. It rounds every output to 5 decimals, so comparisons with it allow 1e-5.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from irrCAC.raw import CAC

from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.gwet import gwet_ac
from app.domain.reliability.results import Estimate, NotApplicable
from app.domain.reliability.weights import WeightKind
from tests.support.reliability import estimate

NAN = math.nan
WEIGHTS: tuple[WeightKind, ...] = ("unweighted", "linear", "quadratic")
IRRCAC_WEIGHTS: dict[WeightKind, str] = {
    "unweighted": "identity",
    "linear": "linear",
    "quadratic": "quadratic",
}
ROUNDED = 1e-5  # irrCAC rounds to 5 decimals

# irrCAC's cac.raw4raters / raw_4raters (from Gwet 2014): 12 subjects x 4 raters.
RAW_4RATERS = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, NAN],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T

# Fleiss (1971) via irrCAC's distrib.6raters: per patient, how many of 6 psychiatrists chose
# each of 5 diagnoses (categories 1..5 in column order).
DISTRIB_6RATERS = np.array(
    [
        [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    ]
)  # fmt: skip


def reference(m: RatingMatrix, weights: WeightKind) -> dict[str, Any]:
    """irrCAC's ``CAC(...).gwet()['est']`` with the categories our matrix uses."""
    categories = m.categories().tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' SettingWithCopyWarning inside irrCAC
        cac = CAC(pd.DataFrame(m.values), weights=IRRCAC_WEIGHTS[weights], categories=categories)
        est: dict[str, Any] = cac.gwet()["est"]
    return est


@st.composite
def ratings(draw: st.DrawFn, *, missing: bool) -> RatingMatrix:
    """Integer scores on a scale lo..hi for 2-25 subjects x 2-6 raters, some perhaps NaN."""
    n = draw(st.integers(2, 25))
    r = draw(st.integers(2, 6))
    lo = draw(st.integers(-2, 3))
    hi = lo + draw(st.integers(1, 7))
    scores = draw(arrays(np.float64, (n, r), elements=st.integers(lo, hi).map(float)))
    if missing:
        holes = draw(arrays(np.bool_, (n, r)))
        scores = np.where(holes, NAN, scores)
    return RatingMatrix.from_array(scores, scale=(lo, hi))


# Published values -------------------------------------------------------------------------


def test_raw_4raters_ac1() -> None:
    # irrCAC README: AC1 0.77544, SE 0.14295, CI (0.461, 1), pa 0.8181818, pe 0.1903212.
    result = estimate(gwet_ac(RatingMatrix.from_array(RAW_4RATERS)))
    assert result.name == "gwet_ac1"
    assert round(result.value, 5) == 0.77544
    assert result.se is not None
    assert round(result.se, 5) == 0.14295
    assert result.ci95 is not None
    assert (round(result.ci95[0], 3), result.ci95[1]) == (0.461, 1.0)
    assert round(float(result.details["pa"]), 7) == 0.8181818
    assert round(float(result.details["pe"]), 7) == 0.1903212
    assert result.details["n_subjects"] == 12
    assert result.details["n_subjects_rated_twice"] == 11


def test_raw_4raters_ac2_quadratic() -> None:
    # irrCAC "weighting" vignette: AC2 0.914, SE 0.10396, CI (0.685, 1), pa .9753788, pe .7137044.
    result = estimate(gwet_ac(RatingMatrix.from_array(RAW_4RATERS), "quadratic"))
    assert result.name == "gwet_ac2_quadratic"
    assert round(result.value, 3) == 0.914
    assert result.se is not None
    assert round(result.se, 5) == 0.10396
    assert result.ci95 is not None
    assert (round(result.ci95[0], 3), result.ci95[1]) == (0.685, 1.0)
    assert round(float(result.details["pa"]), 7) == 0.9753788
    assert round(float(result.details["pe"]), 7) == 0.7137044


@pytest.mark.parametrize(
    ("weights", "value", "se", "ci"),
    [
        # irrCAC README, gwet.ac1.dist(distrib.6raters)
        ("unweighted", 0.4448007, 0.08418757, (0.264, 0.625)),
        # irrCAC "weighting" vignette, gwet.ac1.dist(distrib.6raters, quadratic.weights(1:5))
        ("quadratic", 0.4837438, 0.1058227, (0.257, 0.711)),
    ],
)
def test_distrib_6raters(
    weights: WeightKind, value: float, se: float, ci: tuple[float, float]
) -> None:
    raw = np.array([np.repeat(np.arange(1.0, 6.0), row) for row in DISTRIB_6RATERS])
    result = estimate(gwet_ac(RatingMatrix.from_array(raw), weights))
    assert round(result.value, 7) == value
    assert result.se is not None
    assert round(result.se, 8 if weights == "unweighted" else 7) == se
    assert result.ci95 is not None
    assert (round(result.ci95[0], 3), round(result.ci95[1], 3)) == ci


def test_cont3x3abstractors_value() -> None:
    # irrCAC README, gwet.ac1.table(cont3x3abstractors): AC1 0.8493305. Only the value is
    # compared: the table function uses Gwet's (2008) two-rater variance (SE .04321747),
    # the raw-data one here gives .04343519.
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    pairs = [(i + 1.0, j + 1.0) for (i, j), k in np.ndenumerate(table) for _ in range(k)]
    result = estimate(gwet_ac(RatingMatrix.from_array(pairs)))
    assert round(result.value, 7) == 0.8493305


# Against irrCAC ----------------------------------------------------------------------------


def assert_matches_irrcac(m: RatingMatrix, weights: WeightKind) -> None:
    result = gwet_ac(m, weights)
    per_subject = (~np.isnan(m.values)).sum(axis=1)
    if per_subject.max(initial=0) < 2:
        assert isinstance(result, NotApplicable)  # irrCAC divides by zero here
        return
    if np.count_nonzero(per_subject) < 2:
        assert estimate(result).ci95 is None  # one subject: irrCAC divides by n - 1 = 0
        return
    expected = reference(m, weights)
    ours = estimate(result)
    assert ours.value == pytest.approx(expected["coefficient_value"], abs=ROUNDED)
    assert ours.details["pa"] == pytest.approx(expected["pa"], abs=ROUNDED)
    assert ours.details["pe"] == pytest.approx(expected["pe"], abs=ROUNDED)
    assert ours.se is not None
    assert ours.ci95 is not None
    if expected["se"] > 1e-14:  # irrCAC reports SE 0 as 1e-15
        assert ours.se == pytest.approx(expected["se"], abs=ROUNDED)
    else:
        assert ours.se == pytest.approx(0, abs=1e-12)
    low, high = expected["confidence_interval"]
    pe = float(ours.details["pe"])
    floor = min(-1.0, -pe / (1 - pe))  # irrCAC clips only above
    assert ours.ci95[0] == pytest.approx(max(floor, low), abs=ROUNDED)
    assert ours.ci95[1] == pytest.approx(high, abs=ROUNDED)


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("weights", WEIGHTS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matches_irrcac(weights: WeightKind, missing: bool, data: st.DataObject) -> None:
    assert_matches_irrcac(data.draw(ratings(missing=missing)), weights)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_large_matrix_matches_irrcac(weights: WeightKind) -> None:
    rng = np.random.default_rng(4)
    scores = (rng.integers(0, 7, (3000, 1)) + rng.integers(-1, 2, (3000, 5))).clip(0, 6)
    values = np.where(rng.random(scores.shape) < 0.2, NAN, scores.astype(np.float64))
    assert_matches_irrcac(RatingMatrix.from_array(values, scale=(0, 6)), weights)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_without_a_scale_the_observed_categories_are_used(weights: WeightKind) -> None:
    m = RatingMatrix.from_array(RAW_4RATERS[:, :3])
    assert_matches_irrcac(m, weights)
    # Declaring a wider scale adds unused categories, which lowers chance agreement.
    wider = estimate(gwet_ac(RatingMatrix.from_array(RAW_4RATERS[:, :3], scale=(0, 7)), weights))
    assert wider.details["n_categories"] == 8
    assert wider.value != pytest.approx(estimate(gwet_ac(m, weights)).value, abs=1e-6)


# Properties --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(m=ratings(missing=True), weights=st.sampled_from(WEIGHTS), seed=st.integers(0, 99))
def test_invariant_to_the_order_of_raters_and_subjects(
    m: RatingMatrix, weights: WeightKind, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shuffled = m.values[rng.permutation(m.n_subjects)][:, rng.permutation(m.n_raters)]
    before = gwet_ac(m, weights)
    after = gwet_ac(RatingMatrix.from_array(shuffled, m.scale), weights)
    if isinstance(before, Estimate):
        ours = estimate(after)
        assert ours.value == pytest.approx(before.value, abs=1e-12)
        assert ours.se == pytest.approx(before.se, abs=1e-12)
    else:
        assert after == before


@settings(max_examples=40, deadline=None)
@given(m=ratings(missing=True), weights=st.sampled_from(WEIGHTS))
def test_at_most_one_never_nan(m: RatingMatrix, weights: WeightKind) -> None:
    result = gwet_ac(m, weights)
    if isinstance(result, NotApplicable):
        assert result.reason
        return
    pe = float(result.details["pe"])
    floor = min(-1.0, -pe / (1 - pe))  # AC2 reaches below -1 when p_e > 1/2
    assert floor - 1e-12 <= result.value <= 1 + 1e-12
    if result.details["n_subjects"] == 1:
        assert result.ci95 is None
        return
    assert result.ci95 is not None
    assert floor <= result.ci95[0] <= result.value + 1e-12
    assert result.value - 1e-12 <= result.ci95[1] <= 1
    assert result.se is not None
    assert math.isfinite(result.se)


@settings(max_examples=40, deadline=None)
@given(
    truth=st.lists(st.integers(0, 6), min_size=2, max_size=20),
    raters=st.integers(2, 5),
    weights=st.sampled_from(WEIGHTS),
)
def test_perfect_agreement_gives_one(truth: list[int], raters: int, weights: WeightKind) -> None:
    values = np.repeat(np.array(truth, dtype=np.float64)[:, None], raters, axis=1)
    result = estimate(gwet_ac(RatingMatrix.from_array(values, scale=(0, 6)), weights))
    assert result.value == pytest.approx(1.0, abs=1e-12)
    assert result.ci95 == pytest.approx((1.0, 1.0), abs=1e-12)


# Edge cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", WEIGHTS)
def test_constant_ratings(weights: WeightKind) -> None:
    values = np.full((6, 3), 3.0)
    # On a known scale chance agreement is 0 (every pi_k is 0 or 1), so AC = p_a = 1 ...
    on_scale = estimate(gwet_ac(RatingMatrix.from_array(values, scale=(1, 5)), weights))
    assert on_scale.value == 1.0
    assert on_scale.details["pe"] == 0.0
    # ... but with no scale there is a single category and p_e = T_w / (q (q - 1)) is undefined.
    bare = gwet_ac(RatingMatrix.from_array(values), weights)
    assert isinstance(bare, NotApplicable)
    assert "one category" in bare.reason


@pytest.mark.parametrize("weights", WEIGHTS)
def test_nothing_to_pair_is_not_applicable(weights: WeightKind) -> None:
    all_missing = gwet_ac(RatingMatrix.from_array(np.full((4, 3), NAN), scale=(1, 5)), weights)
    assert isinstance(all_missing, NotApplicable)
    assert all_missing.reason == "no ratings"
    single = RatingMatrix.from_array(np.array([[1.0, NAN], [NAN, 2.0], [3.0, NAN]]))
    result = gwet_ac(single, weights)
    assert isinstance(result, NotApplicable)
    assert "two or more raters" in result.reason


@pytest.mark.parametrize("weights", WEIGHTS)
def test_one_subject_has_no_interval(weights: WeightKind) -> None:
    result = estimate(gwet_ac(RatingMatrix.from_array([[1.0, 2.0, 2.0]], scale=(1, 3)), weights))
    assert result.ci95 is None
    assert result.se is None
    assert result.ci_method.startswith("none")


@pytest.mark.parametrize("weights", WEIGHTS)
def test_two_subjects(weights: WeightKind) -> None:
    assert_matches_irrcac(RatingMatrix.from_array([[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]]), weights)


@pytest.mark.parametrize("weights", ["unweighted", "quadratic"])
def test_huge_scale(weights: WeightKind) -> None:
    rng = np.random.default_rng(3)
    values = (rng.integers(0, 1001, (12, 1)) + rng.integers(-30, 31, (12, 3))).clip(0, 1000)
    values = np.where(rng.random(values.shape) < 0.2, NAN, values.astype(np.float64))
    assert_matches_irrcac(RatingMatrix.from_array(values, scale=(0, 1000)), weights)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_scores_between_scale_points_become_categories(weights: WeightKind) -> None:
    values = np.array([[1.0, 2.5, 2.5], [3.0, 3.0, 2.0], [5.0, 4.0, 5.0], [2.5, 2.0, NAN]])
    result = estimate(gwet_ac(RatingMatrix.from_array(values, scale=(1, 5)), weights))
    assert result.details["n_categories"] == 6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cac = CAC(
            pd.DataFrame(values),
            weights=IRRCAC_WEIGHTS[weights],
            categories=[1.0, 2.0, 2.5, 3.0, 4.0, 5.0],
        )
        expected = cac.gwet()["est"]
    assert result.value == pytest.approx(expected["coefficient_value"], abs=ROUNDED)
    assert result.se == pytest.approx(expected["se"], abs=ROUNDED)
