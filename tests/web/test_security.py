"""Browser protections: headers on every answer, CSRF on every unsafe page request."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Rating
from tests.api.conftest import World
from tests.web.conftest import SignIn, csrf, make_scene


def test_pages_carry_the_security_headers(sign_in: SignIn, world: World) -> None:
    browser = sign_in("trainer")
    page = browser.get("/p/alpha/trainer")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"  # personal data is never cached
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    # No inline script: every <script> names a static file.
    body = page.text
    assert body.count("<script") == body.count('<script src="/static/')


def test_static_files_are_cacheable_and_served_locally(stateless_client: TestClient) -> None:
    htmx = stateless_client.get("/static/htmx-2.0.11.min.js")
    assert htmx.status_code == 200
    assert "htmx" in htmx.text[:2000]
    assert htmx.headers["cache-control"] == "public, max-age=86400"
    assert stateless_client.get("/static/htmx-LICENSE.txt").status_code == 200


def test_api_answers_carry_the_headers_too(stateless_client: TestClient) -> None:
    response = stateless_client.get("/healthz")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_form_without_the_csrf_token_is_refused(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in("trainer")
    url = f"/p/alpha/assignments/{scene.mine.id}/draft"
    fields = {f"score-{scene.keys[0]}": "3"}
    refused = browser.post(url, data=fields)
    assert refused.status_code == 403
    assert "Form refused" in refused.text
    assert "Traceback" not in refused.text
    forged = browser.post(url, data={**fields, "csrftoken": "forged"})
    assert forged.status_code == 403
    count = select(func.count()).select_from(Rating).where(Rating.assignment_id == scene.mine.id)
    assert db_session.scalar(count) == 0  # nothing was written
    accepted = browser.post(url, data={**fields, "csrftoken": csrf(browser)})
    assert accepted.status_code == 200, accepted.text
    header_only = browser.post(url, data=fields, headers={"x-csrftoken": csrf(browser)})
    assert header_only.status_code == 200, header_only.text  # htmx sends the header


def test_sign_in_itself_needs_the_token(client: TestClient, world: World) -> None:
    browser = TestClient(client.app, base_url="https://testserver")
    csrf(browser)  # the visitor has a CSRF cookie, as after viewing any page
    response = browser.post(
        "/login", data={"email": "trainer@example.org", "password": "a long enough password"}
    )
    assert response.status_code == 403
    assert "gh_session" not in browser.cookies


def test_the_api_does_not_need_csrf_tokens(client: TestClient, world: World) -> None:
    # Bearer tokens are not sent by browsers on their own, so no forged request carries one.
    response = client.post(
        "/api/v1/auth/token",
        data={"username": "trainer@example.org", "password": "a long enough password"},
    )
    assert response.status_code == 200


def test_the_page_cookie_is_no_credential_for_the_api(sign_in: SignIn, world: World) -> None:
    # Why the API may skip CSRF: a browser sends the sign-in cookie by itself, but the API
    # reads only the Authorization header, so a forged cross-site request is anonymous.
    browser = sign_in("trainer")
    assert browser.get("/p/alpha/trainer").status_code == 200  # signed in for pages
    answer = browser.get("/api/v1/programs/alpha/queue")
    assert answer.status_code == 401
    assert "csrftoken" not in answer.headers.get("set-cookie", "")
