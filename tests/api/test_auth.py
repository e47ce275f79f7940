"""Signing in and out: tokens, throttling that never locks out for good, password change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import AuditEvent, AuthToken, LoginAttempt
from app.domain.vocabulary import Role
from app.services.auth import login, token_digest
from app.services.programs import create_program
from app.services.users import create_user, grant_role

PASSWORD = "a long enough password"


@pytest.fixture
def user_email(db_session: Session) -> str:
    program = create_program(db_session, slug="prog", name="Program")
    user = create_user(db_session, email="ada@example.org", full_name="Ada", password=PASSWORD)
    grant_role(db_session, user, program, Role.trainer)
    return user.email


def _login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    return str(body["access_token"])


def test_login_me_logout(client: TestClient, db_session: Session, user_email: str) -> None:
    token = _login(client, user_email)
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["memberships"] == [{"program": "prog", "role": "trainer", "cohort": None}]
    stored = db_session.scalars(select(AuthToken)).one()
    assert stored.token_hash == token_digest(token)
    assert token not in stored.token_hash, "only the digest is stored"

    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


def test_failures_do_not_say_whether_the_account_exists(
    client: TestClient, user_email: str
) -> None:
    wrong = client.post("/api/v1/auth/token", data={"username": user_email, "password": "nope"})
    absent = client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.org", "password": "nope"}
    )
    assert wrong.status_code == absent.status_code == 401
    assert wrong.json() == absent.json() == {"message": "incorrect email or password"}


def test_anonymous_and_bad_tokens_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def test_expired_tokens_are_refused(
    client: TestClient, db_session: Session, user_email: str
) -> None:
    token = _login(client, user_email)
    stored = db_session.scalars(select(AuthToken)).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_failed_logins_are_recorded_and_audited(
    client: TestClient, db_session: Session, user_email: str
) -> None:
    client.post("/api/v1/auth/token", data={"username": user_email, "password": "wrong"})
    attempts = db_session.scalars(select(LoginAttempt)).all()
    assert [(a.email, a.succeeded) for a in attempts] == [(user_email, False)]
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "auth.login_failed" in actions


def test_throttling_grows_then_expires(db_session: Session, user_email: str) -> None:
    t0 = utcnow()
    for n in range(5):
        assert not login(
            db_session, user_email, "wrong", "10.0.0.1", now=t0 + timedelta(seconds=n)
        ).succeeded
    # Five free failures from this address; the sixth try within 30 s is held back.
    held = login(db_session, user_email, PASSWORD, "10.0.0.1", now=t0 + timedelta(seconds=10))
    assert not held.succeeded
    assert 1 <= held.retry_after_seconds <= 30
    # Even the right password waits, but only a while: never a permanent lock.
    later = login(db_session, user_email, PASSWORD, "10.0.0.1", now=t0 + timedelta(minutes=16))
    assert later.succeeded
    # A success resets the count.
    again = login(db_session, user_email, "wrong", "10.0.0.1", now=t0 + timedelta(minutes=17))
    assert not again.succeeded
    assert again.retry_after_seconds == 0


def test_throttled_login_answers_429_with_retry_after(client: TestClient, user_email: str) -> None:
    for _ in range(5):
        client.post("/api/v1/auth/token", data={"username": user_email, "password": "wrong"})
    response = client.post(
        "/api/v1/auth/token", data={"username": user_email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1


def test_other_addresses_are_not_locked_out_by_a_guesser(
    db_session: Session, user_email: str
) -> None:
    t0 = utcnow()
    for n in range(6):
        login(db_session, user_email, "wrong", "203.0.113.9", now=t0 + timedelta(seconds=n))
    elsewhere = login(
        db_session, user_email, PASSWORD, "198.51.100.7", now=t0 + timedelta(seconds=7)
    )
    assert elsewhere.succeeded


def test_password_change_revokes_other_tokens(
    client: TestClient, db_session: Session, user_email: str
) -> None:
    first, second = _login(client, user_email), _login(client, user_email)
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long password"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    )
    bad = client.post(
        "/api/v1/auth/password",
        json={"current_password": "wrong", "new_password": "another long password"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert bad.status_code == 422
    assert bad.json()["message"] == "current_password: incorrect"
    _login(client, user_email, "another long password")
