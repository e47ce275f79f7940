"""The rubric catalogue. Rubrics are published, openly licensed documents: readable by all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import SessionDep
from app.api.policies import PUBLIC
from app.api.schemas.rubrics import (
    DomainRead,
    ItemRead,
    RubricRead,
    RubricVersionRead,
    RubricVersionSummaryRead,
    ScalePointRead,
)
from app.services import rubrics as rubric_service

router = APIRouter(prefix="/rubrics", tags=["rubrics"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such rubric version"}}


@router.get("", dependencies=[PUBLIC])
def list_rubrics(session: SessionDep) -> list[RubricRead]:
    out = []
    for rubric in rubric_service.list_rubrics(session):
        latest = rubric_service.latest_published(rubric)
        out.append(
            RubricRead(
                id=rubric.key,
                title=rubric.title,
                latest_version=latest.version if latest else None,
                versions=[RubricVersionSummaryRead.model_validate(v) for v in rubric.versions],
            )
        )
    return out


@router.get("/{rubric_id}/versions/{version}", dependencies=[PUBLIC], responses=_NOT_FOUND)
def get_rubric_version(rubric_id: str, version: str, session: SessionDep) -> RubricVersionRead:
    found = rubric_service.get_rubric_version(session, rubric_id, version)
    return RubricVersionRead(
        id=found.rubric.key,
        version=found.version,
        status=found.status,
        title=found.title,
        sha256=found.sha256,
        published_at=found.published_at,
        scale_min=found.scale_min,
        scale_max=found.scale_max,
        scale=[ScalePointRead.model_validate(p) for p in found.content["scale"]["points"]],
        domains=[
            DomainRead(
                key=d.key,
                title=d.title,
                description=d.description,
                items=[ItemRead.model_validate(i) for i in d.items],
            )
            for d in found.domains
        ],
    )
