"""bench/load_ratings.py end to end with tiny numbers, so that the load script cannot rot.

No timing is asserted: the figures of a 20-submission run on a shared machine mean nothing.
What is checked is that the script sets up, serves, submits without an error, verifies the
database and reports figures that agree with one another. One run serves every test here;
it takes a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.load_ratings import render

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "load_ratings.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def tiny_run() -> dict[str, Any]:
    """2 clients, 20 measured submissions after 4 of warm-up, on a temporary SQLite file."""
    done = _run(str(SCRIPT), "--clients", "2", "--submissions", "20", "--warmup", "4", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_no_errors_and_the_database_holds_exactly_the_acknowledged(
    tiny_run: dict[str, Any],
) -> None:
    result = tiny_run
    assert result["backend"] == "sqlite"
    assert (result["clients"], result["submissions"], result["warmup_submissions"]) == (2, 20, 4)
    assert result["error_count"] == 0
    assert result["errors"] == []
    assert result["server_exit_status"] == 0, "the server was stopped cleanly"
    check = result["database_check"]
    assert check["ok"], check["problems"]
    assert check["acknowledged"] == check["submitted"] == check["idempotency_keys"] == 24
    assert check["audit_events"] == 24


def test_figures_agree_with_one_another(tiny_run: dict[str, Any]) -> None:
    result = tiny_run
    wall = result["wall_seconds"]
    assert wall > 0
    assert result["throughput_per_second"] == pytest.approx(20 / wall)
    ms = result["latency_ms"]
    assert 0 < ms["p50"] <= ms["p95"] <= ms["p99"] <= ms["max"]
    assert 0 < ms["mean"] <= ms["max"]
    # Closed loop: two clients cannot submit faster than their own latencies allow.
    assert result["throughput_per_second"] <= 2 / (ms["mean"] / 1e3) * 1.05
    items = result["items_per_rating"]
    assert 1 <= items["min"] <= items["mean"] <= items["max"]
    target = result["target"]
    met = target["met"]
    assert met == {
        "throughput": result["throughput_per_second"] >= 300,
        "p99": ms["p99"] < 50,
        "errors": True,
    }
    assert target["verdict"] == ("PASS" if all(met.values()) else "FAIL")


def test_the_table_shows_the_same_figures(tiny_run: dict[str, Any]) -> None:
    out = render(tiny_run)
    assert out.startswith("rating submissions over HTTP [sqlite, 2 clients, 20 submissions")
    assert f"throughput: {tiny_run['throughput_per_second']:.1f} submissions/s" in out
    assert f"latency p99: {tiny_run['latency_ms']['p99']:.2f} ms" in out
    assert "errors: 0" in out
    assert out.splitlines()[-1].strip() == tiny_run["target"]["verdict"]


def test_module_form_and_the_client_cap() -> None:
    assert _run("-m", "bench.load_ratings", "--help").returncode == 0
    refused = _run(str(SCRIPT), "--clients", "17")
    assert refused.returncode == 2
    assert "--clients" in refused.stderr
