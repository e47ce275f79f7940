"""The access matrix: every route x actor x ownership, with its exact status and no leaks.

Each row names one route (method and path template, exactly as the app declares it), one
ownership variant and, for every actor, the outcome the access rules call for. A route of the
app without a row fails ``test_every_route_has_a_row``, so no new route escapes the matrix.

Outcomes:

- a status code: what an allowed call answers (or, rarely, the refusal its state calls for);
- ``HIDDEN``: 404, and the very answer about an id (or program) that does not exist, the id
  aside, so that the caller cannot even tell the object is there;
- ``DENIED``: 404 about an object the caller knows exists (a session on their own list, say),
  which says nothing about what they may not see;
- anonymous callers get 401 on every route that is not public.

Every response, allowed or not, is searched for the world's ``SECRET-...`` markers: an allowed
one must show exactly the markers of the row (so a filtered list is filtered, and not empty by
accident), a refused one none at all.

The world is built once per backend through the services, and every case runs inside a
SAVEPOINT rolled back after it: each case sees the same fresh world, whatever the cases before
it changed, without paying for a rebuild (several hundred cases would otherwise take minutes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Mount

from app.api.deps import get_session
from app.main import create_app
from tests.support.access_world import (
    ACTORS,
    ALL_SECRETS,
    PASSWORD,
    PREPARATION,
    RUBRIC,
    RUBRIC_VERSION,
    SIGNED_IN,
    AccessWorld,
    Secret,
    build_access_world,
)

HIDDEN: Final = "hidden"
DENIED: Final = "denied"
Outcome = int | Literal["hidden", "denied"]
ABSENT_ID = 2**31 - 1
ABSENT_PROGRAM = "nowhere"
# Where the object and the path come from: "beta-in-alpha" asks alpha's path for an id that
# exists in beta, "alpha-in-beta" asks beta's path for one of alpha's.
Scope = Literal["public", "account", "alpha", "beta", "beta-in-alpha", "alpha-in-beta", "absent"]
_PROGRAM: dict[Scope, str] = {
    "alpha": "alpha", "beta-in-alpha": "alpha", "beta": "beta", "alpha-in-beta": "beta",
    "absent": ABSENT_PROGRAM, "public": "", "account": "",
}  # fmt: skip
_ID = re.compile(r"\{[a-z_]+_id\}")
# The API's own description, served by the framework to anyone.
FRAMEWORK = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


@dataclass(frozen=True)
class Call:
    """What a row sends besides the URL."""

    json: Any = None
    content: str | None = None
    data: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


Build = Callable[[AccessWorld, int], Call]
Check = Callable[[AccessWorld, str, Any], None]


def _nothing(world: AccessWorld, target: int) -> Call:
    return Call()


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    scope: Scope
    variant: str
    outcomes: Mapping[str, Outcome]
    # A key of AccessWorld.ids: the object the id placeholder (or the body) names.
    target: str | None = None
    call: Build = _nothing
    # The markers each allowed actor's response holds, exactly; absent actors: none.
    shows: Mapping[str, frozenset[str]] = field(default_factory=dict)
    check: Check | None = None
    url: str | None = None  # a literal URL, for routes whose placeholders are not ids
    query: str = ""

    @property
    def program(self) -> str:
        return _PROGRAM[self.scope]

    def path(self, world: AccessWorld, target: int, program: str) -> str:
        if self.url is not None:
            return self.url
        path = _ID.sub(str(target), self.route.replace("{program}", program))
        return path + self.query.replace("{program}", program)

    def target_id(self, world: AccessWorld) -> int:
        return world.ids[self.target] if self.target else ABSENT_ID


# --- outcomes -------------------------------------------------------------------------------


def expect(default: Outcome = HIDDEN, **given: Outcome) -> dict[str, Outcome]:
    """``default`` for every signed-in actor not ``given``; anonymous callers get 401."""
    outcomes: dict[str, Outcome] = dict.fromkeys(SIGNED_IN, default)
    outcomes["anonymous"] = 401
    return {**outcomes, **given}


def everyone(status: int) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = dict.fromkeys(ACTORS, status)
    return outcomes


def signed_in(status: int) -> dict[str, Outcome]:
    return expect(status)


def admin(status: Outcome) -> dict[str, Outcome]:
    return expect(admin=status)


def staff(status: Outcome) -> dict[str, Outcome]:
    return expect(admin=status, trainer=status, other_trainer=status)


def members(status: Outcome) -> dict[str, Outcome]:
    return expect(status, other_admin=HIDDEN)


def beta_admin(status: Outcome) -> dict[str, Outcome]:
    return expect(other_admin=status)


def nobody() -> dict[str, Outcome]:
    return expect()


def to(actors: Iterable[str], *markers: str) -> dict[str, frozenset[str]]:
    return dict.fromkeys(actors, frozenset(markers))


STAFF = ("admin", "trainer", "other_trainer")
ALPHA = ("admin", "trainer", "other_trainer", "trainee", "other_trainee")

# --- bodies ---------------------------------------------------------------------------------


def body(payload: Any) -> Build:
    return lambda world, target: Call(json=payload)


def _scores(score: int = 4) -> list[dict[str, Any]]:
    return [{"item_key": key, "score": score} for key in PREPARATION]


def _submission(world: AccessWorld, target: int) -> Call:
    return Call(json={"scores": _scores(5), "overall_comment": "submitted in the matrix"},
                headers={"Idempotency-Key": "matrix-submission-1"})  # fmt: skip


def _replay(world: AccessWorld, target: int) -> Call:
    return Call(headers={"Idempotency-Key": world.submitted_key})


def _auto(world: AccessWorld, target: int) -> Call:
    return Call(json={"session_ids": [target], "raters_per_session": 1, "seed": 1})


def _amendment(rating: str) -> Build:
    def build(world: AccessWorld, target: int) -> Call:
        version = world.rating_versions.get(rating, 1)
        return Call(json={"reason": "a second look", "version": version,
                          "overall_comment": "amended in the matrix"})  # fmt: skip

    return build


def _ratings_file(trainee: str, rater: str) -> Build:
    header = (
        "session_ref,trainee_email,session_date,phase,duration_minutes,rater_email,item_key,score"
    )
    rows = [
        f"HIST-1,{trainee}@example.org,2025-11-03,preparation,50,{rater}@example.org,{key},4"
        for key in PREPARATION
    ]
    text = "\n".join([header, *rows]) + "\n"
    return lambda world, target: Call(content=text, headers={"Content-Type": "text/csv"})


def _login(world: AccessWorld, target: int) -> Call:
    return Call(data={"username": world.emails["trainee"], "password": PASSWORD})


def _password_set(world: AccessWorld, target: int) -> Call:
    return Call(json={"token": world.invitation_token, "new_password": "a brand new password"})


RELIABILITY = {
    "ratings": [
        {"subject": s, "rater": r, "score": (s + r) % 5}
        for s in range(1, 6) for r in range(1, 4)
    ],
    "level": "ordinal",
    "scale": [0, 6],
}  # fmt: skip
NEW_SESSION = {
    "trainee_email": "trainee@example.org", "phase": "preparation",
    "session_date": "2026-04-01", "duration_seconds": 3000,
    "recording": "https://media.example.org/alpha/new.mp4",
}  # fmt: skip
DRAFT = {"scores": [{"item_key": "A1", "score": 2}], "overall_comment": "second thoughts"}
MASTER = {"scores": _scores(3), "overall_comment": "the key, entered in the matrix"}

# --- checks beyond the markers --------------------------------------------------------------


def _me(world: AccessWorld, actor: str, found: Any) -> None:
    assert found["email"] == world.emails[actor]
    assert found["id"] == world.user_ids[actor]


def _queue(world: AccessWorld, actor: str, found: Any) -> None:
    """A queue holds the caller's own open assignments and nobody else's."""
    own = {
        "admin": ["assignment.admin_rates.admin"],
        "trainer": ["assignment.calibrating.trainer"],
        "other_trainer": [],
    }[actor]
    assert [e["assignment_id"] for e in found] == [world.ids[key] for key in own]


def _raters_of_complete(world: AccessWorld, actor: str, found: Any) -> None:
    raters = {world.emails["trainer"], world.emails["other_trainer"]}
    assert {a["rater_email"] for a in found} == raters


# --- the table ------------------------------------------------------------------------------

P = "/api/v1/programs/{program}"
SESSION = P + "/sessions/{session_id}"
ASSIGNMENT = P + "/assignments/{assignment_id}"
NOTES = (Secret.NOTES_CALIBRATING, Secret.NOTES_RELEASED, Secret.NOTES_COMPLETE,
         Secret.NOTES_ADMIN_RATES, Secret.NOTES_FRESH)  # fmt: skip
OWN_RATINGS_ONCE_ALL_ARE_IN = (Secret.RATING_COMPLETE_TRAINER, Secret.RATING_COMPLETE_OTHER)


def _public() -> list[Row]:
    rows = [
        Row(method, path, "public", "served by the framework", everyone(200))
        for path in FRAMEWORK
        for method in ("GET", "HEAD")
    ]
    return [
        *rows,
        Row("GET", "/healthz", "public", "liveness", everyone(200)),
        Row("GET", "/api/v1/rubrics", "public", "the catalogue", everyone(200)),
        Row("GET", "/api/v1/rubrics/{rubric_id}/versions/{version}", "public",
            "a published version", everyone(200),
            url=f"/api/v1/rubrics/{RUBRIC}/versions/{RUBRIC_VERSION}"),
        Row("POST", "/api/v1/reliability", "public", "arithmetic on posted ratings",
            everyone(200), call=body(RELIABILITY)),
        Row("POST", "/api/v1/auth/token", "public", "a correct password", everyone(200),
            call=_login),
        Row("POST", "/api/v1/auth/password-set", "public", "an unused invitation",
            everyone(204), call=_password_set),
    ]  # fmt: skip


def _account() -> list[Row]:
    return [
        Row("POST", "/api/v1/auth/logout", "account", "one's own token", signed_in(204)),
        Row("POST", "/api/v1/auth/password", "account", "one's own password", signed_in(204),
            call=body({"current_password": PASSWORD, "new_password": "another long password"})),
        Row("GET", "/api/v1/me", "account", "oneself", signed_in(200), check=_me),
        Row("GET", "/api/v1/programs", "account", "one's own programs", signed_in(200),
            shows={**to(ALPHA, Secret.ALPHA_PROGRAM), **to(["other_admin"], Secret.BETA_PROGRAM)}),
    ]  # fmt: skip


def _programs() -> list[Row]:
    cohort = P + "/cohorts/{cohort_id}"
    deactivate = P + "/members/{membership_id}/deactivate"
    end = body({"end_date": "2026-12-31"})
    return [
        Row("GET", P, "alpha", "one's program", members(200),
            shows=to(ALPHA, Secret.ALPHA_PROGRAM)),
        Row("GET", P, "beta", "another program", beta_admin(200),
            shows=to(["other_admin"], Secret.BETA_PROGRAM)),
        Row("GET", P, "absent", "no such program", nobody()),
        Row("PATCH", P, "alpha", "one's program", admin(200), call=body({"description": "new"})),
        Row("PATCH", P, "beta", "another program", beta_admin(200),
            call=body({"description": "new"})),
        Row("GET", P + "/cohorts", "alpha", "the program's cohorts", staff(200)),
        Row("GET", P + "/cohorts", "beta", "another program's cohorts", beta_admin(200),
            shows=to(["other_admin"], Secret.BETA_COHORT)),
        Row("POST", P + "/cohorts", "alpha", "a new cohort", admin(201),
            call=body({"name": "Autumn", "start_date": "2026-09-01"})),
        Row("PATCH", cohort, "alpha", "the program's cohort", admin(200), "cohort.alpha",
            call=end),
        Row("PATCH", cohort, "beta-in-alpha", "beta's cohort", nobody(), "cohort.beta",
            call=end),
        Row("PATCH", cohort, "alpha-in-beta", "alpha's cohort", nobody(), "cohort.alpha",
            call=end),
        Row("GET", P + "/members", "alpha", "the program's members", admin(200)),
        Row("GET", P + "/members", "beta", "another program's members", beta_admin(200),
            shows=to(["other_admin"], Secret.BETA_TRAINER, Secret.BETA_TRAINEE,
                     Secret.BETA_COHORT)),
        Row("POST", P + "/members", "alpha", "an invitation", admin(201),
            call=body({"email": "newcomer@example.org", "full_name": "Newcomer",
                       "role": "trainer"})),
        Row("POST", deactivate, "alpha", "the trainee's membership", admin(200),
            "membership.trainee"),
        Row("POST", deactivate, "beta-in-alpha", "beta's trainee's membership", nobody(),
            "membership.beta_trainee"),
        Row("POST", deactivate, "alpha-in-beta", "alpha's trainee's membership", nobody(),
            "membership.trainee"),
    ]  # fmt: skip


def _sessions() -> list[Row]:
    repin = body({"version": RUBRIC_VERSION})
    return [
        Row("POST", P + "/sessions", "alpha", "a new session of the trainee", admin(201),
            call=body(NEW_SESSION)),
        Row("GET", P + "/sessions", "alpha", "staff: all; a trainee: their own",
            members(200),
            shows={**to(STAFF, *NOTES),
                   **to(["trainee"], Secret.NOTES_CALIBRATING, Secret.NOTES_COMPLETE,
                        Secret.NOTES_FRESH),
                   **to(["other_trainee"], Secret.NOTES_RELEASED, Secret.NOTES_ADMIN_RATES)}),
        Row("GET", P + "/sessions", "beta", "another program's sessions", beta_admin(200),
            shows=to(["other_admin"], Secret.NOTES_BETA)),
        Row("GET", SESSION, "alpha", "the trainee's own", expect(200, other_trainee=HIDDEN,
            other_admin=HIDDEN), "session.complete",
            shows=to([*STAFF, "trainee"], Secret.NOTES_COMPLETE)),
        Row("GET", SESSION, "alpha", "the other trainee's", expect(200, trainee=HIDDEN,
            other_admin=HIDDEN), "session.released",
            shows=to([*STAFF, "other_trainee"], Secret.NOTES_RELEASED)),
        Row("GET", SESSION, "beta-in-alpha", "beta's session", nobody(), "session.beta"),
        Row("GET", SESSION, "alpha-in-beta", "alpha's session", nobody(), "session.complete"),
        Row("POST", SESSION + "/repin", "alpha", "an unrated session", admin(200),
            "session.fresh", call=repin, shows=to(["admin"], Secret.NOTES_FRESH)),
        Row("POST", SESSION + "/repin", "beta-in-alpha", "beta's session", nobody(),
            "session.beta", call=repin),
        Row("POST", SESSION + "/repin", "alpha-in-beta", "alpha's session", nobody(),
            "session.fresh", call=repin),
    ]  # fmt: skip


def _assignments() -> list[Row]:
    assignments = SESSION + "/assignments"
    withdraw = ASSIGNMENT + "/withdraw"
    other_trainer = body({"rater_email": "other_trainer@example.org"})
    return [
        Row("POST", assignments, "alpha", "an unrated session", admin(201), "session.fresh",
            call=other_trainer),
        Row("POST", assignments, "beta-in-alpha", "beta's session", nobody(), "session.beta",
            call=other_trainer),
        Row("POST", assignments, "alpha-in-beta", "alpha's session", nobody(),
            "session.fresh", call=other_trainer),
        Row("POST", P + "/assignments/auto", "alpha", "an unrated session", admin(201),
            "session.fresh", call=_auto),
        Row("POST", P + "/assignments/auto", "beta-in-alpha", "beta's session in the body",
            nobody(), "session.beta", call=_auto),
        Row("POST", P + "/assignments/auto", "alpha-in-beta", "alpha's session in the body",
            nobody(), "session.fresh", call=_auto),
        Row("GET", assignments, "alpha", "a session the admin does not rate", admin(200),
            "session.complete", check=_raters_of_complete),
        Row("GET", assignments, "alpha", "a session the admin rates, not yet submitted",
            admin(DENIED), "session.admin_rates"),
        Row("GET", assignments, "beta-in-alpha", "beta's session", nobody(), "session.beta"),
        Row("GET", assignments, "alpha-in-beta", "alpha's session", nobody(),
            "session.complete"),
        Row("POST", withdraw, "alpha", "a pending assignment", admin(200),
            "assignment.calibrating.trainer"),
        Row("POST", withdraw, "beta-in-alpha", "beta's assignment", nobody(),
            "assignment.beta"),
        Row("POST", withdraw, "alpha-in-beta", "alpha's assignment", nobody(),
            "assignment.calibrating.trainer"),
        Row("GET", P + "/queue", "alpha", "one's own open assignments", staff(200),
            check=_queue),
    ]  # fmt: skip


def _conflicts() -> list[Row]:
    one = P + "/conflicts/{conflict_id}"
    return [
        Row("GET", P + "/conflicts", "alpha", "the program's conflicts", admin(200),
            shows=to(["admin"], Secret.CONFLICT_ALPHA)),
        Row("POST", P + "/conflicts", "alpha", "a new conflict", admin(201),
            call=body({"rater_email": "trainer@example.org",
                       "trainee_email": "other_trainee@example.org",
                       "reason": "works beside them"})),
        Row("DELETE", one, "alpha", "the program's conflict", admin(204), "conflict.alpha"),
        Row("DELETE", one, "beta-in-alpha", "beta's conflict", nobody(), "conflict.beta"),
        Row("DELETE", one, "alpha-in-beta", "alpha's conflict", nobody(), "conflict.alpha"),
    ]  # fmt: skip


def _own_ratings() -> list[Row]:
    rating = ASSIGNMENT + "/rating"
    submit = rating + "/submit"
    draft = body(DRAFT)
    return [
        Row("GET", rating, "alpha", "the trainer's pending draft", expect(trainer=200),
            "assignment.calibrating.trainer",
            shows=to(["trainer"], Secret.DRAFT_CALIBRATING)),
        Row("GET", rating, "alpha", "the other trainer's submitted rating",
            expect(other_trainer=200), "assignment.calibrating.other_trainer",
            shows=to(["other_trainer"], Secret.RATING_CALIBRATING_OTHER)),
        Row("GET", rating, "alpha", "the admin's master rating", expect(admin=200),
            "assignment.calibrating.master",
            shows=to(["admin"], Secret.RATING_CALIBRATING_MASTER)),
        Row("GET", rating, "alpha", "the admin's own assignment, nothing saved",
            expect(admin=DENIED), "assignment.admin_rates.admin"),
        Row("GET", rating, "beta-in-alpha", "beta's assignment", nobody(), "assignment.beta"),
        Row("GET", rating, "alpha-in-beta", "alpha's assignment", nobody(),
            "assignment.calibrating.other_trainer"),
        Row("PUT", rating, "alpha", "the trainer's pending draft", expect(trainer=200),
            "assignment.calibrating.trainer", call=draft),
        Row("PUT", rating, "alpha", "the admin's own pending assignment", expect(admin=200),
            "assignment.admin_rates.admin", call=draft),
        Row("PUT", rating, "alpha", "a submitted rating: 409 to its rater only",
            expect(other_trainer=409), "assignment.calibrating.other_trainer", call=draft),
        Row("PUT", rating, "beta-in-alpha", "beta's assignment", nobody(), "assignment.beta",
            call=draft),
        Row("PUT", rating, "alpha-in-beta", "alpha's assignment", nobody(),
            "assignment.calibrating.trainer", call=draft),
        Row("POST", submit, "alpha", "the trainer's pending draft", expect(trainer=200),
            "assignment.calibrating.trainer", call=_submission),
        Row("POST", submit, "alpha", "the admin's own pending assignment", expect(admin=200),
            "assignment.admin_rates.admin", call=_submission),
        Row("POST", submit, "alpha", "a replay of a submission", expect(other_trainer=200),
            "assignment.calibrating.other_trainer", call=_replay,
            shows=to(["other_trainer"], Secret.RATING_CALIBRATING_OTHER)),
        Row("POST", submit, "beta-in-alpha", "beta's assignment", nobody(),
            "assignment.beta", call=_submission),
        Row("POST", submit, "alpha-in-beta", "alpha's assignment", nobody(),
            "assignment.calibrating.trainer", call=_submission),
    ]  # fmt: skip


def _session_ratings() -> list[Row]:
    ratings = SESSION + "/ratings"
    calibration = (Secret.RATING_CALIBRATING_OTHER, Secret.RATING_CALIBRATING_MASTER)
    return [
        # A pending rater is blind; a submitted one sees their own and the key, not peers'.
        Row("GET", ratings, "alpha", "calibration: trainer pending, other trainer submitted",
            expect(admin=200, trainer=DENIED, other_trainer=200, trainee=DENIED),
            "session.calibrating", shows=to(["admin", "other_trainer"], *calibration)),
        # Released: its trainee sees the raters' ratings (not the key), the other trainee
        # does not even see the session.
        Row("GET", ratings, "alpha", "the other trainee's, complete and released",
            expect(admin=200, trainer=200, other_trainer=DENIED, other_trainee=200),
            "session.released",
            shows={**to(["admin", "trainer"], Secret.RATING_RELEASED,
                        Secret.RATING_RELEASED_MASTER),
                   **to(["other_trainee"], Secret.RATING_RELEASED)}),
        # Complete: every rater sees every rating; the trainee waits for the release.
        Row("GET", ratings, "alpha", "the trainee's, complete, not released",
            expect(admin=200, trainer=200, other_trainer=200, trainee=DENIED),
            "session.complete", shows=to(STAFF, *OWN_RATINGS_ONCE_ALL_ARE_IN)),
        # The admin rates it and has not submitted: as blind as any rater.
        Row("GET", ratings, "alpha", "the admin rates it, pending; the trainer submitted",
            expect(admin=DENIED, trainer=200, other_trainer=DENIED, other_trainee=DENIED),
            "session.admin_rates",
            shows=to(["trainer"], Secret.RATING_ADMIN_RATES, Secret.AMENDMENT_ADMIN_RATES)),
        Row("GET", ratings, "alpha", "nothing assigned",
            expect(admin=200, trainer=DENIED, other_trainer=DENIED, trainee=DENIED),
            "session.fresh"),
        Row("GET", ratings, "beta", "beta's own session, to its admin", beta_admin(200),
            "session.beta", shows=to(["other_admin"], Secret.RATING_BETA, Secret.BETA_TRAINER)),
        Row("GET", ratings, "beta-in-alpha", "beta's session", nobody(), "session.beta"),
        Row("GET", ratings, "alpha-in-beta", "alpha's session", nobody(), "session.complete"),
    ]  # fmt: skip


def _feedback() -> list[Row]:
    release = SESSION + "/release"
    master = SESSION + "/master-rating"
    amend = P + "/ratings/{rating_id}/amendments"
    key = body(MASTER)
    return [
        Row("POST", release, "alpha", "a complete session", admin(200), "session.complete"),
        Row("POST", release, "beta-in-alpha", "beta's session", nobody(), "session.beta"),
        Row("POST", release, "alpha-in-beta", "alpha's session", nobody(), "session.complete"),
        Row("POST", master, "alpha", "an unrated session", admin(201), "session.fresh",
            call=key),
        Row("POST", master, "beta-in-alpha", "beta's session", nobody(), "session.beta",
            call=key),
        Row("POST", master, "alpha-in-beta", "alpha's session", nobody(), "session.fresh",
            call=key),
        Row("POST", amend, "alpha", "the trainer's own, on a session the admin does not rate",
            expect(admin=200, trainer=200), "rating.complete.trainer",
            call=_amendment("complete.trainer"),
            shows=to(["admin", "trainer"], Secret.RATING_COMPLETE_TRAINER)),
        Row("POST", amend, "alpha", "the trainer's own, on a session the admin rates, pending",
            expect(trainer=200), "rating.admin_rates.trainer",
            call=_amendment("admin_rates.trainer"),
            shows=to(["trainer"], Secret.RATING_ADMIN_RATES, Secret.AMENDMENT_ADMIN_RATES)),
        Row("POST", amend, "alpha", "a draft: nothing to amend", nobody(),
            "rating.calibrating.trainer", call=_amendment("calibrating.trainer")),
        Row("POST", amend, "alpha", "the master rating", admin(200),
            "rating.calibrating.master", call=_amendment("calibrating.master"),
            shows=to(["admin"], Secret.RATING_CALIBRATING_MASTER)),
        Row("POST", amend, "beta-in-alpha", "beta's rating", nobody(), "rating.beta",
            call=_amendment("beta")),
        Row("POST", amend, "alpha-in-beta", "alpha's rating", nobody(),
            "rating.complete.trainer", call=_amendment("complete.trainer")),
    ]  # fmt: skip


def _files() -> list[Row]:
    imports = "/api/v1/imports/ratings"
    # The admin rates "admin_rates" and has not submitted: its ratings stay out of their view.
    exported = (Secret.RATING_CALIBRATING_OTHER, Secret.RATING_RELEASED,
                *OWN_RATINGS_ONCE_ALL_ARE_IN)  # fmt: skip
    return [
        Row("GET", P + "/audit.csv", "alpha", "the program's log", admin(200)),
        Row("GET", P + "/audit.csv", "beta", "another program's log", beta_admin(200),
            shows=to(["other_admin"], Secret.BETA_COHORT)),
        Row("POST", imports, "alpha", "a file for alpha", admin(201),
            call=_ratings_file("trainee", "trainer"), query="?program={program}"),
        Row("POST", imports, "beta", "a file for beta", beta_admin(201),
            call=_ratings_file("beta_trainee", "other_admin"), query="?program={program}"),
        Row("GET", P + "/ratings.csv", "alpha", "the program's ratings", admin(200),
            shows=to(["admin"], *exported)),
        Row("GET", P + "/ratings.csv", "beta", "another program's ratings", beta_admin(200),
            shows=to(["other_admin"], Secret.RATING_BETA)),
    ]  # fmt: skip


def _readiness() -> list[Row]:
    trainee = P + "/trainees/{trainee_id}/readiness"
    decisions = trainee + "/decisions"
    own = expect(200, other_trainee=HIDDEN, other_admin=HIDDEN)
    sign = body({"committee_comment": "", "entrustment_level": 2})
    return [
        Row("GET", P + "/readiness", "alpha", "every trainee's decision", staff(200)),
        Row("GET", P + "/readiness", "beta", "another program's trainees", beta_admin(200),
            shows=to(["other_admin"], Secret.BETA_TRAINEE)),
        Row("GET", trainee, "alpha", "the trainee's own", own, "user.trainee"),
        Row("GET", trainee, "alpha", "the other trainee's",
            expect(200, trainee=HIDDEN, other_admin=HIDDEN), "user.other_trainee"),
        Row("GET", trainee, "beta-in-alpha", "beta's trainee", nobody(), "user.beta_trainee"),
        Row("GET", trainee, "alpha-in-beta", "alpha's trainee", nobody(), "user.trainee"),
        Row("POST", decisions, "alpha", "a sign-off", admin(201), "user.trainee", call=sign),
        Row("POST", decisions, "beta-in-alpha", "beta's trainee", nobody(), "user.beta_trainee",
            call=sign),
        Row("POST", decisions, "alpha-in-beta", "alpha's trainee", nobody(), "user.trainee",
            call=sign),
        Row("GET", decisions, "alpha", "the trainee's own", own, "user.trainee"),
        Row("GET", decisions, "beta-in-alpha", "beta's trainee", nobody(), "user.beta_trainee"),
        Row("GET", decisions, "alpha-in-beta", "alpha's trainee", nobody(), "user.trainee"),
    ]  # fmt: skip


def _reports() -> list[Row]:
    own = expect(200, other_trainee=HIDDEN, other_admin=HIDDEN)
    others = expect(200, trainee=HIDDEN, other_admin=HIDDEN)
    rows: list[Row] = []
    for extension in ("json", "csv", "pdf"):
        report = P + "/trainees/{trainee_id}/report." + extension
        rows += [
            Row("GET", report, "alpha", "the trainee's own", own, "user.trainee"),
            Row("GET", report, "beta-in-alpha", "beta's trainee", nobody(), "user.beta_trainee"),
            Row("GET", report, "alpha-in-beta", "alpha's trainee", nobody(), "user.trainee"),
        ]  # fmt: skip
        if extension != "pdf":  # the same service: a PDF costs a second to render
            rows.append(Row("GET", report, "alpha", "the other trainee's", others,
                            "user.other_trainee"))  # fmt: skip
        program = P + "/reports/program." + extension
        # Names and cohorts are in the JSON and CSV; the PDF's text is compressed.
        beta = to(["other_admin"], Secret.BETA_TRAINEE, Secret.BETA_COHORT)
        rows += [
            Row("GET", program, "alpha", "the program's report", admin(200)),
            Row("GET", program, "beta", "another program's report", beta_admin(200),
                shows=beta if extension != "pdf" else {}),
        ]  # fmt: skip
    return rows


def _quality() -> list[Row]:
    return [
        Row("GET", P + "/rater-quality", "alpha", "the program's raters", admin(200)),
        Row("GET", P + "/rater-quality", "beta", "another program's raters", beta_admin(200)),
        Row("GET", P + "/generalizability", "alpha", "the program's G-study", admin(200)),
        Row("GET", P + "/generalizability", "beta", "another program's G-study",
            beta_admin(200)),
    ]  # fmt: skip


def _harm() -> list[Row]:
    confirm = SESSION + "/harm-confirmations"
    flag = body({"item_key": "B5", "note": "reviewed the recording"})
    return [
        # Nobody flagged harm in the world: the admin's request is refused by state.
        Row("POST", confirm, "alpha", "a complete session without flags", admin(422),
            "session.complete", call=flag),
        Row("POST", confirm, "alpha", "a session the admin still rates", admin(DENIED),
            "session.admin_rates", call=flag),
        Row("POST", confirm, "beta-in-alpha", "beta's session", nobody(), "session.beta",
            call=flag),
        Row("POST", confirm, "alpha-in-beta", "alpha's session", nobody(), "session.complete",
            call=flag),
    ]  # fmt: skip


def _certificates() -> list[Row]:
    issue = P + "/trainees/{trainee_id}/certificates"
    absent = "00000000-0000-4000-8000-000000000000"
    files = P + "/certificates/{certificate_id}"
    revoke = P + "/certificates/{certificate_id}/revoke"
    reason = body({"reason": "appeal upheld"})
    return [
        # Nobody in the world has a READY sign-off: the admin's request is refused by state.
        Row("POST", issue, "alpha", "the trainee, not signed off", admin(409), "user.trainee"),
        Row("POST", issue, "beta-in-alpha", "beta's trainee", nobody(), "user.beta_trainee"),
        Row("POST", issue, "alpha-in-beta", "alpha's trainee", nobody(), "user.trainee"),
        Row("GET", P + "/certificates", "alpha", "the program's certificates", admin(200)),
        Row("GET", P + "/certificates", "beta", "another program's", beta_admin(200)),
        *(Row("GET", f"{files}.{extension}", "alpha", "no such certificate", nobody(),
              url=f"/api/v1/programs/alpha/certificates/{absent}.{extension}")
          for extension in ("json", "pdf", "csv")),
        Row("POST", revoke, "alpha", "no such certificate", nobody(), call=reason,
            url=f"/api/v1/programs/alpha/certificates/{absent}/revoke"),
        Row("GET", "/verify/{certificate_id}", "public", "anyone checks a certificate",
            everyone(200), url=f"/verify/{absent}"),
        Row("GET", "/keys/{program}.pem", "public", "a program's public key", everyone(200),
            url="/keys/alpha.pem"),
    ]  # fmt: skip


ROWS: list[Row] = [
    *_public(), *_account(), *_programs(), *_sessions(), *_assignments(), *_conflicts(),
    *_own_ratings(), *_session_ratings(), *_feedback(), *_files(), *_readiness(), *_reports(),
    *_quality(), *_certificates(), *_harm(),
]  # fmt: skip
CASES = [pytest.param(row, actor, id=f"{row.method} {row.route} [{row.scope}: {row.variant}] "
                      f"as {actor}") for row in ROWS for actor in ACTORS]  # fmt: skip


# --- fixtures -------------------------------------------------------------------------------


@dataclass
class _Current:
    session: Session | None = None


@pytest.fixture(scope="module")
def built(engine: Engine) -> Iterator[tuple[Connection, AccessWorld]]:
    """The world, built once per backend in a transaction that is never committed."""
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            world = build_access_world(session)
            session.commit()
        finally:
            session.close()
        try:
            yield connection, world
        finally:
            outer.rollback()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[TestClient, _Current]]:
    """One app for the module; each request uses the current case's session."""
    app = create_app()
    current = _Current()

    def _session() -> Iterator[Session]:
        # As app.db.engine.unit_of_work, one transaction per request (here a SAVEPOINT).
        session = current.session
        assert session is not None, "a request outside a case"
        session.commit()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()

    app.dependency_overrides[get_session] = _session
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client, current


@pytest.fixture
def matrix(
    built: tuple[Connection, AccessWorld], served: tuple[TestClient, _Current]
) -> Iterator[tuple[TestClient, AccessWorld]]:
    """The fresh world for one case: whatever the case changes is rolled back after it."""
    connection, world = built
    client, current = served
    savepoint = connection.begin_nested()
    current.session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield client, world
    finally:
        current.session.close()
        current.session = None
        savepoint.rollback()


# --- the cases ------------------------------------------------------------------------------


def _send(
    client: TestClient, row: Row, world: AccessWorld, actor: str, target: int, program: str
) -> Response:
    call = row.call(world, target)
    return client.request(
        row.method, row.path(world, target, program), json=call.json, content=call.content,
        data=call.data, headers={**world.headers(actor), **call.headers},
    )  # fmt: skip


def _secrets(response: Response) -> frozenset[str]:
    return frozenset(s for s in ALL_SECRETS if s in response.text)


def _absent_alike(
    client: TestClient, row: Row, world: AccessWorld, actor: str, response: Response
) -> str | None:
    """Why the 404 differs from the one about an absent object, if it does."""
    if row.target is not None:
        probe = _send(client, row, world, actor, ABSENT_ID, row.program)
        real, stand_in = str(row.target_id(world)), str(ABSENT_ID)
    else:
        probe = _send(client, row, world, actor, ABSENT_ID, ABSENT_PROGRAM)
        real, stand_in = row.program, ABSENT_PROGRAM
    if probe.status_code != 404:
        return f"the absent stand-in answered {probe.status_code}: {probe.text}"
    if json.loads(probe.text.replace(stand_in, real)) != response.json():
        return f"an absent stand-in answers {probe.text}"
    return None


@pytest.mark.parametrize(("row", "actor"), CASES)
def test_access(matrix: tuple[TestClient, AccessWorld], row: Row, actor: str) -> None:
    client, world = matrix
    expected = row.outcomes[actor]
    response = _send(client, row, world, actor, row.target_id(world), row.program)
    where = (
        f"{row.method} {row.path(world, row.target_id(world), row.program)} "
        f"({row.variant}) as {actor}: expected {expected}, got {response.status_code}: "
        f"{response.text[:600]}"
    )
    status = expected if isinstance(expected, int) else 404
    assert response.status_code == status, where
    allowed = response.status_code < 400
    shown = row.shows.get(actor, frozenset()) if allowed else frozenset()
    assert _secrets(response) == shown, f"{where}\nmarkers: {sorted(_secrets(response))}"
    if expected == 401:
        assert response.headers.get("www-authenticate") == "Bearer", where
    if expected == HIDDEN:
        differs = _absent_alike(client, row, world, actor, response)
        assert differs is None, f"{where}\nexistence shows: {differs}"
    if allowed and row.check is not None and response.status_code != 204:
        row.check(world, actor, response.json())


# --- the table itself -----------------------------------------------------------------------


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every served route, routers included (FastAPI nests included routers)."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            yield from _routes(candidates())
        else:
            yield route


def _is_page(route: BaseRoute) -> bool:
    endpoint = getattr(route, "endpoint", None)
    return (
        route.path == "/static"
        if isinstance(route, Mount)
        else (getattr(endpoint, "__module__", "").startswith("app.web."))
    )


def _served() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in _routes(create_app().routes):
        if _is_page(route):
            continue  # pages have their own matrix: tests/web/test_page_access.py
        path = getattr(route, "path", repr(route))
        methods = getattr(route, "methods", None) or {f"<no methods: {route!r}>"}
        found |= {(method, path) for method in methods}
    return found


def test_every_route_has_a_row() -> None:
    """A route added without a row (or a row left behind by a removed route) fails here."""
    tabled = {(row.method, row.route) for row in ROWS}
    served = _served()
    assert sorted(served - tabled) == [], "routes missing from the access matrix"
    assert sorted(tabled - served) == [], "rows for routes the app no longer serves"


def test_every_id_is_tried_across_programs() -> None:
    """Each route that addresses an object by id is asked for another program's object, both
    ways: beta's id through alpha's path, and alpha's id through beta's."""
    missing = []
    for method, route in sorted({(r.method, r.route) for r in ROWS if _ID.search(r.route)}):
        if route.startswith("/api/v1/rubrics"):
            continue  # public documents, addressed by name
        if "{certificate_id}" in route:
            continue  # needs a READY trainee: tests/api/test_certificates_api.py tries it
        scopes = {r.scope for r in ROWS if (r.method, r.route) == (method, route)}
        missing += [f"{method} {route}: {s}" for s in ("beta-in-alpha", "alpha-in-beta")
                    if s not in scopes]  # fmt: skip
    assert missing == []


def test_every_row_states_every_actor() -> None:
    for row in ROWS:
        assert set(row.outcomes) == set(ACTORS), (row.method, row.route, row.variant)
        assert set(row.shows) <= set(ACTORS)
        if row.scope != "public":
            assert row.outcomes["anonymous"] == 401, (row.method, row.route)
        for actor, outcome in row.outcomes.items():
            if outcome in (HIDDEN, DENIED, 401):
                assert actor not in row.shows, (row.route, row.variant, actor)
    assert len(CASES) >= 300
