"""The audit log as CSV, one event a row, with the hashes so a reader can re-check the chain."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from app.db.models import AuditEvent

COLUMNS = ("id", "occurred_at", "actor_id", "action", "entity_type", "entity_id", "payload",
           "prev_hash", "hash")  # fmt: skip


def _safe(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv(events: Iterable[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in events:
        writer.writerow(
            [
                e.id,
                e.occurred_at.isoformat(),
                "" if e.actor_id is None else e.actor_id,
                _safe(e.action),
                _safe(e.entity_type),
                _safe(e.entity_id),
                _safe(json.dumps(e.payload, sort_keys=True, ensure_ascii=False)),
                e.prev_hash,
                e.hash,
            ]
        )
    return out.getvalue()
