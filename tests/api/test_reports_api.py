"""Reports through the API, as JSON, CSV and PDF: who gets which, and what each says."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.exports.pdf import program_report_pdf
from app.services.reports import ProgramReport
from tests.api.conftest import World
from tests.exports.test_report_pdf import text_of
from tests.support.rated import rate_sessions, user_id

BASE = "/api/v1/programs/alpha"
ACTORS = ("admin", "trainer", "trainee", "other_trainee", "other_admin", "anonymous")


def _statuses(client: TestClient, world: World, url: str) -> dict[str, int]:
    return {actor: client.get(url, headers=world.headers(actor)).status_code for actor in ACTORS}


def test_a_trainee_sees_only_their_own_report(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    # The PDF answers like these (tests/api/test_access_matrix.py); each one costs a second.
    for extension in ("json", "csv"):
        url = f"{BASE}/trainees/{me}/report.{extension}"
        assert _statuses(client, world, url) == {
            "admin": 200, "trainer": 200, "trainee": 200, "other_trainee": 404,
            "other_admin": 404, "anonymous": 401,
        }, extension  # fmt: skip
    other = user_id(client, world, "other_trainee")
    hidden = client.get(f"{BASE}/trainees/{other}/report.pdf", headers=world.headers("trainee"))
    absent = client.get(f"{BASE}/trainees/{2**31 - 1}/report.pdf",
                        headers=world.headers("trainee"))  # fmt: skip
    assert hidden.json()["message"] == absent.json()["message"].replace(str(2**31 - 1), str(other))


def test_the_trainee_report_in_three_forms(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    signed = client.post(f"{BASE}/trainees/{me}/readiness/decisions",
                         json={"entrustment_level": 3}, headers=world.headers("admin"))  # fmt: skip
    assert signed.status_code == 201, signed.text
    headers = world.headers("trainee")

    body = client.get(f"{BASE}/trainees/{me}/report.json", headers=headers).json()
    live = client.get(f"{BASE}/trainees/{me}/readiness", headers=headers).json()
    assert body["assessment"] == live["assessment"], "the report shows the live readiness"
    assert body["trainee"] == {"id": me, "name": "trainee", "email": "trainee@example.org"}
    assert body["evidence"] == "released sessions"
    assert body["latest_decision"]["decision"] == "READY"
    assert body["latest_decision"]["entrustment_level"] == 3
    assert body["rubric"]["id"] == "pat-competency"

    as_csv = client.get(f"{BASE}/trainees/{me}/report.csv", headers=headers)
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="alpha-trainee-{me}-report.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["value"] for r in rows if r["section"] == "decision" and r["subject"] == "live"] == [
        "READY"
    ]
    assert len([r for r in rows if r["section"] == "session"]) == 6

    as_pdf = client.get(f"{BASE}/trainees/{me}/report.pdf", headers=headers)
    assert as_pdf.headers["content-type"] == "application/pdf"
    text = text_of(as_pdf.content)
    assert "trainee" in text
    assert "READY" in text
    assert "From your released sessions: 6 sessions." in text
    assert "signed off by admin" in text


def test_a_trainee_report_leaves_out_unreleased_sessions(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4), released=False)
    me = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{me}/report.json"
    own = client.get(url, headers=world.headers("trainee")).json()
    assert own["assessment"]["decision"] == "INSUFFICIENT_EVIDENCE"
    assert own["assessment"]["sessions"] == []
    staff = client.get(url, headers=world.headers("trainer")).json()
    assert staff["evidence"] == "complete sessions"
    assert len(staff["assessment"]["sessions"]) == 6


def test_the_program_report_is_for_admins(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    rate_sessions(db_session, "other_trainee@example.org", (2, 2))
    for extension in ("json", "csv"):
        url = f"{BASE}/reports/program.{extension}"
        assert _statuses(client, world, url) == {
            "admin": 200, "trainer": 404, "trainee": 404, "other_trainee": 404,
            "other_admin": 404, "anonymous": 401,
        }, extension  # fmt: skip
    assert client.get("/api/v1/programs/beta/reports/program.json",
                      headers=world.headers("other_admin")).json()["trainees"] == []  # fmt: skip

    headers = world.headers("admin")
    body = client.get(f"{BASE}/reports/program.json", headers=headers).json()
    assert [(t["email"], t["decision"], t["cohort"]) for t in body["trainees"]] == [
        ("other_trainee@example.org", "NOT_YET", "2026"),
        ("trainee@example.org", "READY", "2026"),
    ]
    assert [d["key"] for d in body["domains"]] == list("ABCDEF")
    items = {i["key"]: i for i in body["reliability"]["items"]}
    assert items["A1"]["panel"]["n_subjects"] == 12, "every complete session is a unit"
    assert items["A1"]["panel"]["n_raters"] == 2
    quality = client.get(f"{BASE}/rater-quality", headers=headers).json()
    assert body["rater_quality"] == quality, "the same figures as GET /rater-quality"
    assert body["generalizability"]["design"] == "(s:p) x r"

    text = text_of(client.get(f"{BASE}/reports/program.pdf", headers=headers).content)
    for expected in ("Alpha", "trainee@example.org", "READY", "NOT_YET",
                     "Inter-rater reliability per item", "Rater quality", "D-study"):  # fmt: skip
        assert expected in text, expected
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"{BASE}/reports/program.csv", headers=headers).text)))  # fmt: skip
    assert {r["subject"] for r in rows if r["section"] == "irr"} >= {"A1", "B5", "F3"}


def test_certificate_files_for_its_trainee_and_the_admins(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    decided = client.post(f"{BASE}/trainees/{me}/readiness/decisions", json={},
                          headers=world.headers("admin"))  # fmt: skip
    assert decided.status_code == 201
    issue = f"{BASE}/trainees/{me}/certificates"
    for actor in ("trainer", "trainee", "other_trainee", "other_admin"):
        assert client.post(issue, headers=world.headers(actor)).status_code == 404, actor
    assert client.post(issue).status_code == 401
    issued = client.post(issue, headers=world.headers("admin"))
    assert issued.status_code == 201, issued.text
    cid = issued.json()["certificate_id"]
    code = issued.json()["verification_code"]

    for extension in ("pdf", "csv"):
        url = f"{BASE}/certificates/{cid}.{extension}"
        assert _statuses(client, world, url) == {
            "admin": 200, "trainer": 404, "trainee": 200, "other_trainee": 404,
            "other_admin": 404, "anonymous": 401,
        }, extension  # fmt: skip
        across = f"/api/v1/programs/beta/certificates/{cid}.{extension}"
        assert client.get(across, headers=world.headers("other_admin")).status_code == 404

    pdf = client.get(f"{BASE}/certificates/{cid}.pdf", headers=world.headers("trainee"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{cid}.pdf"'
    text = text_of(pdf.content)
    assert "trainee" in text
    assert "READY" in text
    assert code in text
    assert f"/verify/{cid}" in text.replace(" ", "")
    listed = client.get(f"{BASE}/certificates/{cid}.csv", headers=world.headers("admin"))
    rows = list(csv.DictReader(io.StringIO(listed.text)))
    fields = {r["subject"]: r["value"] for r in rows if r["section"] == "certificate"}
    assert fields["verification_code"] == code
    assert fields["status"] == "valid"

    revoked = client.post(f"{BASE}/certificates/{cid}/revoke", json={"reason": "appeal upheld"},
                          headers=world.headers("admin"))  # fmt: skip
    assert revoked.status_code == 200
    text = text_of(client.get(f"{BASE}/certificates/{cid}.pdf",
                              headers=world.headers("admin")).content)  # fmt: skip
    assert "REVOKED" in text
    assert "appeal upheld" in text


def test_a_pdf_renders_after_the_transaction_ends(
    client: TestClient,
    db_session: Session,
    world: World,
    second_trainer: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On SQLite a transaction holds the write lock: no rater should wait for a rendering."""
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    seen: list[bool] = []

    def spy(report: ProgramReport) -> bytes:
        seen.append(db_session.in_transaction())
        return program_report_pdf(report)

    monkeypatch.setattr("app.api.reports.program_report_pdf", spy)
    response = client.get(f"{BASE}/reports/program.pdf", headers=world.headers("admin"))
    assert response.status_code == 200
    assert seen == [False]
