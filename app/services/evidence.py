"""What counts as a program's rated evidence: shared by readiness, rater quality and the
G-study, so that they always agree on which sessions and which rubric version they read.

The evidence is read as three linked tables of plain numbers (sessions, ratings, item
scores), each with one query whatever the number of trainees. The item scores are the
bulk (a program of 1,000 trainees holds half a million), so their query selects integers
only and is read straight from the driver's cursor into numpy: building a SQLAlchemy row
per item score costs more than running the query.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Integer, Select, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

from app.db.models import (
    Assignment,
    ItemScore,
    Membership,
    Program,
    Rating,
    RecordedSession,
    RubricVersion,
)
from app.domain.vocabulary import OPEN_ASSIGNMENT, AssignmentStatus, Phase, RatingStatus, Role

IntArray = NDArray[np.int64]
_BATCH = 20_000  # rows read from the cursor at a time
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


def current_version(session: Session, program: Program) -> RubricVersion | None:
    """The newest rubric version any of the program's sessions is pinned to."""
    return session.scalar(
        select(RubricVersion)
        .join(RecordedSession, RecordedSession.rubric_version_id == RubricVersion.id)
        .where(RecordedSession.program_id == program.id)
        .order_by(RubricVersion.sort_key.desc(), RubricVersion.id.desc())
        .limit(1)
    )


def session_complete() -> ColumnElement[bool]:
    """SQL: no rater of the session still owes a rating. A half-rated session is not
    evidence yet, and leaving it out keeps a pending rater blind to their peers."""
    pending = aliased(Assignment)
    return ~exists().where(
        pending.session_id == RecordedSession.id,
        pending.is_master.is_(False),
        pending.status.in_(OPEN_ASSIGNMENT),
    )


@dataclass(frozen=True)
class EvidenceScope:
    """Which rated evidence to read: always one program and one rubric version.

    ``trainee_ids`` narrows to those trainees and ``active_trainees`` to the program's
    active trainees; ``released_only`` keeps sessions released to their trainee;
    ``masters`` includes the master ratings of calibration sessions (readiness leaves them
    out: a master rating is a key, not evidence), and ``calibration_only`` keeps only the
    sessions with a submitted master rating.
    """

    program_id: int
    rubric_version_id: int
    trainee_ids: Sequence[int] | None = None
    active_trainees: bool = False
    released_only: bool = False
    masters: bool = False
    calibration_only: bool = False

    def session_conditions(self) -> list[ColumnElement[bool]]:
        found = [
            RecordedSession.program_id == self.program_id,
            RecordedSession.rubric_version_id == self.rubric_version_id,
            session_complete(),
        ]
        if self.trainee_ids is not None:
            found.append(RecordedSession.trainee_id.in_(list(self.trainee_ids)))
        if self.active_trainees:
            found.append(
                RecordedSession.trainee_id.in_(
                    select(Membership.user_id).where(
                        Membership.program_id == self.program_id,
                        Membership.role == Role.trainee,
                        Membership.active.is_(True),
                    )
                )
            )
        if self.calibration_only:
            master = aliased(Assignment)
            found.append(
                exists().where(
                    master.session_id == RecordedSession.id,
                    master.is_master.is_(True),
                    master.status == AssignmentStatus.submitted,
                )
            )
        if self.released_only:
            found.append(RecordedSession.released_at.is_not(None))
        return found

    def rating_conditions(self) -> list[ColumnElement[bool]]:
        found = [
            *self.session_conditions(),
            Assignment.status == AssignmentStatus.submitted,
            Rating.status == RatingStatus.submitted,
        ]
        if not self.masters:
            found.append(Assignment.is_master.is_(False))
        return found


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class RatedEvidence:
    """Every submitted rating of the complete sessions in scope, as three linked tables.

    Sessions in id order; ratings by session, then rating id (``rating_session`` is a
    session row); item scores by rating, then item id (``score_rating`` is a rating row,
    ``score`` NaN where the item was marked not applicable). Only ratings with at least one
    item score, and sessions with at least one such rating, are kept. ``session_day`` and
    ``rating_day`` are ``date.toordinal()``; ``rating_day`` is the UTC day of submission
    when asked for (see :func:`rated_evidence`).
    """

    session_id: IntArray
    session_trainee: IntArray
    session_day: IntArray
    session_phase: tuple[Phase, ...]
    rating_id: IntArray
    rating_session: IntArray
    rater_id: IntArray
    rating_master: BoolArray
    rating_day: IntArray
    score_rating: IntArray
    score_item_id: IntArray
    score: FloatArray
    harm_flag: BoolArray


def integer_rows(session: Session, statement: Select[*tuple[Any, ...]], width: int) -> IntArray:
    """The rows of a query selecting ``width`` integers, as an (n, width) array.

    Read from the driver's cursor a batch at a time: at half a million rows, SQLAlchemy's
    row objects cost more than the query, and holding every row's tuple at once makes each
    garbage-collector pass longer. The session is flushed first, as ``Session.execute``
    would.
    """
    session.flush()
    result = session.connection().execute(statement)
    parts = [np.zeros((0, width), dtype=np.int64)]
    try:
        while rows := result.cursor.fetchmany(_BATCH):
            flat = np.fromiter(
                itertools.chain.from_iterable(rows), dtype=np.int64, count=width * len(rows)
            )
            parts.append(flat.reshape(len(rows), width))
    finally:
        result.close()
    return np.concatenate(parts)


def locate(sorted_ids: IntArray, values: IntArray) -> tuple[IntArray, BoolArray]:
    """Where each value sits in ``sorted_ids`` (ascending), and whether it is there at all
    (a value that is not gets position 0, so the positions always index ``sorted_ids``).

    >>> at, found = locate(np.array([3, 5, 9]), np.array([9, 4, 3]))
    >>> at.tolist(), found.tolist()
    ([2, 0, 0], [True, False, True])
    """
    at = np.searchsorted(sorted_ids, values)
    found = at < sorted_ids.size
    found[found] = sorted_ids[at[found]] == values[found]
    at[~found] = 0
    return at, found


def rated_evidence(
    session: Session, scope: EvidenceScope, *, submission_days: bool = False
) -> RatedEvidence:
    """The scope's sessions, ratings and item scores, one set-based query each.

    ``rating_day`` is the day of submission with ``submission_days``, otherwise the
    session's day (reading the submission times costs a tenth of a second per 40,000
    ratings, and only drift needs them).
    """
    sessions = session.execute(
        select(
            RecordedSession.id,
            RecordedSession.trainee_id,
            RecordedSession.session_date,
            RecordedSession.phase,
        )
        .where(*scope.session_conditions())
        .order_by(RecordedSession.id)
    ).all()
    rating_columns = (
        Rating.id,
        Assignment.session_id,
        Assignment.rater_id,
        cast(Assignment.is_master, Integer),
    )
    ratings = (
        select(*rating_columns)
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .join(RecordedSession, RecordedSession.id == Assignment.session_id)
        .where(*scope.rating_conditions())
    )
    submitted: dict[int, date] = {}
    if submission_days:
        found = session.execute(ratings.add_columns(Rating.submitted_at).order_by(Rating.id)).all()
        rating_rows = np.array([row[:4] for row in found], dtype=np.int64).reshape(-1, 4)
        submitted = {row[0]: row[4].date() for row in found if row[4] is not None}
    else:
        rating_rows = integer_rows(session, ratings, 4)
    # Not-applicable marks come back as -1: scores are never negative.
    scores = integer_rows(
        session,
        select(
            ItemScore.rating_id,
            ItemScore.item_id,
            func.coalesce(ItemScore.score, -1),
            cast(ItemScore.harm_flag, Integer),
        )
        .join(Rating, Rating.id == ItemScore.rating_id)
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .join(RecordedSession, RecordedSession.id == Assignment.session_id)
        .where(*scope.rating_conditions()),
        4,
    )
    return _link(sessions, rating_rows, submitted, scores)


def _link(
    sessions: Sequence[tuple[int, int, date, Phase]],
    ratings: IntArray,
    submitted: dict[int, date],
    scores: IntArray,
) -> RatedEvidence:
    """Join the three tables by row index, dropping what the others do not reach.

    Each query sees its own snapshot under READ COMMITTED, so a session completed between
    them can show ratings or scores the earlier query did not: those are left out, and the
    evidence stays that of the first query.
    """
    s_id = np.fromiter((s[0] for s in sessions), np.int64, len(sessions))
    # Ratings by (session, rating id), the order every table below follows.
    ratings = ratings[np.lexsort((ratings[:, 0], ratings[:, 1]))]
    r_id = ratings[:, 0]
    r_session, known = locate(s_id, ratings[:, 1])
    # Ratings sorted by id, to place each item score's rating.
    by_id = np.argsort(r_id, kind="stable")
    place, found = locate(r_id[by_id], scores[:, 0])
    score_rating = by_id[place[found]]
    keep_score = known[score_rating]
    scores, score_rating = scores[found][keep_score], score_rating[keep_score]
    # Ratings with an item score, sessions with such a rating.
    rated = np.zeros(r_id.size, np.bool_)
    rated[score_rating] = True
    kept_ratings = np.flatnonzero(rated)
    has_rating = np.zeros(s_id.size, np.bool_)
    has_rating[r_session[kept_ratings]] = True
    kept_sessions = np.flatnonzero(has_rating)
    session_row = np.cumsum(has_rating) - 1
    rating_row = np.cumsum(rated) - 1
    score_rating = rating_row[score_rating]
    order = np.lexsort((scores[:, 1], score_rating))
    chosen = [sessions[i] for i in kept_sessions.tolist()]
    session_day = np.fromiter((s[2].toordinal() for s in chosen), np.int64, len(chosen))
    rating_session = session_row[r_session[kept_ratings]]
    rating_day = session_day[rating_session]
    if submitted:
        rating_day = np.fromiter(
            (
                submitted[r].toordinal() if r in submitted else day
                for r, day in zip(r_id[kept_ratings].tolist(), rating_day.tolist(), strict=True)
            ),
            np.int64,
            kept_ratings.size,
        )
    return RatedEvidence(
        session_id=s_id[kept_sessions],
        session_trainee=np.fromiter((s[1] for s in chosen), np.int64, len(chosen)),
        session_day=session_day,
        session_phase=tuple(s[3] for s in chosen),
        rating_id=r_id[kept_ratings],
        rating_session=rating_session,
        rater_id=ratings[kept_ratings, 2],
        rating_master=ratings[kept_ratings, 3].astype(np.bool_),
        rating_day=rating_day,
        score_rating=score_rating[order],
        score_item_id=scores[order, 1],
        score=np.where(scores[order, 2] < 0, np.nan, scores[order, 2].astype(np.float64)),
        harm_flag=scores[order, 3].astype(np.bool_),
    )
