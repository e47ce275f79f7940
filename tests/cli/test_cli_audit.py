"""``guidinghand audit verify`` on an intact and on a tampered database."""

from __future__ import annotations

import sqlite3

from app.db.engine import make_engine, unit_of_work
from app.services.audit import record_event
from tests.support.cli import Cli


def test_verify_intact_then_tampered(migrated_cli: Cli) -> None:
    engine = make_engine(migrated_cli.database_url)
    with unit_of_work(engine) as session:
        for n in range(5):
            record_event(session, action="test", entity_type="thing", entity_id=n)
    engine.dispose()

    ok = migrated_cli("audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "audit chain intact: 5 events"

    with sqlite3.connect(migrated_cli.workdir / "cli.db") as conn:
        conn.execute("DROP TRIGGER audit_event_no_update")
        conn.execute("UPDATE audit_event SET entity_id = 'forged' WHERE id = 3")
    broken = migrated_cli("audit", "verify")
    assert broken.returncode == 1
    assert broken.stderr.strip().startswith("error: audit chain broken at event 3:")
