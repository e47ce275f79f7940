"""IRR of the program's own ratings: per item, per domain, overall, for any selection."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    ItemScore,
    Program,
    Rating,
    RecordedSession,
    RubricDomain,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.panel import reliability_panel
from app.domain.vocabulary import Phase, RatingStatus
from app.services.demo import seed_demo
from app.services.errors import NotFoundError
from app.services.program_reliability import (
    ProgramReliability,
    RatingSelection,
    program_reliability,
)
from app.services.rubric_library import load_rubrics

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 2)


@pytest.fixture
def selection(db_session: Session) -> RatingSelection:
    load_rubrics(db_session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])
    seed_demo(db_session, today=TODAY)
    program = db_session.scalars(select(Program)).one()
    version = db_session.scalars(select(RubricVersion)).one()
    return RatingSelection(program_id=program.id, rubric_version_id=version.id)


def test_per_item_domain_and_overall(db_session: Session, selection: RatingSelection) -> None:
    result = program_reliability(db_session, selection)
    assert list(result.items)[:3] == ["A1", "A2", "A3"], "items follow the rubric's order"
    assert set(result.domains) == {"A", "B", "C", "D", "E", "F"}
    assert result.overall is not None
    overall = result.overall.coefficients
    assert result.overall.level == "interval"
    # The demo's raters share a true skill signal: agreement on session means is real.
    assert overall["krippendorff_alpha_interval"].estimate.value > 0.4
    # Most sessions have 2 of the 4 trainers; only the G-study block's 18 have all four, so
    # ICC, which needs every rater on every subject, rests on those alone.
    icc2k = overall["ICC2k"].estimate
    assert icc2k.details["n_subjects_used"] == 18
    assert icc2k.details["n_subjects_dropped"] == result.overall.n_subjects - 18
    a1 = result.items["A1"]
    assert a1.level == "ordinal"
    assert "gwet_ac2_quadratic" in a1.coefficients


def test_selection_narrows_the_ratings(db_session: Session, selection: RatingSelection) -> None:
    everything = program_reliability(db_session, selection)
    medication = program_reliability(
        db_session,
        RatingSelection(selection.program_id, selection.rubric_version_id, phase=Phase.medication),
    )
    assert set(medication.items) < set(everything.items)
    assert all(not key.startswith(("B", "D")) for key in medication.items)
    assert medication.overall is not None
    assert everything.overall is not None
    assert medication.overall.n_subjects < everything.overall.n_subjects

    recent = program_reliability(
        db_session,
        RatingSelection(selection.program_id, selection.rubric_version_id,
                        date_from=TODAY - timedelta(days=60)),
    )  # fmt: skip
    assert recent.overall is not None
    assert recent.overall.n_subjects < everything.overall.n_subjects

    raters = db_session.scalars(
        select(User.id).where(User.email.in_(["trainer1@demo.guidinghand.org",
                                              "trainer2@demo.guidinghand.org"]))
    ).all()  # fmt: skip
    pair = program_reliability(
        db_session,
        RatingSelection(selection.program_id, selection.rubric_version_id, rater_ids=raters),
    )
    assert pair.overall is not None
    assert pair.overall.n_raters == 2
    assert "cohen_kappa" in pair.items["A1"].coefficients
    assert "ICC2k" in pair.overall.coefficients  # the sessions both of them rated


def test_domain_scores_are_rater_means(db_session: Session, selection: RatingSelection) -> None:
    result = program_reliability(db_session, selection)
    assert result.overall is not None
    values = result.overall.coefficients["percent_agreement"].estimate.value
    assert 0.0 <= values <= 1.0
    alpha = result.domains["A"].coefficients["krippendorff_alpha_interval"].estimate.value
    assert np.isfinite(alpha)


def test_empty_selection_and_unknown_version(
    db_session: Session, selection: RatingSelection
) -> None:
    empty = program_reliability(
        db_session,
        RatingSelection(selection.program_id, selection.rubric_version_id,
                        date_from=TODAY + timedelta(days=1)),
    )  # fmt: skip
    assert (empty.items, empty.domains, empty.overall) == ({}, {}, None)
    with pytest.raises(NotFoundError):
        program_reliability(db_session, RatingSelection(selection.program_id, 999_999))


def reference_means(sessions: np.ndarray, raters: np.ndarray, scores: np.ndarray) -> RatingMatrix:
    """Each rater's mean per session, cell by cell, sessions and raters in id order."""
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    for s, r, x in zip(sessions.tolist(), raters.tolist(), scores.tolist(), strict=True):
        cells[s, r].append(x)
    s_ids, r_ids = sorted(set(sessions.tolist())), sorted(set(raters.tolist()))
    values = [[np.mean(cells[s, r]) if (s, r) in cells else np.nan for r in r_ids]
              for s in s_ids]  # fmt: skip
    return RatingMatrix(np.array(values), tuple(map(str, s_ids)), tuple(map(str, r_ids)))


def reference_reliability(session: Session, selection: RatingSelection) -> ProgramReliability:
    """The row-by-row reader the service replaced: item and domain keys on every row."""
    version = session.get(RubricVersion, selection.rubric_version_id)
    assert version is not None
    q = (
        select(RecordedSession.id, Assignment.rater_id, ItemScore.score, RubricItem.key,
               RubricDomain.key)
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .join(RubricDomain, RubricDomain.id == RubricItem.domain_id)
        .where(RecordedSession.program_id == selection.program_id,
               Rating.rubric_version_id == selection.rubric_version_id,
               Rating.status == RatingStatus.submitted, Assignment.is_master.is_(False),
               ItemScore.score.is_not(None))
        .order_by(RubricItem.position)
    )  # fmt: skip
    if selection.phase is not None:
        q = q.where(RecordedSession.phase == selection.phase)
    if selection.rater_ids is not None:
        q = q.where(Assignment.rater_id.in_(list(selection.rater_ids)))
    rows = session.execute(q).all()
    sessions = np.array([r[0] for r in rows])
    raters = np.array([r[1] for r in rows])
    scores = np.array([r[2] for r in rows], dtype=np.float64)
    items = np.array([r[3] for r in rows])
    domains = np.array([r[4] for r in rows])
    item_reports = {}
    for key in dict.fromkeys(items.tolist()):
        mask = items == key
        m = RatingMatrix.from_long(
            sessions[mask].astype(str).tolist(), raters[mask].astype(str).tolist(),
            scores[mask], (version.scale_min, version.scale_max),
        )  # fmt: skip
        item_reports[str(key)] = reliability_panel(m, "ordinal")
    domain_reports = {
        str(key): reliability_panel(reference_means(sessions[d], raters[d], scores[d]), "interval")
        for key in dict.fromkeys(domains.tolist())
        for d in [domains == key]
    }
    overall = reliability_panel(reference_means(sessions, raters, scores), "interval")
    return ProgramReliability(selection, item_reports, domain_reports, overall)


def test_equals_the_row_by_row_reader(db_session: Session, selection: RatingSelection) -> None:
    pair = db_session.scalars(
        select(User.id).where(User.email.in_(["trainer2@demo.guidinghand.org",
                                              "trainer4@demo.guidinghand.org"]))
    ).all()  # fmt: skip
    for chosen in (
        selection,
        dataclasses.replace(selection, phase=Phase.integration),
        dataclasses.replace(selection, rater_ids=pair),
    ):
        found = program_reliability(db_session, chosen)
        expected = reference_reliability(db_session, chosen)
        assert list(found.items) == list(expected.items)
        assert list(found.domains) == list(expected.domains)
        assert found == expected
