"""An admin signs off a ready trainee and issues a certificate; anyone verifies it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

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


def test_admin_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in (
        "/p/demo/admin/readiness",
        "/p/demo/admin/trainees/2",
        "/p/demo/admin/certificates",
    ):
        assert axe_violations(chromium, live_server, ADMIN, path) == [], path


def test_public_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in ("/login", "/verify/00000000-0000-0000-0000-000000000000", "/no/such/page"):
        assert axe_violations(chromium, live_server, ADMIN, path) == [], path
