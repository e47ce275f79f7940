"""Assertions shared by the reliability tests."""

from __future__ import annotations

import math

from hypothesis import settings

from app.domain.reliability.results import Estimate, NotApplicable, Result

# Property tests compare against slow reference libraries: few examples, no deadline.
FAST = settings(max_examples=50, deadline=None)


def estimate(result: Result) -> Estimate:
    assert isinstance(result, Estimate), result
    assert math.isfinite(result.value)
    return result


def assert_clean(
    result: Result, *, lower: float = -1.0, upper: float = 1.0, interval_required: bool = True
) -> None:
    """Defined results are finite and inside their interval; undefined ones say why."""
    if isinstance(result, NotApplicable):
        assert result.reason
        return
    assert math.isfinite(result.value)
    assert lower <= result.value <= upper
    if interval_required:
        assert result.ci95 is not None
    if result.ci95 is not None:
        assert result.se is not None
        assert math.isfinite(result.se)
        assert lower <= result.ci95[0] <= result.value + 1e-12
        assert result.value - 1e-12 <= result.ci95[1] <= upper
    for v in result.details.values():
        assert isinstance(v, str) or math.isfinite(v)
