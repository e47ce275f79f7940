"""Every page route x every actor: who gets the page, who is sent to sign in, who sees 404.

A page route without a row fails ``test_every_page_route_has_a_row``, so a new page cannot
ship without a decision about who may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from app.main import create_app
from tests.api.conftest import PASSWORD, World
from tests.api.test_route_policies import all_routes
from tests.web.conftest import Scene, SignIn, csrf, make_scene

ACTORS = ("anonymous", "trainee", "other_trainee", "trainer", "admin", "other_admin")
SIGN_IN = 303  # anonymous visitors are redirected to the sign-in page


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    url: Callable[[Scene], str]
    outcomes: dict[str, int]
    data: dict[str, str] | None = None


def staff(ok: int = 200) -> dict[str, int]:
    return {
        "anonymous": SIGN_IN,
        "trainee": 404,
        "other_trainee": 404,
        "trainer": ok,
        "admin": ok,
        "other_admin": 404,
    }


def rater_only(ok: int = 200) -> dict[str, int]:
    """The assignment's own rater; an admin of the program is not its rater either."""
    return {**staff(ok), "admin": 404}


def admin_only(ok: int = 200) -> dict[str, int]:
    return {**staff(404), "admin": ok}


def trainee_only(ok: int = 200) -> dict[str, int]:
    """Each trainee's own pages: every trainee of the program has them, nobody else."""
    return {**staff(404), "trainee": ok, "other_trainee": ok}


def public(ok: int = 200, signed_in: int | None = None) -> dict[str, int]:
    return {a: (ok if a == "anonymous" or signed_in is None else signed_in) for a in ACTORS}


def signed_in(ok: int) -> dict[str, int]:
    return {a: (SIGN_IN if a == "anonymous" else ok) for a in ACTORS}


P = "/p/{program}"
ROWS = [
    Row("GET", "/login", lambda s: "/login", public(200, signed_in=303)),
    Row(
        "POST",
        "/login",
        lambda s: "/login",
        public(303),
        data={"email": "trainer@example.org", "password": PASSWORD},
    ),
    Row("POST", "/logout", lambda s: "/logout", public(303)),
    Row("GET", "/invitation", lambda s: "/invitation?token=x", public(200)),
    Row("POST", "/invitation", lambda s: "/invitation", public(422)),
    Row("GET", "/", lambda s: "/", {**signed_in(303), "admin": 303}),
    Row("GET", f"{P}/trainer", lambda s: "/p/alpha/trainer", staff()),
    Row("GET", f"{P}/calibration", lambda s: "/p/alpha/calibration", staff()),
    Row(
        "GET",
        f"{P}/assignments/{{assignment_id}}",
        lambda s: f"/p/alpha/assignments/{s.mine.id}",
        rater_only(),
    ),
    Row(
        "POST",
        f"{P}/assignments/{{assignment_id}}/draft",
        lambda s: f"/p/alpha/assignments/{s.mine.id}/draft",
        rater_only(),
    ),
    Row(
        "POST",
        f"{P}/assignments/{{assignment_id}}/submit",
        lambda s: f"/p/alpha/assignments/{s.mine.id}/submit",
        rater_only(422),
    ),
    Row(
        "GET",
        f"{P}/sessions/{{session_id}}/comparison",
        lambda s: f"/p/alpha/sessions/{s.recorded.id}/comparison",
        {**staff(404), "admin": 200},
    ),  # the rater has not submitted; an admin reads all
    Row(
        "GET",
        f"{P}/sessions/{{session_id}}/recording",
        lambda s: f"/p/alpha/sessions/{s.recorded.id}/recording",
        staff(404),
    ),  # a URL, no file
    # Admin: readiness and certificates
    Row("GET", f"{P}/admin/readiness", lambda s: "/p/alpha/admin/readiness", admin_only()),
    Row(
        "GET",
        f"{P}/admin/trainees/{{trainee_id}}",
        lambda s: f"/p/alpha/admin/trainees/{s.recorded.trainee_id}",
        admin_only(),
    ),
    Row(
        "POST",
        f"{P}/admin/trainees/{{trainee_id}}/sign-off",
        lambda s: f"/p/alpha/admin/trainees/{s.recorded.trainee_id}/sign-off",
        admin_only(303),
    ),
    Row(
        "POST",
        f"{P}/admin/trainees/{{trainee_id}}/certificates",
        lambda s: f"/p/alpha/admin/trainees/{s.recorded.trainee_id}/certificates",
        admin_only(409),
    ),  # not READY
    Row("GET", f"{P}/admin/certificates", lambda s: "/p/alpha/admin/certificates", admin_only()),
    Row(
        "GET",
        f"{P}/admin/certificates/{{certificate_id}}.json",
        lambda s: "/p/alpha/admin/certificates/00000000-0000-0000-0000-000000000000.json",
        admin_only(404),
    ),
    Row(
        "POST",
        f"{P}/admin/certificates/{{certificate_id}}/revoke",
        lambda s: "/p/alpha/admin/certificates/00000000-0000-0000-0000-000000000000/revoke",
        admin_only(404),
    ),
    # --- Trainee pages (app/web/pages/trainee.py) ---
    Row("GET", f"{P}/trainee", lambda s: "/p/alpha/trainee", trainee_only()),
    Row("GET", f"{P}/trainee/report.pdf", lambda s: "/p/alpha/trainee/report.pdf", trainee_only()),
    Row("GET", f"{P}/trainee/sessions", lambda s: "/p/alpha/trainee/sessions", trainee_only()),
    Row(
        "GET",
        f"{P}/trainee/sessions/{{session_id}}",
        lambda s: f"/p/alpha/trainee/sessions/{s.recorded.id}",
        trainee_only(404),
    ),  # unreleased: not even its trainee reads it (tests/web/test_trainee_pages.py)
    # --- end of trainee pages ---
]


def test_every_page_route_has_a_row() -> None:
    served = {
        (method, getattr(route, "path", ""))
        for route in all_routes(create_app().routes)
        if getattr(getattr(route, "endpoint", None), "__module__", "").startswith("app.web.")
        for method in getattr(route, "methods", set())
    }
    tabled = {(row.method, row.route) for row in ROWS}
    assert sorted(served - tabled) == [], "page routes without a row"
    assert sorted(tabled - served) == [], "rows for page routes that no longer exist"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.route}")
def test_page_access(sign_in: SignIn, world: World, db_session: Session, row: Row) -> None:
    scene = make_scene(db_session, co_rater=False)
    for actor in ACTORS:
        browser = sign_in(actor)
        url = row.url(scene)
        if row.method == "GET":
            response = browser.get(url, follow_redirects=False)
        else:
            data = row.data or {"token": "x", "password": "wrong", "confirm": "y"}
            response = browser.post(
                url, data={**data, "csrftoken": csrf(browser)}, follow_redirects=False
            )
        expected = row.outcomes[actor]
        assert response.status_code == expected, (
            f"{row.method} {url} as {actor}: {response.status_code} != {expected}\n"
            f"{response.text[:300]}"
        )
        if expected == SIGN_IN and actor == "anonymous" and row.route.startswith("/p/"):
            assert response.headers["location"].startswith("/login?next=")
