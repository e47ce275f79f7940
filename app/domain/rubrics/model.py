"""The rubric file format as frozen pydantic models: one rubric version, exactly as authored.

The models check types and per-field constraints only. Rules that span fields (key
uniqueness, anchors against the scale, policy naming real items) live in
``app.domain.rubrics.checks`` so that every problem can name its own path; use
``parse_rubric`` to get a rubric that passed both.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from app.domain.vocabulary import Modality, Phase, RubricStatus

__all__ = [
    "Domain",
    "Indicators",
    "Item",
    "Modality",
    "Phase",
    "ProgramRule",
    "Readiness",
    "ReliabilityCoefficient",
    "ReliabilityRequirement",
    "RubricDocument",
    "RubricStatus",
    "Scale",
    "ScalePoint",
    "SessionRule",
    "Source",
]

SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"
KEY_PATTERN = r"^[A-Z][A-Za-z0-9_-]*$"
SOURCE_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SEMVER_PATTERN = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
NOT_BLANK_PATTERN = r"\S"

# Lengths match the database columns, so a valid rubric always fits when published.
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN, max_length=32)]
SourceKey = Annotated[str, StringConstraints(pattern=SOURCE_KEY_PATTERN, max_length=64)]
SemVer = Annotated[str, StringConstraints(pattern=SEMVER_PATTERN, max_length=32)]
Text = Annotated[str, StringConstraints(pattern=NOT_BLANK_PATTERN)]
Title = Annotated[str, StringConstraints(pattern=NOT_BLANK_PATTERN, max_length=300)]
# Strict numbers: YAML already types them, so a quoted "3" or a `true` is an authoring slip.
Score = StrictInt
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class ReliabilityCoefficient(StrEnum):
    """Agreement statistics a program may demand, named as the reliability code names them."""

    icc1 = "ICC1"
    icc2 = "ICC2"
    icc3 = "ICC3"
    icc1k = "ICC1k"
    icc2k = "ICC2k"
    icc3k = "ICC3k"
    krippendorff_alpha_ordinal = "krippendorff_alpha_ordinal"
    krippendorff_alpha_interval = "krippendorff_alpha_interval"
    gwet_ac2_quadratic = "gwet_ac2_quadratic"
    gwet_ac2_linear = "gwet_ac2_linear"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    key: SourceKey
    citation: Text


class ScalePoint(_Frozen):
    value: Score
    label: Title
    band: Title


class Scale(_Frozen):
    min: Score
    max: Score
    points: tuple[ScalePoint, ...] = Field(min_length=2)


class Indicators(_Frozen):
    """Observable behaviours that help raters place a performance between the anchors."""

    consistent: tuple[Text, ...] = ()
    inconsistent: tuple[Text, ...] = ()


class Item(_Frozen):
    key: Key
    title: Title
    description: Text
    phases: tuple[Phase, ...] = Field(min_length=1)
    modality: Modality
    allow_not_applicable: StrictBool
    not_applicable_when: Text | None = None
    safety_gate: StrictBool
    weight: Number = Field(gt=0)
    source: Text
    harm_guidance: Text
    indicators: Indicators | None = None
    anchors: dict[int, Text] = Field(min_length=1)


class Domain(_Frozen):
    key: Key
    title: Title
    description: Text
    items: tuple[Item, ...] = Field(min_length=1)


class SessionRule(_Frozen):
    """When one rated session counts as competent."""

    min_mean: Number
    min_item: Score
    min_safety_gate: Score
    allow_confirmed_harm: StrictBool
    item_minimums: dict[Key, Score] = Field(default_factory=dict)


class ReliabilityRequirement(_Frozen):
    coefficient: ReliabilityCoefficient
    value: Number = Field(gt=0, le=1)


class ProgramRule(_Frozen):
    """When a trainee's body of rated sessions makes them ready to practise."""

    required_phases: tuple[Phase, ...] = Field(min_length=1)
    min_competent_sessions_per_phase: Score = Field(ge=1)
    min_sessions: Score = Field(ge=1)
    min_raters_per_session: Score = Field(ge=1)
    min_reliability: ReliabilityRequirement
    domain_min_mean: dict[Key, Number] = Field(default_factory=dict)


class Readiness(_Frozen):
    session_rule: SessionRule
    program_rule: ProgramRule


class RubricDocument(_Frozen):
    """One version of a rubric; its content (all but ``status``) never changes once published."""

    id: Slug
    version: SemVer
    status: RubricStatus = RubricStatus.published
    title: Title
    description: Text
    licence: Text
    sources: tuple[Source, ...] = Field(min_length=1)
    scale: Scale
    domains: tuple[Domain, ...] = Field(min_length=1)
    readiness: Readiness

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in rubric order, which is the order raters and reports show them."""
        return tuple(item for domain in self.domains for item in domain.items)

    @property
    def scale_values(self) -> tuple[int, ...]:
        return tuple(range(self.scale.min, self.scale.max + 1))

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"rubric {self.id} {self.version} has no item {key!r}")

    def domain_of(self, item_key: str) -> Domain:
        for domain in self.domains:
            if any(item.key == item_key for item in domain.items):
                return domain
        raise KeyError(f"rubric {self.id} {self.version} has no item {item_key!r}")
