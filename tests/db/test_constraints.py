"""The schema itself refuses impossible rows, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Cohort, Membership, Program, User
from app.domain.vocabulary import Role


def _expect_integrity_error(session: Session, build: Callable[[], object]) -> None:
    nested = session.begin_nested()
    session.add(build())
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


@pytest.fixture
def program(db_session: Session) -> Program:
    program = Program(slug="p1", name="Program one")
    db_session.add(program)
    db_session.flush()
    return program


def test_email_is_unique_and_lowercase(db_session: Session) -> None:
    db_session.add(User(email="a@example.org", full_name="A"))
    db_session.flush()
    _expect_integrity_error(db_session, lambda: User(email="a@example.org", full_name="B"))
    _expect_integrity_error(db_session, lambda: User(email="Upper@example.org", full_name="C"))


def test_one_membership_per_user_program_role(db_session: Session, program: Program) -> None:
    user = User(email="t@example.org", full_name="T")
    db_session.add_all([user, Membership(user=user, program=program, role=Role.trainer)])
    db_session.flush()
    db_session.add(Membership(user=user, program=program, role=Role.trainee))
    db_session.flush()  # a second, different role is fine
    _expect_integrity_error(
        db_session, lambda: Membership(user=user, program=program, role=Role.trainer)
    )


def test_only_trainees_join_cohorts(db_session: Session, program: Program) -> None:
    cohort = Cohort(program=program, name="C", start_date=date(2026, 1, 1))
    user = User(email="x@example.org", full_name="X")
    db_session.add_all([cohort, user])
    db_session.flush()
    _expect_integrity_error(
        db_session,
        lambda: Membership(user=user, program=program, role=Role.trainer, cohort=cohort),
    )


def test_cohort_dates_are_ordered(db_session: Session, program: Program) -> None:
    _expect_integrity_error(
        db_session,
        lambda: Cohort(
            program=program, name="C", start_date=date(2026, 5, 1), end_date=date(2026, 1, 1)
        ),
    )


def test_audit_chain_cannot_fork(db_session: Session) -> None:
    genesis = "0" * 64

    def event(hash_: str) -> AuditEvent:
        return AuditEvent(
            action="test", entity_type="x", entity_id="1", payload={}, prev_hash=genesis, hash=hash_
        )

    db_session.add(event("a" * 64))
    db_session.flush()
    # A second event claiming the same predecessor would be a fork in the chain.
    _expect_integrity_error(db_session, lambda: event("b" * 64))
