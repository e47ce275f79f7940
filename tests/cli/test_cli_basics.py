"""The command line: migrations, accounts, and one-line errors instead of tracebacks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import Cli


def _rows(cli: Cli, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(cli.workdir / "cli.db") as conn:
        return conn.execute(sql).fetchall()


def test_db_upgrade_builds_the_schema(migrated_cli: Cli) -> None:
    tables = {r[0] for r in _rows(migrated_cli, "SELECT name FROM sqlite_master")}
    assert {"rubric_version", "item_score", "audit_event", "certificate"} <= tables
    again = migrated_cli("db", "upgrade")
    assert again.returncode == 0, again.stderr


def test_users_create_reads_password_from_stdin(migrated_cli: Cli) -> None:
    result = migrated_cli(
        "users", "create", "--email", "Lead@Example.org", "--name", "Lead",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "created user lead@example.org" in result.stdout
    (hash_,) = _rows(migrated_cli, "SELECT password_hash FROM user_account")[0]
    assert str(hash_).startswith("$argon2id$")
    assert "a long enough password" not in result.stdout + result.stderr


def test_users_create_has_no_password_argument(migrated_cli: Cli) -> None:
    result = migrated_cli("users", "create", "--email", "a@b.org", "--name", "A", "--password", "x")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_users_create_errors_are_one_line(migrated_cli: Cli) -> None:
    ok = migrated_cli("users", "create", "--email", "a@b.org", "--name", "A",
                      stdin="a long enough password\n")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    dup = migrated_cli("users", "create", "--email", "a@b.org", "--name", "A",
                       stdin="a long enough password\n")  # fmt: skip
    assert dup.returncode == 1
    assert dup.stderr.strip() == "error: email: a user with a@b.org already exists"
    weak = migrated_cli("users", "create", "--email", "c@b.org", "--name", "C", stdin="short\n")
    assert weak.returncode == 1
    assert weak.stderr.strip() == "error: password: must be at least 12 characters"
    missing = migrated_cli(
        "users", "create", "--email", "d@b.org", "--name", "D", "--program", "nope",
        "--role", "trainer", stdin="a long enough password\n",
    )  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: program: no program with slug 'nope'"
    # The failed command wrote nothing: its user was rolled back with it.
    assert _rows(migrated_cli, "SELECT email FROM user_account ORDER BY email") == [("a@b.org",)]


def test_refuses_default_secret_in_production(cli: Cli) -> None:
    result = cli(
        "db", "upgrade", env={"GUIDINGHAND_ENV": "production"}, unset=("GUIDINGHAND_SECRET_KEY",)
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: configuration:")
    assert "GUIDINGHAND_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_errors_are_one_line(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    result = cli("users", "create", "--email", "a@b.org", "--name", "A",
                 stdin="a long enough password\n")  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: database:")
    assert "Traceback" not in result.stderr


def test_users_invite_prints_a_one_time_token(migrated_cli: Cli) -> None:
    assert migrated_cli("rubrics", "load").returncode == 0
    assert migrated_cli("demo", "seed").returncode == 0
    result = migrated_cli(
        "users", "invite", "--email", "new@example.org", "--name", "New Trainee",
        "--program", "demo", "--role", "trainee", "--cohort", "nope",
    )  # fmt: skip
    assert result.returncode == 1
    assert "no cohort 'nope'" in result.stderr
    ok = migrated_cli("users", "invite", "--email", "new@example.org", "--name", "New",
                      "--program", "demo", "--role", "trainer")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    token = ok.stdout.splitlines()[2]
    assert len(token) >= 40
    rows = _rows(migrated_cli, "SELECT token_hash FROM password_set_token")
    assert len(rows) == 1
    assert token not in str(rows)


def test_programs_and_cohorts_from_the_command_line(migrated_cli: Cli) -> None:
    created = migrated_cli("programs", "create", "north-clinic", "--name", "North Clinic")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created program north-clinic"
    cohort = migrated_cli("programs", "add-cohort", "north-clinic", "--name", "2027",
                          "--start", "2027-01-10")  # fmt: skip
    assert cohort.returncode == 0, cohort.stderr
    assert _rows(migrated_cli, "SELECT name, start_date FROM cohort") == [("2027", "2027-01-10")]
    actions = [r[0] for r in _rows(migrated_cli, "SELECT action FROM audit_event ORDER BY id")]
    assert actions == ["program.create", "cohort.create"]

    twice = migrated_cli("programs", "create", "north-clinic", "--name", "Again")
    assert (twice.returncode, twice.stderr.strip()) == (
        1, "error: slug: a program 'north-clinic' already exists"
    )  # fmt: skip
    bad_date = migrated_cli("programs", "add-cohort", "north-clinic", "--name", "x",
                            "--start", "10/01/2027")  # fmt: skip
    assert bad_date.returncode == 2
    assert "--start: '10/01/2027' is not a date" in bad_date.stderr
    unknown = migrated_cli("programs", "add-cohort", "nowhere", "--name", "x", "--start",
                           "2027-01-01")  # fmt: skip
    assert unknown.returncode == 1
    assert "nowhere" in unknown.stderr
