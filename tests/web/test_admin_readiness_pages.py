"""The admin's readiness matrix, trainee report, sign-off and certificates, as pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Certificate, ReadinessDecision, User
from app.domain.certificates import load_public_key, verify
from tests.api.conftest import World
from tests.support.rated import rate_sessions
from tests.web.conftest import SignIn, csrf


def _trainee_id(db: Session, email: str = "trainee@example.org") -> int:
    found = db.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def test_the_matrix_shows_every_trainee_by_domain(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    page = sign_in("admin").get("/p/alpha/admin/readiness")
    assert page.status_code == 200
    rows = re.findall(r'<tr>\s*<th scope="row"><a href="/p/alpha/admin/trainees/(\d+)">', page.text)
    assert sorted(int(r) for r in rows) == sorted(
        [_trainee_id(db_session), _trainee_id(db_session, "other_trainee@example.org")]
    )
    assert "Ready</span>" in page.text  # trainee, rated 4 and 5 over six sessions
    assert "Insufficient evidence</span>" in page.text  # other_trainee, nothing rated
    assert page.text.count('class="num cell-met"') == 6  # six domains met by trainee
    every = sign_in("admin").get("/p/alpha/admin/readiness?cohort=")  # the "All cohorts" choice
    assert every.status_code == 200
    assert every.text.count('<th scope="row"><a href="/p/alpha/admin/trainees/') == 2


def test_the_report_signs_off_issues_and_revokes(
    sign_in: SignIn, client: TestClient, world: World, second_trainer: None, db_session: Session
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    trainee = _trainee_id(db_session)
    admin = sign_in("admin")
    report = admin.get(f"/p/alpha/admin/trainees/{trainee}")
    assert report.status_code == 200
    assert "Every rule of the rubric" in report.text
    assert "Issue certificate" not in report.text  # nothing signed off yet

    signed = admin.post(
        f"/p/alpha/admin/trainees/{trainee}/sign-off",
        data={
            "entrustment_level": "4",
            "committee_comment": "Consistent.",
            "csrftoken": csrf(admin),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    decision = db_session.scalar(select(ReadinessDecision))
    assert decision is not None
    assert (decision.decision, decision.entrustment_level) == ("READY", 4)
    assert decision.committee_comment == "Consistent."
    assert "Issue certificate" in admin.get(f"/p/alpha/admin/trainees/{trainee}").text

    issued = admin.post(
        f"/p/alpha/admin/trainees/{trainee}/certificates",
        data={"csrftoken": csrf(admin)},
        follow_redirects=False,
    )
    assert issued.status_code == 303
    certificate = db_session.scalar(select(Certificate))
    assert certificate is not None
    listing = admin.get("/p/alpha/admin/certificates").text
    assert f"/verify/{certificate.public_id}" in listing
    assert "valid</span>" in listing

    pdf = admin.get(f"/p/alpha/admin/certificates/{certificate.public_id}.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    report = admin.get(f"/p/alpha/admin/trainees/{trainee}/report.pdf")
    assert report.content.startswith(b"%PDF")
    assert admin.get(f"/p/alpha/admin/trainees/{trainee}/report.xls").status_code == 404
    assert admin.get("/p/alpha/admin/reports/program.json").json()["program"]
    document = admin.get(f"/p/alpha/admin/certificates/{certificate.public_id}.json")
    assert document.status_code == 200
    key = load_public_key(client.get("/keys/alpha.pem").content)
    assert verify(document.content, key).valid

    url = f"/p/alpha/admin/certificates/{certificate.public_id}/revoke"
    empty = admin.post(url, data={"reason": " ", "csrftoken": csrf(admin)})
    assert empty.status_code == 422
    assert "say why the certificate is revoked" in empty.text
    revoked = admin.post(url, data={"reason": "Re-rated on appeal", "csrftoken": csrf(admin)})
    assert revoked.status_code == 200
    assert "revoked</span>" in revoked.text
    assert "Re-rated on appeal" in revoked.text


def test_the_certificate_needs_a_ready_sign_off(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    trainee = _trainee_id(db_session)
    refused = admin.post(
        f"/p/alpha/admin/trainees/{trainee}/certificates", data={"csrftoken": csrf(admin)}
    )
    assert refused.status_code == 409
    assert "no signed-off" in refused.text


def test_other_programs_and_roles_see_nothing(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    trainee = _trainee_id(db_session)
    for actor in ("trainer", "trainee", "other_admin"):
        browser = sign_in(actor)
        for url in (
            "/p/alpha/admin/readiness",
            f"/p/alpha/admin/trainees/{trainee}",
            "/p/alpha/admin/certificates",
        ):
            assert browser.get(url).status_code == 404, (actor, url)
    beta = sign_in("other_admin").get(f"/p/beta/admin/trainees/{trainee}")
    assert beta.status_code == 404  # alpha's trainee through beta's path
