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
    Row("GET", f"{P}/admin/reliability", lambda s: "/p/alpha/admin/reliability", admin_only()),
    Row(
        "GET",
        f"{P}/admin/reports/program.{{extension}}",
        lambda s: "/p/alpha/admin/reports/program.csv",
        admin_only(),
    ),
    Row(
        "GET",
        f"{P}/admin/trainees/{{trainee_id}}/report.{{extension}}",
        lambda s: f"/p/alpha/admin/trainees/{s.recorded.trainee_id}/report.csv",
        admin_only(),
    ),
    Row(
        "GET",
        f"{P}/admin/certificates/{{certificate_id}}.pdf",
        lambda s: "/p/alpha/admin/certificates/00000000-0000-0000-0000-000000000000.pdf",
        admin_only(404),
    ),
    Row(
        "GET",
        f"{P}/admin/certificates/{{certificate_id}}.csv",
        lambda s: "/p/alpha/admin/certificates/00000000-0000-0000-0000-000000000000.csv",
        admin_only(404),
    ),
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
    # Admin: overview, people, sessions, audit log; the rubric catalogue (admin-pages block)
    Row("GET", f"{P}/admin", lambda s: "/p/alpha/admin", admin_only()),
    Row("GET", f"{P}/admin/people", lambda s: "/p/alpha/admin/people", admin_only()),
    Row("POST", f"{P}/admin/members", lambda s: "/p/alpha/admin/members", admin_only(422)),
    Row(
        "POST",
        f"{P}/admin/members/{{membership_id}}/deactivate",
        lambda s: f"/p/alpha/admin/members/{2**31 - 1}/deactivate",
        admin_only(404),
    ),  # no such membership
    Row(
        "POST",
        f"{P}/admin/members/{{membership_id}}/reactivate",
        lambda s: f"/p/alpha/admin/members/{2**31 - 1}/reactivate",
        admin_only(404),
    ),  # no such membership
    Row(
        "POST",
        f"{P}/admin/members/{{membership_id}}/invitation",
        lambda s: f"/p/alpha/admin/members/{2**31 - 1}/invitation",
        admin_only(404),
    ),  # no such membership
    Row("POST", f"{P}/admin/cohorts", lambda s: "/p/alpha/admin/cohorts", admin_only(422)),
    Row(
        "POST",
        f"{P}/admin/cohorts/{{cohort_id}}",
        lambda s: f"/p/alpha/admin/cohorts/{s.recorded.cohort_id}",
        admin_only(303),
    ),  # nothing to change, saved all the same
    Row("GET", f"{P}/admin/sessions", lambda s: "/p/alpha/admin/sessions", admin_only()),
    Row("GET", f"{P}/admin/sessions/new", lambda s: "/p/alpha/admin/sessions/new", admin_only()),
    Row("POST", f"{P}/admin/sessions", lambda s: "/p/alpha/admin/sessions", admin_only(422)),
    Row(
        "GET",
        f"{P}/admin/sessions/import",
        lambda s: "/p/alpha/admin/sessions/import",
        admin_only(),
    ),
    Row(
        "POST",
        f"{P}/admin/sessions/import",
        lambda s: "/p/alpha/admin/sessions/import",
        admin_only(422),
    ),  # no file
    Row(
        "POST",
        f"{P}/admin/sessions/auto-assign",
        lambda s: "/p/alpha/admin/sessions/auto-assign",
        admin_only(422),
    ),  # no session ticked
    Row(
        "POST",
        f"{P}/admin/sessions/release",
        lambda s: "/p/alpha/admin/sessions/release",
        admin_only(422),
    ),  # no session ticked
    Row(
        "GET",
        f"{P}/admin/sessions/{{session_id}}",
        lambda s: f"/p/alpha/admin/sessions/{s.recorded.id}",
        admin_only(),
    ),
    Row(
        "POST",
        f"{P}/admin/sessions/{{session_id}}/assignments",
        lambda s: f"/p/alpha/admin/sessions/{s.recorded.id}/assignments",
        admin_only(422),
    ),  # no rater chosen
    Row(
        "GET",
        f"{P}/admin/sessions/{{session_id}}/master",
        lambda s: f"/p/alpha/admin/sessions/{s.recorded.id}/master",
        admin_only(),
    ),
    Row(
        "POST",
        f"{P}/admin/sessions/{{session_id}}/master",
        lambda s: f"/p/alpha/admin/sessions/{s.recorded.id}/master",
        admin_only(422),
    ),  # nothing scored
    Row(
        "POST",
        f"{P}/admin/sessions/{{session_id}}/release",
        lambda s: f"/p/alpha/admin/sessions/{s.recorded.id}/release",
        admin_only(409),
    ),  # the trainer has not submitted
    Row(
        "POST",
        f"{P}/admin/assignments/{{assignment_id}}/withdraw",
        lambda s: f"/p/alpha/admin/assignments/{s.mine.id}/withdraw",
        admin_only(303),
    ),
    Row("GET", f"{P}/admin/audit", lambda s: "/p/alpha/admin/audit", admin_only()),
    Row("GET", f"{P}/admin/audit.csv", lambda s: "/p/alpha/admin/audit.csv", admin_only()),
    Row("GET", "/rubrics", lambda s: "/rubrics", signed_in(200)),
    Row(
        "GET",
        "/rubrics/{rubric_id}/{version}",
        lambda s: "/rubrics/pat-competency/1.0.0",
        signed_in(200),
    ),
    # end of the admin-pages block
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
