"""The application object: what a served process does before its first request."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Environment, Settings
from app.main import create_app


@pytest.mark.parametrize(("env", "frozen"), [(Environment.development, True),
                                             (Environment.test, False)])  # fmt: skip
def test_a_served_app_freezes_what_start_up_built(
    tmp_path: Path, env: Environment, frozen: bool
) -> None:
    settings = Settings(_env_file=None, env=env, database_url=f"sqlite:///{tmp_path / 'a.db'}")
    app = create_app(settings)
    gc.unfreeze()
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            assert (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
        app.state.engine.dispose()
