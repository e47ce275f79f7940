"""Admin confirmation of a harm flag raised by a single rater.

Readiness counts a harm flag once a second rater flags the same item or an admin confirms
it; a confirmation is the admin's considered judgement, so it carries a note and is on the
audit record.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Assignment, HarmConfirmation, ItemScore, Program, Rating, User
from app.domain.identifiers import describe, find_identifiers
from app.domain.vocabulary import AssignmentStatus, RatingStatus, Role
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.feedback import sessions_blind_to
from app.services.ratings import item_index
from app.services.sessions import get_visible_session


def confirm_harm(
    session: Session, program: Program, actor: User, session_id: int, item_key: str, note: str
) -> HarmConfirmation:
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    if recorded.id in sessions_blind_to(session, program, actor):
        raise NotFoundError(f"session: no session {session_id} in {program.slug}")
    item_id = item_index(session, recorded.rubric_version).id_by_key.get(item_key)
    if item_id is None:
        raise InvalidInputError(f"item_key: {item_key!r} is not an item of this session's rubric")
    found = find_identifiers(note)
    if found:
        raise InvalidInputError(describe(found, "note"))
    flagged = session.scalar(
        select(ItemScore.id)
        .join(Rating, Rating.id == ItemScore.rating_id)
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .where(
            Assignment.session_id == recorded.id,
            Assignment.status == AssignmentStatus.submitted,
            Rating.status == RatingStatus.submitted,
            ItemScore.item_id == item_id,
            ItemScore.harm_flag.is_(True),
        )
        .limit(1)
    )
    if flagged is None:
        raise InvalidInputError(f"item_key: no submitted rating flags harm on {item_key}")
    exists = session.scalar(
        select(HarmConfirmation.id).where(
            HarmConfirmation.session_id == recorded.id, HarmConfirmation.item_id == item_id
        )
    )
    if exists is not None:
        raise ConflictError(f"item_key: the harm flag on {item_key} is already confirmed")
    confirmation = HarmConfirmation(
        session_id=recorded.id, item_id=item_id, note=note.strip(), confirmed_by_id=actor.id
    )
    session.add(confirmation)
    session.flush()
    record_event(
        session, action="harm.confirm", entity_type="recorded_session", entity_id=recorded.id,
        actor_id=actor.id, program_id=program.id,
        payload={"item_key": item_key, "note": note.strip()},
    )  # fmt: skip
    return confirmation
