"""Rubric catalogue as the API shows it."""

from __future__ import annotations

from datetime import datetime

from app.api.schemas.base import ReadModel
from app.domain.vocabulary import Modality, Phase, RubricStatus


class RubricVersionSummaryRead(ReadModel):
    version: str
    status: RubricStatus
    sha256: str
    published_at: datetime | None


class RubricRead(ReadModel):
    id: str
    title: str
    latest_version: str | None
    versions: list[RubricVersionSummaryRead]


class ItemRead(ReadModel):
    key: str
    title: str
    description: str
    position: int
    phases: list[Phase]
    modality: Modality
    allow_not_applicable: bool
    applicability: str
    safety_gate: bool
    weight: float
    anchors: dict[int, str]
    harm_guidance: str
    source: str


class DomainRead(ReadModel):
    key: str
    title: str
    description: str
    items: list[ItemRead]


class ScalePointRead(ReadModel):
    value: int
    label: str


class RubricVersionRead(ReadModel):
    id: str
    version: str
    status: RubricStatus
    title: str
    sha256: str
    published_at: datetime | None
    scale_min: int
    scale_max: int
    scale: list[ScalePointRead]
    domains: list[DomainRead]
