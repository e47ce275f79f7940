"""``guidinghand rubrics validate|schema|load`` as a rubric author uses them."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

from tests.support.cli import ROOT, Cli

FIXTURES = ROOT / "tests" / "fixtures" / "rubrics"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+\.ya?ml):(?P<line>\d+):(?P<col>\d+): (?P<rest>.+)$")


def test_validate_shipped_rubrics(cli: Cli) -> None:
    result = cli("rubrics", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_validate_reports_every_problem_with_location(cli: Cli) -> None:
    broken = sorted((FIXTURES / "broken").glob("*.yaml"))
    result = cli("rubrics", "validate", *map(str, broken))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= len(broken)
    for line in lines:
        assert PROBLEM_LINE.match(line), line
    reported = {PROBLEM_LINE.match(line).group("file") for line in lines}  # type: ignore[union-attr]
    assert {Path(f).name for f in reported} == {p.name for p in broken}


def test_schema_is_current(cli: Cli) -> None:
    result = cli(
        "rubrics", "schema", "--check", "--output", str(ROOT / "rubrics" / "rubric.schema.json")
    )
    assert result.returncode == 0, result.stderr


def test_schema_check_fails_when_stale(cli: Cli, tmp_path: Path) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    result = cli("rubrics", "schema", "--check", "--output", str(stale))
    assert result.returncode == 1
    assert "stale" in result.stderr
    written = cli("rubrics", "schema", "--output", str(stale))
    assert written.returncode == 0
    assert cli("rubrics", "schema", "--check", "--output", str(stale)).returncode == 0


def test_load_is_all_or_nothing(migrated_cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copy(FIXTURES / "valid" / "mini-rubric.v1.yaml", folder)
    shutil.copy(next((FIXTURES / "broken").glob("*.yaml")), folder)
    result = migrated_cli("rubrics", "load", str(folder))
    assert result.returncode == 1
    assert "nothing was loaded" in result.stderr
    with sqlite3.connect(migrated_cli.workdir / "cli.db") as conn:
        assert conn.execute("SELECT count(*) FROM rubric_version").fetchone() == (0,)

    ok = migrated_cli("rubrics", "load")
    assert ok.returncode == 0, ok.stderr
    assert "pat-competency 1.0.0: published" in ok.stdout
    again = migrated_cli("rubrics", "load")
    assert "pat-competency 1.0.0: unchanged" in again.stdout


def test_demo_seed_prints_logins_and_runs_once(migrated_cli: Cli) -> None:
    assert migrated_cli("rubrics", "load").returncode == 0
    first = migrated_cli("demo", "seed", "--if-empty", "--today", "2026-11-02")
    assert first.returncode == 0, first.stderr
    assert "admin@demo.guidinghand.org" in first.stdout
    assert "trainee12@demo.guidinghand.org" in first.stdout
    assert "password for all: guiding-hand-demo" in first.stdout
    second = migrated_cli("demo", "seed", "--if-empty")
    assert second.returncode == 0
    assert "not seeded" in second.stdout
    assert "trainer4@demo.guidinghand.org" in second.stdout, "a restart still shows the logins"
    third = migrated_cli("demo", "seed")
    assert third.returncode == 1
    assert third.stderr.strip() == "error: the demo program 'demo' already exists"
    bad = migrated_cli("demo", "seed", "--today", "yesterday")
    assert bad.returncode == 2
