"""Admins export their program's audit log as CSV; nobody else can."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.api.conftest import World

URL = "/api/v1/programs/alpha/audit.csv"


def test_admin_exports_the_programs_events(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    invited = client.post(
        "/api/v1/programs/alpha/members",
        json={"email": "x@example.org", "full_name": "=HYPERLINK(1)", "role": "trainer"},
        headers=admin,
    )
    assert invited.status_code == 201
    response = client.get(URL, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in rows] == ["program.create", "cohort.create", "user.invite"]
    assert rows[-1]["payload"].startswith('{"email": "x@example.org"')
    assert len(rows[-1]["hash"]) == 64

    filtered = client.get(URL, params={"action": "session.register"}, headers=admin)
    assert list(csv.DictReader(io.StringIO(filtered.text))) == []
    naive = client.get(URL, params={"since": "2000-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(naive.text)))) == 3


def test_only_the_programs_admins(client: TestClient, world: World) -> None:
    for actor in ("trainer", "trainee", "other_admin"):
        assert client.get(URL, headers=world.headers(actor)).status_code == 404, actor
    assert client.get(URL).status_code == 401


def test_events_of_a_session_the_admin_still_rates_are_left_out(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin")
    base = "/api/v1/programs/alpha"
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/blind.mp4"}  # fmt: skip
    session_id = client.post(f"{base}/sessions", json=body, headers=admin).json()["id"]
    ids = {}
    for email in ("admin@example.org", "trainer@example.org"):
        created = client.post(f"{base}/sessions/{session_id}/assignments",
                              json={"rater_email": email}, headers=admin)  # fmt: skip
        ids[email] = created.json()["id"]
    keys = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
    submitted = client.post(
        f"{base}/assignments/{ids['trainer@example.org']}/rating/submit",
        json={"scores": [{"item_key": k, "score": 4} for k in keys]},
        headers={**world.headers("trainer"), "Idempotency-Key": "blind-audit-1"},
    )
    assert submitted.status_code == 200

    def actions() -> list[str]:
        rows = csv.DictReader(io.StringIO(client.get(URL, headers=admin).text))
        return [
            r["action"]
            for r in rows
            if f'"session_id": {session_id}' in r["payload"]
            or (r["entity_type"], r["entity_id"]) == ("recorded_session", str(session_id))
        ]

    # Only what the admin did themselves: not the trainer's start and submission.
    assert actions() == ["session.register", "assignment.create", "assignment.create"]
    withdraw = client.post(f"{base}/assignments/{ids['trainer@example.org']}/withdraw",
                           headers=admin)  # fmt: skip
    assert withdraw.status_code == 404, "a 409 'already submitted' would tell"
    client.post(
        f"{base}/assignments/{ids['admin@example.org']}/rating/submit",
        json={"scores": [{"item_key": k, "score": 3} for k in keys]},
        headers={**admin, "Idempotency-Key": "blind-audit-2"},
    )
    assert actions() == [
        "session.register", "assignment.create", "assignment.create",
        "rating.submit", "rating.submit",  # sent whole: one state change, one event
    ]  # fmt: skip
