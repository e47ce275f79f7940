"""The trainer's pages: queue, scoring with autosave, submission, the blind comparison."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db.models import Rating
from app.domain.vocabulary import RatingStatus
from tests.api.conftest import World
from tests.web.conftest import SignIn, csrf, make_scene


def _fill(keys: list[str], score: str) -> dict[str, str | list[str]]:
    return {f"score-{k}": score for k in keys}


def test_the_queue_lists_open_work_and_marks_overdue(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    late = make_scene(db_session, co_rater=False, due=date(2026, 3, 9))
    page = sign_in("trainer").get("/p/alpha/trainer")
    assert page.status_code == 200
    row = re.search(r'<tr class="overdue">.*?</tr>', page.text, re.S)
    assert row is not None
    assert f"/p/alpha/assignments/{late.mine.id}" in row.group(0)
    assert "overdue</span>" in row.group(0)


def test_only_the_assigned_rater_opens_the_scoring_page(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=True)
    url = f"/p/alpha/assignments/{scene.mine.id}"
    page = sign_in("trainer").get(url)
    assert page.status_code == 200
    # The items of the session's phase are offered with their anchors; the others are folded.
    assert f'id="item-{scene.keys[0]}"' in page.text
    assert "not applicable to this session" in page.text
    for actor in ("second@example.org", "admin", "trainee", "other_trainee", "other_admin"):
        assert sign_in(actor).get(url).status_code == 404, actor


def test_autosave_keeps_the_draft_and_reports_it(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in("trainer")
    url = f"/p/alpha/assignments/{scene.mine.id}/draft"
    first_key = scene.keys[0]
    saved = browser.post(
        url,
        data={
            f"score-{first_key}": "4",
            f"evt-{first_key}": "1:05",
            f"evn-{first_key}": "named the intention",
            "overall_comment": "good start",
        },
        headers={"x-csrftoken": csrf(browser), "hx-request": "true"},
    )
    assert saved.status_code == 200
    assert "Saved" in saved.text
    version = re.search(r'id="version" value="(\d+)" hx-swap-oob', saved.text)
    assert version is not None
    page = browser.get(f"/p/alpha/assignments/{scene.mine.id}")
    assert re.search(rf'name="score-{first_key}" value="4" checked', page.text)
    assert 'value="1:05"' in page.text
    assert "named the intention" in page.text
    assert "good start" in page.text
    # A stale version (another tab saved in between) is refused, in words.
    stale = browser.post(
        url,
        data={f"score-{first_key}": "2", "version": "0"},
        headers={"x-csrftoken": csrf(browser), "hx-request": "true"},
    )
    assert stale.status_code == 409
    assert "reload" in stale.text
    # The current version goes through.
    again = browser.post(
        url,
        data={f"score-{first_key}": "2", "version": version.group(1)},
        headers={"x-csrftoken": csrf(browser), "hx-request": "true"},
    )
    assert again.status_code == 200


def test_a_harm_flag_without_a_note_is_not_saved(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in("trainer")
    key = scene.keys[0]
    refused = browser.post(
        f"/p/alpha/assignments/{scene.mine.id}/draft",
        data={f"score-{key}": "3", f"harm-{key}": "on"},
        headers={"x-csrftoken": csrf(browser), "hx-request": "true"},
    )
    assert refused.status_code == 422
    assert f"scores[{key}].harm_note" in refused.text


def test_bad_times_are_named(sign_in: SignIn, world: World, db_session: Session) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in("trainer")
    key = scene.keys[0]
    refused = browser.post(
        f"/p/alpha/assignments/{scene.mine.id}/draft",
        data={f"evt-{key}": "soon", f"evn-{key}": "x"},
        headers={"x-csrftoken": csrf(browser), "hx-request": "true"},
    )
    assert refused.status_code == 422
    assert f"scores[{key}].evidence[0].timestamp" in refused.text


def test_submitting_an_incomplete_rating_lists_what_is_missing(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    browser = sign_in("trainer")
    data = {**_fill(scene.keys[1:], "3"), "csrftoken": csrf(browser)}
    refused = browser.post(f"/p/alpha/assignments/{scene.mine.id}/submit", data=data)
    assert refused.status_code == 422
    assert f"{scene.keys[0]} applies to a preparation session and needs a score" in refused.text


def test_submit_then_compare_once_everyone_is_in(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=True)
    assert scene.theirs is not None
    me, peer = sign_in("trainer"), sign_in("second@example.org")
    comparison = f"/p/alpha/sessions/{scene.recorded.id}/comparison"
    # Blind: nobody sees the comparison before their own rating is in.
    assert me.get(comparison).status_code == 404
    done = me.post(
        f"/p/alpha/assignments/{scene.mine.id}/submit",
        data={**_fill(scene.keys, "2"), "idempotency_key": "k" * 16, "csrftoken": csrf(me)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == comparison
    mine = me.get(comparison)
    assert mine.status_code == 200
    assert "once every rating is in" in mine.text
    assert "Co-rater 1" not in mine.text
    assert peer.get(comparison).status_code == 404  # still blind: theirs is not in
    # The scoring page of a submitted rating leads to the comparison.
    again = me.get(f"/p/alpha/assignments/{scene.mine.id}", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == comparison
    peer_scores = {**_fill(scene.keys, "4"), f"score-{scene.keys[0]}": "2"}
    peer.post(
        f"/p/alpha/assignments/{scene.theirs.id}/submit",
        data={**peer_scores, "csrftoken": csrf(peer)},
    )
    both = me.get(comparison).text
    assert "Co-rater 1" in both
    assert "once every rating is in" not in both
    disagreements = re.findall(
        r'<tr class="disagree">\s*<th scope="row"><span class="key">(\w+)', both
    )
    assert disagreements == scene.keys[1:]  # 2 vs 4 everywhere but the first item
    rating = db_session.query(Rating).filter_by(assignment_id=scene.mine.id).one()
    assert rating.status is RatingStatus.submitted
    assert rating.idempotency_key == "k" * 16


def test_a_double_submit_changes_nothing(
    sign_in: SignIn, world: World, db_session: Session
) -> None:
    scene = make_scene(db_session, co_rater=False)
    me = sign_in("trainer")
    form = {**_fill(scene.keys, "3"), "idempotency_key": "same-key-123", "csrftoken": csrf(me)}
    url = f"/p/alpha/assignments/{scene.mine.id}/submit"
    assert me.post(url, data=form, follow_redirects=False).status_code == 303
    replay = me.post(url, data={**form, f"score-{scene.keys[0]}": "5"}, follow_redirects=False)
    assert replay.status_code == 303  # the same key: the first result, nothing changed
    rating = db_session.query(Rating).filter_by(assignment_id=scene.mine.id).one()
    assert {s.score for s in rating.scores} == {3}


@pytest.mark.parametrize("recording", ["clip.mp4", "../outside.mp4", "missing.mp4"])
def test_recordings_play_only_from_the_media_root(
    sign_in: SignIn, world: World, db_session: Session, recording: str
) -> None:
    media = get_settings().media_root
    media.mkdir(parents=True, exist_ok=True)
    (media / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    (media.parent / "outside.mp4").write_bytes(b"secret")
    if recording == "../outside.mp4":
        scene = make_scene(db_session, co_rater=False, recording="clip.mp4")
        scene.recorded.recording_url = recording  # as if stored before the path checks
        db_session.flush()
    else:
        scene = make_scene(db_session, co_rater=False, recording=recording)
    url = f"/p/alpha/sessions/{scene.recorded.id}/recording"
    trainer = sign_in("trainer")
    got = trainer.get(url)
    if recording == "clip.mp4":
        assert got.status_code == 200
        assert got.content.startswith(b"\x00\x00\x00\x18ftyp")
        assert 'src="' + url + '"' in trainer.get(f"/p/alpha/assignments/{scene.mine.id}").text
        partial = trainer.get(url, headers={"range": "bytes=0-3"})
        assert partial.status_code == 206
        assert len(partial.content) == 4
    else:
        assert got.status_code == 404
    assert sign_in("other_admin").get(url).status_code == 404


def test_my_calibration_shows_only_my_figures(sign_in: SignIn, world: World) -> None:
    page = sign_in("trainer").get("/p/alpha/calibration")
    assert page.status_code == 200
    assert "You have not rated a keyed calibration session yet." in page.text
    assert sign_in("trainee").get("/p/alpha/calibration").status_code == 404


def test_trainer_pages_are_hidden_from_other_programs(sign_in: SignIn, world: World) -> None:
    for url in ("/p/alpha/trainer", "/p/alpha/calibration", "/p/beta/trainer"):
        assert sign_in("trainee").get(url).status_code == 404, url
    assert sign_in("other_admin").get("/p/alpha/trainer").status_code == 404
