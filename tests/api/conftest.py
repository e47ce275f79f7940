"""A small world of actors for API access tests: two programs, every role, and strangers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.domain.vocabulary import Role
from app.services.auth import login
from app.services.programs import create_cohort, create_program
from app.services.rubric_library import load_rubrics
from app.services.users import create_user, get_program_by_slug, grant_role

PASSWORD = "a long enough password"
ACTORS = ("admin", "trainer", "trainee", "other_trainee", "other_admin", "anonymous")
FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"


@dataclass
class World:
    tokens: dict[str, str]
    trainee_membership: int

    def headers(self, actor: str) -> dict[str, str]:
        token = self.tokens.get(actor)
        return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def world(db_session: Session) -> World:
    load_rubrics(db_session, [FLAGSHIP])
    a = create_program(db_session, slug="alpha", name="Alpha")
    b = create_program(db_session, slug="beta", name="Beta")
    cohort = create_cohort(db_session, a, name="2026", start_date=date(2026, 1, 1))
    tokens: dict[str, str] = {}
    trainee_membership = 0
    for actor, program, role in (
        ("admin", a, Role.admin), ("trainer", a, Role.trainer),
        ("trainee", a, Role.trainee), ("other_trainee", a, Role.trainee),
        ("other_admin", b, Role.admin),
    ):  # fmt: skip
        user = create_user(db_session, email=f"{actor}@example.org", full_name=actor,
                           password=PASSWORD)  # fmt: skip
        membership = grant_role(db_session, user, program, role,
                                cohort if role is Role.trainee else None)  # fmt: skip
        if actor == "trainee":
            trainee_membership = membership.id
        outcome = login(db_session, user.email, PASSWORD, f"10.0.0.{len(tokens) + 1}")
        assert outcome.token is not None
        tokens[actor] = outcome.token
    return World(tokens, trainee_membership)


@pytest.fixture
def second_trainer(db_session: Session, world: World) -> None:
    user = create_user(db_session, email="second@example.org", full_name="Second",
                       password=PASSWORD)  # fmt: skip
    grant_role(db_session, user, get_program_by_slug(db_session, "alpha"), Role.trainer)
