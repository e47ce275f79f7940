"""Reports as CSV: one figure a row, under the same nine columns for every report.

``section`` groups the rows (``report``, ``decision``, ``domain``, ``session``, ``irr``...),
``subject`` names what the figure is about (a domain key, a session id, an item key, a
rater), ``measure`` what it is, ``value`` the figure, ``ci95_low``/``ci95_high`` its 95%
interval, ``threshold`` the minimum the policy sets, ``n`` how many sessions (or units) it
rests on, and ``detail`` the words: a reason, a title, a note. One long table filters and
pivots in any spreadsheet, and a file never needs a second header halfway down.

Numbers are written with four decimals (the JSON form keeps them exact); empty cells mean
"does not apply". Every text cell goes through :func:`formula_safe`, because names, reasons
and comments come from people and a spreadsheet would run ``=...`` as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.exports.cells import formula_safe
from app.exports.report_json import generalizability_json
from app.services.reports import CertificateReport, ProgramReport, TraineeReport

COLUMNS = ("section", "subject", "measure", "value", "ci95_low", "ci95_high", "threshold", "n",
           "detail")  # fmt: skip
Row = tuple[str, str, str, Any, Any, Any, Any, Any, str]

# The coefficients shown per item: each copes with sessions rated by different raters.
IRR_COLUMNS = (
    ("krippendorff_alpha_ordinal", "α ordinal"),
    ("gwet_ac2_quadratic", "AC2 quadratic"),
    ("fleiss_kappa", "Fleiss κ"),
    ("percent_agreement", "exact"),
    ("percent_agreement_within1", "within 1"),
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return str(value)
    return formula_safe(str(value))


def _write(rows: Iterable[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _row(
    section: str,
    subject: str,
    measure: str,
    value: Any = None,
    *,
    ci: tuple[float, float] | None = None,
    threshold: Any = None,
    n: Any = None,
    detail: str = "",
) -> Row:
    low, high = ci if ci is not None else (None, None)
    return (section, subject, measure, value, low, high, threshold, n, detail)


def _result(section: str, subject: str, r: Result, *, threshold: Any = None, n: Any = None) -> Row:
    if isinstance(r, NotApplicable):
        return _row(section, subject, r.name, threshold=threshold, n=n, detail=r.reason)
    assert isinstance(r, Estimate)
    return _row(section, subject, r.name, r.value, ci=r.ci95, threshold=threshold, n=n,
                detail=r.ci_method)  # fmt: skip


# --- trainee ----------------------------------------------------------------------------


def _trainee_rows(report: TraineeReport) -> Iterator[Row]:
    result = report.result
    rubric = report.rubric
    yield _row("report", "program", "name", report.program_name, detail=report.program_slug)
    yield _row("report", "trainee", "name", report.trainee_name, detail=report.trainee_email)
    yield _row("report", "rubric", "version", f"{rubric.id} {rubric.version}",
               detail=f"sha256 {rubric.sha256}")  # fmt: skip
    evidence = "released sessions" if report.released_only else "complete sessions"
    yield _row("report", "evidence", "sessions", len(result.sessions), detail=evidence)
    yield _row("report", "generated", "at", report.generated_at.isoformat())
    yield _row("decision", "live", "decision", result.decision.value)
    for kind, texts in (("missing", result.missing), ("unmet", result.unmet),
                        ("note", result.notes)):  # fmt: skip
        for text in texts:
            yield _row("reason", kind, kind, detail=text)
    signed = report.latest_decision
    if signed is not None:
        comment = f"; {signed.committee_comment}" if signed.committee_comment else ""
        yield _row("decision", "signed_off", "decision", signed.decision,
                   detail=f"{signed.decided_at.date().isoformat()} by {signed.signed_off_by}"
                          f"{comment}")  # fmt: skip
        yield _row("decision", "signed_off", "entrustment_level", signed.entrustment_level)
    minimums = {d.key: d.min_mean for d in report.domains}
    for d in result.domains:
        yield _result("domain", d.key, d.score, threshold=minimums.get(d.key), n=d.n_sessions)
        yield _result("trend", d.key, d.trend, n=d.n_sessions)
    required = report.policy.program_rule.min_reliability
    if result.reliability is not None:
        yield _result("reliability", "evidence", result.reliability, threshold=required.value)
    for section, items in (("strength", result.strengths), ("growth_area", result.growth_areas)):
        for f in items:
            yield _row(section, f.key, "mean", f.mean, n=f.n_sessions,
                       detail=f"{f.title}: {f.anchor_score} {f.anchor}")  # fmt: skip
    session_min = report.policy.session_rule.min_mean
    for s in result.sessions:
        state = "competent" if s.competent else "; ".join(s.failures) or "not competent"
        raters = f"{s.n_raters} raters"
        if s.n_certified_raters:
            raters += f", {s.n_certified_raters} certified"
        when = f"{s.session_date.isoformat()} {s.phase.value}"
        yield _row("session", str(s.session_id), "mean", s.mean, threshold=session_min,
                   n=s.n_raters, detail=f"{when}; {raters}; {state}")  # fmt: skip
        for key, mean in s.domain_means.items():
            yield _row("session_domain", f"{s.session_id}/{key}", "mean", mean,
                       threshold=minimums.get(key))  # fmt: skip


def trainee_report_csv(report: TraineeReport) -> str:
    return _write(_trainee_rows(report))


# --- program ----------------------------------------------------------------------------


def _matrix_rows(report: ProgramReport) -> Iterator[Row]:
    minimums = {d.key: d.min_mean for d in report.domains}
    for t in report.trainees:
        yield _row("trainee", t.email, "decision", t.result.decision.value,
                   n=len(t.result.sessions),
                   detail=f"{t.name}; cohort {t.cohort or '-'}; "
                          + " | ".join(t.result.reasons))  # fmt: skip
        for d in t.result.domains:
            yield _result("trainee_domain", f"{t.email}/{d.key}", d.score,
                          threshold=minimums.get(d.key), n=d.n_sessions)  # fmt: skip
        signed = t.latest_decision
        if signed is not None:
            level = signed.entrustment_level
            entrustment = f"; entrustment level {level}" if level else ""
            yield _row("trainee", t.email, "signed_off", signed.decision,
                       detail=f"{signed.decided_at.date().isoformat()} by "
                              f"{signed.signed_off_by}{entrustment}")  # fmt: skip


def _irr_rows(report: ProgramReport) -> Iterator[Row]:
    for item in report.items:
        if item.report is None:
            yield _row("irr", item.key, "ratings", detail="no item scored by two raters")
            continue
        for name, _ in IRR_COLUMNS:
            found = item.report.coefficients.get(name)
            if found is not None:
                e = found.estimate
                yield _row("irr", item.key, name, e.value, ci=e.ci95, n=item.report.n_subjects,
                           detail=found.interpretation.label)  # fmt: skip


def _rater_rows(report: ProgramReport) -> Iterator[Row]:
    q = report.quality
    for severity in q.severity.values():
        yield _row("rater", str(severity.rater), "severity", severity.mean_difference,
                   ci=severity.ci95, n=severity.n_sessions, detail=severity.flag or "")  # fmt: skip
    for c in q.calibration.values():
        yield _result("rater", str(c.rater), c.icc, n=c.n_sessions)
        yield _result("rater", str(c.rater), c.within1, n=c.n_sessions)
        yield _row("rater", str(c.rater), "certified", c.certified, n=c.n_sessions,
                   detail="; ".join(c.reasons))  # fmt: skip
    for drift in q.drift.values():
        baseline = f"baseline {drift.baseline:.2f}" if drift.baseline is not None else ""
        yield _row("rater", str(drift.rater), "drift", drift.flagged, n=len(drift.windows),
                   detail=baseline)  # fmt: skip
    yield _row("rater", "all", "straight_lined_ratings", len(q.straight_lined))


def _g_rows(report: ProgramReport) -> Iterator[Row]:
    g = generalizability_json(report.generalizability)
    if g["g_study"] is None:
        yield _row("g_study", "design", g["design"], detail=g["reason"])
        return
    yield _row("g_study", "design", g["design"], n=g["g_study"]["n_trainees"],
               detail=g["subset"])  # fmt: skip
    proportions = g["g_study"]["proportions"] or {}
    for effect, variance in g["g_study"]["components"].items():
        share = proportions.get(effect)
        yield _row(
            "g_study",
            effect,
            "variance",
            variance,
            detail=f"{share:.1%} of a single rating's variance" if share else "",
        )
    for cell in g["d_study"]:
        subject = f"{cell['n_raters']} raters x {cell['n_sessions']} sessions"
        ratings = cell["n_raters"] * cell["n_sessions"]
        yield _row("d_study", subject, "phi", cell["phi"], threshold=g["target_phi"], n=ratings)
        yield _row("d_study", subject, "e_rho2", cell["e_rho2"], n=ratings)
    smallest = g["smallest_design"]
    if "reason" in smallest:
        yield _row("d_study", "smallest", "design", detail=smallest["reason"])
    else:
        yield _row("d_study", "smallest", "design",
                   f"{smallest['n_raters']} raters x {smallest['n_sessions']} sessions",
                   threshold=g["target_phi"],
                   n=smallest["n_raters"] * smallest["n_sessions"])  # fmt: skip


def _program_rows(report: ProgramReport) -> Iterator[Row]:
    yield _row("report", "program", "name", report.program_name, detail=report.program_slug)
    if report.rubric is not None:
        yield _row("report", "rubric", "version", f"{report.rubric.id} {report.rubric.version}",
                   detail=f"sha256 {report.rubric.sha256}")  # fmt: skip
    yield _row("report", "trainees", "count", len(report.trainees))
    yield _row("report", "generated", "at", report.generated_at.isoformat())
    yield from _matrix_rows(report)
    yield from _irr_rows(report)
    yield from _rater_rows(report)
    yield from _g_rows(report)


def program_report_csv(report: ProgramReport) -> str:
    return _write(_program_rows(report))


# --- certificate ------------------------------------------------------------------------


def _certificate_rows(report: CertificateReport) -> Iterator[Row]:
    p = report.payload
    decision = p["decision"]
    evidence = p["evidence"]
    status = "revoked" if report.revoked_at is not None else "valid"
    yield _row("certificate", "id", "id", report.certificate_id)
    yield _row("certificate", "status", "status", status, detail=report.revocation_reason)
    yield _row("certificate", "sha256", "sha256", report.sha256)
    yield _row("certificate", "verification_code", "code", report.verification_code)
    yield _row("certificate", "verify_url", "url", report.verify_url)
    yield _row("certificate", "issued", "at", p["issued_at"], detail=f"by {p['issued_by']}")
    yield _row("trainee", "trainee", "name", p["trainee"]["name"], detail=p["trainee"]["email"])
    yield _row("program", "program", "name", p["program"]["name"], detail=p["program"]["slug"])
    rubric = p["rubric"]
    yield _row("rubric", rubric["id"], "version", rubric["version"],
               detail=f"sha256 {rubric['sha256']}")  # fmt: skip
    yield _row("decision", "decision", "value", decision["value"],
               detail=f"{decision['decided_at']} by {decision['signed_off_by']}; "
                      f"fingerprint {decision['fingerprint']}")  # fmt: skip
    yield _row("decision", "decision", "entrustment_level", decision["entrustment_level"])
    yield _row("evidence", "sessions", "count", evidence["sessions"],
               detail="phases " + ", ".join(evidence["phases"]))  # fmt: skip
    yield _row("evidence", "ratings", "count", evidence["ratings"])
    for key, score in evidence["domains"].items():
        yield _row("evidence", key, "domain_score", score)
    reliability = p["reliability"]
    yield _row("reliability", "evidence", reliability["coefficient"] or "", reliability["value"])


def certificate_report_csv(report: CertificateReport) -> str:
    return _write(_certificate_rows(report))
