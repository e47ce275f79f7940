"""Assigning raters and reading one's own queue."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from tests.api.conftest import World

SESSIONS = "/api/v1/programs/alpha/sessions"


def _session(client: TestClient, world: World, when: str = "2026-10-01") -> int:
    body = {
        "trainee_email": "trainee@example.org", "phase": "preparation", "session_date": when,
        "duration_seconds": 3600, "recording": "https://media.example.org/s1.mp4",
    }  # fmt: skip
    response = client.post(SESSIONS, json=body, headers=world.headers("admin"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _assign(client: TestClient, world: World, session_id: int, **body: Any) -> Any:
    return client.post(
        f"{SESSIONS}/{session_id}/assignments", json=body, headers=world.headers("admin")
    )


def test_assign_and_queue(client: TestClient, db_session: Session, world: World) -> None:
    later, sooner = _session(client, world, "2026-10-01"), _session(client, world, "2026-09-01")
    created = _assign(client, world, later, rater_email="trainer@example.org",
                      due_date="2099-01-01")  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "assigned"
    assert _assign(client, world, sooner, rater_email="trainer@example.org",
                   due_date="2026-08-01").status_code == 422, "due before the session"  # fmt: skip
    assert _assign(client, world, sooner, rater_email="trainer@example.org",
                   due_date="2026-09-15").status_code == 201  # fmt: skip
    queue = client.get("/api/v1/programs/alpha/queue", headers=world.headers("trainer")).json()
    assert [q["session_id"] for q in queue] == [sooner, later], "soonest due first"
    assert [q["overdue"] for q in queue] == [True, False]
    assert client.get("/api/v1/programs/alpha/queue", headers=world.headers("admin")).json() == []
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert actions.count("assignment.create") == 2


@pytest.mark.parametrize(
    ("rater", "status", "message"),
    [
        ("trainee@example.org", 422, "no active trainer"),
        ("nobody@example.org", 422, "no active trainer"),
        ("other_admin@example.org", 422, "no active trainer"),
    ],
)
def test_who_may_be_assigned(
    client: TestClient, world: World, rater: str, status: int, message: str
) -> None:
    session_id = _session(client, world)
    response = _assign(client, world, session_id, rater_email=rater)
    assert response.status_code == status
    assert message in response.json()["message"]


def test_twice_is_a_conflict_and_strangers_see_nothing(client: TestClient, world: World) -> None:
    session_id = _session(client, world)
    assert _assign(client, world, session_id, rater_email="trainer@example.org").status_code == 201
    again = _assign(client, world, session_id, rater_email="trainer@example.org")
    assert again.status_code == 409
    for actor in ("trainer", "trainee", "other_admin"):
        response = client.post(
            f"{SESSIONS}/{session_id}/assignments",
            json={"rater_email": "admin@example.org"},
            headers=world.headers(actor),
        )
        assert response.status_code == 404, actor
    assert (
        client.get("/api/v1/programs/alpha/queue", headers=world.headers("trainee")).status_code
        == 404
    )
