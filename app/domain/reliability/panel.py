"""Every applicable coefficient for one ratings matrix: what the CLI, API and reports show.

Which coefficients apply follows from the level of measurement: a coefficient whose metric
assumes more than the data's level is left out with a note, as is one that is undefined
for these data (with the coefficient's own reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.domain.reliability.agreement import percent_agreement
from app.domain.reliability.cohen import cohen_kappa
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.fleiss import fleiss_kappa
from app.domain.reliability.gwet import gwet_ac
from app.domain.reliability.icc import icc
from app.domain.reliability.interpret import Interpretation, interpret
from app.domain.reliability.krippendorff import LEVELS, Level, krippendorff_alpha
from app.domain.reliability.results import Estimate, Result

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Coefficient:
    estimate: Estimate
    interpretation: Interpretation

    def as_dict(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "value": e.value,
            "ci95": list(e.ci95) if e.ci95 is not None else None,
            "ci_method": e.ci_method,
            "se": e.se,
            "interpretation": self.interpretation.label,
            "interpretation_source": self.interpretation.source,
            "details": dict(e.details),
        }


@dataclass(frozen=True)
class ReliabilityReport:
    n_subjects: int
    n_raters: int
    n_ratings: int
    level: Level
    coefficients: dict[str, Coefficient]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_subjects": self.n_subjects,
            "n_raters": self.n_raters,
            "n_ratings": self.n_ratings,
            "level": self.level,
            "coefficients": {name: c.as_dict() for name, c in self.coefficients.items()},
            "notes": list(self.notes),
        }


def reliability_panel(
    m: RatingMatrix,
    level: Level = "ordinal",
    *,
    bootstrap: int = 0,
    seed: int | None = None,
    progress: Progress | None = None,
) -> ReliabilityReport:
    """All coefficients that apply to ``m`` at measurement ``level``.

    ``bootstrap`` draws give Krippendorff's alpha its interval (the other coefficients have
    analytic ones); ``progress(done, total)`` follows those draws.
    """
    rank = LEVELS.index(level)
    ordered = rank >= 1
    results: list[Result] = []
    notes: list[str] = []

    def omit(names: str, why: str) -> None:
        notes.append(f"{names}: {why}")

    if ordered:
        results.extend(icc(m).values())
    else:
        omit("ICC", "treats scores as quantities; not meaningful for nominal data")

    if m.n_raters == 2:
        results.append(cohen_kappa(m))
        if ordered:
            results += [cohen_kappa(m, "linear"), cohen_kappa(m, "quadratic")]
        else:
            omit("cohen_kappa_linear, cohen_kappa_quadratic", "weights need ordered categories")
    else:
        omit("cohen_kappa", f"needs exactly 2 raters; these data have {m.n_raters}")

    results.append(fleiss_kappa(m))

    alpha_levels = LEVELS[: rank + 1]
    total = bootstrap * len(alpha_levels)
    for i, alpha_level in enumerate(alpha_levels):
        step = None
        if progress is not None:
            offset = i * bootstrap

            def step(done: int, _total: int, offset: int = offset) -> None:
                progress(offset + done, total)

        results.append(
            krippendorff_alpha(m, alpha_level, bootstrap=bootstrap, seed=seed, progress=step)
        )
    if rank < len(LEVELS) - 1:
        higher = ", ".join(f"krippendorff_alpha_{lv}" for lv in LEVELS[rank + 1 :])
        omit(higher, f"assumes more than {level} measurement")

    results.append(gwet_ac(m))
    if ordered:
        results += [gwet_ac(m, "linear"), gwet_ac(m, "quadratic")]
    else:
        omit("gwet_ac2_linear, gwet_ac2_quadratic", "weights need ordered categories")

    results.append(percent_agreement(m))
    if ordered:
        results.append(percent_agreement(m, within=1))
    else:
        omit("percent_agreement_within1", "distance needs ordered categories")

    coefficients: dict[str, Coefficient] = {}
    undefined: dict[str, list[str]] = {}  # one note per reason, naming every coefficient
    for result in results:
        if isinstance(result, Estimate):
            coefficients[result.name] = Coefficient(result, interpret(result.name, result.value))
        else:
            undefined.setdefault(result.reason, []).append(result.name)
    for reason, names in undefined.items():
        omit(", ".join(names), reason)
    dropped = next(
        (
            int(r.details.get("n_subjects_dropped", 0))
            for r in results
            if isinstance(r, Estimate) and r.name.startswith("ICC")
        ),
        0,
    )
    if dropped:
        notes.append(f"ICC: {dropped} subject(s) with missing ratings dropped listwise")
    return ReliabilityReport(m.n_subjects, m.n_raters, m.n_ratings, level, coefficients, notes)
