"""What counts as a program's rated evidence: shared by readiness, rater quality and the
G-study, so that they always agree on which sessions and which rubric version they read."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, aliased

from app.db.models import Assignment, Program, RecordedSession, RubricVersion
from app.domain.vocabulary import OPEN_ASSIGNMENT


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
