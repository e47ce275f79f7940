"""Recorded trainee sessions and the assignments of raters to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, JSONType, utcnow
from app.db.models._columns import enum_type
from app.db.models.people import Cohort, Program, User
from app.db.models.rubrics import RubricVersion
from app.domain.vocabulary import AssignmentStatus, Phase


class RecordedSession(Base):
    """A recorded therapy session by a trainee. Notes must never identify a patient."""

    __tablename__ = "recorded_session"
    __table_args__ = (
        CheckConstraint("duration_seconds > 0", name="duration_positive"),
        Index("ix_recorded_session_trainee_date", "trainee_id", "session_date"),
        Index("ix_recorded_session_program_date", "program_id", "session_date"),
        UniqueConstraint("program_id", "external_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="RESTRICT"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="RESTRICT"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="RESTRICT"), index=True
    )
    phase: Mapped[Phase] = mapped_column(enum_type(Phase, "phase"))
    modalities: Mapped[list[str]] = mapped_column(JSONType)
    focus_tags: Mapped[list[str]] = mapped_column(JSONType)
    # Whether a co-therapist was present, which decides if co-therapy items apply.
    co_therapist: Mapped[bool] = mapped_column(default=False)
    session_date: Mapped[date]
    duration_seconds: Mapped[int]
    recording_url: Mapped[str] = mapped_column(String(1000))
    notes: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[datetime | None]
    # The identifier a session had in the system it was imported from (REDCap, a spreadsheet),
    # so that importing the same file twice is refused rather than doubled.
    external_ref: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    program: Mapped[Program] = relationship()
    cohort: Mapped[Cohort] = relationship()
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
    rubric_version: Mapped[RubricVersion] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(back_populates="session")


class Assignment(Base):
    """A rater asked to score a session; a master assignment holds a calibration key."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("session_id", "rater_id"),
        CheckConstraint("NOT is_master OR calibration", name="master_only_on_calibration"),
        Index("ix_assignment_rater_queue", "rater_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("recorded_session.id", ondelete="CASCADE"), index=True
    )
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    due_date: Mapped[date | None]
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_type(AssignmentStatus, "assignment_status"), default=AssignmentStatus.assigned
    )
    calibration: Mapped[bool] = mapped_column(default=False)
    is_master: Mapped[bool] = mapped_column(default=False)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[RecordedSession] = relationship(back_populates="assignments")
    rater: Mapped[User] = relationship(foreign_keys=[rater_id])
