"""Readiness of trainees, live and as decisions signed off by the program's admins."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramMember, ProgramStaff
from app.api.schemas.readiness import DecisionCreate, DecisionRead, ReadinessRead, ReadinessSummary
from app.db.models import ReadinessDecision
from app.domain.vocabulary import Role
from app.services import readiness as readiness_service

router = APIRouter(prefix="/programs/{program}", tags=["readiness"])


def _decision(d: ReadinessDecision, staff: bool) -> DecisionRead:
    result = d.snapshot["result"]
    reasons = result["missing"] if d.decision == "INSUFFICIENT_EVIDENCE" else result["unmet"]
    return DecisionRead(
        id=d.id, trainee_id=d.trainee_id, decision=d.decision, reasons=reasons,
        fingerprint=d.fingerprint, signed_off_by=d.signed_off_by.full_name,
        committee_comment=d.committee_comment, entrustment_level=d.entrustment_level,
        decided_at=d.decided_at, snapshot=d.snapshot if staff else None,
    )  # fmt: skip


@router.get("/readiness", responses=HIDDEN)
def program_readiness(ctx: ProgramStaff, session: SessionDep) -> list[ReadinessSummary]:
    """Every active trainee's current decision, computed in one pass."""
    return [
        ReadinessSummary(
            trainee_id=r.trainee.id, email=r.trainee.email, full_name=r.trainee.full_name,
            decision=r.result.decision.value, reasons=list(r.result.reasons),
            n_uncertified_ratings=r.result.n_uncertified_ratings,
        )
        for r in readiness_service.readiness_of(session, ctx.program)
    ]  # fmt: skip


@router.get("/trainees/{trainee_id}/readiness", responses=HIDDEN)
def trainee_readiness(trainee_id: Id, ctx: ProgramMember, session: SessionDep) -> ReadinessRead:
    """A trainee's readiness; trainees see their own, from released sessions only."""
    found = readiness_service.trainee_readiness(
        session, ctx.program, ctx.user, ctx.roles, trainee_id
    )
    return ReadinessRead(
        trainee_id=found.trainee.id, full_name=found.trainee.full_name,
        rubric=found.version.rubric.key, rubric_version=found.version.version,
        assessment=found.result.to_json(),
    )  # fmt: skip


@router.post("/trainees/{trainee_id}/readiness/decisions", status_code=201, responses=WRITE)
def sign_off(
    trainee_id: Id, body: DecisionCreate, ctx: ProgramAdmin, session: SessionDep
) -> DecisionRead:
    """Store the current decision as a snapshot, signed off by the calling admin."""
    decision = readiness_service.sign_off(
        session, ctx.program, ctx.user, trainee_id,
        committee_comment=body.committee_comment, entrustment_level=body.entrustment_level,
    )  # fmt: skip
    return _decision(decision, staff=True)


@router.get("/trainees/{trainee_id}/readiness/decisions", responses=HIDDEN)
def decisions(trainee_id: Id, ctx: ProgramMember, session: SessionDep) -> list[DecisionRead]:
    """Signed-off decisions, newest first; a trainee sees their own without the snapshot."""
    staff = bool(ctx.roles & {Role.admin, Role.trainer})
    return [
        _decision(d, staff)
        for d in readiness_service.decisions_of(
            session, ctx.program, ctx.user, ctx.roles, trainee_id
        )
    ]
