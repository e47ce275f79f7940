"""Readiness decisions signed off by a program, and harm flags confirmed by an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, JSONType, utcnow
from app.db.models.people import User
from app.db.models.rubrics import RubricItem


class ReadinessDecision(Base):
    """A stored snapshot: the inputs, the policy and the result, as computed and signed off.

    Recomputing from ``snapshot['inputs']`` gives the same result; ``fingerprint`` is the
    SHA-256 of the canonical snapshot, so any later change to the row is detectable.
    """

    __tablename__ = "readiness_decision"
    __table_args__ = (
        CheckConstraint("length(fingerprint) = 64", name="fingerprint_hex"),
        CheckConstraint(
            "entrustment_level IS NULL OR entrustment_level BETWEEN 1 AND 5",
            name="entrustment_level_range",
        ),
        Index("ix_readiness_decision_trainee", "program_id", "trainee_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="RESTRICT"))
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="RESTRICT")
    )
    decision: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    fingerprint: Mapped[str] = mapped_column(String(64))
    signed_off_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    committee_comment: Mapped[str] = mapped_column(Text, default="")
    # 1 observe only ... 5 may supervise others (see app/domain/vocabulary.py ENTRUSTMENT).
    entrustment_level: Mapped[int | None]
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    signed_off_by: Mapped[User] = relationship(foreign_keys=[signed_off_by_id])


class HarmConfirmation(Base):
    """An admin's confirmation of a harm flag raised by a single rater of a session."""

    __tablename__ = "harm_confirmation"
    __table_args__ = (UniqueConstraint("session_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("recorded_session.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("rubric_item.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[RubricItem] = relationship()
