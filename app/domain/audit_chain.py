"""The audit trail's hash chain: each event's hash covers its content and its predecessor.

Changing, removing or inserting any event changes every later hash, so the first event
whose recorded hashes do not match the recomputed ones is where tampering happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditContent:
    occurred_at: datetime
    actor_id: int | None
    program_id: int | None
    action: str
    entity_type: str
    entity_id: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class ChainedEvent:
    id: int
    prev_hash: str
    hash: str
    content: AuditContent


@dataclass(frozen=True)
class BrokenLink:
    event_id: int
    reason: str


def event_hash(prev_hash: str, content: AuditContent) -> str:
    """SHA-256 of the canonical JSON of the event and its predecessor's hash.

    >>> moment = datetime(2026, 1, 1, tzinfo=UTC)
    >>> content = AuditContent(moment, 1, None, "login", "user", "1", {})
    >>> event_hash(GENESIS_HASH, content) == event_hash(GENESIS_HASH, content)
    True
    >>> event_hash(GENESIS_HASH, content) == event_hash("1" * 64, content)
    False
    """
    canonical = json.dumps(
        {
            "prev_hash": prev_hash,
            # Microsecond UTC text: identical whether the database kept an offset or not.
            "occurred_at": content.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": content.actor_id,
            "program_id": content.program_id,
            "action": content.action,
            "entity_type": content.entity_type,
            "entity_id": content.entity_id,
            "payload": content.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def first_broken_link(events: Iterable[ChainedEvent]) -> BrokenLink | None:
    """Walk the chain in order; None when every link holds."""
    expected_prev = GENESIS_HASH
    for event in events:
        if event.prev_hash != expected_prev:
            return BrokenLink(
                event.id,
                "its recorded predecessor hash does not match the previous event "
                "(an event before it was changed, removed or inserted)",
            )
        if event_hash(event.prev_hash, event.content) != event.hash:
            return BrokenLink(event.id, "its content no longer matches its recorded hash")
        expected_prev = event.hash
    return None
