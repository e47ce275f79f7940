"""A rater's own rating: draft and submission."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.base import Flag, ReadModel, RequestModel
from app.domain.vocabulary import RatingStatus


class EvidenceCreate(RequestModel):
    timestamp_seconds: int = Field(ge=0, description="Seconds into the recording")
    note: str = Field(max_length=2000)


class ItemScoreCreate(RequestModel):
    item_key: str = Field(max_length=32)
    score: int | None = None
    not_applicable: Flag = False
    harm_flag: Flag = False
    harm_note: str = Field(default="", max_length=2000)
    evidence: list[EvidenceCreate] = Field(default_factory=list, max_length=50)


class RatingDraft(RequestModel):
    scores: list[ItemScoreCreate] = Field(default_factory=list, max_length=200)
    overall_comment: str = Field(default="", max_length=10_000)
    version: int | None = Field(
        default=None, description="The version you last read; a mismatch answers 409"
    )


class EvidenceRead(ReadModel):
    timestamp_seconds: int
    note: str


class ItemScoreRead(ReadModel):
    item_key: str
    score: int | None
    not_applicable: bool
    harm_flag: bool
    harm_note: str
    evidence: list[EvidenceRead]


class AmendmentRead(ReadModel):
    amended_at: datetime
    amended_by: str
    item_key: str | None = Field(description="None for the overall comment")
    field: str
    before: Any
    after: Any
    reason: str


class RatingRead(ReadModel):
    id: int
    assignment_id: int
    status: RatingStatus
    version: int
    submitted_at: datetime | None
    overall_comment: str
    scores: list[ItemScoreRead] = Field(description="Current values, amendments included")
    amendments: list[AmendmentRead] = Field(description="Every change since submission")


class ItemScoreChange(RequestModel):
    item_key: str = Field(max_length=32)
    score: int | None = None
    not_applicable: Flag = False
    harm_flag: Flag = False
    harm_note: str = Field(default="", max_length=2000)


class AmendmentCreate(RequestModel):
    reason: str = Field(min_length=1, max_length=2000)
    version: int = Field(description="The version you last read; a mismatch answers 409")
    scores: list[ItemScoreChange] = Field(
        default_factory=list, max_length=200, description="The new state of each changed item"
    )
    overall_comment: str | None = Field(default=None, max_length=10_000)
