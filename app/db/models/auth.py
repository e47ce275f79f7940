"""Login tokens, one-time password-set tokens and the login attempts used for throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, utcnow
from app.db.models.people import User


class AuthToken(Base):
    """An opaque bearer token, stored only as its SHA-256 so a database leak grants nothing."""

    __tablename__ = "auth_token"
    __table_args__ = (Index("ix_auth_token_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class PasswordSetToken(Base):
    """The one-time link an invited user (or one who forgot a password) sets a password with."""

    __tablename__ = "password_set_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Every login attempt, by the e-mail typed (which may match no account) and client."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_time", "email", "attempted_at"),
        Index("ix_login_attempt_client_time", "client_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
