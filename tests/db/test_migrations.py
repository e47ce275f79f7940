"""Alembic checks on SQLite and PostgreSQL: single head, upgrade, drift, up/down consistency.

pytest-alembic's tests are imported explicitly: its collector plugin breaks on newer pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from app.db.engine import make_engine, migration_transaction
from app.db.models import ItemScore, Rating
from app.services.demo import seed_demo
from app.services.rubric_library import load_rubrics
from tests.support.databases import (
    BACKENDS,
    postgres_url,
    sibling_postgres_database,
    sqlite_url,
)
from tests.support.databases import (
    alembic_config as make_alembic_config,
)
from tests.support.packed import stale_packed_scores

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data.db")
    pg = postgres_url()
    if pg is None:
        pytest.skip("TEST_DATABASE_URL is not set to a PostgreSQL database")
    return sibling_postgres_database(pg, "data")


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    with migration_transaction(engine) as connection:
        config = make_alembic_config()
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _content(engine: Engine) -> tuple[list[tuple[Any, ...]], dict[int, bytes]]:
    with Session(engine) as session:
        scores = session.execute(
            select(ItemScore.id, ItemScore.rating_id, ItemScore.item_id, ItemScore.score,
                   ItemScore.harm_flag, ItemScore.harm_note).order_by(ItemScore.id)
        ).all()  # fmt: skip
        packed = dict(session.execute(select(Rating.id, Rating.packed_scores)).all())
        assert stale_packed_scores(session) == []
    return [tuple(r) for r in scores], {k: bytes(v) for k, v in packed.items()}


def test_migrating_down_and_up_keeps_every_item_score_and_packs_them(empty_url: str) -> None:
    # SQLite rebuilds a table it alters; with foreign keys on, dropping the old ``rating``
    # deleted every item score by cascade. The demo program gives every table rows.
    engine = make_engine(empty_url)
    try:
        _migrate(engine, "upgrade", "head")
        with Session(engine) as session:
            load_rubrics(session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])
            seed_demo(session, today=date(2026, 11, 2))
            session.commit()
        scores, packed = _content(engine)
        assert len(scores) > 1_000
        assert sum(len(p) for p in packed.values()) == 12 * len(scores)
        _migrate(engine, "downgrade", "0005")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(ItemScore)) == len(scores)
        _migrate(engine, "upgrade", "head")  # 0007 packs the scores of existing ratings
        assert _content(engine) == (scores, packed)
    finally:
        engine.dispose()


def test_a_migration_that_leaves_a_dangling_reference_is_refused(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "dangling.db"))
    try:
        _migrate(engine, "upgrade", "head")
        refused = pytest.raises(RuntimeError, match="table item_score refers to a missing row")
        with refused, migration_transaction(engine) as connection:
            connection.execute(
                text("INSERT INTO item_score (rating_id, item_id, score, not_applicable, "
                     "harm_flag, harm_note) VALUES (999, 999, 3, false, false, '')")
            )  # fmt: skip
        with engine.connect() as connection:  # nothing was kept, and foreign keys are back
            assert connection.scalar(select(func.count()).select_from(ItemScore)) == 0
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
