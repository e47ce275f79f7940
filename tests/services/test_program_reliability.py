"""IRR of the program's own ratings: per item, per domain, overall, for any selection."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Program, RubricVersion, User
from app.domain.vocabulary import Phase
from app.services.demo import seed_demo
from app.services.errors import NotFoundError
from app.services.program_reliability import RatingSelection, program_reliability
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
