"""The audit trail: a hash chain that the database refuses to rewrite, and that tells when
someone did anyway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from app.domain.audit_chain import GENESIS_HASH
from app.services.audit import record_event, verify_chain


def _three_events(session: Session) -> list[AuditEvent]:
    record_event(session, action="login", entity_type="user", entity_id=1, actor_id=None)
    record_event(session, action="session.register", entity_type="recorded_session",
                 entity_id=7, payload={"phase": "medication", "notes": "ünïcode"})  # fmt: skip
    record_event(session, action="rating.submit", entity_type="rating", entity_id=3,
                 payload={"scores": {"A1": 4, "B5": None}})  # fmt: skip
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@contextmanager
def _triggers_off(session: Session) -> Iterator[None]:
    """What an attacker with DDL rights would do; undone when the test's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    yield


def test_events_form_a_chain(db_session: Session) -> None:
    events = _three_events(db_session)
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    report = verify_chain(db_session)
    assert (report.events_checked, report.broken) == (3, None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'forged'",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_rewrite_history(db_session: Session, statement: str) -> None:
    _three_events(db_session)
    attempt = db_session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text(statement))
    attempt.rollback()
    assert verify_chain(db_session).broken is None


def test_a_changed_event_is_found(db_session: Session) -> None:
    events = _three_events(db_session)
    with _triggers_off(db_session):
        db_session.execute(
            text("UPDATE audit_event SET entity_id = '8' WHERE id = :id"), {"id": events[1].id}
        )
    db_session.expire_all()
    broken = verify_chain(db_session).broken
    assert broken is not None
    assert broken.event_id == events[1].id
    assert "content" in broken.reason


def test_a_removed_event_is_found(db_session: Session) -> None:
    events = _three_events(db_session)
    with _triggers_off(db_session):
        db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[1].id})
    db_session.expire_all()
    broken = verify_chain(db_session).broken
    assert broken is not None
    assert broken.event_id == events[2].id
    assert "predecessor" in broken.reason


def test_hashes_survive_the_database_round_trip(db_session: Session) -> None:
    _three_events(db_session)
    db_session.expire_all()
    stored = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert stored[1].payload == {"phase": "medication", "notes": "ünïcode"}
    assert verify_chain(db_session).broken is None
