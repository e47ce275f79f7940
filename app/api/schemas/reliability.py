"""Reliability requests and the report returned for them."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field, field_validator, model_validator

from app.api.schemas.base import RequestModel
from app.domain.reliability.krippendorff import Level

MAX_RATINGS = 1_000_000
MAX_BOOTSTRAP = 10_000


class RatingCreate(RequestModel):
    subject: str | int = Field(description="The rated unit, e.g. a recorded session.")
    rater: str | int
    score: float | None = Field(description="Null for a missing rating.")
    item: str | None = None

    @field_validator("score")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class ReliabilityOptions(RequestModel):
    level: Level = "ordinal"
    scale: tuple[int, int] | None = Field(
        default=None, description="[min, max] of the scale, so that unused points count."
    )
    item: str | None = Field(default=None, description="Only the ratings of this item.")
    bootstrap: int = Field(default=0, ge=0, le=MAX_BOOTSTRAP)
    seed: int | None = None

    @model_validator(mode="after")
    def _scale_ordered(self) -> ReliabilityOptions:
        if self.scale is not None and self.scale[0] >= self.scale[1]:
            raise ValueError("scale: min must be below max")
        return self


class ReliabilityCreate(ReliabilityOptions):
    ratings: list[RatingCreate] = Field(min_length=1, max_length=MAX_RATINGS)


class CoefficientRead(BaseModel):
    value: float
    ci95: tuple[float, float] | None
    ci_method: str
    se: float | None
    interpretation: str
    interpretation_source: str
    details: dict[str, float | int | str]


class ReliabilityRead(BaseModel):
    n_subjects: int
    n_raters: int
    n_ratings: int
    level: Level
    coefficients: dict[str, CoefficientRead]
    notes: list[str]
