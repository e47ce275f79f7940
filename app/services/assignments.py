"""Asking raters to score sessions, and each rater's queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db.models import Assignment, Membership, Program, Rating, RecordedSession, User
from app.domain.allocation import AllocationError, Slot, allocate
from app.domain.vocabulary import OPEN_ASSIGNMENT, AssignmentStatus, Role
from app.services.audit import record_event
from app.services.conflicts import conflicting_pairs, rater_by_email
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.feedback import all_submitted, release_if_automatic, sessions_blind_to
from app.services.sessions import get_visible_session


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
    rater = rater_by_email(session, program, rater_email)
    if rater.id == recorded.trainee_id:
        raise InvalidInputError("rater_email: trainees never rate their own sessions")
    if (rater.id, recorded.trainee_id) in conflicting_pairs(session, program):
        raise InvalidInputError(
            f"rater_email: {rater.email} has a declared conflict with this session's trainee"
        )
    if due_date is not None and due_date < recorded.session_date:
        raise InvalidInputError("due_date: must not be before the session date")
    _refuse_if_complete(session, recorded)
    taken = session.scalar(
        select(Assignment).where(
            Assignment.session_id == recorded.id, Assignment.rater_id == rater.id
        )
    )
    if taken is not None and taken.status is AssignmentStatus.withdrawn and not taken.is_master:
        return _reinstate(session, program, actor, taken, due_date)
    if taken is not None:
        raise ConflictError(f"rater_email: {rater.email} is already assigned to this session")
    return _create(session, program, actor, recorded, rater.id, due_date, calibration)


def _create(
    session: Session,
    program: Program,
    actor: User,
    recorded: RecordedSession,
    rater_id: int,
    due_date: date | None,
    calibration: bool,
) -> Assignment:
    assignment = Assignment(
        session=recorded, rater_id=rater_id, due_date=due_date, calibration=calibration,
        assigned_by_id=actor.id,
    )  # fmt: skip
    session.add(assignment)
    session.flush()
    record_event(
        session, action="assignment.create", entity_type="assignment", entity_id=assignment.id,
        actor_id=actor.id, program_id=program.id,
        payload={"session_id": recorded.id, "rater_id": rater_id, "calibration": calibration,
                 "due_date": due_date.isoformat() if due_date else None},
    )  # fmt: skip
    return assignment


def _refuse_if_complete(session: Session, recorded: RecordedSession) -> None:
    """A session whose ratings are all in is settled: a rater added now would be shown, by
    its release or by readiness decisions taken on it, what their peers scored."""
    active = session.scalars(
        select(Assignment).where(
            Assignment.session_id == recorded.id,
            Assignment.status != AssignmentStatus.withdrawn,
        )
    ).all()
    if all_submitted(list(active)):
        raise ConflictError(
            f"session: every rating of session {recorded.id} is in; it takes no new raters"
        )


def _reinstate(
    session: Session, program: Program, actor: User, assignment: Assignment, due: date | None
) -> Assignment:
    """A withdrawn rater assigned again gets their assignment (and any draft) back."""
    has_draft = session.scalar(select(Rating.id).where(Rating.assignment_id == assignment.id))
    assignment.status = AssignmentStatus.in_progress if has_draft else AssignmentStatus.assigned
    assignment.due_date = due
    record_event(
        session, action="assignment.reinstate", entity_type="assignment",
        entity_id=assignment.id, actor_id=actor.id, program_id=program.id,
        payload={"session_id": assignment.session_id, "rater_id": assignment.rater_id},
    )  # fmt: skip
    session.flush()
    return assignment


def auto_assign(
    session: Session,
    program: Program,
    actor: User,
    session_ids: Sequence[int],
    *,
    raters_per_session: int,
    rater_emails: Sequence[str] | None = None,
    due_date: date | None = None,
    calibration: bool = False,
    seed: int | None = None,
) -> list[Assignment]:
    """Top each session up to ``raters_per_session`` raters, keeping workloads even.

    All or nothing: if one session cannot be filled, nothing is assigned and the error says
    which sessions lack eligible raters.
    """
    if not session_ids:
        raise InvalidInputError("session_ids: name at least one session")
    if len(set(session_ids)) != len(session_ids):
        raise InvalidInputError("session_ids: a session is listed twice")
    found = {
        rec.id: rec
        for rec in session.scalars(
            select(RecordedSession).where(
                RecordedSession.id.in_(list(session_ids)),
                RecordedSession.program_id == program.id,
            )
        )
    }
    missing = [sid for sid in session_ids if sid not in found]
    if missing:
        raise NotFoundError(f"session: no session {missing[0]} in {program.slug}")
    recorded = {sid: found[sid] for sid in session_ids}
    if rater_emails is None:
        pool = [
            m.user_id
            for m in session.scalars(
                select(Membership)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.program_id == program.id,
                    Membership.role == Role.trainer,
                    Membership.active.is_(True),
                    User.active.is_(True),
                )
            )
        ]
    else:
        pool = [rater_by_email(session, program, email).id for email in rater_emails]
    pool = sorted(set(pool))
    if not pool:
        raise InvalidInputError("rater_emails: the program has no active trainers to assign")
    if due_date is not None:
        early = [sid for sid, rec in recorded.items() if due_date < rec.session_date]
        if early:
            raise InvalidInputError(
                f"due_date: before the date of session {', '.join(map(str, early))}"
            )
    existing = session.execute(
        select(Assignment.session_id, Assignment.rater_id, Assignment.status).where(
            Assignment.session_id.in_(list(recorded)), Assignment.is_master.is_(False)
        )
    ).all()
    active: dict[int, list[AssignmentStatus]] = {sid: [] for sid in recorded}
    for sid, _, status in existing:
        if status is not AssignmentStatus.withdrawn:
            active[sid].append(status)
    complete = [
        sid for sid, statuses in active.items()
        if statuses and all(s is AssignmentStatus.submitted for s in statuses)
    ]  # fmt: skip
    if complete:
        # As for assign_rater: a session whose ratings are all in takes no new raters.
        raise ConflictError(
            f"session: every rating of session {complete[0]} is in; it takes no new raters"
        )
    counted = {sid: len(statuses) for sid, statuses in active.items()}
    loads = Counter(
        session.scalars(
            select(Assignment.rater_id)
            .join(RecordedSession, RecordedSession.id == Assignment.session_id)
            .where(
                RecordedSession.program_id == program.id,
                Assignment.rater_id.in_(pool),
                Assignment.status.in_(OPEN_ASSIGNMENT),
            )
        )
    )
    slots = [
        Slot(sid, rec.trainee_id, max(0, raters_per_session - counted[sid]))
        for sid, rec in recorded.items()
    ]
    try:
        plan = allocate(
            [s for s in slots if s.needed],
            {rater: loads[rater] for rater in pool},
            conflicts=conflicting_pairs(session, program),
            already=frozenset((sid, rater) for sid, rater, _ in existing),
            seed=seed,
        )
    except AllocationError as exc:
        raise InvalidInputError(f"session_ids: {exc}") from None
    return [
        _create(session, program, actor, recorded[sid], rater, due_date, calibration)
        for sid in session_ids
        for rater in plan.get(sid, [])
    ]


def withdraw(session: Session, program: Program, actor: User, assignment_id: int) -> Assignment:
    """Take an unsubmitted assignment back (a rater left, or was assigned by mistake)."""
    assignment = session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.session.program_id != program.id
        # An admin who still rates the session must not learn how far a peer has got.
        or (
            assignment.rater_id != actor.id
            and assignment.session_id in sessions_blind_to(session, program, actor)
        )
    ):
        raise NotFoundError(f"assignment: no assignment {assignment_id} in {program.slug}")
    if assignment.status is AssignmentStatus.submitted:
        raise ConflictError("assignment: already submitted; its rating stays on record")
    if assignment.status is AssignmentStatus.withdrawn:
        return assignment
    before = assignment.status.value
    assignment.status = AssignmentStatus.withdrawn
    record_event(
        session, action="assignment.withdraw", entity_type="assignment", entity_id=assignment.id,
        actor_id=actor.id, program_id=program.id,
        payload={"session_id": assignment.session_id, "rater_id": assignment.rater_id,
                 "before": before},
    )  # fmt: skip
    session.flush()
    release_if_automatic(session, program, assignment.session_id, actor)
    return assignment


def assignments_of(
    session: Session, program: Program, actor: User, session_id: int
) -> list[Assignment]:
    """A session's assignments for an admin; one who rates it, unsubmitted, sees nothing."""
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    assignments = list(
        session.scalars(
            select(Assignment).where(Assignment.session_id == recorded.id).order_by(Assignment.id)
        )
    )
    if any(a.rater_id == actor.id and a.status in OPEN_ASSIGNMENT for a in assignments):
        raise NotFoundError(f"session: no assignments of session {session_id} to show")
    return assignments


def _rated_by(program: Program, rater: User, *statuses: AssignmentStatus) -> Select[Assignment]:
    """The rater's own (not master) assignments in the program with one of ``statuses``."""
    return (
        select(Assignment)
        .join(RecordedSession, RecordedSession.id == Assignment.session_id)
        .where(
            RecordedSession.program_id == program.id,
            Assignment.rater_id == rater.id,
            Assignment.is_master.is_(False),
            Assignment.status.in_(statuses),
        )
    )


def queue_of(session: Session, program: Program, rater: User) -> list[Assignment]:
    """Open assignments of the rater in this program, soonest due first (undated last)."""
    query = _rated_by(program, rater, *OPEN_ASSIGNMENT)
    return list(
        session.scalars(
            query.order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
        )
    )


def submitted_by(
    session: Session, program: Program, rater: User, limit: int = 20
) -> list[Assignment]:
    """The rater's latest submitted ratings here, newest session first: the way back to
    each session's comparison once everyone's ratings are in."""
    query = _rated_by(program, rater, AssignmentStatus.submitted)
    return list(
        session.scalars(
            query.order_by(RecordedSession.session_date.desc(), Assignment.id.desc()).limit(limit)
        )
    )
