"""The demo program is realistic, deterministic and faithful to its simulation model."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    ItemScore,
    Membership,
    Rating,
    RecordedSession,
    RubricItem,
    User,
)
from app.domain.gtheory import GStudy
from app.domain.vocabulary import AssignmentStatus, Phase, RatingStatus, Role
from app.services.demo import DEFAULT_SEED, DEMO_PASSWORD, database_is_empty, seed_demo
from app.services.errors import ConflictError, NotFoundError
from app.services.passwords import verify_password
from app.services.program_quality import generalizability
from app.services.rubric_library import load_rubrics
from app.services.users import get_program_by_slug

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 2)


@pytest.fixture
def flagship(db_session: Session) -> None:
    load_rubrics(db_session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])


def _fingerprint(session: Session) -> str:
    rows = session.execute(
        select(RecordedSession.session_date, RecordedSession.phase, User.email, RubricItem.key,
               ItemScore.score, ItemScore.not_applicable, ItemScore.harm_flag)
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(User, User.id == Assignment.rater_id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .order_by(RecordedSession.session_date, User.email, RubricItem.key)
    ).all()  # fmt: skip
    # Sorted in Python: rows tied on the ORDER BY keys come back in any order on PostgreSQL.
    return hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()


def test_refuses_without_the_flagship_rubric(db_session: Session) -> None:
    with pytest.raises(NotFoundError, match="rubrics load"):
        seed_demo(db_session, today=TODAY)


@pytest.mark.usefixtures("flagship")
def test_shape_of_the_demo_program(db_session: Session) -> None:
    assert database_is_empty(db_session)
    summary = seed_demo(db_session, today=TODAY)
    assert not database_is_empty(db_session)
    assert (summary.cohorts, summary.trainees, summary.trainers) == (2, 12, 4)
    assert 70 <= summary.sessions <= 90
    assert summary.calibration_sessions >= 4
    assert summary.harm_flags >= 3
    assert summary.draft_ratings >= 1

    sessions = db_session.scalars(select(RecordedSession)).all()
    assert {s.phase for s in sessions} == set(Phase)
    crossed = []
    for rec in sessions:
        raters = [a for a in rec.assignments if not a.is_master]
        assert len(raters) in (2, 4)
        assert len({a.rater_id for a in raters}) == len(raters)
        assert all(a.rater_id != rec.trainee_id for a in rec.assignments)
        masters = [a for a in rec.assignments if a.is_master]
        assert len(masters) == (1 if raters[0].calibration else 0)
        if len(raters) == 4:
            crossed.append(rec)
    # The G-study block: three sessions of each trainee with a calibration session, every
    # one rated by all four trainers and complete; the calibration sessions are among them.
    assert len(crossed) == 3 * summary.calibration_sessions
    assert len({rec.trainee_id for rec in crossed}) == summary.calibration_sessions
    assert all(a.status is AssignmentStatus.submitted for rec in crossed for a in rec.assignments)
    assert sum(any(a.is_master for a in rec.assignments) for rec in crossed) == (
        summary.calibration_sessions
    )

    roles = defaultdict(set)
    for m in db_session.scalars(select(Membership)):
        roles[m.role].add(m.user_id)
    assert (len(roles[Role.trainee]), len(roles[Role.trainer]), len(roles[Role.admin])) == (
        12,
        4,
        1,
    )

    # Every login printed works with the printed password.
    for login in summary.logins:
        user = db_session.scalar(select(User).where(User.email == login.email))
        assert user is not None
        assert user.password_hash is not None
        assert verify_password(DEMO_PASSWORD, user.password_hash)

    with pytest.raises(ConflictError):
        seed_demo(db_session, today=TODAY)


@pytest.mark.usefixtures("flagship")
def test_submitted_ratings_are_complete_and_evidence_is_within_the_recording(
    db_session: Session,
) -> None:
    seed_demo(db_session, today=TODAY)
    for rating in db_session.scalars(select(Rating)):
        rec = rating.assignment.session
        if rating.status is RatingStatus.submitted:
            assert rating.submitted_at is not None
            assert rating.scores, "a submitted rating scores its applicable items"
        for score in rating.scores:
            assert score.not_applicable or 0 <= (score.score or 0) <= 6
            assert not score.harm_flag or score.harm_note
            for note in score.evidence:
                assert 0 <= note.timestamp_seconds <= rec.duration_seconds


@pytest.mark.usefixtures("flagship")
def test_simulated_growth_and_rater_severity_are_recoverable(db_session: Session) -> None:
    seed_demo(db_session, today=TODAY)
    rows = db_session.execute(
        select(RecordedSession.trainee_id, RecordedSession.session_date, User.email,
               RecordedSession.id, ItemScore.score)
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(User, User.id == Assignment.rater_id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .where(Rating.status == RatingStatus.submitted, ItemScore.score.is_not(None),
               Assignment.is_master.is_(False))
    ).all()  # fmt: skip
    by_trainee: dict[int, list[tuple[int, float]]] = defaultdict(list)
    by_rater: dict[str, list[float]] = defaultdict(list)
    session_mean: dict[int, list[float]] = defaultdict(list)
    for trainee, day, _rater, session_id, score in rows:
        by_trainee[trainee].append((day.toordinal(), float(score or 0)))
        session_mean[session_id].append(float(score or 0))
    means = {k: float(np.mean(v)) for k, v in session_mean.items()}
    for _trainee, _day, rater, session_id, score in rows:
        by_rater[rater].append(float(score or 0) - means[session_id])

    slopes = []
    for points in by_trainee.values():
        days, scores = np.array(points, dtype=float).T
        slopes.append(float(np.polyfit(days, scores, deg=1)[0]))
    assert sum(s > 0 for s in slopes) >= 10, "most trainees improve over time"
    severity = [float(np.mean(by_rater[f"trainer{n}@demo.guidinghand.org"])) for n in (1, 2, 3, 4)]
    assert severity == sorted(severity, reverse=True), (
        "trainer1 most lenient ... trainer4 most severe"
    )


@pytest.mark.usefixtures("flagship")
@pytest.mark.parametrize("seed", [1, 5, 99])
def test_every_seed_has_a_harm_flag_confirmed_by_two_raters(db_session: Session, seed: int) -> None:
    seed_demo(db_session, today=TODAY, seed=seed)
    flagged = db_session.execute(
        select(Assignment.session_id, ItemScore.item_id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .where(ItemScore.harm_flag.is_(True))
    ).all()
    assert len(flagged) >= 3
    assert any(flagged.count(pair) >= 2 for pair in flagged)


@pytest.mark.usefixtures("flagship")
def test_same_seed_same_program(db_session: Session) -> None:
    fingerprints = []
    for seed in (7, 7, 8):
        attempt = db_session.begin_nested()
        seed_demo(db_session, today=TODAY, seed=seed)
        fingerprints.append(_fingerprint(db_session))
        attempt.rollback()
    assert fingerprints[0] == fingerprints[1]
    assert fingerprints[0] != fingerprints[2]


@pytest.mark.usefixtures("flagship")
@pytest.mark.parametrize("seed", [DEFAULT_SEED, 3])
def test_the_g_study_rests_on_the_crossed_block(db_session: Session, seed: int) -> None:
    summary = seed_demo(db_session, today=TODAY, seed=seed)
    found = generalizability(db_session, get_program_by_slug(db_session, "demo"))
    study = found.g_study
    assert isinstance(study, GStudy), found
    assert (study.n_trainees, study.n_sessions, study.n_raters) == (
        summary.calibration_sessions,
        3,
        4,
    )
    assert found.subset_description.startswith(
        f"{summary.calibration_sessions} of 12 trainees with their first 3 sessions (by date) "
        "each scored by the same 4 raters (trainer1@"
    )
    assert study.components["r"] > 0, "the trainers' severities show as rater variance"
    assert found.table is not None
