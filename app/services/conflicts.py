"""Declared conflicts of interest between a rater and a trainee.

A trainer who supervises a trainee clinically, or works beside them, cannot rate them blind
to that relationship; a declared conflict keeps them apart in every assignment, by hand or
automatic.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Program, RaterConflict, User
from app.domain.identifiers import describe, find_identifiers
from app.domain.vocabulary import Role
from app.services.access import active_membership
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError

RATER_ROLES = (Role.trainer, Role.admin)


def rater_by_email(session: Session, program: Program, email: str) -> User:
    """An active trainer or admin of the program: the people who may rate."""
    membership = active_membership(session, program, email, RATER_ROLES)
    if membership is None:
        raise InvalidInputError(f"rater_email: no active trainer {email!r} in {program.slug}")
    return membership.user


def _trainee_by_email(session: Session, program: Program, email: str) -> User:
    membership = active_membership(session, program, email, (Role.trainee,))
    if membership is None:
        raise InvalidInputError(f"trainee_email: no active trainee {email!r} in {program.slug}")
    return membership.user


def declare_conflict(
    session: Session,
    program: Program,
    actor: User,
    *,
    rater_email: str,
    trainee_email: str,
    reason: str,
) -> RaterConflict:
    if not reason.strip():
        raise InvalidInputError("reason: say why the rater must not rate this trainee")
    found = find_identifiers(reason)
    if found:
        raise InvalidInputError(describe(found, "reason"))
    rater = rater_by_email(session, program, rater_email)
    trainee = _trainee_by_email(session, program, trainee_email)
    if rater.id == trainee.id:
        raise InvalidInputError("rater_email: a trainee never rates their own sessions anyway")
    exists = session.scalar(
        select(RaterConflict.id).where(
            RaterConflict.program_id == program.id,
            RaterConflict.rater_id == rater.id,
            RaterConflict.trainee_id == trainee.id,
        )
    )
    if exists is not None:
        raise ConflictError(f"rater_email: a conflict of {rater.email} with this trainee exists")
    conflict = RaterConflict(
        program_id=program.id, rater=rater, trainee=trainee, reason=reason.strip(),
        declared_by_id=actor.id,
    )  # fmt: skip
    session.add(conflict)
    session.flush()
    record_event(
        session, action="conflict.declare", entity_type="rater_conflict", entity_id=conflict.id,
        actor_id=actor.id, program_id=program.id,
        payload={"rater_id": rater.id, "trainee_id": trainee.id},
    )  # fmt: skip
    return conflict


def conflicts_of(session: Session, program: Program) -> list[RaterConflict]:
    return list(
        session.scalars(
            select(RaterConflict)
            .where(RaterConflict.program_id == program.id)
            .order_by(RaterConflict.id)
        )
    )


def conflicting_pairs(session: Session, program: Program) -> frozenset[tuple[int, int]]:
    """(rater, trainee) pairs that must never meet in an assignment."""
    rows = session.execute(
        select(RaterConflict.rater_id, RaterConflict.trainee_id).where(
            RaterConflict.program_id == program.id
        )
    )
    return frozenset((rater, trainee) for rater, trainee in rows)


def remove_conflict(session: Session, program: Program, actor: User, conflict_id: int) -> None:
    conflict = session.get(RaterConflict, conflict_id)
    if conflict is None or conflict.program_id != program.id:
        raise NotFoundError(f"conflict: no conflict {conflict_id} in {program.slug}")
    record_event(
        session, action="conflict.remove", entity_type="rater_conflict", entity_id=conflict.id,
        actor_id=actor.id, program_id=program.id,
        payload={"rater_id": conflict.rater_id, "trainee_id": conflict.trainee_id,
                 "reason": conflict.reason},
    )  # fmt: skip
    session.delete(conflict)
    session.flush()
