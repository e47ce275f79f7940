"""An admin signs off a ready trainee and issues a certificate; anyone verifies it."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Browser, expect
from pypdf import PdfReader
from sqlalchemy import select

from app.db.engine import unit_of_work
from app.db.models import Assignment, RecordedSession
from app.domain.scoring import ItemScoreInput, SessionContext, applicable_item_keys
from app.services.ratings import RatingContent, rubric_document
from tests.support.ratings import submit_as_rater
from tests.web.browser.conftest import LiveServer, Visit, axe_violations

ADMIN = "admin@demo.guidinghand.org"


def test_sign_off_issue_and_verify(visit: Visit) -> None:
    visit.sign_in(ADMIN)
    page = visit.page
    visit.go("/p/demo/admin/readiness")
    expect(page.locator("table.matrix")).to_be_visible()
    visit.shot("admin-readiness-matrix")

    ready = page.locator("table.matrix tbody tr", has=page.locator(".badge.ok")).first
    name = ready.locator("th a").inner_text()
    ready.locator("th a").click()
    expect(page.locator("h1")).to_contain_text(name)
    visit.shot("admin-trainee-report")

    page.select_option("#entrustment_level", "4")
    page.fill("#committee_comment", "Consistent across phases; safe under strain.")
    page.get_by_role("button", name=re.compile("Sign off")).click()
    expect(page.locator("#decisions ~ .grid")).to_contain_text("level 4")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Issue certificate").click()
    expect(page).to_have_url(re.compile(r"/admin/certificates#c-"))
    row = page.locator("table tbody tr", has_text=name).first
    expect(row).to_contain_text("valid")
    visit.shot("admin-certificates")
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    assert name in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    verify_link = row.locator('a[href^="/verify/"]')
    href = verify_link.get_attribute("href")
    assert href is not None
    # The verification page needs no sign-in: open it in a fresh context.
    public = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        other = public.new_page()
        other.goto(visit.base + href)
        expect(other.locator("h1")).to_contain_text("genuine and in force")
        expect(other.locator("dl")).to_contain_text(name)
        other.screenshot(
            path=str(visit.shot("admin-certificates").parent / "verify.png"), full_page=True
        )
    finally:
        public.close()


def _rate_everything(live_server: LiveServer, session_id: int) -> None:
    """The assigned trainers submit, as they would from their own pages."""
    with unit_of_work(live_server.engine) as db:
        recorded = db.get(RecordedSession, session_id)
        assert recorded is not None
        keys = applicable_item_keys(
            rubric_document(recorded.rubric_version),
            SessionContext(recorded.phase, frozenset(), 3600),
        )
        raters = select(Assignment).where(
            Assignment.session_id == session_id, Assignment.is_master.is_(False)
        )
        for assignment in db.scalars(raters):
            submit_as_rater(
                db,
                assignment,
                f"browser-{assignment.id}",
                RatingContent([ItemScoreInput(k, 4) for k in keys]),
            )


def test_register_auto_assign_release(visit: Visit, live_server: LiveServer) -> None:
    visit.sign_in(ADMIN)
    page = visit.page
    visit.go("/p/demo/admin/sessions/new")
    page.select_option("#s-trainee", index=1)
    page.select_option("#s-phase", "preparation")
    page.fill("#s-date", "2026-11-20")
    page.fill("#s-duration", "60")
    page.fill("#s-recording", "https://media.example.org/browser-test.mp4")
    visit.shot("admin-session-new")
    page.get_by_role("button", name="Register session").click()
    page.wait_for_load_state()
    with unit_of_work(live_server.engine) as db:
        session_id = db.scalar(
            select(RecordedSession.id).where(
                RecordedSession.recording_url == "https://media.example.org/browser-test.mp4"
            )
        )
    assert session_id is not None

    visit.go("/p/demo/admin/sessions?status=unassigned")
    page.check(f"#pick-{session_id}")
    page.fill("#bulk-n", "2")
    page.get_by_role("button", name="Auto-assign raters").click()
    page.wait_for_load_state()
    visit.go("/p/demo/admin/sessions?status=awaiting")
    row = page.locator(f"#session-{session_id}")
    expect(row.locator(".rater-list li")).to_have_count(2)
    visit.shot("admin-sessions-assigned")

    # The admin keys it as a calibration session, with the keyboard, before anyone rates.
    visit.go(f"/p/demo/admin/sessions/{session_id}")
    page.get_by_role("link", name="Enter a master rating").click()
    expect(page.locator("h1")).to_contain_text("Master rating")
    required = (page.locator("#rating-form").get_attribute("data-required") or "").split()
    page.locator("fieldset.item input[type=radio]").first.focus()
    for _ in required:
        page.keyboard.press("4")
    visit.shot("admin-master-rating")
    page.locator("#open-submit").click()
    expect(page.locator("#submit-dialog")).to_contain_text("Every required item is scored.")
    page.locator("#confirm-submit").click()
    expect(page.locator("p.message.ok")).to_contain_text("Master rating saved")
    expect(page.locator(".plain-list")).to_contain_text("(master rating)")

    _rate_everything(live_server, session_id)
    visit.go("/p/demo/admin/sessions?status=complete")
    page.check(f"#pick-{session_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Release feedback", exact=True).click()
    page.wait_for_load_state()
    with unit_of_work(live_server.engine) as db:
        recorded = db.get(RecordedSession, session_id)
        assert recorded is not None
        assert recorded.released_at is not None


def test_admin_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in (
        "/p/demo/admin/readiness",
        "/p/demo/admin/trainees/2",
        "/p/demo/admin/certificates",
        "/p/demo/admin/sessions/69/master",
    ):
        assert axe_violations(chromium, live_server, ADMIN, path) == [], path


def test_public_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in ("/login", "/verify/00000000-0000-0000-0000-000000000000", "/no/such/page"):
        assert axe_violations(chromium, live_server, ADMIN, path) == [], path
