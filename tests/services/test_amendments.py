"""Two amendments of the same rating racing: the version column lets only one win."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Amendment, Rating
from app.domain.scoring import ItemScoreInput
from app.domain.vocabulary import Phase, Role
from app.services.amendments import AmendmentRequest, ItemChange, amend_rating
from app.services.assignments import assign_rater
from app.services.errors import ConflictError
from app.services.programs import create_cohort, create_program
from app.services.ratings import RatingContent
from app.services.rubric_library import load_rubrics
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, grant_role
from tests.support.ratings import submit_as_rater

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
ADMIN = frozenset({Role.admin})


def test_concurrent_amendments_one_wins_the_other_is_a_conflict(db_session: Session) -> None:
    load_rubrics(db_session, [FLAGSHIP])
    program = create_program(db_session, slug="race", name="Race")
    cohort = create_cohort(db_session, program, name="c", start_date=date(2026, 1, 1))
    people = {}
    for name, role in (("admin", Role.admin), ("rater", Role.trainer), ("trainee", Role.trainee)):
        people[name] = create_user(db_session, email=f"{name}@race.org", full_name=name,
                                   password="a long enough password")  # fmt: skip
        grant_role(db_session, people[name], program, role,
                   cohort if role is Role.trainee else None)  # fmt: skip
    recorded = register_session(db_session, program, people["admin"], SessionCreate(
        trainee_email="trainee@race.org", phase=Phase.preparation,
        session_date=date(2026, 10, 1), duration_seconds=3600,
        recording="https://media.example.org/race.mp4",
    ))  # fmt: skip
    assignment = assign_rater(db_session, program, people["admin"], recorded.id, "rater@race.org")
    content = RatingContent([ItemScoreInput(k, 3) for k in PREPARATION])
    rating = submit_as_rater(db_session, assignment, "race-key-1", content)
    db_session.commit()

    # A second request's session on the same transaction: it reads the rating first...
    other = Session(
        bind=db_session.connection(), join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )  # fmt: skip
    stale = other.get(Rating, rating.id)
    assert stale is not None
    version = stale.version
    other.commit()  # its read is over; it keeps the row as it was
    # ...then the first request amends and commits...
    amend_rating(db_session, program, people["admin"], ADMIN, rating.id, AmendmentRequest(
        "first", version, [ItemChange("A1", 5)]))  # fmt: skip
    db_session.commit()
    # ...and the second, holding the version it read, loses.
    with pytest.raises(ConflictError, match="amended by another request"):
        amend_rating(other, program, people["admin"], ADMIN, rating.id, AmendmentRequest(
            "second", version, [ItemChange("A2", 5)]))  # fmt: skip
    other.rollback()
    other.close()
    assert db_session.scalar(select(func.count()).select_from(Amendment)) == 1
    db_session.refresh(rating)
    assert {s.item.key: s.score for s in rating.scores}["A2"] == 3
