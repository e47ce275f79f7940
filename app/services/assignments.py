"""Asking raters to score sessions, and each rater's queue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Assignment, Program, RecordedSession, User
from app.domain.vocabulary import AssignmentStatus, Role
from app.services.access import active_membership
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError
from app.services.sessions import get_visible_session

RATER_ROLES = (Role.trainer, Role.admin)


def _rater(session: Session, program: Program, email: str) -> User:
    membership = active_membership(session, program, email, RATER_ROLES)
    if membership is None:
        raise InvalidInputError(f"rater_email: no active trainer {email!r} in {program.slug}")
    return membership.user


def assign_rater(
    session: Session,
    program: Program,
    actor: User,
    session_id: int,
    rater_email: str,
    *,
    due_date: date | None = None,
    calibration: bool = False,
) -> Assignment:
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    rater = _rater(session, program, rater_email)
    if rater.id == recorded.trainee_id:
        raise InvalidInputError("rater_email: trainees never rate their own sessions")
    if due_date is not None and due_date < recorded.session_date:
        raise InvalidInputError("due_date: must not be before the session date")
    taken = session.scalar(
        select(Assignment.id).where(
            Assignment.session_id == recorded.id, Assignment.rater_id == rater.id
        )
    )
    if taken is not None:
        raise ConflictError(f"rater_email: {rater.email} is already assigned to this session")
    assignment = Assignment(
        session=recorded, rater=rater, due_date=due_date, calibration=calibration,
        assigned_by_id=actor.id,
    )  # fmt: skip
    session.add(assignment)
    session.flush()
    record_event(
        session, action="assignment.create", entity_type="assignment", entity_id=assignment.id,
        actor_id=actor.id, program_id=program.id,
        payload={"session_id": recorded.id, "rater_id": rater.id, "calibration": calibration,
                 "due_date": due_date.isoformat() if due_date else None},
    )  # fmt: skip
    return assignment


def queue_of(session: Session, program: Program, rater: User) -> list[Assignment]:
    """Open assignments of the rater in this program, soonest due first (undated last)."""
    return list(
        session.scalars(
            select(Assignment)
            .join(RecordedSession, RecordedSession.id == Assignment.session_id)
            .where(
                RecordedSession.program_id == program.id,
                Assignment.rater_id == rater.id,
                Assignment.is_master.is_(False),
                Assignment.status.in_([AssignmentStatus.assigned, AssignmentStatus.in_progress]),
            )
            .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
        )
    )
