"""Ratings: the caller's own drafts and submission, a session's ratings under the blind rules,
release, calibration keys and amendments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from sqlalchemy.orm import Session

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramMember, ProgramStaff
from app.api.schemas.ratings import (
    AmendmentCreate,
    AmendmentRead,
    EvidenceRead,
    ItemScoreRead,
    RatingDraft,
    RatingRead,
)
from app.db.models import Amendment, Rating, RubricVersion
from app.domain.scoring import EvidenceInput, ItemScoreInput
from app.domain.vocabulary import RatingStatus
from app.services import feedback as feedback_service
from app.services import ratings as rating_service
from app.services.amendments import AmendmentRequest, ItemChange, history_of
from app.services.amendments import amend_rating as amend_rating_service
from app.services.errors import NotFoundError
from app.services.ratings import RatingContent, item_index

router = APIRouter(prefix="/programs/{program}", tags=["ratings"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    404: {"description": "No such assignment of yours"},
    409: {"description": "Already submitted, or changed by another request"},
    422: {"description": "Invalid; the message names the item"},
}


def _read(session: Session, rating: Rating, history: list[Amendment]) -> RatingRead:
    version = session.get(RubricVersion, rating.rubric_version_id)
    assert version is not None
    items = item_index(session, version)
    return RatingRead(
        id=rating.id, assignment_id=rating.assignment_id, status=rating.status,
        version=rating.version, submitted_at=rating.submitted_at,
        overall_comment=rating.overall_comment,
        scores=[
            ItemScoreRead(
                item_key=items.key_by_id[s.item_id], score=s.score,
                not_applicable=s.not_applicable, harm_flag=s.harm_flag, harm_note=s.harm_note,
                evidence=[EvidenceRead.model_validate(e) for e in s.evidence],
            )
            for s in sorted(rating.scores, key=lambda s: items.position_by_id[s.item_id])
        ],
        amendments=[
            AmendmentRead(
                amended_at=a.created_at, amended_by=a.amended_by.full_name,
                item_key=items.key_by_id[a.item_id] if a.item_id else None, field=a.field,
                before=a.old_value, after=a.new_value, reason=a.reason,
            )
            for a in history
        ],
    )  # fmt: skip


def _read_one(session: Session, rating: Rating) -> RatingRead:
    return _read(session, rating, history_of(session, [rating.id])[rating.id])


def _content(body: RatingDraft) -> RatingContent:
    scores = [
        ItemScoreInput(
            s.item_key, s.score, s.not_applicable, s.harm_flag, s.harm_note,
            tuple(EvidenceInput(e.timestamp_seconds, e.note) for e in s.evidence),
        )
        for s in body.scores
    ]  # fmt: skip
    return RatingContent(scores, body.overall_comment, body.version)


@router.get("/assignments/{assignment_id}/rating", responses=_RESPONSES)
def read_my_rating(assignment_id: Id, ctx: ProgramStaff, session: SessionDep) -> RatingRead:
    assignment = rating_service.own_assignment(session, ctx.program, ctx.user, assignment_id)
    rating = rating_service.rating_of(session, assignment)
    if rating is None:
        raise NotFoundError("rating: nothing saved yet")
    return _read_one(session, rating)


@router.put("/assignments/{assignment_id}/rating", responses=_RESPONSES)
def save_draft(
    assignment_id: Id, body: RatingDraft, ctx: ProgramStaff, session: SessionDep
) -> RatingRead:
    assignment = rating_service.own_assignment(session, ctx.program, ctx.user, assignment_id)
    content = _content(body)
    rating = rating_service.save_draft(
        session, assignment, content.scores, content.overall_comment, content.version
    )
    return _read_one(session, rating)


@router.post(
    "/assignments/{assignment_id}/rating/submit", response_model=RatingRead, responses=_RESPONSES
)
def submit_rating(
    assignment_id: Id,
    ctx: ProgramStaff,
    session: SessionDep,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=200)],
    body: RatingDraft | None = None,
) -> Response:
    """Submit once: the saved draft, or the rating in the body, which replaces the draft.

    Replaying the same Idempotency-Key returns the first result and changes nothing.
    """
    final = _content(body) if body is not None else None
    done = rating_service.submit(
        session, ctx.program, ctx.user, assignment_id, idempotency_key, final
    )
    if done.replayed:
        rating = session.get(Rating, done.rating_id)
        assert rating is not None
        return _json(_read_one(session, rating), {"Idempotent-Replayed": "true"})
    # A new submission has no amendments yet, and its content is what was just written.
    return _json(_submitted(assignment_id, done))


def _json(read: RatingRead, headers: dict[str, str] | None = None) -> Response:
    """The answer serialised here, in the request's worker thread: FastAPI would check a
    returned model again in another trip through the thread pool, while the request still
    holds its database connection (the one SQLite connection every request queues for)."""
    return Response(read.model_dump_json(), media_type="application/json", headers=headers)


def _submitted(assignment_id: int, done: rating_service.Submission) -> RatingRead:
    return RatingRead(
        id=done.rating_id, assignment_id=assignment_id, status=RatingStatus.submitted,
        version=done.version, submitted_at=done.submitted_at,
        overall_comment=done.overall_comment, amendments=[],
        scores=[
            ItemScoreRead(
                item_key=s.item_key, score=s.score, not_applicable=s.not_applicable,
                harm_flag=s.harm_flag, harm_note=s.harm_note,
                evidence=[EvidenceRead(timestamp_seconds=e.timestamp_seconds, note=e.note)
                          for e in s.evidence],
            )
            for s in done.scores
        ],
    )  # fmt: skip


class SessionRatingRead(RatingRead):
    rater: str
    master: bool


@router.get("/sessions/{session_id}/ratings", responses=_RESPONSES)
def session_ratings(
    session_id: Id, ctx: ProgramMember, session: SessionDep
) -> list[SessionRatingRead]:
    """Every rating of a session, under the blind-rating and release rules."""
    ratings = feedback_service.readable_ratings(
        session, ctx.program, ctx.user, ctx.roles, session_id
    )
    history = history_of(session, [r.id for r in ratings])
    return [
        SessionRatingRead(
            **_read(session, r, history[r.id]).model_dump(),
            rater=r.assignment.rater.full_name,
            master=r.assignment.is_master,
        )
        for r in ratings
    ]


@router.post("/sessions/{session_id}/release", responses=_RESPONSES)
def release_feedback(session_id: Id, ctx: ProgramAdmin, session: SessionDep) -> dict[str, str]:
    """Show a fully rated session's feedback to its trainee."""
    recorded = feedback_service.release(session, ctx.program, ctx.user, session_id)
    assert recorded.released_at is not None
    return {"released_at": recorded.released_at.isoformat()}


@router.post("/sessions/{session_id}/master-rating", status_code=201, responses=_RESPONSES)
def enter_master_rating(
    session_id: Id, body: RatingDraft, ctx: ProgramAdmin, session: SessionDep
) -> RatingRead:
    """Key a calibration session: the complete reference rating raters are compared with.

    Raters see it beside their own once they have submitted, never before.
    """
    rating = rating_service.enter_master_rating(
        session, ctx.program, ctx.user, session_id, _content(body)
    )
    return _read(session, rating, [])


@router.post("/ratings/{rating_id}/amendments", responses=_RESPONSES)
def amend_rating(
    rating_id: Id, body: AmendmentCreate, ctx: ProgramStaff, session: SessionDep
) -> RatingRead:
    """Change a submitted rating, with a reason; the history keeps every value before.

    The rater may amend their own rating within the program's window; admins may amend
    any rating they may read.
    """
    request = AmendmentRequest(
        reason=body.reason, version=body.version, overall_comment=body.overall_comment,
        items=[ItemChange(c.item_key, c.score, c.not_applicable, c.harm_flag, c.harm_note)
               for c in body.scores],
    )  # fmt: skip
    rating = amend_rating_service(session, ctx.program, ctx.user, ctx.roles, rating_id, request)
    return _read_one(session, rating)
