"""Logging in and out with opaque bearer tokens, throttled and audited.

Login returns an outcome rather than raising, so that a failed attempt is still committed:
the throttle and the audit trail must remember it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import AuthToken, LoginAttempt, User
from app.domain.throttling import ACCOUNT, ACCOUNT_FROM_ADDRESS, ADDRESS, ThrottleRule, retry_after
from app.services.audit import record_event
from app.services.errors import InvalidInputError
from app.services.passwords import hash_password, verify_password
from app.services.users import check_password_strength

TOKEN_LIFETIME = timedelta(hours=12)
GENERIC_FAILURE = "incorrect email or password"


@lru_cache(maxsize=1)
def _absent_user_hash() -> str:
    # Verifying against a real hash when the account does not exist keeps both paths
    # equally slow, so timing does not tell whether an e-mail address has an account.
    return hash_password("not-a-real-password-0")


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    token: str | None = None
    expires_at: datetime | None = None
    retry_after_seconds: int = 0  # > 0: throttled, try again later

    @property
    def succeeded(self) -> bool:
        return self.token is not None


def _failures(session: Session, since: datetime, *conditions: object) -> list[datetime]:
    """Failed attempts in scope after its last success, oldest first."""
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.succeeded.is_(True),
            *conditions,  # type: ignore[arg-type]
        )
    )
    start = max(since, last_success) if last_success else since
    return list(
        session.scalars(
            select(LoginAttempt.attempted_at)
            .where(
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > start,
                *conditions,  # type: ignore[arg-type]
            )
            .order_by(LoginAttempt.attempted_at)
        )
    )


def _wait(session: Session, email: str, address: str, now: datetime) -> timedelta:
    scopes: list[tuple[ThrottleRule, tuple[object, ...]]] = [
        (
            ACCOUNT_FROM_ADDRESS,
            (LoginAttempt.email == email, LoginAttempt.client_address == address),
        ),
        (ACCOUNT, (LoginAttempt.email == email,)),
        (ADDRESS, (LoginAttempt.client_address == address,)),
    ]
    return max(
        retry_after(_failures(session, now - rule.window, *conds), now, rule)
        for rule, conds in scopes
    )


def login(
    session: Session, email: str, password: str, client_address: str, now: datetime | None = None
) -> LoginOutcome:
    now = now or utcnow()
    email = email.strip().lower()[:320]
    address = client_address[:64]
    wait = _wait(session, email, address, now)
    if wait > timedelta(0):
        return LoginOutcome(retry_after_seconds=max(1, int(wait.total_seconds() + 0.999)))

    user = session.scalar(select(User).where(User.email == email))
    if user is not None and user.password_hash is not None and user.active:
        ok = verify_password(password, user.password_hash)
    else:
        verify_password(password, _absent_user_hash())
        ok = False
    session.add(LoginAttempt(email=email, client_address=address, succeeded=ok, attempted_at=now))
    record_event(
        session,
        action="auth.login" if ok else "auth.login_failed",
        entity_type="user",
        entity_id=user.id if user is not None and ok else email,
        actor_id=user.id if user is not None and ok else None,
        payload={"client_address": address},
    )
    if not ok or user is None:
        session.flush()
        return LoginOutcome()
    raw = secrets.token_urlsafe(32)
    expires_at = now + TOKEN_LIFETIME
    session.add(
        AuthToken(user=user, token_hash=token_digest(raw), created_at=now, expires_at=expires_at)
    )
    session.flush()
    return LoginOutcome(user=user, token=raw, expires_at=expires_at)


# Built once: every authenticated request runs it, and building a statement costs more than
# looking its compiled form up.
_TOKEN_AND_USER = (
    select(AuthToken.revoked_at, AuthToken.expires_at, User)
    .join(User, User.id == AuthToken.user_id)
    .where(AuthToken.token_hash == bindparam("digest"))
)


def user_for_token(session: Session, raw: str, now: datetime | None = None) -> User | None:
    """The active user a live token belongs to; None for unknown, expired or revoked ones."""
    now = now or utcnow()
    # One query for the token's state and its user: every authenticated request runs this,
    # and loading the token row and then its user lazily cost two round trips through the ORM.
    row = session.execute(_TOKEN_AND_USER, {"digest": token_digest(raw)}).one_or_none()
    if row is None:
        return None
    revoked_at, expires_at, user = row
    if revoked_at is not None or expires_at <= now:
        return None
    return user if user.active else None


def logout(session: Session, raw: str) -> None:
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(raw)))
    if token is None or token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record_event(session, action="auth.logout", entity_type="user", entity_id=token.user_id,
                 actor_id=token.user_id)  # fmt: skip
    session.flush()


def change_password(
    session: Session, user: User, current: str, new: str, keep_token: str | None
) -> None:
    """Set a new password and revoke every other token of the user."""
    if user.password_hash is None or not verify_password(current, user.password_hash):
        raise InvalidInputError("current_password: incorrect")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    keep = token_digest(keep_token) if keep_token else ""
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None),
               AuthToken.token_hash != keep)
        .values(revoked_at=utcnow())
    )  # fmt: skip
    record_event(session, action="auth.password_changed", entity_type="user",
                 entity_id=user.id, actor_id=user.id)  # fmt: skip
    session.flush()
