"""A trainee's own record as the trainee may see it: no more than the API shows them.

- Their sessions (``sessions_visible_to``), with the ratings of those that are complete and
  released: the blind and release rules of ``app.services.feedback``. A session that is not
  released, or no longer complete, lists no rating, and its feedback is the same 404 as a
  session that does not exist. Master ratings of calibration keys are never shown.
- Their readiness computed from released sessions only, as the readiness API answers a
  trainee, and their signed-off decisions.

A user may hold a staff role in the same program as well; these views use the trainee role
alone, so the trainee pages never show what only a rater or an admin may read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.db.models import Amendment, Assignment, Program, Rating, RecordedSession, User
from app.domain.rubrics.model import RubricDocument
from app.domain.vocabulary import AssignmentStatus, RatingStatus, Role
from app.services.amendments import history_of
from app.services.feedback import all_submitted, readable_ratings
from app.services.ratings import item_index, rubric_document
from app.services.readiness import TraineeReadiness, readiness_of
from app.services.sessions import get_visible_session, sessions_visible_to

TRAINEE = frozenset({Role.trainee})


@dataclass(frozen=True)
class OwnSession:
    """One of the trainee's sessions; ``ratings`` is empty until its feedback is released."""

    recorded: RecordedSession
    ratings: tuple[Rating, ...]

    @property
    def released(self) -> bool:
        return bool(self.ratings)


@dataclass(frozen=True)
class SessionFeedback:
    """The released ratings of one session, with what a page needs to explain them."""

    recorded: RecordedSession
    rubric: RubricDocument
    ratings: tuple[Rating, ...]
    raters: dict[int, str]  # the rater's name by rating id
    amenders: dict[int, str]  # the name of who amended a rating, by user id
    item_keys: dict[int, str]
    amendments: dict[int, list[Amendment]]


def own_sessions(session: Session, program: Program, trainee: User) -> list[OwnSession]:
    """Every session of the trainee, newest first, each with its released ratings.

    The rule is ``readable_ratings``' rule for a trainee (complete and released, never a
    master rating), applied to all sessions at once: three queries whatever their number.
    """
    recorded = sessions_visible_to(session, program, trainee, TRAINEE)
    assignments: dict[int, list[Assignment]] = defaultdict(list)
    for a in session.scalars(
        select(Assignment)
        .options(joinedload(Assignment.rater))
        .where(
            Assignment.session_id.in_([r.id for r in recorded]),
            Assignment.status != AssignmentStatus.withdrawn,
        )
    ):
        assignments[a.session_id].append(a)
    shown = [
        a.id
        for r in recorded
        if r.released_at is not None and all_submitted(assignments[r.id])
        for a in assignments[r.id]
        if not a.is_master and a.status is AssignmentStatus.submitted
    ]
    by_session: dict[int, list[Rating]] = defaultdict(list)
    for rating in session.scalars(
        select(Rating)
        .where(Rating.assignment_id.in_(shown), Rating.status == RatingStatus.submitted)
        .order_by(Rating.submitted_at, Rating.id)
    ):
        by_session[rating.assignment.session_id].append(rating)
    return [OwnSession(r, tuple(by_session[r.id])) for r in recorded]


def session_feedback(
    session: Session, program: Program, trainee: User, session_id: int
) -> SessionFeedback:
    """The released feedback on one of the trainee's sessions; 404 for anything else."""
    found = readable_ratings(session, program, trainee, TRAINEE, session_id)
    raters = {
        assignment_id: (name, is_master)
        for assignment_id, name, is_master in session.execute(
            select(Assignment.id, User.full_name, Assignment.is_master)
            .join(User, User.id == Assignment.rater_id)
            .where(Assignment.id.in_([r.assignment_id for r in found]))
        )
    }
    ratings = [r for r in found if not raters[r.assignment_id][1]]
    recorded = get_visible_session(session, program, trainee, TRAINEE, session_id)
    version = recorded.rubric_version
    amendments = history_of(session, [r.id for r in ratings])
    amenders = {a.amended_by_id for changes in amendments.values() for a in changes}
    return SessionFeedback(
        recorded=recorded,
        rubric=rubric_document(version),
        ratings=tuple(ratings),
        raters={r.id: raters[r.assignment_id][0] for r in ratings},
        item_keys=item_index(session, version).key_by_id,
        amenders=dict(
            session.execute(select(User.id, User.full_name).where(User.id.in_(amenders))).all()
        ),
        amendments=amendments,
    )


def own_readiness(session: Session, program: Program, trainee: User) -> TraineeReadiness | None:
    """The trainee's readiness from their released sessions, as the readiness API gives it
    to them; None while the program has no session to judge against a rubric."""
    found = readiness_of(session, program, trainee_ids=[trainee.id], released_only=True)
    return found[0] if found else None
