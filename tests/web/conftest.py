"""Pages under test: one cookie jar per actor on the same app, sessions built by services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.models import Assignment, RecordedSession
from app.domain.scoring import SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase
from app.services.assignments import assign_rater
from app.services.ratings import rubric_document
from app.services.sessions import SessionCreate, register_session
from app.services.users import get_program_by_slug
from tests.api.conftest import PASSWORD, World, second_trainer, world  # noqa: F401
from tests.support.rated import admin_of

SignIn = Callable[[str], TestClient]


def csrf(client: TestClient) -> str:
    """The CSRF token the site set for this browser (a GET of any page sets it)."""
    token = client.cookies.get("csrftoken")
    if token is None:
        client.get("/login")
        token = client.cookies.get("csrftoken")
    assert token, "the sign-in page sets the CSRF cookie"
    return token


def post_form(client: TestClient, url: str, data: dict[str, str | list[str]]) -> object:
    return client.post(
        url,
        data={**data, "csrftoken": csrf(client)},
        follow_redirects=False,
        headers={"accept": "text/html"},
    )


@pytest.fixture
def sign_in(client: TestClient) -> SignIn:
    """A browser of its own for each actor, signed in through the sign-in form."""

    def browser(actor: str) -> TestClient:
        c = TestClient(client.app, base_url="https://testserver", headers={"accept": "text/html"})
        if actor == "anonymous":
            return c
        email = actor if "@" in actor else f"{actor}@example.org"
        response = c.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrftoken": csrf(c)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:500]
        return c

    return browser


@dataclass
class Scene:
    """A session of the trainee assigned to the trainer (and the second trainer)."""

    recorded: RecordedSession
    mine: Assignment
    theirs: Assignment | None
    keys: list[str]


def make_scene(
    db: Session,
    *,
    co_rater: bool,
    due: date | None = None,
    recording: str = "https://media.example.org/s1.mp4",
) -> Scene:
    program = get_program_by_slug(db, "alpha")
    admin = admin_of(db)
    recorded = register_session(
        db,
        program,
        admin,
        SessionCreate(
            trainee_email="trainee@example.org",
            phase=Phase.preparation,
            session_date=date(2026, 3, 2),
            duration_seconds=3600,
            recording=recording,
        ),
    )
    mine = assign_rater(db, program, admin, recorded.id, "trainer@example.org", due_date=due)
    theirs = (
        assign_rater(db, program, admin, recorded.id, "second@example.org") if co_rater else None
    )
    keys = applicable_item_keys(
        rubric_document(recorded.rubric_version),
        SessionContext(Phase.preparation, frozenset(), 3600),
    )
    db.flush()
    return Scene(recorded, mine, theirs, keys)
