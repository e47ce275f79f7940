"""Accounts and roles through the service layer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.domain.vocabulary import Role
from app.services.errors import ConflictError, InvalidInputError
from app.services.passwords import verify_password
from app.services.programs import create_cohort, create_program
from app.services.users import create_user, grant_role


def test_create_user_normalises_email_and_hashes_password(db_session: Session) -> None:
    user = create_user(
        db_session, email="  Ada@Example.ORG ", full_name="Ada", password="correct horse battery"
    )
    assert user.email == "ada@example.org"
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password("correct horse battery", user.password_hash)
    assert not verify_password("wrong password!!", user.password_hash)


def test_invited_user_has_no_password(db_session: Session) -> None:
    assert create_user(db_session, email="b@example.org", full_name="B").password_hash is None


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "X", None, "email"),
        ("x@example.org", "   ", None, "full_name"),
        ("x@example.org", "X", "short", "password"),
    ],
)
def test_bad_input_names_the_field(
    db_session: Session, email: str, name: str, password: str | None, field: str
) -> None:
    with pytest.raises(InvalidInputError, match=rf"^{field}:"):
        create_user(db_session, email=email, full_name=name, password=password)


def test_duplicate_email_is_a_conflict(db_session: Session) -> None:
    create_user(db_session, email="c@example.org", full_name="C")
    with pytest.raises(ConflictError, match="already exists"):
        create_user(db_session, email="C@example.org", full_name="C again")


def test_roles_per_program(db_session: Session) -> None:
    program = create_program(db_session, slug="prog", name="Prog")
    cohort = create_cohort(db_session, program, name="2026", start_date=date(2026, 1, 1))
    user = create_user(db_session, email="d@example.org", full_name="D")
    grant_role(db_session, user, program, Role.trainer)
    grant_role(db_session, user, program, Role.trainee, cohort)
    assert sorted(m.role.value for m in user.memberships) == ["trainee", "trainer"]
    with pytest.raises(ConflictError):
        grant_role(db_session, user, program, Role.trainer)
    with pytest.raises(InvalidInputError, match=r"^cohort:"):
        grant_role(db_session, user, program, Role.admin, cohort)


def test_program_slug_rules(db_session: Session) -> None:
    with pytest.raises(InvalidInputError, match=r"^slug:"):
        create_program(db_session, slug="Bad Slug", name="x")
    create_program(db_session, slug="ok-slug", name="x")
    with pytest.raises(ConflictError, match=r"^slug:"):
        create_program(db_session, slug="ok-slug", name="y")
