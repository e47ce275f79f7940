"""Program administration through the API, and who may do what (an access matrix)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Membership
from tests.api.conftest import ACTORS, PASSWORD, World

# (method, path, body, actors allowed)
ROUTES: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("GET", "/api/v1/programs/alpha", None, {"admin", "trainer", "trainee", "other_trainee"}),
    ("PATCH", "/api/v1/programs/alpha", {"description": "x"}, {"admin"}),
    ("GET", "/api/v1/programs/alpha/cohorts", None, {"admin", "trainer"}),
    ("POST", "/api/v1/programs/alpha/cohorts", {"name": "new", "start_date": "2026-09-01"},
     {"admin"}),
    ("GET", "/api/v1/programs/alpha/members", None, {"admin"}),
    ("POST", "/api/v1/programs/alpha/members",
     {"email": "n@example.org", "full_name": "N", "role": "trainer"}, {"admin"}),
    ("POST", "/api/v1/programs/alpha/members/{trainee}/deactivate", None, {"admin"}),
    ("GET", "/api/v1/programs/nonexistent", None, set()),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
@pytest.mark.parametrize("actor", ACTORS)
def test_access_matrix(
    client: TestClient,
    world: World,
    actor: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: set[str],
) -> None:
    url = path.format(trainee=world.trainee_membership)
    response = client.request(method, url, json=body, headers=world.headers(actor))
    if actor in allowed:
        assert response.status_code in (200, 201), response.text
    elif actor == "anonymous":
        assert response.status_code == 401
    else:
        # Other programs' admins and under-privileged members learn nothing: 404, not 403.
        assert response.status_code == 404, response.text
        assert response.json() == {"message": f"program: no program {url.split('/')[4]!r}"}


def test_programs_list_shows_only_ones_own(client: TestClient, world: World) -> None:
    mine = client.get("/api/v1/programs", headers=world.headers("trainer")).json()
    assert [(p["slug"], p["roles"]) for p in mine] == [("alpha", ["trainer"])]
    other = client.get("/api/v1/programs", headers=world.headers("other_admin")).json()
    assert [p["slug"] for p in other] == ["beta"]


def test_invite_then_deactivate(client: TestClient, db_session: Session, world: World) -> None:
    admin = world.headers("admin")
    created = client.post(
        "/api/v1/programs/alpha/members",
        json={"email": "Newbie@Example.org", "full_name": "Newbie", "role": "trainee",
              "cohort": "2026"},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["member"]["email"] == "newbie@example.org"
    assert body["member"]["cohort"] == "2026"
    assert body["password_set_token"]
    set_password = client.post(
        "/api/v1/auth/password-set",
        json={"token": body["password_set_token"], "new_password": PASSWORD},
    )
    assert set_password.status_code == 204

    member_id = body["member"]["id"]
    off = client.post(f"/api/v1/programs/alpha/members/{member_id}/deactivate", headers=admin)
    assert off.status_code == 200
    assert off.json()["active"] is False
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert {"user.invite", "membership.deactivate"} <= set(actions)
    assert db_session.get(Membership, member_id) is not None


def test_member_validation(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    cases = [
        ({"email": "x@example.org", "full_name": "X", "role": "trainer", "cohort": "2026"},
         "cohort: only trainees join a cohort"),
        ({"email": "x@example.org", "full_name": "X", "role": "trainee", "cohort": "none"},
         "cohort: no cohort 'none' in alpha"),
        ({"email": "trainer@example.org", "full_name": "T", "role": "trainer"},
         "role: trainer@example.org is already trainer in alpha"),
        ({"email": "x@example.org", "full_name": "X", "role": "emperor"}, "role"),
    ]  # fmt: skip
    for payload, message in cases:
        response = client.post("/api/v1/programs/alpha/members", json=payload, headers=admin)
        assert response.status_code in (409, 422), response.text
        assert message in response.json()["message"]


def test_other_programs_membership_ids_are_hidden(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/v1/programs/beta/members/{world.trainee_membership}/deactivate",
        headers=world.headers("other_admin"),
    )
    assert response.status_code == 404


def test_405_lists_every_method_of_the_path(stateless_client: TestClient) -> None:
    response = stateless_client.request("DELETE", "/api/v1/programs/alpha")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"


def test_program_settings_are_audited_with_before_and_after(
    client: TestClient, db_session: Session, world: World
) -> None:
    admin = world.headers("admin")
    response = client.patch(
        "/api/v1/programs/alpha",
        json={"auto_release": True, "amendment_window_days": 30, "name": "Alpha Institute"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["auto_release"], body["amendment_window_days"], body["name"]) == (
        True, 30, "Alpha Institute"
    )  # fmt: skip
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "program.update")
    ).one()
    assert event.payload == {
        "before": {"name": "Alpha", "auto_release": False, "amendment_window_days": 14},
        "after": {"name": "Alpha Institute", "auto_release": True, "amendment_window_days": 30},
    }
    unchanged = client.patch("/api/v1/programs/alpha", json={"name": "Alpha Institute"},
                             headers=admin)  # fmt: skip
    assert unchanged.status_code == 200
    assert len(db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "program.update")).all()) == 1  # fmt: skip
    for bad in ({"amendment_window_days": 400}, {"auto_release": "sometimes"}, {"nme": "x"}):
        refused = client.patch("/api/v1/programs/alpha", json=bad, headers=admin)
        assert refused.status_code == 422, bad
        assert next(iter(bad)) in refused.json()["message"]


def test_cohorts_are_renamed_ended_and_deactivated(
    client: TestClient, db_session: Session, world: World
) -> None:
    admin = world.headers("admin")
    created = client.post(
        "/api/v1/programs/alpha/cohorts",
        json={"name": "Spring", "start_date": "2026-03-01"},
        headers=admin,
    )
    url = f"/api/v1/programs/alpha/cohorts/{created.json()['id']}"
    changed = client.patch(url, json={"name": "Spring 2026", "end_date": "2026-09-30",
                                      "active": False}, headers=admin)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["end_date"], changed.json()["active"]) == (
        "Spring 2026", "2026-09-30", False
    )  # fmt: skip
    early = client.patch(url, json={"end_date": "2026-01-01"}, headers=admin)
    assert early.status_code == 422
    assert early.json()["message"].startswith("end_date:")
    clash = client.patch(url, json={"name": "2026"}, headers=admin)
    assert clash.status_code == 409
    for actor in ("trainer", "trainee", "other_admin"):
        assert (
            client.patch(url, json={"active": True}, headers=world.headers(actor)).status_code
            == 404
        )
    beta_cohort = client.post("/api/v1/programs/beta/cohorts", json={
        "name": "B", "start_date": "2026-01-01"}, headers=world.headers("other_admin"))  # fmt: skip
    foreign = f"/api/v1/programs/alpha/cohorts/{beta_cohort.json()['id']}"
    assert client.patch(foreign, json={"active": False}, headers=admin).status_code == 404
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert actions.count("cohort.update") == 1
    assert actions.count("cohort.create") == 3  # the world's, Spring, and beta's


def test_a_deactivated_program_is_read_only_until_reactivated(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin")
    closed = client.patch("/api/v1/programs/alpha", json={"active": False}, headers=admin)
    assert closed.json()["active"] is False
    assert client.get("/api/v1/programs/alpha/cohorts", headers=admin).status_code == 200
    refused = client.post(
        "/api/v1/programs/alpha/cohorts",
        json={"name": "late", "start_date": "2026-09-01"},
        headers=admin,
    )
    assert refused.status_code == 409
    assert refused.json()["message"] == "program: 'alpha' is deactivated; reactivate it first"
    stranger = client.post("/api/v1/programs/alpha/cohorts",
                           json={"name": "late", "start_date": "2026-09-01"},
                           headers=world.headers("other_admin"))  # fmt: skip
    assert stranger.status_code == 404, "non-members still learn nothing"
    reopened = client.patch("/api/v1/programs/alpha", json={"active": True}, headers=admin)
    assert reopened.json()["active"] is True
    created = client.post(
        "/api/v1/programs/alpha/cohorts",
        json={"name": "late", "start_date": "2026-09-01"},
        headers=admin,
    )
    assert created.status_code == 201


def test_dates_and_flags_are_not_coerced(client: TestClient, world: World) -> None:
    """0 is not 1970-01-01 and not false: only ISO dates and JSON booleans are accepted."""
    admin = world.headers("admin")
    for body in ({"name": "zero", "start_date": 0}, {"name": "z", "start_date": "0.5"}):
        refused = client.post("/api/v1/programs/alpha/cohorts", json=body, headers=admin)
        assert refused.status_code == 422, body
        assert refused.json()["message"].startswith("start_date: ")
    flag = client.patch("/api/v1/programs/alpha", json={"auto_release": 1}, headers=admin)
    assert flag.status_code == 422
    assert flag.json()["message"].startswith("auto_release: ")
    since = client.get("/api/v1/programs/alpha/audit.csv", params={"until": "0.5"},
                       headers=admin)  # fmt: skip
    assert since.status_code == 422
    assert "until" in since.json()["message"]
