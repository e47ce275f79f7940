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
