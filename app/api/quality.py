"""How trustworthy a program's ratings are: rater quality and generalizability, for admins."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query

from app.api.common import HIDDEN
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.services.program_quality import generalizability, rater_quality

router = APIRouter(prefix="/programs/{program}", tags=["quality"])


def _result(r: Result) -> dict[str, Any]:
    if isinstance(r, NotApplicable):
        return {"name": r.name, "value": None, "reason": r.reason}
    assert isinstance(r, Estimate)
    return {"name": r.name, "value": r.value, "ci95": r.ci95, "ci_method": r.ci_method}


@router.get("/rater-quality", responses=HIDDEN)
def program_rater_quality(ctx: ProgramAdmin, session: SessionDep) -> dict[str, Any]:
    """Each rater's severity (with CI and flag), agreement with calibration keys and
    certification, drift over time, and straight-lined ratings; complete sessions only."""
    q = rater_quality(session, ctx.program)
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
             "icc": _result(c.icc), "ac2": _result(c.ac2), "exact": _result(c.exact),
             "within1": _result(c.within1), "certified": c.certified, "reasons": list(c.reasons)}
            for c in q.calibration.values()
        ],
        "drift": [
            {"rater": d.rater, "baseline": d.baseline, "flagged": d.flagged,
             "windows": [asdict(w) for w in d.windows]}
            for d in q.drift.values()
        ],
        "straight_lined_rating_ids": q.straight_lined,
    }  # fmt: skip


@router.get("/generalizability", responses=HIDDEN)
def program_generalizability(
    ctx: ProgramAdmin,
    session: SessionDep,
    target: float = Query(default=0.80, gt=0, lt=1, description="The Φ a design must reach"),
) -> dict[str, Any]:
    """The (s:p) x r G-study on the largest balanced block of complete sessions, the D-study
    for 1-5 raters x 1-12 sessions, and the smallest design reaching ``target``."""
    g = generalizability(session, ctx.program, target)
    study = g.g_study
    body: dict[str, Any] = {
        "design": "(s:p) x r",
        "subset": g.subset_description,
        "how_chosen": g.how_chosen,
        "target_phi": target,
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
