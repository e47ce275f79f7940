"""The public verification page that a certificate's printed URL leads to."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import User
from app.services.certificates import issue_certificate, revoke
from app.services.readiness import sign_off
from app.services.users import get_program_by_slug
from tests.api.conftest import World
from tests.support.rated import admin_of, rate_sessions

PAGE = {"accept": "text/html,application/xhtml+xml"}


def test_anyone_reads_valid_then_revoked_then_unknown(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    trainee = db_session.scalar(select(User).where(User.email == "trainee@example.org"))
    assert trainee is not None
    sign_off(db_session, program, admin, trainee.id, entrustment_level=4)
    certificate = issue_certificate(db_session, program, admin, trainee.id)
    url = f"/verify/{certificate.public_id}"
    anonymous = TestClient(client.app, base_url="https://testserver")

    page = anonymous.get(url, headers=PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Valid" in page.text
    assert "This certificate is genuine and in force" in page.text
    assert ">trainee<" in page.text  # the holder's name
    assert "trainee@example.org" not in page.text  # never an e-mail address
    assert anonymous.get(url).json()["status"] == "valid"  # programs still get JSON

    revoke(db_session, program, admin, certificate.public_id, "Evidence re-rated on appeal")
    revoked = anonymous.get(url, headers=PAGE)
    assert "This certificate was revoked" in revoked.text
    assert "Evidence re-rated on appeal" in revoked.text

    unknown = anonymous.get("/verify/00000000-0000-0000-0000-000000000000", headers=PAGE)
    assert unknown.status_code == 200
    assert "No certificate has this number" in unknown.text
