"""Programs, cohorts, users and their per-program roles."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, utcnow
from app.db.models._columns import enum_type
from app.domain.vocabulary import Role


class Program(Base):
    __tablename__ = "program"
    __table_args__ = (
        CheckConstraint("amendment_window_days >= 0", name="amendment_window_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Whether a session's feedback reaches its trainee as soon as every rating is in, or only
    # when an admin releases it.
    auto_release: Mapped[bool] = mapped_column(default=False, server_default=false())
    # How long after submitting a rater may still amend their own rating; admins always may.
    amendment_window_days: Mapped[int] = mapped_column(default=14, server_default=text("14"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohorts: Mapped[list[Cohort]] = relationship(back_populates="program")


class Cohort(Base):
    __tablename__ = "cohort"
    __table_args__ = (
        UniqueConstraint("program_id", "name"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    program: Mapped[Program] = relationship(back_populates="cohorts")


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Null until an invited user sets a password through their one-time token.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Base):
    """A role a user holds in one program; a user may hold several."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "program_id", "role"),
        CheckConstraint("cohort_id IS NULL OR role = 'trainee'", name="cohort_only_for_trainees"),
        Index("ix_membership_program_role", "program_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    program: Mapped[Program] = relationship()
    cohort: Mapped[Cohort | None] = relationship()


class RaterConflict(Base):
    """A declared reason why a rater must not score a trainee (clinical supervision, say)."""

    __tablename__ = "rater_conflict"
    __table_args__ = (
        UniqueConstraint("program_id", "rater_id", "trainee_id"),
        CheckConstraint("rater_id <> trainee_id", name="distinct_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    trainee_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    declared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rater: Mapped[User] = relationship(foreign_keys=[rater_id])
    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id])
