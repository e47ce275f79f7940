"""Blind rating and feedback release, read as every actor at every step."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.vocabulary import Role
from app.services.auth import login
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD, World

BASE = "/api/v1/programs/alpha"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
READERS = ("admin", "trainer", "second", "trainee", "other_trainee", "other_admin")


def _full(score: int) -> dict[str, Any]:
    return {"scores": [{"item_key": k, "score": score} for k in PREPARATION],
            "overall_comment": f"all {score}"}  # fmt: skip


def test_nobody_sees_peers_before_their_own_submission(
    client: TestClient, db_session: Session, world: World
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    second = create_user(db_session, email="second@example.org", full_name="Second",
                         password=PASSWORD)  # fmt: skip
    grant_role(db_session, second, program, Role.trainer)
    token = login(db_session, second.email, PASSWORD, "10.0.0.99").token
    assert token is not None
    world.tokens["second"] = token

    admin = world.headers("admin")
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/s.mp4"}  # fmt: skip
    session_id = client.post(f"{BASE}/sessions", json=body, headers=admin).json()["id"]
    rating_urls = {}
    for rater in ("trainer", "second"):
        assigned = client.post(
            f"{BASE}/sessions/{session_id}/assignments",
            json={"rater_email": f"{rater}@example.org"},
            headers=admin,
        )
        rating_urls[rater] = f"{BASE}/assignments/{assigned.json()['id']}/rating"
    ratings_url = f"{BASE}/sessions/{session_id}/ratings"

    def visible() -> dict[str, Any]:
        seen = {}
        for reader in READERS:
            response = client.get(ratings_url, headers=world.headers(reader))
            seen[reader] = (
                sorted(r["overall_comment"] for r in response.json())
                if response.status_code == 200 else response.status_code
            )  # fmt: skip
        return seen

    # The first rater submits; the second has only a draft.
    client.put(rating_urls["trainer"], json=_full(5), headers=world.headers("trainer"))
    client.post(f"{rating_urls['trainer']}/submit",
                headers={**world.headers("trainer"), "Idempotency-Key": "t-submit-1"})  # fmt: skip
    client.put(rating_urls["second"], json=_full(2), headers=world.headers("second"))
    assert visible() == {
        "admin": ["all 5"],
        "trainer": ["all 5"],  # their own, and nothing of their peer's
        "second": 404,
        "trainee": 404,
        "other_trainee": 404,
        "other_admin": 404,
    }
    # An unreleased session stays hidden from its trainee even when complete.
    client.post(f"{rating_urls['second']}/submit",
                headers={**world.headers("second"), "Idempotency-Key": "s-submit-1"})  # fmt: skip
    both = ["all 2", "all 5"]
    assert visible() == {
        "admin": both,
        "trainer": both,
        "second": both,
        "trainee": 404,
        "other_trainee": 404,
        "other_admin": 404,
    }
    assert client.post(f"{BASE}/sessions/{session_id}/release",
                       headers=world.headers("trainer")).status_code == 404  # fmt: skip
    released = client.post(f"{BASE}/sessions/{session_id}/release", headers=admin)
    assert released.status_code == 200
    assert visible()["trainee"] == both
    assert visible()["other_trainee"] == 404


def test_release_needs_every_rating(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/s.mp4"}  # fmt: skip
    session_id = client.post(f"{BASE}/sessions", json=body, headers=admin).json()["id"]
    unassigned = client.post(f"{BASE}/sessions/{session_id}/release", headers=admin)
    assert unassigned.status_code == 409
    client.post(f"{BASE}/sessions/{session_id}/assignments",
                json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    pending = client.post(f"{BASE}/sessions/{session_id}/release", headers=admin)
    assert pending.status_code == 409
    assert "not every assigned rating" in pending.json()["message"]
