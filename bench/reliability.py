"""The reliability engine against the reference libraries, in one run on the same data.

Seeded ordinal 0-6 ratings of 2,000 x 4 and 20,000 x 5 subjects x raters, complete and with
10% missing. Targets (issue: reliability engine):
- the full panel (no bootstrap) costs at most half of the fastest references summed,
  pingouin excluded;
- every coefficient is at least as fast as its fastest reference;
- a 1,000-draw bootstrap of alpha on 2,000 x 4 takes under a second;
- the CLI on a 100,000-row CSV beats a pandas script calling the references, end to end;
- memory grows linearly with the number of ratings.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pingouin
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from app.domain.reliability.cohen import cohen_kappa
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.fleiss import fleiss_kappa
from app.domain.reliability.gwet import gwet_ac
from app.domain.reliability.icc import icc
from app.domain.reliability.krippendorff import krippendorff_alpha
from app.domain.reliability.panel import reliability_panel
from bench.harness import Comparison, median_seconds

SCALE = (0, 6)
ROOT = Path(__file__).resolve().parents[1]


def ratings(n_subjects: int, n_raters: int, missing: float, seed: int = 7) -> np.ndarray:
    """Scores from a true level per subject plus rater noise, clipped to the 0-6 scale."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.0, 1.2, size=(n_subjects, 1))
    severity = rng.normal(0.0, 0.3, size=(1, n_raters))
    values = np.clip(np.rint(truth + severity + rng.normal(0, 0.7, (n_subjects, n_raters))), 0, 6)
    if missing:
        mask = rng.random(values.shape) < missing
        mask[:, :2] = False  # every subject keeps two ratings, so it stays pairable
        values[mask] = np.nan
    return values


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, columns=[f"r{j}" for j in range(values.shape[1])])


def _long(values: np.ndarray) -> pd.DataFrame:
    n, k = values.shape
    return pd.DataFrame(
        {
            "subject": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "score": values.ravel(),
        }
    ).dropna()


def _references(values: np.ndarray, complete: bool) -> dict[str, Callable[[], object]]:
    frame = _frame(values)
    refs: dict[str, Callable[[], object]] = {
        "alpha": lambda: krippendorff.alpha(
            reliability_data=values.T, level_of_measurement="ordinal",
            value_domain=list(range(7)),
        ),
        "gwet": lambda: CAC(frame, weights="quadratic", categories=list(range(7))).gwet(),
    }  # fmt: skip
    if complete:
        refs["fleiss"] = lambda: sm_fleiss(aggregate_raters(values.astype(int))[0])
    pair = values[:, :2]
    both = ~np.isnan(pair).any(axis=1)
    refs["cohen"] = lambda: cohen_kappa_score(
        pair[both, 0], pair[both, 1], weights="quadratic", labels=list(range(7))
    )
    return refs


def _ours(m: RatingMatrix, complete: bool) -> dict[str, Callable[[], object]]:
    two = RatingMatrix(m.values[:, :2], m.subjects, m.raters[:2], m.scale)
    ours: dict[str, Callable[[], object]] = {
        "alpha": lambda: krippendorff_alpha(m, "ordinal"),
        "gwet": lambda: gwet_ac(m, "quadratic"),
        "cohen": lambda: cohen_kappa(two, "quadratic"),
    }
    if complete:
        ours["fleiss"] = lambda: fleiss_kappa(m)
    return ours


def panel_and_coefficients(n: int, k: int, missing: float) -> list[Comparison]:
    values = ratings(n, k, missing)
    m = RatingMatrix.from_array(values, scale=SCALE)
    size = f"{n:,} x {k}, {'complete' if not missing else f'{missing:.0%} missing'}"
    complete = not missing
    refs, ours = _references(values, complete), _ours(m, complete)
    repeat = 5 if n > 5000 else 9
    ref_times = {name: median_seconds(fn, repeat=repeat) for name, fn in refs.items()}
    out = [
        Comparison(f"{name} (one coefficient)", size, f"guidinghand {name}",
                   f"reference {name}", median_seconds(ours[name], repeat=repeat),
                   ref_times[name], target_ratio=1.0)
        for name in ours
    ]  # fmt: skip
    panel = median_seconds(lambda: reliability_panel(m, "ordinal"), repeat=repeat)
    out.append(
        Comparison("full panel", size, "reliability_panel (all coefficients, no bootstrap)",
                   "fastest references summed (no pingouin)", panel,
                   sum(ref_times.values()), target_ratio=0.5)
    )  # fmt: skip
    if complete:
        frame = _long(values)
        ours_icc = median_seconds(lambda: icc(m), repeat=repeat)
        theirs = median_seconds(
            lambda: pingouin.intraclass_corr(frame, "subject", "rater", "score"), repeat=3
        )
        out.append(Comparison("ICC (six forms)", size, "guidinghand icc", "pingouin",
                              ours_icc, theirs, target_ratio=1.0))  # fmt: skip
    return out


def bootstrap() -> Comparison:
    """Measured against a fixed budget of one second rather than a library."""
    m = RatingMatrix.from_array(ratings(2000, 4, 0.0), scale=SCALE)
    draws = median_seconds(
        lambda: krippendorff_alpha(m, "ordinal", bootstrap=1000, seed=1), repeat=3
    )
    return Comparison("alpha bootstrap, 1,000 draws", "2,000 x 4", "bootstrap alpha",
                      "the 1 s budget", draws, 1.0, target_ratio=1.0)  # fmt: skip


REFERENCE_SCRIPT = """
import sys, krippendorff, pandas as pd, pingouin
from irrCAC.raw import CAC
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
frame = pd.read_csv(sys.argv[1])
wide = frame.pivot(index="subject", columns="rater", values="score")
values = wide.to_numpy()
krippendorff.alpha(reliability_data=values.T, level_of_measurement="ordinal")
CAC(wide).gwet()
CAC(wide, weights="quadratic").gwet()
fleiss_kappa(aggregate_raters(values.astype(int))[0])
pingouin.intraclass_corr(frame, "subject", "rater", "score")
"""


def cli_end_to_end() -> Comparison:
    values = ratings(20_000, 5, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratings.csv"
        _long(values).astype({"score": int}).to_csv(path, index=False)
        script = Path(tmp) / "reference.py"
        script.write_text(REFERENCE_SCRIPT, encoding="utf-8")

        def run(*args: str) -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT)
            return time.perf_counter() - start

        ours = min(run("-m", "app.cli", "irr", str(path), "--json", "--scale", "0..6")
                   for _ in range(3))  # fmt: skip
        theirs = min(run(str(script), str(path)) for _ in range(3))
    return Comparison("CLI end to end", "100,000-row CSV (20,000 x 5)",
                      "guidinghand irr --json", "pandas + reference libraries script",
                      ours, theirs, target_ratio=1.0)  # fmt: skip


def memory() -> Comparison:
    def peak(n: int) -> float:
        m = RatingMatrix.from_array(ratings(n, 5, 0.1), scale=SCALE)
        tracemalloc.start()
        reliability_panel(m, "ordinal")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return float(top)

    small, large = peak(2_000), peak(20_000)
    # Linear growth: ten times the ratings should cost at most about ten times the memory.
    return Comparison("memory growth", "panel peak, 20,000 x 5 vs 2,000 x 5 (10x ratings)",
                      "peak at 10x", "10 x peak at 1x", large, 10 * small,
                      target_ratio=1.0, unit="bytes")  # fmt: skip


def run() -> list[Comparison]:
    results: list[Comparison] = []
    for n, k in ((2000, 4), (20_000, 5)):
        for missing in (0.0, 0.1):
            results += panel_and_coefficients(n, k, missing)
    results += [bootstrap(), cli_end_to_end(), memory()]
    return results
