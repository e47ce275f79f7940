"""Reports as CSV and JSON: one figure a row, never a formula; JSON that round-trips."""

from __future__ import annotations

import csv
import io
import json

from app.domain.reliability.results import Estimate
from app.exports.report_csv import (
    COLUMNS,
    certificate_report_csv,
    program_report_csv,
    trainee_report_csv,
)
from app.exports.report_json import program_report_json, trainee_report_json
from tests.support.reports import certificate_report, program_report, trainee_report


def rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def find(found: list[dict[str, str]], **where: str) -> list[dict[str, str]]:
    return [r for r in found if all(r[k] == v for k, v in where.items())]


def test_trainee_csv_holds_every_figure_of_the_report() -> None:
    report = trainee_report("Ana Ruiz", 2)
    found = rows(trainee_report_csv(report))
    assert find(found, section="decision", subject="live")[0]["value"] == "NOT_YET"
    unmet = [r["detail"] for r in find(found, section="reason", subject="unmet")]
    assert unmet == list(report.result.unmet)
    for d in report.result.domains:
        [row] = find(found, section="domain", subject=d.key)
        assert isinstance(d.score, Estimate)
        assert float(row["value"]) == round(d.score.value, 4)
        assert row["threshold"] == "3.0000"
        assert row["n"] == str(d.n_sessions)
    sessions = find(found, section="session")
    assert [r["subject"] for r in sessions] == [str(s.session_id) for s in report.result.sessions]
    assert sessions[0]["detail"].startswith("2026-03-02 preparation; 2 raters; ")
    certified = rows(trainee_report_csv(trainee_report(certified=True)))
    assert find(certified, section="session")[0]["detail"].startswith(
        "2026-03-02 preparation; 2 raters, 1 certified; competent"
    )
    per_domain = find(found, section="session_domain")
    assert len(per_domain) == sum(len(s.domain_means) for s in report.result.sessions)
    [signed] = find(found, section="decision", subject="signed_off", measure="decision")
    assert signed["detail"].endswith("by Priya Natarajan; Consistent across phases.")
    [reliability] = find(found, section="reliability")
    assert (reliability["measure"], reliability["value"], reliability["threshold"]) == (
        "ICC2k", "0.8400", "0.7000"
    )  # fmt: skip


def test_no_cell_is_a_formula() -> None:
    found = rows(trainee_report_csv(trainee_report('=HYPERLINK("http://x")')))
    [name] = find(found, section="report", subject="trainee")
    assert name["value"] == '\'=HYPERLINK("http://x")'
    found = rows(certificate_report_csv(certificate_report("+Ana")))
    assert find(found, section="trainee")[0]["value"] == "'+Ana"


def test_program_csv_has_a_row_per_trainee_and_domain() -> None:
    report = program_report(("Ana Ruiz", "Ben Carter"))
    found = rows(program_report_csv(report))
    decisions = find(found, section="trainee", measure="decision")
    assert [(r["subject"], r["value"]) for r in decisions] == [
        ("t1@example.org", "READY"), ("t2@example.org", "NOT_YET"),
    ]  # fmt: skip
    assert decisions[0]["detail"].startswith("Ana Ruiz; cohort Spring 2026")
    assert len(find(found, section="trainee_domain")) == 2 * 6
    assert find(found, section="g_study")[0]["detail"] == "the program has no rated sessions"
    assert find(found, section="rater", measure="straight_lined_ratings")[0]["value"] == "0"


def test_certificate_csv_carries_the_verification_fields() -> None:
    report = certificate_report(revoked="appeal upheld")
    found = rows(certificate_report_csv(report))
    values = {r["subject"]: r["value"] for r in find(found, section="certificate")}
    assert values["id"] == report.certificate_id
    assert values["verification_code"] == report.verification_code
    assert values["verify_url"] == report.verify_url
    assert values["sha256"] == report.sha256
    assert values["status"] == "revoked"
    assert find(found, section="evidence", subject="B")[0]["value"] == "4.10"


def test_json_is_plain_json() -> None:
    report = trainee_report()
    data = json.loads(json.dumps(trainee_report_json(report), allow_nan=False))
    assert data["format"] == "guidinghand.trainee-report/1"
    assert data["trainee"] == {"id": 7, "name": "Ana Ruiz", "email": "ana@example.org"}
    assert data["assessment"] == json.loads(json.dumps(report.result.to_json()))
    assert data["latest_decision"]["entrustment_level"] == 4
    assert data["evidence"] == "complete sessions"
    program = json.loads(json.dumps(program_report_json(program_report()), allow_nan=False))
    assert [t["decision"] for t in program["trainees"]] == ["READY", "NOT_YET"]
    assert program["trainees"][0]["domains"]["A"]["n_sessions"] == 6
    assert program["generalizability"]["reason"] == "the program has no rated sessions"
