"""Saving drafts and submitting ratings: validated against the pinned rubric version,
idempotent on submission, and safe against concurrent writers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
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


@dataclass(frozen=True)
class ItemIndex:
    """A rubric version's items by key and by id, for code that handles many item scores."""

    id_by_key: dict[str, int]
    key_by_id: dict[int, str]
    position_by_id: dict[int, int]


# Keyed by version id and content hash: a published version never changes, and a replaced
# draft gets new rows (a reused id would come with another hash).
_ITEM_INDEX: dict[tuple[int, str], ItemIndex] = {}


def item_index(session: Session, version: RubricVersion) -> ItemIndex:
    key = (version.id, version.sha256)
    index = _ITEM_INDEX.get(key)
    if index is None:
        rows = session.execute(
            select(RubricItem.id, RubricItem.key, RubricItem.position).where(
                RubricItem.rubric_version_id == version.id
            )
        ).all()
        index = _ITEM_INDEX[key] = ItemIndex(
            {k: i for i, k, _ in rows}, {i: k for i, k, _ in rows}, {i: p for i, _, p in rows}
        )
    return index


def _write_scores(
    session: Session, rating: Rating, version: RubricVersion, scores: Sequence[ItemScoreInput]
) -> None:
    """Replace the item scores and their evidence in two bulk statements.

    A rating is written whole on every save; building ORM objects for each item and note
    cost more than everything else in a submission, so the rows go in as plain inserts.
    """
    session.execute(delete(ItemScore).where(ItemScore.rating_id == rating.id))
    if scores:
        ids = item_index(session, version).id_by_key
        inserted = session.execute(
            insert(ItemScore).returning(ItemScore.id, sort_by_parameter_order=True),
            [
                {"rating_id": rating.id, "item_id": ids[s.item_key], "score": s.score,
                 "not_applicable": s.not_applicable, "harm_flag": s.harm_flag,
                 "harm_note": s.harm_note}
                for s in scores
            ],
        ).scalars().all()  # fmt: skip
        notes = [
            {"item_score_id": score_id, "timestamp_seconds": e.timestamp_seconds, "note": e.note}
            for score_id, s in zip(inserted, scores, strict=True)
            for e in s.evidence
        ]
        if notes:
            session.execute(insert(EvidenceNote), notes)
    # The collection in memory no longer matches the rows; the next read loads them.
    session.expire(rating, ["scores"])


def save_draft(
    session: Session,
    assignment: Assignment,
    scores: Sequence[ItemScoreInput],
    overall_comment: str,
    expected_version: int | None,
    *,
    final: bool = False,
) -> Rating:
    """Replace the draft's content; ``expected_version`` guards against a concurrent writer.

    ``final`` checks the content as a submission (every required item scored), for the
    one-trip submission, which then needs no second check and no separate start event.
    """
    recorded = assignment.session
    _check(recorded, scores, final=final)
    rating = rating_of(session, assignment)
    if rating is None:
        rating = Rating(
            assignment=assignment, rubric_version_id=recorded.rubric_version_id, scores=[]
        )
        session.add(rating)
        session.flush()
        if not final:
            # Later saves of the draft are the rater's private work; its start is a state
            # change of the assignment, so it is on the record.
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
    rating.overall_comment = overall_comment
    rating.updated_at = utcnow()
    assignment.status = AssignmentStatus.in_progress
    try:
        # The version check comes first, so a writer that lost the race writes nothing.
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the draft was changed by another request") from None
    _write_scores(session, rating, recorded.rubric_version, scores)
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
    recorded = assignment.session
    if final is not None:
        rating = save_draft(
            session, assignment, final.scores, final.overall_comment, final.version, final=True
        )
    elif rating is None:
        raise InvalidInputError("rating: save a draft before submitting, or send the rating")
    else:
        keys = item_index(session, recorded.rubric_version).key_by_id
        _check(recorded, [
            ItemScoreInput(
                keys[s.item_id], s.score, s.not_applicable, s.harm_flag, s.harm_note,
                tuple(EvidenceInput(e.timestamp_seconds, e.note) for e in s.evidence),
            )
            for s in rating.scores
        ], final=True)  # fmt: skip
    rating.status = RatingStatus.submitted
    rating.submitted_at = utcnow()
    rating.idempotency_key = idempotency_key
    assignment.status = AssignmentStatus.submitted
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the rating was changed by another request") from None
    record_event(
        session, action="rating.submit", entity_type="rating", entity_id=rating.id,
        actor_id=assignment.rater_id, program_id=recorded.program_id,
        payload={"assignment_id": assignment.id, "session_id": recorded.id},
    )  # fmt: skip
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
    # One's own assignment first: an admin who rates the session must not learn from the
    # answer whether someone else has keyed it.
    if any(a.rater_id == actor.id and not a.is_master for a in assignments):
        raise ConflictError("master: you rate this session yourself; another admin keys it")
    if any(a.is_master for a in assignments):
        raise ConflictError("master: this session already has a master rating; amend it instead")
    if actor.id == recorded.trainee_id:
        raise InvalidInputError("master: trainees never rate their own sessions")
    for assignment in assignments:
        assignment.calibration = True
    master = Assignment(
        session=recorded, rater_id=actor.id, calibration=True, is_master=True,
        assigned_by_id=actor.id,
    )  # fmt: skip
    session.add(master)
    rating = save_draft(session, master, content.scores, content.overall_comment, None, final=True)
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
