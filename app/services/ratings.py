"""Saving drafts and submitting ratings: validated against the pinned rubric version,
idempotent on submission, and safe against concurrent writers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

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
from app.domain.packed_scores import pack
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
    return _item_index(session, version.id, version.sha256)


def _item_index(session: Session, version_id: int, sha256: str) -> ItemIndex:
    key = (version_id, sha256)
    index = _ITEM_INDEX.get(key)
    if index is None:
        rows = session.execute(
            select(RubricItem.id, RubricItem.key, RubricItem.position).where(
                RubricItem.rubric_version_id == version_id
            )
        ).all()
        index = _ITEM_INDEX[key] = ItemIndex(
            {k: i for i, k, _ in rows}, {i: k for i, k, _ in rows}, {i: p for i, _, p in rows}
        )
    return index


def _document(session: Session, version_id: int, sha256: str) -> RubricDocument:
    document = _DOCUMENTS.get(sha256)
    if document is None:
        version = session.get(RubricVersion, version_id)
        assert version is not None
        document = rubric_document(version)
    return document


_RATINGS = cast(Table, Rating.__table__)
_ITEM_SCORES = cast(Table, ItemScore.__table__)
_EVIDENCE = cast(Table, EvidenceNote.__table__)
_ASSIGNMENTS = cast(Table, Assignment.__table__)
_SESSIONS = cast(Table, RecordedSession.__table__)
_VERSIONS = cast(Table, RubricVersion.__table__)

_DELETE_SCORES = delete(_ITEM_SCORES).where(_ITEM_SCORES.c.rating_id == bindparam("rating"))
_INSERT_SCORES = insert(_ITEM_SCORES).returning(_ITEM_SCORES.c.id, sort_by_parameter_order=True)
_INSERT_EVIDENCE = insert(_EVIDENCE)


def _packed(ids: dict[str, int], scores: Sequence[ItemScoreInput]) -> bytes:
    """The rating's ``packed_scores`` for these scores, written with the rating's row."""
    return pack((ids[s.item_key], s.score, s.harm_flag) for s in scores)


def _write_scores(
    session: Session,
    rating_id: int,
    ids: dict[str, int],
    scores: Sequence[ItemScoreInput],
    *,
    replace: bool,
) -> None:
    """Write the item scores and their evidence in bulk statements, replacing any before.

    A rating is written whole on every save; building ORM objects for each item and note
    cost more than everything else in a submission, so the rows go in as plain inserts.
    """
    connection = session.connection()
    if replace:
        connection.execute(_DELETE_SCORES, {"rating": rating_id})
    if not scores:
        return
    inserted = connection.execute(
        _INSERT_SCORES,
        [
            {"rating_id": rating_id, "item_id": ids[s.item_key], "score": s.score,
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
        connection.execute(_INSERT_EVIDENCE, notes)


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
    ids = item_index(session, recorded.rubric_version).id_by_key
    rating.overall_comment = overall_comment
    rating.packed_scores = _packed(ids, scores)
    rating.updated_at = utcnow()
    assignment.status = AssignmentStatus.in_progress
    try:
        # The version check comes first, so a writer that lost the race writes nothing.
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the draft was changed by another request") from None
    _write_scores(session, rating.id, ids, scores, replace=True)
    # The collection in memory no longer matches the rows; the next read loads them.
    session.expire(rating, ["scores"])
    return rating


@dataclass(frozen=True)
class Submission:
    """What a submission answers with: enough to reply without reading the rating back."""

    rating_id: int
    version: int
    submitted_at: datetime
    replayed: bool
    # What was submitted, as a read would show it (rubric order, evidence by time); a replay
    # carries none, since its content is whatever the first submission stored.
    scores: tuple[ItemScoreInput, ...] = ()
    overall_comment: str = ""


# Everything a submission checks, in one round trip: the assignment, its session and rubric
# version, and the rating so far (if any).
_SUBMISSION_TARGET = (
    select(
        _ASSIGNMENTS.c.rater_id,
        _ASSIGNMENTS.c.status.label("assignment_status"),
        _ASSIGNMENTS.c.session_id,
        _SESSIONS.c.program_id,
        _SESSIONS.c.phase,
        _SESSIONS.c.modalities,
        _SESSIONS.c.duration_seconds,
        _SESSIONS.c.rubric_version_id,
        _VERSIONS.c.sha256,
        _RATINGS.c.id.label("rating_id"),
        _RATINGS.c.status.label("rating_status"),
        _RATINGS.c.version,
        _RATINGS.c.idempotency_key,
        _RATINGS.c.submitted_at,
        _RATINGS.c.overall_comment,
    )
    .join_from(_ASSIGNMENTS, _SESSIONS, _SESSIONS.c.id == _ASSIGNMENTS.c.session_id)
    .join(_VERSIONS, _VERSIONS.c.id == _SESSIONS.c.rubric_version_id)
    .outerjoin(_RATINGS, _RATINGS.c.assignment_id == _ASSIGNMENTS.c.id)
    .where(_ASSIGNMENTS.c.id == bindparam("assignment"))
)
_STORED_SCORES = (
    select(
        _ITEM_SCORES.c.id, _ITEM_SCORES.c.item_id, _ITEM_SCORES.c.score,
        _ITEM_SCORES.c.not_applicable, _ITEM_SCORES.c.harm_flag, _ITEM_SCORES.c.harm_note,
    )
    .where(_ITEM_SCORES.c.rating_id == bindparam("rating"))
    .order_by(_ITEM_SCORES.c.id)
)  # fmt: skip
_STORED_EVIDENCE = (
    select(_EVIDENCE.c.item_score_id, _EVIDENCE.c.timestamp_seconds, _EVIDENCE.c.note)
    .join(_ITEM_SCORES, _ITEM_SCORES.c.id == _EVIDENCE.c.item_score_id)
    .where(_ITEM_SCORES.c.rating_id == bindparam("rating"))
    .order_by(_EVIDENCE.c.id)
)
_INSERT_RATING = insert(_RATINGS).returning(_RATINGS.c.id)
_SUBMIT_ASSIGNMENT = (
    update(_ASSIGNMENTS)
    .where(_ASSIGNMENTS.c.id == bindparam("assignment"))
    .values(status=AssignmentStatus.submitted)
)


def _stored_scores(session: Session, rating_id: int, keys: dict[int, str]) -> list[ItemScoreInput]:
    connection = session.connection()
    notes: dict[int, list[EvidenceInput]] = {}
    for score_id, at, note in connection.execute(_STORED_EVIDENCE, {"rating": rating_id}):
        notes.setdefault(score_id, []).append(EvidenceInput(at, note))
    return [
        ItemScoreInput(keys[item_id], score, na, harm, harm_note, tuple(notes.get(score_id, ())))
        for score_id, item_id, score, na, harm, harm_note in connection.execute(
            _STORED_SCORES, {"rating": rating_id}
        )
    ]


def submit(
    session: Session,
    program: Program,
    rater: User,
    assignment_id: int,
    idempotency_key: str,
    final: RatingContent | None = None,
) -> Submission:
    """Submit the caller's rating once; the same key again returns the first result.

    ``final`` is the whole rating, which replaces the draft in the same transaction, so a
    client that holds it needs one round trip and a crash between saving and submitting
    cannot happen. Without it the saved draft is submitted.

    This is the write every rating ends with, and a cohort's raters finish together, so it
    runs as a handful of plain statements on the request's connection: one read of all it
    checks, the rating, its scores and evidence in bulk, the assignment, the audit event.
    """
    session.flush()
    connection = session.connection()
    target = connection.execute(_SUBMISSION_TARGET, {"assignment": assignment_id}).one_or_none()
    if (
        target is None
        or target.rater_id != rater.id
        or target.program_id != program.id
        or target.assignment_status is AssignmentStatus.withdrawn
    ):
        raise NotFoundError(f"assignment: no assignment {assignment_id} of yours")
    if target.rating_status is RatingStatus.submitted:
        if target.idempotency_key == idempotency_key:
            return Submission(target.rating_id, target.version, target.submitted_at, True)
        raise ConflictError("rating: already submitted")
    index = _item_index(session, target.rubric_version_id, target.sha256)
    if final is not None:
        scores = final.scores
    elif target.rating_id is None:
        raise InvalidInputError("rating: save a draft before submitting, or send the rating")
    else:
        scores = _stored_scores(session, target.rating_id, index.key_by_id)
    context = SessionContext(
        target.phase, frozenset(Modality(m) for m in target.modalities), target.duration_seconds
    )
    problems = validate_scores(
        _document(session, target.rubric_version_id, target.sha256), context, scores, final=True
    )
    if problems:
        raise InvalidInputError("; ".join(f"{p.path}: {p.message}" for p in problems))
    now = utcnow()
    values: dict[str, Any] = {
        "status": RatingStatus.submitted, "submitted_at": now,
        "idempotency_key": idempotency_key, "updated_at": now,
    }  # fmt: skip
    if final is not None:
        values["overall_comment"] = final.overall_comment
        values["packed_scores"] = _packed(index.id_by_key, scores)
    if target.rating_id is None:
        try:
            rating_id = connection.scalar(
                _INSERT_RATING,
                {**values, "assignment_id": assignment_id, "version": 1, "created_at": now,
                 "rubric_version_id": target.rubric_version_id},
            )  # fmt: skip
        except IntegrityError:
            # Another request for the same assignment inserted its rating first (PostgreSQL;
            # SQLite's write lock lets one writer at a time read and write). The transaction
            # is spoilt, and the request rolls it back with this answer.
            raise ConflictError("version: the rating was changed by another request") from None
        version = 1
    else:
        if final is not None and final.version is not None and final.version != target.version:
            raise ConflictError(
                f"version: the draft is at version {target.version}, not {final.version}; "
                "reload it before saving"
            )
        rating_id, version = target.rating_id, target.version + 1
        changed = connection.execute(
            update(_RATINGS)
            .where(_RATINGS.c.id == rating_id, _RATINGS.c.version == target.version)
            .values(version=version, **values)
        ).rowcount
        if changed != 1:
            raise ConflictError("version: the rating was changed by another request")
    if final is not None:
        _write_scores(
            session, rating_id, index.id_by_key, scores, replace=target.rating_id is not None
        )
    connection.execute(_SUBMIT_ASSIGNMENT, {"assignment": assignment_id})
    # Rows written here past the ORM: copies of them in this session are out of date.
    for entity, key in ((Rating, rating_id), (Assignment, assignment_id)):
        loaded = session.identity_map.get(identity_key(entity, key))
        if loaded is not None:
            session.expire(loaded)
    record_event(
        session, action="rating.submit", entity_type="rating", entity_id=rating_id,
        actor_id=rater.id, program_id=program.id,
        payload={"assignment_id": assignment_id, "session_id": target.session_id},
    )  # fmt: skip
    release_if_automatic(session, program, target.session_id, rater)
    position = {key: index.position_by_id[item_id] for key, item_id in index.id_by_key.items()}
    shown = tuple(
        replace(s, evidence=tuple(sorted(s.evidence, key=lambda e: e.timestamp_seconds)))
        for s in sorted(scores, key=lambda s: position[s.item_key])
    )
    comment = final.overall_comment if final is not None else target.overall_comment
    return Submission(rating_id, version, now, False, shown, comment)


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
