"""How trustworthy a program's ratings are: rater quality and generalizability, for admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from app.api.common import HIDDEN
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.exports.report_json import generalizability_json, rater_quality_json
from app.services.program_quality import generalizability, rater_quality

router = APIRouter(prefix="/programs/{program}", tags=["quality"])


@router.get("/rater-quality", responses=HIDDEN)
def program_rater_quality(ctx: ProgramAdmin, session: SessionDep) -> dict[str, Any]:
    """Each rater's severity (with CI and flag), agreement with calibration keys and
    certification, drift over time, and straight-lined ratings; complete sessions only."""
    return rater_quality_json(rater_quality(session, ctx.program))


@router.get("/generalizability", responses=HIDDEN)
def program_generalizability(
    ctx: ProgramAdmin,
    session: SessionDep,
    target: float = Query(default=0.80, gt=0, lt=1, description="The Φ a design must reach"),
) -> dict[str, Any]:
    """The (s:p) x r G-study on the largest balanced block of complete sessions, the D-study
    for 1-5 raters x 1-12 sessions, and the smallest design reaching ``target``."""
    return generalizability_json(generalizability(session, ctx.program, target))
