"""Shared fixtures: one migrated database per backend per run, a SAVEPOINT per test.

Database tests run on SQLite always and on PostgreSQL when ``TEST_DATABASE_URL`` names one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

# Settings are read once and cached, so the test environment must exist before any import.
_TMP = Path(tempfile.mkdtemp(prefix="guidinghand-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ.update(
    {
        "GUIDINGHAND_ENV": "test",
        "GUIDINGHAND_SECRET_KEY": "test-secret-key-not-for-production",
        "GUIDINGHAND_HASHER_PROFILE": "fast",
        "GUIDINGHAND_DATABASE_URL": f"sqlite:///{_TMP / 'default.db'}",
        "GUIDINGHAND_SIGNING_KEY_PATH": str(_TMP / "keys" / "signing-key.pem"),
        "GUIDINGHAND_MEDIA_ROOT": str(_TMP / "media"),
    }
)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.api.deps import get_session  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.support.databases import (  # noqa: E402
    BACKENDS,
    migrated_engine,
    postgres_url,
    sqlite_url,
)
from tests.support.packed import stale_packed_scores  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return _TMP


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_root: Path) -> Iterator[Engine]:
    """The schema built by ``alembic upgrade head``, once per backend per run."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_root / "suite.db")
    else:
        pg = postgres_url()
        if pg is None:
            pytest.skip("TEST_DATABASE_URL is not set to a PostgreSQL database")
        url = pg
    eng = migrated_engine(url)
    yield eng
    eng.dispose()


_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body passed, for fixtures that check more afterwards."""
    report = yield
    if report.when == "call":
        item.stash[_PASSED] = report.passed
    return report


@pytest.fixture
def db_session(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session whose commits only release SAVEPOINTs of an outer transaction we roll back.

    After a passing test, every rating's packed scores must still match its item scores
    (tests/support/packed.py)."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
            if request.node.stash.get(_PASSED, False):
                assert stale_packed_scores(session) == [], "packed scores out of date"
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def client(db_session: Session) -> Iterator[TestClient]:
    app = create_app()

    def _session() -> Iterator[Session]:
        # As app.db.engine.unit_of_work: a request that fails leaves nothing behind. What
        # fixtures built before the request counts as committed, as it would be in production.
        db_session.commit()
        try:
            yield db_session
        except BaseException:
            db_session.rollback()
            raise
        db_session.commit()

    app.dependency_overrides[get_session] = _session
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def stateless_client() -> Iterator[TestClient]:
    """For endpoints that never touch the database: runs once, not once per backend."""
    with TestClient(create_app(), base_url="https://testserver") as test_client:
        yield test_client
