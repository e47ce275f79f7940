"""Assigning raters to sessions, and a rater's own queue."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramStaff
from app.api.schemas.assignments import AssignmentCreate, AssignmentRead, QueueEntryRead
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
