"""Rubric versions as published into the database, with rows per domain and item.

The canonical JSON is the source of truth; domain and item rows exist so that scores,
reports and queries can join on items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, JSONType, utcnow
from app.db.models._columns import enum_type
from app.domain.vocabulary import Modality, RubricStatus


class Rubric(Base):
    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[RubricVersion]] = relationship(
        back_populates="rubric", order_by="RubricVersion.sort_key"
    )


class RubricVersion(Base):
    __tablename__ = "rubric_version"
    __table_args__ = (
        UniqueConstraint("rubric_id", "version"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL", name="published_has_timestamp"
        ),
        CheckConstraint("scale_max > scale_min", name="scale_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id", ondelete="RESTRICT"))
    version: Mapped[str] = mapped_column(String(32))
    # Zero-padded MAJOR.MINOR.PATCH so that string order is version order.
    sort_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[RubricStatus] = mapped_column(enum_type(RubricStatus, "rubric_status"))
    title: Mapped[str] = mapped_column(String(300))
    scale_min: Mapped[int]
    scale_max: Mapped[int]
    # Tens of kilobytes of JSON that readers parse once per content hash (and cache), so it
    # is loaded only when asked for, not with every session a rating touches.
    content: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rubric: Mapped[Rubric] = relationship(back_populates="versions")
    domains: Mapped[list[RubricDomain]] = relationship(
        back_populates="rubric_version", order_by="RubricDomain.position"
    )
    items: Mapped[list[RubricItem]] = relationship(
        back_populates="rubric_version", order_by="RubricItem.position", viewonly=True
    )


class RubricDomain(Base):
    __tablename__ = "rubric_domain"
    __table_args__ = (
        UniqueConstraint("rubric_version_id", "key"),
        UniqueConstraint("rubric_version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]

    rubric_version: Mapped[RubricVersion] = relationship(back_populates="domains")
    items: Mapped[list[RubricItem]] = relationship(
        back_populates="domain", order_by="RubricItem.position"
    )


class RubricItem(Base):
    __tablename__ = "rubric_item"
    __table_args__ = (
        UniqueConstraint("rubric_version_id", "key"),
        UniqueConstraint("rubric_version_id", "position"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("NOT allow_not_applicable OR applicability <> ''", name="na_has_condition"),
        Index("ix_rubric_item_domain", "domain_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_version_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_version.id", ondelete="CASCADE")
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("rubric_domain.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Position across the whole version, so items sort the same everywhere.
    position: Mapped[int]
    phases: Mapped[list[str]] = mapped_column(JSONType)
    modality: Mapped[Modality] = mapped_column(enum_type(Modality, "modality"))
    allow_not_applicable: Mapped[bool]
    # When N/A is allowed: the condition under which it applies, for raters.
    applicability: Mapped[str] = mapped_column(Text, default="")
    safety_gate: Mapped[bool]
    weight: Mapped[float]
    anchors: Mapped[dict[str, Any]]
    harm_guidance: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    rubric_version: Mapped[RubricVersion] = relationship(back_populates="items", viewonly=True)
    domain: Mapped[RubricDomain] = relationship(back_populates="items")
