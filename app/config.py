"""Settings read from the environment (prefix ``GUIDINGHAND_``) or a ``.env`` file.

A single cached ``Settings`` object is shared by the app, the CLI and the migrations so that
all three always talk to the same database.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUIDINGHAND_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Environment.development
    database_url: str = "sqlite:///./guidinghand.db"
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, min_length=16)
    signing_key_path: Path = Path("./data/keys/signing-key.pem")
    rubrics_dir: Path = Path("./rubrics")
    media_root: Path = Path("./data/media")
    # Where the public reaches this service: printed on certificates as the verify address.
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    hasher_profile: Literal["production", "fast"] = "production"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        # A forgotten secret in production would let anyone forge session cookies and
        # CSRF tokens, so the service refuses to start rather than run insecurely.
        if self.env is not Environment.development and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "GUIDINGHAND_SECRET_KEY must be set to a private random value outside "
                f"development mode (GUIDINGHAND_ENV={self.env.value})"
            )
        if self.env is Environment.production and self.hasher_profile != "production":
            raise ValueError("GUIDINGHAND_HASHER_PROFILE=fast is for tests only")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
