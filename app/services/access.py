"""Who holds which roles where: the facts every access policy decides on."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from app.db.models import Membership, Program, User
from app.domain.vocabulary import Role

# Built once, as every request to a program's routes runs it.
_PROGRAM_AND_ROLES = (
    select(Program, Membership.role)
    .outerjoin(
        Membership,
        and_(
            Membership.program_id == Program.id,
            Membership.user_id == bindparam("user_id"),
            Membership.active.is_(True),
        ),
    )
    .where(Program.slug == bindparam("slug"))
)


def roles_in_program(
    session: Session, user: User, slug: str
) -> tuple[Program | None, frozenset[Role]]:
    """The program with this slug (if any) and the user's active roles in it.

    One query for both, since every request to a program's routes asks it first.
    """
    rows = session.execute(_PROGRAM_AND_ROLES, {"user_id": user.id, "slug": slug}).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(role for _, role in rows if role is not None)


def active_membership(
    session: Session, program: Program, email: str, roles: Collection[Role]
) -> Membership | None:
    """The first active membership, in one of ``roles``, of the active user with this e-mail."""
    return session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.program_id == program.id,
            Membership.role.in_(list(roles)),
            Membership.active.is_(True),
            User.active.is_(True),
            User.email == email.strip().lower(),
        )
        .order_by(Membership.id)
    ).first()


def active_membership_of(
    session: Session, program: Program, user_id: int, role: Role
) -> Membership | None:
    """The user's active membership in this role, if any (by id: the caller holds no e-mail)."""
    return session.scalar(
        select(Membership).where(
            Membership.program_id == program.id,
            Membership.user_id == user_id,
            Membership.role == role,
            Membership.active.is_(True),
        )
    )


@dataclass(frozen=True)
class Place:
    """One program and role a user may act in: what the pages offer to switch between."""

    program_slug: str
    program_name: str
    role: Role


_ROLE_ORDER = {Role.admin: 0, Role.trainer: 1, Role.trainee: 2}


def places_of(session: Session, user: User) -> list[Place]:
    """The user's active roles, programs by name, and in each the admin role first."""
    rows = session.execute(
        select(Program.slug, Program.name, Membership.role)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.user_id == user.id, Membership.active.is_(True))
        .distinct()
    ).all()
    places = [Place(slug, name, role) for slug, name, role in rows]
    return sorted(places, key=lambda p: (p.program_name, _ROLE_ORDER[p.role]))
