"""Readiness: live assessments and signed-off decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.api.schemas.base import ReadModel, RequestModel


class ReadinessSummary(ReadModel):
    trainee_id: int
    email: str
    full_name: str
    decision: str
    reasons: list[str]
    n_uncertified_ratings: int = Field(
        description="Ratings of the evidence whose rater is not certified by calibration"
    )


class ReadinessRead(ReadModel):
    trainee_id: int
    full_name: str
    rubric: str
    rubric_version: str
    assessment: dict[str, Any] = Field(
        description="Decision, missing evidence, unmet rules, sessions (each rating with "
        "whether its rater is certified), domains with CIs and trends, strengths and growth "
        "areas, reliability, and the number of ratings by uncertified raters"
    )


class DecisionCreate(RequestModel):
    committee_comment: str = Field(default="", max_length=5000)
    entrustment_level: int | None = Field(
        default=None, ge=1, le=5, description="1 observe only ... 5 may supervise others"
    )


class DecisionRead(ReadModel):
    id: int
    trainee_id: int
    decision: str
    reasons: list[str]
    fingerprint: str
    signed_off_by: str
    committee_comment: str
    entrustment_level: int | None
    decided_at: datetime
    snapshot: dict[str, Any] | None = Field(description="Inputs, policy and result; for staff only")
