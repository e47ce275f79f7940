"""ICC: Shrout & Fleiss' worked example, pingouin on random data, properties and edge cases.

pingouin ports psych::ICC line for line, so on complete data the two agree to rounding error
for every value, F, df, p and interval. pingouin rounds its intervals to two decimals by
default; we compare both the rounded output (to 0.005) and, with its rounding switched off,
the full-precision one (to 1e-9). References differ from us only where documented in
app/domain/reliability/icc.py: irr::icc's ICC(A,k) interval and two-sided p (not checked
here: no R), and forms whose variance estimate is not positive (psych and pingouin print a
ratio, we return NotApplicable).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from app.domain.reliability.data import FloatMatrix, RatingMatrix, RatingsInputError
from app.domain.reliability.icc import FORMS, icc, icc_blocks
from app.domain.reliability.results import Estimate, NotApplicable, Result

SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
PINGOUIN_TYPES = dict(
    zip(
        FORMS, ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"], strict=True
    )
)
FAST = settings(max_examples=50, deadline=None)


def estimates(results: dict[str, Result]) -> dict[str, Estimate]:
    assert all(isinstance(r, Estimate) for r in results.values()), results
    return {name: r for name, r in results.items() if isinstance(r, Estimate)}


def assert_clean(result: Result) -> None:
    """Never NaN or infinite: an Estimate's numbers are finite, a NotApplicable has a reason."""
    if isinstance(result, NotApplicable):
        assert result.reason
        return
    assert math.isfinite(result.value)
    if result.ci95 is not None:
        assert all(math.isfinite(b) for b in result.ci95)
        assert result.ci95[0] <= result.value + 1e-9
        assert result.value <= result.ci95[1] + 1e-9
    for v in result.details.values():
        assert isinstance(v, str) or math.isfinite(v)


@st.composite
def ratings(draw: st.DrawFn, missing: bool = False, top: int = 6) -> FloatMatrix:
    n = draw(st.integers(2, 25))
    k = draw(st.integers(2, 6))
    values = draw(hnp.arrays(np.int64, (n, k), elements=st.integers(0, top))).astype(float)
    if missing:
        one_in_five = st.sampled_from([False, False, False, False, True])
        values[draw(hnp.arrays(np.bool_, (n, k), elements=one_in_five))] = np.nan
    return values


@contextmanager
def pingouin_unrounded() -> Iterator[None]:
    saved = dict(pingouin.options)
    pingouin.options.pop("round.column.CI95", None)
    try:
        yield
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)


def pingouin_icc(values: FloatMatrix) -> pd.DataFrame:
    n, k = values.shape
    frame = pd.DataFrame(
        {
            "subject": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "score": values.ravel(),
        }
    )
    return pingouin.intraclass_corr(frame, "subject", "rater", "score", nan_policy="omit")


# Published worked example ----------------------------------------------------------------


def test_shrout_fleiss_table_1_to_published_rounding() -> None:
    """Shrout & Fleiss (1979), Table 1 data: their mean squares and six ICCs, two decimals."""
    r = estimates(icc(RatingMatrix.from_array(SHROUT_FLEISS)))
    assert {name: round(e.value, 2) for name, e in r.items()} == {
        "ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91,
    }  # fmt: skip
    d = r["ICC1"].details
    names = ("ms_subjects", "ms_within", "ms_raters", "ms_error")
    assert [round(float(d[k]), 2) for k in names] == [11.24, 6.26, 32.49, 1.02]


def test_shrout_fleiss_intervals_as_psych_prints_them() -> None:
    """psych::ICC's help-page output for the same data (psych prints F and bounds rounded)."""
    r = estimates(icc(RatingMatrix.from_array(SHROUT_FLEISS)))
    printed = {  # F, df1, df2, p, lower, upper
        "ICC1": (1.8, 5, 18, 0.16477, -0.133, 0.72),
        "ICC2": (11.0, 5, 15, 0.00013, 0.019, 0.76),
        "ICC3": (11.0, 5, 15, 0.00013, 0.342, 0.95),
        "ICC1k": (1.8, 5, 18, 0.16477, -0.884, 0.91),
        "ICC2k": (11.0, 5, 15, 0.00013, 0.071, 0.93),
        "ICC3k": (11.0, 5, 15, 0.00013, 0.676, 0.99),
    }
    for name, (f, df1, df2, p, lo, hi) in printed.items():
        e = r[name]
        assert e.ci95 is not None
        assert round(float(e.details["F"]), 1) == f
        assert (e.details["df1"], e.details["df2"]) == (df1, df2)
        assert round(float(e.details["p"]), 5) == p
        assert round(e.ci95[0], 3) == lo
        assert round(e.ci95[1], 2) == hi
    assert r["ICC2"].ci_method != r["ICC2k"].ci_method  # the Spearman-Brown step-up is named


# Reference library --------------------------------------------------------------------------


@FAST
@given(ratings())
def test_matches_pingouin_on_complete_data(values: FloatMatrix) -> None:
    assume(values.size >= 5)  # pingouin's minimum
    ours = icc(RatingMatrix.from_array(values))
    assume(all(isinstance(r, Estimate) and r.ci95 is not None for r in ours.values()))
    assume(all("F" in r.details for r in ours.values() if isinstance(r, Estimate)))
    rounded = pingouin_icc(values).set_index("Type")
    with pingouin_unrounded():
        exact = pingouin_icc(values).set_index("Type")
    for name, r in estimates(ours).items():
        row, row_exact = rounded.loc[PINGOUIN_TYPES[name]], exact.loc[PINGOUIN_TYPES[name]]
        assert r.value == pytest.approx(row["ICC"], abs=1e-9)
        assert r.details["F"] == pytest.approx(row["F"], rel=1e-9)
        assert (r.details["df1"], r.details["df2"]) == (row["df1"], row["df2"])
        assert r.details["p"] == pytest.approx(row["pval"], rel=1e-9, abs=1e-300)
        assert r.ci95 is not None
        # pingouin's default output: two decimals.
        assert np.allclose(r.ci95, row["CI95"], rtol=1e-9, atol=0.005 + 1e-9)
        assert np.allclose(r.ci95, row_exact["CI95"], rtol=1e-9, atol=1e-9)


@FAST
@given(ratings(missing=True))
def test_listwise_deletion_matches_pingouin_omit(values: FloatMatrix) -> None:
    m = RatingMatrix.from_array(values)
    ours = icc(m)
    complete = int((~np.isnan(values).any(axis=1)).sum())
    for r in ours.values():
        assert_clean(r)
        if isinstance(r, Estimate):
            assert r.details["n_subjects_used"] == complete
            assert r.details["n_subjects_dropped"] == m.n_subjects - complete
    assume(all(isinstance(r, Estimate) and "F" in r.details for r in ours.values()))
    assume(complete * values.shape[1] >= 5)  # pingouin's minimum
    theirs = pingouin_icc(values).set_index("Type")
    for name, r in estimates(ours).items():
        assert r.value == pytest.approx(theirs.loc[PINGOUIN_TYPES[name], "ICC"], abs=1e-9)


# Properties ---------------------------------------------------------------------------------


def _values(results: dict[str, Result]) -> dict[str, float | str]:
    return {n: r.value if isinstance(r, Estimate) else r.reason for n, r in results.items()}


@FAST
@given(ratings(missing=True), st.data())
def test_invariant_to_the_order_of_raters_and_subjects(
    values: FloatMatrix, data: st.DataObject
) -> None:
    rows = data.draw(st.permutations(range(values.shape[0])))
    cols = data.draw(st.permutations(range(values.shape[1])))
    shuffled = values[np.array(rows)][:, np.array(cols)]
    a, b = icc(RatingMatrix.from_array(values)), icc(RatingMatrix.from_array(shuffled))
    for name in FORMS:
        ra, rb = a[name], b[name]
        assert type(ra) is type(rb)
        if isinstance(ra, Estimate) and isinstance(rb, Estimate):
            assert ra.value == pytest.approx(rb.value, abs=1e-9)
            assert (ra.ci95 is None) == (rb.ci95 is None)
            if ra.ci95 is not None and rb.ci95 is not None:
                assert np.allclose(ra.ci95, rb.ci95, atol=1e-9)


@FAST
@given(hnp.arrays(np.int64, st.integers(2, 30), elements=st.integers(0, 6)), st.integers(2, 6))
def test_perfect_agreement_gives_one(truth: NDArray[np.int64], k: int) -> None:
    assume(np.ptp(truth) > 0)
    results = icc(RatingMatrix.from_array(np.repeat(truth[:, None], k, axis=1).astype(float)))
    for e in estimates(results).values():
        assert e.value == pytest.approx(1.0)
        assert e.ci95 == pytest.approx((1.0, 1.0))
        assert "F_note" in e.details
        assert e.details["p"] == 0.0
        assert_clean(e)


@FAST
@given(ratings())
def test_average_of_k_is_at_least_single_rater_when_positive(values: FloatMatrix) -> None:
    r = icc(RatingMatrix.from_array(values))
    for single, average in (("ICC3", "ICC3k"), ("ICC1", "ICC1k"), ("ICC2", "ICC2k")):
        s, a = r[single], r[average]
        if isinstance(s, Estimate) and s.value > 0:
            assert isinstance(a, Estimate)
            assert a.value >= s.value - 1e-12


@FAST
@given(ratings(), st.floats(0.1, 100), st.floats(-50, 50))
def test_invariant_to_linear_rescaling(values: FloatMatrix, scale: float, shift: float) -> None:
    a = _values(icc(RatingMatrix.from_array(values)))
    b = _values(icc(RatingMatrix.from_array(values * scale + shift)))
    for name in FORMS:
        if isinstance(a[name], float):
            assert b[name] == pytest.approx(a[name], abs=1e-7)


# Degenerate data ----------------------------------------------------------------------------


def _all_not_applicable(results: dict[str, Result], fragment: str) -> None:
    assert set(results) == set(FORMS)
    for name, r in results.items():
        assert isinstance(r, NotApplicable), r
        assert r.name == name
        assert fragment in r.reason


def test_constant_ratings_are_not_applicable() -> None:
    _all_not_applicable(icc(RatingMatrix.from_array(np.full((5, 3), 4.0))), "zero variance")


def test_a_single_rater_is_not_applicable() -> None:
    _all_not_applicable(icc(RatingMatrix.from_array([[1], [2], [3]])), "at least 2 raters")


def test_nan_heavy_matrix_leaves_too_few_complete_subjects() -> None:
    values = np.full((50, 4), np.nan)
    values[np.arange(50), np.arange(50) % 4] = 3.0
    values[0] = [1, 2, 3, 4]
    _all_not_applicable(icc(RatingMatrix.from_array(values)), "1 of 50 are complete")
    _all_not_applicable(icc(RatingMatrix.from_array(np.full((3, 3), np.nan))), "0 of 3")


def test_two_subjects_are_enough() -> None:
    for r in icc(RatingMatrix.from_array([[1, 2, 2], [4, 5, 6]])).values():
        assert isinstance(r, Estimate)
        assert r.details["df1"] == 1
        assert_clean(r)


def test_no_subject_variance_keeps_defined_forms_and_explains_the_rest() -> None:
    """Subjects and raters with equal means: ICC2's variance estimate is 0 when n = k = 2."""
    results = icc(RatingMatrix.from_array([[1, 2], [2, 1]]))
    for r in results.values():
        assert_clean(r)
    assert isinstance(results["ICC1"], Estimate)
    assert results["ICC1"].value == -1.0
    for name in ("ICC2", "ICC1k", "ICC2k", "ICC3k"):
        r = results[name]
        assert isinstance(r, NotApplicable)
        assert "not positive" in r.reason


def test_huge_scale() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 1001, size=(200, 5)).astype(float)
    for r in icc(RatingMatrix.from_array(values, scale=(0, 1000))).values():
        assert isinstance(r, Estimate)
        assert_clean(r)


@FAST
@given(ratings(missing=True, top=2))
def test_never_nan_or_exception(values: FloatMatrix) -> None:
    for r in icc(RatingMatrix.from_array(values)).values():
        assert_clean(r)


# Blocks ---------------------------------------------------------------------------------------


def assert_same(batched: Result, alone: Result) -> None:
    """One block's batched result is its own ``icc`` result, up to rounding in the numbers."""
    assert type(batched) is type(alone)
    if isinstance(batched, NotApplicable):
        assert batched == alone
        return
    assert isinstance(alone, Estimate)
    assert (batched.name, batched.ci_method) == (alone.name, alone.ci_method)
    assert batched.value == pytest.approx(alone.value, rel=1e-12, abs=1e-15)
    if batched.ci95 is None or alone.ci95 is None:
        assert batched.ci95 is alone.ci95
    else:
        assert batched.ci95 == pytest.approx(alone.ci95, rel=1e-12, abs=1e-15)
    assert list(batched.details) == list(alone.details)
    for key, value in batched.details.items():
        expected = alone.details[key]
        if isinstance(value, str) or isinstance(expected, str):
            assert value == expected
        else:
            assert type(value) is type(expected)
            assert value == pytest.approx(expected, rel=1e-12, abs=1e-15)


def why(result: Result) -> str:
    """The fragment of a reason or interval method that each test below looks for."""
    text = result.reason if isinstance(result, NotApplicable) else result.ci_method
    for fragment in (
        "ICC2 limits stepped up by Spearman-Brown",  # an interval shown
        "0 of 0 are complete",
        "1 of 1 are complete",
        "1 of 3 are complete",
        "zero variance",
        "the pole of the Spearman-Brown step-up",
        "the F quantiles are undefined",
        "the interval excludes the estimate",
        "the variance estimate in the denominator is not positive",
    ):
        if fragment in text:
            return fragment
    return text


def each_alone(values: FloatMatrix, bounds: list[int], form: str) -> list[Result]:
    return [
        icc(RatingMatrix.from_array(values[lo:hi]))[form] for lo, hi in itertools.pairwise(bounds)
    ]


@st.composite
def blocks(draw: st.DrawFn) -> tuple[FloatMatrix, list[int]]:
    """Blocks of 0 to 12 rows over 2 or 3 raters: random, constant or in perfect agreement,
    some with missing scores."""
    k = draw(st.integers(2, 3))
    sizes = draw(st.lists(st.integers(0, 12), max_size=8))
    parts = [np.zeros((0, k))]
    for size in sizes:
        block = draw(hnp.arrays(np.int64, (size, k), elements=st.integers(0, 4))).astype(float)
        kind = draw(st.sampled_from(["random", "constant", "agreeing"]))
        if kind == "constant":
            block[:] = draw(st.integers(0, 4))
        elif kind == "agreeing":
            block[:] = block[:, :1]
        if draw(st.booleans()):
            one_in_five = st.sampled_from([False, False, False, False, True])
            block[draw(hnp.arrays(np.bool_, (size, k), elements=one_in_five))] = np.nan
        parts.append(block)
    return np.concatenate(parts), [0, *itertools.accumulate(sizes)]


@settings(max_examples=200, deadline=None)
@given(blocks())
def test_blocks_match_icc_of_each_block(data: tuple[FloatMatrix, list[int]]) -> None:
    values, bounds = data
    for form in FORMS:
        batched = icc_blocks(values, bounds, form)
        assert len(batched) == len(bounds) - 1
        for got, alone in zip(batched, each_alone(values, bounds, form), strict=True):
            assert_same(got, alone)


def test_blocks_too_small_or_constant_are_explained_each() -> None:
    nan = np.nan
    values = np.array(
        [[1, 2], [3, 3], [0, 4],  # usable
         [2, 2],  # one row
         [1, nan], [nan, nan], [2, 2],  # one complete row of three
         [4, 4], [4, 4], [4, nan],  # constant once incomplete rows go
         [0, 1], [2, 4]],  # usable
        dtype=float,
    )  # fmt: skip
    bounds = [0, 3, 3, 4, 7, 10, 12]  # the second block is empty
    results = icc_blocks(values, bounds)
    assert [why(r) for r in results] == [
        "ICC2 limits stepped up by Spearman-Brown",
        "0 of 0 are complete",
        "1 of 1 are complete",
        "1 of 3 are complete",
        "zero variance",
        "ICC2 limits stepped up by Spearman-Brown",
    ]
    for got, alone in zip(results, each_alone(values, bounds, "ICC2k"), strict=True):
        assert_same(got, alone)


def test_blocks_count_their_own_dropped_subjects() -> None:
    nan = np.nan
    values = np.array([[1, 2], [nan, 3], [3, 3], [0, 4], [2, 2], [1, 3], [4, nan], [nan, 0]])
    results = icc_blocks(values, [0, 4, 8], "ICC2")
    used = [r.details["n_subjects_used"] for r in results if isinstance(r, Estimate)]
    dropped = [r.details["n_subjects_dropped"] for r in results if isinstance(r, Estimate)]
    assert (used, dropped) == ([3, 2], [1, 2])


def test_blocks_with_zero_error_mean_square_have_infinite_f() -> None:
    """Perfect agreement, then raters apart by a constant: both leave no residual."""
    values = np.array([[0, 0], [1, 1], [3, 3], [0, 1], [1, 2], [3, 4]], dtype=float)
    bounds = [0, 3, 6]
    for form in ("ICC2", "ICC2k", "ICC3k"):
        results = icc_blocks(values, bounds, form)
        for got, alone in zip(results, each_alone(values, bounds, form), strict=True):
            assert_same(got, alone)
            assert isinstance(got, Estimate)
            assert "F_note" in got.details
            assert got.details["p"] == 0.0
        agreeing = results[0]
        assert isinstance(agreeing, Estimate)
        assert agreeing.value == pytest.approx(1.0)
        assert agreeing.ci95 == pytest.approx((1.0, 1.0))


def test_blocks_withhold_intervals_as_icc_does() -> None:
    """The Spearman-Brown pole, undefined F quantiles, an interval excluding its estimate,
    and a denominator that is not positive, side by side with an ordinary block."""
    values = np.array(
        [[2, 4], [1, 0],  # ICC2k lower limit at the pole
         [2, 3], [1, 4],  # ICC2k quantiles undefined
         [1, 4], [0, 4], [3, 1], [1, 4],  # ICC2k interval excludes the estimate
         [1, 2], [2, 1],  # no subject variance: ICC2k's denominator is 0
         *(row[:2] for row in SHROUT_FLEISS)],  # Table 1, first two judges
        dtype=float,
    )  # fmt: skip
    bounds = [0, 2, 4, 8, 10, 16]
    results = icc_blocks(values, bounds)
    for got, alone in zip(results, each_alone(values, bounds, "ICC2k"), strict=True):
        assert_same(got, alone)
    assert [why(r) for r in results] == [
        "the pole of the Spearman-Brown step-up",
        "the F quantiles are undefined",
        "the interval excludes the estimate",
        "the variance estimate in the denominator is not positive",
        "ICC2 limits stepped up by Spearman-Brown",
    ]
    assert [r.ci95 is None for r in results if isinstance(r, Estimate)] == [True] * 3 + [False]


def test_blocks_of_one_rater_are_not_applicable() -> None:
    results = icc_blocks(np.array([[1.0], [2.0], [3.0]]), [0, 2, 3], "ICC1")
    assert results == [NotApplicable("ICC1", "needs at least 2 raters; these data have 1")] * 2


def test_no_blocks() -> None:
    assert icc_blocks(np.zeros((0, 2)), [0]) == []


@pytest.mark.parametrize("bounds", [[], [1, 3], [0, 2], [0, 3, 2, 3]])
def test_blocks_must_tile_the_rows(bounds: list[int]) -> None:
    with pytest.raises(RatingsInputError, match="ascend from 0"):
        icc_blocks(np.zeros((3, 2)), bounds)


def test_blocks_of_an_unknown_form() -> None:
    with pytest.raises(ValueError, match="unknown ICC form"):
        icc_blocks(np.zeros((3, 2)), [0, 3], "ICC4")
