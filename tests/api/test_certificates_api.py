"""Certificates end to end: issue for a READY sign-off, download, verify, tamper, revoke."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from app.domain.certificates import load_public_key, verify
from tests.api.conftest import World
from tests.support.rated import rate_sessions, user_id

BASE = "/api/v1/programs/alpha"


def _sign_off(client: TestClient, world: World, trainee: int) -> None:
    signed = client.post(f"{BASE}/trainees/{trainee}/readiness/decisions",
                         json={"entrustment_level": 4}, headers=world.headers("admin"))  # fmt: skip
    assert signed.status_code == 201, signed.text


def test_issue_download_verify_and_revoke(
    client: TestClient,
    db_session: Session,
    world: World,
    second_trainer: None,
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    trainee = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{trainee}/certificates"
    unsigned = client.post(url, headers=world.headers("admin"))
    assert unsigned.status_code == 409
    assert unsigned.json()["message"].startswith("decision: no signed-off")
    _sign_off(client, world, trainee)
    for actor in ("trainer", "trainee", "other_admin"):
        assert client.post(url, headers=world.headers(actor)).status_code == 404, actor
    issued = client.post(url, headers=world.headers("admin"))
    assert issued.status_code == 201, issued.text
    cert = issued.json()
    cid = cert["certificate_id"]
    assert cert["verify_url"].endswith(f"/verify/{cid}")

    file_url = f"{BASE}/certificates/{cid}.json"
    data = client.get(file_url, headers=world.headers("trainee"))
    assert data.status_code == 200
    assert client.get(file_url, headers=world.headers("other_trainee")).status_code == 404
    assert client.get(file_url, headers=world.headers("trainer")).status_code == 404
    document = json.loads(data.content)
    assert document["certificate"]["trainee"]["name"] == "trainee"
    assert document["certificate"]["decision"]["value"] == "READY"
    assert document["certificate"]["decision"]["entrustment_level"] == 4

    across = f"/api/v1/programs/beta/certificates/{cid}.json"
    assert client.get(across, headers=world.headers("other_admin")).status_code == 404
    assert client.post(f"/api/v1/programs/beta/certificates/{cid}/revoke",
                       json={"reason": "not ours"},
                       headers=world.headers("other_admin")).status_code == 404  # fmt: skip
    assert client.get("/api/v1/programs/beta/certificates",
                      headers=world.headers("other_admin")).json() == []  # fmt: skip

    key = client.get("/keys/alpha.pem")
    assert key.status_code == 200
    checked = verify(data.content, load_public_key(key.content))
    assert checked.valid, checked.reason
    assert checked.code == cert["verification_code"]
    tampered = data.content.replace(b'"READY"', b'"READZ"')
    assert not verify(tampered, load_public_key(key.content)).valid
    assert client.get("/keys/nowhere.pem").status_code == 404

    public = client.get(f"/verify/{cid}")
    assert public.status_code == 200
    assert (public.json()["status"], public.json()["trainee"]) == ("valid", "trainee")
    assert "trainee@example.org" not in public.text, "no e-mail address on the public page"
    assert client.get("/verify/00000000-0000-0000-0000-000000000000").json()["status"] == (
        "unknown"
    )

    revoke = f"{BASE}/certificates/{cid}/revoke"
    assert client.post(revoke, json={"reason": "x"},
                       headers=world.headers("trainer")).status_code == 404  # fmt: skip
    assert client.post(revoke, json={"reason": ""},
                       headers=world.headers("admin")).status_code == 422  # fmt: skip
    revoked = client.post(revoke, json={"reason": "Evidence re-rated after appeal"},
                          headers=world.headers("admin"))  # fmt: skip
    assert revoked.status_code == 200
    again = client.post(revoke, json={"reason": "twice"}, headers=world.headers("admin"))
    assert again.status_code == 409
    status = client.get(f"/verify/{cid}").json()
    assert (status["status"], status["revocation_reason"]) == (
        "revoked", "Evidence re-rated after appeal"
    )  # fmt: skip
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert actions.count("certificate.issue") == 1
    assert actions.count("certificate.revoke") == 1


def test_no_certificate_unless_the_latest_decision_is_ready(
    client: TestClient,
    db_session: Session,
    world: World,
    second_trainer: None,
) -> None:
    rate_sessions(db_session, "other_trainee@example.org", (2, 2))
    trainee = user_id(client, world, "other_trainee")
    _sign_off(client, world, trainee)
    refused = client.post(f"{BASE}/trainees/{trainee}/certificates", headers=world.headers("admin"))
    assert refused.status_code == 409
    assert refused.json()["message"] == (
        "decision: the latest signed-off decision is NOT_YET, not READY"
    )
