"""Programs and cohorts."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from app.db.models import Cohort, Membership, Program, User
from app.domain.vocabulary import Role
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.users import grant_role

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def create_program(
    session: Session, *, slug: str, name: str, description: str = "", actor: User | None = None
) -> Program:
    if not _SLUG.match(slug):
        raise InvalidInputError(f"slug: {slug!r} must be 2-64 lowercase letters, digits or hyphens")
    if session.scalar(select(Program.id).where(Program.slug == slug)) is not None:
        raise ConflictError(f"slug: a program {slug!r} already exists")
    if not name.strip():
        raise InvalidInputError("name: must not be empty")
    program = Program(slug=slug, name=name.strip(), description=description)
    session.add(program)
    session.flush()
    record_event(
        session, action="program.create", entity_type="program", entity_id=program.id,
        actor_id=actor.id if actor else None, program_id=program.id,
        payload={"slug": slug, "name": program.name},
    )  # fmt: skip
    return program


def create_cohort(
    session: Session,
    program: Program,
    *,
    name: str,
    start_date: date,
    end_date: date | None = None,
    actor: User | None = None,
) -> Cohort:
    if end_date is not None and end_date < start_date:
        raise InvalidInputError("end_date: must not be before start_date")
    exists = session.scalar(
        select(Cohort.id).where(Cohort.program_id == program.id, Cohort.name == name)
    )
    if exists is not None:
        raise ConflictError(f"name: cohort {name!r} already exists in {program.slug}")
    cohort = Cohort(program=program, name=name, start_date=start_date, end_date=end_date)
    session.add(cohort)
    session.flush()
    record_event(
        session, action="cohort.create", entity_type="cohort", entity_id=cohort.id,
        actor_id=actor.id if actor else None, program_id=program.id,
        payload={"name": name, "start_date": start_date.isoformat(),
                 "end_date": end_date.isoformat() if end_date else None},
    )  # fmt: skip
    return cohort


def programs_of(session: Session, user: User) -> list[tuple[Program, list[Role]]]:
    """The programs a user is an active member of, with the roles held in each."""
    rows = session.execute(
        select(Program, Membership.role)
        .join(Membership, Membership.program_id == Program.id)
        .where(Membership.user_id == user.id, Membership.active.is_(True))
        .order_by(Program.slug, Membership.role)
    ).all()
    grouped: dict[int, tuple[Program, list[Role]]] = {}
    for program, role in rows:
        grouped.setdefault(program.id, (program, []))[1].append(role)
    return list(grouped.values())


def update_program(
    session: Session,
    program: Program,
    actor: User,
    *,
    name: str | None = None,
    description: str | None = None,
    auto_release: bool | None = None,
    amendment_window_days: int | None = None,
    active: bool | None = None,
) -> Program:
    """Change what is given; the audit event holds the settings before and after."""
    fields = ("name", "description", "auto_release", "amendment_window_days", "active")
    before = {f: getattr(program, f) for f in fields}
    if name is not None:
        if not name.strip():
            raise InvalidInputError("name: must not be empty")
        program.name = name.strip()
    if description is not None:
        program.description = description
    if auto_release is not None:
        program.auto_release = auto_release
    if amendment_window_days is not None:
        if not 0 <= amendment_window_days <= 365:
            raise InvalidInputError("amendment_window_days: must be between 0 and 365")
        program.amendment_window_days = amendment_window_days
    if active is not None:
        program.active = active
    after = {f: getattr(program, f) for f in fields}
    changed = [f for f in fields if before[f] != after[f]]
    if changed:
        record_event(
            session, action="program.update", entity_type="program", entity_id=program.id,
            actor_id=actor.id, program_id=program.id,
            payload={"before": {f: before[f] for f in changed},
                     "after": {f: after[f] for f in changed}},
        )  # fmt: skip
    session.flush()
    return program


def cohorts_of(session: Session, program: Program) -> list[Cohort]:
    return list(
        session.scalars(
            select(Cohort).where(Cohort.program_id == program.id).order_by(Cohort.start_date)
        )
    )


def members_of(session: Session, program: Program) -> list[Membership]:
    """Every membership, with its user and cohort loaded: lists show them on every row."""
    return list(
        session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.program_id == program.id)
            .options(contains_eager(Membership.user), joinedload(Membership.cohort))
            .order_by(Membership.role, User.email)
        )
    )


def active_members_by_role(session: Session, program: Program) -> dict[Role, int]:
    """How many people hold each role here, counted without loading them."""
    counted = dict.fromkeys(Role, 0)
    for role, n in session.execute(
        select(Membership.role, func.count())
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.program_id == program.id,
            Membership.active.is_(True),
            User.active.is_(True),
        )
        .group_by(Membership.role)
    ):
        counted[role] = n
    return counted


def update_cohort(
    session: Session,
    program: Program,
    actor: User,
    cohort_id: int,
    *,
    name: str | None = None,
    end_date: date | None = None,
    active: bool | None = None,
) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.program_id != program.id:
        raise NotFoundError(f"cohort: no cohort {cohort_id} in {program.slug}")
    fields = ("name", "end_date", "active")
    before = {f: getattr(cohort, f) for f in fields}
    if name is not None and name != cohort.name:
        if not name.strip():
            raise InvalidInputError("name: must not be empty")
        taken = session.scalar(
            select(Cohort.id).where(Cohort.program_id == program.id, Cohort.name == name)
        )
        if taken is not None:
            raise ConflictError(f"name: cohort {name!r} already exists in {program.slug}")
        cohort.name = name
    if end_date is not None:
        if end_date < cohort.start_date:
            raise InvalidInputError("end_date: must not be before start_date")
        cohort.end_date = end_date
    if active is not None:
        cohort.active = active
    changed = [f for f in fields if before[f] != getattr(cohort, f)]
    if changed:
        record_event(
            session, action="cohort.update", entity_type="cohort", entity_id=cohort.id,
            actor_id=actor.id, program_id=program.id,
            payload={"before": {f: str(before[f]) for f in changed},
                     "after": {f: str(getattr(cohort, f)) for f in changed}},
        )  # fmt: skip
    session.flush()
    return cohort


def get_cohort(session: Session, program: Program, name: str) -> Cohort:
    cohort = session.scalar(
        select(Cohort).where(Cohort.program_id == program.id, Cohort.name == name)
    )
    if cohort is None:
        raise InvalidInputError(f"cohort: no cohort {name!r} in {program.slug}")
    return cohort


def _membership(session: Session, program: Program, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.program_id != program.id:
        raise NotFoundError(f"membership: no membership {membership_id} in {program.slug}")
    return membership


def _switch(
    session: Session, program: Program, membership: Membership, actor: User, *, active: bool
) -> Membership:
    membership.active = active
    record_event(
        session, action="membership.reactivate" if active else "membership.deactivate",
        entity_type="membership", entity_id=membership.id, actor_id=actor.id,
        program_id=program.id,
        payload={"user_id": membership.user_id, "role": membership.role.value},
    )  # fmt: skip
    session.flush()
    return membership


def deactivate_membership(
    session: Session, program: Program, membership_id: int, actor: User
) -> Membership:
    membership = _membership(session, program, membership_id)
    if membership.user_id == actor.id and membership.role is Role.admin:
        raise InvalidInputError("membership: an admin cannot remove their own admin role")
    return _switch(session, program, membership, actor, active=False)


def reactivate_membership(
    session: Session,
    program: Program,
    membership_id: int,
    actor: User,
    cohort: Cohort | None = None,
) -> Membership:
    """Give a deactivated role back (a trainee may join a cohort again at the same time).

    Deactivating keeps the membership and its history, so undoing it restores the same
    row rather than refusing it as a duplicate.
    """
    membership = _membership(session, program, membership_id)
    if membership.active:
        raise ConflictError(
            f"role: {membership.user.email} is already {membership.role.value} in {program.slug}"
        )
    if cohort is not None and (
        membership.role is not Role.trainee or cohort.program_id != program.id
    ):
        raise InvalidInputError("cohort: only a trainee of the same program joins a cohort")
    if cohort is not None:
        membership.cohort = cohort
    return _switch(session, program, membership, actor, active=True)


def add_role(
    session: Session, program: Program, user: User, role: Role, cohort: Cohort | None, actor: User
) -> Membership:
    """Give an existing account a role in the program (no invitation needed); a role it
    held before and lost is given back."""
    held = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.program_id == program.id,
            Membership.role == role,
            Membership.active.is_(False),
        )
    )
    if held is not None:
        return reactivate_membership(session, program, held.id, actor, cohort)
    membership = grant_role(session, user, program, role, cohort)
    record_event(
        session, action="membership.grant", entity_type="membership", entity_id=membership.id,
        actor_id=actor.id, program_id=program.id,
        payload={"user_id": user.id, "role": role.value},
    )  # fmt: skip
    return membership
