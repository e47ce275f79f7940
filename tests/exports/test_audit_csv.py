"""The audit CSV cannot smuggle spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from app.db.models import AuditEvent
from app.exports.audit_csv import COLUMNS, audit_csv


def test_cells_that_would_be_formulas_are_quoted() -> None:
    event = AuditEvent(
        id=1, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), actor_id=None, action="=cmd|x",
        entity_type="user", entity_id="@SUM(A1)", payload={"a": 1}, prev_hash="0" * 64,
        hash="1" * 64,
    )  # fmt: skip
    (row,) = list(csv.reader(io.StringIO(audit_csv([event]))))[1:]
    record = dict(zip(COLUMNS, row, strict=True))
    assert record["action"] == "'=cmd|x"
    assert record["entity_id"] == "'@SUM(A1)"
    assert record["actor_id"] == ""
    assert record["occurred_at"] == "2026-01-01T00:00:00+00:00"
