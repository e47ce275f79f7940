"""Assignments and the rater's queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from app.api.schemas.base import Flag, IsoDate, ReadModel, RequestModel
from app.domain.vocabulary import AssignmentStatus, Phase


class AssignmentCreate(RequestModel):
    rater_email: str = Field(max_length=320)
    due_date: IsoDate | None = None
    calibration: Flag = False


class AssignmentRead(ReadModel):
    id: int
    session_id: int
    rater_id: int
    due_date: date | None
    status: AssignmentStatus
    calibration: bool


class SessionAssignmentRead(AssignmentRead):
    rater_email: str
    rater_name: str
    is_master: bool


class AutoAssignCreate(RequestModel):
    session_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=500
    )
    raters_per_session: int = Field(ge=1, le=20, description="Each session is topped up to this")
    rater_emails: list[str] | None = Field(
        default=None, max_length=200, description="The pool to draw from; default: all trainers"
    )
    due_date: IsoDate | None = None
    calibration: Flag = False
    seed: int | None = Field(default=None, description="Makes the tie-breaking reproducible")


class ConflictCreate(RequestModel):
    rater_email: str = Field(max_length=320)
    trainee_email: str = Field(max_length=320)
    reason: str = Field(min_length=1, max_length=2000)


class ConflictRead(ReadModel):
    id: int
    rater_email: str
    trainee_email: str
    reason: str
    created_at: datetime


class QueueEntryRead(ReadModel):
    assignment_id: int
    session_id: int
    phase: Phase
    session_date: date
    due_date: date | None
    status: AssignmentStatus
    overdue: bool
