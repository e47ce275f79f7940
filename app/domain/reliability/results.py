"""What a coefficient returns: an estimate with its interval, or a reason it is undefined."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Estimate:
    """A coefficient's value, its 95% CI and the method that produced the interval.

    ``details`` carries coefficient-specific statistics (F, df1, df2, p for ICC; the number
    of subjects used; the bootstrap draws) so that a report can show its working.
    """

    name: str
    value: float
    ci95: tuple[float, float] | None
    ci_method: str
    se: float | None = None
    details: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotApplicable:
    """A coefficient that is undefined for these data, and why (instead of NaN or a crash)."""

    name: str
    reason: str


Result = Estimate | NotApplicable
