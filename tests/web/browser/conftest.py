"""Real-browser tests: Debian's chromium driven by playwright against a live server.

The server runs in a thread on a migrated SQLite file seeded with the demo program, the
data a newcomer clicks through after ``make serve``. Screenshots of every main page are
kept in ``test-artifacts/screenshots`` (or ``$GUIDINGHAND_TEST_ARTIFACTS``) for people
to look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from app.config import Settings, get_settings
from app.db.engine import unit_of_work
from app.main import create_app
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.rubric_library import load_rubrics
from tests.support.databases import migrated_engine, sqlite_url

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
ARTIFACTS = Path(os.environ.get("GUIDINGHAND_TEST_ARTIFACTS", ROOT / "test-artifacts"))
DEMO_TODAY = date(2026, 11, 24)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_server(tmp_root: Path) -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium)")
    db_url = sqlite_url(tmp_root / "browser.db")
    engine = migrated_engine(db_url)
    with unit_of_work(engine) as session:
        load_rubrics(session, sorted((ROOT / "rubrics").glob("*.yaml")))
        seed_demo(session, today=DEMO_TODAY)
    settings = Settings(**{**get_settings().model_dump(), "database_url": db_url})
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", engine)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser tab that remembers what went wrong: console errors and CSP violations."""

    page: Page
    base: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, name: str) -> Path:
        """A full-page screenshot kept as a test artefact."""
        target = ARTIFACTS / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(target), full_page=True)
        return target


@pytest.fixture
def visit(chromium: Browser, live_server: LiveServer) -> Iterator[Visit]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = Visit(page, live_server.url)
    page.on("console", lambda m: found.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.problems.append(str(e)))
    yield found
    context.close()
    assert found.problems == [], f"browser errors: {found.problems}"


def axe_violations(chromium: Browser, live_server: LiveServer, email: str, path: str) -> list[str]:
    """Serious and critical axe-core findings on one page, as readable lines.

    axe is injected as a script, which the app's CSP forbids, so this tab bypasses CSP;
    every other tab runs under it, so a CSP violation anywhere else fails its test.
    """
    context = chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        visit = Visit(page, live_server.url)
        visit.sign_in(email)
        visit.go(path)
        page.add_script_tag(path=str(AXE))
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
    finally:
        context.close()
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
