from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def migrated_cli(cli: Cli) -> Cli:
    result = cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    return cli
