"""Reading the published rubric catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Rubric, RubricDomain, RubricVersion
from app.domain.vocabulary import RubricStatus
from app.services.errors import NotFoundError


def list_rubrics(session: Session) -> Sequence[Rubric]:
    return session.scalars(
        select(Rubric).options(selectinload(Rubric.versions)).order_by(Rubric.key)
    ).all()


def latest_published(rubric: Rubric) -> RubricVersion | None:
    """The version new sessions are pinned to: the highest published one."""
    published = [v for v in rubric.versions if v.status is RubricStatus.published]
    return max(published, key=lambda v: v.sort_key, default=None)


def get_rubric_version(session: Session, rubric_key: str, version: str) -> RubricVersion:
    found = session.scalar(
        select(RubricVersion)
        .join(Rubric)
        .where(Rubric.key == rubric_key, RubricVersion.version == version)
        .options(
            selectinload(RubricVersion.rubric),
            selectinload(RubricVersion.domains).selectinload(RubricDomain.items),
        )
    )
    if found is None:
        raise NotFoundError(f"rubric {rubric_key!r} has no version {version!r}")
    return found
