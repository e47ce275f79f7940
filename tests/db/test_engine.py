"""SQLite is configured for integrity and durability on every connection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from app.db import engine as engine_module
from app.db.engine import make_engine, unit_of_work
from app.db.models import Program
from app.services.programs import create_program
from tests.support.databases import migrated_engine, sqlite_url


def test_sqlite_pragmas_on_every_connection(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "p.db"))
    for _ in range(2):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_unit_of_work_commits_or_rolls_back(tmp_path: Path) -> None:
    engine = migrated_engine(sqlite_url(tmp_path / "uow.db"))
    with unit_of_work(engine) as session:
        session.add(Program(slug="kept", name="Kept"))

    def failing_command() -> None:
        with unit_of_work(engine) as session:
            session.add(Program(slug="dropped", name="Dropped"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_command()
    with engine.connect() as conn:
        slugs = conn.execute(text("SELECT slug FROM program")).scalars().all()
    assert slugs == ["kept"]
    engine.dispose()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    engine = migrated_engine(sqlite_url(tmp_path / "fk.db"))
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        session.execute(
            text(
                "INSERT INTO cohort (program_id, name, start_date, active, created_at) "
                "VALUES (999, 'x', '2026-01-01', 1, '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()


def test_connections_keep_the_planner_statistics_fresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = migrated_engine(sqlite_url(tmp_path / "stats.db"))
    statements: list[str] = []
    event.listen(engine, "connect", lambda dbapi, _: dbapi.set_trace_callback(statements.append))
    engine.dispose()  # a connection of its own, as a server process starts with

    def optimized() -> int:
        return statements.count("PRAGMA optimize")

    def use_the_audit_trail(first: int) -> None:
        with unit_of_work(engine) as session:
            for n in range(first, first + 50):
                create_program(session, slug=f"p{n}", name=f"P{n}")
            session.execute(text("SELECT id FROM audit_event WHERE program_id = 7")).all()

    # The first return of the connection to the pool analyses what its queries used...
    use_the_audit_trail(0)
    assert optimized() == 1
    with engine.connect() as conn:
        analysed = conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
        assert "audit_event" in set(analysed)
    # ...later returns leave the statistics alone for a while...
    use_the_audit_trail(50)
    assert optimized() == 1
    # ...and then look at them again.
    later = time.monotonic() + engine_module.OPTIMIZE_EVERY_SECONDS + 1
    monkeypatch.setattr(engine_module, "_now", lambda: later)
    use_the_audit_trail(100)
    assert optimized() == 2
    engine.dispose()
