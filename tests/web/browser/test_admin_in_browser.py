"""The program admin in a real browser: invitation link, registration, a CSV import confirmed
from its preview, a rater assigned and withdrawn in place (htmx), and accessibility."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.browser.conftest import LiveServer, Visit, axe_violations

ADMIN = "admin@demo.guidinghand.org"
A = "/p/demo/admin"
CSV = (
    "trainee_email,session_date,phase,duration_minutes,recording,session_ref\r\n"
    "trainee11@demo.guidinghand.org,2026-11-20,preparation,50,https://media.example.org/b1.mp4,B-1\r\n"
    "trainee12@demo.guidinghand.org,2026-11-21,integration,55,2026/b2.mp4,B-2\r\n"
)


def test_an_admin_invites_registers_imports_and_assigns(visit: Visit) -> None:
    visit.sign_in(ADMIN)
    page = visit.page
    expect(page).to_have_url(re.compile(r"/p/demo/admin$"))
    expect(page.locator(".tiles.counts")).to_contain_text("overdue assignments")
    visit.shot("admin-overview")

    visit.go(f"{A}/people")
    page.fill("#invite-email", "browser.person@demo.guidinghand.org")
    page.fill("#invite-name", "Browser Person")
    page.select_option("#invite-role", "trainer")
    page.locator("form[action$='/members'] button[type=submit]").click()
    link = page.locator("#invitation-link")
    expect(link).to_have_value(re.compile(r"^http.*/invitation\?token=[\w-]{20,}$"))
    page.locator("[data-copy]").click()
    expect(page.locator("[data-copy]")).to_have_text("Copied")
    visit.shot("admin-invited")

    visit.go(f"{A}/sessions/new")
    page.select_option("#s-trainee", "trainee12@demo.guidinghand.org")
    page.select_option("#s-phase", "medication")
    page.fill("#s-date", "2026-11-22")
    page.fill("#s-duration", "360")
    page.fill("#s-recording", "https://media.example.org/browser.mp4")
    page.locator("form[action$='/sessions'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Lena Fischer")
    expect(page.locator(".message.ok")).to_contain_text("registered")
    session_id = re.findall(r"/sessions/(\d+)", page.url)[0]
    visit.shot("admin-session-registered")

    visit.go(f"{A}/sessions/import")
    page.set_input_files(
        "#import-file", {"name": "batch.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.locator("button", has_text="Check file").click()
    expect(page.locator("#preview")).to_contain_text("batch.csv is valid: 2 sessions")
    visit.shot("admin-import-preview")
    page.locator("button", has_text="Import 2 sessions").click()
    expect(page.locator(".message.ok")).to_contain_text("2 session(s) imported")

    visit.go(f"{A}/sessions?status=unassigned")
    row = page.locator(f"#session-{session_id}")
    row.locator("select[name=rater_email]").select_option(label="Mei Tanaka")
    row.locator("button", has_text="Assign").click()
    expect(page.locator("#messages")).to_contain_text("Mei Tanaka now rates session")
    expect(page.locator(f"#session-{session_id}")).to_contain_text("not started")
    visit.shot("admin-sessions-assigned")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#session-{session_id}").locator("button", has_text="Withdraw").click()
    expect(page.locator("#messages")).to_contain_text("no longer rates")
    expect(page.locator(f"#session-{session_id}")).to_contain_text("No rater yet")

    visit.go(f"{A}/audit?action=sessions.import")
    expect(page.locator("table.audit")).to_contain_text("batch.csv")
    visit.shot("admin-audit")
    visit.go("/rubrics/pat-competency/1.0.0")
    visit.shot("rubric-version")


def test_admin_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in (
        A, f"{A}/people", f"{A}/sessions", f"{A}/sessions/new", f"{A}/sessions/import",
        f"{A}/sessions/1", f"{A}/audit", "/rubrics", "/rubrics/pat-competency/1.0.0",
    ):  # fmt: skip
        assert axe_violations(chromium, live_server, ADMIN, path) == [], path
