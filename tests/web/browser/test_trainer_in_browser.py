"""A trainer scores a session with the keyboard, sees the autosave, submits and compares."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.browser.conftest import LiveServer, Visit, axe_violations

TRAINER = "trainer1@demo.guidinghand.org"


def test_a_trainer_scores_with_the_keyboard_and_compares(visit: Visit) -> None:
    visit.sign_in(TRAINER)
    page = visit.page
    expect(page).to_have_url(re.compile(r"/p/demo/trainer$"))
    expect(page.locator("tr.overdue").first).to_be_visible()
    visit.shot("trainer-queue")

    page.locator("table a.button").first.click()
    expect(page.locator("h1")).to_contain_text("Session #")
    required = (page.locator("#rating-form").get_attribute("data-required") or "").split()
    assert len(required) >= 5
    visit.shot("trainer-scoring-empty")

    # Keyboard only: focus the first item, then one digit per item (each moves on).
    page.locator("fieldset.item input[type=radio]").first.focus()
    for _ in required:
        page.keyboard.press("3")
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=10_000)
    for key in required:
        expect(page.locator(f'input[name="score-{key}"][value="3"]')).to_be_checked()

    # An evidence note stamped from the keyboard on the first item.
    first = page.locator(f"#item-{required[0]} input[type=radio]").first
    first.focus()
    page.keyboard.press("t")  # the recording is a link: the time is typed, then the note
    page.keyboard.type("12:40")
    page.keyboard.press("Tab")
    page.keyboard.type("named the intention clearly")
    page.locator("#overall_comment").fill("Clear preparation; keep the pacing.")
    page.locator("#overall_comment").blur()
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=10_000)
    visit.shot("trainer-scoring-filled")

    page.locator("#open-submit").click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Every required item is scored.")
    visit.shot("trainer-submit-dialog")
    dialog.locator("#confirm-submit").click()

    expect(page).to_have_url(re.compile(r"/sessions/\d+/comparison$"))
    expect(page.locator("table.comparison thead")).to_contain_text("You")
    expect(page.locator("table.comparison thead")).to_contain_text("Co-rater 1")
    visit.shot("trainer-comparison")


def test_the_review_lists_missing_items(visit: Visit) -> None:
    visit.sign_in("trainer3@demo.guidinghand.org")
    page = visit.page
    page.locator("table a.button").first.click()
    page.locator("#open-submit").click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_contain_text("not scored yet")
    expect(dialog.locator("#confirm-submit")).to_be_disabled()
    dialog.locator("ul.missing a").first.click()
    expect(dialog).to_be_hidden()


def test_trainer_pages_have_no_serious_accessibility_violations(
    chromium: Browser, live_server: LiveServer
) -> None:
    for path in ("/p/demo/trainer", "/p/demo/calibration", "/p/demo/assignments/158"):
        assert axe_violations(chromium, live_server, TRAINER, path) == [], path
