"""Signed certificates: a frozen snapshot of the evidence, verifiable by anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, utcnow


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint(
            "revoked_at IS NULL OR revocation_reason <> ''", name="revocation_has_reason"
        ),
        Index("ix_certificate_trainee", "trainee_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public identifier printed on the certificate and used at /verify/{public_id}.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="RESTRICT"))
    trainee_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="RESTRICT")
    )
    snapshot: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    signing_key_id: Mapped[str] = mapped_column(String(64))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
