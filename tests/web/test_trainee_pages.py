"""The trainee's dashboard, session list and session feedback: the released feedback of
their own sessions and nothing else (no unreleased or incomplete session, no other trainee's
session, no master rating)."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Assignment, Rating, RecordedSession, User
from app.domain.reliability.results import Estimate
from app.domain.scoring import EvidenceInput, ItemScoreInput, SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase, Role
from app.services.amendments import AmendmentRequest, ItemChange, amend_rating
from app.services.assignments import assign_rater
from app.services.feedback import release
from app.services.ratings import RatingContent, enter_master_rating, rubric_document
from app.services.readiness import sign_off
from app.services.sessions import SessionCreate, register_session
from app.services.trainee_view import own_readiness
from app.services.users import create_user, get_program_by_slug, grant_role
from tests.api.conftest import PASSWORD, World
from tests.support.rated import admin_of, rate_sessions, user_id
from tests.support.ratings import submit_as_rater
from tests.web.conftest import SignIn

A1_AT_4 = "Warm and reliable; goals and tasks are agreed together"
A1_AT_6 = "Collaborative and safe even under strain"


def _text(client: TestClient, url: str) -> str:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 200, (url, response.status_code)
    return html.unescape(response.text)


@pytest.fixture
def keyer(db_session: Session, world: World) -> User:
    """A second admin of alpha, who enters calibration keys of sessions they do not rate."""
    user = create_user(db_session, email="keyer@example.org", full_name="Keyer",
                       password=PASSWORD)  # fmt: skip
    grant_role(db_session, user, get_program_by_slug(db_session, "alpha"), Role.admin)
    return user


def _rate(
    db: Session,
    tag: str,
    *,
    trainee: str = "trainee@example.org",
    day: date = date(2026, 4, 1),
    submit_second: bool = True,
    released: bool = True,
    master_by: User | None = None,
) -> int:
    """A preparation session rated in full: scores (A1 at 4 and 5, the rest 3), evidence,
    a harm flag from the second rater, and overall comments carrying ``tag``."""
    program = get_program_by_slug(db, "alpha")
    admin = admin_of(db)
    recorded = register_session(db, program, admin, SessionCreate(
        trainee_email=trainee, phase=Phase.preparation, session_date=day,
        duration_seconds=3000, recording=f"https://media.example.org/{tag}.mp4",
    ))  # fmt: skip
    keys = applicable_item_keys(
        rubric_document(recorded.rubric_version),
        SessionContext(Phase.preparation, frozenset(), 3000),
    )
    raters = ("trainer@example.org", "second@example.org")
    assignments = [assign_rater(db, program, admin, recorded.id, r) for r in raters]
    for n, assignment in enumerate(assignments[: 2 if submit_second else 1]):
        flag = n == 1
        scores = [
            ItemScoreInput(
                k, 4 + n if k == "A1" else 3,
                harm_flag=flag and k == "A2",
                harm_note=f"Talked over the participant {tag}" if flag and k == "A2" else "",
                evidence=(EvidenceInput(65, f"Goals agreed together {tag}"),)
                if k == "A1" and n == 0 else (),
            )
            for k in keys
        ]  # fmt: skip
        submit_as_rater(
            db, assignment, f"{tag}-{n}", RatingContent(scores, f"Comment {n + 1} {tag}")
        )
    if master_by is not None:
        key = RatingContent([ItemScoreInput(k, 6) for k in keys], f"Master key {tag}")
        enter_master_rating(db, program, master_by, recorded.id, key)
    if released:
        release(db, program, admin, recorded.id)
    db.flush()
    return recorded.id


def test_a_trainee_reads_the_released_feedback_of_their_session(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    sid = _rate(db_session, "tag-released")
    trainee = sign_in("trainee")

    listing = _text(trainee, "/p/alpha/trainee/sessions")
    assert f'href="/p/alpha/trainee/sessions/{sid}"' in listing
    assert "Comment 1 tag-released" in listing
    assert "Comment 2 tag-released" in listing
    assert "feedback not released yet" not in listing

    page = _text(trainee, f"/p/alpha/trainee/sessions/{sid}")
    # Scores with the anchor of the score given and the next level's anchor.
    assert A1_AT_4 in page
    assert A1_AT_6 in page
    assert "trainer's 4; Second's 5 goes beyond it" in page  # both reach A1's anchor at 4
    assert "Adequate and safe, with minor lapses" in page  # the scale's label of 3
    # Evidence with its time in the recording, the harm flag, both overall comments.
    assert "1:05" in page
    assert "Goals agreed together tag-released" in page
    assert "possible harm flagged" in page
    assert "Talked over the participant tag-released" in page
    assert "Comment 1 tag-released" in page
    assert "Comment 2 tag-released" in page
    # Raters by name, as the ratings API shows them to the trainee.
    assert "trainer" in page
    assert "Second" in page

    dashboard = _text(trainee, "/p/alpha/trainee")
    assert "Comment 2 tag-released" in dashboard  # the latest released feedback
    assert f"/p/alpha/trainee/sessions/{sid}" in dashboard


def test_unreleased_and_incomplete_sessions_show_no_ratings_and_no_page(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    unreleased = _rate(db_session, "tag-unreleased", released=False)
    incomplete = _rate(db_session, "tag-incomplete", submit_second=False, released=False,
                       day=date(2026, 4, 8))  # fmt: skip
    trainee = sign_in("trainee")
    listing = _text(trainee, "/p/alpha/trainee/sessions")
    assert listing.count("feedback not released yet") == 2
    for sid in (unreleased, incomplete):
        assert f"/p/alpha/trainee/sessions/{sid}" not in listing
        assert trainee.get(f"/p/alpha/trainee/sessions/{sid}").status_code == 404
    dashboard = _text(trainee, "/p/alpha/trainee")
    for page in (listing, dashboard):
        assert "tag-unreleased" not in page
        assert "tag-incomplete" not in page
    assert "No feedback has been released to you yet" in dashboard


def test_another_trainees_session_is_not_found(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    theirs = _rate(db_session, "tag-theirs", trainee="other_trainee@example.org")
    mine = _rate(db_session, "tag-mine", day=date(2026, 4, 2))
    trainee, other = sign_in("trainee"), sign_in("other_trainee")
    assert trainee.get(f"/p/alpha/trainee/sessions/{theirs}").status_code == 404
    assert other.get(f"/p/alpha/trainee/sessions/{mine}").status_code == 404
    assert "tag-theirs" in _text(other, f"/p/alpha/trainee/sessions/{theirs}")
    for url in ("/p/alpha/trainee", "/p/alpha/trainee/sessions"):
        assert "tag-theirs" not in _text(trainee, url)
        assert "tag-mine" not in _text(other, url)
    # Staff and other programs' admins have no trainee pages; anonymous visitors sign in.
    for actor in ("trainer", "admin", "other_admin"):
        assert sign_in(actor).get(f"/p/alpha/trainee/sessions/{mine}").status_code == 404
    redirect = sign_in("anonymous").get(f"/p/alpha/trainee/sessions/{mine}", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"].startswith("/login?next=")


def test_a_master_rating_never_appears(
    sign_in: SignIn, world: World, second_trainer: None, keyer: User, db_session: Session
) -> None:
    sid = _rate(db_session, "tag-calibration", master_by=keyer)
    trainee = sign_in("trainee")
    for url in (
        "/p/alpha/trainee",
        "/p/alpha/trainee/sessions",
        f"/p/alpha/trainee/sessions/{sid}",
    ):
        page = _text(trainee, url)
        assert "Comment 1 tag-calibration" in page
        assert "Master key" not in page
        assert "Keyer" not in page
    # The master scored every item 6; no score group of 6 may appear.
    page = _text(trainee, f"/p/alpha/trainee/sessions/{sid}")
    assert '<span class="score-chip">6</span>' not in page


def test_amendments_are_shown_with_their_reason(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    sid = _rate(db_session, "tag-amended")
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    page = _text(sign_in("trainee"), f"/p/alpha/trainee/sessions/{sid}")
    assert "Changes after submission" not in page
    rating = db_session.scalar(  # the first rater's, amended by the admin
        select(Rating)
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .join(User, User.id == Assignment.rater_id)
        .where(Assignment.session_id == sid, User.email == "trainer@example.org")
    )
    assert rating is not None
    amend_rating(db_session, program, admin, frozenset({Role.admin}), rating.id, AmendmentRequest(
        reason="Rescored after the review meeting", version=rating.version,
        items=[ItemChange("A1", 5)],
    ))  # fmt: skip
    db_session.flush()
    page = _text(sign_in("trainee"), f"/p/alpha/trainee/sessions/{sid}")
    assert "Changes after submission" in page
    assert "Rescored after the review meeting" in page
    assert "A1 score 4 → 5" in page


def test_the_dashboard_shows_the_decision_and_every_reason(
    sign_in: SignIn,
    client: TestClient,
    world: World,
    second_trainer: None,
    db_session: Session,
) -> None:
    trainee = sign_in("trainee")
    rate_sessions(db_session, "trainee@example.org", (4, 4), released=False)
    waiting = _text(trainee, "/p/alpha/trainee")
    assert "Insufficient evidence</span>" in waiting  # nothing released yet
    assert "None of your sessions has been rated and released so far" in waiting
    assert "Rule: 0 rated sessions < 6 required" in waiting
    assert "6 more are still being rated or waiting for release" in waiting

    rate_sessions(db_session, "other_trainee@example.org", (2, 2))
    other = _text(sign_in("other_trainee"), "/p/alpha/trainee")
    assert "Not yet</span>" in other
    assert "Not met yet" in other
    # Every unmet rule of the API's answer is on the page, in plain words and as the rule.
    api = client.get(
        f"/api/v1/programs/alpha/trainees/{user_id(client, world, 'other_trainee')}/readiness",
        headers=world.headers("other_trainee"),
    ).json()["assessment"]
    assert api["decision"] == "NOT_YET"
    assert api["unmet"]
    for rule in api["unmet"]:
        assert f"Rule: {rule}" in other
    assert "Your average in “Common factors and stance” is" in other
    assert "Growth areas" in other
    assert "Next level (4)" in other

    program = get_program_by_slug(db_session, "alpha")
    mine = select(RecordedSession.id).join(User, User.id == RecordedSession.trainee_id)
    for recorded in db_session.scalars(mine.where(User.email == "trainee@example.org")):
        release(db_session, program, admin_of(db_session), recorded)
    sign_off(db_session, program, admin_of(db_session), user_id(client, world, "trainee"),
             committee_comment="Steady and safe work.", entrustment_level=4)  # fmt: skip
    db_session.flush()
    ready = _text(trainee, "/p/alpha/trainee")
    assert "Ready</span>" in ready
    assert "meet every rule of the program's readiness standard" in ready
    assert "Steady and safe work." in ready
    assert "entrustment level 4" in ready
    assert "other_trainee" not in ready


def test_the_dashboard_draws_its_charts_inline_beside_their_numbers(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    trainee = sign_in("trainee")
    first, again = (_text(trainee, "/p/alpha/trainee") for _ in range(2))
    charts = re.findall(r"<svg.*?</svg>", first, re.DOTALL)
    ids = [re.findall(r'<svg[^>]* id="([^"]+)"', c) for c in charts]
    assert ids == [["domain-scores"], ["domain-trends"]]
    assert charts == re.findall(r"<svg.*?</svg>", again, re.DOTALL), "drawn the same each time"
    trainee_user = db_session.scalar(select(User).where(User.email == "trainee@example.org"))
    assert trainee_user is not None
    found = own_readiness(db_session, get_program_by_slug(db_session, "alpha"), trainee_user)
    assert found is not None
    scores, trends = charts
    for d in found.result.domains:
        # The chart's description and the table beside it carry the same figures.
        assert isinstance(d.score, Estimate)
        assert f"{d.key}. {d.title}: {d.score.value:.2f}" in scores
        assert f'<th scope="row">{d.key}. {d.title}</th>' in first
        assert f"{d.key}. {d.title}: " in trends
    for s in found.result.sessions:
        assert s.session_date.isoformat() in trends
    assert 'role="img"' in scores
    assert '<table class="domains">' in first
    assert '<table class="trends">' in first


def test_a_trainee_downloads_their_own_report(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    rate_sessions(db_session, "other_trainee@example.org", (2, 2), released=False)
    dashboard = _text(sign_in("trainee"), "/p/alpha/trainee")
    assert 'href="/p/alpha/trainee/report.pdf"' in dashboard
    for actor, decision in (("trainee", "READY"), ("other_trainee", "INSUFFICIENT_EVIDENCE")):
        response = sign_in(actor).get("/p/alpha/trainee/report.pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "attachment" in response.headers["content-disposition"]
        pages = PdfReader(io.BytesIO(response.content)).pages
        words = " ".join(p.extract_text() for p in pages).split()
        assert decision in words
        assert ("other_trainee" in words) == (actor == "other_trainee")
