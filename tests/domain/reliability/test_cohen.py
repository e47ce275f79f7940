"""Cohen's kappa: textbook and SAS examples, scikit-learn and statsmodels, properties, edges.

Where the references differ from us (documented in app/domain/reliability/cohen.py):
- scikit-learn weighs by label index, we (and statsmodels, Cohen 1968) by score distance:
  identical on a scale, different for observed categories with gaps (tested below);
- neither reference clips the Wald interval to [-1, 1]; we do;
- both fail or return NaN where we return NotApplicable (expected agreement 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa

from app.domain.reliability.cohen import cohen_kappa
from app.domain.reliability.data import FloatMatrix, RatingMatrix
from app.domain.reliability.results import Estimate, NotApplicable
from app.domain.reliability.weights import WeightKind
from tests.support.reliability import FAST, assert_clean, estimate

KINDS: tuple[WeightKind, ...] = ("unweighted", "linear", "quadratic")
# SAS PROC FREQ's printout for this 3 x 3 table, as reproduced in statsmodels' test suite.
SAS_TABLE = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])


def from_table(table: NDArray[np.int64], scale: tuple[int, int] | None = None) -> RatingMatrix:
    rows, cols = np.indices(table.shape)
    pairs = np.repeat(np.column_stack([rows.ravel(), cols.ravel()]), table.ravel(), axis=0)
    return RatingMatrix.from_array(pairs.astype(float), scale=scale)


@st.composite
def two_raters(draw: st.DrawFn, missing: bool = True, top: int = 4) -> FloatMatrix:
    n = draw(st.integers(2, 60))
    values = draw(hnp.arrays(np.int64, (n, 2), elements=st.integers(0, top))).astype(float)
    if missing:
        one_in_four = st.sampled_from([False, False, False, True])
        values[draw(hnp.arrays(np.bool_, (n, 2), elements=one_in_four))] = np.nan
    return values


# Published examples ---------------------------------------------------------------------------


def test_wikipedia_two_by_two() -> None:
    """p_o = 0.70, p_e = 0.50, kappa = 0.40 (Wikipedia, "Cohen's kappa", worked example)."""
    r = estimate(cohen_kappa(from_table(np.array([[15, 10], [5, 20]]))))
    assert r.value == pytest.approx(0.4)
    assert r.details["p_observed"] == pytest.approx(0.7)
    assert r.details["p_expected"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("kind", "published"),
    [
        # kappa, ASE, 95% lower, 95% upper, ASE under H0, Z
        ("unweighted", (0.4842, 0.1380, 0.2137, 0.7547, 0.1484, 3.2626)),
        ("linear", (0.4701, 0.1457, 0.1845, 0.7558, 0.1426, 3.2971)),
    ],
)
def test_sas_proc_freq_example(kind: WeightKind, published: tuple[float, ...]) -> None:
    """SAS PROC FREQ uses the same Fleiss-Cohen-Everitt variances and Cicchetti-Allison
    (linear) weights; its printout is rounded to four decimals."""
    r = estimate(cohen_kappa(from_table(SAS_TABLE, scale=(0, 2)), kind))
    assert r.se is not None
    assert r.ci95 is not None
    ours = (r.value, r.se, *r.ci95, r.details["se_null"], r.details["z"])
    assert [round(float(x), 4) for x in ours] == list(published)


# Reference libraries ----------------------------------------------------------------------


@FAST
@given(two_raters(), st.sampled_from(KINDS))
def test_matches_sklearn_and_statsmodels(values: FloatMatrix, kind: WeightKind) -> None:
    top = 4
    m = RatingMatrix.from_array(values, scale=(0, top))
    ours = cohen_kappa(m, kind)
    assert_clean(ours)
    both = ~np.isnan(values).any(axis=1)
    assume(isinstance(ours, Estimate))
    assert isinstance(ours, Estimate)
    a, b = values[both, 0], values[both, 1]
    labels = list(range(top + 1))
    sk = cohen_kappa_score(a, b, labels=labels, weights=None if kind == "unweighted" else kind)
    assert ours.value == pytest.approx(sk, abs=1e-9)

    table = np.zeros((top + 1, top + 1))
    np.add.at(table, (a.astype(int), b.astype(int)), 1)
    if kind == "unweighted":
        sm = cohens_kappa(table)
    else:
        sm = cohens_kappa(table, weights=np.arange(top + 1.0), wt=kind)
    assert ours.value == pytest.approx(sm.kappa, abs=1e-9)
    assert ours.details["n_subjects_used"] == int(both.sum())
    if "se_null" in ours.details:
        assert ours.details["se_null"] == pytest.approx(sm.std_kappa0, abs=1e-9)
    else:  # a null variance of exactly 0 (e.g. a rater used one category): statsmodels
        # returns its rounding residue (~1e-6 after the square root) or NaN
        assert not sm.std_kappa0 > 1e-5
    # A zero variance comes out of statsmodels as rounding residue (sqrt(1e-15)) or NaN;
    # ours flushes it to 0.
    assume(np.isfinite(sm.std_kappa) and sm.std_kappa > 1e-5)
    assert ours.se == pytest.approx(sm.std_kappa, abs=1e-9)
    assert ours.ci95 is not None
    lo, hi = max(-1.0, sm.kappa_low), min(1.0, sm.kappa_upp)  # statsmodels does not clip
    assert ours.ci95 == pytest.approx((lo, hi), abs=1e-9)


def test_gapped_categories_weigh_by_distance_like_statsmodels_not_sklearn() -> None:
    """Without a scale, observed scores 0, 1, 5: 1 and 5 are four points apart, not one."""
    values = np.array([[0, 0], [1, 1], [5, 5], [0, 1], [1, 5], [5, 5], [0, 5], [1, 0]], float)
    ours = estimate(cohen_kappa(RatingMatrix.from_array(values), "linear"))
    table = np.zeros((3, 3))
    codes = np.searchsorted([0, 1, 5], values).astype(int)
    np.add.at(table, (codes[:, 0], codes[:, 1]), 1)
    sm = cohens_kappa(table, weights=np.array([0.0, 1.0, 5.0]), wt="linear")
    assert ours.value == pytest.approx(sm.kappa, abs=1e-12)
    sk = cohen_kappa_score(values[:, 0], values[:, 1], weights="linear")
    assert abs(ours.value - sk) > 0.05  # scikit-learn: index distance


def test_unused_scale_points_cancel_from_weighted_kappa() -> None:
    """1 - w is proportional to distance whatever the span, and kappa is invariant to that
    factor: a 0..6 scale and the observed 1..3 give the same kappa and SE (as scikit-learn
    with and without ``labels``). Gwet's AC2 and alpha, by contrast, depend on the scale."""
    values = np.array([[1, 1], [1, 2], [2, 2], [2, 3], [3, 3], [3, 1], [2, 2]], float)
    for kind in ("linear", "quadratic"):
        narrow = estimate(cohen_kappa(RatingMatrix.from_array(values), kind))
        wide = estimate(cohen_kappa(RatingMatrix.from_array(values, scale=(0, 6)), kind))
        sk = cohen_kappa_score(values[:, 0], values[:, 1], weights=kind, labels=range(7))
        assert wide.value == pytest.approx(sk, abs=1e-12)
        assert wide.value == pytest.approx(narrow.value, abs=1e-12)
        assert wide.se == pytest.approx(narrow.se, abs=1e-12)


# Properties -------------------------------------------------------------------------------


@FAST
@given(two_raters(), st.sampled_from(KINDS), st.data())
def test_invariant_to_the_order_of_raters_and_subjects(
    values: FloatMatrix, kind: WeightKind, data: st.DataObject
) -> None:
    order = np.array(data.draw(st.permutations(range(values.shape[0]))))
    a = cohen_kappa(RatingMatrix.from_array(values, scale=(0, 4)), kind)
    b = cohen_kappa(RatingMatrix.from_array(values[order][:, ::-1], scale=(0, 4)), kind)
    assert type(a) is type(b)
    if isinstance(a, Estimate) and isinstance(b, Estimate):
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert a.se == pytest.approx(b.se, abs=1e-9)  # a small SE is a root of a difference


@FAST
@given(hnp.arrays(np.int64, st.integers(2, 50), elements=st.integers(0, 6)), st.sampled_from(KINDS))
def test_perfect_agreement_gives_one(truth: NDArray[np.int64], kind: WeightKind) -> None:
    assume(np.ptp(truth) > 0)
    r = estimate(cohen_kappa(RatingMatrix.from_array(np.column_stack([truth, truth])), kind))
    assert r.value == pytest.approx(1.0)
    assert r.ci95 == pytest.approx((1.0, 1.0))


# Degenerate data ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_not_applicable_cases(kind: WeightKind) -> None:
    cases = {
        "exactly 2 raters; these data have 3": [[1, 2, 3], [2, 3, 1]],
        "exactly 2 raters; these data have 1": [[1], [2]],
        "at least 2 subjects scored by both raters; 1 are": [[1, 2], [2, np.nan], [np.nan, 1]],
        "expected agreement is 1": [[3, 3], [3, 3], [3, 3]],
    }
    for fragment, values in cases.items():
        r = cohen_kappa(RatingMatrix.from_array(np.asarray(values, float), scale=(1, 3)), kind)
        assert isinstance(r, NotApplicable), (fragment, r)
        assert fragment in r.reason
    single_category = RatingMatrix.from_array([[2, 2], [2, 2], [2, np.nan]])
    r = cohen_kappa(single_category, kind)
    assert isinstance(r, NotApplicable)
    assert "expected agreement is 1" in r.reason


def test_raters_in_disjoint_single_categories_give_zero() -> None:
    r = estimate(cohen_kappa(RatingMatrix.from_array([[1, 2], [1, 2], [1, 2]])))
    assert r.value == 0.0
    assert_clean(r)


def test_two_subjects() -> None:
    for kind in KINDS:
        assert_clean(estimate(cohen_kappa(RatingMatrix.from_array([[1, 1], [2, 3]]), kind)))


@pytest.mark.parametrize("kind", KINDS)
def test_huge_scale(kind: WeightKind) -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 1001, 300)
    values = np.column_stack([truth, np.clip(truth + rng.integers(-20, 21, 300), 0, 1000)])
    r = estimate(cohen_kappa(RatingMatrix.from_array(values.astype(float), scale=(0, 1000)), kind))
    assert_clean(r)
    weights = None if kind == "unweighted" else kind
    sk = cohen_kappa_score(values[:, 0], values[:, 1], weights=weights, labels=range(1001))
    assert r.value == pytest.approx(sk, abs=1e-9)


def test_scores_between_scale_points() -> None:
    values = np.array([[1.5, 1.5], [2, 2.5], [3, 3], [0, 0]])
    r = estimate(cohen_kappa(RatingMatrix.from_array(values, scale=(0, 3)), "linear"))
    assert_clean(r)


@FAST
@given(two_raters(top=2), st.sampled_from(KINDS))
def test_never_nan_or_exception(values: FloatMatrix, kind: WeightKind) -> None:
    assert_clean(cohen_kappa(RatingMatrix.from_array(values), kind))
