"""Reports as JSON-ready data: what the API returns and ``--format json`` writes.

Floats are kept exact (JSON round-trips them); a figure that cannot be estimated is
``null`` with its reason beside it, never NaN. The certificate report's JSON is the signed
certificate file itself (app/services/certificates.signed_document), not built here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.domain.readiness import ReadinessResult
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.services.program_quality import Generalizability, RaterQuality
from app.services.reports import (
    ProgramReport,
    RubricInfo,
    SignedDecision,
    TraineeReport,
)

TRAINEE_FORMAT = "guidinghand.trainee-report/1"
PROGRAM_FORMAT = "guidinghand.program-report/1"


def result_json(r: Result) -> dict[str, Any]:
    if isinstance(r, NotApplicable):
        return {"name": r.name, "value": None, "reason": r.reason}
    assert isinstance(r, Estimate)
    return {"name": r.name, "value": r.value, "ci95": r.ci95, "ci_method": r.ci_method}


def rater_quality_json(q: RaterQuality) -> dict[str, Any]:
    return {
        "rubric_version": q.version.version if q.version else None,
        "severity": [
            {"rater": s.rater, "mean_difference": s.mean_difference, "ci95": s.ci95,
             "flag": s.flag, "n_units": s.n_units, "n_sessions": s.n_sessions,
             "ci_method": s.ci_method}
            for s in q.severity.values()
        ],
        "calibration": [
            {"rater": c.rater, "n_sessions": c.n_sessions, "n_units": c.n_units,
             "icc": result_json(c.icc), "ac2": result_json(c.ac2),
             "exact": result_json(c.exact), "within1": result_json(c.within1),
             "certified": c.certified, "reasons": list(c.reasons)}
            for c in q.calibration.values()
        ],
        "drift": [
            {"rater": d.rater, "baseline": d.baseline, "flagged": d.flagged,
             "windows": [{**asdict(w), "start": w.start.isoformat(), "end": w.end.isoformat()}
                         for w in d.windows]}
            for d in q.drift.values()
        ],
        "straight_lined_rating_ids": q.straight_lined,
    }  # fmt: skip


def generalizability_json(g: Generalizability) -> dict[str, Any]:
    study = g.g_study
    body: dict[str, Any] = {
        "design": "(s:p) x r",
        "subset": g.subset_description,
        "how_chosen": g.how_chosen,
        "target_phi": g.target,
    }
    if isinstance(study, NotApplicable):
        return {**body, "g_study": None, "reason": study.reason}
    assert g.table is not None
    assert g.smallest is not None
    smallest = g.smallest
    return {
        **body,
        "g_study": {
            "n_trainees": study.n_trainees, "n_sessions": study.n_sessions,
            "n_raters": study.n_raters, "components": dict(study.components),
            "raw_components": dict(study.raw_components),
            "proportions": study.proportions if sum(study.components.values()) > 0 else None,
            "clamped": list(study.clamped), "notes": list(study.notes),
        },
        "d_study": [asdict(cell) for row in g.table.cells for cell in row],
        "smallest_design": (
            {"reason": smallest.reason} if isinstance(smallest, NotApplicable)
            else asdict(smallest)
        ),
    }  # fmt: skip


def _rubric(r: RubricInfo) -> dict[str, Any]:
    return {"id": r.id, "version": r.version, "title": r.title, "sha256": r.sha256,
            "scale": list(r.scale)}  # fmt: skip


def _decision(d: SignedDecision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"decision": d.decision, "decided_at": d.decided_at.isoformat(),
            "signed_off_by": d.signed_off_by, "entrustment_level": d.entrustment_level,
            "committee_comment": d.committee_comment, "fingerprint": d.fingerprint}  # fmt: skip


def trainee_report_json(report: TraineeReport) -> dict[str, Any]:
    return {
        "format": TRAINEE_FORMAT,
        "generated_at": report.generated_at.isoformat(),
        "program": {"slug": report.program_slug, "name": report.program_name},
        "trainee": {"id": report.trainee_id, "name": report.trainee_name,
                    "email": report.trainee_email},
        "rubric": _rubric(report.rubric),
        "evidence": "released sessions" if report.released_only else "complete sessions",
        "latest_decision": _decision(report.latest_decision),
        "assessment": report.result.to_json(),
    }  # fmt: skip


def _domain_scores(result: ReadinessResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in result.domains:
        score = d.score
        if isinstance(score, Estimate):
            out[d.key] = {"score": score.value, "ci95": score.ci95, "n_sessions": d.n_sessions}
        else:
            out[d.key] = {"score": None, "reason": score.reason, "n_sessions": d.n_sessions}
    return out


def program_report_json(report: ProgramReport) -> dict[str, Any]:
    return {
        "format": PROGRAM_FORMAT,
        "generated_at": report.generated_at.isoformat(),
        "program": {"slug": report.program_slug, "name": report.program_name},
        "rubric": _rubric(report.rubric) if report.rubric is not None else None,
        "domains": [{"key": d.key, "title": d.title, "min_mean": d.min_mean}
                    for d in report.domains],
        "trainees": [
            {"trainee_id": t.trainee_id, "name": t.name, "email": t.email, "cohort": t.cohort,
             "decision": t.result.decision.value, "reasons": list(t.result.reasons),
             "n_sessions": len(t.result.sessions), "domains": _domain_scores(t.result),
             "reliability": (result_json(t.result.reliability)
                             if t.result.reliability is not None else None),
             "latest_decision": _decision(t.latest_decision)}
            for t in report.trainees
        ],
        "reliability": {
            "sessions": "complete sessions of the current rubric version",
            "items": [{"key": i.key, "title": i.title, "domain": i.domain_key,
                       "panel": i.report.as_dict() if i.report is not None else None}
                      for i in report.items],
            "overall": report.overall.as_dict() if report.overall is not None else None,
        },
        "rater_quality": rater_quality_json(report.quality),
        "generalizability": generalizability_json(report.generalizability),
    }  # fmt: skip
