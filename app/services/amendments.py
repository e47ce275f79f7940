"""Amending submitted ratings: a traced, reasoned change, never a silent overwrite.

The rating row always holds the current values, because every reader (feedback, reliability,
readiness, exports) should see what the rater now stands by; each amendment keeps who, when,
why, and the value before and after, so the original is always recoverable and shown.
Raters may amend their own rating within the program's window; admins may amend any
rating they may read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db.base import utcnow
from app.db.models import Amendment, Assignment, ItemScore, Program, Rating, RubricItem, User
from app.domain.identifiers import describe, find_identifiers
from app.domain.packed_scores import pack
from app.domain.scoring import EvidenceInput, ItemScoreInput
from app.domain.vocabulary import OPEN_ASSIGNMENT, RatingStatus, Role
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.ratings import check_final, item_index

# The fields of an item score an amendment may change, in the order they are reported.
ITEM_FIELDS = ("score", "not_applicable", "harm_flag", "harm_note")


@dataclass(frozen=True)
class ItemChange:
    """The new state of one item; fields equal to the current ones are not recorded."""

    item_key: str
    score: int | None
    not_applicable: bool = False
    harm_flag: bool = False
    harm_note: str = ""


@dataclass(frozen=True)
class AmendmentRequest:
    reason: str
    version: int
    items: Sequence[ItemChange] = ()
    overall_comment: str | None = None


def _amendable(
    session: Session, program: Program, actor: User, roles: frozenset[Role], rating_id: int
) -> Rating:
    hidden = NotFoundError(f"rating: no submitted rating {rating_id} you may amend")
    rating = session.get(Rating, rating_id)
    if rating is None or rating.status is not RatingStatus.submitted:
        raise hidden
    assignment = rating.assignment
    if assignment.session.program_id != program.id:
        raise hidden
    own = assignment.rater_id == actor.id
    if Role.admin in roles:
        # An admin who still has to rate this session must stay blind to the others.
        pending = session.scalar(
            select(Assignment.id).where(
                Assignment.session_id == assignment.session_id,
                Assignment.rater_id == actor.id,
                Assignment.status.in_(OPEN_ASSIGNMENT),
            )
        )
        if pending is not None:
            raise hidden
        return rating
    if not own:
        raise hidden
    assert rating.submitted_at is not None
    closes = rating.submitted_at + timedelta(days=program.amendment_window_days)
    if utcnow() > closes:
        raise ConflictError(
            f"rating: the {program.amendment_window_days}-day amendment window closed on "
            f"{closes:%Y-%m-%d %H:%M} UTC; ask a program admin"
        )
    return rating


def amend_rating(
    session: Session,
    program: Program,
    actor: User,
    roles: frozenset[Role],
    rating_id: int,
    request: AmendmentRequest,
) -> Rating:
    rating = _amendable(session, program, actor, roles, rating_id)
    reason = request.reason.strip()
    if not reason:
        raise InvalidInputError("reason: say why the rating changes")
    for field, text in (
        ("reason", reason),
        ("overall_comment", request.overall_comment or ""),
        *((f"scores[{c.item_key}].harm_note", c.harm_note) for c in request.items),
    ):
        found = find_identifiers(text)
        if found:
            raise InvalidInputError(describe(found, field))
    if request.version != rating.version:
        raise ConflictError(
            f"version: the rating is at version {rating.version}, not {request.version}; "
            "reload it before amending"
        )
    keys = [c.item_key for c in request.items]
    if len(set(keys)) != len(keys):
        raise InvalidInputError("scores: an item is listed twice")
    index = item_index(session, rating.assignment.session.rubric_version)
    current = {index.key_by_id[s.item_id]: s for s in rating.scores}
    after = {
        key: ItemScoreInput(
            key, s.score, s.not_applicable, s.harm_flag, s.harm_note,
            tuple(EvidenceInput(e.timestamp_seconds, e.note) for e in s.evidence),
        )
        for key, s in current.items()
    }  # fmt: skip
    for change in request.items:
        kept = after.get(change.item_key)
        after[change.item_key] = ItemScoreInput(
            change.item_key, change.score, change.not_applicable, change.harm_flag,
            change.harm_note, kept.evidence if kept else (),
        )  # fmt: skip
    check_final(rating.assignment.session, list(after.values()))

    items = {
        i.key: i
        for i in session.scalars(
            select(RubricItem).where(RubricItem.rubric_version_id == rating.rubric_version_id)
        )
    }
    records: list[Amendment] = []

    def note(item: RubricItem | None, field: str, old: Any, new: Any) -> None:
        records.append(
            Amendment(
                rating_id=rating.id, item_id=item.id if item else None, field=field,
                old_value=old, new_value=new, reason=reason, amended_by_id=actor.id,
            )
        )  # fmt: skip

    for change in request.items:
        item = items[change.item_key]
        score = current.get(change.item_key)
        if score is None:
            score = ItemScore(item=item)
            rating.scores.append(score)
            old: dict[str, Any] = dict.fromkeys(ITEM_FIELDS)
        else:
            old = {f: getattr(score, f) for f in ITEM_FIELDS}
        new = {f: getattr(change, f) for f in ITEM_FIELDS}
        for field in ITEM_FIELDS:
            if old[field] != new[field]:
                note(item, field, old[field], new[field])
                setattr(score, field, new[field])
    comment = request.overall_comment
    if comment is not None and comment != rating.overall_comment:
        note(None, "overall_comment", rating.overall_comment, comment)
        rating.overall_comment = comment
    if not records:
        raise InvalidInputError("scores: nothing changes; an amendment must change something")
    session.add_all(records)
    rating.packed_scores = pack((items[key].id, s.score, s.harm_flag) for key, s in after.items())
    # Touching the rating row moves its version, so a concurrent amendment gets a 409.
    rating.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError("version: the rating was amended by another request") from None
    record_event(
        session, action="rating.amend", entity_type="rating", entity_id=rating.id,
        actor_id=actor.id, program_id=program.id,
        payload={
            "session_id": rating.assignment.session_id,
            "reason": reason,
            "changes": [
                {"item": r.item_id, "field": r.field, "before": r.old_value,
                 "after": r.new_value}
                for r in records
            ],
        },
    )  # fmt: skip
    return rating


def history_of(session: Session, rating_ids: Sequence[int]) -> dict[int, list[Amendment]]:
    """Amendments of each rating, oldest first, in one query for a whole page of ratings."""
    history: dict[int, list[Amendment]] = {rid: [] for rid in rating_ids}
    for amendment in session.scalars(
        select(Amendment)
        .where(Amendment.rating_id.in_(list(rating_ids)))
        .order_by(Amendment.created_at, Amendment.id)
    ):
        history[amendment.rating_id].append(amendment)
    return history
