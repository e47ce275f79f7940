"""Blind rating as a hypothesis state machine, driven through the HTTP API.

Actors register sessions, assign raters (by hand and automatically), save drafts with
distinctive scores and comments, submit with an Idempotency-Key and replay it, withdraw and
reinstate, key master ratings, amend, switch automatic release on and off, and release; after
any step any actor may read a session through every route that can show a rating or betray
that one exists, and the trainer's comparison page, signed in with the same token as a
cookie. Each read is checked against tests/support/blind_model.py, and a reader who
still owes a rating of the session is held to more: what they get must be exactly what they
got the last time their own state was the same, whatever their peers did in between, and a
peer's object must answer exactly like an object that does not exist.

Budget: each example starts with a session and some of its raters; a step is one request to
a few dozen (after a step on a session its actors read its ratings again, and its blind raters
every route). 8 examples of up to 20 steps on SQLite and 4 on PostgreSQL (where a request
costs more) take about 5 s each. With the app as it is, every run of the two so far met at
least one of the three leaks found below. With those patched out in a scratch
harness, 120 examples found nothing else, and runs of 30 examples caught each of 7 leaks
planted there (blind raters, trainees before release, master ratings shown to trainees,
raters before all are in, the audit and ratings exports, the assignment roster). No
shrinking: an example costs up to a second, so hypothesis would spend minutes on it; the
failing steps are printed as they ran, and the assertion names the reader, the session and
what they learnt.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session

from app.domain.vocabulary import AssignmentStatus, Role
from app.main import create_app
from app.services.auth import login
from app.services.programs import create_cohort, create_program
from app.services.rubric_library import load_rubrics
from app.services.users import create_user, grant_role
from tests.support.blind_model import (
    ADMINS,
    OPEN,
    OUTSIDER,
    RATERS,
    READERS,
    STAFF,
    TRAINEES,
    TRAINERS,
    BlindModel,
    Json,
    ModelAssignment,
    ModelSession,
)

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
PASSWORD = "a long enough password"
# Every item of the flagship rubric that applies to a preparation session.
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
_CSRF = re.compile(r'(x-csrftoken": "|name="csrftoken" value=")[^"]+')
ABSENT = 2**31 - 1  # a valid id that never names anything
MACHINE_SETTINGS = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    database=None,
    phases=(Phase.generate,),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_WORLDS = itertools.count(1)

SCORES = st.lists(st.integers(0, 6), min_size=len(PREPARATION), max_size=len(PREPARATION))
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=12)


@dataclass(frozen=True)
class World:
    """A program of its own per example, so examples never see each other's objects."""

    slug: str
    other: str  # the outsider's program
    tokens: dict[str, str]
    emails: dict[str, str]
    names: dict[str, str]
    ids: dict[str, int]


def build_world(db: Session) -> World:
    n = next(_WORLDS)
    program = create_program(db, slug=f"blind-{n}", name=f"Blind {n}")
    other = create_program(db, slug=f"blind-other-{n}", name=f"Other {n}")
    cohort = create_cohort(db, program, name="Cohort", start_date=date(2026, 1, 1))
    roles = {**dict.fromkeys(ADMINS, Role.admin), **dict.fromkeys(TRAINERS, Role.trainer),
             **dict.fromkeys(TRAINEES, Role.trainee)}  # fmt: skip
    tokens: dict[str, str] = {}
    emails: dict[str, str] = {}
    names: dict[str, str] = {}
    ids: dict[str, int] = {}
    for actor in READERS:
        email = f"{actor}-{n}@blind.example.org"
        user = create_user(db, email=email, full_name=f"{actor} of world {n}", password=PASSWORD)
        if actor == OUTSIDER:
            grant_role(db, user, other, Role.admin)
        else:
            role = roles[actor]
            grant_role(db, user, program, role, cohort if role is Role.trainee else None)
        outcome = login(db, email, PASSWORD, f"10.1.{n % 250}.{len(tokens) + 1}")
        assert outcome.token is not None
        tokens[actor], emails[actor], names[actor], ids[actor] = (
            outcome.token, email, user.full_name, user.id,
        )  # fmt: skip
    return World(program.slug, other.slug, tokens, emails, names, ids)


def rating_body(scores: list[int], comment: str, count: int = len(PREPARATION)) -> Json:
    return {
        "scores": [
            {"item_key": k, "score": s} for k, s in zip(PREPARATION[:count], scores, strict=False)
        ],
        "overall_comment": comment,
    }


def _content(response: httpx.Response) -> Any:
    """A body to compare: JSON when it is JSON, the text otherwise."""
    try:
        return response.json()
    except ValueError:
        return response.text


class BlindRating(RuleBasedStateMachine):
    def __init__(self, client: TestClient, db: Session) -> None:
        super().__init__()
        self.client = client
        self.world = build_world(db)
        self.model = BlindModel(dict(self.world.names))
        self.notes = itertools.count(1)
        # (reader, session id, what) -> (the reader's own state, status, body) while blind.
        self.snapshots: dict[tuple[str, int, str], tuple[object, int, Any]] = {}
        self.absent: dict[tuple[str, str, str], tuple[int, Any]] = {}
        self.touched: ModelSession | None = None  # the session the last step acted on
        # Pages sign in with the same tokens, as a cookie; a client of their own keeps the
        # API client's requests free of page cookies.
        self.pages = TestClient(client.app, base_url="https://testserver")

    # Plumbing ------------------------------------------------------------------------------

    def call(
        self, actor: str, method: str, path: str, *, program: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.world.tokens[actor]}",
                   **kwargs.pop("headers", {})}  # fmt: skip
        url = f"/api/v1/programs/{program or self.world.slug}{path}"
        return self.client.request(method, url, headers=headers, **kwargs)

    def note(self, actor: str, session_id: int, word: str) -> str:
        return f"{actor} on {session_id}, note {next(self.notes)}: {word}"

    def draw_session(self, data: st.DataObject) -> ModelSession:
        return self.model.sessions[data.draw(st.sampled_from(sorted(self.model.sessions)))]

    def like_absent(
        self, actor: str, method: str, template: str, real: int, response: httpx.Response,
        *, program: str | None = None, json_body: Json | None = None,
    ) -> None:  # fmt: skip
        """The answer about ``real`` is exactly the answer about an id that names nothing."""
        key = (actor, method, f"{program}:{template}")
        if key not in self.absent:
            probe = self.call(
                actor, method, template.format(ABSENT), program=program, json=json_body
            )
            self.absent[key] = (probe.status_code, _content(probe))
        status, body = self.absent[key]
        expected = json.loads(json.dumps(body).replace(str(ABSENT), str(real)))
        assert (response.status_code, _content(response)) == (status, expected), (
            f"{actor} {method} {template.format(real)} tells a peer's object from a missing one"
        )

    def blind(
        self, reader: str, recorded: ModelSession, what: str, response: httpx.Response
    ) -> None:
        """While the reader is blind, the answer may change only when their own state does."""
        own = tuple(
            (a.id, a.status, a.rating and a.rating["version"])
            for a in recorded.assignments
            if a.rater == reader
        )
        seen = (response.status_code, _content(response))
        key = (reader, recorded.id, what)
        before = self.snapshots.get(key)
        if before is not None and before[0] == own:
            assert before[1:] == seen, (
                f"{what} changed for {reader}, still blind on session {recorded.id}, although "
                f"only peers acted: {before[1:]} -> {seen}"
            )
        self.snapshots[key] = (own, *seen)

    # Admin: sessions, assignments, release, settings --------------------------------------

    @initialize(
        trainee=st.sampled_from(TRAINEES),
        raters=st.lists(st.sampled_from(RATERS), min_size=1, max_size=3, unique=True),
    )
    def first_session(self, trainee: str, raters: list[str]) -> None:
        """Every example starts with a session and its raters, so steps go to the rules."""
        recorded = self.touched = self.register_session(trainee)
        for rater in raters:
            response = self.call("lead", "POST", f"/sessions/{recorded.id}/assignments",
                                 json={"rater_email": self.world.emails[rater]})  # fmt: skip
            assert response.status_code == 201, response.text
            recorded.assignments.append(ModelAssignment(response.json()["id"], rater))

    @precondition(lambda self: len(self.model.sessions) < 2)
    @rule(trainee=st.sampled_from(TRAINEES))
    def another_session(self, trainee: str) -> None:
        self.register_session(trainee)

    def register_session(self, trainee: str) -> ModelSession:
        body = {"trainee_email": self.world.emails[trainee], "phase": "preparation",
                "session_date": "2026-10-01", "duration_seconds": 3600,
                "recording": "https://media.example.org/blind.mp4"}  # fmt: skip
        response = self.call("lead", "POST", "/sessions", json=body)
        assert response.status_code == 201, response.text
        recorded = ModelSession(response.json()["id"], trainee)
        self.model.sessions[recorded.id] = recorded
        return recorded

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), rater=st.sampled_from(RATERS))
    def assign(self, data: st.DataObject, rater: str) -> None:
        recorded = self.touched = self.draw_session(data)
        existing = recorded.of(rater)
        response = self.call("lead", "POST", f"/sessions/{recorded.id}/assignments",
                             json={"rater_email": self.world.emails[rater]})  # fmt: skip
        reinstating = existing is not None and not existing.active and not existing.master
        if existing is not None and not reinstating:
            assert response.status_code == 409, response.text
            return
        if recorded.complete():
            # A session whose ratings are all in takes no new raters: one added now would
            # learn from its release or from readiness decisions what the others scored.
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 201, response.text
        assignment_id = response.json()["id"]
        if existing is None:
            existing = ModelAssignment(assignment_id, rater)
            recorded.assignments.append(existing)
        else:
            assert assignment_id == existing.id, "a withdrawn rater gets their assignment back"
            existing.status = (
                AssignmentStatus.in_progress if existing.rating else AssignmentStatus.assigned
            )
        assert response.json()["status"] == existing.status.value

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), per_session=st.integers(1, 3), seed=st.integers(0, 99))
    def auto_assign(self, data: st.DataObject, per_session: int, seed: int) -> None:
        recorded = self.touched = self.draw_session(data)
        body = {"session_ids": [recorded.id], "raters_per_session": per_session, "seed": seed}
        response = self.call("lead", "POST", "/assignments/auto", json=body)
        counted = [a for a in recorded.active() if not a.master]
        needed = max(0, per_session - len(counted))
        eligible = [t for t in TRAINERS if recorded.of(t) is None]
        if recorded.complete():
            assert response.status_code == 409, response.text  # as for assign
            return
        if len(eligible) < needed:
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 201, response.text
        by_id = {v: k for k, v in self.world.ids.items()}
        created = [by_id[a["rater_id"]] for a in response.json()]
        assert len(created) == needed, (created, needed)
        assert set(created) <= set(eligible), (created, eligible)
        for a, rater in zip(response.json(), created, strict=True):
            recorded.assignments.append(ModelAssignment(a["id"], rater))

    @precondition(lambda self: any(s.assignments for s in self.model.sessions.values()))
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        recorded = self.touched = self.draw_session(data)
        if not recorded.assignments:
            return
        target = data.draw(st.sampled_from(recorded.assignments))
        response = self.call("lead", "POST", f"/assignments/{target.id}/withdraw")
        if target.status is AssignmentStatus.submitted:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        if target.active:
            target.status = AssignmentStatus.withdrawn
            self.model.complete_and_maybe_release(recorded)

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), admin=st.sampled_from(ADMINS))
    def release(self, data: st.DataObject, admin: str) -> None:
        recorded = self.touched = self.draw_session(data)
        response = self.call(admin, "POST", f"/sessions/{recorded.id}/release")
        if recorded.released or recorded.complete():
            assert response.status_code == 200, response.text
            recorded.released = True
        else:
            assert response.status_code == 409, response.text

    @rule(on=st.booleans())
    def set_automatic_release(self, on: bool) -> None:
        response = self.call("lead", "PATCH", "", json={"auto_release": on})
        assert response.status_code == 200, response.text
        assert response.json()["auto_release"] is on
        self.model.auto_release = on

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), level=st.none() | st.integers(1, 5))
    def sign_off_readiness(self, data: st.DataObject, level: int | None) -> None:
        """A decision keeps the evidence of its day: the trainee's complete sessions."""
        trainee = self.draw_session(data).trainee
        path = f"/trainees/{self.world.ids[trainee]}/readiness/decisions"
        response = self.call("lead", "POST", path, json={"entrustment_level": level})
        assert response.status_code == 201, response.text
        kept = {s["session_id"] for s in response.json()["snapshot"]["result"]["sessions"]}
        assert kept == self.model.evidence(trainee), (trainee, kept)

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), admin=st.sampled_from(ADMINS), scores=SCORES, word=WORDS)
    def key_master_rating(
        self, data: st.DataObject, admin: str, scores: list[int], word: str
    ) -> None:
        recorded = self.touched = self.draw_session(data)
        comment = self.note(f"master by {admin}", recorded.id, word)
        response = self.call(admin, "POST", f"/sessions/{recorded.id}/master-rating",
                             json=rating_body(scores, comment))  # fmt: skip
        if recorded.master() is not None or recorded.of(admin) is not None:
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["overall_comment"] == comment
        assert body["status"] == "submitted"
        master = ModelAssignment(body["assignment_id"], admin, AssignmentStatus.submitted)
        master.master, master.rating = True, body
        recorded.assignments.append(master)

    # Raters: drafts, submissions, replays, amendments -------------------------------------

    def draw_open(self, data: st.DataObject) -> tuple[ModelSession, ModelAssignment] | None:
        open_ = [
            (s, a) for s in self.model.sessions.values() for a in s.assignments if a.status in OPEN
        ]
        return data.draw(st.sampled_from(open_)) if open_ else None

    @rule(data=st.data(), scores=SCORES, count=st.integers(1, len(PREPARATION)), word=WORDS)
    def save_draft(self, data: st.DataObject, scores: list[int], count: int, word: str) -> None:
        picked = self.draw_open(data)
        if picked is None:
            return
        recorded, target = picked
        self.touched = recorded
        comment = self.note(target.rater, recorded.id, word)
        response = self.call(target.rater, "PUT", f"/assignments/{target.id}/rating",
                             json=rating_body(scores, comment, count))  # fmt: skip
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["overall_comment"] == comment
        assert body["status"] == "draft"
        assert [s["score"] for s in body["scores"]] == scores[:count]
        target.rating, target.status = body, AssignmentStatus.in_progress

    @rule(data=st.data(), with_body=st.booleans(), scores=SCORES, word=WORDS, replay=st.booleans())
    def submit(
        self, data: st.DataObject, with_body: bool, scores: list[int], word: str, replay: bool
    ) -> None:
        picked = self.draw_open(data)
        if picked is None:
            return
        recorded, target = picked
        self.touched = recorded
        key = f"submit-{target.id}-{next(self.notes)}"
        comment = self.note(target.rater, recorded.id, word)
        response = self.call(
            target.rater, "POST", f"/assignments/{target.id}/rating/submit",
            headers={"Idempotency-Key": key},
            json=rating_body(scores, comment) if with_body else None,
        )  # fmt: skip
        draft = target.rating
        if not with_body and (draft is None or len(draft["scores"]) < len(PREPARATION)):
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "submitted"
        expected = comment if with_body else draft["overall_comment"] if draft else None
        assert body["overall_comment"] == expected
        target.rating, target.status, target.key = body, AssignmentStatus.submitted, key
        self.model.complete_and_maybe_release(recorded)
        if replay:
            self.replay_submission(target)

    @precondition(lambda self: any(s.pending_raters() for s in self.model.sessions.values()))
    @rule(data=st.data(), word=WORDS)
    def everyone_submits(self, data: st.DataObject, word: str) -> None:
        """The session's raters all finish, one after another, each with their own scores."""
        recorded = self.touched = self.draw_session(data)
        for target in recorded.assignments:
            if target.status not in OPEN:
                continue
            target.key = f"submit-{target.id}-{next(self.notes)}"
            comment = self.note(target.rater, recorded.id, word)
            response = self.call(
                target.rater, "POST", f"/assignments/{target.id}/rating/submit",
                headers={"Idempotency-Key": target.key},
                json=rating_body(data.draw(SCORES), comment),
            )  # fmt: skip
            assert response.status_code == 200, response.text
            assert response.json()["overall_comment"] == comment
            target.rating, target.status = response.json(), AssignmentStatus.submitted
            self.model.complete_and_maybe_release(recorded)

    def replay_submission(self, target: ModelAssignment) -> None:
        """The same key again is the first answer, and changes nothing; another key, a 409."""
        assert target.key is not None
        path = f"/assignments/{target.id}/rating/submit"
        replay = self.call(target.rater, "POST", path, headers={"Idempotency-Key": target.key})
        assert replay.status_code == 200, replay.text
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json() == target.rating
        fresh = {"Idempotency-Key": f"another-key-{next(self.notes)}"}
        another = self.call(target.rater, "POST", path, headers=fresh)
        assert another.status_code == 409, another.text

    @rule(data=st.data(), actor=st.sampled_from(STAFF), score=st.integers(0, 6), word=WORDS)
    def amend(self, data: st.DataObject, actor: str, score: int, word: str) -> None:
        rated = [(s, a) for s in self.model.sessions.values() for a in s.assignments if a.rating]
        if not rated:
            return
        recorded, target = data.draw(st.sampled_from(rated))
        self.touched = recorded
        assert target.rating is not None
        rating_id = target.rating["id"]
        comment = self.note(f"amended by {actor}", recorded.id, word)
        body = {
            "reason": f"second look by {actor}",
            "version": target.rating["version"],
            "scores": [{"item_key": "A1", "score": score}],
            "overall_comment": comment,
        }
        template = "/ratings/{}/amendments"
        response = self.call(actor, "POST", template.format(rating_id), json=body)
        if not self.model.may_amend(actor, recorded, target):
            self.like_absent(actor, "POST", template, rating_id, response, json_body=body)
            return
        assert response.status_code == 200, response.text
        amended = response.json()
        assert amended["overall_comment"] == comment
        assert amended["amendments"][-1]["reason"] == body["reason"]
        target.rating = amended

    # Reading, as anyone --------------------------------------------------------------------

    @invariant()
    def everyone_looks_again(self) -> None:
        """After any step on a session, its actors read its ratings; blind raters, more."""
        recorded, self.touched = self.touched, None
        if recorded is None:
            return
        # Everyone with a stake in the session; the read rule covers the others.
        involved = {recorded.trainee, "lead", *(a.rater for a in recorded.assignments)}
        for reader in sorted(involved):
            self.read_ratings(reader, recorded)
            if recorded.pending(reader):
                self.read_blind(reader, recorded)

    def read_ratings(self, reader: str, recorded: ModelSession) -> None:
        """GET .../sessions/{id}/ratings against the model: all of it, or a 404."""
        program = self.world.other if reader == OUTSIDER else None
        ratings = self.call(reader, "GET", f"/sessions/{recorded.id}/ratings", program=program)
        expected = self.model.visible_ratings(reader, recorded)
        if expected is None:
            assert ratings.status_code == 404, (reader, ratings.text)
        else:
            assert ratings.status_code == 200, (reader, ratings.text)
            assert sorted(ratings.json(), key=lambda r: r["id"]) == expected, reader
        if reader == OUTSIDER or (reader in TRAINEES and recorded.trainee != reader):
            self.like_absent(reader, "GET", "/sessions/{}/ratings", recorded.id, ratings,
                             program=program)  # fmt: skip
        if recorded.pending(reader):
            self.blind(reader, recorded, "ratings", ratings)
        self.read_comparison_page(reader, recorded, expected, program)
        self.read_trainee_pages(reader, recorded, expected, program)

    def read_comparison_page(
        self, reader: str, recorded: ModelSession, expected: list[Json] | None, program: str | None
    ) -> None:
        """The trainer's comparison page shows what the API shows staff, and nothing else."""
        page = self.pages.get(
            f"/p/{program or self.world.slug}/sessions/{recorded.id}/comparison",
            headers={"cookie": f"gh_session={self.world.tokens[reader]}", "accept": "text/html"},
        )
        shows = reader in STAFF and expected is not None
        assert page.status_code == (200 if shows else 404), (reader, page.text[:300])
        if shows:
            assert expected is not None
            visible = {r["overall_comment"] for r in expected}
            for a in recorded.assignments:
                comment = a.rating and a.rating["overall_comment"]
                if comment:
                    assert (html.escape(comment) in page.text) == (comment in visible), (
                        f"{reader}'s comparison page and the model differ on {comment!r}"
                    )
        if recorded.pending(reader):
            # The CSRF token is fresh on every page; the rest must not move.
            steady = _CSRF.sub(r"\1-", page.text)
            self.blind(reader, recorded, "comparison page",
                       httpx.Response(page.status_code, text=steady))  # fmt: skip

    def read_trainee_pages(
        self, reader: str, recorded: ModelSession, expected: list[Json] | None, program: str | None
    ) -> None:
        """The trainee's feedback page and session list show a session's comments exactly when
        the API shows them to its trainee (never a master's), and to nobody else."""
        base = f"/p/{program or self.world.slug}/trainee/sessions"
        headers = {"cookie": f"gh_session={self.world.tokens[reader]}", "accept": "text/html"}
        page = self.pages.get(f"{base}/{recorded.id}", headers=headers)
        listing = self.pages.get(base, headers=headers)
        shows = reader == recorded.trainee and expected is not None
        assert page.status_code == (200 if shows else 404), (reader, page.text[:300])
        assert listing.status_code == (200 if reader in TRAINEES else 404), reader
        visible = {r["overall_comment"] for r in expected or () if shows and not r["master"]}
        for a in recorded.assignments:
            comment = a.rating and a.rating["overall_comment"]
            for what, response in (("feedback page", page), ("session list", listing)):
                if comment and response.status_code == 200:
                    assert (html.escape(comment) in response.text) == (comment in visible), (
                        f"{reader}'s trainee {what} and the model differ on {comment!r}"
                    )

    def read_blind(self, reader: str, recorded: ModelSession) -> None:
        """What a reader who still owes a rating of the session gets, route by route."""
        sid = recorded.id
        one = self.call(reader, "GET", f"/sessions/{sid}")
        assert one.status_code == 200, one.text
        # Released feedback says that every rating before the reader's was in.
        assert one.json()["released_at"] is None, f"{reader} is blind on a released session"
        self.blind(reader, recorded, "session", one)
        listed = self.call(reader, "GET", "/sessions")
        entry = [s for s in listed.json() if s["id"] == sid]
        self.blind(reader, recorded, "listed", httpx.Response(listed.status_code, json=entry))
        # A readiness decision keeps the means of the sessions complete on its day.
        trainee = self.world.ids[recorded.trainee]
        decisions = self.call(reader, "GET", f"/trainees/{trainee}/readiness/decisions")
        assert decisions.status_code == 200, decisions.text
        kept = [
            d["id"]
            for d in decisions.json()
            if sid in {s["session_id"] for s in d["snapshot"]["result"]["sessions"]}
        ]
        assert kept == [], (
            f"readiness decisions {kept} show {reader}, still blind on session {sid}, its means"
        )
        if reader in ADMINS:
            self.read_admin_tools(reader, recorded)

    def read_admin_tools(self, reader: str, recorded: ModelSession) -> None:
        """An admin who owes a rating must not learn from admin tools that peers are done."""
        sid = recorded.id
        roster = self.call(reader, "GET", f"/sessions/{sid}/assignments")
        assert roster.status_code == 404, roster.text
        self.blind(reader, recorded, "roster", roster)
        # Keying the master rating fails for anyone who rates the session; how it fails
        # must not say whether someone else keyed one.
        probe = self.call(reader, "POST", f"/sessions/{sid}/master-rating",
                          json=rating_body([3] * len(PREPARATION), "probe"))  # fmt: skip
        assert probe.status_code == 409, probe.text
        self.blind(reader, recorded, "master-rating", probe)
        # The audit log may say that a peer drafts; it must not say that one has submitted.
        log = self.call(reader, "GET", "/audit.csv")
        assert log.status_code == 200, log.text
        me = str(self.world.ids[reader])
        for row in csv.DictReader(io.StringIO(log.text)):
            payload = json.loads(row["payload"])
            about = (
                payload.get("session_id") == sid
                if row["action"] in ("rating.submit", "rating.master")
                else row["action"] == "session.release" and row["entity_id"] == str(sid)
            )
            assert not about or row["actor_id"] == me, (
                f"the audit log tells {reader}, still blind on session {sid}, that a peer is "
                f"done: {row['action']} by user {row['actor_id']}"
            )
        # Rater quality names straight-lined ratings: none of a session one still rates.
        quality = self.call(reader, "GET", "/rater-quality")
        assert quality.status_code == 200, quality.text
        peers_ratings = {a.rating["id"] for a in recorded.assignments
                         if a.rating is not None and a.rater != reader}  # fmt: skip
        assert not peers_ratings & set(quality.json()["straight_lined_rating_ids"])
        # The program report counts a trainee's evidence sessions: not one still being rated.
        report = self.call(reader, "GET", "/reports/program.json")
        assert report.status_code == 200, report.text
        [row] = [t for t in report.json()["trainees"]
                 if t["trainee_id"] == self.world.ids[recorded.trainee]]  # fmt: skip
        assert row["n_sessions"] == len(self.model.evidence(recorded.trainee)), (
            f"the program report counts session {sid}, which {reader} still rates"
        )
        assert not peers_ratings & set(report.json()["rater_quality"]["straight_lined_rating_ids"])
        # The ratings export holds every submitted rating: none of a session one still rates.
        export = self.call(reader, "GET", "/ratings.csv")
        assert export.status_code == 200, export.text
        peers = {
            row["rater"]
            for row in csv.DictReader(io.StringIO(export.text))
            if row["subject"] == str(sid) and row["rater"] != self.world.emails[reader]
        }
        assert not peers, (
            f"the ratings export shows {reader}, still blind on session {sid}, the scores and "
            f"comments of {sorted(peers)}"
        )

    @precondition(lambda self: bool(self.model.sessions))
    @rule(data=st.data(), reader=st.sampled_from(READERS))
    def read(self, data: st.DataObject, reader: str) -> None:
        """Every route that shows a session's ratings or assignments, against the model."""
        recorded = self.draw_session(data)
        if reader == OUTSIDER:
            self.read_as_outsider(recorded)
            return
        sid = recorded.id

        self.read_ratings(reader, recorded)
        one = self.call(reader, "GET", f"/sessions/{sid}")
        listed = self.call(reader, "GET", "/sessions")
        assert listed.status_code == 200, listed.text
        entry = [s for s in listed.json() if s["id"] == sid]
        if self.model.may_see_session(reader, recorded):
            assert one.status_code == 200, one.text
            assert entry == [one.json()]
            if not recorded.pending(reader):
                assert (one.json()["released_at"] is not None) == recorded.released
        else:
            self.like_absent(reader, "GET", "/sessions/{}", sid, one)
            assert entry == []

        queue = self.call(reader, "GET", "/queue")
        if reader in STAFF:
            assert queue.status_code == 200, queue.text
            got = [(q["assignment_id"], q["session_id"], q["status"]) for q in queue.json()]
            assert got == self.model.queue(reader)
        else:
            assert queue.status_code == 404, queue.text

        for a in recorded.assignments:
            template = "/assignments/{}/rating"
            response = self.call(reader, "GET", template.format(a.id))
            own = self.model.own_rating(reader, a)
            if own is not None:
                assert response.status_code == 200, response.text
                assert response.json() == own
            elif a.rater == reader and a.active:
                assert response.status_code == 404, "nothing saved yet"
            else:
                self.like_absent(reader, "GET", template, a.id, response)

        self.read_readiness(reader, recorded)

        roster = self.call(reader, "GET", f"/sessions/{sid}/assignments")
        expected_roster = self.model.session_assignments(reader, recorded)
        if expected_roster is None:
            assert roster.status_code == 404, (reader, roster.text)
        else:
            assert roster.status_code == 200, roster.text
            by_email = {v: k for k, v in self.world.emails.items()}
            got_roster = [
                {"id": a["id"], "rater": by_email[a["rater_email"]], "status": a["status"],
                 "is_master": a["is_master"]}
                for a in roster.json()
            ]  # fmt: skip
            assert got_roster == expected_roster

        if recorded.pending(reader):
            self.read_blind(reader, recorded)

    def read_readiness(self, reader: str, recorded: ModelSession) -> None:
        """The trainee's readiness: staff see every complete session, the trainee the released
        ones, anyone else nothing."""
        template = "/trainees/{}/readiness"
        report_template = "/trainees/{}/report.json"
        trainee = self.world.ids[recorded.trainee]
        live = self.call(reader, "GET", template.format(trainee))
        decisions = self.call(reader, "GET", f"{template}/decisions".format(trainee))
        report = self.call(reader, "GET", report_template.format(trainee))
        if reader in STAFF or reader == recorded.trainee:
            evidence = self.model.evidence(recorded.trainee, released_only=reader not in STAFF)
            for what, response in (("readiness", live), ("report", report)):
                assert response.status_code == 200, response.text
                sessions = {s["session_id"] for s in response.json()["assessment"]["sessions"]}
                assert sessions == evidence, (reader, what, sessions)
            assert decisions.status_code == 200, decisions.text
            if reader not in STAFF:
                assert all(d["snapshot"] is None for d in decisions.json())
        else:
            self.like_absent(reader, "GET", template, trainee, live)
            self.like_absent(reader, "GET", template + "/decisions", trainee, decisions)
            self.like_absent(reader, "GET", report_template, trainee, report)
        summary = self.call(reader, "GET", "/readiness")
        assert summary.status_code == (200 if reader in STAFF else 404), summary.text

    def read_as_outsider(self, recorded: ModelSession) -> None:
        """Another program's admin: neither the program's paths nor its ids lead anywhere."""
        sid = recorded.id
        for path in (
            f"/sessions/{sid}/ratings",
            f"/sessions/{sid}",
            f"/sessions/{sid}/assignments",
        ):
            response = self.call(OUTSIDER, "GET", path)
            assert response.status_code == 404, response.text
        own_program = self.world.other
        for template in ("/sessions/{}/ratings", "/sessions/{}", "/sessions/{}/assignments"):
            response = self.call(OUTSIDER, "GET", template.format(sid), program=own_program)
            self.like_absent(OUTSIDER, "GET", template, sid, response, program=own_program)
        for a in recorded.assignments:
            template = "/assignments/{}/rating"
            response = self.call(OUTSIDER, "GET", template.format(a.id), program=own_program)
            self.like_absent(OUTSIDER, "GET", template, a.id, response, program=own_program)


def test_no_read_reveals_a_peer_before_the_readers_own_submission(
    client: TestClient, db_session: Session
) -> None:
    load_rubrics(db_session, [FLAGSHIP])

    class OnTheseFixtures(BlindRating):
        def __init__(self) -> None:
            super().__init__(client, db_session)

    # A request costs about five times as much on PostgreSQL: explore on SQLite, and on
    # PostgreSQL check that nothing the machine does behaves differently there.
    sqlite = db_session.get_bind().dialect.name == "sqlite"
    examples = MACHINE_SETTINGS.max_examples if sqlite else MACHINE_SETTINGS.max_examples // 2
    run_state_machine_as_test(
        OnTheseFixtures, settings=settings(MACHINE_SETTINGS, max_examples=examples)
    )


# Routes that can show a rating, or that one exists, and which the machine reads or drives.
COVERED = {
    ("GET", "/api/v1/programs/{program}/sessions/{session_id}/ratings"),
    ("GET", "/api/v1/programs/{program}/sessions/{session_id}"),
    ("GET", "/api/v1/programs/{program}/sessions"),
    ("GET", "/api/v1/programs/{program}/sessions/{session_id}/assignments"),
    ("GET", "/api/v1/programs/{program}/assignments/{assignment_id}/rating"),
    ("GET", "/api/v1/programs/{program}/queue"),
    ("GET", "/api/v1/programs/{program}/audit.csv"),
    ("GET", "/api/v1/programs/{program}/ratings.csv"),
    ("PUT", "/api/v1/programs/{program}/assignments/{assignment_id}/rating"),
    ("POST", "/api/v1/programs/{program}/assignments/{assignment_id}/rating/submit"),
    ("POST", "/api/v1/programs/{program}/assignments/{assignment_id}/withdraw"),
    ("POST", "/api/v1/programs/{program}/assignments/auto"),
    ("POST", "/api/v1/programs/{program}/sessions"),
    ("POST", "/api/v1/programs/{program}/sessions/{session_id}/assignments"),
    ("POST", "/api/v1/programs/{program}/sessions/{session_id}/release"),
    ("POST", "/api/v1/programs/{program}/sessions/{session_id}/master-rating"),
    ("POST", "/api/v1/programs/{program}/ratings/{rating_id}/amendments"),
    ("PATCH", "/api/v1/programs/{program}"),
    ("GET", "/api/v1/programs/{program}/readiness"),
    ("GET", "/api/v1/programs/{program}/trainees/{trainee_id}/readiness"),
    ("GET", "/api/v1/programs/{program}/trainees/{trainee_id}/readiness/decisions"),
    ("POST", "/api/v1/programs/{program}/trainees/{trainee_id}/readiness/decisions"),
    ("GET", "/api/v1/programs/{program}/rater-quality"),
    ("GET", "/api/v1/programs/{program}/trainees/{trainee_id}/report.json"),
    ("GET", "/api/v1/programs/{program}/reports/program.json"),
}
# Routes that never touch a session's ratings or assignments, with the reason.
UNRELATED = {
    ("GET", "/api/v1/programs/{program}"): "program settings",
    ("GET", "/api/v1/programs"): "the caller's programs and roles",
    ("GET", "/api/v1/me"): "the caller's account",
    ("GET", "/api/v1/programs/{program}/cohorts"): "cohorts",
    ("POST", "/api/v1/programs/{program}/cohorts"): "cohorts",
    ("PATCH", "/api/v1/programs/{program}/cohorts/{cohort_id}"): "cohorts",
    ("GET", "/api/v1/programs/{program}/members"): "memberships",
    ("POST", "/api/v1/programs/{program}/members"): "memberships",
    ("POST", "/api/v1/programs/{program}/members/{membership_id}/deactivate"): "memberships",
    ("GET", "/api/v1/programs/{program}/conflicts"): "declared conflicts, not ratings",
    ("POST", "/api/v1/programs/{program}/conflicts"): "declared conflicts, not ratings",
    ("DELETE", "/api/v1/programs/{program}/conflicts/{conflict_id}"): "declared conflicts",
    ("POST", "/api/v1/programs/{program}/sessions/{session_id}/repin"): "only while unrated",
    ("GET", "/api/v1/rubrics"): "public catalogue",
    ("GET", "/api/v1/rubrics/{rubric_id}/versions/{version}"): "public catalogue",
    ("POST", "/api/v1/reliability"): "arithmetic on uploaded data",
    ("POST", "/api/v1/imports/ratings"): "creates new, complete sessions; refuses existing ones",
    ("POST", "/api/v1/auth/token"): "authentication",
    ("POST", "/api/v1/auth/logout"): "authentication",
    ("POST", "/api/v1/auth/password"): "authentication",
    ("POST", "/api/v1/auth/password-set"): "authentication",
    ("GET", "/healthz"): "liveness",
    ("GET", "/api/v1/programs/{program}/generalizability"): (
        "variance components over complete sessions only: one with a blind rater never is"
    ),
    ("GET", "/api/v1/programs/{program}/certificates"): "certificates: counts, no scores",
    ("POST", "/api/v1/programs/{program}/trainees/{trainee_id}/certificates"): (
        "issued for a READY decision, which needs more sessions than an example makes"
    ),
    ("GET", "/api/v1/programs/{program}/certificates/{certificate_id}.json"): "certificates",
    ("GET", "/api/v1/programs/{program}/certificates/{certificate_id}.pdf"): "certificates",
    ("GET", "/api/v1/programs/{program}/certificates/{certificate_id}.csv"): "certificates",
    # The same report as .json (which the machine reads), rendered: one service call each.
    ("GET", "/api/v1/programs/{program}/trainees/{trainee_id}/report.csv"): "report.json, as CSV",
    ("GET", "/api/v1/programs/{program}/trainees/{trainee_id}/report.pdf"): "report.json, as PDF",
    ("GET", "/api/v1/programs/{program}/reports/program.csv"): "program.json, as CSV",
    ("GET", "/api/v1/programs/{program}/reports/program.pdf"): "program.json, as PDF",
    ("POST", "/api/v1/programs/{program}/certificates/{certificate_id}/revoke"): "certificates",
    ("GET", "/verify/{certificate_id}"): "certificates",
    ("GET", "/keys/{program}.pem"): "a public key",
    ("POST", "/api/v1/programs/{program}/sessions/{session_id}/harm-confirmations"): (
        "admins only, and 404 first for one who still rates the session "
        "(tests/api/test_readiness_api.py)"
    ),
}


def test_the_machine_covers_every_route_that_touches_ratings() -> None:
    """A new route must be read by the machine or declared unrelated, deliberately."""
    paths = create_app().openapi()["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert served - COVERED - set(UNRELATED) == set(), "routes the blind machine does not know"
    assert COVERED | set(UNRELATED) <= served, "routes that no longer exist"


# Findings: each a leak the machine can reach, pinned down in a few deterministic steps. -------


class Flow:
    """The rating flow by hand, for the findings below."""

    def __init__(self, client: TestClient, db: Session) -> None:
        load_rubrics(db, [FLAGSHIP])
        self.client, self.world = client, build_world(db)

    def call(self, actor: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.world.tokens[actor]}",
                   **kwargs.pop("headers", {})}  # fmt: skip
        return self.client.request(
            method, f"/api/v1/programs/{self.world.slug}{path}", headers=headers, **kwargs
        )

    def session(self) -> int:
        body = {"trainee_email": self.world.emails["trainee"], "phase": "preparation",
                "session_date": "2026-10-01", "duration_seconds": 3600,
                "recording": "https://media.example.org/blind.mp4"}  # fmt: skip
        response = self.call("lead", "POST", "/sessions", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def assign(self, session_id: int, rater: str) -> httpx.Response:
        return self.call("lead", "POST", f"/sessions/{session_id}/assignments",
                         json={"rater_email": self.world.emails[rater]})  # fmt: skip

    def assigned(self, session_id: int, rater: str) -> int:
        response = self.assign(session_id, rater)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def submit(self, rater: str, assignment_id: int, key: str, score: int = 5) -> None:
        response = self.call(
            rater, "POST", f"/assignments/{assignment_id}/rating/submit",
            headers={"Idempotency-Key": key},
            json=rating_body([score] * len(PREPARATION), f"{rater} thinks {score}"),
        )  # fmt: skip
        assert response.status_code == 200, response.text


def test_a_rater_added_after_release_cannot_learn_the_others_are_in(
    client: TestClient, db_session: Session
) -> None:
    """Once a leak: a session's released_at tells a rater assigned after the release (by hand or
    by POST .../assignments/auto) that every earlier rating was in, before they submit."""
    flow = Flow(client, db_session)
    sid = flow.session()
    flow.submit("t1", flow.assigned(sid, "t1"), "finding-1-t1")
    assert flow.call("lead", "POST", f"/sessions/{sid}/release").status_code == 200
    late = flow.assign(sid, "t2")
    if late.status_code in (409, 422):
        return  # refusing new raters on released feedback keeps them blind too
    assert late.status_code == 201, late.text
    seen = flow.call("t2", "GET", f"/sessions/{sid}").json()
    assert seen["released_at"] is None, "t2 owes a rating, yet sees the feedback was released"


def test_keying_a_master_rating_does_not_tell_a_blind_admin_one_exists(
    client: TestClient, db_session: Session
) -> None:
    """Once a leak: POST .../master-rating by an admin who rates the session fails either way, but
    says "already has a master rating" once another admin keyed one: a submitted rating the
    blind admin is not to know about."""
    flow = Flow(client, db_session)
    sid = flow.session()
    flow.assigned(sid, "admin")
    key = rating_body([4] * len(PREPARATION), "the key")
    before = flow.call("admin", "POST", f"/sessions/{sid}/master-rating", json=key)
    assert flow.call("lead", "POST", f"/sessions/{sid}/master-rating", json=key).status_code == 201
    after = flow.call("admin", "POST", f"/sessions/{sid}/master-rating", json=key)
    assert (after.status_code, after.json()) == (before.status_code, before.json())


def test_an_idempotency_key_does_not_tell_a_blind_rater_a_peer_used_it(
    client: TestClient, db_session: Session
) -> None:
    """Once a leak (low: keys are meant to be random): Idempotency-Keys are unique across all
    ratings of all programs, so a rater who submits with a key a peer used gets 409 "already
    used for another rating" instead of the answer any unused key gets."""
    flow = Flow(client, db_session)
    sid = flow.session()
    first, mine = flow.assigned(sid, "t1"), flow.assigned(sid, "t2")
    flow.submit("t1", first, "predictable-key-1")
    path = f"/assignments/{mine}/rating/submit"
    reused, unused = (
        flow.call("t2", "POST", path, headers={"Idempotency-Key": key})
        for key in ("predictable-key-1", "never-used-key-1")
    )
    assert (reused.status_code, reused.json()) == (unused.status_code, unused.json())


def test_a_signed_off_readiness_decision_shows_no_late_rater_their_peers_scores(
    client: TestClient, db_session: Session
) -> None:
    """Once a leak: a readiness decision keeps the per-session means of every complete session.
    A rater assigned to such a session afterwards (it need not be released) reads them in
    GET .../trainees/{id}/readiness/decisions before submitting their own rating."""
    flow = Flow(client, db_session)
    sid = flow.session()
    flow.submit("t1", flow.assigned(sid, "t1"), "finding-7-t1", score=6)
    trainee = flow.world.ids["trainee"]
    decided = flow.call("lead", "POST", f"/trainees/{trainee}/readiness/decisions", json={})
    assert decided.status_code == 201, decided.text
    late = flow.assign(sid, "t2")
    if late.status_code in (409, 422):
        return  # refusing new raters once every rating is in keeps them blind too
    assert late.status_code == 201, late.text
    seen = flow.call("t2", "GET", f"/trainees/{trainee}/readiness/decisions")
    assert seen.status_code == 200, seen.text
    shown = [
        s
        for d in seen.json()
        for s in (d["snapshot"] or {}).get("result", {}).get("sessions", [])
        if s["session_id"] == sid
    ]
    assert shown == [], f"t2 owes a rating of session {sid}, yet reads its means: {shown}"
