"""Alembic checks on SQLite and PostgreSQL: single head, upgrade, drift, up/down consistency.

pytest-alembic's tests are imported explicitly: its collector plugin breaks on newer pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine

from app.db.engine import make_engine
from tests.support.databases import (
    BACKENDS,
    postgres_url,
    sibling_postgres_database,
    sqlite_url,
)
from tests.support.databases import (
    alembic_config as make_alembic_config,
)

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


@pytest.fixture(params=BACKENDS)
def alembic_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "migrations.db")
    else:
        pg = postgres_url()
        if pg is None:
            pytest.skip("TEST_DATABASE_URL is not set to a PostgreSQL database")
        url = sibling_postgres_database(pg, "migrations")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def alembic_config() -> Any:
    return make_alembic_config()
