"""Saving drafts and submitting ratings: validated against the pinned rubric version,
idempotent on submission, and safe against concurrent writers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db.base import utcnow
from app.db.models import (
    Assignment,
    EvidenceNote,
    ItemScore,
    Program,
    Rating,
    RecordedSession,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.rubrics.model import RubricDocument
from app.domain.scoring import EvidenceInput, ItemScoreInput, SessionContext, validate_scores
from app.domain.vocabulary import AssignmentStatus, Modality, RatingStatus, Role
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.feedback import release_if_automatic
from app.services.sessions import get_visible_session

# Keyed by content hash: the same content always parses to the same document.
_DOCUMENTS: dict[str, RubricDocument] = {}


def rubric_document(version: RubricVersion) -> RubricDocument:
    """The parsed rubric of a stored version, parsed once per content hash."""
    document = _DOCUMENTS.get(version.sha256)
    if document is None:
        document = _DOCUMENTS[version.sha256] = RubricDocument.model_validate(version.content)
    return document


def own_assignment(
    session: Session, program: Program, rater: User, assignment_id: int
) -> Assignment:
    """The caller's own assignment in this program; anyone else's is as good as absent."""
    assignment = session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.rater_id != rater.id
        or assignment.session.program_id != program.id
        or assignment.status is AssignmentStatus.withdrawn
    ):
        raise NotFoundError(f"assignment: no assignment {assignment_id} of yours")
    return assignment


def _context(recorded: RecordedSession) -> SessionContext:
    return SessionContext(
        recorded.phase, frozenset(Modality(m) for m in recorded.modalities),
        recorded.duration_seconds,
    )  # fmt: skip


def _check(recorded: RecordedSession, scores: Sequence[ItemScoreInput], *, final: bool) -> None:
    problems = validate_scores(
        rubric_document(recorded.rubric_version), _context(recorded), scores, final=final
    )
    if problems:
        raise InvalidInputError("; ".join(f"{p.path}: {p.message}" for p in problems))


@dataclass(frozen=True)
class RatingContent:
    """What a rater writes: the item scores, an overall comment, and the version they read."""

    scores: Sequence[ItemScoreInput]
    overall_comment: str = ""
    version: int | None = None


def check_final(recorded: RecordedSession, scores: Sequence[ItemScoreInput]) -> None:
    """The rules of a submission, for any path that produces a submitted rating."""
    _check(recorded, scores, final=True)


def rating_of(session: Session, assignment: Assignment) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.assignment_id == assignment.id))


def save_draft(
    session: Session,
    assignment: Assignment,
    scores: Sequence[ItemScoreInput],
    overall_comment: str,
    expected_version: int | None,
) -> Rating:
    """Replace the draft's content; ``expected_version`` guards against a concurrent writer."""
    recorded = assignment.session
    _check(recorded, scores, final=False)
    rating = rating_of(session, assignment)
    if rating is None:
        rating = Rating(assignment=assignment, rubric_version_id=recorded.rubric_version_id)
        session.add(rating)
        session.flush()
        # Later saves of the draft are the rater's private work; its start is a state change
        # of the assignment, so it is on the record.
        record_event(
            session, action="rating.start", entity_type="rating", entity_id=rating.id,
            actor_id=assignment.rater_id, program_id=recorded.program_id,
            payload={"assignment_id": assignment.id, "session_id": recorded.id},
        )  # fmt: skip
    else:
        if rating.status is RatingStatus.submitted:
            raise ConflictError("rating: already submitted; submitted ratings change by amendment")
        if expected_version is not None and expected_version != rating.version:
            raise ConflictError(
                f"version: the draft is at version {rating.version}, not {expected_version}; "
                "reload it before saving"
            )
    items = {
        i.key: i
        for i in session.scalars(
            select(RubricItem).where(RubricItem.rubric_version_id == recorded.rubric_version_id)
        )
    }
    if rating.scores:
        # Delete before inserting: the new rows reuse the (rating, item) unique keys.
        rating.scores.clear()
        session.flush()
    rating.scores = [
        ItemScore(
            item=items[s.item_key], score=s.score, not_applicable=s.not_applicable,
            harm_flag=s.harm_flag, harm_note=s.harm_note,
            evidence=[EvidenceNote(timestamp_seconds=e.timestamp_seconds, note=e.note)
                      for e in s.evidence],
        )
        for s in scores
    ]  # fmt: skip
    rating.overall_comment = overall_comment
    rating.updated_at = utcnow()
    assignment.status = AssignmentStatus.in_progress
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the draft was changed by another request") from None
    return rating


def submit(
    session: Session,
    assignment: Assignment,
    idempotency_key: str,
    final: RatingContent | None = None,
) -> tuple[Rating, bool]:
    """Submit once; the same key again returns the first result (replayed=True).

    ``final`` replaces the draft in the same transaction, so a client that holds the whole
    rating needs one round trip, and a crash between saving and submitting cannot happen.
    """
    rating = rating_of(session, assignment)
    if rating is not None and rating.status is RatingStatus.submitted:
        if rating.idempotency_key == idempotency_key:
            return rating, True
        raise ConflictError("rating: already submitted")
    elsewhere = session.scalar(select(Rating.id).where(Rating.idempotency_key == idempotency_key))
    if elsewhere is not None:
        raise ConflictError("Idempotency-Key: already used for another rating")
    if final is not None:
        rating = save_draft(session, assignment, final.scores, final.overall_comment, final.version)
    if rating is None:
        raise InvalidInputError("rating: save a draft before submitting, or send the rating")
    recorded = assignment.session
    _check(recorded, [
        ItemScoreInput(
            s.item.key, s.score, s.not_applicable, s.harm_flag, s.harm_note,
            tuple(EvidenceInput(e.timestamp_seconds, e.note) for e in s.evidence),
        )
        for s in rating.scores
    ], final=True)  # fmt: skip
    rating.status = RatingStatus.submitted
    rating.submitted_at = utcnow()
    rating.idempotency_key = idempotency_key
    assignment.status = AssignmentStatus.submitted
    record_event(
        session, action="rating.submit", entity_type="rating", entity_id=rating.id,
        actor_id=assignment.rater_id, program_id=recorded.program_id,
        payload={"assignment_id": assignment.id, "session_id": recorded.id},
    )  # fmt: skip
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the rating was changed by another request") from None
    release_if_automatic(session, recorded.program, recorded, assignment.rater)
    return rating, False


def enter_master_rating(
    session: Session, program: Program, actor: User, session_id: int, content: RatingContent
) -> Rating:
    """The calibration key of a session, entered complete by an admin who does not rate it.

    It makes the session a calibration session: its raters' assignments are marked so, and
    each rater sees the key beside their own rating once they have submitted.
    """
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    assignments = list(
        session.scalars(select(Assignment).where(Assignment.session_id == recorded.id))
    )
    if any(a.is_master for a in assignments):
        raise ConflictError("master: this session already has a master rating; amend it instead")
    if any(a.rater_id == actor.id for a in assignments):
        raise ConflictError("master: you rate this session yourself; another admin keys it")
    if actor.id == recorded.trainee_id:
        raise InvalidInputError("master: trainees never rate their own sessions")
    _check(recorded, content.scores, final=True)
    for assignment in assignments:
        assignment.calibration = True
    master = Assignment(
        session=recorded, rater_id=actor.id, calibration=True, is_master=True,
        assigned_by_id=actor.id,
    )  # fmt: skip
    session.add(master)
    rating = save_draft(session, master, content.scores, content.overall_comment, None)
    rating.status = RatingStatus.submitted
    rating.submitted_at = utcnow()
    master.status = AssignmentStatus.submitted
    session.flush()
    record_event(
        session, action="rating.master", entity_type="rating", entity_id=rating.id,
        actor_id=actor.id, program_id=program.id,
        payload={"session_id": recorded.id, "assignment_id": master.id},
    )  # fmt: skip
    return rating
