"""Trainees with complete, rated evidence, built through the services raters use."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import User
from app.domain.scoring import ItemScoreInput, SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase
from app.services.assignments import assign_rater
from app.services.feedback import release
from app.services.ratings import RatingContent, rubric_document
from app.services.sessions import SessionCreate, register_session
from app.services.users import get_program_by_slug
from tests.api.conftest import World
from tests.support.ratings import submit_as_rater

PHASES = [Phase.preparation, Phase.preparation, Phase.medication, Phase.medication,
          Phase.integration, Phase.integration]  # fmt: skip


def rate_sessions(
    db: Session, trainee_email: str, scores: tuple[int, int], *, released: bool = True
) -> list[int]:
    """Six sessions over three phases, each rated by two trainers; returns rating ids."""
    program = get_program_by_slug(db, "alpha")
    admin = admin_of(db)
    ratings = []
    for i, phase in enumerate(PHASES):
        recorded = register_session(db, program, admin, SessionCreate(
            trainee_email=trainee_email, phase=phase,
            session_date=date(2026, 3, 1) + timedelta(days=14 * i), duration_seconds=3600,
            recording=f"https://media.example.org/{trainee_email}-{i}.mp4",
        ))  # fmt: skip
        context = SessionContext(phase, frozenset(), 3600)
        keys = applicable_item_keys(rubric_document(recorded.rubric_version), context)
        raters = ("trainer@example.org", "second@example.org")
        # Every rater is assigned before anyone submits, as a complete session takes no more.
        assignments = [assign_rater(db, program, admin, recorded.id, r) for r in raters]
        for assignment, rater, score in zip(assignments, raters, scores, strict=True):
            # Alternate the second rater by one point so the evidence has real variance.
            content = [ItemScoreInput(k, min(6, score + (j % 2))) for j, k in enumerate(keys)]
            rating = submit_as_rater(db, assignment, f"{trainee_email}-{i}-{rater}",
                               RatingContent(content))  # fmt: skip
            ratings.append(rating.id)
        if released:
            release(db, program, admin, recorded.id)
    db.flush()
    return ratings


def admin_of(db: Session) -> User:
    admin = db.scalar(select(User).where(User.email == "admin@example.org"))
    assert admin is not None
    return admin


def user_id(client: TestClient, world: World, actor: str) -> int:
    return int(client.get("/api/v1/me", headers=world.headers(actor)).json()["id"])
