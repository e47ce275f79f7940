"""Ratings, item scores with their evidence, and amendments to submitted ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, JSONType, utcnow
from app.db.models._columns import enum_type
from app.db.models.people import User
from app.db.models.rubrics import RubricItem
from app.db.models.sessions import Assignment
from app.domain.vocabulary import RatingStatus


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (
        CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_has_timestamp"
        ),
        Index("ix_rating_rubric_version_status", "rubric_version_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), unique=True
    )
    # The exact rubric version scored against, so a rating can never drift to another one.
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="RESTRICT")
    )
    status: Mapped[RatingStatus] = mapped_column(
        enum_type(RatingStatus, "rating_status"), default=RatingStatus.draft
    )
    submitted_at: Mapped[datetime | None]
    # Scoped to the rating (one per assignment): a key another rater happened to use must
    # not answer differently, or it would tell that rater's progress.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    # Optimistic concurrency: two writers of the same draft cannot both win.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The item scores below packed into one value (app/domain/packed_scores.py), so that a
    # program's evidence is read one row per rating; whoever writes the scores writes it.
    packed_scores: Mapped[bytes] = mapped_column(LargeBinary, default=b"")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    assignment: Mapped[Assignment] = relationship()
    # Loaded together with their evidence: every read of a rating shows all of it.
    scores: Mapped[list[ItemScore]] = relationship(
        back_populates="rating", cascade="all, delete-orphan", lazy="selectin"
    )


class ItemScore(Base):
    __tablename__ = "item_score"
    __table_args__ = (
        UniqueConstraint("rating_id", "item_id"),
        CheckConstraint("NOT (not_applicable AND score IS NOT NULL)", name="score_or_na"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_non_negative"),
        CheckConstraint("NOT harm_flag OR harm_note <> ''", name="harm_flag_has_note"),
        Index("ix_item_score_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("rubric_item.id", ondelete="RESTRICT"))
    score: Mapped[int | None]
    not_applicable: Mapped[bool] = mapped_column(default=False)
    harm_flag: Mapped[bool] = mapped_column(default=False)
    harm_note: Mapped[str] = mapped_column(Text, default="")

    rating: Mapped[Rating] = relationship(back_populates="scores")
    item: Mapped[RubricItem] = relationship()
    evidence: Mapped[list[EvidenceNote]] = relationship(
        back_populates="item_score",
        cascade="all, delete-orphan",
        order_by="EvidenceNote.timestamp_seconds",
        lazy="selectin",
    )


class EvidenceNote(Base):
    """An observation tied to a moment of the recording."""

    __tablename__ = "evidence_note"
    __table_args__ = (CheckConstraint("timestamp_seconds >= 0", name="timestamp_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_score_id: Mapped[int] = mapped_column(
        ForeignKey("item_score.id", ondelete="CASCADE"), index=True
    )
    timestamp_seconds: Mapped[int]
    note: Mapped[str] = mapped_column(Text)

    item_score: Mapped[ItemScore] = relationship(back_populates="evidence")


class Amendment(Base):
    """A change to a submitted rating: never an overwrite without a trace and a reason."""

    __tablename__ = "amendment"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_required"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_item.id", ondelete="RESTRICT"))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[RubricItem | None] = relationship()
    amended_by: Mapped[User] = relationship()
