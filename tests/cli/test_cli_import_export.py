"""``guidinghand import ratings`` and ``export ratings``, and the export read by ``irr``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from app.db.engine import make_engine, unit_of_work
from app.domain.vocabulary import Role
from app.services.programs import create_cohort, create_program
from app.services.rubric_library import load_rubrics
from app.services.users import create_user, grant_role
from tests.support.cli import ROOT, Cli

HISTORICAL = ROOT / "tests" / "fixtures" / "imports" / "historical.csv"
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
IMPORT = ("import", "ratings", str(HISTORICAL), "--program", "alpha", "--by", "admin@example.org")


@pytest.fixture
def cli(migrated_cli: Cli) -> Cli:
    """A program whose people are the ones the fixture file names."""
    engine = make_engine(migrated_cli.database_url)
    with unit_of_work(engine) as session:
        load_rubrics(session, [FLAGSHIP])
        program = create_program(session, slug="alpha", name="Alpha")
        cohort = create_cohort(session, program, name="2026", start_date=date(2026, 1, 1))
        for name, role in (("admin", Role.admin), ("trainer", Role.trainer),
                           ("trainee", Role.trainee), ("other_trainee", Role.trainee)):  # fmt: skip
            user = create_user(session, email=f"{name}@example.org", full_name=name)
            grant_role(session, user, program, role, cohort if role is Role.trainee else None)
    engine.dispose()
    return migrated_cli


def _exported(cli: Cli) -> list[dict[str, str]]:
    result = cli("export", "ratings", "--program", "alpha")
    assert result.returncode == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_dry_run_writes_nothing(cli: Cli) -> None:
    result = cli(*IMPORT, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "dry run: historical.csv is valid; would import 80 rows: 3 sessions, 6 ratings, "
        "80 item scores"
    )
    assert _exported(cli) == []


def test_import_export_and_irr_on_the_export(cli: Cli, tmp_path: Path) -> None:
    result = cli(*IMPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "imported historical.csv, 80 rows: 3 sessions, 6 ratings, 80 item scores"
    )
    rows = _exported(cli)
    assert len(rows) == 80
    assert {r["session_ref"] for r in rows} == {"R-001", "R-002", "R-003"}

    output = tmp_path / "alpha.csv"
    written = cli("export", "ratings", "--program", "alpha", "--output", str(output))
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == f"wrote 80 item scores to {output}"
    irr = cli("irr", str(output), "--json", "--scale", "0..6")
    assert irr.returncode == 0, irr.stderr
    report = json.loads(irr.stdout)
    # Three items without a score (D1 does not apply, C5 marked N/A once) are missing ratings.
    assert (report["n_raters"], report["n_ratings"]) == (2, 77)
    assert "krippendorff_alpha_ordinal" in report["coefficients"]
    one_item = cli("irr", str(output), "--item", "A1", "--json")
    assert one_item.returncode == 0, one_item.stderr
    assert json.loads(one_item.stdout)["n_subjects"] == 3

    again = cli(*IMPORT)
    assert again.returncode == 2
    assert again.stdout.splitlines() == [
        f"{HISTORICAL}:{line}: session_ref: '{ref}' was already imported into alpha"
        for line, ref in ((2, "R-001"), (30, "R-002"), (56, "R-003"))
    ]
    assert again.stderr.strip() == (
        "error: file: 3 problem(s) in historical.csv; nothing was imported"
    )


def test_a_bad_file_lists_every_problem_and_imports_nothing(cli: Cli, tmp_path: Path) -> None:
    lines = HISTORICAL.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",2026-03-02,", ",2026-03-32,")
    lines[-1] = lines[-1].replace(",admin@example.org,", ",admin@,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", "ratings", str(bad), "--program", "alpha", "--by",
                 "admin@example.org")  # fmt: skip
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{bad}:2: session_date: '2026-03-32' is not a date in YYYY-MM-DD form",
        f"{bad}:81: rater_email: 'admin@' is not an e-mail address",
    ]
    assert result.stderr.strip() == "error: file: 2 problem(s) in bad.csv; nothing was imported"
    assert _exported(cli) == []


def test_refusals_before_reading_the_rows(cli: Cli, tmp_path: Path) -> None:
    trainer = cli("import", "ratings", str(HISTORICAL), "--program", "alpha", "--by",
                  "trainer@example.org")  # fmt: skip
    assert trainer.returncode == 2
    assert trainer.stderr.strip() == (
        "error: by: 'trainer@example.org' is not an active admin of alpha"
    )
    missing = cli("import", "ratings", str(tmp_path / "nope.csv"), "--program", "alpha",
                  "--by", "admin@example.org")  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: {tmp_path / 'nope.csv'}: cannot read:")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"session_ref\nr\xe9f\n")
    not_utf8 = cli("import", "ratings", str(latin), "--program", "alpha", "--by",
                   "admin@example.org")  # fmt: skip
    assert not_utf8.returncode == 2
    assert not_utf8.stdout.strip() == (
        f"{latin}:2: file: not UTF-8 text (byte 14); save the file as UTF-8"
    )
    unknown = cli("export", "ratings", "--program", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: program: no program with slug 'nope'"
    bad_date = cli("export", "ratings", "--program", "alpha", "--since", "March")
    assert bad_date.returncode == 2
    assert bad_date.stderr.strip() == "error: --since: 'March' is not a date in YYYY-MM-DD form"
