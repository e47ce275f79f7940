"""How trustworthy a program's ratings are: each rater's quality, and the G-study.

Both read the same evidence (app/services/evidence.py): every submitted rating of a
complete session (all assigned ratings in) pinned to the program's current rubric version.
A session still being rated is left out, so nothing here tells a pending rater about their
peers, and the figures only move when a session's evidence is whole. Rater quality reads
the item scores themselves; the G-study needs one mean per rating, summed in SQL.
Certification is computed here once, for rater quality and for readiness alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Program,
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
    DEFAULT_RULE,
    Calibration,
    CertificationRule,
    Label,
    RaterDrift,
    RaterSeverity,
    calibration,
    drift,
    severity,
    straight_lined_ratings,
)
from app.domain.reliability.results import NotApplicable
from app.services.collector import without_collector
from app.services.evidence import (
    BoolArray,
    EvidenceScope,
    FloatArray,
    IntArray,
    RatedEvidence,
    current_version,
    rated_evidence,
)

_EPOCH = date(1970, 1, 1).toordinal()
_MASTER = -1  # the master's label among rater ids, which are positive


@dataclass(frozen=True, eq=False)
class _Scores:
    """One row per scored item, in (session id, rating id, item id) order."""

    session: IntArray
    rating: IntArray  # a row of the ratings table
    rater: IntArray
    master: BoolArray
    item: IntArray
    score: FloatArray
    submitted: NDArray[np.datetime64]


def _scores(ev: RatedEvidence) -> _Scores:
    scored = np.flatnonzero(~np.isnan(ev.score))
    rating = ev.score_rating[scored]
    return _Scores(
        session=ev.session_id[ev.rating_session[rating]],
        rating=rating,
        rater=ev.rater_id[rating],
        master=ev.rating_master[rating],
        item=ev.score_item_id[scored],
        score=ev.score[scored],
        submitted=(ev.rating_day[rating] - _EPOCH).astype("datetime64[D]"),
    )


def _first_seen(labels: IntArray) -> list[int]:
    """The distinct labels in order of first appearance."""
    values, first = np.unique(labels, return_index=True)
    return [int(v) for v in values[np.argsort(first, kind="stable")].tolist()]


def _emails(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all())


def _calibrations(
    data: _Scores, scale: tuple[int, int], rule: CertificationRule
) -> dict[int, Calibration]:
    """Each rater against the master ratings of the sessions a master scored, by rater id,
    in order of the rater's first calibration record."""
    keyed = np.unique(data.session[data.master])
    calibrated = np.flatnonzero(np.isin(data.session, keyed))
    if not calibrated.size:
        return {}
    labels = np.where(data.master[calibrated], _MASTER, data.rater[calibrated])
    found = calibration(
        data.session[calibrated], labels, data.score[calibrated], master=_MASTER, scale=scale,
        items=data.item[calibrated], rule=rule,
    )  # fmt: skip
    return {r: found[r] for r in _first_seen(labels[labels != _MASTER])}


def certified_rater_ids(
    session: Session,
    program: Program,
    version: RubricVersion,
    *,
    rule: CertificationRule = DEFAULT_RULE,
) -> frozenset[int]:
    """The raters certified by the program's calibration sessions of this rubric version,
    by the rule ``rater_quality`` reports: reading only the calibration sessions."""
    scope = EvidenceScope(program.id, version.id, masters=True, calibration_only=True)
    data = _scores(rated_evidence(session, scope))
    found = _calibrations(data, (version.scale_min, version.scale_max), rule)
    return frozenset(rater for rater, c in found.items() if c.certified)


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


@without_collector
def rater_quality(
    session: Session, program: Program, *, rule: CertificationRule = DEFAULT_RULE
) -> RaterQuality:
    """Severity, agreement with calibration keys, drift and straight-lining, per rater."""
    version = current_version(session, program)
    if version is None:
        return RaterQuality({}, {}, {}, [], None)
    scope = EvidenceScope(program.id, version.id, masters=True)
    ev = rated_evidence(session, scope)
    data = _scores(ev)
    peers = np.flatnonzero(~data.master)
    raters = data.rater[peers]
    order = _first_seen(raters)
    emails = _emails(session, np.unique(data.rater).tolist())
    found_severity: dict[Label, RaterSeverity] = {}
    found_drift: dict[Label, RaterDrift] = {}
    if peers.size:
        sessions, items, scores = data.session[peers], data.item[peers], data.score[peers]
        found_severity = severity(sessions, raters, scores, items=items)
        found_drift = drift(sessions, raters, scores, data.submitted[peers], items=items)
    found_calibration = _calibrations(data, (version.scale_min, version.scale_max), rule)
    lined = straight_lined_ratings(data.rating[peers], data.score[peers], ev.rating_id.size)
    return RaterQuality(
        {
            emails[r]: replace(found_severity[r], rater=emails[r])
            for r in order
            if r in found_severity
        },
        {emails[r]: replace(c, rater=emails[r]) for r, c in found_calibration.items()},
        {emails[r]: replace(found_drift[r], rater=emails[r]) for r in order if r in found_drift},
        ev.rating_id[lined].tolist(),
        version,
    )


@without_collector
def generalizability(session: Session, program: Program, target: float = 0.80) -> Generalizability:
    """The (s:p) x r G-study on the largest balanced block, and the D-study it implies."""
    version = current_version(session, program)
    if version is None:
        reason = NotApplicable("g_study", "the program has no rated sessions")
        return Generalizability(reason, None, None, target, "", "")
    # One score per (session, rater): the rater's mean over the items they scored.
    ev = rated_evidence(session, EvidenceScope(program.id, version.id))
    scored = ~np.isnan(ev.score)
    ratings = ev.rating_id.size
    totals = np.bincount(ev.score_rating[scored], ev.score[scored], minlength=ratings)
    counts = np.bincount(ev.score_rating[scored], minlength=ratings)
    kept = np.flatnonzero(counts)  # a rating of nothing but "not applicable" has no score
    at = ev.rating_session[kept]
    rater_ids, rater_code = np.unique(ev.rater_id[kept], return_inverse=True)
    emails = _emails(session, rater_ids.tolist())
    subset = balanced_subset(
        ev.session_trainee[at], ev.session_id[at],
        np.array([emails[r] for r in rater_ids.tolist()])[rater_code],
        totals[kept] / counts[kept], (ev.session_day[at] - _EPOCH).astype("datetime64[D]"),
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
