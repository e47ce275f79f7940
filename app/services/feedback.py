"""Who may read the ratings of a session, and when: the blind-rating and release rules.

- A rater who has not yet submitted their own rating of a session learns nothing about the
  others (not even whether they exist): the answer is the same 404 as for no session.
- After submitting, a rater sees every rating of the session once all assigned ratings are in.
  On a calibration session they see the master rating beside their own at once: comparing
  with the key is the point of calibration, and it says nothing about their peers.
- A trainee sees the ratings of their own session once all are in and it has been released.
- An admin sees the submitted ratings, unless they are themselves a pending rater of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from app.db.base import utcnow
from app.db.models import Assignment, Program, Rating, RecordedSession, User
from app.domain.vocabulary import OPEN_ASSIGNMENT, AssignmentStatus, RatingStatus, Role
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.sessions import get_visible_session


def _active_assignments(session: Session, recorded: RecordedSession) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(
                Assignment.session_id == recorded.id,
                Assignment.status != AssignmentStatus.withdrawn,
            )
        )
    )


def all_submitted(assignments: list[Assignment]) -> bool:
    raters = [a for a in assignments if not a.is_master]
    return bool(raters) and all(a.status is AssignmentStatus.submitted for a in raters)


def sessions_blind_to(session: Session, program: Program, user: User) -> frozenset[int]:
    """The program's sessions the user has yet to rate: they may learn nothing about them."""
    return frozenset(
        session.scalars(
            select(Assignment.session_id)
            .join(RecordedSession, RecordedSession.id == Assignment.session_id)
            .where(
                RecordedSession.program_id == program.id,
                Assignment.rater_id == user.id,
                Assignment.status.in_(OPEN_ASSIGNMENT),
            )
        )
    )


def readable_ratings(
    session: Session, program: Program, user: User, roles: frozenset[Role], session_id: int
) -> list[Rating]:
    hidden = NotFoundError(f"session: no ratings of session {session_id} to show")
    recorded = get_visible_session(session, program, user, roles, session_id)
    assignments = _active_assignments(session, recorded)
    mine = [a for a in assignments if a.rater_id == user.id]
    if any(a.status is not AssignmentStatus.submitted for a in mine):
        raise hidden  # blind until one's own rating is in, whatever one's role
    complete = all_submitted(assignments)
    submitted = [a for a in assignments if a.status is AssignmentStatus.submitted]
    if Role.admin in roles or (mine and complete):
        shown = submitted
    elif mine:
        shown = [a for a in submitted if a.is_master or a.rater_id == user.id]
    elif recorded.trainee_id == user.id and complete and recorded.released_at is not None:
        shown = [a for a in submitted if not a.is_master]
    else:
        raise hidden
    ids = [a.id for a in shown]
    return list(
        session.scalars(
            select(Rating)
            .where(Rating.assignment_id.in_(ids), Rating.status == RatingStatus.submitted)
            .order_by(Rating.submitted_at)
        )
    )


def release(session: Session, program: Program, actor: User, session_id: int) -> RecordedSession:
    """Make a fully rated session's feedback visible to its trainee."""
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    if recorded.released_at is not None:
        return recorded
    if not all_submitted(_active_assignments(session, recorded)):
        raise ConflictError("release: not every assigned rating has been submitted")
    _release(session, program, recorded, actor, automatic=False)
    return recorded


def release_many(
    session: Session, program: Program, actor: User, session_ids: Sequence[int]
) -> list[RecordedSession]:
    """Release several fully rated sessions at once: all of them, or none.

    Sessions already released stay as they were; one still awaiting a rating refuses the
    whole batch, naming it, so that the admin can take it out and try again.
    """
    if not session_ids:
        raise InvalidInputError("session_ids: choose at least one session to release")
    found = {
        s.id: s
        for s in session.scalars(
            select(RecordedSession)
            .where(
                RecordedSession.id.in_(list(session_ids)),
                RecordedSession.program_id == program.id,
            )
            .options(selectinload(RecordedSession.assignments))
        )
    }
    missing = [sid for sid in session_ids if sid not in found]
    if missing:
        raise NotFoundError(f"session: no session {missing[0]} in {program.slug}")
    pending = [
        sid
        for sid in dict.fromkeys(session_ids)
        if found[sid].released_at is None
        and not all_submitted(
            [a for a in found[sid].assignments if a.status is not AssignmentStatus.withdrawn]
        )
    ]
    if pending:
        raise ConflictError(
            "release: not every assigned rating of session "
            f"{', '.join(map(str, pending))} has been submitted; nothing was released"
        )
    for sid in dict.fromkeys(session_ids):
        if found[sid].released_at is None:
            _release(session, program, found[sid], actor, automatic=False)
    return [found[sid] for sid in dict.fromkeys(session_ids)]


# Whether a session is complete, in one round trip: its release, how many raters it has (the
# master key aside) and how many of them have yet to submit.
_COMPLETION = select(
    RecordedSession.released_at,
    select(func.count())
    .where(
        Assignment.session_id == RecordedSession.id,
        Assignment.status != AssignmentStatus.withdrawn,
        Assignment.is_master.is_(False),
    )
    .scalar_subquery(),
    select(func.count())
    .where(
        Assignment.session_id == RecordedSession.id,
        Assignment.status.in_(OPEN_ASSIGNMENT),
        Assignment.is_master.is_(False),
    )
    .scalar_subquery(),
).where(RecordedSession.id == bindparam("session_id"))


def release_if_automatic(session: Session, program: Program, session_id: int, actor: User) -> None:
    """In a program that releases automatically, release once the last rating is in.

    ``actor`` is whoever completed the session (the last rater, or an admin who withdrew the
    last pending assignment); the audit event marks the release as automatic.
    """
    if not program.auto_release:
        return
    released_at, raters, pending = session.execute(_COMPLETION, {"session_id": session_id}).one()
    if released_at is None and raters and not pending:
        recorded = session.get(RecordedSession, session_id)
        assert recorded is not None
        _release(session, program, recorded, actor, automatic=True)


def _release(
    session: Session, program: Program, recorded: RecordedSession, actor: User, *, automatic: bool
) -> None:
    recorded.released_at = utcnow()
    record_event(
        session, action="session.release", entity_type="recorded_session",
        entity_id=recorded.id, actor_id=actor.id, program_id=program.id,
        payload={"automatic": automatic},
    )  # fmt: skip
    session.flush()
