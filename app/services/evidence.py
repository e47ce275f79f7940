"""What counts as a program's rated evidence: shared by readiness, rater quality and the
G-study, so that they always agree on which sessions and which rubric version they read.

The evidence is read as three linked tables of plain numbers (sessions, ratings, item
scores) from one query whatever the number of trainees. The item scores are the bulk (a
program of 2,400 trainees holds 1.2 million), so they come as each rating's packed value
(app/domain/packed_scores.py), one row per rating, read straight from the driver's cursor
into numpy: building a SQLAlchemy row per item score costs more than running the query.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.db.engine import BINARY_RESULTS
from app.db.models import (
    Assignment,
    Program,
    Rating,
    RecordedSession,
    RubricVersion,
)
from app.domain.packed_scores import Unpacked, unpack
from app.domain.readiness import PHASES
from app.domain.vocabulary import OPEN_ASSIGNMENT, AssignmentStatus, RatingStatus

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


def planned(program_id: int) -> BindParameter[int]:
    """A program id written into the SQL rather than bound, for the queries that read a
    program's whole evidence.

    SQLite's planner (3.40, with ``sqlite_stat1``) treats ``program_id = ?`` as selective
    and starts from the program's sessions, reading item scores in session order, scattered
    over the table; given the value, it weighs the program's share of the sessions and scans
    ratings in id order, reading item scores in the order they are stored: 0.54 s against
    0.32 s for the 96,000 ratings of a program of 2,400 trainees.
    """
    return bindparam("program_id", program_id, type_=Integer(), literal_execute=True)


def session_complete() -> ColumnElement[bool]:
    """SQL: no rater of the session still owes a rating. A half-rated session is not
    evidence yet, and leaving it out keeps a pending rater blind to their peers."""
    # NOT IN, not NOT EXISTS: the database gathers the few pending sessions once, rather
    # than probing the assignments of every rating it reads (0.22 -> 0.15 s on SQLite for
    # the 96,000 ratings of 2,400 trainees). session_id is never NULL, as NOT IN needs.
    pending = aliased(Assignment)
    return RecordedSession.id.not_in(
        select(pending.session_id).where(
            pending.is_master.is_(False), pending.status.in_(OPEN_ASSIGNMENT)
        )
    )


@dataclass(frozen=True)
class EvidenceScope:
    """Which rated evidence to read: always one program and one rubric version.

    ``trainee_ids`` narrows to those trainees; ``released_only`` keeps sessions released
    to their trainee;
    ``masters`` includes the master ratings of calibration sessions (readiness leaves them
    out: a master rating is a key, not evidence), and ``calibration_only`` keeps only the
    sessions with a submitted master rating.
    """

    program_id: int
    rubric_version_id: int
    trainee_ids: Sequence[int] | None = None
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
        if self.calibration_only:
            # IN, not EXISTS: SQLite then starts from the few keyed sessions instead of
            # testing every rating of the program (0.16 -> 0.05 s at 2,400 trainees).
            master = aliased(Assignment)
            found.append(
                RecordedSession.id.in_(
                    select(master.session_id).where(
                        master.is_master.is_(True),
                        master.status == AssignmentStatus.submitted,
                    )
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
    ``score`` NaN where the item was marked not applicable; ``session_phase`` indexes
    :data:`PHASES`). Only ratings with at least one
    item score, and sessions with at least one such rating, are kept. ``session_day`` and
    ``rating_day`` are ``date.toordinal()``; ``rating_day`` is the UTC day of submission.
    """

    session_id: IntArray
    session_trainee: IntArray
    session_day: IntArray
    session_phase: IntArray
    rating_id: IntArray
    rating_session: IntArray
    rater_id: IntArray
    rating_master: BoolArray
    rating_day: IntArray
    score_rating: IntArray
    score_item_id: IntArray
    score: FloatArray
    harm_flag: BoolArray


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


class utc_day(FunctionElement[int]):  # noqa: N801 - named as the SQL function it stands for
    """SQL: the day of a date, or the UTC day of a timestamp, as whole days since
    1970-01-01 (-1 when NULL), so that days travel as integers like everything else here."""

    type = Integer()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # Dates and timestamps (in UTC) are stored as text. date() cuts it to the day first:
    # julianday() of the full time rounds to milliseconds, which moves 23:59:59.9995 to
    # the next day. 2440587.5 is the Julian day of 1970-01-01 at midnight.
    (column,) = element.clauses
    shown = compiler.process(column, **kw)
    return f"coalesce(CAST(julianday(date({shown})) - 2440587.5 AS INTEGER), -1)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    shown = compiler.process(column, **kw)
    if isinstance(column.type, Date):  # a date has no time zone to convert from
        return f"coalesce({shown} - DATE '1970-01-01', -1)"
    return f"coalesce(({shown} AT TIME ZONE 'UTC')::date - DATE '1970-01-01', -1)"


_EPOCH = date(1970, 1, 1).toordinal()


def rows_with_scores(
    session: Session, statement: Select[*tuple[Any, ...]], width: int
) -> tuple[IntArray, Unpacked]:
    """The rows of a query of ``width`` integers and then ``Rating.packed_scores``, with
    the item scores of every row taken apart (``row`` of each is its query row).

    Read from the driver's cursor a batch at a time: at tens of thousands of rows,
    SQLAlchemy's row objects cost more than the query, and holding every row's tuple at once
    makes each garbage-collector pass longer. The session is flushed first, as
    ``Session.execute`` would.
    """
    session.flush()
    result = session.connection().execute(statement.execution_options(**{BINARY_RESULTS: True}))
    parts = [np.zeros((0, width), dtype=np.int64)]
    packed: list[bytes] = []
    try:
        while rows := result.cursor.fetchmany(_BATCH):
            flat = np.fromiter(
                itertools.chain.from_iterable(row[:width] for row in rows),
                dtype=np.int64,
                count=width * len(rows),
            )
            parts.append(flat.reshape(len(rows), width))
            packed.extend(row[width] for row in rows)
    finally:
        result.close()
    return np.concatenate(parts), unpack(packed)


def rated_evidence(session: Session, scope: EvidenceScope) -> RatedEvidence:
    """The scope's sessions, ratings and item scores, in one set-based query."""
    rows, scores = rows_with_scores(
        session,
        select(
            Rating.id,
            Assignment.session_id,
            Assignment.rater_id,
            cast(Assignment.is_master, Integer),
            utc_day(Rating.submitted_at),
            RecordedSession.trainee_id,
            utc_day(RecordedSession.session_date),
            case({p: i for i, p in enumerate(PHASES)}, value=RecordedSession.phase),
            Rating.packed_scores,
        )
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .join(RecordedSession, RecordedSession.id == Assignment.session_id)
        .where(*scope.rating_conditions()),
        8,
    )
    # Each session's columns, from its first rating.
    _, first = np.unique(rows[:, 1], return_index=True)
    sessions = rows[first][:, [1, 5, 6, 7]]
    table = np.column_stack([scores.item_id, scores.score, scores.harm_flag])
    return _link(sessions, rows[:, :5], scores.row, table)


def _link(
    sessions: IntArray, ratings: IntArray, score_row: IntArray, scores: IntArray
) -> RatedEvidence:
    """Join the three tables by row index, dropping what the others do not reach.

    ``score_row`` is each item score's row in ``ratings`` (as read); ``scores`` holds item
    id, score (-1 for not applicable) and harm flag. A rating without item scores is left
    out, and so is a session left without ratings.
    """
    sessions = sessions[np.argsort(sessions[:, 0], kind="stable")]
    s_id = sessions[:, 0]
    # Ratings by (session, rating id), the order every table below follows.
    by_session = np.lexsort((ratings[:, 0], ratings[:, 1]))
    ratings = ratings[by_session]
    r_id = ratings[:, 0]
    r_session, known = locate(s_id, ratings[:, 1])
    sorted_row = np.empty_like(by_session)
    sorted_row[by_session] = np.arange(by_session.size)
    score_rating = sorted_row[score_row]
    keep_score = known[score_rating]
    scores, score_rating = scores[keep_score], score_rating[keep_score]
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
    # By rating, then item. The database hands each rating's scores over in item order as
    # a rule, and ratings mostly in order too, so a sort is often not needed at all.
    key = score_rating * (int(scores[:, 0].max(initial=0)) + 1) + scores[:, 0]
    if np.all(key[1:] > key[:-1]):
        order: IntArray | slice = slice(None)
    else:
        order = np.argsort(key, kind="stable")
    session_day = sessions[kept_sessions, 2] + _EPOCH
    rating_session = session_row[r_session[kept_ratings]]
    # A submitted rating always has its time (a check constraint); the session's day is
    # only a formal fallback.
    submitted = ratings[kept_ratings, 4]
    rating_day = np.where(submitted < 0, session_day[rating_session], submitted + _EPOCH)
    scores = scores[order]
    return RatedEvidence(
        session_id=s_id[kept_sessions],
        session_trainee=sessions[kept_sessions, 1],
        session_day=session_day,
        session_phase=sessions[kept_sessions, 3],
        rating_id=r_id[kept_ratings],
        rating_session=rating_session,
        rater_id=ratings[kept_ratings, 2],
        rating_master=ratings[kept_ratings, 3].astype(np.bool_),
        rating_day=rating_day,
        score_rating=score_rating[order],
        score_item_id=scores[:, 0],
        score=np.where(scores[:, 1] < 0, np.nan, scores[:, 1].astype(np.float64)),
        harm_flag=scores[:, 2].astype(np.bool_),
    )
