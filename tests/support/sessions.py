"""Sessions of program alpha in each state an admin sees, built through the services."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.db.models import Assignment, RecordedSession, User
from app.domain.scoring import ItemScoreInput, SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase, Role
from app.services.ratings import RatingContent, rubric_document
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD
from tests.support.rated import admin_of
from tests.support.ratings import submit_as_rater


def new_session(
    db: Session,
    day: date = date(2026, 3, 2),
    trainee_email: str = "trainee@example.org",
    phase: Phase = Phase.preparation,
) -> RecordedSession:
    program = get_program_by_slug(db, "alpha")
    return register_session(
        db,
        program,
        admin_of(db),
        SessionCreate(
            trainee_email=trainee_email,
            phase=phase,
            session_date=day,
            duration_seconds=3600,
            recording=f"https://media.example.org/{trainee_email}/{day.isoformat()}.mp4",
        ),
    )


def submit_rating(
    db: Session, assignment: Assignment, score: int = 3, harm_on: str | None = None
) -> None:
    """A complete rating of every applicable item; ``harm_on`` flags one item."""
    recorded = assignment.session
    keys = applicable_item_keys(
        rubric_document(recorded.rubric_version),
        SessionContext(recorded.phase, frozenset(), recorded.duration_seconds),
    )
    scores = [
        ItemScoreInput(
            k, score, harm_flag=k == harm_on, harm_note="raised voice" if k == harm_on else ""
        )
        for k in keys
    ]
    submit_as_rater(db, assignment, f"key-{assignment.id}", RatingContent(scores, "Solid work."))


def add_trainer(db: Session, name: str) -> User:
    """Another trainer of alpha who can sign in."""
    user = create_user(db, email=f"{name}@example.org", full_name=name.title(), password=PASSWORD)
    grant_role(db, user, get_program_by_slug(db, "alpha"), Role.trainer)
    return user
