"""Two requests submitting the first rating of one assignment at the same moment.

The submission reads the assignment and its rating before writing. On PostgreSQL both
requests can read "no rating yet"; the unique assignment of a rating lets one insert, and
the other must answer 409, not 500, and leave nothing behind. (SQLite takes its write lock
before the read, so there the second request simply finds the first one's rating.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from app.db.engine import unit_of_work
from app.db.models import AuditEvent, ItemScore, Rating, User
from app.domain.scoring import ItemScoreInput, validate_scores
from app.domain.vocabulary import Phase, Role
from app.services import ratings
from app.services.assignments import assign_rater
from app.services.errors import ConflictError
from app.services.programs import create_cohort, create_program
from app.services.rubric_library import load_rubrics
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.support.databases import migrated_engine, postgres_url, sibling_postgres_database

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


@pytest.fixture
def committed() -> Iterator[tuple[Engine, int]]:
    """A database of its own with one assignment, committed: the racers see it for real."""
    pg = postgres_url()
    if pg is None:
        pytest.skip("TEST_DATABASE_URL is not set to a PostgreSQL database")
    engine = migrated_engine(sibling_postgres_database(pg, "submission_race"))
    with unit_of_work(engine) as session:
        load_rubrics(session, [FLAGSHIP])
        program = create_program(session, slug="race", name="Race")
        cohort = create_cohort(session, program, name="c", start_date=date(2026, 1, 1))
        admin = create_user(session, email="admin@race.org", full_name="Admin")
        grant_role(session, admin, program, Role.admin)
        rater = create_user(session, email="rater@race.org", full_name="Rater")
        grant_role(session, rater, program, Role.trainer)
        trainee = create_user(session, email="trainee@race.org", full_name="Trainee")
        grant_role(session, trainee, program, Role.trainee, cohort)
        recorded = register_session(session, program, admin, SessionCreate(
            trainee_email="trainee@race.org", phase=Phase.preparation,
            session_date=date(2026, 10, 1), duration_seconds=3600,
            recording="https://media.example.org/race.mp4",
        ))  # fmt: skip
        assignment_id = assign_rater(session, program, admin, recorded.id, "rater@race.org").id
    try:
        yield engine, assignment_id
    finally:
        engine.dispose()


def test_one_first_submission_wins_the_other_is_a_conflict(
    committed: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, assignment_id = committed
    both_have_read = threading.Barrier(2, timeout=10)

    def after_the_read(*args: Any, **kwargs: Any) -> Any:
        both_have_read.wait()  # each request has read "no rating yet" before either writes
        return validate_scores(*args, **kwargs)

    monkeypatch.setattr(ratings, "validate_scores", after_the_read)
    outcomes: dict[str, object] = {}

    def race(key: str) -> None:
        content = ratings.RatingContent([ItemScoreInput(k, 4) for k in PREPARATION], key)
        try:
            with unit_of_work(engine) as session:
                program = get_program_by_slug(session, "race")
                rater = session.scalars(select(User).where(User.email == "rater@race.org")).one()
                ratings.submit(session, program, rater, assignment_id, key, content)
            outcomes[key] = "submitted"
        except ConflictError as exc:
            outcomes[key] = exc

    threads = [threading.Thread(target=race, args=(key,)) for key in ("key-one-1", "key-two-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, outcomes.values())) == sorted(
        ["submitted", "version: the rating was changed by another request"]
    ), outcomes
    winner = next(k for k, v in outcomes.items() if v == "submitted")
    with unit_of_work(engine) as session:
        stored = session.scalars(select(Rating)).all()
        assert [(r.idempotency_key, r.overall_comment) for r in stored] == [(winner, winner)]
        assert session.scalar(select(func.count()).select_from(ItemScore)) == len(PREPARATION)
        submits = select(func.count()).where(AuditEvent.action == "rating.submit")
        assert session.scalar(submits) == 1
