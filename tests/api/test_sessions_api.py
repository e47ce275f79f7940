"""Registering recorded sessions: validation, identifiers refused, who sees which session."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Assignment, AuditEvent, Rating, RecordedSession, User
from tests.api.conftest import World

BASE = "/api/v1/programs/alpha/sessions"


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "trainee_email": "trainee@example.org",
        "phase": "integration",
        "session_date": "2026-10-01",
        "duration_seconds": 3300,
        "recording": "cohort-2026/trainee/integration-01.mp4",
        "modalities": ["cbt", "met"],
        "focus_tags": ["substance use"],
        "notes": "Second integration session; PHQ-9 = 14, 25 mg dose discussed at 10:30.",
    }
    return body | changes


def _register(client: TestClient, world: World, **changes: Any) -> dict[str, Any]:
    response = client.post(BASE, json=_body(**changes), headers=world.headers("admin"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_register_pins_the_current_rubric_version(
    client: TestClient, db_session: Session, world: World
) -> None:
    created = _register(client, world)
    assert (created["rubric"], created["rubric_version"]) == ("pat-competency", "1.0.0")
    assert created["modalities"] == ["cbt", "met"]
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "session.register" in actions


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"notes": "Call her on +44 20 7946 0958 after"}, "notes: looks like it contains a phone"),
        ({"notes": "client jane.doe@example.org"}, "notes: looks like it contains an e-mail"),
        ({"notes": "DOB 12/03/1985"}, "notes: looks like it contains a date of birth"),
        ({"recording": "../../etc/passwd"}, "recording: a local recording is a relative path"),
        ({"recording": "/var/media/x.mp4"}, "recording: a local recording is a relative path"),
        ({"recording": "file:///x.mp4"}, "recording: use an http(s) URL"),
        ({"trainee_email": "trainer@example.org"}, "trainee_email: no active trainee"),
        ({"phase": "dosing"}, "phase"),
        ({"modalities": ["hypnosis"]}, "modalities[0]"),
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"rubric": "nope"}, "rubric: no published version of 'nope'"),
        ({"patient_name": "x"}, "patient_name: Extra inputs are not permitted"),
    ],
)
def test_invalid_sessions_are_refused_naming_the_field(
    client: TestClient, db_session: Session, world: World, changes: dict[str, Any], message: str
) -> None:
    response = client.post(BASE, json=_body(**changes), headers=world.headers("admin"))
    assert response.status_code == 422, response.text
    assert message in response.json()["message"]
    assert "7946" not in response.text, "the identifier is never echoed back"
    assert db_session.scalars(select(RecordedSession)).all() == []


def test_who_sees_which_session(client: TestClient, world: World) -> None:
    mine = _register(client, world)
    theirs = _register(client, world, trainee_email="other_trainee@example.org")
    for actor, expected in (
        ("admin", {mine["id"], theirs["id"]}),
        ("trainer", {mine["id"], theirs["id"]}),
        ("trainee", {mine["id"]}),
        ("other_trainee", {theirs["id"]}),
    ):
        listed = client.get(BASE, headers=world.headers(actor))
        assert {s["id"] for s in listed.json()} == expected, actor
    hidden = client.get(f"{BASE}/{theirs['id']}", headers=world.headers("trainee"))
    assert hidden.status_code == 404
    assert client.get(f"{BASE}/{mine['id']}", headers=world.headers("trainee")).status_code == 200
    foreign = client.get(f"{BASE}/{mine['id']}", headers=world.headers("other_admin"))
    assert foreign.status_code == 404
    assert client.post(BASE, json=_body(), headers=world.headers("trainer")).status_code == 404


def test_repin_only_while_unrated(client: TestClient, db_session: Session, world: World) -> None:
    created = _register(client, world)
    url = f"{BASE}/{created['id']}/repin"
    admin = world.headers("admin")
    assert client.post(url, json={"version": "1.0.0"}, headers=admin).status_code == 200
    unknown = client.post(url, json={"version": "9.0.0"}, headers=admin)
    assert unknown.status_code == 422
    rater = db_session.scalars(select(User).where(User.email == "trainer@example.org")).one()
    assignment = Assignment(session_id=created["id"], rater_id=rater.id)
    db_session.add(assignment)
    db_session.flush()
    recorded = db_session.get(RecordedSession, created["id"])
    assert recorded is not None
    db_session.add(Rating(assignment=assignment, rubric_version_id=recorded.rubric_version_id))
    db_session.flush()
    rated = client.post(url, json={"version": "1.0.0"}, headers=admin)
    assert rated.status_code == 409
    assert "has ratings" in rated.json()["message"]


@pytest.mark.parametrize("bad_id", ["0", "99999999999999999999", "-1"])
def test_ids_out_of_range_are_a_422_not_a_database_error(
    client: TestClient, world: World, bad_id: str
) -> None:
    for url in (f"{BASE}/{bad_id}", f"/api/v1/programs/alpha/assignments/{bad_id}/rating"):
        response = client.get(url, headers=world.headers("admin"))
        assert response.status_code == 422, (url, response.text)
        assert (
            "session_id" in response.json()["message"]
            or "assignment_id" in response.json()["message"]
        )
