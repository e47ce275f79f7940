"""Invited users set their password with a one-time token, then log in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import User
from app.domain.vocabulary import Role
from app.services.errors import InvalidInputError
from app.services.invitations import invite_user, issue_password_set_token, set_password_with_token
from app.services.programs import create_program

NEW_PASSWORD = "my own long password"


def _invite(db_session: Session) -> str:
    program = create_program(db_session, slug="prog", name="Program")
    invitation = invite_user(
        db_session, email="new@example.org", full_name="New", program=program, role=Role.trainee
    )
    assert invitation.user.password_hash is None
    return invitation.token


def test_invitation_flow(client: TestClient, db_session: Session) -> None:
    token = _invite(db_session)
    login = {"username": "new@example.org", "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/token", data=login).status_code == 401
    response = client.post(
        "/api/v1/auth/password-set", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert client.post("/api/v1/auth/token", data=login).status_code == 200
    reused = client.post(
        "/api/v1/auth/password-set", json={"token": token, "new_password": "another password!"}
    )
    assert reused.status_code == 422
    assert reused.json()["message"] == "token: invalid, used or expired; ask for a new link"


def test_weak_password_keeps_the_token(client: TestClient, db_session: Session) -> None:
    token = _invite(db_session)
    weak = client.post("/api/v1/auth/password-set", json={"token": token, "new_password": "x"})
    assert weak.status_code == 422
    assert weak.json()["message"] == "password: must be at least 12 characters"
    ok = client.post(
        "/api/v1/auth/password-set", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert ok.status_code == 204


def test_expired_and_superseded_tokens(db_session: Session) -> None:
    token = _invite(db_session)
    with pytest.raises(InvalidInputError, match="expired"):
        set_password_with_token(db_session, token, NEW_PASSWORD, now=utcnow() + timedelta(days=8))
    user = db_session.scalars(select(User).where(User.email == "new@example.org")).one()
    fresh = issue_password_set_token(db_session, user)
    with pytest.raises(InvalidInputError):
        set_password_with_token(db_session, token, NEW_PASSWORD)
    assert set_password_with_token(db_session, fresh.token, NEW_PASSWORD) is user
    assert user.password_hash is not None
