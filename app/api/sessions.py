"""Recorded sessions of a program."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramMember
from app.api.schemas.sessions import RecordedSessionCreate, RecordedSessionRead, RepinRequest
from app.db.models import RecordedSession
from app.services import sessions as session_service

router = APIRouter(prefix="/programs/{program}/sessions", tags=["sessions"])


def _read(s: RecordedSession) -> RecordedSessionRead:
    return RecordedSessionRead(
        id=s.id, trainee_id=s.trainee_id, cohort_id=s.cohort_id, phase=s.phase,
        modalities=s.modalities, focus_tags=s.focus_tags, co_therapist=s.co_therapist,
        session_date=s.session_date, duration_seconds=s.duration_seconds,
        recording_url=s.recording_url, notes=s.notes, rubric=s.rubric_version.rubric.key,
        rubric_version=s.rubric_version.version, released_at=s.released_at,
    )  # fmt: skip


@router.post("", status_code=201, responses=WRITE)
def register_session(
    body: RecordedSessionCreate, ctx: ProgramAdmin, session: SessionDep
) -> RecordedSessionRead:
    data = session_service.SessionCreate(
        trainee_email=body.trainee_email, phase=body.phase, session_date=body.session_date,
        duration_seconds=body.duration_seconds, recording=body.recording,
        modalities=tuple(body.modalities), focus_tags=tuple(body.focus_tags),
        co_therapist=body.co_therapist, notes=body.notes, rubric=body.rubric,
    )  # fmt: skip
    return _read(session_service.register_session(session, ctx.program, ctx.user, data))


@router.get("", responses=HIDDEN)
def list_sessions(ctx: ProgramMember, session: SessionDep) -> list[RecordedSessionRead]:
    """Staff see every session of the program; a trainee sees only their own."""
    found = session_service.sessions_visible_to(session, ctx.program, ctx.user, ctx.roles)
    return [_read(s) for s in found]


@router.get("/{session_id}", responses=HIDDEN)
def read_session(session_id: Id, ctx: ProgramMember, session: SessionDep) -> RecordedSessionRead:
    return _read(
        session_service.get_visible_session(session, ctx.program, ctx.user, ctx.roles, session_id)
    )


@router.post("/{session_id}/repin", responses=WRITE)
def repin_session(
    session_id: Id, body: RepinRequest, ctx: ProgramAdmin, session: SessionDep
) -> RecordedSessionRead:
    """Pin the session to another published version of its rubric, while it has no ratings."""
    return _read(
        session_service.repin_session(session, ctx.program, ctx.user, session_id, body.version)
    )
