"""Krippendorff's alpha: published values, the ``krippendorff`` package, properties, edges.

The ``krippendorff`` package (GPL-3) is a test-only reference and never imported by app/.
"""

from __future__ import annotations

import math
import time

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray

from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.krippendorff import (
    NO_INTERVAL,
    PROGRESS_EVERY,
    Level,
    krippendorff_alpha,
)
from app.domain.reliability.results import Estimate, NotApplicable
from tests.support.reliability import estimate

LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
NAN = math.nan

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": observers A-D
# (rows) x units 1-12 (columns); he reports alpha .743 nominal, .815 ordinal, .849 interval
# and .797 ratio.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T


def reference(m: RatingMatrix, level: Level) -> float | None:
    """The ``krippendorff`` package's alpha over the scale's domain; None where undefined."""
    try:
        with np.errstate(all="ignore"):
            value = krippendorff.alpha(
                reliability_data=m.values.T,
                level_of_measurement=level,
                value_domain=m.categories(),
            )
    except ValueError:  # it raises when no unit has two values
        return None
    return float(value) if np.isfinite(value) else None


@st.composite
def ratings(draw: st.DrawFn, *, missing: bool, lowest: int = -3) -> RatingMatrix:
    """Integer scores on a scale lo..hi, subjects x raters, optionally with NaN cells."""
    n = draw(st.integers(1, 25))
    r = draw(st.integers(2, 6))
    lo = draw(st.integers(lowest, 3))
    hi = lo + draw(st.integers(1, 7))
    scores = draw(arrays(np.float64, (n, r), elements=st.integers(lo, hi).map(float)))
    if missing:
        holes = draw(arrays(np.bool_, (n, r)))
        scores = np.where(holes, NAN, scores)
    return RatingMatrix.from_array(scores, scale=(lo, hi))


# Published values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(level: Level, published: float) -> None:
    result = estimate(krippendorff_alpha(RatingMatrix.from_array(KRIPPENDORFF_2011), level))
    assert round(result.value, 3) == published
    assert result.name == f"krippendorff_alpha_{level}"
    # Unit 12 has a single value: 11 pairable units holding n = 40 pairable values.
    assert result.details["n_pairable_units"] == 11
    assert result.details["n_pairable_values"] == 40
    assert result.ci95 is None
    assert result.ci_method == NO_INTERVAL
    assert result.se is None


def test_disagreements_show_the_working() -> None:
    # Krippendorff (2011): the off-diagonal coincidences sum to 8 of n = 40, and the
    # margins n_c = 9, 13, 10, 5, 3 give n^2 - sum n_c^2 = 1216 mismatching pairs.
    result = estimate(krippendorff_alpha(RatingMatrix.from_array(KRIPPENDORFF_2011), "nominal"))
    assert result.details["observed_disagreement"] == pytest.approx(8 / 40)
    assert result.details["expected_disagreement"] == pytest.approx(1216 / (40 * 39))
    assert result.value == pytest.approx(1 - 39 * 8 / 1216)


# Against the reference implementation ------------------------------------------------------


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize("level", LEVELS[:3])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matches_the_krippendorff_package(level: Level, missing: bool, data: st.DataObject) -> None:
    m = data.draw(ratings(missing=missing))
    expected = reference(m, level)
    result = krippendorff_alpha(m, level)
    if expected is None:
        assert isinstance(result, NotApplicable)
    else:
        assert estimate(result).value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_ratio_matches_the_krippendorff_package(missing: bool, data: st.DataObject) -> None:
    m = data.draw(ratings(missing=missing, lowest=0))
    expected = reference(m, "ratio")
    result = krippendorff_alpha(m, "ratio")
    if expected is None:
        assert isinstance(result, NotApplicable)
    else:
        assert estimate(result).value == pytest.approx(expected, abs=1e-9)


def test_large_matrix_matches_the_krippendorff_package() -> None:
    rng = np.random.default_rng(7)
    scores = (rng.integers(0, 7, (5000, 1)) + rng.integers(-1, 2, (5000, 5))).clip(0, 6)
    values = np.where(rng.random(scores.shape) < 0.2, NAN, scores.astype(np.float64))
    m = RatingMatrix.from_array(values, scale=(0, 6))
    for level in LEVELS:
        expected = reference(m, level)
        assert expected is not None
        assert estimate(krippendorff_alpha(m, level)).value == pytest.approx(expected, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(m=ratings(missing=True, lowest=0), level=st.sampled_from(LEVELS))
def test_unused_scale_points_do_not_change_alpha(m: RatingMatrix, level: Level) -> None:
    # Every metric weighs a value by its frequency n_g, which is 0 for an unused point.
    assert m.scale is not None
    widened = RatingMatrix.from_array(m.values, (0, m.scale[1] + 5))
    bare = RatingMatrix.from_array(m.values)
    first, *others = (krippendorff_alpha(x, level) for x in (m, widened, bare))
    for other in others:
        if isinstance(first, Estimate):
            assert estimate(other).value == pytest.approx(first.value, abs=1e-12)
        else:
            assert isinstance(other, NotApplicable)


# Properties --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(m=ratings(missing=True, lowest=0), level=st.sampled_from(LEVELS), seed=st.integers(0, 99))
def test_invariant_to_the_order_of_raters_and_subjects(
    m: RatingMatrix, level: Level, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shuffled = m.values[rng.permutation(m.n_subjects)][:, rng.permutation(m.n_raters)]
    before = krippendorff_alpha(m, level)
    after = krippendorff_alpha(RatingMatrix.from_array(shuffled, m.scale), level)
    if isinstance(before, Estimate):
        assert estimate(after).value == pytest.approx(before.value, abs=1e-12)
    else:
        assert after == before


@settings(max_examples=40, deadline=None)
@given(m=ratings(missing=True, lowest=0), level=st.sampled_from(LEVELS))
def test_at_most_one_never_nan(m: RatingMatrix, level: Level) -> None:
    result = krippendorff_alpha(m, level)
    if isinstance(result, Estimate):
        assert math.isfinite(result.value)
        assert result.value <= 1 + 1e-12
    else:
        assert result.reason


@settings(max_examples=40, deadline=None)
@given(
    truth=arrays(np.float64, st.integers(2, 20), elements=st.integers(0, 6).map(float)),
    raters=st.integers(2, 5),
    holes=st.integers(0, 2**32 - 1),
    level=st.sampled_from(LEVELS),
)
def test_perfect_agreement_gives_one(
    truth: NDArray[np.float64], raters: int, holes: int, level: Level
) -> None:
    values = np.repeat(truth[:, None], raters, axis=1)
    values[np.random.default_rng(holes).random(values.shape) < 0.3] = NAN
    result = krippendorff_alpha(RatingMatrix.from_array(values, scale=(0, 6)), level)
    pairable = (~np.isnan(values)).sum(axis=1) >= 2
    if len(np.unique(truth[pairable])) >= 2:
        assert estimate(result).value == 1.0
    else:  # nothing varies among the pairable values: undefined, not 1
        assert isinstance(result, NotApplicable)


# Edge cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("scale", [None, (1, 5)])
def test_constant_ratings_are_not_applicable(level: Level, scale: tuple[int, int] | None) -> None:
    result = krippendorff_alpha(RatingMatrix.from_array(np.full((6, 3), 3.0), scale), level)
    assert isinstance(result, NotApplicable)
    assert "expected disagreement is zero" in result.reason


@pytest.mark.parametrize("level", LEVELS)
def test_all_missing_and_single_values_are_not_applicable(level: Level) -> None:
    for values in (np.full((4, 3), NAN), np.array([[1.0, NAN], [NAN, 2.0], [3.0, NAN]])):
        result = krippendorff_alpha(RatingMatrix.from_array(values), level)
        assert isinstance(result, NotApplicable)
        assert "two or more raters" in result.reason
    single_rater = RatingMatrix.from_array(np.array([[1.0], [2.0], [3.0]]))
    assert isinstance(krippendorff_alpha(single_rater, level), NotApplicable)


def test_ratio_needs_non_negative_scores() -> None:
    m = RatingMatrix.from_array(np.array([[-1.0, 0.0], [1.0, 1.0], [2.0, 1.0]]))
    result = krippendorff_alpha(m, "ratio")
    assert isinstance(result, NotApplicable)
    assert "non-negative" in result.reason
    assert isinstance(krippendorff_alpha(m, "interval"), Estimate)


@pytest.mark.parametrize("level", LEVELS)
def test_two_subjects(level: Level) -> None:
    m = RatingMatrix.from_array(np.array([[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]]))
    expected = reference(m, level)
    assert expected is not None
    assert estimate(krippendorff_alpha(m, level)).value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_huge_scale(level: Level) -> None:
    rng = np.random.default_rng(3)
    values = (rng.integers(0, 1001, (40, 1)) + rng.integers(-30, 31, (40, 4))).clip(0, 1000)
    values = np.where(rng.random(values.shape) < 0.25, NAN, values.astype(np.float64))
    m = RatingMatrix.from_array(values, scale=(0, 1000))
    expected = reference(m, level)
    assert expected is not None
    assert estimate(krippendorff_alpha(m, level)).value == pytest.approx(expected, abs=1e-9)


def test_non_integer_scores() -> None:
    values = np.array([[0.5, 0.5, 1.25], [2.0, 2.5, 2.5], [3.75, 3.75, 3.75], [1.25, 0.5, NAN]])
    m = RatingMatrix.from_array(values)
    for level in LEVELS:
        expected = krippendorff.alpha(values.T, level_of_measurement=level)
        assert estimate(krippendorff_alpha(m, level)).value == pytest.approx(expected, abs=1e-12)


def test_invalid_arguments_raise() -> None:
    m = RatingMatrix.from_array(KRIPPENDORFF_2011)
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(m, "cardinal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        krippendorff_alpha(m, "nominal", bootstrap=-1)


# Bootstrap ---------------------------------------------------------------------------------


def noisy(n: int = 200, raters: int = 4, seed: int = 11) -> RatingMatrix:
    """Scores on 0..6 that agree well but not perfectly, with some missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, (n, 1))
    scores = (truth + rng.integers(-1, 2, (n, raters))).clip(0, 6).astype(np.float64)
    return RatingMatrix.from_array(np.where(rng.random(scores.shape) < 0.1, NAN, scores), (0, 6))


@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_is_reproducible_and_covers_the_estimate(level: Level) -> None:
    m = noisy()
    first = estimate(krippendorff_alpha(m, level, bootstrap=500, seed=5))
    again = estimate(krippendorff_alpha(m, level, bootstrap=500, seed=5))
    other = estimate(krippendorff_alpha(m, level, bootstrap=500, seed=6))
    assert first == again
    assert first.ci95 is not None
    assert other.ci95 is not None
    assert first.ci95 != other.ci95
    assert first.ci95[0] < first.value < first.ci95[1]
    assert first.se is not None
    assert 0 < first.se < 0.2
    assert first.ci_method == "percentile bootstrap over units (500 draws, seed 5)"
    assert first.details["bootstrap_draws"] == 500
    assert first.details["seed"] == 5
    assert first.details["bootstrap_undefined_draws"] == 0
    # The point estimate does not depend on the bootstrap.
    assert first.value == estimate(krippendorff_alpha(m, level)).value


def test_bootstrap_without_seed_reports_one_that_replays() -> None:
    m = noisy(60)
    result = estimate(krippendorff_alpha(m, "ordinal", bootstrap=100))
    seed = result.details["seed"]
    assert isinstance(seed, int)
    replay = estimate(krippendorff_alpha(m, "ordinal", bootstrap=100, seed=seed))
    assert replay.ci95 == result.ci95


@pytest.mark.parametrize("level", LEVELS)
def test_bootstrap_draws_equal_alpha_on_resampled_units(level: Level) -> None:
    """Each vectorised draw equals the reference alpha of the resampled matrix."""
    m = noisy(30, 3, seed=2)
    m = RatingMatrix.from_array(m.values[(~np.isnan(m.values)).sum(axis=1) >= 2], m.scale)
    draws, seed = 120, 9
    rng = np.random.default_rng(seed)  # the same stream, in the same batches
    alphas: list[float] = []
    for start in range(0, draws, PROGRESS_EVERY):
        size = min(PROGRESS_EVERY, draws - start)
        for picks in rng.integers(0, m.n_subjects, size=(size, m.n_subjects)):
            value = reference(RatingMatrix.from_array(m.values[picks], m.scale), level)
            alphas.append(NAN if value is None else value)
    defined = np.array([a for a in alphas if not math.isnan(a)])
    result = estimate(krippendorff_alpha(m, level, bootstrap=draws, seed=seed))
    assert result.ci95 == pytest.approx(tuple(np.quantile(defined, [0.025, 0.975])), abs=1e-9)
    assert result.se == pytest.approx(float(defined.std(ddof=1)), abs=1e-9)


def test_bootstrap_leaves_out_undefined_draws() -> None:
    # Ten unanimous units and one split one: a third of draws miss the split unit.
    values = np.array([[1.0, 1.0]] * 10 + [[1.0, 2.0]])
    m = RatingMatrix.from_array(values)
    result = estimate(krippendorff_alpha(m, "nominal", bootstrap=200, seed=1))
    undefined = result.details["bootstrap_undefined_draws"]
    assert isinstance(undefined, int)
    assert 20 < undefined < 150
    assert result.ci95 is not None
    assert all(math.isfinite(x) for x in result.ci95)


def test_a_single_draw_gives_no_interval() -> None:
    result = estimate(krippendorff_alpha(noisy(20), "interval", bootstrap=1, seed=1))
    assert result.ci95 is None
    assert result.se is None
    assert result.ci_method == "none (1 of 1 draws gave a defined alpha; 2 are needed)"


def test_progress_is_reported_up_to_the_total() -> None:
    calls: list[tuple[int, int]] = []
    krippendorff_alpha(
        noisy(50), "interval", bootstrap=120, seed=1, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(50, 120), (100, 120), (120, 120)]


def test_progress_finishes_when_alpha_is_undefined() -> None:
    calls: list[tuple[int, int]] = []
    constant = RatingMatrix.from_array(np.full((5, 3), 2.0))
    result = krippendorff_alpha(
        constant, "ordinal", bootstrap=80, seed=1, progress=lambda d, t: calls.append((d, t))
    )
    assert isinstance(result, NotApplicable)
    assert calls == [(80, 80)]


def test_bootstrap_is_fast() -> None:
    m = noisy(2000, 4)
    start = time.perf_counter()
    krippendorff_alpha(m, "ordinal", bootstrap=1000, seed=1)
    assert time.perf_counter() - start < 1.0
