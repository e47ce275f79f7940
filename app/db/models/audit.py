"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow


class AuditEvent(Base):
    """Each row carries the hash of its predecessor, so any edit or deletion breaks the chain."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("length(hash) = 64", name="hash_hex"),
        CheckConstraint("length(prev_hash) = 64", name="prev_hash_hex"),
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        Index("ix_audit_event_program_time", "program_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
