"""Building test databases: fresh schemas, migrated by Alembic, on each backend."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, make_url, text

from app.db.engine import make_engine, migration_transaction

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("sqlite", "postgresql")


def sqlite_url(path: Path) -> str:
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def postgres_url() -> str | None:
    """``TEST_DATABASE_URL``, or under pytest-xdist a database of the worker's own beside it
    (``test_gw0``...): every run empties its database's schema, and two runs sharing one
    would pull the tables from under each other."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return url if worker is None else _worker_database(url, worker)


@lru_cache  # made afresh once per worker process, at its first use
def _worker_database(url: str, worker: str) -> str:
    return sibling_postgres_database(url, worker)


def reset_postgres(url: str) -> None:
    """Empty the database's public schema so that every run starts from nothing."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def sibling_postgres_database(url: str, suffix: str) -> str:
    """A second, empty database beside the test one, for tests that migrate up and down."""
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def migrated_engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        reset_postgres(url)
    engine = make_engine(url)
    config = alembic_config()
    with migration_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return engine
