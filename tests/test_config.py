"""Settings: environment prefix, defaults, and refusing an insecure production start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SECRET_KEY, Environment, Settings


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIDINGHAND_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("GUIDINGHAND_PORT", "9001")
    monkeypatch.setenv("GUIDINGHAND_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.port == 9001
    assert settings.log_level == "debug"


def test_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENV", "DATABASE_URL", "SECRET_KEY", "HASHER_PROFILE"):
        monkeypatch.delenv(f"GUIDINGHAND_{name}", raising=False)
    settings = Settings(_env_file=None)
    assert settings.env is Environment.development
    assert settings.database_url == "sqlite:///./guidinghand.db"
    assert settings.secret_key == DEFAULT_SECRET_KEY
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize("env", ["production", "test"])
def test_refuses_default_secret_outside_development(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.delenv("GUIDINGHAND_SECRET_KEY", raising=False)
    monkeypatch.setenv("GUIDINGHAND_ENV", env)
    with pytest.raises(ValidationError, match="GUIDINGHAND_SECRET_KEY must be set"):
        Settings(_env_file=None)


def test_production_refuses_fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIDINGHAND_ENV", "production")
    monkeypatch.setenv("GUIDINGHAND_SECRET_KEY", "a-long-private-random-secret-value")
    monkeypatch.setenv("GUIDINGHAND_HASHER_PROFILE", "fast")
    with pytest.raises(ValidationError, match="for tests only"):
        Settings(_env_file=None)


def test_rejects_out_of_range_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIDINGHAND_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings(_env_file=None)
