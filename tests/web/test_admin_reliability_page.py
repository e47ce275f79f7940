"""The reliability dashboard: filters, the heat map with its words, rater quality, D-study."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from tests.api.conftest import World
from tests.support.rated import rate_sessions
from tests.web.conftest import SignIn


def test_the_dashboard_shows_irr_quality_and_the_d_study(
    sign_in: SignIn, world: World, second_trainer: None, db_session: Session
) -> None:
    rate_sessions(db_session, "trainee@example.org", (3, 4))
    rate_sessions(db_session, "other_trainee@example.org", (2, 4))
    admin = sign_in("admin")
    page = admin.get("/p/alpha/admin/reliability")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Heat map of agreement coefficients per rubric item" in page.text  # text alternative
    assert '<th scope="row">trainer</th>' in page.text  # both raters' quality rows
    assert '<th scope="row">Second</th>' in page.text
    assert "Variance components" in page.text  # 2 trainees x 6 sessions x 2 raters, crossed
    medication = admin.get(
        "/p/alpha/admin/reliability?phase=medication&cohort=&date_from=&date_to="
    )
    assert medication.status_code == 200
    assert '<option value="medication" selected>' in medication.text
    # Two of the six sessions per trainee are medication sessions: fewer rated units.
    everything = int(re.search(r"(\d+) rated units", page.text).group(1))  # type: ignore[union-attr]
    narrowed = int(re.search(r"(\d+) rated units", medication.text).group(1))  # type: ignore[union-attr]
    assert 0 < narrowed < everything


def test_bad_filters_are_named(sign_in: SignIn, world: World) -> None:
    admin = sign_in("admin")
    bad_phase = admin.get("/p/alpha/admin/reliability?phase=lunch")
    assert bad_phase.status_code == 422
    assert "phase: &#39;lunch&#39; is not a phase" in bad_phase.text
    bad_date = admin.get("/p/alpha/admin/reliability?date_from=2026-13-01")
    assert bad_date.status_code == 422
    assert "date_from" in bad_date.text


def test_only_the_programs_admins_see_it(sign_in: SignIn, world: World) -> None:
    for actor in ("trainer", "trainee", "other_admin"):
        assert sign_in(actor).get("/p/alpha/admin/reliability").status_code == 404, actor
