"""Programs and cohorts."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Cohort, Program
from app.services.errors import ConflictError, InvalidInputError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def create_program(session: Session, *, slug: str, name: str, description: str = "") -> Program:
    if not _SLUG.match(slug):
        raise InvalidInputError(f"slug: {slug!r} must be 2-64 lowercase letters, digits or hyphens")
    if session.scalar(select(Program.id).where(Program.slug == slug)) is not None:
        raise ConflictError(f"slug: a program {slug!r} already exists")
    program = Program(slug=slug, name=name.strip(), description=description)
    session.add(program)
    session.flush()
    return program


def create_cohort(
    session: Session,
    program: Program,
    *,
    name: str,
    start_date: date,
    end_date: date | None = None,
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
    return cohort
