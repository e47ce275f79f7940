"""Programs, cohorts and memberships as admins manage them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from app.api.schemas.base import Flag, IsoDate, ReadModel, RequestModel
from app.domain.vocabulary import Role


class ProgramRead(ReadModel):
    slug: str
    name: str
    description: str
    active: bool
    auto_release: bool
    amendment_window_days: int
    roles: list[Role]


class ProgramUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    auto_release: Flag | None = Field(
        default=None,
        description="Release a session's feedback to its trainee as soon as every rating is in",
    )
    amendment_window_days: int | None = Field(
        default=None, ge=0, le=365, description="How long raters may amend their own rating"
    )
    active: Flag | None = None


class CohortRead(ReadModel):
    id: int
    name: str
    start_date: date
    end_date: date | None
    active: bool


class CohortCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    start_date: IsoDate
    end_date: IsoDate | None = None


class CohortUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    end_date: IsoDate | None = None
    active: Flag | None = None


class MemberRead(ReadModel):
    id: int
    email: str
    full_name: str
    role: Role
    cohort: str | None
    active: bool


class MemberCreate(RequestModel):
    email: str = Field(max_length=320)
    full_name: str = Field(max_length=200)
    role: Role
    cohort: str | None = Field(default=None, description="Cohort name, for a trainee")

    @model_validator(mode="after")
    def _cohort_for_trainees(self) -> MemberCreate:
        if self.cohort is not None and self.role is not Role.trainee:
            raise ValueError("cohort: only trainees join a cohort")
        return self


class MemberCreated(ReadModel):
    member: MemberRead
    # Only for a new account: hand it to the person; it is shown once and stored hashed.
    password_set_token: str | None
    token_expires_at: datetime | None
