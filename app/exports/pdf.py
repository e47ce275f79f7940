"""Reports as PDF: Jinja2 templates (app/exports/templates) rendered by WeasyPrint, A4.

The templates get plain, already formatted rows built here, so they hold layout only and
every number is formatted in one place. Charts are SVG images (app/exports/charts.py), the
same SVG a web page shows inline, with the chart's description as their alternative text.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.domain.readiness import Decision, ReadinessResult
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.domain.vocabulary import Phase
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
from app.exports.report_csv import IRR_COLUMNS
from app.services.reports import (
    CertificateReport,
    DomainInfo,
    ProgramReport,
    SignedDecision,
    TraineeReport,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
Progress = Callable[[int, int], None]

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

DECISION_TEXT = {
    Decision.ready.value: "Every rule of the readiness policy is met by sufficient evidence.",
    Decision.not_yet.value: "The evidence is sufficient, and some rules are not met yet.",
    Decision.insufficient_evidence.value: "More evidence is needed before a decision.",
}
DASH = "–"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


# --- formatting ---------------------------------------------------------------------------


def num(value: float | None, decimals: int = 2) -> str:
    """A figure as the reports show it; a dash where there is none.

    >>> num(3.14159), num(None), num(float("nan")), num(-0.5, 1)
    ('3.14', '–', '–', '−0.5')
    """
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:.{decimals}f}".replace("-", "−")


def signed(value: float | None) -> str:
    """A change with its sign, as trends show.

    >>> signed(0.123), signed(-0.1), signed(None)
    ('+0.12', '−0.10', '–')
    """
    if value is None or not math.isfinite(value):
        return DASH
    return f"{value:+.2f}".replace("-", "−")


def interval(ci: Sequence[float] | None) -> str:
    """A 95% interval in words, so a minus sign is never read as a range dash.

    >>> interval((2.5, 3.25)), interval(None)
    ('2.50 to 3.25', '')
    """
    return "" if ci is None else f"{num(ci[0])} to {num(ci[1])}"


def day(value: date | datetime | str) -> str:
    """A date as people write it on paper, whatever the reader's locale.

    >>> day(date(2026, 3, 4)), day("2026-11-24T10:00:00+00:00")
    ('4 March 2026', '24 November 2026')
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def short_day(value: date) -> str:
    """A date where a table column is narrow.

    >>> short_day(date(2026, 9, 14))
    '14 Sep 2026'
    """
    return f"{value.day} {MONTHS[value.month - 1][:3]} {value.year}"


def _estimate(r: Result | None) -> tuple[str, str, str]:
    """(value, interval, reason) of a result."""
    if r is None:
        return DASH, "", "not computed"
    if isinstance(r, NotApplicable):
        return DASH, "", r.reason
    assert isinstance(r, Estimate)
    return num(r.value), interval(r.ci95), ""


def _render(template: str, **context: Any) -> bytes:
    from weasyprint import HTML  # slow to import: only where a PDF is made

    html = _env.get_template(template).render(**context)
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _svg(chart: Chart) -> Markup:
    """The chart as an image with its description as alternative text.

    As an image, WeasyPrint draws the SVG with its SVG renderer alone; inline, its HTML
    stylesheet parser also reads every SVG style attribute and logs each one it does not
    know, some hundred warnings a report.
    """
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return Markup('<img alt="{}" src="data:image/svg+xml;base64,{}">').format(
        chart.description, data
    )


def _signed_off(d: SignedDecision | None) -> str:
    if d is None:
        return ""
    level = f", entrustment level {d.entrustment_level}" if d.entrustment_level else ""
    return f"{d.decision}, signed off by {d.signed_off_by} on {day(d.decided_at)}{level}"


# --- trainee --------------------------------------------------------------------------------


def trainee_charts(report: TraineeReport) -> tuple[Chart, Chart]:
    result = report.result
    minimums = {d.key: d.min_mean for d in report.domains}
    bars = []
    series = []
    for d in result.domains:
        score = d.score if isinstance(d.score, Estimate) else None
        trend = d.trend if isinstance(d.trend, Estimate) else None
        bars.append(DomainBar(d.key, d.title, score.value if score else None,
                              score.ci95 if score else None, minimums.get(d.key)))  # fmt: skip
        points = tuple(
            (s.session_date, s.domain_means[d.key])
            for s in result.sessions
            if d.key in s.domain_means
        )
        series.append(DomainSeries(d.key, d.title, points, minimums.get(d.key),
                                   trend.value if trend else None))  # fmt: skip
    scale = report.rubric.scale
    return domain_scores_chart(bars, scale), domain_trends_chart(series, scale)


def _trainee_context(report: TraineeReport) -> dict[str, Any]:
    result = report.result
    minimums = {d.key: d.min_mean for d in report.domains}
    domains = []
    for d in result.domains:
        score, ci, reason = _estimate(d.score)
        trend, trend_ci, _ = _estimate(d.trend)
        threshold = minimums.get(d.key)
        below = (
            isinstance(d.score, Estimate)
            and threshold is not None
            and d.score.value < threshold - 1e-9
        )
        trend_value = d.trend.value if isinstance(d.trend, Estimate) else None
        domains.append(
            {"key": d.key, "title": d.title, "score": score, "ci": ci or reason,
             "minimum": num(threshold), "trend": signed(trend_value) if trend != DASH else DASH,
             "trend_ci": trend_ci, "sessions": d.n_sessions, "below": below}
        )  # fmt: skip
    sessions = []
    for s in result.sessions:
        raters = str(s.n_raters)
        if s.n_certified_raters:
            raters += f" ({s.n_certified_raters} certified)"
        notes = list(s.failures) + [
            f"harm flag on {h.item_key} ({h.by})" for h in s.harm if not h.confirmed
        ]
        sessions.append(
            {"date": short_day(s.session_date),
             "phase": s.phase.value.capitalize(), "raters": raters, "mean": num(s.mean),
             "competent": s.competent, "notes": notes}
        )  # fmt: skip
    required = report.policy.program_rule.min_reliability
    reliability, reliability_ci, reliability_reason = _estimate(result.reliability)
    scores_chart, trends_chart = trainee_charts(report)
    return {
        "report": report,
        "title": f"Readiness report: {report.trainee_name}",
        "decision": result.decision.value,
        "decision_text": DECISION_TEXT[result.decision.value],
        "missing": result.missing,
        "unmet": result.unmet,
        "notes": result.notes,
        "signed_off": _signed_off(report.latest_decision),
        "committee_comment": (
            report.latest_decision.committee_comment if report.latest_decision else ""
        ),
        "domains": domains,
        "scores_chart": _svg(scores_chart),
        "trends_chart": _svg(trends_chart),
        "strengths": result.strengths,
        "growth_areas": result.growth_areas,
        "sessions": sessions,
        "session_min": num(report.policy.session_rule.min_mean),
        "reliability": {
            "name": required.coefficient.value,
            "value": reliability,
            "ci": reliability_ci,
            "reason": reliability_reason,
            "required": num(required.value),
        },
        "evidence": (
            "your released sessions"
            if report.released_only
            else "every complete session (all assigned ratings in)"
        ),
        "generated": day(report.generated_at),
        "fmt": num,
    }


def trainee_report_pdf(report: TraineeReport) -> bytes:
    return _render("trainee.html", **_trainee_context(report))


# --- program --------------------------------------------------------------------------------


def program_charts(report: ProgramReport) -> tuple[Chart, Chart | None]:
    items = [(i.key, i.title) for i in report.items if i.report is not None]
    values = [
        [
            (c.estimate.value if (c := i.report.coefficients.get(name)) is not None else None)
            for name, _ in IRR_COLUMNS
        ]
        for i in report.items
        if i.report is not None
    ]
    heatmap = irr_heatmap(items, IRR_COLUMNS, values)
    table = report.generalizability.table
    if table is None:
        return heatmap, None
    curves = [
        DStudyCurve(n, table.sessions, tuple(table.cell(n, s).phi for s in table.sessions))
        for n in table.raters
    ]
    return heatmap, d_study_chart(curves, report.generalizability.target)


def _matrix(report: ProgramReport, domains: Sequence[DomainInfo]) -> list[dict[str, Any]]:
    """The readiness matrix, one block per cohort (trainees without one last)."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    for t in report.trainees:
        cells = []
        by_key = {d.key: d for d in t.result.domains}
        for info in domains:
            found = by_key.get(info.key)
            score = found.score if found is not None else None
            if isinstance(score, Estimate):
                below = info.min_mean is not None and score.value < info.min_mean - 1e-9
                cells.append({"text": num(score.value), "below": below})
            else:
                cells.append({"text": DASH, "below": False})
        blocks.setdefault(t.cohort or "No cohort", []).append(
            {"name": t.name, "email": t.email, "decision": t.result.decision.value,
             "cells": cells, "sessions": len(t.result.sessions),
             "reliability": _estimate(t.result.reliability)[0],
             "signed_off": t.latest_decision.decision if t.latest_decision else ""}
        )  # fmt: skip
    return [{"cohort": name, "rows": rows} for name, rows in blocks.items()]


def _decision_counts(results: Sequence[ReadinessResult]) -> list[tuple[str, int]]:
    counts = Counter(r.decision.value for r in results)
    return [(d.value, counts.get(d.value, 0)) for d in Decision]


def _quality_rows(report: ProgramReport) -> list[dict[str, str]]:
    q = report.quality
    raters = sorted(set(q.severity) | set(q.calibration) | set(q.drift))
    rows = []
    for rater in raters:
        s = q.severity.get(rater)
        c = q.calibration.get(rater)
        d = q.drift.get(rater)
        rows.append({
            "rater": rater,
            "severity": signed(s.mean_difference) if s else DASH,
            "severity_ci": interval(s.ci95) if s and s.ci95 else "",
            "flag": (s.flag or "") if s else "",
            "sessions": str(s.n_sessions) if s else DASH,
            "icc": _estimate(c.icc)[0] if c else DASH,
            "within1": _estimate(c.within1)[0] if c else DASH,
            "certified": ("yes" if c.certified else "no") if c else "not calibrated",
            "drift": ("flagged" if d.flagged else "stable") if d else DASH,
        })  # fmt: skip
    return rows


def _g_study(report: ProgramReport) -> dict[str, Any]:
    g = report.generalizability
    study = g.g_study
    out: dict[str, Any] = {"subset": g.subset_description, "how_chosen": g.how_chosen,
                           "target": num(g.target)}  # fmt: skip
    if isinstance(study, NotApplicable):
        return {**out, "reason": study.reason}
    total = sum(study.components.values())
    out["components"] = [
        {"effect": effect, "variance": num(value, 3),
         "share": f"{value / total:.0%}" if total > 0 else DASH}
        for effect, value in study.components.items()
    ]  # fmt: skip
    out["n"] = (
        f"{study.n_trainees} trainees x {study.n_sessions} sessions x {study.n_raters} raters"
    )
    smallest = g.smallest
    if isinstance(smallest, NotApplicable) or smallest is None:
        out["smallest"] = smallest.reason if smallest is not None else ""
    else:
        out["smallest"] = (
            f"{smallest.n_raters} rater{'s' if smallest.n_raters != 1 else ''} x "
            f"{smallest.n_sessions} sessions per trainee (Phi {num(smallest.phi)})"
        )
    return out


def program_report_pdf(report: ProgramReport) -> bytes:
    heatmap, d_study = program_charts(report)
    overall = report.overall
    overall_rows = []
    if overall is not None:
        for name, c in overall.coefficients.items():
            e = c.estimate
            overall_rows.append((name, num(e.value), interval(e.ci95), c.interpretation.label))
    return _render(
        "program.html",
        report=report,
        title=f"Program report: {report.program_name}",
        domains=report.domains,
        counts=_decision_counts([t.result for t in report.trainees]),
        matrix=_matrix(report, report.domains),
        heatmap=_svg(heatmap),
        unscored=[i.key for i in report.items if i.report is None],
        overall=overall_rows,
        quality=_quality_rows(report),
        straight_lined=len(report.quality.straight_lined),
        g=_g_study(report),
        d_study=_svg(d_study) if d_study is not None else None,
        generated=day(report.generated_at),
    )


# --- certificate ----------------------------------------------------------------------------


def certificate_pdf(report: CertificateReport) -> bytes:
    p = report.payload
    evidence = p["evidence"]
    return _render(
        "certificate.html",
        report=report,
        title=f"Certificate: {p['trainee']['name']}",
        trainee=p["trainee"]["name"],
        program=p["program"]["name"],
        rubric=p["rubric"],
        decision=p["decision"],
        decided=day(p["decision"]["decided_at"]),
        evidence=evidence,
        phases=", ".join(f.value.capitalize() for f in Phase if f.value in evidence["phases"]),
        reliability=p["reliability"],
        issued_by=p["issued_by"],
        issued=day(p["issued_at"]),
        revoked=day(report.revoked_at) if report.revoked_at is not None else None,
    )
