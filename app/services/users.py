"""Accounts and their per-program roles."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Cohort, Membership, Program, User
from app.domain.vocabulary import Role
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.passwords import MIN_PASSWORD_LENGTH, hash_password

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInputError(f"email: {email!r} is not an e-mail address")
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")


def create_user(
    session: Session, *, email: str, full_name: str, password: str | None = None
) -> User:
    """Create an account; without a password it cannot log in until one is set."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"email: a user with {email} already exists")
    if not full_name.strip():
        raise InvalidInputError("full_name: must not be empty")
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    session.flush()
    return user


def get_program_by_slug(session: Session, slug: str) -> Program:
    program = session.scalar(select(Program).where(Program.slug == slug))
    if program is None:
        raise NotFoundError(f"program: no program with slug {slug!r}")
    return program


def grant_role(
    session: Session, user: User, program: Program, role: Role, cohort: Cohort | None = None
) -> Membership:
    if cohort is not None and (role is not Role.trainee or cohort.program_id != program.id):
        raise InvalidInputError("cohort: only a trainee of the same program joins a cohort")
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.program_id == program.id,
            Membership.role == role,
        )
    )
    if existing is not None:
        raise ConflictError(f"role: {user.email} is already {role.value} in {program.slug}")
    membership = Membership(user=user, program=program, role=role, cohort=cohort)
    session.add(membership)
    session.flush()
    return membership
