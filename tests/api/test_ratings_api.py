"""A rater's draft and submission: validation by item key, idempotent replay, 409s."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Rating
from tests.api.conftest import World

SESSIONS = "/api/v1/programs/alpha/sessions"
# Preparation items of the flagship rubric: A (all phases), B, E1, E2, F.
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


@pytest.fixture
def assignment_url(client: TestClient, world: World) -> str:
    body = {
        "trainee_email": "trainee@example.org", "phase": "preparation",
        "session_date": "2026-10-01", "duration_seconds": 3600,
        "recording": "https://media.example.org/s1.mp4",
    }  # fmt: skip
    created = client.post(SESSIONS, json=body, headers=world.headers("admin"))
    session_id = created.json()["id"]
    assigned = client.post(f"{SESSIONS}/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"},
                           headers=world.headers("admin"))  # fmt: skip
    assert assigned.status_code == 201, assigned.text
    return f"/api/v1/programs/alpha/assignments/{assigned.json()['id']}/rating"


def _scores(keys: list[str], score: int = 4) -> list[dict[str, Any]]:
    return [{"item_key": k, "score": score} for k in keys]


def test_draft_then_submit_then_replay(
    client: TestClient, db_session: Session, world: World, assignment_url: str
) -> None:
    rater = world.headers("trainer")
    draft = client.put(assignment_url, json={"scores": _scores(PREPARATION[:3])}, headers=rater)
    assert draft.status_code == 200, draft.text
    assert draft.json()["status"] == "draft"
    version = draft.json()["version"]

    early = client.post(
        f"{assignment_url}/submit", headers={**rater, "Idempotency-Key": "k-000001"}
    )
    assert early.status_code == 422
    assert "scores[A4]" in early.json()["message"], "missing required items are named"

    full = {"scores": _scores(PREPARATION), "overall_comment": "Solid.", "version": version}
    assert client.put(assignment_url, json=full, headers=rater).status_code == 200
    key = {**rater, "Idempotency-Key": "submit-0001"}
    first = client.post(f"{assignment_url}/submit", headers=key)
    assert first.status_code == 200, first.text
    again = client.post(f"{assignment_url}/submit", headers=key)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert db_session.scalar(select(func.count()).select_from(Rating)) == 1
    assert db_session.scalars(select(AuditEvent.action)).all().count("rating.submit") == 1

    other_key = client.post(
        f"{assignment_url}/submit", headers={**rater, "Idempotency-Key": "another-1"}
    )
    assert other_key.status_code == 409
    edit = client.put(assignment_url, json=full, headers=rater)
    assert edit.status_code == 409
    assert "amendment" in edit.json()["message"]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"item_key": "A1", "score": 9}, "scores[A1].score: A1: score 9 is outside the scale 0..6"),
        ({"item_key": "Z9", "score": 3}, "Z9"),
        ({"item_key": "C1", "score": 3}, "C1 does not apply"),
        ({"item_key": "A1", "not_applicable": True}, "scores[A1]"),
        ({"item_key": "B5", "score": 1, "harm_flag": True}, "scores[B5].harm_note"),
        ({"item_key": "A1", "score": 3, "evidence": [{"timestamp_seconds": 4000, "note": "x"}]},
         "scores[A1].evidence[0]"),
    ],
)  # fmt: skip
def test_invalid_scores_name_the_item(
    client: TestClient, world: World, assignment_url: str, entry: dict[str, Any], fragment: str
) -> None:
    response = client.put(
        assignment_url, json={"scores": [entry]}, headers=world.headers("trainer")
    )
    assert response.status_code == 422, response.text
    assert fragment in response.json()["message"]


def test_stale_version_is_a_409(client: TestClient, world: World, assignment_url: str) -> None:
    rater = world.headers("trainer")
    first = client.put(assignment_url, json={"scores": _scores(["A1"])}, headers=rater).json()
    client.put(assignment_url, json={"scores": _scores(["A2"]), "version": first["version"]},
               headers=rater)  # fmt: skip
    stale = client.put(
        assignment_url, json={"scores": _scores(["A3"]), "version": first["version"]},
        headers=rater,
    )  # fmt: skip
    assert stale.status_code == 409
    assert "reload" in stale.json()["message"]


def test_only_the_assigned_rater(client: TestClient, world: World, assignment_url: str) -> None:
    for actor in ("admin", "trainee", "other_trainee", "other_admin"):
        response = client.put(assignment_url, json={"scores": []}, headers=world.headers(actor))
        assert response.status_code == 404, actor
    assert client.put(assignment_url, json={"scores": []}).status_code == 401


def test_submit_with_the_rating_in_the_body(
    client: TestClient, db_session: Session, world: World, assignment_url: str
) -> None:
    rater = world.headers("trainer")
    key = {**rater, "Idempotency-Key": "one-trip-01"}
    partial = {"scores": _scores(PREPARATION[:5])}
    refused = client.post(f"{assignment_url}/submit", json=partial, headers=key)
    assert refused.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(Rating)) == 0, "nothing half-saved"

    full = {"scores": _scores(PREPARATION, 5), "overall_comment": "In one go."}
    first = client.post(f"{assignment_url}/submit", json=full, headers=key)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "submitted"
    assert {s["score"] for s in first.json()["scores"]} == {5}
    replay = client.post(f"{assignment_url}/submit", json=full, headers=key)
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert db_session.scalar(select(func.count()).select_from(Rating)) == 1


def test_the_submission_answers_what_a_read_shows(
    client: TestClient, db_session: Session, world: World, assignment_url: str
) -> None:
    """The answer is built from what was written, so it must equal the stored rating: items
    in rubric order, evidence by time, the draft's leftovers gone."""
    rater = world.headers("trainer")
    draft = {
        "scores": [
            {"item_key": "A1", "score": 2,
             "evidence": [{"timestamp_seconds": 5, "note": "draft note, replaced"}]},
            {"item_key": "B2", "score": 1},
        ],
        "overall_comment": "draft",
    }  # fmt: skip
    saved = client.put(assignment_url, json=draft, headers=rater)
    assert saved.status_code == 200, saved.text
    final = [
        {"item_key": k, "score": 3 + i % 3,
         "evidence": [{"timestamp_seconds": 900 - 300 * n, "note": f"{k} at {900 - 300 * n}"}
                      for n in range(3)] if k in ("B3", "A2") else []}
        for i, k in enumerate(reversed(PREPARATION))
    ]  # fmt: skip
    body = {"scores": final, "overall_comment": "Final word.", "version": saved.json()["version"]}
    answer = client.post(
        f"{assignment_url}/submit", json=body, headers={**rater, "Idempotency-Key": "shown-01"}
    )
    assert answer.status_code == 200, answer.text
    read = client.get(assignment_url, headers=rater)
    assert answer.json() == read.json()
    shown = answer.json()
    assert [s["item_key"] for s in shown["scores"]] == PREPARATION
    b3 = next(s for s in shown["scores"] if s["item_key"] == "B3")
    assert [e["timestamp_seconds"] for e in b3["evidence"]] == [300, 600, 900]
    assert all("draft" not in e["note"] for s in shown["scores"] for e in s["evidence"])
    assert shown["overall_comment"] == "Final word."
    assert shown["version"] > saved.json()["version"]


def test_a_stale_version_in_the_submission_writes_nothing(
    client: TestClient, db_session: Session, world: World, assignment_url: str
) -> None:
    rater = world.headers("trainer")
    first = client.put(assignment_url, json={"scores": _scores(["A1"])}, headers=rater).json()
    second = client.put(
        assignment_url, json={"scores": _scores(["A2"]), "version": first["version"]},
        headers=rater,
    ).json()  # fmt: skip
    stale = {"scores": _scores(PREPARATION), "version": first["version"]}
    refused = client.post(
        f"{assignment_url}/submit", json=stale, headers={**rater, "Idempotency-Key": "stale-01"}
    )
    assert refused.status_code == 409
    assert "reload" in refused.json()["message"]
    kept = client.get(assignment_url, headers=rater).json()
    assert (kept["status"], kept["version"]) == ("draft", second["version"])
    assert [s["item_key"] for s in kept["scores"]] == ["A2"]
    assert db_session.scalars(select(AuditEvent.action)).all().count("rating.submit") == 0
