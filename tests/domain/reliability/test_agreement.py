"""Percent agreement: a brute-force pair count, irrCAC's interval, properties and edge cases.

No Python reference library computes multi-rater percent agreement with missing ratings;
irrCAC::pa.coeff.raw (R) defines the subject-level variance we use. It keeps subjects with
a single rating in n (weighting the others by n/n2); we drop them, so the two agree exactly
when every subject has at least 2 ratings, which is what the comparison below checks.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from scipy.special import stdtrit

from app.domain.reliability.agreement import percent_agreement, subject_agreement
from app.domain.reliability.data import FloatMatrix, RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable
from tests.support.reliability import FAST, assert_clean, estimate


@st.composite
def ratings(draw: st.DrawFn, missing: bool = True, top: int = 4) -> FloatMatrix:
    n = draw(st.integers(1, 40))
    k = draw(st.integers(2, 7))
    values = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, top))).astype(float)
    if missing:
        values[draw(hnp.arrays(np.bool_, (n, k)))] = np.nan
    return values


def brute_force(values: FloatMatrix, within: int) -> tuple[list[float], float, float, float]:
    """Every rater pair of every subject, one at a time; irrCAC's variance over subjects."""
    shares = []
    for row in values.tolist():
        scores = [v for v in row if not math.isnan(v)]
        pairs = list(itertools.combinations(scores, 2))
        if pairs:
            shares.append(sum(abs(a - b) <= within for a, b in pairs) / len(pairs))
    n = len(shares)
    pa = sum(shares) / n
    se = math.sqrt(sum((s - pa) ** 2 for s in shares) / (n * (n - 1))) if n > 1 else math.nan
    half = float(stdtrit(n - 1, 0.975)) * se if n > 1 else math.nan
    return shares, pa, max(0.0, pa - half), min(1.0, pa + half)


# Worked examples --------------------------------------------------------------------------


def test_hand_computed_example() -> None:
    """Shares 1/3, 1, 1/3, 0 exact; 1, 1, 1/3, 2/3 within one point."""
    m = RatingMatrix.from_array([[1, 1, 2], [3, 3, 3], [2, 4, 4], [0, 1, 2]])
    exact, near = estimate(percent_agreement(m)), estimate(percent_agreement(m, within=1))
    assert exact.value == pytest.approx(5 / 12)
    assert near.value == pytest.approx(3 / 4)
    assert (exact.name, near.name) == ("percent_agreement", "percent_agreement_within1")
    assert exact.details["n_pairs"] == 12
    shares = np.array([1 / 3, 1, 1 / 3, 0])
    assert exact.se == pytest.approx(shares.std(ddof=1) / 2)


# Reference ----------------------------------------------------------------------------------


@FAST
@given(ratings(), st.sampled_from([0, 1, 2]))
def test_matches_brute_force_and_irrcac_interval(values: FloatMatrix, within: int) -> None:
    r = percent_agreement(RatingMatrix.from_array(values), within)
    assert_clean(r, lower=0.0, interval_required=False)
    rated = (~np.isnan(values)).sum(axis=1)
    if not (rated >= 2).any():
        assert isinstance(r, NotApplicable)
        return
    shares, pa, lo, hi = brute_force(values, within)
    r = estimate(r)
    assert r.value == pytest.approx(pa, abs=1e-12)
    assert r.details["n_subjects_used"] == len(shares)
    assert r.details["n_subjects_dropped"] == values.shape[0] - len(shares)
    if len(shares) > 1:
        assert r.ci95 == pytest.approx((lo, hi), abs=1e-12)
    else:
        assert r.ci95 is None


# Properties -------------------------------------------------------------------------------


@FAST
@given(ratings(), st.data())
def test_invariant_to_the_order_of_raters_and_subjects(
    values: FloatMatrix, data: st.DataObject
) -> None:
    rows = np.array(data.draw(st.permutations(range(values.shape[0]))))
    cols = np.array(data.draw(st.permutations(range(values.shape[1]))))
    for within in (0, 1):
        a = percent_agreement(RatingMatrix.from_array(values), within)
        b = percent_agreement(RatingMatrix.from_array(values[rows][:, cols]), within)
        assert type(a) is type(b)
        if isinstance(a, Estimate) and isinstance(b, Estimate):
            assert a.value == pytest.approx(b.value, abs=1e-12)
            assert a.ci95 == b.ci95 or a.ci95 == pytest.approx(b.ci95, abs=1e-12)


@FAST
@given(ratings())
def test_tolerance_only_adds_agreement(values: FloatMatrix) -> None:
    exact, near = (percent_agreement(RatingMatrix.from_array(values), w) for w in (0, 1))
    if isinstance(exact, Estimate):
        assert isinstance(near, Estimate)
        assert near.value >= exact.value


@FAST
@given(hnp.arrays(np.int64, st.integers(2, 40), elements=st.integers(0, 6)), st.integers(2, 6))
def test_perfect_agreement_gives_one(truth: NDArray[np.int64], k: int) -> None:
    r = estimate(percent_agreement(RatingMatrix.from_array(np.repeat(truth[:, None], k, axis=1))))
    assert r.value == 1.0
    assert r.ci95 == (1.0, 1.0)  # every subject agrees: no spread to estimate


def test_subject_agreement_matches_fleiss_definition() -> None:
    """sum_k n_ik (n_ik - 1) / (n_i (n_i - 1)), Fleiss' (1971) P_i, on a subject of 6."""
    shares, kept, n_i = subject_agreement(RatingMatrix.from_array([[1.0, 1, 3, 3, 3, 4]]))
    assert shares.tolist() == [pytest.approx((2 * 1 + 3 * 2) / (6 * 5))]
    assert kept.tolist() == [True]
    assert n_i.tolist() == [6]


# Degenerate data ------------------------------------------------------------------------------


def test_not_applicable_cases() -> None:
    single_rater = percent_agreement(RatingMatrix.from_array([[1], [2]]))
    assert isinstance(single_rater, NotApplicable)
    assert "at least 2 raters" in single_rater.reason
    nobody_paired = percent_agreement(RatingMatrix.from_array([[1, np.nan], [np.nan, 2]]))
    assert isinstance(nobody_paired, NotApplicable)
    assert "no subject" in nobody_paired.reason
    with pytest.raises(ValueError, match="non-negative"):
        percent_agreement(RatingMatrix.from_array([[1, 1]]), within=-1)


def test_one_subject_has_a_value_but_no_interval() -> None:
    r = estimate(percent_agreement(RatingMatrix.from_array([[1, 1, 2], [3, np.nan, np.nan]])))
    assert r.value == pytest.approx(1 / 3)
    assert r.ci95 is None
    assert r.se is None
    assert r.details["n_subjects_dropped"] == 1


def test_constant_ratings_single_category_and_two_subjects() -> None:
    constant = estimate(percent_agreement(RatingMatrix.from_array(np.full((5, 3), 2.0))))
    assert (constant.value, constant.ci95) == (1.0, (1.0, 1.0))
    two = estimate(percent_agreement(RatingMatrix.from_array([[1, 2], [3, 3]])))
    assert two.value == 0.5
    assert_clean(two, lower=0.0, interval_required=False)


def test_huge_scale_and_nan_heavy() -> None:
    rng = np.random.default_rng(4)
    values = rng.integers(0, 1001, size=(400, 6)).astype(float)
    values[rng.random(values.shape) < 0.8] = np.nan
    m = RatingMatrix.from_array(values, scale=(0, 1000))
    for within in (0, 1):
        r = percent_agreement(m, within)
        assert_clean(r, lower=0.0, interval_required=False)
        _, pa, _, _ = brute_force(values, within)
        assert estimate(r).value == pytest.approx(pa, abs=1e-12)


@FAST
@given(ratings(top=1))
def test_never_nan_or_exception(values: FloatMatrix) -> None:
    assume(values.size > 0)
    for within in (0, 1):
        assert_clean(
            percent_agreement(RatingMatrix.from_array(values), within),
            lower=0.0,
            interval_required=False,
        )
