"""Timing with a reference: absolute seconds vary by machine, ratios travel."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    name: str
    data_size: str
    subject: str
    reference: str
    subject_seconds: float
    reference_seconds: float
    target_ratio: float | None = None  # the ratio the subject must stay at or under
    unit: str = "seconds"  # or "bytes"

    @property
    def ratio(self) -> float:
        return self.subject_seconds / self.reference_seconds

    def __str__(self) -> str:
        return (
            f"{self.name} [{self.data_size}]\n"
            f"  {self.subject}: {self._show(self.subject_seconds)}\n"
            f"  {self.reference}: {self._show(self.reference_seconds)}\n"
            f"  ratio: {self.ratio:.2f}x the reference{self._verdict()}"
        )

    def _show(self, amount: float) -> str:
        if self.unit == "bytes":
            return f"{amount / 2**20:.1f} MiB (peak)"
        return f"{amount * 1e3:.2f} ms (median)"

    def _verdict(self) -> str:
        if self.target_ratio is None:
            return ""
        if self.ratio <= self.target_ratio:
            return f" (target <= {self.target_ratio:g}: met)"
        miss = (self.ratio / self.target_ratio - 1) * 100
        return f" (target <= {self.target_ratio:g}: MISSED by {miss:.0f}%)"


def median_seconds(fn: Callable[[], object], repeat: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
