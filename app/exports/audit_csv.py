"""The audit log as CSV, one event a row, with the hashes so a reader can re-check the chain."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from app.db.models import AuditEvent
from app.exports.cells import formula_safe

COLUMNS = ("id", "occurred_at", "actor_id", "action", "entity_type", "entity_id", "payload",
           "prev_hash", "hash")  # fmt: skip


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
                formula_safe(e.action),
                formula_safe(e.entity_type),
                formula_safe(e.entity_id),
                formula_safe(json.dumps(e.payload, sort_keys=True, ensure_ascii=False)),
                e.prev_hash,
                e.hash,
            ]
        )
    return out.getvalue()
