"""Running the real ``guidinghand`` command against a throwaway SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    workdir: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'cli.db'}"

    def environment(
        self, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
    ) -> dict[str, str]:
        environment = {
            **os.environ,
            "GUIDINGHAND_DATABASE_URL": self.database_url,
            "GUIDINGHAND_RUBRICS_DIR": str(ROOT / "rubrics"),
            **(env or {}),
        }
        for name in unset:
            environment.pop(name, None)
        return environment

    def __call__(
        self,
        *args: str,
        stdin: str = "",
        env: dict[str, str] | None = None,
        unset: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        environment = self.environment(env, unset)
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=environment,
            timeout=120,
            check=False,
        )
