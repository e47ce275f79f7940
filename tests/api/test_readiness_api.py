"""Readiness through the API: live decisions, who sees what, and signed-off snapshots."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Rating, RecordedSession
from app.domain.scoring import ItemScoreInput, SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase, Role
from app.services.amendments import AmendmentRequest, ItemChange, amend_rating
from app.services.assignments import assign_rater
from app.services.ratings import RatingContent, enter_master_rating, rubric_document
from app.services.readiness import readiness_of
from app.services.sessions import SessionCreate, register_session
from app.services.users import get_program_by_slug
from tests.api.conftest import World
from tests.support.rated import admin_of, rate_sessions, user_id
from tests.support.ratings import submit_as_rater

BASE = "/api/v1/programs/alpha"


def test_a_well_rated_trainee_is_ready_and_a_weak_one_is_not(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    rate_sessions(db_session, "other_trainee@example.org", (2, 2))
    listed = client.get(f"{BASE}/readiness", headers=world.headers("trainer"))
    assert listed.status_code == 200, listed.text
    by_email = {r["email"]: r for r in listed.json()}
    assert by_email["trainee@example.org"]["decision"] == "READY"
    weak = by_email["other_trainee@example.org"]
    assert weak["decision"] == "NOT_YET"
    assert any(r.startswith("A. ") and "< 3.0 over 6 sessions" in r for r in weak["reasons"])

    me = user_id(client, world, "trainee")
    mine = client.get(f"{BASE}/trainees/{me}/readiness", headers=world.headers("trainee"))
    assert mine.status_code == 200
    body = mine.json()
    assert body["assessment"]["decision"] == "READY"
    assert body["rubric"] == "pat-competency"
    assert {d["key"] for d in body["assessment"]["domains"]} == set("ABCDEF")
    assert body["assessment"]["reliability"]["name"] == "ICC2k"


def test_who_may_see_a_trainees_readiness(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    other = user_id(client, world, "other_trainee")
    url = f"{BASE}/trainees/{me}/readiness"
    expected = {"admin": 200, "trainer": 200, "trainee": 200, "other_trainee": 404,
                "other_admin": 404, "anonymous": 401}  # fmt: skip
    for actor, status in expected.items():
        assert client.get(url, headers=world.headers(actor)).status_code == status, actor
        listing = client.get(f"{BASE}/readiness", headers=world.headers(actor)).status_code
        assert listing == (status if actor != "trainee" else 404), actor
    trainer_id = user_id(client, world, "trainer")
    assert client.get(f"{BASE}/trainees/{trainer_id}/readiness",
                      headers=world.headers("admin")).status_code == 404  # fmt: skip
    assert client.get(f"{BASE}/trainees/{other}/readiness",
                      headers=world.headers("trainee")).status_code == 404  # fmt: skip


def test_a_trainee_sees_only_released_evidence(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4), released=False)
    me = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{me}/readiness"
    own = client.get(url, headers=world.headers("trainee")).json()["assessment"]
    assert own["decision"] == "INSUFFICIENT_EVIDENCE"
    assert own["sessions"] == []
    staff = client.get(url, headers=world.headers("admin")).json()["assessment"]
    assert staff["decision"] == "READY"
    assert len(staff["sessions"]) == 6


def test_sessions_still_being_rated_are_not_evidence(
    db_session: Session, world: World, second_trainer: None
) -> None:
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    recorded = register_session(db_session, program, admin, SessionCreate(
        trainee_email="trainee@example.org", phase=Phase.medication,
        session_date=date(2026, 9, 1), duration_seconds=3600,
        recording="https://media.example.org/late.mp4",
    ))  # fmt: skip
    assign_rater(db_session, program, admin, recorded.id, "trainer@example.org")
    (found,) = [r for r in readiness_of(db_session, program)
                if r.trainee.email == "trainee@example.org"]  # fmt: skip
    assert recorded.id not in {s.session_id for s in found.result.sessions}
    assert len(found.result.sessions) == 6


def test_sign_off_stores_a_snapshot_that_recomputes_identically(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    ratings = rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{me}/readiness/decisions"
    body = {"committee_comment": "Ready for supervised practice.", "entrustment_level": 3}
    for actor in ("trainer", "trainee", "other_admin"):
        assert client.post(url, json=body, headers=world.headers(actor)).status_code == 404
    assert client.post(url, json={"entrustment_level": 6},
                       headers=world.headers("admin")).status_code == 422  # fmt: skip
    signed = client.post(url, json=body, headers=world.headers("admin"))
    assert signed.status_code == 201, signed.text
    decision = signed.json()
    assert (decision["decision"], decision["entrustment_level"]) == ("READY", 3)
    assert decision["signed_off_by"] == "admin"
    assert decision["snapshot"]["inputs"]["rating_ids"] == sorted(ratings)
    version_sha = db_session.scalars(select(RecordedSession)).first()
    assert version_sha is not None
    assert decision["snapshot"]["inputs"]["rubric"]["sha256"] == version_sha.rubric_version.sha256

    again = client.post(url, json=body, headers=world.headers("admin")).json()
    assert again["fingerprint"] == decision["fingerprint"], "same inputs, same snapshot"

    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    amend_rating(db_session, program, admin, frozenset({Role.admin}), ratings[0],
                 AmendmentRequest("re-scored", _version(db_session, ratings[0]),
                                  [ItemChange("A1", 6)]))  # fmt: skip
    changed = client.post(url, json=body, headers=world.headers("admin")).json()
    assert changed["fingerprint"] != decision["fingerprint"], "an amendment shows"
    assert changed["snapshot"]["inputs"]["rating_ids"] == sorted(ratings)

    as_trainee = client.get(url, headers=world.headers("trainee")).json()
    assert [d["decision"] for d in as_trainee] == ["READY"] * 3
    assert all(d["snapshot"] is None for d in as_trainee)
    assert client.get(url, headers=world.headers("other_trainee")).status_code == 404
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "readiness.sign_off")
    ).all()
    assert len(events) == 3


def _version(db: Session, rating_id: int) -> int:
    """The version an amendment must send back: the one the amending admin last read."""
    rating = db.get(Rating, rating_id)
    assert rating is not None
    return rating.version


def test_an_admin_confirmed_harm_flag_stops_a_ready_decision(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    ratings = rate_sessions(db_session, "trainee@example.org", (4, 4))
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    flag = ItemChange("B5", 4, harm_flag=True, harm_note="no check-in after distress")
    amend_rating(db_session, program, admin, frozenset({Role.admin}), ratings[0],
                 AmendmentRequest("safety lapse seen on review",
                                  _version(db_session, ratings[0]), [flag]))  # fmt: skip
    me = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{me}/readiness"
    before = client.get(url, headers=world.headers("admin")).json()["assessment"]
    assert before["decision"] == "READY"
    assert any(n.startswith("unconfirmed harm flag on B5 (1 rater)") for n in before["notes"])

    session_id = before["sessions"][0]["session_id"]
    confirm = f"{BASE}/sessions/{session_id}/harm-confirmations"
    for actor in ("trainer", "trainee", "other_admin"):
        assert client.post(confirm, json={"item_key": "B5"},
                           headers=world.headers(actor)).status_code == 404  # fmt: skip
    unflagged = client.post(confirm, json={"item_key": "A1"}, headers=world.headers("admin"))
    assert unflagged.status_code == 422
    assert unflagged.json()["message"] == "item_key: no submitted rating flags harm on A1"
    confirmed = client.post(confirm, json={"item_key": "B5", "note": "reviewed the recording"},
                            headers=world.headers("admin"))  # fmt: skip
    assert confirmed.status_code == 201, confirmed.text
    again = client.post(confirm, json={"item_key": "B5"}, headers=world.headers("admin"))
    assert again.status_code == 409
    after = client.get(url, headers=world.headers("admin")).json()["assessment"]
    assert after["decision"] == "NOT_YET"
    assert any(u.startswith("confirmed harm flag on B5 (1 rater, admin)") for u in after["unmet"])


# Master keys of two integration sessions (10 items each), spread over the whole scale.
KEYS = ([0, 1, 2, 3, 4, 5, 6, 3, 2, 5], [6, 5, 4, 3, 2, 1, 0, 3, 4, 1])


def _calibrate(db: Session, off_by_two: dict[str, int]) -> None:
    """Two calibration sessions of another trainee, rated by both trainers and keyed by the
    admin; each trainer's scores equal the key except on ``off_by_two[rater]`` of the 20
    (session, item) units, which are two points away."""
    program = get_program_by_slug(db, "alpha")
    admin = admin_of(db)
    for n, key in enumerate(KEYS):
        recorded = register_session(db, program, admin, SessionCreate(
            trainee_email="other_trainee@example.org", phase=Phase.integration,
            session_date=date(2026, 2, 1 + n), duration_seconds=3600,
            recording=f"https://media.example.org/calibration-{n}.mp4",
        ))  # fmt: skip
        items = applicable_item_keys(
            rubric_document(recorded.rubric_version), SessionContext(Phase.integration,
                                                                     frozenset(), 3600)
        )  # fmt: skip
        assert len(items) == len(key) == 10
        raters = ("trainer@example.org", "second@example.org")
        assignments = [assign_rater(db, program, admin, recorded.id, r) for r in raters]
        for assignment, rater in zip(assignments, raters, strict=True):
            # Units 0..9 of the first session, 10..19 of the second; alternate +2 and -2.
            wrong = range(10 * n, min(off_by_two[rater], 10 * n + 10))
            scores = [
                s + (2 if s <= 2 else -2) if 10 * n + i in wrong else s for i, s in enumerate(key)
            ]
            content = RatingContent(
                [ItemScoreInput(k, v) for k, v in zip(items, scores, strict=True)]
            )
            submit_as_rater(db, assignment, f"calibration-{n}-{rater}", content)
        enter_master_rating(db, program, admin, recorded.id, RatingContent(
            [ItemScoreInput(k, v) for k, v in zip(items, key, strict=True)]
        ))  # fmt: skip
    db.flush()


def test_ratings_of_uncertified_raters_are_marked_and_change_no_decision(
    client: TestClient, db_session: Session, world: World, second_trainer: None
) -> None:
    ratings = rate_sessions(db_session, "trainee@example.org", (4, 4))
    me = user_id(client, world, "trainee")
    url = f"{BASE}/trainees/{me}/readiness"
    before = client.get(url, headers=world.headers("admin")).json()["assessment"]
    assert before["n_uncertified_ratings"] == 12, "nobody is certified without calibration"

    # 16 of 20 units within one point is exactly the 80% certification needs; 15 is not.
    _calibrate(db_session, {"trainer@example.org": 4, "second@example.org": 5})
    quality = client.get(f"{BASE}/rater-quality", headers=world.headers("admin")).json()
    by_rater = {c["rater"]: c for c in quality["calibration"]}
    assert by_rater["trainer@example.org"]["within1"]["value"] == 0.8
    assert by_rater["trainer@example.org"]["icc"]["value"] >= 0.75
    assert by_rater["trainer@example.org"]["certified"] is True
    assert by_rater["second@example.org"]["within1"]["value"] == 0.75
    assert by_rater["second@example.org"]["certified"] is False
    assert by_rater["second@example.org"]["reasons"] == ["±1 agreement 75.0% is below 80%"]

    after = client.get(url, headers=world.headers("admin")).json()["assessment"]
    trainer_ratings = set(ratings[0::2])  # rate_sessions: the trainer first, then second
    for s in after["sessions"]:
        assert [r["rating_id"] for r in s["ratings"]] == s["rating_ids"]
        for r in s["ratings"]:
            assert r["rater_certified"] is (r["rating_id"] in trainer_ratings)
        assert (s["n_certified_raters"], s["n_uncertified_ratings"]) == (1, 1)
    assert after["n_uncertified_ratings"] == 6
    for part in ("decision", "missing", "unmet"):
        assert after[part] == before[part], part
    assert [s["competent"] for s in after["sessions"]] == [
        s["competent"] for s in before["sessions"]
    ]
    listed = {
        r["trainee_id"]: r
        for r in client.get(f"{BASE}/readiness", headers=world.headers("admin")).json()
    }
    assert listed[me]["n_uncertified_ratings"] == 6
    # The trainee sees the same marks on their released sessions.
    own = client.get(url, headers=world.headers("trainee")).json()["assessment"]
    assert own["n_uncertified_ratings"] == 6
