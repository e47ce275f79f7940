"""Assignments and the rater's queue."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from app.api.schemas.base import ReadModel, RequestModel
from app.domain.vocabulary import AssignmentStatus, Phase


class AssignmentCreate(RequestModel):
    rater_email: str = Field(max_length=320)
    due_date: date | None = None
    calibration: bool = False


class AssignmentRead(ReadModel):
    id: int
    session_id: int
    rater_id: int
    due_date: date | None
    status: AssignmentStatus
    calibration: bool


class QueueEntryRead(ReadModel):
    assignment_id: int
    session_id: int
    phase: Phase
    session_date: date
    due_date: date | None
    status: AssignmentStatus
    overdue: bool
