"""Ratings files through the API: import (all or nothing) and export, for the program's admins."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, ItemScore, RecordedSession
from tests.api.conftest import ACTORS, World

ROOT = Path(__file__).resolve().parents[2]
HISTORICAL = ROOT / "tests" / "fixtures" / "imports" / "historical.csv"
IMPORT = "/api/v1/imports/ratings"
EXPORT = "/api/v1/programs/alpha/ratings.csv"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]


def _upload(data: bytes, name: str = "historical.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "text/csv")}


def _sessions(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(RecordedSession)) or 0


def test_dry_run_then_import(client: TestClient, db_session: Session, world: World) -> None:
    admin = world.headers("admin")
    data = HISTORICAL.read_bytes()
    dry = client.post(IMPORT, params={"program": "alpha", "dry_run": "true"},
                      files=_upload(data), headers=admin)  # fmt: skip
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["message"].startswith("dry run: historical.csv is valid; would import 80 rows")
    assert (body["rows"], body["sessions"], body["ratings"], body["item_scores"]) == (80, 3, 6, 80)
    assert (body["errors"], body["session_ids"], body["dry_run"]) == ([], [], True)
    assert _sessions(db_session) == 0

    done = client.post(IMPORT, params={"program": "alpha"}, files=_upload(data), headers=admin)
    assert done.status_code == 201, done.text
    report = done.json()
    assert report["message"] == (
        "imported historical.csv, 80 rows: 3 sessions, 6 ratings, 80 item scores"
    )
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(report["session_ids"]) == 3
    listed = client.get("/api/v1/programs/alpha/sessions", headers=admin).json()
    assert sorted(s["id"] for s in listed) == sorted(report["session_ids"])
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "ratings.import")
    ).one()
    assert event.payload["source"] == "historical.csv"

    again = client.post(IMPORT, params={"program": "alpha"}, files=_upload(data), headers=admin)
    assert again.status_code == 422
    assert [(e["line"], e["column"]) for e in again.json()["errors"]] == [
        (2, "session_ref"), (30, "session_ref"), (56, "session_ref"),
    ]  # fmt: skip


def test_a_raw_csv_body_names_its_file_by_parameter(
    client: TestClient, db_session: Session, world: World
) -> None:
    response = client.post(
        IMPORT, params={"program": "alpha", "filename": "C:\\exports\\redcap.csv"},
        content=HISTORICAL.read_bytes(), headers={**world.headers("admin"),
                                                   "Content-Type": "text/csv"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["source"] == "redcap.csv"
    assert db_session.scalar(select(func.count()).select_from(ItemScore)) == 80


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_a_bad_file_is_refused_with_every_problem_and_nothing_written(
    client: TestClient, db_session: Session, world: World, dry_run: str
) -> None:
    lines = HISTORICAL.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",preparation,", ",prep,")
    lines[-1] = re.sub(r",F3,\d+,", ",F3,44,", lines[-1])
    response = client.post(
        IMPORT, params={"program": "alpha", "dry_run": dry_run},
        files=_upload("\n".join(lines).encode()), headers=world.headers("admin"),
    )  # fmt: skip
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "file: 2 problem(s) in historical.csv; nothing was imported"
    assert body["errors"] == [
        {"line": 4, "column": "phase",
         "message": "'prep' is not one of preparation, medication, integration"},
        {"line": 81, "column": "score", "message": "F3: score 44 is outside the scale 0..6"},
    ]  # fmt: skip
    assert _sessions(db_session) == 0
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "ratings.import")
        )
        == 0
    )


def test_not_utf8_wrong_type_missing_file_and_too_large(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    params = {"program": "alpha"}
    latin = client.post(IMPORT, params=params, files=_upload(b"session_ref\nr\xe9f\n"),
                        headers=admin)  # fmt: skip
    assert latin.status_code == 422
    assert latin.json()["errors"] == [
        {"line": 2, "column": "file",
         "message": "not UTF-8 text (byte 14); save the file as UTF-8"},
    ]  # fmt: skip
    as_json = client.post(IMPORT, params=params, json={"rows": []}, headers=admin)
    assert as_json.status_code == 415
    no_file = client.post(IMPORT, params=params, data={"other": "x"},
                          files={"x": ("a.csv", b"", "text/csv")}, headers=admin)  # fmt: skip
    assert no_file.status_code == 422
    assert no_file.json()["message"] == "file: upload the CSV file in the 'file' field"
    huge = b"x" * (10 * 1024 * 1024 + 1)
    raw = client.post(IMPORT, params=params, content=huge,
                      headers={**admin, "Content-Type": "text/csv"})  # fmt: skip
    assert raw.status_code == 413
    assert raw.json() == {"message": "file: larger than 10 MiB"}
    assert client.post(IMPORT, params=params, files=_upload(huge), headers=admin).status_code == 413


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_programs_admins_import(client: TestClient, world: World, actor: str) -> None:
    response = client.post(
        IMPORT, params={"program": "alpha", "dry_run": "true"},
        files=_upload(HISTORICAL.read_bytes()), headers=world.headers(actor),
    )  # fmt: skip
    expected = {"admin": 200, "anonymous": 401}.get(actor, 404)
    assert response.status_code == expected, response.text
    if expected == 404:
        assert response.json() == {"message": "program: no program 'alpha'"}


def test_an_admin_cannot_import_into_another_program(client: TestClient, world: World) -> None:
    response = client.post(IMPORT, params={"program": "beta", "dry_run": "true"},
                           files=_upload(b"x"), headers=world.headers("admin"))  # fmt: skip
    assert response.status_code == 404
    missing = client.post(IMPORT, files=_upload(b"x"), headers=world.headers("admin"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "program"


def test_export_after_import(client: TestClient, world: World) -> None:
    admin = world.headers("admin")
    imported = client.post(IMPORT, params={"program": "alpha"},
                           files=_upload(HISTORICAL.read_bytes()), headers=admin)  # fmt: skip
    assert imported.status_code == 201
    response = client.get(EXPORT, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="alpha-ratings.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 80
    assert {r["session_ref"] for r in rows} == {"R-001", "R-002", "R-003"}
    assert {r["subject"] for r in rows} == {str(i) for i in imported.json()["session_ids"]}

    later = client.get(EXPORT, params={"since": "2026-03-10"}, headers=admin)
    assert {r["session_ref"] for r in csv.DictReader(io.StringIO(later.text))} == {"R-003"}
    cohort = client.get(EXPORT, params={"cohort": "2026", "until": "2026-03-02"}, headers=admin)
    assert {r["session_ref"] for r in csv.DictReader(io.StringIO(cohort.text))} == {"R-001"}
    unknown = client.get(EXPORT, params={"cohort": "1999"}, headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["message"] == "cohort: no cohort '1999' in alpha"


def test_an_admin_still_to_rate_a_session_does_not_see_it_exported(
    client: TestClient, world: World
) -> None:
    admin, base = world.headers("admin"), "/api/v1/programs/alpha"
    body = {"trainee_email": "trainee@example.org", "phase": "preparation",
            "session_date": "2026-10-01", "duration_seconds": 3600,
            "recording": "https://media.example.org/blind.mp4"}  # fmt: skip
    session_id = client.post(f"{base}/sessions", json=body, headers=admin).json()["id"]
    rating = {"scores": [{"item_key": k, "score": 4} for k in PREPARATION]}
    exported: list[set[str]] = []
    for rater in ("trainer", "admin"):
        assigned = client.post(
            f"{base}/sessions/{session_id}/assignments",
            json={"rater_email": f"{rater}@example.org"},
            headers=admin,
        )
        assert assigned.status_code == 201, assigned.text  # fmt: skip
    for rater in ("trainer", "admin"):
        queue = client.get(f"{base}/queue", headers=world.headers(rater)).json()
        submitted = client.post(
            f"{base}/assignments/{queue[0]['assignment_id']}/rating/submit", json=rating,
            headers={**world.headers(rater), "Idempotency-Key": f"key-{rater}"},
        )  # fmt: skip
        assert submitted.status_code == 200, submitted.text
        rows = csv.DictReader(io.StringIO(client.get(EXPORT, headers=admin).text))
        exported.append({r["rater"] for r in rows})
    assert exported == [set(), {"trainer@example.org", "admin@example.org"}], (
        "blind until the admin's own rating is in"
    )


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_programs_admins_export(client: TestClient, world: World, actor: str) -> None:
    response = client.get(EXPORT, headers=world.headers(actor))
    expected = {"admin": 200, "anonymous": 401}.get(actor, 404)
    assert response.status_code == expected, response.text
