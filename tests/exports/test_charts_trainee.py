"""The trainee dashboard's charts: byte for byte the golden SVGs, whatever the process's
matplotlib settings, and each with its text alternative.

The golden files in tests/exports/golden/ are the charts as the dashboard inlines them.
After an intended change to a chart (or a matplotlib upgrade that moves a path by a rounding
digit), look at the new files and regenerate them with

    GUIDINGHAND_UPDATE_GOLDEN=1 .venv/bin/pytest tests/exports/test_charts_trainee.py

which rewrites the files and fails, so that a regeneration never passes unnoticed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import matplotlib
import pytest

from app.exports.charts_trainee import (
    Chart,
    DomainBar,
    DomainSeries,
    domain_scores_chart,
    domain_trends_chart,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GUIDINGHAND_UPDATE_GOLDEN") == "1"
START = date(2026, 3, 2)

# Every case a dashboard meets: meets and below the minimum, an interval past the scale,
# no score, no minimum; a trend, two points without one, no session, one session.
BARS = (
    DomainBar("A", "Common factors and stance", 3.8, (3.5, 4.1), 3.0),
    DomainBar("B", "Preparation", 2.7, (2.2, 3.2), 3.0),
    DomainBar("C", "Medication session", 4.4, (1.0, 7.8), 3.0),
    DomainBar("D", "Integration", None, None, 3.0),
    DomainBar("E", "Personalisation and formulation", 0.4, None, None),
)
SERIES = (
    DomainSeries("A", "Common factors and stance",
                 tuple((START + timedelta(days=14 * i), 2.5 + 0.25 * i) for i in range(6)),
                 3.0, 0.54),
    DomainSeries("B", "Preparation", ((START, 3.0), (START + timedelta(days=28), 3.5)), 3.0,
                 None),
    DomainSeries("D", "Integration", (), 3.0, None),
    DomainSeries("F", "Safety, ethics and professionalism, a long title",
                 ((START, 4.0),), None, None),
)  # fmt: skip

CHARTS: dict[str, Callable[[], Chart]] = {
    "domain-scores": lambda: domain_scores_chart(BARS, (0, 6)),
    "domain-trends": lambda: domain_trends_chart(SERIES, (0, 6)),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_matches_its_golden_svg(name: str) -> None:
    svg = CHARTS[name]().svg
    golden = GOLDEN / f"trainee-{name}.svg"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(svg, encoding="utf-8")
        pytest.fail(f"rewrote {golden}: check it, then run without GUIDINGHAND_UPDATE_GOLDEN")
    assert svg == golden.read_text(encoding="utf-8"), (
        f"{name} differs from {golden}; see this module's docstring to regenerate"
    )


def test_process_settings_change_nothing() -> None:
    """A matplotlibrc, or another chart's settings, must not leak into a chart."""
    expected = {name: make().svg for name, make in CHARTS.items()}
    with matplotlib.rc_context({"font.size": 20.0, "lines.linewidth": 5.0,
                                "svg.hashsalt": None, "svg.fonttype": "path"}):  # fmt: skip
        assert {name: make().svg for name, make in CHARTS.items()} == expected


def test_charts_drawn_at_once_in_threads_are_the_same() -> None:
    """Pages are served from a thread pool; matplotlib's settings are process-wide."""
    expected = [make().svg for make in CHARTS.values()] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda make: make().svg, list(CHARTS.values()) * 3))
    assert found == expected


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_each_chart_has_a_text_alternative_and_its_own_ids(name: str) -> None:
    chart = CHARTS[name]()
    opening = re.match(r"<svg[^>]*>", chart.svg)
    assert opening is not None
    assert f'id="{name}"' in opening.group(0)
    assert 'role="img"' in opening.group(0)
    assert f'aria-labelledby="{name}-title {name}-desc"' in opening.group(0)
    assert f'<title id="{name}-title">{chart.title}</title>' in chart.svg
    assert f'<desc id="{name}-desc">' in chart.svg
    assert "<?xml" not in chart.svg, "ready to inline"
    assert "<script" not in chart.svg, "the page's CSP runs no inline script"
    ids = re.findall(r'\bid="([^"]+)"', chart.svg)
    assert all(i == name or i.startswith(f"{name}-") for i in ids), "unique beside others"
    assert len(ids) == len(set(ids))


def test_the_descriptions_say_what_the_charts_show() -> None:
    scores = CHARTS["domain-scores"]().description
    assert "B. Preparation: 2.70 (95% CI 2.20 to 3.20), minimum 3.00, below the minimum" in scores
    assert "A. Common factors and stance: 3.80 (95% CI 3.50 to 4.10), minimum 3.00, meets it" in (
        scores
    )
    assert "D. Integration: no score" in scores
    trends = CHARTS["domain-trends"]().description
    assert "A. Common factors and stance: 2026-03-02 2.50" in trends
    assert "trend +0.54 per 30 days" in trends
    assert "D. Integration: no session" in trends
