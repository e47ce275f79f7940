"""Report charts: byte for byte the golden SVGs, whatever the process's matplotlib settings.

The golden files in tests/exports/golden/ are the charts as the reports embed them. After an
intended change to a chart (or a matplotlib upgrade that moves a path by a rounding digit),
look at the new files and regenerate them with

    GUIDINGHAND_UPDATE_GOLDEN=1 .venv/bin/pytest tests/exports/test_charts.py

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

from app.exports.charts import (
    Chart,
    DomainBar,
    DomainSeries,
    DStudyCurve,
    d_study_chart,
    domain_scores_chart,
    domain_trends_chart,
    irr_heatmap,
)
from app.exports.pdf import trainee_charts
from tests.support.reports import trainee_report

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GUIDINGHAND_UPDATE_GOLDEN") == "1"
START = date(2026, 3, 2)

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
ITEMS = (("A1", "Alliance and trust"), ("B5", "Screening, contraindications and suicide risk"),
         ("C1", "Safety supervision and escalation"))  # fmt: skip
COEFFICIENTS = (("krippendorff_alpha_ordinal", "α ordinal"), ("gwet_ac2_quadratic",
                "AC2 quadratic"), ("percent_agreement", "exact"))  # fmt: skip
VALUES = ((0.82, 0.91, 0.55), (-0.12, None, 0.3), (0.4, 0.97, 1.0))
CURVES = (
    *(DStudyCurve(r, tuple(range(1, 7)), tuple(1 - 1 / (1 + 0.35 * r * n) for n in range(1, 7)))
      for r in (1, 2, 3)),
    DStudyCurve(4, (1, 2), (None, None)),
)  # fmt: skip

CHARTS: dict[str, Callable[[], Chart]] = {
    "domain-scores": lambda: domain_scores_chart(BARS, (0, 6)),
    "domain-trends": lambda: domain_trends_chart(SERIES, (0, 6)),
    "irr-heatmap": lambda: irr_heatmap(ITEMS, COEFFICIENTS, VALUES),
    "d-study": lambda: d_study_chart(CURVES, 0.8),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_matches_its_golden_svg(name: str) -> None:
    svg = CHARTS[name]().svg
    golden = GOLDEN / f"{name}.svg"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(svg, encoding="utf-8")
        pytest.fail(f"rewrote {golden}: check it, then run without GUIDINGHAND_UPDATE_GOLDEN")
    assert svg == golden.read_text(encoding="utf-8"), (
        f"{name} differs from {golden}; see this module's docstring to regenerate"
    )


def test_process_settings_change_nothing() -> None:
    """A matplotlibrc, or another chart's settings, must not leak into a report's chart."""
    expected = {name: make().svg for name, make in CHARTS.items()}
    with matplotlib.rc_context({"font.size": 20.0, "lines.linewidth": 5.0,
                                "svg.hashsalt": None, "svg.fonttype": "path"}):  # fmt: skip
        assert {name: make().svg for name, make in CHARTS.items()} == expected


def test_charts_drawn_at_once_in_threads_are_the_same() -> None:
    """Requests render reports in a thread pool; matplotlib's settings are process-wide."""
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
    assert "<metadata>" not in chart.svg
    ids = re.findall(r'\bid="([^"]+)"', chart.svg)
    assert all(i == name or i.startswith(f"{name}-") for i in ids), "unique beside others"
    assert len(ids) == len(set(ids))
    for ref in re.findall(r"url\(#([^)]+)\)", chart.svg):
        assert ref in ids, f"a reference to a missing id: {ref}"
    assert f"#{name} *{{" in chart.svg, "matplotlib's catch-all style is scoped to the chart"


def test_descriptions_say_what_the_charts_show() -> None:
    scores = CHARTS["domain-scores"]().description
    assert "B. Preparation: 2.70 (95% CI 2.20 to 3.20), minimum 3.00, below the minimum" in scores
    assert "A. Common factors and stance: 3.80" in scores
    assert "meets it" in scores
    assert "D. Integration: no score" in scores
    trends = CHARTS["domain-trends"]().description
    assert "A. Common factors and stance: 2026-03-02 2.50, 2026-03-16 2.75" in trends
    assert "trend +0.54 per 30 days" in trends
    assert "D. Integration: no session" in trends
    heatmap = CHARTS["irr-heatmap"]().description
    assert "B5: α ordinal -0.12, AC2 quadratic not estimable, exact 0.30" in heatmap
    d_study = CHARTS["d-study"]().description
    assert "3 raters: reaches 0.80 at 4 sessions" in d_study
    assert "1 rater: stays below 0.80 up to 6 sessions" in d_study


def test_the_trainee_report_charts_carry_its_figures() -> None:
    report = trainee_report()
    scores, trends = trainee_charts(report)
    for domain in report.result.domains:
        assert f"{domain.key}. {domain.title}: {domain.score.value:.2f}" in scores.description  # type: ignore[union-attr]
    first = report.result.sessions[0]
    assert f"{first.session_date.isoformat()} {first.domain_means['A']:.2f}" in trends.description
