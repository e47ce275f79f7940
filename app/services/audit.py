"""Appending to and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, false, insert, not_, or_, select, text
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import AuditEvent, User
from app.domain.audit_chain import (
    GENESIS_HASH,
    AuditContent,
    BrokenLink,
    ChainedEvent,
    event_hash,
    first_broken_link,
)

# Any constant: it names the one advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK = 7_305_114


_EVENTS = cast(Table, AuditEvent.__table__)
_LAST_HASH = select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)
_APPEND = insert(_EVENTS)


def record_event(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: str | int,
    actor_id: int | None = None,
    program_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Append one event after the current last one, in the caller's transaction.

    A plain insert rather than an ORM object: nothing reads the event back in the same
    request, and every state change in the app pays for this append.
    """
    # The event may name rows the caller has only added so far.
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Without it two transactions could chain onto the same predecessor; the unique
        # prev_hash would then reject one of them instead of ordering them.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    prev_hash = connection.scalar(_LAST_HASH) or GENESIS_HASH
    content = AuditContent(
        occurred_at=utcnow(),
        actor_id=actor_id,
        program_id=program_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        payload=dict(payload or {}),
    )
    connection.execute(
        _APPEND,
        {
            "occurred_at": content.occurred_at,
            "actor_id": actor_id,
            "program_id": program_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": content.entity_id,
            "payload": content.payload,
            "prev_hash": prev_hash,
            "hash": event_hash(prev_hash, content),
        },
    )


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    broken: BrokenLink | None


def _chained(session: Session) -> Iterator[ChainedEvent]:
    rows = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    )
    for row in rows:
        yield ChainedEvent(
            row.id,
            row.prev_hash,
            row.hash,
            AuditContent(
                row.occurred_at, row.actor_id, row.program_id, row.action, row.entity_type,
                row.entity_id, row.payload,
            ),
        )  # fmt: skip


def verify_chain(session: Session) -> ChainReport:
    counted = 0

    def counting() -> Iterator[ChainedEvent]:
        nonlocal counted
        for event in _chained(session):
            counted += 1
            yield event

    broken = first_broken_link(counting())
    return ChainReport(counted, broken)


def _visible_to(blind_to: frozenset[int], viewer_id: int | None) -> ColumnElement[bool]:
    """SQL: the event is not about a session in ``blind_to``, or the viewer did it.

    An event is about a session when the session is its entity, or its payload names the
    session as ``session_id`` (assignments, submissions, amendments, harm confirmations).
    """
    session_id = AuditEvent.payload["session_id"].as_integer()
    about = or_(
        and_(
            AuditEvent.entity_type == "recorded_session",
            AuditEvent.entity_id.in_([str(sid) for sid in blind_to]),
        ),
        and_(session_id.is_not(None), session_id.in_(list(blind_to))),
    )
    mine = AuditEvent.actor_id == viewer_id if viewer_id is not None else false()
    return or_(mine, not_(about))


def _filtered(
    program_id: int,
    *,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_id: int | None = None,
    blind_to: frozenset[int] = frozenset(),
    viewer_id: int | None = None,
) -> list[ColumnElement[bool]]:
    found = [AuditEvent.program_id == program_id]
    if action is not None:
        found.append(AuditEvent.action == action)
    if since is not None:
        found.append(AuditEvent.occurred_at >= since)
    if until is not None:
        found.append(AuditEvent.occurred_at <= until)
    if actor_id is not None:
        found.append(AuditEvent.actor_id == actor_id)
    if blind_to:
        found.append(_visible_to(blind_to, viewer_id))
    return found


def program_events(
    session: Session,
    program_id: int,
    *,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor_id: int | None = None,
    blind_to: frozenset[int] = frozenset(),
    viewer_id: int | None = None,
    newest_first: bool = False,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """A program's audit events, oldest first (or newest first), optionally filtered.

    Events about the sessions in ``blind_to`` (those the viewer still has to rate) are left
    out unless the viewer did them: who was assigned, who submitted and what an amendment
    changed are exactly what a pending rater must not learn. ``before_id`` and ``limit`` page
    through the log newest first: by time, then id, which the program's time index serves
    without sorting the whole log.
    """
    query = select(AuditEvent).where(
        *_filtered(
            program_id, action=action, since=since, until=until, actor_id=actor_id,
            blind_to=blind_to, viewer_id=viewer_id,
        )
    )  # fmt: skip
    if not newest_first:
        return list(session.scalars(query.order_by(AuditEvent.id).limit(limit)))
    if before_id is not None:
        cursor = session.get(AuditEvent, before_id)
        if cursor is None:
            return []
        query = query.where(
            or_(
                AuditEvent.occurred_at < cursor.occurred_at,
                and_(AuditEvent.occurred_at == cursor.occurred_at, AuditEvent.id < before_id),
            )
        )
    order = (AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


@dataclass(frozen=True)
class Actor:
    id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class LogChoices:
    """What the log's filters offer: the kinds of event and the people in it."""

    actions: list[str]
    actors: list[Actor]


def log_choices(
    session: Session,
    program_id: int,
    *,
    blind_to: frozenset[int] = frozenset(),
    viewer_id: int | None = None,
) -> LogChoices:
    """The actions and actors of the events the viewer may see, read in one pass."""
    pairs = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(*_filtered(program_id, blind_to=blind_to, viewer_id=viewer_id))
        .distinct()
    ).all()
    actor_ids = {actor for _, actor in pairs if actor is not None}
    people = session.execute(
        select(User.id, User.full_name, User.email)
        .where(User.id.in_(actor_ids))
        .order_by(User.full_name, User.id)
    )
    return LogChoices(sorted({action for action, _ in pairs}), [Actor(*row) for row in people])
