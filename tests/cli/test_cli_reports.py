"""`guidinghand reports program|trainee|certificate` on SQLite and PostgreSQL.

The program is built once per backend through the services (two trainees rated by two
trainers, one signed off READY and certified), in a database of its own, and the real
command is run against it.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.engine import make_engine, unit_of_work
from app.db.models import User
from app.domain.certificates import verification_code, verify
from app.domain.vocabulary import Role
from app.services.certificates import issue_certificate
from app.services.programs import create_cohort, create_program
from app.services.readiness import sign_off
from app.services.rubric_library import load_rubrics
from app.services.schema import upgrade_database
from app.services.signing_keys import public_key
from app.services.users import create_user, grant_role
from tests.exports.test_report_pdf import text_of
from tests.support.cli import Cli
from tests.support.databases import BACKENDS, postgres_url, sibling_postgres_database
from tests.support.rated import rate_sessions

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"


@dataclass(frozen=True)
class Built:
    url: str
    certificate_id: str
    verification_code: str


def _build(session: Session) -> tuple[str, str]:
    load_rubrics(session, [FLAGSHIP])
    program = create_program(session, slug="alpha", name="Alpha Training")
    cohort = create_cohort(session, program, name="Spring", start_date=date(2026, 1, 1))
    people = {"admin": Role.admin, "trainer": Role.trainer, "second": Role.trainer,
              "trainee": Role.trainee, "other_trainee": Role.trainee}  # fmt: skip
    names = {"trainee": "Ana Ruiz", "other_trainee": "Ben Carter"}
    for key, role in people.items():
        user = create_user(session, email=f"{key}@example.org", full_name=names.get(key, key),
                           password="a long enough password")  # fmt: skip
        grant_role(session, user, program, role, cohort if role is Role.trainee else None)
    rate_sessions(session, "trainee@example.org", (4, 4))
    rate_sessions(session, "other_trainee@example.org", (2, 2))
    admin = session.scalars(select(User).where(User.email == "admin@example.org")).one()
    ana = session.scalars(select(User).where(User.email == "trainee@example.org")).one()
    sign_off(session, program, admin, ana.id, entrustment_level=4)
    certificate = issue_certificate(session, program, admin, ana.id)
    return certificate.public_id, verification_code(certificate.public_id, certificate.sha256)


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'cli.db'}"
    else:
        pg = postgres_url()
        if pg is None:
            pytest.skip("TEST_DATABASE_URL is not set to a PostgreSQL database")
        url = sibling_postgres_database(pg, "cli_reports")
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            certificate_id, code = _build(session)
    finally:
        engine.dispose()
    return Built(url, certificate_id, code)


def _reports(cli: Cli, built: Built, *args: str) -> tuple[int, bytes, str]:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "reports", *args], capture_output=True,
        cwd=cli.workdir, env=cli.environment({"GUIDINGHAND_DATABASE_URL": built.url}),
        timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr.decode("utf-8")


def test_each_report_on_each_backend(cli: Cli, built: Built, tmp_path: Path) -> None:
    code, out, err = _reports(cli, built, "program", "--program", "alpha", "--format", "json")
    assert code == 0, err
    body = json.loads(out)
    assert [(t["name"], t["decision"], t["cohort"]) for t in body["trainees"]] == [
        ("Ana Ruiz", "READY", "Spring"), ("Ben Carter", "NOT_YET", "Spring"),
    ]  # fmt: skip
    assert body["trainees"][0]["latest_decision"]["entrustment_level"] == 4

    target = tmp_path / "ana.pdf"
    code, _, err = _reports(cli, built, "trainee", "TRAINEE@example.org", "--program", "alpha",
                            "--output", str(target))  # fmt: skip
    assert code == 0, err
    assert f"wrote the pdf report of trainee@example.org to {target}" in err
    text = text_of(target.read_bytes())
    assert "Ana Ruiz" in text
    assert "READY" in text
    assert "From every complete session" in text

    code, out, err = _reports(cli, built, "certificate", built.certificate_id, "--format", "json")
    assert code == 0, err
    checked = verify(out, public_key("alpha"))
    assert checked.valid, checked.reason
    assert checked.code == built.verification_code


def test_the_other_forms_and_the_errors(cli: Cli, built: Built, tmp_path: Path) -> None:
    if built.url.startswith("postgresql"):
        pytest.skip("rendering and argument errors are the same on every backend")
    target = tmp_path / "program.pdf"
    code, _, err = _reports(cli, built, "program", "--program", "alpha", "--output", str(target))
    assert code == 0, err
    text = text_of(target.read_bytes())
    for expected in ("Alpha Training", "Ana Ruiz", "Ben Carter", "READY", "NOT_YET", "Spring"):
        assert expected in text, expected
    code, out, err = _reports(cli, built, "trainee", "other_trainee@example.org", "--program",
                              "alpha", "--format", "csv")  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8"))))
    assert [r["value"] for r in rows if r["section"] == "decision"] == ["NOT_YET"]
    assert len([r for r in rows if r["section"] == "session"]) == 6

    target = tmp_path / "certificate.pdf"
    cid = built.certificate_id
    code, _, err = _reports(cli, built, "certificate", cid, "--output", str(target))
    assert code == 0, err
    text = text_of(target.read_bytes())
    assert "Ana Ruiz" in text
    assert built.verification_code in text
    assert f"/verify/{cid}" in text.replace(" ", "")
    code, out, err = _reports(cli, built, "certificate", cid, "--format", "csv")
    assert code == 0, err
    fields = {r["subject"]: r["value"] for r in csv.DictReader(io.StringIO(out.decode("utf-8")))
              if r["section"] == "certificate"}  # fmt: skip
    assert fields["verification_code"] == built.verification_code

    code, _, err = _reports(cli, built, "trainee", "trainer@example.org", "--program", "alpha")
    assert code == 2
    assert "error: trainee: no active trainee 'trainer@example.org' in alpha" in err
    code, _, err = _reports(cli, built, "program", "--program", "nowhere")
    assert code == 1
    assert "error: program: no program with slug 'nowhere'" in err
    code, _, err = _reports(cli, built, "program", "--program", "alpha", "--format", "docx")
    assert code == 2
    assert "Invalid value for '--format'" in err
    unwritable = str(tmp_path / "no" / "x.csv")
    code, _, err = _reports(cli, built, "certificate", cid, "--format", "csv", "--output",
                            unwritable)  # fmt: skip
    assert code == 1
    assert "x.csv: cannot write: No such file or directory" in err
    code, _, err = _reports(cli, built, "certificate", "00000000-0000-4000-8000-000000000000")
    assert code == 2
    assert "error: certificate: no certificate 00000000-0000-4000-8000-000000000000" in err
