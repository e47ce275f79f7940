"""G theory: Brennan's worked examples, hand computations, statsmodels, simulation, properties.

Published checks (Brennan, R. L. (2001). *Generalizability Theory*. New York: Springer):

- Synthetic Data Set No. 3, a p x i x o design (10 persons, 4 items, 2 occasions, ch. 3):
  sums of squares 62.20, 37.45, 3.20, 56.30, 12.05, 7.50, 25.25; variance components
  .5528, .4417, .0074, .5750, .1009, .1565, .9352; with n'_i = 4 and n'_o = 2,
  E rho^2 = .64 and Phi = .55. Items play our raters and occasions our sessions.
- Synthetic Data Set No. 4, a p x (r:t) design (10 persons, 3 tasks, 4 raters within each
  task; Table 3.2, p. 73): variance components p .4731, t .3252, r:t .6475, pt .5596,
  pr:t 2.3802. Relabelled (his t, r:t, p are our p, s:p, r) it is our (s:p) x r design.
  The same data as a p x i design (12 "items"; Table 6.2, p. 182): .6258, .8840, 2.7872.

The raw data were not typed from the book: they are the transcriptions in the test fixtures
of GeneralizIT (github.com/tylerjsmith111/GeneralizIT, tests/fixtures/design3_fixtures.py
and design4_fixtures.py), which cite Brennan (2001) for them. Two things make a typing error
unlikely: every sum of squares and component above is reproduced to the published four
decimals, and the p x i values of Table 6.2 come from a second, independent source (the
gt4ireval R package's tests, which cite that table) yet follow from the same transcription.
We could not check against Shavelson & Webb (1991): we do not have their raw data with
certainty, so their examples are not used.

Beyond the published values: hand-worked 2 x 2 x 2 examples (for both designs, including a
clamped component and an exact zero), sums of squares against statsmodels' ``anova_lm`` on
random data, recovery of known components by simulation (the ANOVA estimators are unbiased),
and the D-study error variances against a Monte Carlo of the measurement they describe.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from app.domain.gtheory import (
    CROSSED,
    DESIGNS,
    EFFECTS,
    NESTED,
    BalancedSubset,
    Design,
    DStudyCell,
    GStudy,
    VarianceComponents,
    balanced_subset,
    coefficients,
    d_study,
    d_study_table,
    error_variances,
    g_study,
)
from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.results import Estimate, NotApplicable

Scores = NDArray[np.float64]
FAST = settings(max_examples=40, deadline=None)

# Brennan (2001) Synthetic Data Set No. 3: rows are persons; occasion 1 items 1-4, then
# occasion 2 items 1-4.
BRENNAN_3 = [
    [2, 6, 7, 5, 2, 5, 5, 5],
    [4, 5, 6, 7, 6, 7, 5, 7],
    [5, 5, 4, 6, 5, 4, 5, 5],
    [5, 9, 8, 6, 5, 7, 7, 6],
    [4, 3, 5, 6, 4, 5, 6, 4],
    [4, 4, 4, 7, 6, 4, 7, 8],
    [2, 6, 6, 5, 2, 7, 7, 5],
    [3, 4, 4, 5, 6, 6, 6, 4],
    [0, 5, 4, 5, 5, 5, 5, 3],
    [6, 8, 7, 6, 6, 8, 8, 6],
]
# Brennan (2001) Synthetic Data Set No. 4: rows are persons; task 1 raters 1-4, task 2
# raters 5-8, task 3 raters 9-12.
BRENNAN_4 = [
    [5, 6, 5, 5, 5, 3, 4, 5, 6, 7, 3, 3],
    [9, 3, 7, 7, 7, 5, 5, 5, 7, 7, 5, 2],
    [3, 4, 3, 3, 5, 3, 3, 5, 6, 5, 1, 6],
    [7, 5, 5, 3, 3, 1, 4, 3, 5, 3, 3, 5],
    [9, 2, 9, 7, 7, 7, 3, 7, 2, 7, 5, 3],
    [3, 4, 3, 5, 3, 3, 6, 3, 4, 5, 1, 2],
    [7, 3, 7, 7, 7, 5, 5, 7, 5, 5, 5, 4],
    [5, 8, 5, 7, 7, 5, 5, 4, 3, 2, 1, 1],
    [9, 9, 8, 8, 6, 6, 6, 5, 5, 8, 1, 1],
    [4, 4, 4, 3, 3, 5, 6, 5, 5, 7, 1, 1],
]
# A 2 x 2 x 2 array worked by hand below: [trainee][session][rater].
HAND = [[[1, 3], [3, 5]], [[5, 9], [7, 7]]]


def study(scores: object, design: Design) -> GStudy:
    g = g_study(np.asarray(scores, dtype=np.float64), design)
    assert isinstance(g, GStudy), g
    return g


def rounded(values: Mapping[str, float], places: int = 4) -> dict[str, float]:
    return {k: round(v, places) for k, v in values.items()}


def brennan_4_as_nested() -> Scores:
    """Our [p, s, r] = his [t, r within t, p]: tasks as trainees, persons as raters."""
    return np.array(BRENNAN_4, dtype=np.float64).reshape(10, 3, 4).transpose(1, 2, 0)


# Published worked examples -------------------------------------------------------------------


def test_brennan_synthetic_data_set_3_p_x_i_x_o() -> None:
    """Brennan (2001), Synthetic Data Set No. 3: the ANOVA table and the G study."""
    g = study(np.array(BRENNAN_3).reshape(10, 2, 4), CROSSED)  # [person, occasion, item]
    # Brennan's effects p, i, o, pi, po, io, pio are our p, r, s, pr, ps, rs, prs.
    assert rounded(g.sum_of_squares, 2) == {
        "p": 62.20, "r": 37.45, "s": 3.20, "pr": 56.30, "ps": 12.05, "rs": 7.50, "prs,e": 25.25,
    }  # fmt: skip
    assert dict(g.df) == {"p": 9, "r": 3, "s": 1, "pr": 27, "ps": 9, "rs": 3, "prs,e": 27}
    # Mean squares are SS/df; the po mean square is 12.05/9 = 1.3389 (the transcription we
    # used prints 1.3383, a slip in one of the two: the components below need 1.3389).
    assert rounded(g.mean_squares) == {
        "p": 6.9111, "r": 12.4833, "s": 3.2, "pr": 2.0852, "ps": 1.3389, "rs": 2.5,
        "prs,e": 0.9352,
    }  # fmt: skip
    assert rounded(g.components) == {
        "p": 0.5528, "r": 0.4417, "s": 0.0074, "pr": 0.5750, "ps": 0.1009, "rs": 0.1565,
        "prs,e": 0.9352,
    }  # fmt: skip
    assert g.clamped == ()
    assert g.notes == ()
    coef = coefficients(g)  # at the G study's own sizes: n'_i = 4, n'_o = 2
    assert {name: round(r.value, 2) for name, r in coef.items() if isinstance(r, Estimate)} == {
        "e_rho2": 0.64,
        "phi": 0.55,
    }


def test_brennan_synthetic_data_set_4_as_sessions_nested_in_trainees() -> None:
    """Brennan (2001), Table 3.2: p x (r:t), relabelled as our (s:p) x r."""
    g = study(brennan_4_as_nested(), NESTED)
    # His p, t, r:t, pt, pr:t are our r, p, s:p, pr, sr:p.
    assert rounded(g.sum_of_squares) == {
        "p": 48.2, "r": 92.6667, "s:p": 79.7, "pr": 83.1333, "sr:p,e": 192.8,
    }  # fmt: skip
    assert dict(g.df) == {"p": 2, "r": 9, "s:p": 9, "pr": 18, "sr:p,e": 81}
    assert rounded(g.mean_squares) == {
        "p": 24.1, "r": 10.2963, "s:p": 8.8556, "pr": 4.6185, "sr:p,e": 2.3802,
    }  # fmt: skip
    assert rounded(g.components) == {
        "p": 0.3252, "r": 0.4731, "s:p": 0.6475, "pr": 0.5596, "sr:p,e": 2.3802,
    }  # fmt: skip
    assert g.clamped == ()


def test_brennan_data_set_4_transcription_against_table_6_2() -> None:
    """The raw data checked against a second table: the same scores as a p x i design.

    Brennan (2001), Table 6.2, p. 182 (as gt4ireval's tests quote it): s2(p) = .6258,
    s2(i) = .8840, s2(pi,e) = 2.7872, with MS(p) = 10.2963 and MS(i) = 11.6273. This checks
    the typed data, not our code (p x i is a plain two-way ANOVA, computed here).
    """
    x = np.array(BRENNAN_4, dtype=np.float64)
    n, k = x.shape
    m = x.mean()
    ms_p = k * float(((x.mean(axis=1) - m) ** 2).sum()) / (n - 1)
    ms_i = n * float(((x.mean(axis=0) - m) ** 2).sum()) / (k - 1)
    resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + m
    ms_e = float((resid**2).sum()) / ((n - 1) * (k - 1))
    assert [round(v, 4) for v in (ms_p, ms_i, ms_e)] == [10.2963, 11.6273, 2.7872]
    assert [round((ms_p - ms_e) / k, 4), round((ms_i - ms_e) / n, 4)] == [0.6258, 0.8840]


# Hand computations ---------------------------------------------------------------------------


def test_nested_by_hand() -> None:
    """HAND as (s:p) x r, worked by hand.

    Grand mean 5; trainee means 3, 7; rater means 4, 6; session means 2, 4 | 7, 7; trainee x
    rater means 2, 4 | 6, 8. SS: p = 4(4 + 4) = 32, r = 4(1 + 1) = 8, s:p = 2(1 + 1) = 4,
    pr = 0 (the trainee x rater means are additive), residual = 4 x 1 = 4; total 48.
    MS (df 1, 1, 2, 1, 2): 32, 8, 2, 0, 2. Components: s2(sr:p,e) = 2,
    s2(pr) = (0 - 2)/2 = -1 (clamped), s2(s:p) = (2 - 2)/2 = 0 exactly, s2(r) = (8 - 0)/4 = 2,
    s2(p) = (32 - 2 - 0 + 2)/4 = 8. At 2 raters x 2 sessions: s2(delta) = 2/4, so
    E rho^2 = 8/8.5 = 16/17; s2(Delta) = 1/2 + 2/2, so Phi = 8/9.5 = 16/19.
    """
    g = study(HAND, NESTED)
    assert dict(g.sum_of_squares) == pytest.approx(
        {"p": 32, "r": 8, "s:p": 4, "pr": 0, "sr:p,e": 4}, abs=1e-12
    )
    assert dict(g.df) == {"p": 1, "r": 1, "s:p": 2, "pr": 1, "sr:p,e": 2}
    assert dict(g.raw_components) == pytest.approx(
        {"p": 8, "r": 2, "s:p": 0, "pr": -1, "sr:p,e": 2}, abs=1e-12
    )
    assert dict(g.components) == pytest.approx(
        {"p": 8, "r": 2, "s:p": 0, "pr": 0, "sr:p,e": 2}, abs=1e-12
    )
    assert g.clamped == ("pr",)  # s:p is exactly zero, not a clamped negative
    assert len(g.notes) == 1
    assert "s2(pr) = -1" in g.notes[0]
    assert g.proportions == pytest.approx(
        {"p": 2 / 3, "r": 1 / 6, "s:p": 0, "pr": 0, "sr:p,e": 1 / 6}
    )
    cell = d_study(g, 2, 2)
    assert (cell.relative_error_variance, cell.absolute_error_variance) == pytest.approx((0.5, 1.5))
    assert cell.e_rho2 == pytest.approx(float(Fraction(16, 17)))
    assert cell.phi == pytest.approx(float(Fraction(16, 19)))


def test_crossed_by_hand() -> None:
    """HAND as p x r x s, worked by hand (sessions as occasions).

    As nested, plus session means 4.5, 5.5: SS(s) = 4(0.25 + 0.25) = 2; the p x s and r x s
    deviations are all +-0.5, so SS(ps) = SS(rs) = 2 x 4 x 0.25 = 2; SS(prs) = 48 - 32 - 8 -
    2 - 0 - 2 - 2 = 2; every df is 1. Components: s2(prs,e) = 2, s2(pr) = -1 (clamped),
    s2(ps) = s2(rs) = 0, s2(p) = (32 - 0 - 2 + 2)/4 = 8, s2(r) = (8 - 0 - 2 + 2)/4 = 2,
    s2(s) = (2 - 2 - 2 + 2)/4 = 0. At 2 x 2, s2(delta) = 1/2 and s2(Delta) = 3/2, as nested.
    """
    g = study(HAND, CROSSED)
    assert dict(g.sum_of_squares) == pytest.approx(
        {"p": 32, "r": 8, "s": 2, "pr": 0, "ps": 2, "rs": 2, "prs,e": 2}, abs=1e-12
    )
    assert set(g.df.values()) == {1}
    assert dict(g.raw_components) == pytest.approx(
        {"p": 8, "r": 2, "s": 0, "pr": -1, "ps": 0, "rs": 0, "prs,e": 2}, abs=1e-12
    )
    assert g.clamped == ("pr",)
    cell = d_study(g, 2, 2)
    assert (cell.e_rho2, cell.phi) == pytest.approx((16 / 17, 16 / 19))


@pytest.mark.parametrize("design", DESIGNS)
def test_e_rho2_at_g_study_sizes_in_closed_form(design: Design) -> None:
    """n_r n_s (s2(tau) + s2(delta)) = EMS(p), so E rho^2 = s2(p) n_r n_s / MS(p) there.

    This holds for both designs, since MS(p) carries every effect containing p.
    """
    truth = TRUE_CROSSED if design == CROSSED else TRUE_NESTED
    g = study(simulate(design, truth, (12, 3, 4), 1, seed=7)[0], design)
    assert not {e for e in g.clamped if "p" in e}  # the identity needs these unclamped
    cell = d_study(g, 4, 3)
    assert cell.e_rho2 == pytest.approx(g.components["p"] * 12 / g.mean_squares["p"], rel=1e-12)


# Reference library ---------------------------------------------------------------------------


@st.composite
def balanced(draw: st.DrawFn, top: int = 6) -> Scores:
    shape = (draw(st.integers(2, 6)), draw(st.integers(2, 4)), draw(st.integers(2, 4)))
    cells = hnp.arrays(np.int64, shape, elements=st.integers(0, top), fill=st.nothing())
    return draw(cells).astype(np.float64)


def statsmodels_ss(x: Scores, design: Design) -> dict[str, float]:
    n_p, n_s, n_r = x.shape
    p, s, r = np.meshgrid(np.arange(n_p), np.arange(n_s), np.arange(n_r), indexing="ij")
    frame = pd.DataFrame({"p": p.ravel(), "s": s.ravel(), "r": r.ravel(), "y": x.ravel()})
    if design == CROSSED:
        formula = "y ~ C(p) + C(r) + C(s) + C(p):C(r) + C(p):C(s) + C(r):C(s)"
        names = {"C(p)": "p", "C(r)": "r", "C(s)": "s", "C(p):C(r)": "pr", "C(p):C(s)": "ps"}
        names |= {"C(r):C(s)": "rs", "Residual": "prs,e"}
    else:
        formula = "y ~ C(p) + C(r) + C(p):C(s) + C(p):C(r)"
        names = {"C(p)": "p", "C(r)": "r", "C(p):C(s)": "s:p", "C(p):C(r)": "pr"}
        names |= {"Residual": "sr:p,e"}
    table = sm.stats.anova_lm(smf.ols(formula, frame).fit(), typ=1)
    return {names[term]: float(table.loc[term, "sum_sq"]) for term in names}


@settings(max_examples=25, deadline=None)
@given(balanced(), st.sampled_from(DESIGNS))
def test_sums_of_squares_match_statsmodels(x: Scores, design: Design) -> None:
    """Sequential (type I) SS of a balanced design are the ANOVA SS, whatever the order."""
    g = g_study(x, design)
    assume(isinstance(g, GStudy))
    assert isinstance(g, GStudy)
    theirs = statsmodels_ss(x, design)
    scale = float(((x - x.mean()) ** 2).sum())
    for effect in EFFECTS[design]:
        assert g.sum_of_squares[effect] == pytest.approx(theirs[effect], abs=1e-9 * scale)


# Simulation ----------------------------------------------------------------------------------

TRUE_NESTED = {"p": 0.5, "r": 0.2, "s:p": 0.3, "pr": 0.1, "sr:p,e": 0.6}
TRUE_CROSSED = {"p": 0.5, "r": 0.2, "s": 0.1, "pr": 0.1, "ps": 0.15, "rs": 0.05, "prs,e": 0.6}


def simulate(
    design: Design, sigma2: dict[str, float], shape: tuple[int, int, int], reps: int, seed: int
) -> Scores:
    """``reps`` independent draws of the random-effects model: shape (reps, n_p, n_s, n_r)."""
    rng = np.random.default_rng(seed)
    n_p, n_s, n_r = shape
    axes = {"p": n_p, "s": n_s, "r": n_r}
    x = np.full((reps, *shape), 3.0)
    for effect, v in sigma2.items():
        idx = set(effect.split(",")[0].replace(":", ""))
        size = [reps] + [axes[a] if a in idx else 1 for a in "psr"]
        x = x + rng.normal(0.0, math.sqrt(v), size=size)
    return x


@pytest.mark.parametrize(("design", "truth"), [(NESTED, TRUE_NESTED), (CROSSED, TRUE_CROSSED)])
def test_simulation_recovers_known_components(design: Design, truth: dict[str, float]) -> None:
    """The signed ANOVA estimates are unbiased: their mean over replications is the truth."""
    reps = 400
    draws = simulate(design, truth, (25, 4, 4), reps, seed=2024)
    estimates = np.array(
        [[study(x, design).raw_components[e] for e in EFFECTS[design]] for x in draws]
    )
    mean = estimates.mean(axis=0)
    se = estimates.std(axis=0, ddof=1) / math.sqrt(reps)
    for effect, m, s in zip(EFFECTS[design], mean, se, strict=True):
        assert abs(m - truth[effect]) < 4 * s, (effect, m, truth[effect], s)


@pytest.mark.parametrize(("design", "truth"), [(NESTED, TRUE_NESTED), (CROSSED, TRUE_CROSSED)])
def test_error_variances_match_a_monte_carlo_of_the_d_study(
    design: Design, truth: dict[str, float]
) -> None:
    """s2(Delta) is E(mean score - universe score)^2; s2(delta) the same after centring.

    Each replication draws new raters and sessions (and, for the crossed design, occasion
    effects shared by every trainee), scores 200 trainees, and averages n'_s x n'_r scores.
    """
    n_r, n_s, n_p, reps = 3, 4, 200, 1500
    rng = np.random.default_rng(11)
    universe = rng.normal(0.0, math.sqrt(truth["p"]), size=(reps, n_p))
    x = simulate(design, {e: v for e, v in truth.items() if e != "p"}, (n_p, n_s, n_r), reps, 12)
    x = x - 3.0 + universe[:, :, None, None]
    observed = x.mean(axis=(2, 3))
    big_delta = float(((observed - universe) ** 2).mean())
    centred = (observed - observed.mean(axis=1, keepdims=True)) - (
        universe - universe.mean(axis=1, keepdims=True)
    )
    delta = float((centred**2).mean()) * n_p / (n_p - 1)
    _, want_delta, want_big_delta = error_variances(VarianceComponents(design, truth), n_r, n_s)
    assert delta == pytest.approx(float(want_delta), rel=0.03)
    assert big_delta == pytest.approx(float(want_big_delta), rel=0.05)


# D study -------------------------------------------------------------------------------------


@st.composite
def components(draw: st.DrawFn) -> VarianceComponents:
    design = draw(st.sampled_from(DESIGNS))
    values = st.floats(0, 10, allow_nan=False, allow_subnormal=False)
    sigma2 = {e: draw(values) for e in EFFECTS[design]}
    return VarianceComponents(design, sigma2)


@FAST
@given(components())
def test_d_study_is_monotone_and_phi_below_e_rho2(v: VarianceComponents) -> None:
    table = d_study_table(v)
    assert table.raters == (1, 2, 3, 4, 5)
    assert table.sessions == tuple(range(1, 13))
    for name in ("e_rho2", "phi"):
        grid = np.array(
            [
                [getattr(c, name) if getattr(c, name) is not None else np.nan for c in row]
                for row in table.cells
            ]
        )
        if np.isnan(grid).any():
            assert np.isnan(grid).all()  # 0/0 everywhere or nowhere
            continue
        assert ((grid >= -1e-12) & (grid <= 1 + 1e-12)).all()
        assert (np.diff(grid, axis=0) >= -1e-12).all()  # more raters never hurt
        assert (np.diff(grid, axis=1) >= -1e-12).all()  # nor more sessions
    for cell in (c for row in table.cells for c in row):
        assert cell.relative_error_variance <= cell.absolute_error_variance + 1e-12
        if cell.phi is not None and cell.e_rho2 is not None:
            assert cell.phi <= cell.e_rho2 + 1e-12


def test_nested_error_variances_written_out() -> None:
    """(S:p) x R: s2(delta) = s2(s:p)/n's + s2(pr)/n'r + s2(sr:p,e)/(n's n'r), Delta + s2(r)/n'r."""
    v = VarianceComponents(NESTED, {"p": 1.0, "r": 0.3, "s:p": 0.4, "pr": 0.2, "sr:p,e": 1.2})
    tau, delta, big_delta = (float(a) for a in error_variances(v, 3, 5))
    assert tau == 1.0
    assert delta == pytest.approx(0.4 / 5 + 0.2 / 3 + 1.2 / 15)
    assert big_delta == pytest.approx(delta + 0.3 / 3)


def test_crossed_error_variances_written_out() -> None:
    """p x R x S: Delta adds s2(r)/n'r + s2(s)/n's + s2(rs)/(n'r n's) to delta."""
    sigma2 = dict(zip(EFFECTS[CROSSED], [1.0, 0.3, 0.2, 0.5, 0.4, 0.1, 0.9], strict=True))
    _, delta, big_delta = (
        float(a) for a in error_variances(VarianceComponents(CROSSED, sigma2), 2, 6)
    )
    assert delta == pytest.approx(0.5 / 2 + 0.4 / 6 + 0.9 / 12)
    assert big_delta == pytest.approx(delta + 0.3 / 2 + 0.2 / 6 + 0.1 / 12)


def nested(
    p: float = 0.0, r: float = 0.0, s_p: float = 0.0, pr: float = 0.0, e: float = 0.0
) -> VarianceComponents:
    return VarianceComponents(NESTED, {"p": p, "r": r, "s:p": s_p, "pr": pr, "sr:p,e": e})


def test_smallest_design_fewest_ratings_then_fewest_raters() -> None:
    """With s2(p) = 1 and only s2(sr:p,e) = 1, Phi = n/(n+1) for n = raters x sessions.

    Phi >= .80 needs n >= 4: 1 x 4, 2 x 2 and 4 x 1 tie, and fewer raters wins. Phi >= .95
    needs n >= 19: 1 x 19 is outside the table, so 20 ratings: 2 x 10 (fewer raters than
    4 x 5 or 5 x 4).
    """
    table = d_study_table(nested(p=1.0, e=1.0))
    cell = table.smallest_design()
    assert isinstance(cell, DStudyCell)
    assert (cell.n_raters, cell.n_sessions) == (1, 4)
    assert cell.phi == pytest.approx(0.8)
    cell = table.smallest_design(0.95)
    assert isinstance(cell, DStudyCell)
    assert (cell.n_raters, cell.n_sessions) == (2, 10)
    # Rater disagreement with a trainee (s2(pr)) only averages out over raters.
    cell = d_study_table(nested(p=1.0, pr=1.0)).smallest_design(0.8, "e_rho2")
    assert isinstance(cell, DStudyCell)
    assert (cell.n_raters, cell.n_sessions) == (4, 1)


def test_smallest_design_reports_why_none_reaches_the_target() -> None:
    # Rater severity: Phi = 1/(1 + 1/n'_r) <= 5/6 with 5 raters, whatever the sessions.
    table = d_study_table(nested(p=1.0, r=1.0))
    result = table.smallest_design(0.9)
    assert isinstance(result, NotApplicable)
    assert "up to 5 raters x 12 sessions" in result.reason
    assert "5 raters x 1 session," in result.reason
    assert "Φ = 0.833" in result.reason
    assert isinstance(table.smallest_design(0.9, "e_rho2"), DStudyCell)  # severity is absolute
    # No variance between trainees: no design helps.
    flat = d_study_table(nested(e=1.0)).smallest_design()
    assert isinstance(flat, NotApplicable)
    assert "between trainees is estimated at zero" in flat.reason
    # 0/0: Eρ² is undefined without trainee or relative-error variance.
    undefined = d_study_table(nested(r=1.0)).smallest_design(coefficient="e_rho2")
    assert isinstance(undefined, NotApplicable)
    assert "undefined" in undefined.reason
    with pytest.raises(RatingsInputError):
        table.smallest_design(1.0)


def test_custom_table_ranges_and_cell_lookup() -> None:
    table = d_study_table(study(HAND, NESTED), raters=[2, 4], sessions=range(1, 4))
    assert (table.raters, table.sessions) == ((2, 4), (1, 2, 3))
    assert table.cell(2, 2).e_rho2 == pytest.approx(16 / 17)
    assert table.cell(4, 3).n_ratings_per_trainee == 12
    with pytest.raises(RatingsInputError):
        d_study_table(study(HAND, NESTED), raters=[0])


def test_coefficients_undefined_is_not_applicable() -> None:
    """Only rater severity varies: Phi = 0 (scores say nothing of trainees), E rho^2 is 0/0."""
    x = np.tile(np.array([1.0, 3.0]), (3, 2, 1))
    g = study(x, NESTED)
    assert dict(g.components) == pytest.approx({"p": 0, "r": 2, "s:p": 0, "pr": 0, "sr:p,e": 0})
    coef = coefficients(g)
    assert isinstance(coef["e_rho2"], NotApplicable)
    phi = coef["phi"]
    assert isinstance(phi, Estimate)
    assert phi.value == 0.0
    assert phi.ci95 is None
    assert phi.details["n_raters"] == 2


def test_variance_components_are_validated() -> None:
    with pytest.raises(RatingsInputError, match="needs components"):
        VarianceComponents(NESTED, {"p": 1.0})
    with pytest.raises(RatingsInputError, match="non-negative"):
        VarianceComponents(NESTED, dict.fromkeys(EFFECTS[NESTED], -1.0))
    shuffled = VarianceComponents(NESTED, dict.fromkeys(reversed(EFFECTS[NESTED]), 1.0))
    assert tuple(shuffled.components) == EFFECTS[NESTED]


# G study properties and edge cases ----------------------------------------------------------


@FAST
@given(balanced(), st.sampled_from(DESIGNS), st.data())
def test_g_study_properties(x: Scores, design: Design, data: st.DataObject) -> None:
    g = g_study(x, design)
    if isinstance(g, NotApplicable):
        assert x.min() == x.max()
        return
    total = float(((x - x.mean()) ** 2).sum())
    assert sum(g.sum_of_squares.values()) == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert sum(g.df.values()) == x.size - 1
    assert all(v >= 0 for v in g.components.values())
    assert set(g.clamped) == {e for e, v in g.raw_components.items() if v < 0}
    assert sum(g.proportions.values()) == pytest.approx(1.0)
    # Relabelling trainees, raters and sessions (within trainee if nested) changes nothing;
    # nor does a change of origin, while a change of scale multiplies variances by c^2.
    p = np.array(data.draw(st.permutations(range(x.shape[0]))))
    r = np.array(data.draw(st.permutations(range(x.shape[2]))))
    s = np.array(data.draw(st.permutations(range(x.shape[1]))))
    y = x[p][:, s][:, :, r]
    if design == NESTED:  # a different session order for each trainee
        y = np.stack([row[np.roll(np.arange(x.shape[1]), i)] for i, row in enumerate(y)])
    for other, factor in ((y, 1.0), (2.5 * x - 7, 6.25)):
        h = g_study(other, design)
        assert isinstance(h, GStudy)
        for e in g.effects:
            assert h.raw_components[e] == pytest.approx(
                factor * g.raw_components[e], abs=1e-9 * factor * (1 + total)
            )


def test_g_study_not_applicable_and_input_errors() -> None:
    for shape in ((1, 2, 2), (2, 1, 2), (2, 2, 1)):
        r = g_study(np.arange(float(np.prod(shape))).reshape(shape), NESTED)
        assert isinstance(r, NotApplicable)
        assert "needs at least 2 trainees, 2 sessions and 2 raters" in r.reason
    constant = g_study(np.full((3, 2, 2), 4.0), CROSSED)
    assert isinstance(constant, NotApplicable)
    assert "identical" in constant.reason
    with pytest.raises(RatingsInputError, match="balanced"):
        g_study(np.array([[[1.0, np.nan], [2.0, 3.0]], [[1.0, 2.0], [2.0, 3.0]]]), NESTED)
    with pytest.raises(RatingsInputError, match="trainees x sessions x raters"):
        g_study(np.ones((3, 3)), NESTED)
    with pytest.raises(RatingsInputError, match="unknown design"):
        g_study(np.ones((2, 2, 2)), "p x r")  # type: ignore[arg-type]


def test_perfectly_additive_data_has_exact_zeros_not_clamps() -> None:
    """Rounding residue of an exactly zero sum of squares is not reported as clamping."""
    p, s, r = np.meshgrid([0.1, 0.7, 0.3], [0.0, 0.2, 0.9], [0.3, 0.6], indexing="ij")
    g = study(p + 3 * r + 0.1 * s, CROSSED)
    assert g.clamped == ()
    assert g.components["prs,e"] == 0.0
    assert g.components["pr"] == 0.0


# Balanced subset -----------------------------------------------------------------------------

Record = tuple[str, str, str, float, str]


def columns(
    records: list[Record],
) -> tuple[list[str], list[str], list[str], list[float], list[str]]:
    return (
        [rec[0] for rec in records],
        [rec[1] for rec in records],
        [rec[2] for rec in records],
        [rec[3] for rec in records],
        [rec[4] for rec in records],
    )


def demo_programme() -> list[Record]:
    """Four trainers, two per session; trainer1 and trainer3 co-rated the most."""
    records: list[Record] = []
    pairs = {
        "t1": [("trainer1", "trainer3")] * 3 + [("trainer2", "trainer4")],
        "t2": [("trainer1", "trainer3")] * 3,
        "t3": [("trainer1", "trainer3")] * 2 + [("trainer1", "trainer2")] * 2,
        "t4": [("trainer2", "trainer4")] * 2,
        "t5": [("trainer1", "trainer3")],
    }
    for t, sessions in pairs.items():
        for i, raters in enumerate(sessions):
            session = f"{t}-s{i}"
            for j, rater in enumerate(raters):
                score = 2 + int(t[1]) / 2 + i / 4 + j / 3
                records.append((t, session, rater, score, f"2025-0{1 + (7 * i) % 9}-01"))
    return records


def test_subset_picks_the_pair_that_co_rated_most() -> None:
    records = demo_programme()
    subset = balanced_subset(*columns(records))
    assert isinstance(subset, BalancedSubset)
    # Pairs: trainer1+trainer3 keeps 3 trainees x 2 sessions (t1, t2, t3) = 12 ratings, or
    # 2 trainees x 3 sessions = 12: a tie in ratings, so more trainees (3 x 2) wins.
    assert subset.raters == ("trainer1", "trainer3")
    assert subset.scores.shape == (3, 2, 2)
    assert subset.trainees == ("t1", "t2", "t3")
    assert subset.subset_description == (
        "3 of 5 trainees with their first 2 sessions (by date) each scored by the same 2 "
        "raters (trainer1, trainer3); 12 of 28 ratings"
    )
    assert dict(subset.dropped) == {
        "score_missing": 0,
        "rater_not_chosen": 2 + 2 + 4,  # t1's 4th session, t3's last two, t4
        "session_lacks_a_chosen_rater": 2,  # trainer1's ratings of t3's last two sessions
        "trainee_too_few_sessions": 2,  # t5 has one session
        "session_beyond_first_n": 4,  # t1's and t2's third co-rated session
    }
    assert subset.n_ratings + sum(subset.dropped.values()) == subset.n_ratings_total == 28
    assert subset.exhaustive
    g = subset.g_study(NESTED)
    assert isinstance(g, GStudy)
    assert g.notes[0].startswith("balanced subset: 3 of 5 trainees")


def test_subset_takes_the_first_sessions_by_date_then_id() -> None:
    records: list[Record] = []
    dates = {"a": "2025-03-01", "b": "2025-01-01", "c": "2025-02-01", "d": "2025-01-01"}
    for trainee in ("t1", "t2"):
        for session, date in dates.items():
            for rater, bump in (("x", 0.0), ("y", 1.0)):
                records.append((trainee, trainee + session, rater, ord(session) + bump, date))
    t, s, r, y, d = columns(records)
    subset = balanced_subset(t, s, r, y, d, min_trainees=2)
    assert isinstance(subset, BalancedSubset)
    assert subset.scores.shape == (2, 4, 2)
    assert subset.sessions == (("t1b", "t1d", "t1c", "t1a"), ("t2b", "t2d", "t2c", "t2a"))
    undated = balanced_subset(t, s, r, y)
    assert isinstance(undated, BalancedSubset)
    assert undated.sessions[0] == ("t1a", "t1b", "t1c", "t1d")
    assert "(by session id)" in undated.subset_description


def test_subset_ties_go_to_fewer_raters() -> None:
    """a, b co-rated 3 sessions of each trainee; a, b, c only 2: 2 x 3 = 3 x 2 ratings."""
    records: list[Record] = []
    for t in ("t1", "t2", "t3"):
        for i in range(3):
            raters = ("a", "b", "c") if i < 2 else ("a", "b")
            records += [(t, f"{t}{i}", r, float(i + len(r)), "") for r in raters]
    subset = balanced_subset(*columns(records))
    assert isinstance(subset, BalancedSubset)
    assert (subset.raters, subset.scores.shape) == (("a", "b"), (3, 3, 2))
    # One more trainee rated by all three tips it: 4 x 2 x 3 = 24 > 4 x 2 x 2 = 16.
    records += [("t4", f"t4{i}", r, 1.0, "") for i in range(2) for r in ("a", "b", "c")]
    subset = balanced_subset(*columns(records))
    assert isinstance(subset, BalancedSubset)
    assert (subset.raters, subset.scores.shape) == (("a", "b", "c"), (4, 2, 3))


def test_subset_not_applicable_with_reasons() -> None:
    one_rater = balanced_subset(["t1", "t2"], ["s1", "s2"], ["a", "a"], [1.0, 2.0])
    assert isinstance(one_rater, NotApplicable)
    assert one_rater.reason == "needs scores from at least 2 raters; these data have 1"
    # Every session scored by a different pair: no two raters share two sessions of a trainee.
    t, s, r = ["t1"] * 4 + ["t2"] * 4, ["1", "1", "2", "2", "3", "3", "4", "4"], list("abcdabcd")
    apart = balanced_subset(t, s, r, [1.0] * 8)
    assert isinstance(apart, NotApplicable)
    assert apart.reason.startswith("no 2 raters all scored at least 2 sessions of each of")
    assert apart.reason.endswith("the most sessions any two raters both scored is 2")
    assert isinstance(balanced_subset([], [], [], []), NotApplicable)


def test_subset_input_errors() -> None:
    with pytest.raises(RatingsInputError, match="each session has one trainee") as err:
        balanced_subset(["t1", "t2"], ["s1", "s1"], ["a", "b"], [1.0, 2.0])
    assert err.value.row == 1
    with pytest.raises(RatingsInputError, match="each session has one date"):
        balanced_subset(["t1", "t1"], ["s1", "s1"], ["a", "b"], [1.0, 2.0], ["d1", "d2"])
    # The same checks on numpy columns, which take a different (sort-free) path.
    t, s = np.array([7, 7, 8]), np.array([1, 1, 1])
    with pytest.raises(RatingsInputError, match="session 1 has trainee 7 and 8") as err:
        balanced_subset(t, s, np.array([1, 2, 3]), [1.0, 2.0, 3.0])
    assert err.value.row == 2
    dates = np.array(["2025-01-01", "NaT", "NaT"], dtype="datetime64[D]")
    with pytest.raises(RatingsInputError, match="each session has one date"):
        balanced_subset(t[:2], s[:2], np.array([1, 2]), [1.0, 2.0], dates[:2])
    undated = balanced_subset(  # two missing dates agree
        np.array([7, 7, 7, 7]), np.array([1, 1, 2, 2]), np.array([1, 2, 1, 2]), [1.0] * 4,
        np.array(["NaT", "NaT", "2025-01-01", "2025-01-01"], dtype="datetime64[D]"),
        min_trainees=1,
    )  # fmt: skip
    assert isinstance(undated, BalancedSubset)
    assert undated.sessions == (("2", "1"),)  # NaT sorts last
    with pytest.raises(RatingsInputError, match="comparable"):
        balanced_subset(["t1", "t1"], ["s1", "s2"], ["a", "b"], [1.0, 2.0], [1, "x"])
    with pytest.raises(RatingsInputError, match="more than once") as err:
        balanced_subset(["t1"] * 3, ["s1", "s2", "s1"], ["a", "a", "a"], [1.0, 2.0, 3.0])
    assert err.value.row == 2
    with pytest.raises(RatingsInputError, match="not finite"):
        balanced_subset(["t1"], ["s1"], ["a"], [math.inf])
    with pytest.raises(RatingsInputError, match="differ"):
        balanced_subset(["t1"], ["s1", "s2"], ["a"], [1.0])
    with pytest.raises(RatingsInputError, match="min_raters"):
        balanced_subset(["t1"], ["s1"], ["a"], [1.0], min_raters=1)


def test_subset_missing_scores_are_counted_not_used() -> None:
    records = demo_programme()
    t, s, r, y, d = columns(records)
    y[0] = math.nan  # t1's first session loses trainer1's score
    subset = balanced_subset(t, s, r, y, d)
    assert isinstance(subset, BalancedSubset)
    assert subset.dropped["score_missing"] == 1
    assert subset.n_ratings + sum(subset.dropped.values()) == subset.n_ratings_total == 28
    assert subset.sessions[0] == ("t1-s2", "t1-s1")  # by date: June, then August


def test_subset_search_budget_is_reported() -> None:
    rng = np.random.default_rng(3)
    s = np.repeat(np.arange(20 * 6), 6)  # 20 trainees x 6 sessions, 6 of 9 raters each
    r = np.argsort(rng.random((20 * 6, 9)), axis=1)[:, :6].ravel()
    subset = balanced_subset(s // 6, s, r, rng.normal(size=s.size), max_candidates=5)
    assert isinstance(subset, BalancedSubset)
    assert not subset.exhaustive
    assert "the search stopped at 5 rater sets" in subset.how_chosen


def brute_force(
    records: list[tuple[int, int, int]], min_sessions: int, min_trainees: int
) -> tuple[int, int, int, tuple[int, ...]]:
    """Every rater set and session count, by definition: (ratings, raters, trainees, set)."""
    by_session: dict[int, set[int]] = {}
    trainee_of: dict[int, int] = {}
    for t, s, r in records:
        by_session.setdefault(s, set()).add(r)
        trainee_of[s] = t
    raters = sorted({r for _, _, r in records})
    best: tuple[int, int, int, tuple[int, ...]] = (0, 0, 0, ())
    best_key: tuple[int, ...] = (0,)
    for k in range(2, len(raters) + 1):
        for chosen in itertools.combinations(raters, k):
            counts: dict[int, int] = {}
            for s, rs in by_session.items():
                if set(chosen) <= rs:
                    counts[trainee_of[s]] = counts.get(trainee_of[s], 0) + 1
            for n_s in range(min_sessions, max(counts.values(), default=0) + 1):
                n_p = sum(c >= n_s for c in counts.values())
                if n_p < min_trainees:
                    continue
                key = (n_p * n_s * k, -k, n_p, *(-r for r in chosen))
                if key > best_key:
                    best_key, best = key, (n_p * n_s * k, k, n_p, chosen)
    return best


@st.composite
def unbalanced(draw: st.DrawFn) -> list[tuple[int, int, int]]:
    n_t, n_r = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    records = []
    for t in range(n_t):
        for i in range(draw(st.integers(1, 5))):
            raters = draw(st.sets(st.integers(0, n_r - 1), min_size=1))
            records += [(t, t * 10 + i, r) for r in sorted(raters)]
    return records


@settings(max_examples=150, deadline=None)
@given(unbalanced(), st.integers(1, 3), st.integers(1, 3), st.randoms(use_true_random=False))
def test_subset_is_the_largest_and_is_what_it_says(
    records: list[tuple[int, int, int]], min_sessions: int, min_trainees: int, rnd: random.Random
) -> None:
    shuffled = list(records)
    rnd.shuffle(shuffled)
    t, s, r = (np.array(c, dtype=np.int64) for c in zip(*shuffled, strict=True))
    y = (t * 7 + s * 3 + r) % 5 + 0.5
    dates = (s * 37) % 11  # a date order unlike the id order
    result = balanced_subset(
        t, s, r, y, dates, min_sessions=min_sessions, min_trainees=min_trainees
    )
    retained, k, n_p, chosen = brute_force(shuffled, min_sessions, min_trainees)
    if retained == 0:
        assert isinstance(result, NotApplicable)
        return
    assert isinstance(result, BalancedSubset)
    assert (result.n_ratings, len(result.raters), len(result.trainees)) == (retained, k, n_p)
    assert result.raters == tuple(str(c) for c in chosen)
    assert result.exhaustive
    # Every kept score is the input's; sessions are each trainee's first co-rated ones.
    score = {(int(a), int(b), int(c)): float(v) for a, b, c, v in zip(t, s, r, y, strict=True)}
    n_s = result.scores.shape[1]
    for i, trainee in enumerate(result.trainees):
        own = sorted(
            (int(dates[np.flatnonzero(s == ses)[0]]), int(ses))
            for ses in set(s[t == int(trainee)].tolist())
            if all((int(trainee), int(ses), int(c)) in score for c in chosen)
        )
        assert result.sessions[i] == tuple(str(ses) for _, ses in own[:n_s])
        for j, ses in enumerate(result.sessions[i]):
            for m, c in enumerate(chosen):
                assert result.scores[i, j, m] == score[(int(trainee), int(ses), c)]
    assert result.n_ratings + sum(result.dropped.values()) == len(records)


# Scale ---------------------------------------------------------------------------------------


Columns = tuple[
    NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], Scores, NDArray[np.datetime64]
]


def programme(n_t: int, n_s: int, n_r: int, per_session: int, seed: int) -> Columns:
    """A synthetic programme, records shuffled: each session scored by ``per_session`` raters."""
    rng = np.random.default_rng(seed)
    session = np.repeat(np.arange(n_t * n_s), per_session)
    trainee = session // n_s
    rater = np.argsort(rng.random((n_t * n_s, n_r)), axis=1)[:, :per_session].ravel()
    date = np.datetime64("2024-01-01") + rng.integers(0, 700, n_t * n_s)[session].astype("m8[D]")
    score = (
        3
        + rng.normal(0, 0.6, n_t)[trainee]
        + rng.normal(0, 0.3, n_r)[rater]
        + rng.normal(0, 0.4, n_t * n_s)[session]
        + rng.normal(0, 0.5, session.size)
    )
    order = rng.permutation(session.size)
    return trainee[order], session[order], rater[order], score[order], date[order]


@pytest.mark.parametrize("per_session", [4, 2])
def test_thousand_trainees_twenty_sessions_four_raters(per_session: int) -> None:
    """The size the programme plans for; the bound is loose (typically ~20 ms) for CI noise."""
    data = programme(1000, 20, 4, per_session, seed=5)
    start = time.perf_counter()
    subset = balanced_subset(*data)
    assert isinstance(subset, BalancedSubset)
    g = subset.g_study(NESTED)
    elapsed = time.perf_counter() - start
    assert isinstance(g, GStudy)
    if per_session == 4:
        assert subset.scores.shape == (1000, 20, 4)
    else:
        assert len(subset.raters) == 2
        assert subset.n_ratings < 40_000
    assert g.components["p"] == pytest.approx(0.36, abs=0.08)
    assert elapsed < 1.0
