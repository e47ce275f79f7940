"""Amending submitted ratings: who may, within which window, and what the history shows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Amendment, AuditEvent
from tests.api.conftest import World

BASE = "/api/v1/programs/alpha"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


@pytest.fixture
def rating(client: TestClient, world: World) -> dict[str, Any]:
    admin = world.headers("admin")
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/a.mp4"}  # fmt: skip
    session_id = client.post(f"{BASE}/sessions", json=body, headers=admin).json()["id"]
    assigned = client.post(f"{BASE}/sessions/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    url = f"{BASE}/assignments/{assigned.json()['id']}/rating"
    scores = [{"item_key": k, "score": 4} for k in PREPARATION]
    submitted = client.post(
        f"{url}/submit", json={"scores": scores, "overall_comment": "Warm, attuned."},
        headers={**world.headers("trainer"), "Idempotency-Key": "amend-fixture"},
    )  # fmt: skip
    assert submitted.status_code == 200, submitted.text
    return {"url": url, "session_id": session_id, **submitted.json()}


def _amend(rating: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {"reason": "Re-watched 12:30-15:00", "version": rating["version"], **change}


def test_the_rater_amends_and_the_history_shows_before_and_after(
    client: TestClient, db_session: Session, world: World, rating: dict[str, Any]
) -> None:
    url = f"{BASE}/ratings/{rating['id']}/amendments"
    change = _amend(rating, scores=[{"item_key": "B5", "score": 2, "harm_flag": True,
                                     "harm_note": "Missed a safety check-in"}],
                    overall_comment="Warm, attuned; one safety lapse.")  # fmt: skip
    amended = client.post(url, json=change, headers=world.headers("trainer"))
    assert amended.status_code == 200, amended.text
    body = amended.json()
    b5 = next(s for s in body["scores"] if s["item_key"] == "B5")
    assert (b5["score"], b5["harm_flag"]) == (2, True)
    assert body["overall_comment"] == "Warm, attuned; one safety lapse."
    assert body["version"] > rating["version"]
    history = [(a["item_key"], a["field"], a["before"], a["after"]) for a in body["amendments"]]
    assert history == [
        ("B5", "score", 4, 2),
        ("B5", "harm_flag", False, True),
        ("B5", "harm_note", "", "Missed a safety check-in"),
        (None, "overall_comment", "Warm, attuned.", "Warm, attuned; one safety lapse."),
    ]
    assert {a["reason"] for a in body["amendments"]} == {"Re-watched 12:30-15:00"}
    assert {a["amended_by"] for a in body["amendments"]} == {"trainer"}
    assert client.get(rating["url"], headers=world.headers("trainer")).json() == body

    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "rating.amend")).one()
    assert event.payload["reason"] == "Re-watched 12:30-15:00"
    assert [c["field"] for c in event.payload["changes"]] == [
        "score",
        "harm_flag",
        "harm_note",
        "overall_comment",
    ]
    assert {"before": 4, "after": 2}.items() <= event.payload["changes"][0].items()

    client.post(f"{BASE}/sessions/{rating['session_id']}/release", headers=world.headers("admin"))
    seen = client.get(f"{BASE}/sessions/{rating['session_id']}/ratings",
                      headers=world.headers("trainee")).json()  # fmt: skip
    assert seen[0]["amendments"] == body["amendments"], "the trainee sees the history too"


def test_stale_version_and_concurrent_amendment_are_409(
    client: TestClient, world: World, rating: dict[str, Any]
) -> None:
    url = f"{BASE}/ratings/{rating['id']}/amendments"
    first = _amend(rating, scores=[{"item_key": "A1", "score": 5}])
    assert client.post(url, json=first, headers=world.headers("trainer")).status_code == 200
    second = _amend(rating, scores=[{"item_key": "A2", "score": 5}])
    stale = client.post(url, json=second, headers=world.headers("admin"))
    assert stale.status_code == 409
    assert stale.json()["message"].startswith("version:")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"scores": [{"item_key": "A1", "score": 9}]}, "scores[A1].score"),
        ({"scores": [{"item_key": "Z1", "score": 3}]}, "Z1"),
        ({"scores": [{"item_key": "B5", "harm_flag": True, "score": 1}]}, "scores[B5]"),
        ({"scores": [{"item_key": "A1", "score": 4}]}, "nothing changes"),
        ({"reason": "   ", "scores": [{"item_key": "A1", "score": 2}]}, "reason"),
        ({"reason": "call 555-123-4567", "scores": [{"item_key": "A1", "score": 2}]},
         "reason: looks like it contains a phone number"),
        ({"scores": [{"item_key": "A1", "score": 2}, {"item_key": "A1", "score": 3}]},
         "listed twice"),
    ],
)  # fmt: skip
def test_bad_amendments_name_the_field_and_change_nothing(
    client: TestClient,
    db_session: Session,
    world: World,
    rating: dict[str, Any],
    change: dict[str, Any],
    fragment: str,
) -> None:
    url = f"{BASE}/ratings/{rating['id']}/amendments"
    response = client.post(url, json=_amend(rating, **change), headers=world.headers("trainer"))
    assert response.status_code == 422, response.text
    assert fragment in response.json()["message"]
    assert "555-123" not in response.json()["message"]
    assert db_session.scalars(select(Amendment)).all() == []
    assert (
        client.get(rating["url"], headers=world.headers("trainer")).json()["version"]
        == (rating["version"])
    )


def test_who_may_amend(client: TestClient, world: World, rating: dict[str, Any]) -> None:
    url = f"{BASE}/ratings/{rating['id']}/amendments"
    change = _amend(rating, scores=[{"item_key": "A3", "score": 1}])
    for actor, status in (("trainee", 404), ("other_trainee", 404), ("other_admin", 404),
                          ("anonymous", 401)):  # fmt: skip
        assert client.post(url, json=change, headers=world.headers(actor)).status_code == status
    by_admin = client.post(url, json=change, headers=world.headers("admin"))
    assert by_admin.status_code == 200
    assert by_admin.json()["amendments"][0]["amended_by"] == "admin"


def test_the_window_closes_for_raters_not_for_admins(
    client: TestClient, world: World, rating: dict[str, Any]
) -> None:
    admin = world.headers("admin")
    settings = client.patch(BASE, json={"amendment_window_days": 0}, headers=admin)
    assert settings.json()["amendment_window_days"] == 0
    url = f"{BASE}/ratings/{rating['id']}/amendments"
    change = _amend(rating, scores=[{"item_key": "A3", "score": 1}])
    closed = client.post(url, json=change, headers=world.headers("trainer"))
    assert closed.status_code == 409
    assert "0-day amendment window closed" in closed.json()["message"]
    assert client.post(url, json=change, headers=admin).status_code == 200
    assert client.patch(BASE, json={"amendment_window_days": -1}, headers=admin).status_code == 422


def test_drafts_are_not_amended(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/d.mp4"}  # fmt: skip
    session_id = client.post(f"{BASE}/sessions", json=body, headers=admin).json()["id"]
    assigned = client.post(f"{BASE}/sessions/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    draft = client.put(f"{BASE}/assignments/{assigned.json()['id']}/rating",
                       json={"scores": [{"item_key": "A1", "score": 3}]},
                       headers=world.headers("trainer")).json()  # fmt: skip
    response = client.post(f"{BASE}/ratings/{draft['id']}/amendments",
                           json=_amend(draft, scores=[{"item_key": "A1", "score": 2}]),
                           headers=world.headers("trainer"))  # fmt: skip
    assert response.status_code == 404
