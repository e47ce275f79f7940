"""The program admin's pages: people and invitations, sessions from registration to release,
the audit log; each write through the CSRF check, each refusal in words."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Assignment, AuditEvent, Cohort, Membership, RecordedSession, User
from app.domain.vocabulary import AssignmentStatus, Role
from app.services.assignments import assign_rater
from app.services.conflicts import declare_conflict
from app.services.users import get_program_by_slug
from tests.api.conftest import PASSWORD, World
from tests.support.rated import admin_of
from tests.support.sessions import add_trainer, new_session, submit_rating
from tests.web.conftest import SignIn, csrf, make_scene

A = "/p/alpha/admin"


def _post(browser: TestClient, url: str, data: Mapping[str, str | list[str]]) -> Response:
    return browser.post(url, data={**data, "csrftoken": csrf(browser)}, follow_redirects=False)


def _htmx(browser: TestClient, url: str, data: dict[str, str]) -> Response:
    return browser.post(
        url, data=data, headers={"hx-request": "true", "x-csrftoken": csrf(browser)}
    )


def _cohort(db: Session) -> Cohort:
    found = db.scalar(select(Cohort).where(Cohort.name == "2026"))
    assert found is not None
    return found


def _count(db: Session, model: type[RecordedSession] | type[User] | type[Assignment]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# CSRF ------------------------------------------------------------------------------------


def test_every_admin_write_needs_the_csrf_token(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    admin = sign_in("admin")
    writes = [
        f"{A}/members",
        f"{A}/members/{world.trainee_membership}/deactivate",
        f"{A}/cohorts",
        f"{A}/cohorts/{_cohort(db_session).id}",
        f"{A}/sessions",
        f"{A}/sessions/import",
        f"{A}/sessions/auto-assign",
        f"{A}/sessions/release",
        f"{A}/sessions/{scene.recorded.id}/assignments",
        f"{A}/sessions/{scene.recorded.id}/release",
        f"{A}/assignments/{scene.mine.id}/withdraw",
    ]
    for url in writes:
        for token in (None, "forged"):
            data = {"email": "x@example.org", "role": "trainer", "name": "N"}
            refused = admin.post(url, data=data if token is None else {**data, "csrftoken": token})
            assert refused.status_code == 403, url
            assert "Form refused" in refused.text
    assert db_session.get(Membership, world.trainee_membership).active  # type: ignore[union-attr]
    assert scene.mine.status is AssignmentStatus.assigned


def _multipart(token: str | None, *, file_first: bool = False) -> tuple[bytes, str]:
    boundary = "b0undary"
    parts = []
    token_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{token}\r\n'
    )
    file_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n'
        "Content-Type: text/csv\r\n\r\ntrainee_email,session_date,phase,duration_minutes,"
        "recording\r\ntrainee@example.org,2026-03-02,preparation,50,s.mp4\r\n\r\n"
    )
    if token is not None:
        parts.append(token_part)
    parts.insert(0 if file_first else len(parts), file_part)
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def test_an_upload_is_checked_for_its_token_before_its_file(sign_in: SignIn, world: World) -> None:
    admin = sign_in("admin")
    url = f"{A}/sessions/import"
    for token, file_first in ((None, False), ("forged", False), (csrf(admin), True)):
        body, content_type = _multipart(token, file_first=file_first)
        refused = admin.post(url, content=body, headers={"content-type": content_type})
        assert refused.status_code == 403, (token, file_first)
        assert "Form refused" in refused.text
    body, content_type = _multipart(csrf(admin))
    checked = admin.post(url, content=body, headers={"content-type": content_type})
    assert checked.status_code == 200, checked.text[:500]
    assert "s.csv is valid: 1 session to register" in checked.text
    # The header htmx sends is as good as the field.
    body, content_type = _multipart(None)
    by_header = admin.post(
        url, content=body, headers={"content-type": content_type, "x-csrftoken": csrf(admin)}
    )
    assert by_header.status_code == 200


# People ------------------------------------------------------------------------------------


def test_an_invitation_link_is_shown_once_and_works_once(
    sign_in: SignIn, client: TestClient, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    invited = _post(
        admin,
        f"{A}/members",
        {"email": "New.Person@Example.org", "full_name": "New Person", "role": "trainee",
         "cohort": str(_cohort(db_session).id)},
    )  # fmt: skip
    assert invited.status_code == 200
    found = re.search(r'value="(http[^"]+)/invitation\?token=([\w-]+)"', invited.text)
    assert found is not None, invited.text[:2000]
    assert found.group(1) == client.app.state.settings.public_url.rstrip("/")  # type: ignore[attr-defined]
    token = found.group(2)
    assert "shown <strong>only now</strong>" in invited.text
    people = admin.get(f"{A}/people")
    assert token not in people.text
    assert "invited, no password yet" in people.text
    membership = db_session.scalar(
        select(Membership).join(User).where(User.email == "new.person@example.org")
    )
    assert membership is not None
    assert (membership.role, membership.cohort_id) == (Role.trainee, _cohort(db_session).id)

    visitor = sign_in("anonymous")
    assert token in visitor.get(f"/invitation?token={token}").text
    form = {"token": token, "password": PASSWORD, "confirm": PASSWORD}
    accepted = _post(visitor, "/invitation", form)
    assert accepted.status_code == 200
    assert "Your password is set" in accepted.text
    assert _post(visitor, "/invitation", form).status_code == 422  # once only
    newcomer = sign_in("new.person@example.org")
    assert newcomer.get("/", follow_redirects=False).headers["location"] == "/p/alpha/trainee"


def test_an_existing_account_gains_the_role_without_a_link(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    users = _count(db_session, User)
    added = _post(admin, f"{A}/members", {"email": "other_admin@example.org", "role": "trainer"})
    assert added.status_code == 200
    assert "already has an account, so no link is needed" in added.text
    assert "invitation?token=" not in added.text
    assert _count(db_session, User) == users
    twice = _post(admin, f"{A}/members", {"email": "trainer@example.org", "role": "trainer"})
    assert twice.status_code == 409
    assert "already trainer in alpha" in twice.text


def test_a_refused_invitation_writes_nothing_and_keeps_the_form(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    users = _count(db_session, User)
    # The account would be created before the cohort is refused: none may remain.
    refused = _post(
        admin,
        f"{A}/members",
        {"email": "coach@example.org", "full_name": "Coach", "role": "trainer",
         "cohort": str(_cohort(db_session).id)},
    )  # fmt: skip
    assert refused.status_code == 422
    assert "cohort: only a trainee of the same program joins a cohort" in refused.text
    assert 'value="coach@example.org"' in refused.text
    assert _count(db_session, User) == users
    for data, message in (
        ({"email": "not-an-address", "role": "trainee"}, "is not an e-mail address"),
        ({"email": "a@example.org", "role": ""}, "role: choose a role"),
        ({"email": "a@example.org", "role": "trainee", "cohort": "x"}, "&#39;x&#39; is not an id"),
    ):
        answer = _post(admin, f"{A}/members", data)
        assert answer.status_code == 422
        assert message in answer.text
    assert _count(db_session, User) == users


def test_deactivating_a_role(sign_in: SignIn, world: World, db_session: Session) -> None:
    admin = sign_in("admin")
    done = _post(admin, f"{A}/members/{world.trainee_membership}/deactivate", {})
    assert done.status_code == 303
    assert "done=deactivated" in done.headers["location"]
    membership = db_session.get(Membership, world.trainee_membership)
    assert membership is not None
    db_session.refresh(membership)
    assert not membership.active
    page = admin.get(done.headers["location"])
    assert "The role was deactivated" in page.text
    assert ">deactivated</span>" in page.text
    own = db_session.scalar(
        select(Membership.id).join(User).where(User.email == "admin@example.org")
    )
    refused = _post(admin, f"{A}/members/{own}/deactivate", {})
    assert refused.status_code == 422
    assert "cannot remove their own admin role" in refused.text


def test_a_deactivated_role_is_given_back(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    membership_id = world.trainee_membership
    _post(admin, f"{A}/members/{membership_id}/deactivate", {})
    url = f"{A}/members/{membership_id}/reactivate"
    assert f'action="{url}"' in admin.get(f"{A}/people").text
    done = _post(admin, url, {})
    assert done.status_code == 303
    assert "The role was given back" in admin.get(done.headers["location"]).text
    membership = db_session.get(Membership, membership_id)
    assert membership is not None
    db_session.refresh(membership)
    assert membership.active
    assert _post(admin, url, {}).status_code == 409  # active already
    # Adding the same role by e-mail after a deactivation restores the same row too.
    _post(admin, f"{A}/members/{membership_id}/deactivate", {})
    again = _post(admin, f"{A}/members", {"email": "trainee@example.org", "role": "trainee"})
    assert again.status_code == 200, again.text
    db_session.refresh(membership)
    assert membership.active
    rows = select(func.count()).select_from(Membership).join(User)
    assert db_session.scalar(rows.where(User.email == "trainee@example.org")) == 1
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(membership_id))
    ).all()
    assert actions.count("membership.reactivate") == 2


def test_cohorts_are_created_renamed_and_closed(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    created = _post(
        admin, f"{A}/cohorts", {"name": "2027", "start_date": "2027-01-01", "end_date": ""}
    )
    assert created.status_code == 303
    cohort = db_session.scalar(select(Cohort).where(Cohort.name == "2027"))
    assert cohort is not None
    assert cohort.end_date is None
    again = _post(admin, f"{A}/cohorts", {"name": "2027", "start_date": "2027-02-01"})
    assert again.status_code == 409
    assert "cohort &#39;2027&#39; already exists" in again.text
    assert 'value="2027-02-01"' in again.text  # the form comes back filled
    bad = _post(admin, f"{A}/cohorts", {"name": "2028", "start_date": "soon"})
    assert bad.status_code == 422
    assert "start_date: &#39;soon&#39; is not a date" in bad.text
    changed = _post(
        admin, f"{A}/cohorts/{cohort.id}",
        {"name": "2027 spring", "end_date": "2027-06-30", "active": "no"},
    )  # fmt: skip
    assert changed.status_code == 303
    db_session.refresh(cohort)
    saved = db_session.get(Cohort, cohort.id)
    assert saved is not None
    assert (saved.name, saved.end_date, saved.active) == ("2027 spring", date(2027, 6, 30), False)


# Sessions ----------------------------------------------------------------------------------


def test_registering_a_session(sign_in: SignIn, world: World, db_session: Session) -> None:
    admin = sign_in("admin")
    form: dict[str, str | list[str]] = {
        "trainee_email": "trainee@example.org", "phase": "integration",
        "session_date": "2026-03-02", "duration_minutes": "50",
        "recording": "https://media.example.org/r.mp4", "modalities": ["cbt", "act"],
        "focus_tags": "grief, sleep", "co_therapist": "yes", "notes": "Call 555-123-4567",
    }  # fmt: skip
    sessions = _count(db_session, RecordedSession)
    refused = _post(admin, f"{A}/sessions", form)
    assert refused.status_code == 422
    assert "notes: looks like it contains a phone number" in refused.text
    assert 'value="https://media.example.org/r.mp4"' in refused.text
    assert re.search(r'value="cbt" checked', refused.text)
    assert _count(db_session, RecordedSession) == sessions
    registered = _post(admin, f"{A}/sessions", {**form, "notes": "Second session."})
    assert registered.status_code == 303
    session_id = int(re.findall(r"/sessions/(\d+)\?", registered.headers["location"])[0])
    recorded = db_session.get(RecordedSession, session_id)
    assert recorded is not None
    assert (recorded.modalities, recorded.focus_tags, recorded.co_therapist) == (
        ["act", "cbt"], ["grief", "sleep"], True,
    )  # fmt: skip
    assert recorded.duration_seconds == 3000
    page = admin.get(registered.headers["location"])
    assert f"Session #{session_id} registered." in page.text
    for missing, message in (
        ("trainee_email", "trainee_email: choose the trainee"),
        ("phase", "phase: choose one"),
        ("session_date", "session_date: give the date"),
        ("duration_minutes", "duration_minutes: give a whole number from 1 to 1440"),
    ):
        answer = _post(admin, f"{A}/sessions", {**form, "notes": "", missing: ""})
        assert answer.status_code == 422
        assert message in answer.text


SESSIONS_CSV = (
    "trainee_email,session_date,phase,duration_minutes,recording,session_ref\r\n"
    "trainee@example.org,2026-03-02,preparation,50,https://media.example.org/a.mp4,A\r\n"
    "other_trainee@example.org,2026-03-03,medication,360,2026/b.mp4,B\r\n"
)


def _upload(browser: TestClient, data: bytes, name: str = "sessions.csv") -> Response:
    return browser.post(
        f"{A}/sessions/import",
        data={"csrftoken": csrf(browser), "mode": "check"},
        files={"file": (name, data, "text/csv")},
    )


def test_a_csv_import_is_previewed_then_imported_whole(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    sessions = _count(db_session, RecordedSession)
    preview = _upload(admin, SESSIONS_CSV.encode())
    assert preview.status_code == 200
    assert "sessions.csv is valid: 2 sessions to register" in preview.text
    assert hashlib.sha256(SESSIONS_CSV.encode()).hexdigest() in preview.text
    assert _count(db_session, RecordedSession) == sessions  # a check writes nothing
    content = re.search(r'name="content" value="([^"]+)"', preview.text)
    assert content is not None
    imported = _post(
        admin,
        f"{A}/sessions/import",
        {"mode": "import", "source": "sessions.csv", "content": content.group(1)},
    )
    assert imported.status_code == 303
    assert imported.headers["location"].endswith("?status=unassigned&done=imported&n=2")
    assert _count(db_session, RecordedSession) == sessions + 2
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sessions.import")
    ).one()
    # Byte for byte the file that was checked, line endings included.
    assert event.payload["sha256"] == hashlib.sha256(SESSIONS_CSV.encode()).hexdigest()
    listed = admin.get(imported.headers["location"])
    assert "2 session(s) imported." in listed.text
    assert listed.text.count('<tr id="session-') == 2
    twice = _upload(admin, SESSIONS_CSV.encode())
    assert twice.status_code == 422
    assert "is already session" in twice.text


def test_a_bad_csv_is_refused_whole_with_lines_and_columns(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    sessions = _count(db_session, RecordedSession)
    bad = (
        "trainee_email,session_date,phase,duration_minutes,recording\n"
        "trainee@example.org,2026-03-02,preparation,50,https://media.example.org/ok.mp4\n"
        "trainee@example.org,2026-03-02,prep,50,../secret.mp4\n"
    )
    refused = _upload(admin, bad.encode(), "bad.csv")
    assert refused.status_code == 422
    assert "2 problems in bad.csv" in refused.text
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>([\w_]+)</code></td><td>(.*?)</td></tr>',
        refused.text,
    )
    assert [(line, column) for line, column, _ in rows] == [("3", "phase"), ("3", "recording")]
    assert "Import " not in refused.text.split("Check another file")[0].split("problems in")[1]
    # A forged confirmation of the same file fails the same checks and writes nothing.
    confirmed = _post(
        admin, f"{A}/sessions/import",
        {"mode": "import", "source": "bad.csv", "content": base64.b64encode(bad.encode()).decode()},
    )  # fmt: skip
    assert confirmed.status_code == 422
    assert _count(db_session, RecordedSession) == sessions
    latin = _upload(admin, "trainee_email\ncaf\xe9\n".encode("latin-1"))
    assert latin.status_code == 422
    assert "sessions.csv:2: file: not UTF-8 text" in latin.text
    huge = _upload(admin, b"x" * (2 * 1024 * 1024 + 10))
    assert huge.status_code == 413


def test_auto_assign_spreads_the_work_evenly(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    add_trainer(db_session, "third")
    made = [new_session(db_session, date(2026, 3, day)) for day in range(1, 7)]
    admin = sign_in("admin")
    done = _post(
        admin,
        f"{A}/sessions/auto-assign",
        {"session": [str(s.id) for s in made], "raters_per_session": "2",
         "due_date": "2026-04-15", "back": f"{A}/sessions?status=unassigned"},
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"{A}/sessions?status=unassigned&done=assigned&n=12"
    rows = db_session.execute(
        select(Assignment.session_id, Assignment.rater_id, Assignment.due_date).where(
            Assignment.session_id.in_([s.id for s in made])
        )
    ).all()
    assert len(rows) == 12
    assert set(Counter(rater for _, rater, _ in rows).values()) == {4}  # 12 over 3 trainers
    assert all(n == 2 for n in Counter(sid for sid, _, _ in rows).values())
    assert {due for _, _, due in rows} == {date(2026, 4, 15)}
    empty = _post(admin, f"{A}/sessions/auto-assign", {"session": [], "raters_per_session": "2"})
    assert empty.status_code == 422
    assert "session: tick the sessions" in empty.text
    bad_n = _post(
        admin,
        f"{A}/sessions/auto-assign",
        {"session": [str(made[0].id)], "raters_per_session": "0"},
    )
    assert bad_n.status_code == 422
    assert "raters_per_session: give a whole number from 1 to 20" in bad_n.text


def test_assigning_by_hand_redraws_the_row_and_refuses_conflicts(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    declare_conflict(
        db_session, program, admin_of(db_session), rater_email="second@example.org",
        trainee_email="trainee@example.org", reason="clinical supervisor",
    )  # fmt: skip
    recorded = new_session(db_session)
    admin = sign_in("admin")
    url = f"{A}/sessions/{recorded.id}/assignments"
    row = _htmx(
        admin,
        url,
        {"rater_email": "trainer@example.org", "due_date": "2026-03-20",
         "back": f"{A}/sessions?status=unassigned"},
    )  # fmt: skip
    assert row.status_code == 200
    # The counts above the list follow the session to its new status.
    tabs = re.search(r'<nav id="status-tabs"[^>]*hx-swap-oob="true".*?</nav>', row.text, re.S)
    assert tabs is not None
    assert 'Awaiting ratings <span class="count-chip">1</span>' in tabs.group(0)
    assert 'Awaiting raters <span class="count-chip">0</span>' in tabs.group(0)
    assert 'href="?cohort=&amp;phase=&amp;status=unassigned" aria-current="page"' in tabs.group(0)
    assert row.text.lstrip().startswith(f'<tr id="session-{recorded.id}"')
    assert "trainer now rates session" in row.text
    assert 'hx-swap-oob="true"' in row.text
    assert "due 20 Mar 2026" in row.text
    conflict = _htmx(admin, url, {"rater_email": "second@example.org"})
    assert conflict.status_code == 422
    assert 'class="message error"' in conflict.text
    assert "has a declared conflict with this session&#39;s trainee" in conflict.text
    plain = _post(
        admin, url, {"rater_email": "trainer@example.org", "back": "https://evil.example/"}
    )
    assert plain.status_code == 409  # already assigned, said as a page
    assert "already assigned" in plain.text
    # A withdrawal redraws the row without the rater.
    assignment = db_session.scalar(select(Assignment).where(Assignment.session_id == recorded.id))
    assert assignment is not None
    gone = _htmx(admin, f"{A}/assignments/{assignment.id}/withdraw", {})
    assert gone.status_code == 200
    assert "no longer rates session" in gone.text
    assert "No rater yet" in gone.text
    again = _post(
        admin, url, {"rater_email": "trainer@example.org", "back": "https://evil.example/"}
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"{A}/sessions?done=assigned&n=1"  # never elsewhere


def test_release_only_when_complete(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=True)
    assert scene.theirs is not None
    admin = sign_in("admin")
    url = f"{A}/sessions/{scene.recorded.id}/release"
    early = _post(admin, url, {})
    assert early.status_code == 409
    assert "not every assigned rating has been submitted" in early.text
    assert "Traceback" not in early.text
    early_htmx = _htmx(admin, url, {})
    assert early_htmx.status_code == 409
    assert 'class="message error"' in early_htmx.text
    listed = admin.get(f"{A}/sessions")
    assert f'action="{url}"' not in listed.text  # no release button before it is complete
    submit_rating(db_session, scene.mine)
    submit_rating(db_session, scene.theirs)
    listed = admin.get(f"{A}/sessions?status=complete")
    assert f'action="{url}"' in listed.text
    released = _htmx(admin, url, {})
    assert released.status_code == 200
    assert "Released" in released.text
    db_session.refresh(scene.recorded)
    assert scene.recorded.released_at is not None


def test_bulk_release_is_all_or_nothing(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    complete = make_scene(db_session, co_rater=False)
    submit_rating(db_session, complete.mine)
    pending = make_scene(db_session, co_rater=False)
    admin = sign_in("admin")
    ticked = [str(complete.recorded.id), str(pending.recorded.id)]
    refused = _post(admin, f"{A}/sessions/release", {"session": ticked})
    assert refused.status_code == 409
    assert f"session {pending.recorded.id} has been submitted; nothing was released" in refused.text
    db_session.refresh(complete.recorded)
    assert complete.recorded.released_at is None
    done = _post(admin, f"{A}/sessions/release", {"session": ticked[:1]})
    assert done.status_code == 303
    assert "done=released&n=1" in done.headers["location"]


def test_the_list_filters_by_status_and_says_what_is_wrong(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    waiting = new_session(db_session, date(2026, 3, 1))
    scene = make_scene(db_session, co_rater=False, due=date(2026, 3, 5))
    admin = sign_in("admin")
    unassigned = admin.get(f"{A}/sessions?status=unassigned&cohort=&phase=")
    assert re.findall(r'<tr id="session-(\d+)"', unassigned.text) == [str(waiting.id)]
    late = admin.get(f"{A}/sessions?status=awaiting&overdue=1")
    assert re.findall(r'<tr id="session-(\d+)"', late.text) == [str(scene.recorded.id)]
    bad = admin.get(f"{A}/sessions?status=lost")
    assert bad.status_code == 422
    assert "status: &#39;lost&#39; is not one of unassigned, awaiting, complete, released" in (
        bad.text
    )
    home = admin.get(A)
    tiles = {
        label: int(n)
        for n, label in re.findall(
            r'<strong class="count">(\d+)</strong><span>([^<]+)</span>', home.text
        )
    }
    assert tiles == {
        "sessions awaiting raters": 1,
        "sessions awaiting ratings": 1,
        "sessions ready to release": 0,
        "overdue assignments": 1,
    }


# The blind rule, for an admin who rates ---------------------------------------------------


def test_an_admin_who_still_rates_a_session_sees_neither_its_ratings_nor_its_events(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    program = get_program_by_slug(db_session, "alpha")
    own = assign_rater(db_session, program, admin_of(db_session), scene.recorded.id,
                       "admin@example.org")  # fmt: skip
    submit_rating(db_session, scene.mine, harm_on=scene.keys[0])
    admin = sign_in("admin")
    detail = admin.get(f"{A}/sessions/{scene.recorded.id}")
    assert detail.status_code == 200
    assert "stays hidden until your own rating is in" in detail.text
    assert 'class="comparison"' not in detail.text
    assert "raised voice" not in detail.text  # the trainer's harm note
    assert f"/assignments/{scene.mine.id}/withdraw" not in detail.text
    assert f"/p/alpha/assignments/{own.id}" in detail.text
    row = admin.get(f"{A}/sessions").text
    assert "its other raters stay hidden until you submit" in row
    log = admin.get(f"{A}/audit").text
    assert "rating.submit" not in log
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">.*?</tr>", log, re.S)
    about = [r for r in rows if f"session_id: {scene.recorded.id}" in r
             or f"session #{scene.recorded.id}<" in r]  # fmt: skip
    assert about  # its registration and the assignments the admin made
    assert all(re.search(r"</td>\s*<td>admin</td>", r) for r in about)
    exported = admin.get(f"{A}/audit.csv")
    in_csv = [
        r for r in csv.DictReader(io.StringIO(exported.text))
        if json.loads(r["payload"]).get("session_id") == scene.recorded.id
        or (r["entity_type"] == "recorded_session" and r["entity_id"] == str(scene.recorded.id))
    ]  # fmt: skip
    assert in_csv
    assert all(r["actor_id"] == str(own.assigned_by_id) for r in in_csv)
    assert all(r["action"] != "rating.submit" for r in in_csv)
    # Once their own rating is in, everything shows.
    submit_rating(db_session, own)
    detail = admin.get(f"{A}/sessions/{scene.recorded.id}")
    assert 'class="comparison"' in detail.text
    assert "raised voice" in detail.text
    assert "rating.submit" in admin.get(f"{A}/audit").text


# Audit log -----------------------------------------------------------------------------------


def test_the_audit_log_filters_and_exports(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    submit_rating(db_session, scene.mine)
    trainer = db_session.scalar(select(User).where(User.email == "trainer@example.org"))
    assert trainer is not None
    admin = sign_in("admin")
    page = admin.get(f"{A}/audit?action=assignment.create")
    assert page.status_code == 200
    assert page.text.count("<code>assignment.create</code>") == 1
    assert "<code>rating.submit</code>" not in page.text
    assert f'href="{A}/audit.csv?action=assignment.create"' in page.text
    by_trainer = admin.get(f"{A}/audit?actor={trainer.id}")
    actions = re.findall(r"<td><code>([\w.]+)</code></td>", by_trainer.text)
    assert actions == ["rating.submit"]
    today = date.today().isoformat()
    assert "session.register" in admin.get(f"{A}/audit?since={today}&until={today}").text
    assert "No event matches" in admin.get(f"{A}/audit?until=2000-01-01").text
    wrong = admin.get(f"{A}/audit?since=2026-05-01&until=2026-04-01")
    assert wrong.status_code == 422
    assert "until: must not be before since" in wrong.text
    exported = admin.get(f"{A}/audit.csv?action=assignment.create&actor=")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="alpha-audit.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["assignment.create"]
    assert len(rows[0]["hash"]) == 64


def test_the_audit_log_pages_through_older_events(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    for day in range(108):
        new_session(db_session, date(2026, 1, 1) + timedelta(days=day))
    admin = sign_in("admin")
    first = admin.get(f"{A}/audit?action=session.register")
    assert first.text.count("<code>session.register</code>") == 100
    older = re.search(r'href="(\?[^"]*before=\d+)"', first.text)
    assert older is not None
    second = admin.get(f"{A}/audit" + older.group(1).replace("&amp;", "&"))
    assert second.text.count("<code>session.register</code>") == 8
    assert "Older events" not in second.text
    assert "Newest" in second.text


# Rubric catalogue ------------------------------------------------------------------------------


def test_the_rubric_catalogue_is_read_only_and_complete(sign_in: SignIn, world: World) -> None:
    trainee = sign_in("trainee")
    catalogue = trainee.get("/rubrics")
    assert catalogue.status_code == 200
    assert 'href="/rubrics/pat-competency/1.0.0"' in catalogue.text
    assert ">published</span>" in catalogue.text
    version = trainee.get("/rubrics/pat-competency/1.0.0")
    assert version.status_code == 200
    assert version.text.count('class="card rubric-item"') == 27
    assert version.text.count("safety gate</span>") == 4
    assert "Anchors of A1" in version.text
    assert "only when cbt was used" in version.text
    assert "ICC2k of at least 0.7" in version.text
    assert "<form" not in version.text.split("<main")[1]  # nothing to change here
    assert trainee.get("/rubrics/pat-competency/9.9.9").status_code == 404
    anonymous = sign_in("anonymous").get("/rubrics", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/rubrics"


@pytest.mark.parametrize("actor", ["trainer", "trainee", "other_admin"])
def test_nobody_else_reaches_the_admin_pages(
    sign_in: SignIn, world: World, db_session: Session, actor: str
) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in(actor)
    for path in ("", "/people", "/sessions", "/sessions/new", "/sessions/import",
                 f"/sessions/{scene.recorded.id}", "/audit", "/audit.csv"):  # fmt: skip
        answer = browser.get(A + path)
        assert answer.status_code == 404, (actor, path)
        assert "There is no such page." in answer.text


# Master ratings ----------------------------------------------------------------------------


def test_an_admin_keys_a_calibration_session_from_its_page(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    admin = sign_in("admin")
    page = f"{A}/sessions/{scene.recorded.id}"
    url = f"{page}/master"
    assert f'href="{url}"' in admin.get(page).text
    form = admin.get(url)
    assert form.status_code == 200
    assert f'action="{url}"' in form.text
    assert "hx-post" not in form.text  # entered whole, no drafts
    assert all(f'name="score-{k}"' in form.text for k in scene.keys)

    fields: dict[str, str | list[str]] = {f"score-{k}": "4" for k in scene.keys[1:]}
    fields |= {"evt-A2": ["1:05"], "evn-A2": ["steady check-in"], "overall_comment": "Key."}
    refused = _post(admin, url, fields)
    assert refused.status_code == 422
    assert f"scores[{scene.keys[0]}].score" in refused.text
    assert 'value="1:05"' in refused.text
    assert "steady check-in" in refused.text
    assert _count(db_session, Assignment) == 1  # nothing written

    saved = _post(admin, url, {**fields, f"score-{scene.keys[0]}": "5"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{page}?done=master"
    shown = admin.get(saved.headers["location"]).text
    assert "Master rating saved" in shown
    assert f'href="{url}"' not in shown  # one key per session
    master = db_session.scalar(select(Assignment).where(Assignment.is_master.is_(True)))
    assert master is not None
    assert master.session_id == scene.recorded.id
    db_session.refresh(scene.mine)
    assert scene.mine.calibration  # the rater's assignment is now a calibration one
    again = _post(admin, url, {**fields, f"score-{scene.keys[0]}": "5"})
    assert again.status_code == 409
    assert "already has a master rating" in again.text


# A new invitation link -------------------------------------------------------------------


def _link_token(page: Response) -> str:
    found = re.search(r'value="http[^"]+/invitation\?token=([\w-]+)"', page.text)
    assert found is not None, page.text[:2000]
    return found.group(1)


def test_a_lost_invitation_link_is_replaced_and_the_old_one_stops(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    admin = sign_in("admin")
    first = _link_token(
        _post(admin, f"{A}/members", {"email": "late@example.org", "full_name": "Late Person",
                                      "role": "trainer"})
    )  # fmt: skip
    membership = db_session.scalar(
        select(Membership).join(User).where(User.email == "late@example.org")
    )
    assert membership is not None
    url = f"{A}/members/{membership.id}/invitation"
    assert f'action="{url}"' in admin.get(f"{A}/people").text
    renewed = _post(admin, url, {})
    assert renewed.status_code == 200
    second = _link_token(renewed)
    assert second != first
    assert "shown <strong>only now</strong>" in renewed.text
    events = db_session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id.is_not(None)))
    assert "user.reinvite" in list(events)

    visitor = sign_in("anonymous")
    form = {"password": PASSWORD, "confirm": PASSWORD}
    assert _post(visitor, "/invitation", {**form, "token": first}).status_code == 422
    assert _post(visitor, "/invitation", {**form, "token": second}).status_code == 200
    # Once the password is chosen, no admin can mint a link to the account any more.
    assert f'action="{url}"' not in admin.get(f"{A}/people").text
    refused = _post(admin, url, {})
    assert refused.status_code == 409
    assert "has chosen a password already" in refused.text


def test_no_new_link_for_another_programs_member(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    outsider = db_session.scalar(
        select(Membership).join(User).where(User.email == "other_admin@example.org")
    )
    assert outsider is not None
    answer = _post(sign_in("admin"), f"{A}/members/{outsider.id}/invitation", {})
    assert answer.status_code == 404
