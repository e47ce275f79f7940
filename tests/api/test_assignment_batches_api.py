"""Declared conflicts, balanced automatic assignment and withdrawal, through the API."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Assignment, AuditEvent
from app.domain.vocabulary import Role
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD, World

BASE = "/api/v1/programs/alpha"
TRAINERS = [f"t{i}@example.org" for i in range(1, 5)]


@pytest.fixture
def trainers(db_session: Session, world: World) -> list[str]:
    alpha = get_program_by_slug(db_session, "alpha")
    for email in TRAINERS:
        user = create_user(db_session, email=email, full_name=email, password=PASSWORD)
        grant_role(db_session, user, alpha, Role.trainer)
    return TRAINERS


def _sessions(client: TestClient, world: World, n: int, trainee: str = "trainee") -> list[int]:
    ids = []
    for day in range(1, n + 1):
        body = {"trainee_email": f"{trainee}@example.org", "phase": "preparation",
                "session_date": f"2026-10-{day:02d}", "duration_seconds": 3000,
                "recording": f"https://media.example.org/{trainee}-{day}.mp4"}  # fmt: skip
        created = client.post(f"{BASE}/sessions", json=body, headers=world.headers("admin"))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


def test_conflicts_are_declared_listed_and_removed(
    client: TestClient, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    body = {"rater_email": "t1@example.org", "trainee_email": "trainee@example.org",
            "reason": "Clinical supervisor of this trainee"}  # fmt: skip
    created = client.post(f"{BASE}/conflicts", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["rater_email"] == "t1@example.org"
    assert client.post(f"{BASE}/conflicts", json=body, headers=admin).status_code == 409
    listed = client.get(f"{BASE}/conflicts", headers=admin).json()
    assert [c["reason"] for c in listed] == ["Clinical supervisor of this trainee"]

    session_id = _sessions(client, world, 1)[0]
    refused = client.post(f"{BASE}/sessions/{session_id}/assignments",
                          json={"rater_email": "t1@example.org"}, headers=admin)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("rater_email: t1@example.org has a declared")

    conflict_id = created.json()["id"]
    for actor in ("trainer", "trainee", "other_admin"):
        headers = world.headers(actor)
        assert client.get(f"{BASE}/conflicts", headers=headers).status_code == 404
        assert client.delete(f"{BASE}/conflicts/{conflict_id}", headers=headers).status_code == 404
    assert client.delete(f"{BASE}/conflicts/{conflict_id}", headers=admin).status_code == 204
    assert client.delete(f"{BASE}/conflicts/{conflict_id}", headers=admin).status_code == 404
    allowed = client.post(f"{BASE}/sessions/{session_id}/assignments",
                          json={"rater_email": "t1@example.org"}, headers=admin)  # fmt: skip
    assert allowed.status_code == 201


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"rater_email": "trainee@example.org", "trainee_email": "trainee@example.org",
          "reason": "x"}, "rater_email: no active trainer"),
        ({"rater_email": "t1@example.org", "trainee_email": "t2@example.org", "reason": "x"},
         "trainee_email: no active trainee"),
        ({"rater_email": "t1@example.org", "trainee_email": "trainee@example.org",
          "reason": "patient jane@example.com"}, "reason: looks like it contains an e-mail"),
        ({"rater_email": "t1@example.org", "trainee_email": "trainee@example.org",
          "reason": "   "}, "reason: say why"),
    ],
)  # fmt: skip
def test_bad_conflicts_name_the_field(
    client: TestClient, world: World, trainers: list[str], body: dict[str, str], fragment: str
) -> None:
    response = client.post(f"{BASE}/conflicts", json=body, headers=world.headers("admin"))
    assert response.status_code == 422
    assert fragment in response.json()["message"]
    assert "jane@" not in response.json()["message"]


def test_auto_assign_balances_and_respects_conflicts(
    client: TestClient, db_session: Session, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    client.post(f"{BASE}/conflicts", headers=admin,
                json={"rater_email": "t1@example.org", "trainee_email": "trainee@example.org",
                      "reason": "Supervises this trainee"})  # fmt: skip
    mine = _sessions(client, world, 6)
    others = _sessions(client, world, 6, trainee="other_trainee")
    # One session already has a rater: it is topped up, not given two more.
    client.post(f"{BASE}/sessions/{others[0]}/assignments",
                json={"rater_email": "t4@example.org"}, headers=admin)  # fmt: skip
    response = client.post(
        f"{BASE}/assignments/auto", headers=admin,
        json={"session_ids": mine + others, "raters_per_session": 2, "due_date": "2026-12-01",
              "seed": 7},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    created = response.json()
    assert len(created) == 12 * 2 - 1
    rows = db_session.scalars(
        select(Assignment).where(Assignment.session_id.in_(mine + others))
    ).all()
    per_session = Counter(a.session_id for a in rows)
    assert set(per_session.values()) == {2}
    emails = {a.id: a.rater.email for a in rows}
    t1 = [a for a in rows if emails[a.id] == "t1@example.org"]
    assert all(a.session_id not in mine for a in t1), "conflict respected"
    load = Counter(emails.values())
    assert set(load) == {*TRAINERS, "trainer@example.org"}, "trainers, not the admin"
    assert max(load.values()) - min(load.values()) <= 1
    assert all(a["due_date"] == "2026-12-01" for a in created)
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.create")
    ).all()
    assert len(events) == 24


def test_auto_assign_is_all_or_nothing(
    client: TestClient, db_session: Session, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    ids = _sessions(client, world, 3)
    for email in TRAINERS[:3]:
        client.post(f"{BASE}/conflicts", headers=admin,
                    json={"rater_email": email, "trainee_email": "trainee@example.org",
                          "reason": "Works beside this trainee"})  # fmt: skip
    response = client.post(
        f"{BASE}/assignments/auto", headers=admin,
        json={"session_ids": ids, "raters_per_session": 2,
              "rater_emails": TRAINERS},
    )  # fmt: skip
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("session_ids: session ")
    assert all(f"session {i} needs 2 more raters" in message for i in ids)
    assert db_session.scalars(select(Assignment)).all() == []


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"session_ids": [999999]}, 404, "session"),
        ({"session_ids": []}, 422, "session_ids"),
        ({"raters_per_session": 0}, 422, "raters_per_session"),
        ({"rater_emails": ["trainee@example.org"]}, 422, "rater_email"),
        ({"due_date": "2020-01-01"}, 422, "due_date"),
    ],
)
def test_auto_assign_refuses_bad_batches(
    client: TestClient,
    world: World,
    trainers: list[str],
    change: dict[str, object],
    status: int,
    fragment: str,
) -> None:
    ids = _sessions(client, world, 1)
    body = {"session_ids": ids, "raters_per_session": 1, **change}
    response = client.post(f"{BASE}/assignments/auto", json=body, headers=world.headers("admin"))
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]


def test_only_admins_assign_and_list(client: TestClient, world: World, trainers: list[str]) -> None:
    session_id = _sessions(client, world, 1)[0]
    body = {"session_ids": [session_id], "raters_per_session": 1}
    for actor, status in (("trainer", 404), ("trainee", 404), ("other_admin", 404),
                          ("anonymous", 401)):  # fmt: skip
        headers = world.headers(actor)
        assert client.post(f"{BASE}/assignments/auto", json=body,
                           headers=headers).status_code == status  # fmt: skip
        assert client.get(f"{BASE}/sessions/{session_id}/assignments",
                          headers=headers).status_code == status  # fmt: skip


def test_withdraw_and_reassign(
    client: TestClient, db_session: Session, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    session_id = _sessions(client, world, 1)[0]
    assigned = client.post(f"{BASE}/sessions/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    assignment_id = assigned.json()["id"]
    url = f"{BASE}/assignments/{assignment_id}/withdraw"
    assert client.post(url, headers=world.headers("trainer")).status_code == 404
    withdrawn = client.post(url, headers=admin)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    queue = client.get(f"{BASE}/queue", headers=world.headers("trainer")).json()
    assert queue == []
    rating = client.put(f"{BASE}/assignments/{assignment_id}/rating", json={"scores": []},
                        headers=world.headers("trainer"))  # fmt: skip
    assert rating.status_code == 404, "a withdrawn assignment cannot be rated"
    listed = client.get(f"{BASE}/sessions/{session_id}/assignments", headers=admin).json()
    assert [(a["rater_email"], a["status"]) for a in listed] == [
        ("trainer@example.org", "withdrawn")
    ]
    again = client.post(f"{BASE}/sessions/{session_id}/assignments",
                        json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    assert again.status_code == 201
    assert again.json()["id"] == assignment_id
    assert again.json()["status"] == "assigned"
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "assignment.withdraw" in actions
    assert "assignment.reinstate" in actions


def test_a_submitted_assignment_cannot_be_withdrawn(
    client: TestClient, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    session_id = _sessions(client, world, 1)[0]
    assigned = client.post(f"{BASE}/sessions/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    assignment_id = assigned.json()["id"]
    scores = [{"item_key": k, "score": 4} for k in PREPARATION]
    submitted = client.post(
        f"{BASE}/assignments/{assignment_id}/rating/submit", json={"scores": scores},
        headers={**world.headers("trainer"), "Idempotency-Key": "withdraw-late"},
    )  # fmt: skip
    assert submitted.status_code == 200, submitted.text
    late = client.post(f"{BASE}/assignments/{assignment_id}/withdraw", headers=admin)
    assert late.status_code == 409


def test_an_admin_who_rates_a_session_cannot_list_its_assignments(
    client: TestClient, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    session_id = _sessions(client, world, 1)[0]
    for email in ("admin@example.org", "trainer@example.org"):
        client.post(f"{BASE}/sessions/{session_id}/assignments",
                    json={"rater_email": email}, headers=admin)  # fmt: skip
    hidden = client.get(f"{BASE}/sessions/{session_id}/assignments", headers=admin)
    assert hidden.status_code == 404, "the admin would learn whether a peer has submitted"


PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


def test_a_session_whose_ratings_are_all_in_takes_no_new_raters(
    client: TestClient, world: World, trainers: list[str]
) -> None:
    admin = world.headers("admin")
    session_id = _sessions(client, world, 1)[0]
    assigned = client.post(f"{BASE}/sessions/{session_id}/assignments",
                           json={"rater_email": "trainer@example.org"}, headers=admin)  # fmt: skip
    scores = [{"item_key": k, "score": 4} for k in PREPARATION]
    client.post(f"{BASE}/assignments/{assigned.json()['id']}/rating/submit",
                json={"scores": scores},
                headers={**world.headers("trainer"), "Idempotency-Key": "all-in-1"})  # fmt: skip
    by_hand = client.post(f"{BASE}/sessions/{session_id}/assignments",
                          json={"rater_email": "t1@example.org"}, headers=admin)  # fmt: skip
    batch = client.post(f"{BASE}/assignments/auto", headers=admin,
                        json={"session_ids": [session_id], "raters_per_session": 2})  # fmt: skip
    expected = f"session: every rating of session {session_id} is in; it takes no new raters"
    for response in (by_hand, batch):
        assert response.status_code == 409
        assert response.json()["message"] == expected
