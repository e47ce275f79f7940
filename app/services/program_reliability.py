"""Inter-rater reliability of a program's own ratings, for any selection of them.

Per item the units are sessions and the scores are the rubric's scale points. Per domain and
overall, each rater's score of a session is the mean of their applicable item scores: a
quantity, not a scale point, so those levels are computed as interval data.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    ItemScore,
    Rating,
    RecordedSession,
    RubricDomain,
    RubricItem,
    RubricVersion,
)
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.krippendorff import Level
from app.domain.reliability.panel import ReliabilityReport, reliability_panel
from app.domain.vocabulary import Phase, RatingStatus
from app.services.errors import NotFoundError
from app.services.evidence import session_complete


@dataclass(frozen=True)
class RatingSelection:
    """Which submitted ratings count: always one rubric version, optionally narrowed."""

    program_id: int
    rubric_version_id: int
    cohort_id: int | None = None
    phase: Phase | None = None
    date_from: date | None = None
    date_to: date | None = None
    rater_ids: Collection[int] | None = None
    # Only sessions whose assigned ratings are all in, as readiness and rater quality read
    # them: what a report shows then never moves while someone still rates a session.
    complete_only: bool = False


@dataclass(frozen=True)
class ProgramReliability:
    selection: RatingSelection
    items: dict[str, ReliabilityReport]
    domains: dict[str, ReliabilityReport]
    overall: ReliabilityReport | None


def _query(selection: RatingSelection) -> Select[int, int, int | None, str, str]:
    q = (
        select(
            RecordedSession.id,
            Assignment.rater_id,
            ItemScore.score,
            RubricItem.key,
            RubricDomain.key,
        )
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .join(RubricDomain, RubricDomain.id == RubricItem.domain_id)
        .where(
            RecordedSession.program_id == selection.program_id,
            Rating.rubric_version_id == selection.rubric_version_id,
            Rating.status == RatingStatus.submitted,
            Assignment.is_master.is_(False),
            ItemScore.score.is_not(None),
        )
        .order_by(RubricItem.position)
    )
    if selection.cohort_id is not None:
        q = q.where(RecordedSession.cohort_id == selection.cohort_id)
    if selection.phase is not None:
        q = q.where(RecordedSession.phase == selection.phase)
    if selection.date_from is not None:
        q = q.where(RecordedSession.session_date >= selection.date_from)
    if selection.date_to is not None:
        q = q.where(RecordedSession.session_date <= selection.date_to)
    if selection.rater_ids is not None:
        q = q.where(Assignment.rater_id.in_(list(selection.rater_ids)))
    if selection.complete_only:
        q = q.where(session_complete())
    return q


def _mean_matrix(sessions: np.ndarray, raters: np.ndarray, scores: np.ndarray) -> RatingMatrix:
    """Each rater's mean score per session, as a sessions x raters matrix."""
    session_labels, s_idx = np.unique(sessions, return_inverse=True)
    rater_labels, r_idx = np.unique(raters, return_inverse=True)
    cell = s_idx * rater_labels.size + r_idx
    size = session_labels.size * rater_labels.size
    sums = np.bincount(cell, weights=scores, minlength=size)
    counts = np.bincount(cell, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return RatingMatrix(
        means.reshape(session_labels.size, rater_labels.size),
        tuple(str(s) for s in session_labels),
        tuple(str(r) for r in rater_labels),
    )


def program_reliability(
    session: Session,
    selection: RatingSelection,
    *,
    level: Level = "ordinal",
    bootstrap: int = 0,
    seed: int | None = None,
) -> ProgramReliability:
    version = session.get(RubricVersion, selection.rubric_version_id)
    if version is None:
        raise NotFoundError(f"rubric_version: no version {selection.rubric_version_id}")
    rows = session.execute(_query(selection)).all()
    if not rows:
        return ProgramReliability(selection, {}, {}, None)
    sessions = np.array([r[0] for r in rows])
    raters = np.array([r[1] for r in rows])
    scores = np.array([r[2] for r in rows], dtype=np.float64)
    items = np.array([r[3] for r in rows])
    domains = np.array([r[4] for r in rows])
    scale = (version.scale_min, version.scale_max)

    def panel(m: RatingMatrix, at: Level) -> ReliabilityReport:
        return reliability_panel(m, at, bootstrap=bootstrap, seed=seed)

    item_reports = {}
    for key in dict.fromkeys(items.tolist()):
        mask = items == key
        m = RatingMatrix.from_long(
            sessions[mask].astype(str).tolist(), raters[mask].astype(str).tolist(),
            scores[mask], scale,
        )  # fmt: skip
        item_reports[str(key)] = panel(m, level)
    domain_reports = {
        str(key): panel(_mean_matrix(sessions[d], raters[d], scores[d]), "interval")
        for key in dict.fromkeys(domains.tolist())
        for d in [domains == key]
    }
    overall = panel(_mean_matrix(sessions, raters, scores), "interval")
    return ProgramReliability(selection, item_reports, domain_reports, overall)
