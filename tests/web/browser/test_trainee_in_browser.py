"""A trainee reads their readiness, their sessions and one session's feedback in chromium,
under the app's CSP, and the pages pass axe-core without serious findings."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import RecordedSession, User
from tests.web.browser.conftest import LiveServer, Visit, axe_violations

# A demo trainee with a released session one rater flagged for possible harm, and a recent
# session still being rated.
TRAINEE = "trainee07@demo.guidinghand.org"


def test_a_trainee_reads_readiness_sessions_and_feedback(visit: Visit) -> None:
    visit.sign_in(TRAINEE)
    page = visit.page
    expect(page).to_have_url(re.compile(r"/p/demo/trainee$"))
    expect(page.locator("h1")).to_contain_text("My readiness")
    expect(page.locator(".readiness-status li").first).to_be_visible()
    expect(page.locator(".readiness-status .rule").first).to_contain_text("Rule:")
    expect(page.locator("table.domains tbody tr")).to_have_count(6)
    visit.shot("trainee-dashboard")

    page.locator("nav.subnav").get_by_role("link", name="My sessions").click()
    expect(page).to_have_url(re.compile(r"/p/demo/trainee/sessions$"))
    expect(page.locator(".session-entry .badge.info").first).to_contain_text(
        "feedback not released yet"
    )
    visit.shot("trainee-sessions")

    page.locator(".session-entry h2 a").first.click()
    expect(page).to_have_url(re.compile(r"/p/demo/trainee/sessions/\d+$"))
    expect(page.locator("article.feedback-item").first).to_be_visible()
    expect(page.locator(".anchor-ladder .next-tag").first).to_contain_text("next level")
    visit.shot("trainee-session-feedback")


def test_trainee_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    with Session(live_server.engine) as db:
        released = db.scalar(
            select(RecordedSession.id)
            .join(User, User.id == RecordedSession.trainee_id)
            .where(User.email == TRAINEE, RecordedSession.released_at.is_not(None))
            .limit(1)
        )
    feedback = f"/p/demo/trainee/sessions/{released}"
    for path in ("/p/demo/trainee", "/p/demo/trainee/sessions", feedback):
        assert axe_violations(chromium, live_server, TRAINEE, path) == [], path
