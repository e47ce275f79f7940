"""Signing in and out through the pages, on the API's token table."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.vocabulary import Role
from app.services.invitations import invite_user
from app.services.users import get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD, World
from tests.support.rated import admin_of
from tests.web.conftest import SignIn, csrf


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client: TestClient, world: World) -> None:
    browser = TestClient(client.app, base_url="https://testserver")
    first = browser.get("/p/alpha/trainer", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/p/alpha/trainer"
    page = browser.get(first.headers["location"])
    assert 'name="next" value="/p/alpha/trainer"' in page.text
    signed = browser.post(
        "/login",
        data={
            "email": "trainer@example.org",
            "password": PASSWORD,
            "next": "/p/alpha/trainer",
            "csrftoken": csrf(browser),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/p/alpha/trainer"
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("gh_session="))
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie
    assert browser.get("/p/alpha/trainer").status_code == 200


def test_sign_in_never_redirects_off_site(client: TestClient, world: World) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        browser = TestClient(client.app, base_url="https://testserver")
        signed = browser.post(
            "/login",
            data={
                "email": "trainer@example.org",
                "password": PASSWORD,
                "next": target,
                "csrftoken": csrf(browser),
            },
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/", target


def test_a_wrong_password_gets_the_generic_message(client: TestClient, world: World) -> None:
    browser = TestClient(client.app, base_url="https://testserver")
    for email in ("trainer@example.org", "nobody@example.org"):
        page = browser.post(
            "/login",
            data={"email": email, "password": "wrong password!", "csrftoken": csrf(browser)},
        )
        assert page.status_code == 401
        assert "Incorrect email or password." in page.text
        assert "gh_session" not in browser.cookies


def test_repeated_failures_are_throttled(client: TestClient, world: World) -> None:
    browser = TestClient(client.app, base_url="https://testserver")
    statuses = [
        browser.post(
            "/login",
            data={"email": "trainer@example.org", "password": "wrong!", "csrftoken": csrf(browser)},
        ).status_code
        for _ in range(8)
    ]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    blocked = browser.post(
        "/login",
        data={"email": "trainer@example.org", "password": PASSWORD, "csrftoken": csrf(browser)},
    )
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text


def test_sign_out_revokes_the_token(sign_in: SignIn, client: TestClient, world: World) -> None:
    browser = sign_in("trainer")
    token = browser.cookies["gh_session"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    out = browser.post("/logout", data={"csrftoken": csrf(browser)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert "gh_session" not in browser.cookies
    # The old cookie value is dead everywhere, not merely forgotten by this browser.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    replay = TestClient(client.app, base_url="https://testserver", cookies={"gh_session": token})
    assert replay.get("/p/alpha/trainer", follow_redirects=False).status_code == 303


def test_home_goes_straight_to_a_single_role(sign_in: SignIn, world: World) -> None:
    trainee = sign_in("trainee")
    home = trainee.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/p/alpha/trainee"


def test_home_offers_a_choice_of_roles(sign_in: SignIn, world: World, db_session: Session) -> None:
    admin = admin_of(db_session)
    grant_role(db_session, admin, get_program_by_slug(db_session, "beta"), Role.trainer)
    page = sign_in("admin").get("/")
    assert page.status_code == 200
    assert 'href="/p/alpha/admin"' in page.text
    assert 'href="/p/beta/trainer"' in page.text
    assert "Switch" in page.text  # the header offers the same choice on every page


def test_an_invitation_link_sets_the_password(
    client: TestClient, world: World, db_session: Session
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    invited = invite_user(
        db_session,
        email="new@example.org",
        full_name="New Person",
        program=program,
        role=Role.trainer,
        invited_by=admin_of(db_session),
    )
    browser = TestClient(client.app, base_url="https://testserver")
    page = browser.get(f"/invitation?token={invited.token}")
    assert page.status_code == 200
    assert invited.token in page.text
    differ = browser.post(
        "/invitation",
        data={
            "token": invited.token,
            "password": "x" * 12,
            "confirm": "y" * 12,
            "csrftoken": csrf(browser),
        },
    )
    assert differ.status_code == 422
    assert "differ" in differ.text
    done = browser.post(
        "/invitation",
        data={
            "token": invited.token,
            "password": "p" * 14,
            "confirm": "p" * 14,
            "csrftoken": csrf(browser),
        },
    )
    assert done.status_code == 200
    assert "Your password is set" in done.text
    again = browser.post(
        "/invitation",
        data={
            "token": invited.token,
            "password": "p" * 14,
            "confirm": "p" * 14,
            "csrftoken": csrf(browser),
        },
    )
    assert again.status_code == 422
    assert "invalid, used or expired" in again.text


def test_errors_are_pages_for_browsers_and_json_for_the_api(
    sign_in: SignIn, client: TestClient, world: World
) -> None:
    browser = sign_in("trainer")
    page = browser.get("/p/alpha/assignments/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert "Traceback" not in page.text
    api = client.get(
        "/api/v1/programs/alpha", headers=world.headers("trainer") | {"accept": "text/html"}
    )
    assert api.headers["content-type"].startswith("application/json")
    unknown = browser.get("/no/such/page")
    assert unknown.status_code == 404
    assert "Page not found" in unknown.text
