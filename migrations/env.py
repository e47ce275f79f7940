"""Alembic environment: migrates the connection it is handed, or the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

import app.db.models  # noqa: F401 - registers every table on Base.metadata
from app.db.base import Base
from app.db.engine import make_engine, migration_transaction

target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Callers may hand over a connection (the CLI, test fixtures) or an engine
    # (pytest-alembic); otherwise the configured URL is used.
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure_and_run(given)
        return
    if isinstance(given, Engine):
        with migration_transaction(given) as conn:
            _configure_and_run(conn)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from app.config import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    try:
        with migration_transaction(engine) as conn:
            _configure_and_run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
