"""Recorded sessions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from app.api.schemas.base import Flag, IsoDate, ReadModel, RequestModel
from app.domain.vocabulary import Modality, Phase


class RecordedSessionCreate(RequestModel):
    trainee_email: str = Field(max_length=320)
    phase: Phase
    session_date: IsoDate
    duration_seconds: int = Field(gt=0, le=24 * 3600)
    recording: str = Field(
        max_length=1000, description="An http(s) URL, or a path relative to the media root"
    )
    modalities: list[Modality] = Field(default_factory=list, max_length=8)
    focus_tags: list[str] = Field(default_factory=list, max_length=10)
    co_therapist: Flag = False
    notes: str = Field(
        default="",
        max_length=5000,
        description="Never patient identifiers: e-mail addresses, phone numbers and dates of "
        "birth are rejected.",
    )
    rubric: str = Field(default="pat-competency", max_length=64)


class RepinRequest(RequestModel):
    version: str = Field(max_length=32)


class RecordedSessionRead(ReadModel):
    id: int
    trainee_id: int
    cohort_id: int
    phase: Phase
    modalities: list[Modality]
    focus_tags: list[str]
    co_therapist: bool
    session_date: date
    duration_seconds: int
    recording_url: str
    notes: str
    rubric: str
    rubric_version: str
    released_at: datetime | None
