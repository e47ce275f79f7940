"""Engine construction and the unit-of-work session used by every shell.

Services only ``flush()``; whoever opened the session (a request, a CLI command) commits it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL with synchronous=FULL is what keeps
    # acknowledged submissions durable across a crash.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


# How often a long-lived connection refreshes the planner's statistics.
OPTIMIZE_EVERY_SECONDS = 600.0
_now = time.monotonic  # a seam for tests that need the clock to move


def _sqlite_optimize(dbapi_connection: Any, record: Any) -> None:
    """``PRAGMA optimize`` when a connection goes back to the pool: at its first return,
    then at most every ten minutes, as SQLite advises for long-lived connections.

    Without statistics SQLite's planner guesses that a program's sessions are a small part
    of their table and reads a program's ratings through them by secondary indexes; with
    them it scans the ratings by primary key, twice as fast for readiness and reliability.
    The pragma analyses the tables this connection's queries used whose statistics are
    missing or far off, as autovacuum's ANALYZE does for PostgreSQL. Not at every return:
    it re-analyses empty tables each time (they leave no statistics behind), a write and
    an fsync that cost a rating submission 0.4 ms.
    """
    now = _now()
    last = record.info.get("optimized_at")
    if last is not None and now - last < OPTIMIZE_EVERY_SECONDS:
        return
    record.info["optimized_at"] = now
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA optimize")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # pysqlite's own transaction handling skips BEGIN before DDL and breaks SAVEPOINTs;
    # emitting BEGIN ourselves makes migrations atomic and nested transactions real.
    # IMMEDIATE takes the write lock up front, waiting for it under busy_timeout. A deferred
    # transaction reads first (token, assignment) and then fails at once with "database is
    # locked" when it tries to write while another request writes: SQLite cannot upgrade a
    # reader whose snapshot may be stale, so busy_timeout never applies. Under concurrent
    # submissions (bench/load_ratings.py, 16 raters) nearly every one failed that way. The
    # price: a read-only transaction also waits for the writer, never for long here.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


# An execution option for statements that read many values: on PostgreSQL their results
# travel in binary rather than as text. A program's packed scores are 14 MB of bytea,
# which as text the server writes out in hex and the driver decodes again: 0.1 s of a
# program-wide read (rows_with_scores).
BINARY_RESULTS = "binary_results"


def _binary_results(
    _connection: Connection,
    cursor: Any,
    _statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    if context is not None and context.execution_options.get(BINARY_RESULTS):
        cursor.format = psycopg.pq.Format.BINARY  # psycopg's documented per-cursor switch


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options: dict[str, Any] = {}
        if parsed.database not in (None, "", ":memory:"):
            # SQLite has one writer at a time. One pooled connection queues a process's
            # requests on the pool, which wakes the next one the moment the connection is
            # returned; with several, they queued on SQLite's busy handler, which polls with
            # sleeps of up to 100 ms, so under 16 concurrent raters the lock sat idle and some
            # waited past busy_timeout. One connection also keeps one warm page cache.
            options.update(pool_size=1, max_overflow=0, pool_timeout=30)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "isolation_level": None}, **options
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_optimize)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _binary_results)
    return engine


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a schema migration, safe for SQLite's rebuilt tables.

    SQLite alters most of a table by building a copy and dropping the original, and with
    foreign keys on, dropping a table first deletes its rows with every ON DELETE CASCADE:
    rebuilding ``rating`` would delete every item score. SQLite's own procedure for such
    changes (https://sqlite.org/lang_altertable.html#otheralter) is followed: foreign keys
    off before the transaction (the pragma does nothing inside one), ``foreign_key_check``
    before the commit, foreign keys back on for the pooled connection.
    """
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if driver is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(
                            f"migration: row {broken[1]} of table {broken[0]} refers to a "
                            f"missing row of {broken[2]}; nothing was changed"
                        )
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    return make_engine(get_settings().database_url)


# Engines live as long as the process (or a test run), so one factory per engine is kept:
# building a sessionmaker declares a new Session subclass, and setting up its event dispatch
# cost more per request than the authentication query.
_FACTORIES: WeakKeyDictionary[Engine, sessionmaker[Session]] = WeakKeyDictionary()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = _FACTORIES[engine] = sessionmaker(
            bind=engine, expire_on_commit=False, autoflush=True
        )
    return factory


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    session = session_factory(engine or default_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
