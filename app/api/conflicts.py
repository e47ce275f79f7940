"""Declared conflicts of interest between raters and trainees, kept by a program's admins."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.api.schemas.assignments import ConflictCreate, ConflictRead
from app.db.models import RaterConflict
from app.services import conflicts as conflict_service

router = APIRouter(prefix="/programs/{program}/conflicts", tags=["assignments"])


def _read(c: RaterConflict) -> ConflictRead:
    return ConflictRead(
        id=c.id, rater_email=c.rater.email, trainee_email=c.trainee.email, reason=c.reason,
        created_at=c.created_at,
    )  # fmt: skip


@router.get("", responses=HIDDEN)
def list_conflicts(ctx: ProgramAdmin, session: SessionDep) -> list[ConflictRead]:
    return [_read(c) for c in conflict_service.conflicts_of(session, ctx.program)]


@router.post("", status_code=201, responses=WRITE)
def declare_conflict(body: ConflictCreate, ctx: ProgramAdmin, session: SessionDep) -> ConflictRead:
    """Keep a rater away from a trainee's sessions, in manual and automatic assignment."""
    conflict = conflict_service.declare_conflict(
        session, ctx.program, ctx.user, rater_email=body.rater_email,
        trainee_email=body.trainee_email, reason=body.reason,
    )  # fmt: skip
    return _read(conflict)


@router.delete("/{conflict_id}", status_code=204, responses=WRITE)
def remove_conflict(conflict_id: Id, ctx: ProgramAdmin, session: SessionDep) -> Response:
    conflict_service.remove_conflict(session, ctx.program, ctx.user, conflict_id)
    return Response(status_code=204)
