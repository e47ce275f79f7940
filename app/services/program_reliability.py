"""Inter-rater reliability of a program's own ratings, for any selection of them.

Per item the units are sessions and the scores are the rubric's scale points. Per domain and
overall, each rater's score of a session is the mean of their applicable item scores: a
quantity, not a scale point, so those levels are computed as interval data.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
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
from app.services.collector import without_collector
from app.services.errors import NotFoundError
from app.services.evidence import (
    locate,
    planned,
    rows_with_scores,
    session_complete,
)


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


def _query(selection: RatingSelection) -> Select[int, int, bytes]:
    """Per rating: its session, its rater and its item scores, packed."""
    q = (
        select(RecordedSession.id, Assignment.rater_id, Rating.packed_scores)
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .where(
            RecordedSession.program_id == planned(selection.program_id),
            Rating.rubric_version_id == selection.rubric_version_id,
            Rating.status == RatingStatus.submitted,
            Assignment.is_master.is_(False),
        )
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


def _distinct(ids: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``np.unique(ids, return_inverse=True)``, by counting when the ids are dense.

    A program's sessions, raters and ranks are mostly a run of ids, and a million item
    scores name them: marking and counting is linear, where ``unique`` sorts them all.

    >>> labels, code = _distinct(np.array([7, 3, 7, 5]))
    >>> labels.tolist(), code.tolist()
    ([3, 5, 7], [2, 0, 2, 1])
    """
    if ids.size == 0 or int(ids.max()) - int(ids.min()) > 4 * ids.size + 1024:
        labels, code = np.unique(ids, return_inverse=True)
        return labels, code.reshape(ids.shape)
    low = int(ids.min())
    present = np.zeros(int(ids.max()) - low + 1, dtype=np.bool_)
    present[ids - low] = True
    position = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, position[ids - low]


def _text_rank(labels: NDArray[np.int64]) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """The ids as text in text order, and each id's rank in that order: item matrices
    label subjects and raters by their ids as text, sorted so."""
    text = labels.astype(str)
    order = np.argsort(text, kind="stable")
    rank = np.empty(labels.size, dtype=np.int64)
    rank[order] = np.arange(labels.size)
    return text[order], rank


def _item_matrix(
    session_rank: NDArray[np.int64],
    rater_rank: NDArray[np.int64],
    scores: NDArray[np.float64],
    session_text: NDArray[np.str_],
    rater_text: NDArray[np.str_],
    scale: tuple[int, int],
) -> RatingMatrix:
    """One item's sessions x raters matrix, both in text order of their ids."""
    subjects, row = _distinct(session_rank)
    raters, col = _distinct(rater_rank)
    values = np.full((subjects.size, raters.size), np.nan)
    values[row, col] = scores
    return RatingMatrix(
        values,
        tuple(session_text[subjects].tolist()),
        tuple(rater_text[raters].tolist()),
        scale,
    )


def _mean_matrices(
    group: NDArray[np.int64],
    n_groups: int,
    session: tuple[NDArray[np.int64], NDArray[np.int64]],
    rater: tuple[NDArray[np.int64], NDArray[np.int64]],
    scores: NDArray[np.float64],
) -> list[RatingMatrix | None]:
    """Per group of item scores (a domain), each rater's mean score per session.

    ``session`` and ``rater`` are (ids, code of each score) as :func:`_distinct` gives.
    Each group's matrix has the sessions and raters that scored in it, in id order (None
    when the group has no score). One count over the cells that hold scores, for every
    group at once: a mask and a copy of a million scores per domain cost more than the
    coefficients, and counting only cells that hold scores keeps memory to the scores,
    however many raters the program has.
    """
    (s_ids, s_code), (r_ids, r_code) = session, rater
    cells, at = _distinct((group * s_ids.size + s_code) * r_ids.size + r_code)
    means = np.bincount(at, weights=scores) / np.bincount(at)
    cell_group, within = np.divmod(cells, s_ids.size * r_ids.size)
    cell_session, cell_rater = np.divmod(within, r_ids.size)
    bounds = np.searchsorted(cell_group, np.arange(n_groups + 1)).tolist()  # cells ascend
    found: list[RatingMatrix | None] = []
    for lo, hi in itertools.pairwise(bounds):
        if lo == hi:
            found.append(None)
            continue
        rows, row = _distinct(cell_session[lo:hi])
        cols, col = _distinct(cell_rater[lo:hi])
        matrix = np.full((rows.size, cols.size), np.nan)
        matrix[row, col] = means[lo:hi]
        found.append(
            RatingMatrix(
                matrix,
                tuple(s_ids[rows].astype(str).tolist()),
                tuple(r_ids[cols].astype(str).tolist()),
            )
        )
    return found


@without_collector
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
    ratings, packed = rows_with_scores(session, _query(selection), 2)
    scored = packed.score >= 0  # items marked not applicable are not scores
    if not scored.any():
        return ProgramReliability(selection, {}, {}, None)
    at_row = packed.row[scored]
    rows = np.column_stack(
        [ratings[at_row, 0], ratings[at_row, 1], packed.score[scored], packed.item_id[scored]]
    )
    # The version's items in rubric order; item scores name them by id.
    catalogue = session.execute(
        select(RubricItem.id, RubricItem.key, RubricDomain.key)
        .join(RubricDomain, RubricDomain.id == RubricItem.domain_id)
        .where(RubricItem.rubric_version_id == version.id)
        .order_by(RubricItem.position)
    ).all()
    by_id = np.argsort([c[0] for c in catalogue])
    at, known = locate(np.array([c[0] for c in catalogue], dtype=np.int64)[by_id], rows[:, 3])
    rows, item = rows[known], by_id[at[known]]
    scores = rows[:, 2].astype(np.float64)
    domain_keys = list(dict.fromkeys(c[2] for c in catalogue))
    item_domain = [domain_keys.index(c[2]) for c in catalogue]
    domain = np.array(item_domain, dtype=np.int64)[item]
    scale = (version.scale_min, version.scale_max)

    def panel(m: RatingMatrix, at_level: Level) -> ReliabilityReport:
        return reliability_panel(m, at_level, bootstrap=bootstrap, seed=seed)

    sessions, raters = _distinct(rows[:, 0]), _distinct(rows[:, 1])
    # Item matrices keep sessions and raters in the text order of their ids.
    session_text, session_rank = _text_rank(sessions[0])
    rater_text, rater_rank = _text_rank(raters[0])
    # Few items: a stable sort of 16-bit keys is numpy's linear radix sort.
    order = np.argsort(item.astype(np.int16), kind="stable")
    bounds = np.searchsorted(item[order], np.arange(len(catalogue) + 1)).tolist()
    item_reports = {}
    for i, (key, _) in enumerate((c[1], c[2]) for c in catalogue):
        mine = order[bounds[i] : bounds[i + 1]]
        if mine.size:
            m = _item_matrix(session_rank[sessions[1][mine]], rater_rank[raters[1][mine]],
                             scores[mine], session_text, rater_text, scale)  # fmt: skip
            item_reports[str(key)] = panel(m, level)
    # Domains in the order of their first item with a score.
    present = dict.fromkeys(d for i, d in enumerate(item_domain) if bounds[i + 1] > bounds[i])
    by_domain = _mean_matrices(domain, len(domain_keys), sessions, raters, scores)
    domain_reports = {
        domain_keys[d]: panel(matrix, "interval")
        for d in present
        if (matrix := by_domain[d]) is not None
    }
    (everything,) = _mean_matrices(np.zeros_like(item), 1, sessions, raters, scores)
    overall = None if everything is None else panel(everything, "interval")
    return ProgramReliability(selection, item_reports, domain_reports, overall)
