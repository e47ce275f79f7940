"""Rater quality: hand-computed examples, a naive reference, scipy's t interval, the engine's
coefficients, exact properties of the differences, drift on a planted shift, straight-lining.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.rater_quality import (
    Calibration,
    CertificationRule,
    DriftRule,
    RaterSeverity,
    calibration,
    certified_raters,
    differences,
    drift,
    is_straight_lined,
    severity,
    straight_lined,
)
from app.domain.reliability.agreement import percent_agreement
from app.domain.reliability.data import RatingMatrix, RatingsInputError
from app.domain.reliability.gwet import gwet_ac
from app.domain.reliability.icc import icc
from app.domain.reliability.results import Estimate, NotApplicable

NAN = math.nan
FAST = settings(max_examples=60, deadline=None)

# Two sessions x two items x raters a, b, c (c only on some units; a's s2/i2 is N/A):
#   s1/i1: a 3, b 2, c 1 -> a 3 - 1.5 = 1.5, b 2 - 2 = 0, c 1 - 2.5 = -1.5
#   s1/i2: a 4, b 4      -> a 0, b 0
#   s2/i1: a 5, b 3      -> a 2, b -2
#   s2/i2: a N/A, b 3, c 2 -> b 1, c -1
H_SESSIONS = ["s1", "s1", "s1", "s1", "s1", "s2", "s2", "s2", "s2", "s2"]
H_ITEMS = ["i1", "i1", "i1", "i2", "i2", "i1", "i1", "i2", "i2", "i2"]
H_RATERS = ["a", "b", "c", "a", "b", "a", "b", "a", "b", "c"]
H_SCORES = [3, 2, 1, 4, 4, 5, 3, NAN, 3, 2]
HAND_DIFFERENCES = [1.5, 0.0, -1.5, 0.0, 0.0, 2.0, -2.0, NAN, 1.0, -1.0]
# Session means of the differences: a (0.75, 2), b (0, -0.5), c (-1.5, -1).
HAND_SESSION_MEANS = {"a": [0.75, 2.0], "b": [0.0, -0.5], "c": [-1.5, -1.0]}


def hand_severity() -> dict[str | int, RaterSeverity]:
    return severity(H_SESSIONS, H_RATERS, H_SCORES, items=H_ITEMS)


# --- differences and severity: hand-computed ---------------------------------------


def test_differences_by_hand() -> None:
    got = differences(H_SESSIONS, H_RATERS, H_SCORES, items=H_ITEMS)
    np.testing.assert_array_equal(got, HAND_DIFFERENCES)


def test_severity_by_hand() -> None:
    s = hand_severity()
    assert set(s) == {"a", "b", "c"}
    assert (s["a"].mean_difference, s["a"].n_units, s["a"].n_sessions) == (1.375, 3, 2)
    assert (s["b"].mean_difference, s["b"].n_units, s["b"].n_sessions) == (-0.25, 4, 2)
    assert (s["c"].mean_difference, s["c"].n_units, s["c"].n_sessions) == (-1.25, 2, 2)
    # a: session means 0.75 and 2: SE = |2 - 0.75| / 2 = 0.625, t(1) = 12.706.
    assert s["a"].se == pytest.approx(0.625)
    assert s["a"].ci95 == pytest.approx((1.375 - 12.7062047 * 0.625, 1.375 + 12.7062047 * 0.625))
    assert all(r.flag is None for r in s.values())  # 2 sessions: every interval is wide


@pytest.mark.parametrize("rater", ["a", "b", "c"])
def test_ci_is_scipys_t_interval_over_session_means(rater: str) -> None:
    means = HAND_SESSION_MEANS[rater]
    lo, hi = scipy.stats.t.interval(
        0.95, len(means) - 1, loc=np.mean(means), scale=scipy.stats.sem(means)
    )
    got = hand_severity()[rater]
    assert got.mean_difference == pytest.approx(np.mean(means))
    assert got.ci95 == pytest.approx((lo, hi), rel=1e-12)


def test_sessions_count_once_whatever_their_number_of_items() -> None:
    # s1: 4 items where a is 1 above b; s2: 1 item where a is 3 above b.
    sessions = ["s1"] * 8 + ["s2"] * 2
    items = ["i1", "i1", "i2", "i2", "i3", "i3", "i4", "i4", "i1", "i1"]
    raters = ["a", "b"] * 5
    scores = [3, 2, 4, 3, 5, 4, 2, 1, 5, 2]
    s = severity(sessions, raters, scores, items=items)
    assert s["a"].mean_difference == 2.0  # mean of 1 and 3, not (4 * 1 + 3) / 5
    assert s["a"].n_units == 5
    assert s["b"].mean_difference == -2.0


def test_session_level_records() -> None:
    # Without items each session is one unit, scored e.g. by the rater's session mean.
    s = severity(["s1", "s1", "s2", "s2", "s3"], ["a", "b", "a", "b", "a"], [4, 2, 5, 4, 1])
    assert s["a"].mean_difference == 1.5  # s3 has a single rater: no difference
    assert (s["a"].n_units, s["a"].n_sessions) == (2, 2)


def test_flags_when_the_interval_excludes_zero() -> None:
    rng = np.random.default_rng(7)
    n = 30
    truth = rng.normal(3, 0.6, n)
    sessions = np.repeat(np.arange(n), 3)
    raters = np.tile(np.array([10, 20, 30]), n)  # integer ids
    scores = np.column_stack(
        [truth + 0.8, truth - 0.8, truth]  # lenient, severe, neutral
    ) + rng.normal(0, 0.2, (n, 3))
    s = severity(sessions, raters, scores.ravel())
    assert s[10].flag == "lenient"
    assert s[10].ci95 is not None
    assert s[10].ci95[0] > 0
    assert s[20].flag == "severe"
    assert s[30].flag is None


def test_one_session_has_no_interval_and_no_flag() -> None:
    s = severity(["s"] * 4, ["a", "b"] * 2, [5, 1, 5, 1], items=["i", "i", "j", "j"])
    assert s["a"].mean_difference == 4.0
    assert (s["a"].ci95, s["a"].se, s["a"].flag) == (None, None, None)


def test_raters_without_a_peer_are_absent() -> None:
    s = severity(["s1", "s1", "s2"], ["a", "b", "c"], [1, 2, 3])
    assert set(s) == {"a", "b"}
    assert severity([], [], []) == {}


def test_integer_and_string_ids_agree() -> None:
    as_str = hand_severity()
    code = {"s1": 7, "s2": 3, "i1": 100, "i2": 5, "a": 2, "b": 9, "c": 1}
    as_int = severity(
        np.array([code[s] for s in H_SESSIONS]),
        np.array([code[r] for r in H_RATERS]),
        H_SCORES,
        items=np.array([code[i] for i in H_ITEMS]),
    )
    for rater in "abc":
        got = as_int[code[rater]]
        assert got.mean_difference == as_str[rater].mean_difference
        assert got.ci95 == as_str[rater].ci95
        assert isinstance(next(iter(as_int)), int)


@pytest.mark.parametrize(
    ("columns", "message", "row"),
    [
        (
            (["s", "s", "s"], ["a", "b", "a"], [1, 2, 3], None),
            "rater 'a' scored session 's' more than once",
            2,
        ),
        (
            (["s", "s", "s"], ["a", "b", "a"], [1, 2, NAN], ["i", "j", "i"]),
            "rater 'a' scored session 's' on item 'i' more than once",
            2,
        ),
        ((["s", "s"], ["a"], [1, 2], None), "differ in length", None),
        ((["s", "s"], ["a", "b"], [1, math.inf], None), "finite", None),
    ],
)
def test_bad_records(
    columns: tuple[list[str], list[str], list[float], list[str] | None],
    message: str,
    row: int | None,
) -> None:
    sessions, raters, scores, items = columns
    with pytest.raises(RatingsInputError, match=message) as info:
        severity(sessions, raters, scores, items=items)
    assert info.value.row == row


# --- severity: a naive reference and exact properties ----------------------------------


@st.composite
def long_records(draw: st.DrawFn) -> tuple[list[str], list[str], list[str], list[float]]:
    """2-5 sessions x 1-4 items x 2-4 raters; each (unit, rater) present or not, maybe N/A."""
    n_sessions, n_items, n_raters = (
        draw(st.integers(2, 5)),
        draw(st.integers(1, 4)),
        draw(st.integers(2, 4)),
    )
    sessions, items, raters, scores = [], [], [], []
    for s in range(n_sessions):
        for i in range(n_items):
            for r in range(n_raters):
                kind = draw(st.sampled_from(["score", "score", "score", "absent", "na"]))
                if kind == "absent":
                    continue
                sessions.append(f"s{s}")
                items.append(f"i{i}")
                raters.append(f"r{r}")
                scores.append(NAN if kind == "na" else float(draw(st.integers(1, 5))))
    return sessions, items, raters, scores


def naive_severity(
    sessions: list[str], items: list[str], raters: list[str], scores: list[float]
) -> dict[str, tuple[float, int, int]]:
    """Straight from the definition, one loop at a time: (mean, units, sessions) per rater."""
    units: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for s, i, r, x in zip(sessions, items, raters, scores, strict=True):
        if not math.isnan(x):
            units[(s, i)][r] = x
    per_session: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (s, _), scored in units.items():
        if len(scored) < 2:
            continue
        for r, x in scored.items():
            others = [y for q, y in scored.items() if q != r]
            per_session[r][s].append(x - sum(others) / len(others))
    return {
        r: (
            float(np.mean([np.mean(d) for d in by_session.values()])),
            sum(len(d) for d in by_session.values()),
            len(by_session),
        )
        for r, by_session in per_session.items()
    }


@FAST
@given(long_records())
def test_matches_a_naive_reference(
    records: tuple[list[str], list[str], list[str], list[float]],
) -> None:
    sessions, items, raters, scores = records
    got = severity(sessions, raters, scores, items=items)
    want = naive_severity(sessions, items, raters, scores)
    assert set(got) == set(want)
    for r, (mean, n_units, n_sessions) in want.items():
        assert got[r].mean_difference == pytest.approx(mean, abs=1e-12)
        assert (got[r].n_units, got[r].n_sessions) == (n_units, n_sessions)
        ci = got[r].ci95
        assert (ci is None) == (n_sessions < 2)
        if ci is not None:
            assert ci[0] <= got[r].mean_difference <= ci[1]
            flag = "lenient" if ci[0] > 0 else "severe" if ci[1] < 0 else None
            assert got[r].flag == flag


@FAST
@given(long_records())
def test_differences_of_a_unit_sum_to_zero(
    records: tuple[list[str], list[str], list[str], list[float]],
) -> None:
    sessions, items, raters, scores = records
    d = differences(sessions, raters, scores, items=items)
    sums: dict[tuple[str, str], float] = defaultdict(float)
    for s, i, v in zip(sessions, items, d.tolist(), strict=True):
        if not math.isnan(v):
            sums[(s, i)] += v
    assert all(abs(total) < 1e-12 for total in sums.values())


@FAST
@given(long_records(), st.floats(-4, 4, allow_nan=False))
def test_shifting_one_rater_moves_every_difference_exactly(
    records: tuple[list[str], list[str], list[str], list[float]], c: float
) -> None:
    """Rater r0 + c: r0's differences move by c, a co-rater's by -c/(m-1) on shared units.

    In a unit of m scorers, r0's score minus the others' mean gains c; for another rater
    the others' mean includes r0, one of m - 1 scores, so it gains c/(m - 1).
    """
    sessions, items, raters, scores = records
    shifted = [x + c if r == "r0" else x for r, x in zip(raters, scores, strict=True)]
    before = differences(sessions, raters, scores, items=items)
    after = differences(sessions, raters, shifted, items=items)
    scorers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, i, r, x in zip(sessions, items, raters, scores, strict=True):
        if not math.isnan(x):
            scorers[(s, i)].add(r)
    for k, (s, i, r) in enumerate(zip(sessions, items, raters, strict=True)):
        if math.isnan(before[k]):
            assert math.isnan(after[k])
            continue
        m = len(scorers[(s, i)])
        expected = c if r == "r0" else -c / (m - 1) if "r0" in scorers[(s, i)] else 0.0
        assert after[k] - before[k] == pytest.approx(expected, abs=1e-9)


@FAST
@given(
    st.integers(2, 6),
    st.integers(2, 5),
    st.integers(1, 4),
    st.floats(-3, 3, allow_nan=False),
    st.integers(0, 2**32 - 1),
)
def test_shift_in_a_complete_design(
    n_sessions: int, m: int, n_items: int, c: float, seed: int
) -> None:
    """Every unit scored by the same m raters: severity moves by c for r0, -c/(m-1) others.

    The CI moves with it, unchanged in width (the session means all move by the same
    amount); and against the mean of all m raters the differences would be (m-1)/m of ours.
    """
    rng = np.random.default_rng(seed)
    grid = np.stack(
        np.meshgrid(np.arange(n_sessions), np.arange(n_items), np.arange(m), indexing="ij"), -1
    ).reshape(-1, 3)
    sessions, items, raters = grid[:, 0], grid[:, 1], grid[:, 2]
    scores = rng.integers(1, 6, grid.shape[0]).astype(float)
    before = severity(sessions, raters, scores, items=items)
    after = severity(sessions, raters, scores + c * (raters == 0), items=items)
    for r in range(m):
        shift = c if r == 0 else -c / (m - 1)
        assert after[r].mean_difference - before[r].mean_difference == pytest.approx(
            shift, abs=1e-9
        )
        b, a = before[r].ci95, after[r].ci95
        assert a is not None
        assert b is not None
        assert a[0] - b[0] == pytest.approx(shift, abs=1e-9)
        assert a[1] - b[1] == pytest.approx(shift, abs=1e-9)
    d = differences(sessions, raters, scores, items=items)
    unit = sessions * n_items + items
    unit_mean = np.bincount(unit, scores) / np.bincount(unit)
    np.testing.assert_allclose(scores - unit_mean[unit], (m - 1) / m * d, atol=1e-12)


@FAST
@given(long_records(), st.randoms(use_true_random=False))
def test_record_order_does_not_matter(
    records: tuple[list[str], list[str], list[str], list[float]], rnd: random.Random
) -> None:
    sessions, items, raters, scores = records
    order = list(range(len(scores)))
    rnd.shuffle(order)
    a = severity(sessions, raters, scores, items=items)
    b = severity(
        [sessions[k] for k in order],
        [raters[k] for k in order],
        [scores[k] for k in order],
        items=[items[k] for k in order],
    )
    assert set(a) == set(b)
    for r in a:
        assert a[r].mean_difference == pytest.approx(b[r].mean_difference, abs=1e-12)


def program_history(seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """1,000 trainees x 20 sessions, each rated by 2 of 40 raters on 27 items."""
    rng = np.random.default_rng(seed)
    n_sessions, n_items = 20_000, 27
    pairs = np.argsort(rng.random((n_sessions, 40)), axis=1)[:, :2] + 1000
    sessions = np.repeat(np.arange(n_sessions), 2 * n_items)
    raters = np.repeat(pairs.ravel(), n_items)
    items = np.tile(np.arange(n_items), 2 * n_sessions)
    scores = rng.integers(1, 6, sessions.size).astype(float)
    return sessions, raters, items, scores


def test_a_programs_whole_history_takes_well_under_a_second() -> None:
    sessions, raters, items, scores = program_history()
    assert sessions.size == 1_080_000
    best = math.inf
    for _ in range(3):  # best of three: the machine is shared
        start = time.perf_counter()
        result = severity(sessions, raters, scores, items=items)
        best = min(best, time.perf_counter() - start)
    assert len(result) == 40
    assert sum(r.n_units for r in result.values()) == 1_080_000
    assert best < 1.0, f"{best:.3f} s"


# --- calibration against master ratings ------------------------------------------------


def calibration_records(
    rater_scores: Mapping[str, Sequence[float]], master: Sequence[float], items_per_session: int
) -> tuple[list[str], list[str], list[str], list[float]]:
    sessions: list[str] = []
    items: list[str] = []
    raters: list[str] = []
    scores: list[float] = []
    for who, values in [("master", master), *rater_scores.items()]:
        for k, x in enumerate(values):
            sessions.append(f"s{k // items_per_session}")
            items.append(f"i{k % items_per_session}")
            raters.append(who)
            scores.append(x)
    return sessions, items, raters, scores


MASTER: list[float] = [1, 2, 3, 4, 5, 3, 2, 4, 1, 5]


def calibrate(
    rater_scores: Mapping[str, Sequence[float]],
    master: Sequence[float] = MASTER,
    items_per_session: int = 5,
    rule: CertificationRule | None = None,
) -> dict[str | int, Calibration]:
    sessions, items, raters, scores = calibration_records(rater_scores, master, items_per_session)
    return calibration(
        sessions,
        raters,
        scores,
        items=items,
        master="master",
        scale=(1, 5),
        **({"rule": rule} if rule else {}),
    )


def value(result: object) -> float:
    assert isinstance(result, Estimate), result
    return result.value


def test_a_rater_who_matches_the_master_is_certified() -> None:
    c = calibrate({"same": list(MASTER)})["same"]
    assert (c.n_sessions, c.n_units) == (2, 10)
    assert value(c.icc) == pytest.approx(1.0)
    assert value(c.ac2) == pytest.approx(1.0)
    assert value(c.exact) == value(c.within1) == 1.0
    assert c.certified
    assert c.reasons == ()


def test_exact_and_within_one_by_hand() -> None:
    # Differences from the master: 0, 0, +1, -1, 0, +2, 0, -1, +1, 0 -> exact 5/10, ±1 9/10.
    rater = [1, 2, 4, 3, 5, 5, 2, 3, 2, 5]
    c = calibrate({"r": rater})["r"]
    assert value(c.exact) == 0.5
    assert value(c.within1) == 0.9


def test_coefficients_are_the_engines() -> None:
    rater = [2, 2, 4, 3, 5, 4, 1, 4, 2, 4]
    c = calibrate({"r": rater})["r"]
    m = RatingMatrix.from_array(np.column_stack([rater, MASTER]).astype(float), scale=(1, 5))
    assert c.icc == icc(m)["ICC2"]
    assert isinstance(c.icc, Estimate)
    assert c.icc.details["mcgraw_wong"] == "ICC(A,1)"
    assert c.ac2 == gwet_ac(m, "quadratic")
    assert c.exact == percent_agreement(m)
    assert c.within1 == percent_agreement(m, within=1)


def test_a_constant_offset_of_two_fails_both_criteria() -> None:
    offset = [min(x + 2, 5) for x in MASTER]
    c = calibrate({"off": offset})["off"]
    assert not c.certified
    assert any(reason.startswith("ICC(A,1)") for reason in c.reasons)
    assert any(reason.startswith("±1 agreement") for reason in c.reasons)


def test_thresholds_are_parameters() -> None:
    rater = [2, 2, 4, 3, 5, 4, 1, 4, 2, 4]
    first = calibrate({"r": rater})["r"]
    icc_value, within1 = value(first.icc), value(first.within1)
    at = CertificationRule(icc_min=icc_value, within1_min=within1)
    assert calibrate({"r": rater}, rule=at)["r"].certified  # "at least": the bound passes
    above = CertificationRule(icc_min=icc_value + 0.01, within1_min=within1)
    c = calibrate({"r": rater}, rule=above)["r"]
    assert not c.certified
    assert c.reasons == (f"ICC(A,1) {icc_value:.3f} is below {icc_value + 0.01:g}",)
    stricter = CertificationRule(icc_min=0.0, within1_min=within1 + 0.05)
    assert calibrate({"r": rater}, rule=stricter)["r"].reasons[0].startswith("±1 agreement")


def test_one_calibration_session_is_not_enough() -> None:
    c = calibrate({"r": list(MASTER)}, items_per_session=10)["r"]
    assert c.n_sessions == 1
    assert value(c.icc) == pytest.approx(1.0)
    assert not c.certified
    assert c.reasons == ("calibrated on 1 session(s); certification needs at least 2",)


def test_zero_variance_is_not_certified_with_the_icc_reason() -> None:
    c = calibrate({"r": [3] * 10}, master=[3] * 10)["r"]
    assert isinstance(c.icc, NotApplicable)
    assert "zero variance" in c.icc.reason
    assert not c.certified
    assert c.reasons == (f"ICC(A,1) is undefined: {c.icc.reason}",)


def test_units_without_a_master_score_do_not_count() -> None:
    master = list(MASTER)
    master[0] = NAN  # N/A for the master on s0/i0
    sessions, items, raters, scores = calibration_records({"r": list(MASTER)}, master, 5)
    sessions += ["s9", "s9"]  # a session the master never scored
    items += ["i0", "i1"]
    raters += ["r", "r"]
    scores += [1, 1]
    c = calibration(sessions, raters, scores, items=items, master="master", scale=(1, 5))["r"]
    assert (c.n_units, c.n_sessions) == (9, 2)


def test_a_rater_with_no_master_units_is_listed_uncertified() -> None:
    sessions, items, raters, scores = calibration_records({"r": list(MASTER)}, MASTER, 5)
    c = calibration(
        [*sessions, "elsewhere"],
        [*raters, "lone"],
        [*scores, 3],
        items=[*items, "i0"],
        master="master",
        scale=(1, 5),
    )
    lone = c["lone"]
    assert (lone.n_units, lone.n_sessions, lone.certified) == (0, 0, False)
    assert isinstance(lone.icc, NotApplicable)
    assert "master" in lone.icc.reason
    assert certified_raters(c) == frozenset({"r"})
    assert "master" not in c


def test_the_master_must_have_rated() -> None:
    with pytest.raises(RatingsInputError, match="no ratings by the master rater 'm'"):
        calibration(["s"], ["a"], [1], master="m", scale=(1, 5))


def test_scores_outside_the_scale_are_refused() -> None:
    with pytest.raises(RatingsInputError, match="outside the scale"):
        calibrate({"r": [9] * 10})


# --- drift --------------------------------------------------------------------------------

DAY0 = date(2025, 1, 1)


def test_drift_windows_by_hand() -> None:
    # a is 1, 1, 0, 2 above b on days 0, 10, 40, 100.
    days = [0, 0, 10, 10, 40, 40, 100, 100]
    d = drift(
        ["s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4"],
        ["a", "b"] * 4,
        [4, 3, 4, 3, 3, 3, 5, 3],
        [DAY0 + timedelta(days=k) for k in days],
        rule=DriftRule(window_days=60, step_days=30, threshold=0.5, min_sessions=1),
    )
    a = d["a"]
    assert a.baseline == pytest.approx(2 / 3)  # the first window: days 0, 10 and 40
    got = [(w.start, w.end, w.n_sessions, w.severity, w.flagged) for w in a.windows]
    assert got == [
        (DAY0, DAY0 + timedelta(days=60), 3, pytest.approx(2 / 3), False),
        (DAY0 + timedelta(days=30), DAY0 + timedelta(days=90), 1, 0.0, True),
        (DAY0 + timedelta(days=60), DAY0 + timedelta(days=120), 1, 2.0, True),
        (DAY0 + timedelta(days=90), DAY0 + timedelta(days=150), 1, 2.0, True),
    ]
    assert [w.departure for w in a.windows] == pytest.approx([0, -2 / 3, 4 / 3, 4 / 3])
    assert a.flagged
    assert [w.severity for w in d["b"].windows] == pytest.approx([-2 / 3, 0, -2, -2])


def test_drift_needs_enough_sessions_per_window() -> None:
    days = [0, 0, 10, 10, 40, 40, 100, 100]
    d = drift(
        ["s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4"],
        ["a", "b"] * 4,
        [4, 3, 4, 3, 3, 3, 5, 3],
        np.array([np.datetime64(DAY0) + k for k in days]),
        rule=DriftRule(window_days=60, step_days=30, min_sessions=2),
    )
    assert d["a"].baseline == pytest.approx(2 / 3)
    assert not d["a"].flagged  # the departing windows hold one session each
    # Nothing reaches 4 sessions: no baseline, no departures.
    d = drift(
        ["s1", "s1", "s2", "s2"],
        ["a", "b"] * 2,
        [4, 3, 4, 3],
        [DAY0] * 4,
        rule=DriftRule(min_sessions=4),
    )
    assert d["a"].baseline is None
    assert [w.departure for w in d["a"].windows] == [None]


def test_a_session_is_dated_by_the_raters_earliest_record() -> None:
    # a rated s1's two items on days 5 and 40; with 30-day windows the session is in [0, 30).
    d = drift(
        ["s1"] * 4,
        ["a", "b", "a", "b"],
        [4, 3, 4, 3],
        [DAY0 + timedelta(days=k) for k in (5, 0, 40, 0)],
        items=["i", "i", "j", "j"],
        rule=DriftRule(window_days=30, step_days=30, min_sessions=1),
    )
    assert [(w.start, w.n_sessions) for w in d["a"].windows] == [(DAY0, 1)]


def test_origin_anchors_the_windows() -> None:
    d = drift(
        ["s", "s"],
        ["a", "b"],
        [2, 1],
        [DAY0, DAY0],
        rule=DriftRule(window_days=30, step_days=10, min_sessions=1),
        origin=DAY0 - timedelta(days=25),
    )
    starts = [w.start for w in d["a"].windows]
    assert starts == [DAY0 - timedelta(days=25 - k) for k in (0, 10, 20)]
    with pytest.raises(ValueError, match="after the earliest date"):
        drift(["s", "s"], ["a", "b"], [2, 1], [DAY0, DAY0], origin=DAY0 + timedelta(days=1))


def planted_shift(
    shift: float, seed: int = 3
) -> tuple[list[int], list[str], list[float], list[date]]:
    """720 sessions over a year, each by 2 of 6 raters; "a" scores ``shift`` higher from day 180."""
    rng = np.random.default_rng(seed)
    sessions, raters, scores, dates = [], [], [], []
    names = ["a", "b", "c", "d", "e", "f"]
    for s in range(720):
        day = s // 2
        truth = rng.normal(3, 0.5)
        for r in rng.choice(6, 2, replace=False).tolist():
            bias = shift if names[r] == "a" and day >= 180 else 0.0
            sessions.append(s)
            raters.append(names[r])
            scores.append(truth + bias + rng.normal(0, 0.15))
            dates.append(DAY0 + timedelta(days=day))
    return sessions, raters, scores, dates


def test_drift_finds_a_planted_shift() -> None:
    sessions, raters, scores, dates = planted_shift(1.0)
    d = drift(sessions, raters, scores, dates)  # 90-day windows every 30 days, 0.5 points
    assert {r for r, v in d.items() if v.flagged} == {"a"}
    change = DAY0 + timedelta(days=180)
    for w in d["a"].windows:
        if w.end <= change:
            assert not w.flagged
            assert w.departure is not None
            assert abs(w.departure) < 0.2
        if w.start >= change:
            assert w.flagged
            assert w.departure == pytest.approx(1.0, abs=0.2)
    first = next(w for w in d["a"].windows if w.flagged)
    # The first window with more than half its days after the change, starting on day 150.
    assert first.start == DAY0 + timedelta(days=150)
    # Co-raters share a fifth of their sessions with a: they move by about -0.2 only.
    for r in "bcdef":
        assert max(abs(w.departure or 0) for w in d[r].windows) < 0.5


def test_overall_baseline() -> None:
    sessions, raters, scores, dates = planted_shift(2.0)
    d = drift(sessions, raters, scores, dates, rule=DriftRule(baseline="overall"))
    a = d["a"]
    assert a.baseline == pytest.approx(severity(sessions, raters, scores)["a"].mean_difference)
    flagged = [w for w in a.windows if w.flagged]
    # Both halves depart from a's overall level (about 1): before below, after above.
    assert any(w.departure is not None and w.departure < -0.5 for w in flagged)
    assert any(w.departure is not None and w.departure > 0.5 for w in flagged)


def test_no_drift_without_a_shift() -> None:
    sessions, raters, scores, dates = planted_shift(0.0)
    assert not any(v.flagged for v in drift(sessions, raters, scores, dates).values())


@pytest.mark.parametrize(
    "kwargs",
    [{"window_days": 0}, {"step_days": 0}, {"min_sessions": 0}, {"threshold": -1.0}],
)
def test_drift_rule_is_validated(kwargs: dict[str, int | float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        DriftRule(**kwargs)  # type: ignore[arg-type]


def test_drift_needs_a_date_per_record() -> None:
    with pytest.raises(RatingsInputError, match="differs in length"):
        drift(["s", "s"], ["a", "b"], [1, 2], [DAY0])
    with pytest.raises(RatingsInputError, match="needs a date"):
        drift(["s", "s"], ["a", "b"], [1, 2], np.array(["2025-01-01", "NaT"], "datetime64[D]"))
    assert drift(["s"], ["a"], [1], [DAY0]) == {}


# --- straight-lining ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([3, 3, 3, 3, 3], True),
        ([3, 3, 3, 3], False),  # fewer than 5 applicable scores
        ([3, 3, 3, 3, None], False),  # N/A does not count towards the 5
        ([3, 3, None, 3, NAN, 3, 3], True),  # N/A is skipped, as None or NaN
        ([3, 3, 3, 3, 4], False),
        ([3, 3.0, 3, 3, 3], True),
        ([1] * 27, True),
        ([5] * 26 + [4], False),
        ([], False),
        ([None] * 6, False),
    ],
)
def test_straight_lining(scores: list[float | None], expected: bool) -> None:
    assert is_straight_lined(scores) is expected


def test_straight_lining_threshold_is_a_parameter() -> None:
    assert is_straight_lined([2], min_items=1)
    assert not is_straight_lined([2, 2, 2, 2, 2], min_items=6)
    with pytest.raises(ValueError, match="at least 1"):
        is_straight_lined([2], min_items=0)


def test_straight_lined_ratings_in_input_order() -> None:
    ratings: dict[int, Iterable[float | None]] = {
        9: [4] * 6,
        2: [4, 4, 4, 4, 5, 4],
        5: {"a": 2.0, "b": 2.0, "c": None, "d": 2.0, "e": 2.0, "f": 2.0}.values(),
        1: [1, 1, 1],
    }
    assert straight_lined(ratings) == [9, 5]


@pytest.mark.parametrize("spread", [1, 400], ids=["dense cells", "sparse cells"])
@given(records=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)),
                        min_size=1, max_size=30))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_a_repeated_score_is_refused_however_the_cells_spread(
    spread: int, records: list[tuple[int, int, int]]
) -> None:
    # With many sessions, items and raters and few records the cells are sparse and the
    # check sorts them; otherwise it counts them.
    padding = [(10 + i, 10 + i, 10 + i) for i in range(spread - 1)]
    rows = records + [(s * spread, i * spread, r * spread) for s, i, r in padding]
    sessions, items, raters = (list(column) for column in zip(*rows, strict=True))
    repeated = len(set(rows)) < len(rows)
    if repeated:
        with pytest.raises(RatingsInputError, match="more than once"):
            differences(sessions, raters, [1.0] * len(rows), items=items)
    else:
        assert differences(sessions, raters, [1.0] * len(rows), items=items).size == len(rows)
