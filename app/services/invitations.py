"""Inviting users with a one-time password-set token (no e-mail server needed: the CLI or
the admin hands the link over)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import AuthToken, Cohort, Membership, PasswordSetToken, Program, User
from app.domain.vocabulary import Role
from app.services.audit import record_event
from app.services.auth import token_digest
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.passwords import hash_password
from app.services.users import check_password_strength, create_user, grant_role

INVITATION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    user: User
    token: str
    expires_at: datetime


def issue_password_set_token(
    session: Session, user: User, now: datetime | None = None
) -> Invitation:
    """A fresh one-time token; any earlier unused one for the user stops working."""
    now = now or utcnow()
    session.execute(
        update(PasswordSetToken)
        .where(PasswordSetToken.user_id == user.id, PasswordSetToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    expires_at = now + INVITATION_LIFETIME
    session.add(
        PasswordSetToken(user_id=user.id, token_hash=token_digest(raw), created_at=now,
                         expires_at=expires_at)
    )  # fmt: skip
    session.flush()
    return Invitation(user, raw, expires_at)


def invite_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    program: Program,
    role: Role,
    cohort: Cohort | None = None,
    invited_by: User | None = None,
) -> Invitation:
    user = create_user(session, email=email, full_name=full_name)
    grant_role(session, user, program, role, cohort)
    record_event(
        session, action="user.invite", entity_type="user", entity_id=user.id,
        actor_id=invited_by.id if invited_by else None, program_id=program.id,
        payload={"email": user.email, "role": role.value},
    )  # fmt: skip
    return issue_password_set_token(session, user)


def renew_invitation(
    session: Session, program: Program, actor: User, membership_id: int
) -> Invitation:
    """A new one-time link for a member who never chose a password (the first link was
    lost, or expired); the earlier link stops working.

    An account with a password is refused: whoever held such a link could take it over,
    and its owner signs in (or changes the password) themselves.
    """
    membership = session.get(Membership, membership_id)
    if membership is None or membership.program_id != program.id or not membership.active:
        raise NotFoundError(f"member: no active member {membership_id} in {program.slug}")
    user = membership.user
    if not user.active:
        raise ConflictError(f"member: the account of {user.email} is closed")
    if user.password_hash is not None:
        raise ConflictError(
            f"member: {user.email} has chosen a password already; they sign in with it"
        )
    invitation = issue_password_set_token(session, user)
    record_event(
        session, action="user.reinvite", entity_type="user", entity_id=user.id,
        actor_id=actor.id, program_id=program.id, payload={"email": user.email},
    )  # fmt: skip
    return invitation


def set_password_with_token(
    session: Session, raw: str, new_password: str, now: datetime | None = None
) -> User:
    """Spend a one-time token; the same message for unknown, used and expired tokens."""
    now = now or utcnow()
    token = session.scalar(
        select(PasswordSetToken).where(PasswordSetToken.token_hash == token_digest(raw))
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise InvalidInputError("token: invalid, used or expired; ask for a new link")
    check_password_strength(new_password)
    user = session.get(User, token.user_id)
    assert user is not None  # the foreign key guarantees it
    if not user.active:
        raise InvalidInputError("token: invalid, used or expired; ask for a new link")
    token.used_at = now
    user.password_hash = hash_password(new_password)
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record_event(session, action="user.password_set", entity_type="user", entity_id=user.id,
                 actor_id=user.id)  # fmt: skip
    session.flush()
    return user
