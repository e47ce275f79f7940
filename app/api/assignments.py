"""Assigning raters to sessions, and a rater's own queue."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramStaff
from app.api.schemas.assignments import (
    AssignmentCreate,
    AssignmentRead,
    AutoAssignCreate,
    QueueEntryRead,
    SessionAssignmentRead,
)
from app.db.base import utcnow
from app.services import assignments as assignment_service

router = APIRouter(prefix="/programs/{program}", tags=["assignments"])


@router.post("/sessions/{session_id}/assignments", status_code=201, responses=WRITE)
def assign(
    session_id: Id, body: AssignmentCreate, ctx: ProgramAdmin, session: SessionDep
) -> AssignmentRead:
    assignment = assignment_service.assign_rater(
        session, ctx.program, ctx.user, session_id, body.rater_email,
        due_date=body.due_date, calibration=body.calibration,
    )  # fmt: skip
    return AssignmentRead.model_validate(assignment)


@router.post("/assignments/auto", status_code=201, responses=WRITE)
def auto_assign(
    body: AutoAssignCreate, ctx: ProgramAdmin, session: SessionDep
) -> list[AssignmentRead]:
    """Top a batch of sessions up to N raters each, evenly, respecting declared conflicts.

    All or nothing: if one session cannot be filled, nothing is assigned.
    """
    created = assignment_service.auto_assign(
        session, ctx.program, ctx.user, body.session_ids,
        raters_per_session=body.raters_per_session, rater_emails=body.rater_emails,
        due_date=body.due_date, calibration=body.calibration, seed=body.seed,
    )  # fmt: skip
    return [AssignmentRead.model_validate(a) for a in created]


@router.get("/sessions/{session_id}/assignments", responses=HIDDEN)
def session_assignments(
    session_id: Id, ctx: ProgramAdmin, session: SessionDep
) -> list[SessionAssignmentRead]:
    """Who rates a session and how far they are; hidden from an admin who rates it too."""
    return [
        SessionAssignmentRead(
            id=a.id, session_id=a.session_id, rater_id=a.rater_id, due_date=a.due_date,
            status=a.status, calibration=a.calibration, rater_email=a.rater.email,
            rater_name=a.rater.full_name, is_master=a.is_master,
        )
        for a in assignment_service.assignments_of(session, ctx.program, ctx.user, session_id)
    ]  # fmt: skip


@router.post("/assignments/{assignment_id}/withdraw", responses=WRITE)
def withdraw(assignment_id: Id, ctx: ProgramAdmin, session: SessionDep) -> AssignmentRead:
    """Take back an assignment that has not been submitted."""
    assignment = assignment_service.withdraw(session, ctx.program, ctx.user, assignment_id)
    return AssignmentRead.model_validate(assignment)


@router.get("/queue", responses=HIDDEN)
def my_queue(ctx: ProgramStaff, session: SessionDep) -> list[QueueEntryRead]:
    """The caller's open assignments, soonest due first; overdue ones are marked."""
    today = utcnow().date()
    return [
        QueueEntryRead(
            assignment_id=a.id,
            session_id=a.session_id,
            phase=a.session.phase,
            session_date=a.session.session_date,
            due_date=a.due_date,
            status=a.status,
            overdue=a.due_date is not None and a.due_date < today,
        )
        for a in assignment_service.queue_of(session, ctx.program, ctx.user)
    ]
