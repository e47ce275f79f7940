"""Submitting as a fixture's rater would, through the service the API and the pages call."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db.models import Assignment, Rating
from app.services.ratings import RatingContent, submit


def submit_as_rater(
    db: Session, assignment: Assignment, key: str, content: RatingContent | None = None
) -> Rating:
    """The assignment's rater submits ``content`` (or the saved draft); the stored rating."""
    done = submit(db, assignment.session.program, assignment.rater, assignment.id, key, content)
    rating = db.get(Rating, done.rating_id)
    assert rating is not None
    return rating
