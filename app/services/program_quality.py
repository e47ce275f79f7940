"""How trustworthy a program's ratings are: each rater's quality, and the G-study.

Both read the same set of item scores in one query: every submitted rating of a complete
session (all assigned ratings in) pinned to the program's current rubric version. A
session still being rated is left out, so nothing here tells a pending rater about their
peers, and the figures only move when a session's evidence is whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    ItemScore,
    Program,
    Rating,
    RecordedSession,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.gtheory import (
    NESTED,
    DStudyCell,
    DStudyTable,
    GStudy,
    balanced_subset,
    d_study_table,
    g_study,
)
from app.domain.rater_quality import (
    Calibration,
    RaterDrift,
    RaterSeverity,
    calibration,
    drift,
    severity,
    straight_lined,
)
from app.domain.reliability.results import NotApplicable
from app.domain.vocabulary import AssignmentStatus, RatingStatus
from app.services.evidence import current_version, session_complete


@dataclass(frozen=True)
class _Scores:
    """One row per item score, as parallel columns."""

    trainee: list[int]
    session: list[int]
    session_date: list[date]
    rating: list[int]
    rater: list[str]
    master: list[bool]
    item: list[str]
    score: list[float]
    submitted: list[date]


@dataclass(frozen=True)
class RaterQuality:
    severity: dict[str, RaterSeverity]
    calibration: dict[str, Calibration]
    drift: dict[str, RaterDrift]
    straight_lined: list[int]
    version: RubricVersion | None


@dataclass(frozen=True)
class Generalizability:
    g_study: GStudy | NotApplicable
    table: DStudyTable | None
    smallest: DStudyCell | NotApplicable | None
    target: float
    subset_description: str
    how_chosen: str


def _scores(session: Session, program: Program, version: RubricVersion) -> _Scores:
    rows = session.execute(
        select(
            RecordedSession.trainee_id,
            RecordedSession.id,
            RecordedSession.session_date,
            Rating.id,
            User.email,
            Assignment.is_master,
            RubricItem.key,
            ItemScore.score,
            Rating.submitted_at,
        )
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(User, User.id == Assignment.rater_id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .where(
            RecordedSession.program_id == program.id,
            RecordedSession.rubric_version_id == version.id,
            Assignment.status == AssignmentStatus.submitted,
            Rating.status == RatingStatus.submitted,
            ItemScore.score.is_not(None),
            session_complete(),
        )
        .order_by(RecordedSession.id, Rating.id)
    ).all()
    # The query keeps only scored items of submitted ratings: scores and dates are present.
    return _Scores(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
        [r[4] for r in rows], [r[5] for r in rows], [r[6] for r in rows],
        [float(r[7] or 0) for r in rows], [r[8].date() if r[8] else r[2] for r in rows],
    )  # fmt: skip


def rater_quality(session: Session, program: Program) -> RaterQuality:
    """Severity, agreement with calibration keys, drift and straight-lining, per rater."""
    version = current_version(session, program)
    if version is None:
        return RaterQuality({}, {}, {}, [], None)
    data = _scores(session, program, version)
    peers = np.flatnonzero(~np.asarray(data.master, dtype=bool))
    sessions = np.asarray(data.session, dtype=np.int64)[peers]
    raters = np.asarray(data.rater, dtype=object)[peers]
    items = np.asarray(data.item, dtype=object)[peers]
    scores = np.asarray(data.score, dtype=np.float64)[peers]
    dates = np.asarray(data.submitted, dtype="datetime64[D]")[peers]
    found_severity = severity(sessions, raters, scores, items=items) if peers.size else {}
    found_drift = drift(sessions, raters, scores, dates, items=items) if peers.size else {}
    keyed = {s for s, m in zip(data.session, data.master, strict=True) if m}
    calibrated = [i for i, s in enumerate(data.session) if s in keyed]
    master_label = "\x00master"
    found_calibration: dict[str, Calibration] = {}
    if calibrated:
        labels = [master_label if data.master[i] else data.rater[i] for i in calibrated]
        found = calibration(
            [data.session[i] for i in calibrated], labels, [data.score[i] for i in calibrated],
            master=master_label, scale=(version.scale_min, version.scale_max),
            items=[data.item[i] for i in calibrated],
        )  # fmt: skip
        found_calibration = {str(k): v for k, v in found.items() if k != master_label}
    by_rating: dict[int, list[float | None]] = defaultdict(list)
    for i in peers.tolist():
        by_rating[data.rating[i]].append(data.score[i])
    return RaterQuality(
        {str(k): v for k, v in found_severity.items()},
        found_calibration,
        {str(k): v for k, v in found_drift.items()},
        straight_lined(by_rating),
        version,
    )


def generalizability(session: Session, program: Program, target: float = 0.80) -> Generalizability:
    """The (s:p) x r G-study on the largest balanced block, and the D-study it implies."""
    version = current_version(session, program)
    if version is None:
        reason = NotApplicable("g_study", "the program has no rated sessions")
        return Generalizability(reason, None, None, target, "", "")
    data = _scores(session, program, version)
    # One score per (session, rater): the rater's mean over the items they scored.
    sums: dict[tuple[int, str], list[float]] = defaultdict(list)
    meta: dict[int, tuple[int, date]] = {}
    for i, master in enumerate(data.master):
        if master:
            continue
        sums[(data.session[i], data.rater[i])].append(data.score[i])
        meta[data.session[i]] = (data.trainee[i], data.session_date[i])
    keys = list(sums)
    subset = balanced_subset(
        [meta[s][0] for s, _ in keys], [s for s, _ in keys], [r for _, r in keys],
        np.array([np.mean(sums[k]) for k in keys]), [meta[s][1] for s, _ in keys],
    )  # fmt: skip
    if isinstance(subset, NotApplicable):
        return Generalizability(subset, None, None, target, "", "")
    study = g_study(subset.scores, NESTED)
    if isinstance(study, NotApplicable):
        return Generalizability(
            study, None, None, target, subset.subset_description, subset.how_chosen
        )
    table = d_study_table(study)
    return Generalizability(
        study, table, table.smallest_design(target), target, subset.subset_description,
        subset.how_chosen,
    )  # fmt: skip
