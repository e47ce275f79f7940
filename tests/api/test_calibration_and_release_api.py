"""Calibration keys (master ratings) and automatic release of feedback."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from app.domain.vocabulary import Role
from app.services.auth import login
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD, World

BASE = "/api/v1/programs/alpha"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


def _full(score: int, comment: str) -> dict[str, Any]:
    return {"scores": [{"item_key": k, "score": score} for k in PREPARATION],
            "overall_comment": comment}  # fmt: skip


@pytest.fixture
def session_with_two_raters(
    client: TestClient, db_session: Session, world: World
) -> dict[str, Any]:
    alpha = get_program_by_slug(db_session, "alpha")
    second = create_user(db_session, email="second@example.org", full_name="Second",
                         password=PASSWORD)  # fmt: skip
    grant_role(db_session, second, alpha, Role.trainer)
    key_admin = create_user(db_session, email="keyer@example.org", full_name="Keyer",
                            password=PASSWORD)  # fmt: skip
    grant_role(db_session, key_admin, alpha, Role.admin)
    for user, address in ((second, "10.0.1.1"), (key_admin, "10.0.1.2")):
        token = login(db_session, user.email, PASSWORD, address).token
        assert token is not None
        world.tokens[user.email.split("@")[0]] = token
    admin = world.headers("admin")
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/cal.mp4"}  # fmt: skip
    session_id = client.post(f"{BASE}/sessions", json=body, headers=admin).json()["id"]
    urls = {}
    for rater in ("trainer", "second"):
        assigned = client.post(
            f"{BASE}/sessions/{session_id}/assignments",
            json={"rater_email": f"{rater}@example.org"},
            headers=admin,
        )
        urls[rater] = f"{BASE}/assignments/{assigned.json()['id']}/rating"
    return {"id": session_id, "urls": urls}


def _submit(client: TestClient, world: World, url: str, actor: str, body: dict[str, Any]) -> None:
    response = client.post(
        f"{url}/submit",
        json=body,
        headers={**world.headers(actor), "Idempotency-Key": f"{actor}-key-1"},
    )
    assert response.status_code == 200, response.text


def _comments(client: TestClient, world: World, session_id: int, actor: str) -> object:
    response = client.get(f"{BASE}/sessions/{session_id}/ratings", headers=world.headers(actor))
    if response.status_code != 200:
        return response.status_code
    return sorted((r["overall_comment"], r["master"]) for r in response.json())


def test_master_rating_is_seen_only_after_ones_own_submission(
    client: TestClient, db_session: Session, world: World, session_with_two_raters: dict[str, Any]
) -> None:
    session_id, urls = session_with_two_raters["id"], session_with_two_raters["urls"]
    master_url = f"{BASE}/sessions/{session_id}/master-rating"
    for actor in ("trainer", "trainee", "other_admin"):
        denied = client.post(master_url, json=_full(3, "key"), headers=world.headers(actor))
        assert denied.status_code == 404, actor
    partial = client.post(master_url, json={"scores": [{"item_key": "A1", "score": 3}]},
                          headers=world.headers("keyer"))  # fmt: skip
    assert partial.status_code == 422, "a key is complete"
    keyed = client.post(master_url, json=_full(3, "key"), headers=world.headers("keyer"))
    assert keyed.status_code == 201, keyed.text
    assert keyed.json()["status"] == "submitted"
    again = client.post(master_url, json=_full(3, "key"), headers=world.headers("keyer"))
    assert again.status_code == 409

    assert _comments(client, world, session_id, "trainer") == 404
    assert _comments(client, world, session_id, "second") == 404
    client.put(urls["second"], json=_full(5, "second's"), headers=world.headers("second"))
    _submit(client, world, urls["trainer"], "trainer", _full(4, "trainer's"))
    assert _comments(client, world, session_id, "trainer") == [
        ("key", True),
        ("trainer's", False),
    ], "the key beside one's own, nothing of the peer's draft"
    assert _comments(client, world, session_id, "second") == 404

    queue = client.get(f"{BASE}/queue", headers=world.headers("keyer")).json()
    assert queue == [], "a master rating is not work in a queue"
    _submit(client, world, urls["second"], "second", _full(5, "second's"))
    everything = [("key", True), ("second's", False), ("trainer's", False)]
    assert _comments(client, world, session_id, "second") == everything
    assert _comments(client, world, session_id, "admin") == everything
    client.post(f"{BASE}/sessions/{session_id}/release", headers=world.headers("admin"))
    assert _comments(client, world, session_id, "trainee") == [
        ("second's", False),
        ("trainer's", False),
    ], "the trainee sees their raters, not the calibration key"
    listed = client.get(f"{BASE}/sessions/{session_id}/assignments", headers=world.headers("admin"))
    assert all(a["calibration"] for a in listed.json())
    assert (
        db_session.scalar(select(AuditEvent.id).where(AuditEvent.action == "rating.master"))
        is not None
    )


def test_a_rater_of_the_session_cannot_key_it(
    client: TestClient, world: World, session_with_two_raters: dict[str, Any]
) -> None:
    session_id = session_with_two_raters["id"]
    client.post(
        f"{BASE}/sessions/{session_id}/assignments",
        json={"rater_email": "keyer@example.org"},
        headers=world.headers("admin"),
    )
    refused = client.post(f"{BASE}/sessions/{session_id}/master-rating", json=_full(3, "k"),
                          headers=world.headers("keyer"))  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("master:")


def test_automatic_release_when_the_last_rating_is_in(
    client: TestClient, db_session: Session, world: World, session_with_two_raters: dict[str, Any]
) -> None:
    session_id, urls = session_with_two_raters["id"], session_with_two_raters["urls"]
    settings = client.patch(f"{BASE}", json={"auto_release": True},
                            headers=world.headers("admin"))  # fmt: skip
    assert settings.status_code == 200
    assert settings.json()["auto_release"] is True
    _submit(client, world, urls["trainer"], "trainer", _full(4, "trainer's"))
    assert _comments(client, world, session_id, "trainee") == 404
    _submit(client, world, urls["second"], "second", _full(5, "second's"))
    assert _comments(client, world, session_id, "trainee") == [
        ("second's", False),
        ("trainer's", False),
    ]
    release = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "session.release")
    ).one()
    assert release.payload == {"automatic": True}


def test_automatic_release_when_the_last_pending_assignment_is_withdrawn(
    client: TestClient, world: World, session_with_two_raters: dict[str, Any]
) -> None:
    session_id, urls = session_with_two_raters["id"], session_with_two_raters["urls"]
    admin = world.headers("admin")
    client.patch(f"{BASE}", json={"auto_release": True}, headers=admin)
    _submit(client, world, urls["trainer"], "trainer", _full(4, "trainer's"))
    listed = client.get(f"{BASE}/sessions/{session_id}/assignments", headers=admin).json()
    pending = next(a for a in listed if a["rater_email"] == "second@example.org")
    client.post(f"{BASE}/assignments/{pending['id']}/withdraw", headers=admin)
    assert _comments(client, world, session_id, "trainee") == [("trainer's", False)]


def test_manual_release_is_the_default(
    client: TestClient, world: World, session_with_two_raters: dict[str, Any]
) -> None:
    session_id, urls = session_with_two_raters["id"], session_with_two_raters["urls"]
    program = client.get(f"{BASE}", headers=world.headers("trainee")).json()
    assert program["auto_release"] is False
    _submit(client, world, urls["trainer"], "trainer", _full(4, "trainer's"))
    _submit(client, world, urls["second"], "second", _full(5, "second's"))
    assert _comments(client, world, session_id, "trainee") == 404
