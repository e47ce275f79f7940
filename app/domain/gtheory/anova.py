"""G study: random-effects ANOVA variance components for trainees, raters and sessions.

Two designs, both balanced and with every facet random (Brennan 2001, ch. 3; Shavelson &
Webb 1991). ``scores[p, s, r]`` is trainee p's session s as scored by rater r.

``"p x r x s"`` (fully crossed; sessions are occasions: the s-th session of every trainee is
one level of the session facet), effects p, r, s, pr, ps, rs, prs,e with expected mean squares

    EMS(prs,e) = s2(prs,e)
    EMS(pr)    = s2(prs,e) + n_s s2(pr)
    EMS(ps)    = s2(prs,e) + n_r s2(ps)
    EMS(rs)    = s2(prs,e) + n_p s2(rs)
    EMS(p)     = s2(prs,e) + n_s s2(pr) + n_r s2(ps) + n_r n_s s2(p)
    EMS(r)     = s2(prs,e) + n_s s2(pr) + n_p s2(rs) + n_p n_s s2(r)
    EMS(s)     = s2(prs,e) + n_r s2(ps) + n_p s2(rs) + n_p n_r s2(s)

``"(s:p) x r"`` (sessions nested in trainees, raters crossed with both: a session belongs to
one trainee, and the same raters score every session), effects p, r, s:p, pr, sr:p,e with

    EMS(sr:p,e) = s2(sr:p,e)
    EMS(pr)     = s2(sr:p,e) + n_s s2(pr)
    EMS(s:p)    = s2(sr:p,e) + n_r s2(s:p)
    EMS(r)      = s2(sr:p,e) + n_s s2(pr) + n_p n_s s2(r)
    EMS(p)      = s2(sr:p,e) + n_s s2(pr) + n_r s2(s:p) + n_r n_s s2(p)

(Cornfield & Tukey's rules; the nested design is Brennan's p x (r:t) with the roles relabelled:
his t, r:t and p are our p, s:p and r.) Solving these with the observed mean squares gives the
usual unbiased ANOVA estimates, which can be negative. By custom a negative estimate is
reported as zero, and we follow Brennan (2001, ch. 3) in setting it to zero *after* all
components are estimated, so that the other estimates stay unbiased; Cronbach et al. (1972)
instead substitute the zero back into the remaining equations, which biases them.
``raw_components`` keeps the signed values, ``components`` the clamped ones, and
``clamped`` names what was changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.results import NotApplicable

Design = Literal["p x r x s", "(s:p) x r"]
CROSSED: Final = "p x r x s"
NESTED: Final = "(s:p) x r"
DESIGNS: Final[tuple[Design, ...]] = (CROSSED, NESTED)
EFFECTS: Final[Mapping[Design, tuple[str, ...]]] = {
    CROSSED: ("p", "r", "s", "pr", "ps", "rs", "prs,e"),
    NESTED: ("p", "r", "s:p", "pr", "sr:p,e"),
}
_DESCRIPTION: Final[Mapping[Design, str]] = {
    CROSSED: "trainees x raters x sessions, fully crossed (session k of every trainee is one "
    "occasion)",
    NESTED: "sessions nested in trainees, crossed with raters",
}


def facets(effect: str) -> frozenset[str]:
    """The indices of an effect other than the trainee's: what a D study averages it over.

    Brennan's rules for error variances turn on exactly this set (``s:p`` is indexed by both
    s and p; the ``e`` of a confounded residual is not a facet):

    >>> sorted(facets("sr:p,e")), sorted(facets("p")), sorted(facets("rs"))
    (['r', 's'], [], ['r', 's'])
    """
    return frozenset(effect.split(",")[0].replace(":", "")) - {"p"}


class Components(Protocol):
    """What a D study needs: a design and its (non-negative) variance components."""

    @property
    def design(self) -> Design: ...

    @property
    def components(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class VarianceComponents:
    """Components from elsewhere (a published or earlier G study), to plan a D study with.

    They must already be clamped at zero; they are kept in the order of ``EFFECTS[design]``.
    """

    design: Design
    components: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise RatingsInputError(f"unknown design {self.design!r}; expected one of {DESIGNS}")
        expected = EFFECTS[self.design]
        if set(self.components) != set(expected):
            raise RatingsInputError(
                f"{self.design} needs components for {', '.join(expected)}; "
                f"got {', '.join(self.components)}"
            )
        values = {e: float(self.components[e]) for e in expected}
        if any(not (np.isfinite(v) and v >= 0) for v in values.values()):
            raise RatingsInputError("variance components must be finite and non-negative")
        object.__setattr__(self, "components", values)  # frozen: normalise once, here


@dataclass(frozen=True)
class GStudy:
    """One G study: the ANOVA table and the variance components, signed and clamped.

    ``proportions`` are each clamped component's share of their sum, the variance of a
    single rating (one rater, one session) that the component accounts for.
    """

    design: Design
    n_trainees: int
    n_sessions: int
    n_raters: int
    grand_mean: float
    df: Mapping[str, int]
    sum_of_squares: Mapping[str, float]
    mean_squares: Mapping[str, float]
    raw_components: Mapping[str, float]
    components: Mapping[str, float]
    clamped: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def effects(self) -> tuple[str, ...]:
        return EFFECTS[self.design]

    @property
    def proportions(self) -> dict[str, float]:
        total = sum(self.components.values())
        return {e: v / total for e, v in self.components.items()}

    @property
    def description(self) -> str:
        return _DESCRIPTION[self.design]


def g_study(scores: ArrayLike, design: Design) -> GStudy | NotApplicable:
    """Variance components of a balanced ``scores[trainee, session, rater]`` array.

    Brennan (2001), Synthetic Data Set No. 3 (10 persons x 4 items x 2 occasions, p x i x o),
    with items as our raters and occasions as our sessions; rows are persons, columns
    occasion 1 items 1-4 then occasion 2 items 1-4. Brennan's published estimates:

    >>> x = np.array([[2, 6, 7, 5, 2, 5, 5, 5], [4, 5, 6, 7, 6, 7, 5, 7],
    ...               [5, 5, 4, 6, 5, 4, 5, 5], [5, 9, 8, 6, 5, 7, 7, 6],
    ...               [4, 3, 5, 6, 4, 5, 6, 4], [4, 4, 4, 7, 6, 4, 7, 8],
    ...               [2, 6, 6, 5, 2, 7, 7, 5], [3, 4, 4, 5, 6, 6, 6, 4],
    ...               [0, 5, 4, 5, 5, 5, 5, 3], [6, 8, 7, 6, 6, 8, 8, 6]])
    >>> g = g_study(x.reshape(10, 2, 4), "p x r x s")
    >>> {e: round(v, 4) for e, v in g.components.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'p': 0.5528, 'r': 0.4417, 's': 0.0074, 'pr': 0.575, 'ps': 0.1009, 'rs': 0.1565,
     'prs,e': 0.9352}
    """
    if design not in DESIGNS:
        raise RatingsInputError(f"unknown design {design!r}; expected one of {DESIGNS}")
    x = np.asarray(scores, dtype=np.float64)
    if x.ndim != 3:
        raise RatingsInputError("scores must be a trainees x sessions x raters array")
    if not np.isfinite(x).all():
        raise RatingsInputError("a G study needs a balanced array: every score present")
    n_p, n_s, n_r = (int(n) for n in x.shape)
    name = f"g_study {design}"
    short = [f"{n} {what}" for n, what in ((n_p, "trainees"), (n_s, "sessions"), (n_r, "raters"))]
    if min(n_p, n_s, n_r) < 2:
        return NotApplicable(
            name,
            "needs at least 2 trainees, 2 sessions and 2 raters; these data have "
            + ", ".join(short),
        )
    if x.min() == x.max():
        return NotApplicable(name, "every score is identical: there is no variance to divide")

    ss, df = (_crossed if design == CROSSED else _nested)(x)
    # Rounding leaves ~1e-16 relative residue where a sum of squares is exactly 0; flush it
    # so that a component that is exactly zero is not reported as a clamped negative.
    noise = 1e-12 * sum(ss.values())
    ss = {e: v if v > noise else 0.0 for e, v in ss.items()}
    ms = {e: ss[e] / df[e] for e in ss}
    raw = _components(design, ms, n_p, n_s, n_r)
    tiny = 1e-12 * max(ms.values())
    raw = {e: 0.0 if abs(v) <= tiny else v for e, v in raw.items()}
    clamped = tuple(e for e, v in raw.items() if v < 0)
    notes: tuple[str, ...] = ()
    if clamped:
        notes = (
            "negative estimate(s) set to zero after estimation (Brennan 2001): "
            + ", ".join(f"s2({e}) = {raw[e]:.4g}" for e in clamped),
        )
    return GStudy(
        design,
        n_p,
        n_s,
        n_r,
        float(x.mean()),
        df,
        ss,
        ms,
        raw,
        {e: max(v, 0.0) for e, v in raw.items()},
        clamped,
        notes,
    )


def _sq(a: NDArray[np.float64]) -> float:
    # einsum, not BLAS: a threaded BLAS stalls for milliseconds on a busy machine.
    flat = a.ravel()
    return float(np.einsum("i,i->", flat, flat))


def _crossed(x: NDArray[np.float64]) -> tuple[dict[str, float], dict[str, int]]:
    """Sums of squares of p x r x s, each from its own deviations (no difference of sums)."""
    n_p, n_s, n_r = x.shape
    m = x.mean()
    ps, pr, sr = x.mean(axis=2), x.mean(axis=1), x.mean(axis=0)
    p, s, r = ps.mean(axis=1) - m, ps.mean(axis=0) - m, pr.mean(axis=0) - m
    ps_dev = ps - m - p[:, None] - s[None, :]
    pr_dev = pr - m - p[:, None] - r[None, :]
    sr_dev = sr - m - s[:, None] - r[None, :]
    # x - (ps + pr + sr) + (p_mean + s_mean + r_mean - m), with each mean as m + deviation.
    resid = x - (ps[:, :, None] + pr[:, None, :] + sr[None, :, :])
    resid += (2 * m + p)[:, None, None] + s[None, :, None] + r[None, None, :]
    ss = {
        "p": n_s * n_r * _sq(p),
        "r": n_p * n_s * _sq(r),
        "s": n_p * n_r * _sq(s),
        "pr": n_s * _sq(pr_dev),
        "ps": n_r * _sq(ps_dev),
        "rs": n_p * _sq(sr_dev),
        "prs,e": _sq(resid),
    }
    df = {
        "p": n_p - 1,
        "r": n_r - 1,
        "s": n_s - 1,
        "pr": (n_p - 1) * (n_r - 1),
        "ps": (n_p - 1) * (n_s - 1),
        "rs": (n_r - 1) * (n_s - 1),
        "prs,e": (n_p - 1) * (n_r - 1) * (n_s - 1),
    }
    return ss, df


def _nested(x: NDArray[np.float64]) -> tuple[dict[str, float], dict[str, int]]:
    """Sums of squares of (s:p) x r: sessions are compared only within their trainee."""
    n_p, n_s, n_r = x.shape
    m = x.mean()
    ps, pr = x.mean(axis=2), x.mean(axis=1)
    p_mean = ps.mean(axis=1)
    p, r = p_mean - m, pr.mean(axis=0) - m
    sp_dev = ps - p_mean[:, None]
    pr_dev = pr - m - p[:, None] - r[None, :]
    resid = x - (ps[:, :, None] + pr[:, None, :]) + p_mean[:, None, None]
    ss = {
        "p": n_s * n_r * _sq(p),
        "r": n_p * n_s * _sq(r),
        "s:p": n_r * _sq(sp_dev),
        "pr": n_s * _sq(pr_dev),
        "sr:p,e": _sq(resid),
    }
    df = {
        "p": n_p - 1,
        "r": n_r - 1,
        "s:p": n_p * (n_s - 1),
        "pr": (n_p - 1) * (n_r - 1),
        "sr:p,e": n_p * (n_s - 1) * (n_r - 1),
    }
    return ss, df


def _components(
    design: Design, ms: Mapping[str, float], n_p: int, n_s: int, n_r: int
) -> dict[str, float]:
    """The EMS equations of the module docstring, solved from the residual upwards."""
    if design == CROSSED:
        e = ms["prs,e"]
        return {
            "p": (ms["p"] - ms["pr"] - ms["ps"] + e) / (n_r * n_s),
            "r": (ms["r"] - ms["pr"] - ms["rs"] + e) / (n_p * n_s),
            "s": (ms["s"] - ms["ps"] - ms["rs"] + e) / (n_p * n_r),
            "pr": (ms["pr"] - e) / n_s,
            "ps": (ms["ps"] - e) / n_r,
            "rs": (ms["rs"] - e) / n_p,
            "prs,e": e,
        }
    e = ms["sr:p,e"]
    return {
        "p": (ms["p"] - ms["s:p"] - ms["pr"] + e) / (n_r * n_s),
        "r": (ms["r"] - ms["pr"]) / (n_p * n_s),
        "s:p": (ms["s:p"] - e) / n_r,
        "pr": (ms["pr"] - e) / n_s,
        "sr:p,e": e,
    }
