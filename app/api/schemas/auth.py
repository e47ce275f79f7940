"""Tokens and the signed-in user."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.api.schemas.base import ReadModel, RequestModel
from app.domain.vocabulary import Role


class TokenRead(ReadModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime


class PasswordChange(RequestModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class MembershipRead(ReadModel):
    program: str
    role: Role
    cohort: str | None


class MeRead(ReadModel):
    id: int
    email: str
    full_name: str
    memberships: list[MembershipRead]


class PasswordSet(RequestModel):
    token: str = Field(max_length=200, description="The one-time token from the invitation")
    new_password: str = Field(max_length=1024)
