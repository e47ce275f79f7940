"""D study: how reliable a trainee's mean score would be with n'_r raters and n'_s sessions.

The trainee is the object of measurement; raters and sessions are random facets of
generalisation, and a trainee's score is the mean over n'_s sessions x n'_r raters. With the
G-study components s2(a), Brennan's (2001, ch. 4) rules give

    s2(tau)   = s2(p)
    s2(delta) = sum of s2(a) / pi(a)  over the effects a that contain p and a facet
    s2(Delta) = sum of s2(a) / pi(a)  over every effect a other than p

where pi(a) is the product of the D-study sample sizes of a's facets (``anova.facets``).
Spelled out (Shavelson & Webb 1991 give the same for p x I x O):

p x R x S   s2(delta) = s2(pr)/n'_r + s2(ps)/n'_s + s2(prs,e)/(n'_r n'_s)
            s2(Delta) = s2(delta) + s2(r)/n'_r + s2(s)/n'_s + s2(rs)/(n'_r n'_s)
(S:p) x R   s2(delta) = s2(s:p)/n'_s + s2(pr)/n'_r + s2(sr:p,e)/(n'_s n'_r)
            s2(Delta) = s2(delta) + s2(r)/n'_r

In the nested design s2(s:p) is relative error: a session's difficulty belongs to one
trainee, so it cannot cancel when trainees are compared. Then

    E rho^2 = s2(tau) / (s2(tau) + s2(delta))   (generalizability: ranking trainees)
    Phi     = s2(tau) / (s2(tau) + s2(Delta))   (dependability: scores against a fixed cut)

Phi <= E rho^2 always, and both grow with n'_r and n'_s. The clamped components are used
(a negative variance cannot reduce an error variance). These are point estimates: with few
trainees, raters or sessions their sampling error is large (Brennan 2001, ch. 6).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.domain.gtheory.anova import Components, Design, GStudy, facets
from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.results import Estimate, NotApplicable, Result

Coefficient = Literal["phi", "e_rho2"]
_SYMBOL = {"phi": "Φ", "e_rho2": "Eρ²"}


@dataclass(frozen=True)
class DStudyCell:
    """One D-study design: its variances and coefficients (None where 0/0)."""

    n_raters: int
    n_sessions: int
    universe_score_variance: float
    relative_error_variance: float
    absolute_error_variance: float
    e_rho2: float | None
    phi: float | None

    @property
    def n_ratings_per_trainee(self) -> int:
        return self.n_raters * self.n_sessions

    def coefficient(self, which: Coefficient) -> float | None:
        return self.phi if which == "phi" else self.e_rho2


def error_variances(
    g: Components, n_raters: ArrayLike, n_sessions: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """s2(tau), s2(delta), s2(Delta) for D-study sample sizes, broadcast over arrays.

    Brennan (2001), Synthetic Data Set No. 3 with his G-study sample sizes (n'_i = 4 items as
    our raters, n'_o = 2 occasions as our sessions); he reports E rho^2 = .64 and Phi = .55:

    >>> from app.domain.gtheory.anova import CROSSED, EFFECTS, VarianceComponents
    >>> sigma = [.5528, .4417, .0074, .5750, .1009, .1565, .9352]
    >>> g = VarianceComponents(CROSSED, dict(zip(EFFECTS[CROSSED], sigma)))
    >>> tau, delta, big_delta = (float(v) for v in error_variances(g, 4, 2))
    >>> round(tau / (tau + delta), 2), round(tau / (tau + big_delta), 2)
    (0.64, 0.55)
    """
    nr = np.asarray(n_raters, dtype=np.float64)
    ns = np.asarray(n_sessions, dtype=np.float64)
    if (nr < 1).any() or (ns < 1).any():
        raise RatingsInputError("a D study needs at least 1 rater and 1 session")
    shape = np.broadcast_shapes(nr.shape, ns.shape)
    size = {"r": nr, "s": ns}
    tau = np.full(shape, g.components["p"])
    delta = np.zeros(shape)
    big_delta = np.zeros(shape)
    for effect, sigma2 in g.components.items():
        over = facets(effect)
        if not over:
            continue  # the universe score itself
        divisor = np.ones(shape)
        for f in over:
            divisor = divisor * size[f]
        share = sigma2 / divisor
        big_delta = big_delta + share
        if "p" in effect.split(",")[0]:
            delta = delta + share
    return tau, delta, big_delta


def d_study(g: Components, n_raters: int, n_sessions: int) -> DStudyCell:
    """Coefficients for one design, e.g. the G study's own sample sizes."""
    table = d_study_table(g, (n_raters,), (n_sessions,))
    return table.cells[0][0]


def coefficients(g: GStudy) -> dict[str, Result]:
    """E rho^2 and Phi at the G study's own sample sizes, in the reliability vocabulary.

    No interval: the usual ones (Brennan 2001, ch. 6) are approximate and wide with the
    handful of raters a training programme has; the D-study table is the useful output.
    """
    cell = d_study(g, g.n_raters, g.n_sessions)
    details: dict[str, float | int | str] = {
        "design": g.design,
        "n_trainees": g.n_trainees,
        "n_raters": g.n_raters,
        "n_sessions": g.n_sessions,
        "universe_score_variance": cell.universe_score_variance,
        "relative_error_variance": cell.relative_error_variance,
        "absolute_error_variance": cell.absolute_error_variance,
    }
    method = "no interval: a point estimate from the G-study variance components"
    out: dict[str, Result] = {}
    for name, value, error in (
        ("e_rho2", cell.e_rho2, "relative"),
        ("phi", cell.phi, "absolute"),
    ):
        if value is None:
            out[name] = NotApplicable(
                name, f"the trainee and {error} error variances are both estimated at zero"
            )
        else:
            out[name] = Estimate(name, value, None, method, details=details)
    return out


@dataclass(frozen=True)
class DStudyTable:
    """E rho^2 and Phi over a grid of designs; ``cells[i][j]`` has raters[i], sessions[j]."""

    design: Design
    raters: tuple[int, ...]
    sessions: tuple[int, ...]
    cells: tuple[tuple[DStudyCell, ...], ...]

    def cell(self, n_raters: int, n_sessions: int) -> DStudyCell:
        return self.cells[self.raters.index(n_raters)][self.sessions.index(n_sessions)]

    def smallest_design(
        self, target: float = 0.80, coefficient: Coefficient = "phi"
    ) -> DStudyCell | NotApplicable:
        """The cheapest design in the table that reaches ``target``, or why none does.

        Cheapest is the fewest ratings per trainee (raters x sessions); among equally many,
        fewer raters, since a trainer's time is scarcer than a recorded session.

        With Brennan's (2001) components for Synthetic Data Set No. 3 (items as raters,
        occasions as sessions), items dominate the error:

        >>> from app.domain.gtheory.anova import CROSSED, EFFECTS, VarianceComponents
        >>> sigma = [.5528, .4417, .0074, .5750, .1009, .1565, .9352]
        >>> table = d_study_table(VarianceComponents(CROSSED, dict(zip(EFFECTS[CROSSED], sigma))))
        >>> cell = table.smallest_design(0.65)
        >>> cell.n_raters, cell.n_sessions, round(cell.phi, 3)
        (5, 4, 0.66)
        >>> print(table.smallest_design(0.80).reason)  # doctest: +NORMALIZE_WHITESPACE
        no design up to 5 raters x 12 sessions reaches Φ ≥ 0.8; the best, 5 raters x 12
        sessions, gives Φ = 0.706
        """
        if not 0 < target < 1:
            raise RatingsInputError(f"target {target} must lie strictly between 0 and 1")
        symbol = _SYMBOL[coefficient]
        name = f"smallest_design {coefficient} >= {target:g}"
        cells = sorted(
            (c for row in self.cells for c in row),
            key=lambda c: (c.n_ratings_per_trainee, c.n_raters, c.n_sessions),
        )
        defined = [(c, v) for c in cells if (v := c.coefficient(coefficient)) is not None]
        if not defined:
            return NotApplicable(
                name, f"{symbol} is undefined: no trainee or error variance was estimated"
            )
        for c, v in defined:
            if v >= target - 1e-12:
                return c
        if defined[0][0].universe_score_variance == 0:
            return NotApplicable(
                name,
                f"no design can reach {symbol} ≥ {target:g}: the variance between trainees "
                "is estimated at zero, so scores cannot tell trainees apart",
            )
        best, value = max(defined, key=lambda cv: (cv[1], -cv[0].n_ratings_per_trainee))
        return NotApplicable(
            name,
            f"no design up to {_label(max(self.raters), max(self.sessions))} reaches "
            f"{symbol} ≥ {target:g}; the best, {_label(best.n_raters, best.n_sessions)}, "
            f"gives {symbol} = {value:.3f}",
        )


def _label(n_raters: int, n_sessions: int) -> str:
    return (
        f"{n_raters} rater{'s' * (n_raters != 1)} x {n_sessions} session{'s' * (n_sessions != 1)}"
    )


def d_study_table(
    g: Components, raters: Iterable[int] = range(1, 6), sessions: Iterable[int] = range(1, 13)
) -> DStudyTable:
    """E rho^2 and Phi for every combination of ``raters`` and ``sessions`` (1-5 x 1-12)."""
    nr, ns = tuple(int(n) for n in raters), tuple(int(n) for n in sessions)
    if not nr or not ns:
        raise RatingsInputError("a D-study table needs at least one rater and one session count")
    tau, delta, big_delta = error_variances(g, np.array(nr)[:, None], np.array(ns)[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 becomes None below
        e_rho2 = tau / (tau + delta)
        phi = tau / (tau + big_delta)

    def value(v: np.float64) -> float | None:
        return float(v) if np.isfinite(v) else None

    cells = tuple(
        tuple(
            DStudyCell(
                r,
                s,
                float(tau[i, j]),
                float(delta[i, j]),
                float(big_delta[i, j]),
                value(e_rho2[i, j]),
                value(phi[i, j]),
            )
            for j, s in enumerate(ns)
        )
        for i, r in enumerate(nr)
    )
    return DStudyTable(g.design, nr, ns, cells)
