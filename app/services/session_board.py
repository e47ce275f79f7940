"""The admin's view of a program's sessions: where each stands, what needs doing, and who
may be asked to rate.

A session is *unassigned* until a rater is asked, *awaiting ratings* while a rater still owes
one, *complete* once every rating is in, and *released* once its trainee may read them. The
same definitions run as SQL (filters and counts over every session) and in Python (the rows
shown), and an admin who still rates a session learns no more about it here than a rater
would: not who else rates it, nor how far they are.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from app.db.models import Assignment, Membership, Program, RecordedSession, User
from app.domain.vocabulary import OPEN_ASSIGNMENT, AssignmentStatus, Phase
from app.services.conflicts import RATER_ROLES
from app.services.errors import NotFoundError
from app.services.feedback import sessions_blind_to

PER_PAGE = 50


class SessionStatus(StrEnum):
    unassigned = "unassigned"
    awaiting = "awaiting"
    complete = "complete"
    released = "released"


def _has_rater(statuses: Collection[AssignmentStatus]) -> ColumnElement[bool]:
    rater = aliased(Assignment)
    return exists().where(
        rater.session_id == RecordedSession.id,
        rater.is_master.is_(False),
        rater.status.in_(list(statuses)),
    )


_ACTIVE = [s for s in AssignmentStatus if s is not AssignmentStatus.withdrawn]


def _status_sql() -> ColumnElement[str]:
    return case(
        (RecordedSession.released_at.is_not(None), SessionStatus.released.value),
        (_has_rater(OPEN_ASSIGNMENT), SessionStatus.awaiting.value),
        (_has_rater(_ACTIVE), SessionStatus.complete.value),
        else_=SessionStatus.unassigned.value,
    )


def status_of(recorded: RecordedSession, assignments: Sequence[Assignment]) -> SessionStatus:
    """The status of one session from its assignments, as ``_status_sql`` decides it."""
    raters = [a for a in assignments if not a.is_master]
    if recorded.released_at is not None:
        return SessionStatus.released
    if any(a.status in OPEN_ASSIGNMENT for a in raters):
        return SessionStatus.awaiting
    if any(a.status is not AssignmentStatus.withdrawn for a in raters):
        return SessionStatus.complete
    return SessionStatus.unassigned


def _overdue_sql(today: date, viewer: User, blind: frozenset[int]) -> ColumnElement[bool]:
    """An open assignment past its due date that the viewer may know of."""
    late = aliased(Assignment)
    visible = or_(late.rater_id == viewer.id, RecordedSession.id.not_in(blind)) if blind else true()
    return exists().where(
        late.session_id == RecordedSession.id,
        late.is_master.is_(False),
        late.status.in_(list(OPEN_ASSIGNMENT)),
        late.due_date < today,
        visible,
    )


@dataclass(frozen=True)
class BoardRow:
    recorded: RecordedSession
    status: SessionStatus
    # None when the viewer still rates the session: its other assignments are not theirs to see.
    assignments: tuple[Assignment, ...] | None
    own: Assignment | None
    overdue: bool


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    total: int
    counts: dict[SessionStatus, int]
    page: int
    pages: int


def _filters(
    program: Program, cohort_id: int | None, phase: Phase | None
) -> list[ColumnElement[bool]]:
    found = [RecordedSession.program_id == program.id]
    if cohort_id is not None:
        found.append(RecordedSession.cohort_id == cohort_id)
    if phase is not None:
        found.append(RecordedSession.phase == phase)
    return found


def status_counts(
    session: Session, program: Program, *, cohort_id: int | None = None, phase: Phase | None = None
) -> dict[SessionStatus, int]:
    """How many of the program's sessions (of a cohort, of a phase) are in each status."""
    return _counts(session, _filters(program, cohort_id, phase))


def _counts(session: Session, filters: list[ColumnElement[bool]]) -> dict[SessionStatus, int]:
    status_sql = _status_sql()
    counts = dict.fromkeys(SessionStatus, 0)
    for value, n in session.execute(
        select(status_sql, func.count()).where(*filters).group_by(status_sql)
    ):
        counts[SessionStatus(value)] = n
    return counts


def _row(recorded: RecordedSession, viewer: User, blind: frozenset[int], today: date) -> BoardRow:
    assignments = sorted(recorded.assignments, key=lambda a: a.id)
    own = next((a for a in assignments if a.rater_id == viewer.id and not a.is_master), None)
    hidden = recorded.id in blind
    visible = [own] if hidden and own is not None else ([] if hidden else assignments)
    overdue = any(
        a.status in OPEN_ASSIGNMENT and a.due_date is not None and a.due_date < today
        for a in visible
        if not a.is_master
    )
    return BoardRow(
        recorded,
        status_of(recorded, assignments),
        None if hidden else tuple(assignments),
        own,
        overdue,
    )


def _with_people(query: Select[RecordedSession]) -> Select[RecordedSession]:
    return query.options(
        joinedload(RecordedSession.trainee),
        joinedload(RecordedSession.cohort),
        selectinload(RecordedSession.assignments).joinedload(Assignment.rater),
    )


def session_board(
    session: Session,
    program: Program,
    viewer: User,
    *,
    today: date,
    cohort_id: int | None = None,
    phase: Phase | None = None,
    status: SessionStatus | None = None,
    overdue: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Board:
    """One page of the program's sessions, newest first, with the counts by status."""
    blind = sessions_blind_to(session, program, viewer)
    filters = _filters(program, cohort_id, phase)
    counts = _counts(session, filters)
    query = select(RecordedSession).where(*filters)
    if status is not None:
        query = query.where(_status_sql() == status.value)
    if overdue:
        query = query.where(_overdue_sql(today, viewer, blind))
    if overdue:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    else:
        # The counts by status already say how many there are: no second pass over them.
        total = counts[status] if status is not None else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = session.scalars(
        _with_people(query)
        .order_by(RecordedSession.session_date.desc(), RecordedSession.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).unique()
    rows = [_row(r, viewer, blind, today) for r in found]
    return Board(rows, total, counts, page, pages)


def board_row(
    session: Session, program: Program, viewer: User, session_id: int, *, today: date
) -> BoardRow:
    """One session's row, after an action on it changed what the row shows."""
    # The action may have changed assignments this session already holds in memory.
    recorded = session.scalars(
        _with_people(
            select(RecordedSession).where(
                RecordedSession.program_id == program.id, RecordedSession.id == session_id
            )
        ).execution_options(populate_existing=True)
    ).first()
    if recorded is None:
        raise NotFoundError(f"session: no session {session_id} in {program.slug}")
    return _row(recorded, viewer, sessions_blind_to(session, program, viewer), today)


def rater_choices(session: Session, program: Program) -> list[User]:
    """The program's active trainers and admins, by name: the people who may be asked to rate."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.program_id == program.id,
                Membership.role.in_(list(RATER_ROLES)),
                Membership.active.is_(True),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.full_name, User.id)
        )
    )


@dataclass(frozen=True)
class Overview:
    counts: dict[SessionStatus, int]
    overdue_assignments: int
    overdue: list[Assignment]


def overview(
    session: Session, program: Program, viewer: User, *, today: date, listed: int = 10
) -> Overview:
    """What needs doing: sessions by status, and the assignments past their due date.

    Another rater's lateness on a session the viewer still rates is not counted: it would
    tell them that someone else rates it.
    """
    blind = sessions_blind_to(session, program, viewer)
    counts = _counts(session, _filters(program, None, None))
    late = and_(
        RecordedSession.program_id == program.id,
        Assignment.is_master.is_(False),
        Assignment.status.in_(list(OPEN_ASSIGNMENT)),
        Assignment.due_date < today,
        or_(Assignment.rater_id == viewer.id, Assignment.session_id.not_in(blind))
        if blind
        else true(),
    )
    late_ids = session.scalars(
        select(Assignment.id)
        .join(RecordedSession, RecordedSession.id == Assignment.session_id)
        .where(late)
        .order_by(Assignment.due_date, Assignment.id)
    ).all()
    # One pass finds them all; only the first few are loaded whole, with their people.
    first = session.scalars(
        select(Assignment)
        .where(Assignment.id.in_(late_ids[:listed]))
        .options(
            joinedload(Assignment.rater),
            joinedload(Assignment.session).joinedload(RecordedSession.trainee),
        )
        .order_by(Assignment.due_date, Assignment.id)
    ).all()
    return Overview(counts, len(late_ids), list(first))
