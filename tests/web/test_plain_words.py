"""Readiness reasons as sentences to the trainee: every form the rules produce is told."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Program
from app.domain.rubrics.model import RubricDocument
from app.services.demo import seed_demo
from app.services.ratings import rubric_document
from app.services.readiness import readiness_of
from app.services.rubric_library import load_rubrics
from app.web.plain_words import explain

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"


@pytest.fixture(scope="module")
def rubric() -> RubricDocument:
    return RubricDocument.model_validate(yaml.safe_load(FLAGSHIP.read_text()))


# One example of each form app.domain.readiness documents, and what the trainee reads.
CASES = [
    ("4 rated sessions < 6 required",
     "4 of your sessions have been rated and released so far; the program needs at least 6."),
    ("1 rated session < 6 required",
     "1 of your sessions has been rated and released so far; the program needs at least 6."),
    ("0 rated sessions < 6 required",
     "None of your sessions has been rated and released so far; the program needs at least 6."),
    ("no rated integration session",
     "None of your integration sessions has been rated and released yet; one is needed."),
    ("2 sessions have a single rater",
     "2 sessions of yours were rated by only one rater; every session needs 2 raters."),
    ("1 session has no rater", "1 session of yours has no rating yet."),
    ("1 session has 2 raters < 3 required",
     "1 session of yours was rated by 2 raters; every session needs 3."),
    ("no scored item in D. Integration",
     "No item of “Integration” has been scored in your released sessions yet."),
    ("reliability of this evidence ICC2k = 0.52 < 0.70",
     "Your raters do not yet agree closely enough for your scores to be relied on: their "
     "agreement (ICC2k) is 0.52, and the program needs 0.70. More rated sessions usually "
     "settle this."),
    ("reliability of this evidence ICC2k cannot be estimated: needs at least 2 units",
     "How closely your raters agree (ICC2k) cannot be measured yet: needs at least 2 units. "
     "More rated sessions usually settle this."),
    ("reliability of this evidence ICC2k was not computed",
     "How closely your raters agree has not been measured the way the program requires, so "
     "no decision can be made yet."),
    ("confirmed harm flag on C1 (2 raters) in medication session 17 on 2025-03-04",
     "A possible-harm flag on C1 “{C1}” in your medication session of 4 Mar 2025 was "
     "confirmed by 2 raters. While it stands you cannot be found ready; talk it through with "
     "your supervisor."),
    ("confirmed harm flag on C1 (1 rater, admin) in medication session 17 on 2025-03-04",
     "A possible-harm flag on C1 “{C1}” in your medication session of 4 Mar 2025 was "
     "confirmed by a rater and an admin. While it stands you cannot be found ready; talk it "
     "through with your supervisor."),
    ("C1 safety gate 2.5 < 3 in the latest medication session 17 on 2025-03-04",
     "Safety item C1 “{C1}” scored 2.5 in your latest medication session (4 Mar 2025); it "
     "must reach 3 in the latest session of each phase."),
    ("F1 safety gate mean 2.83 < 3 over 6 sessions",
     "Your average on safety item F1 “{F1}” is 2.83 over 6 sessions; it must be at least 3."),
    ("0 competent medication sessions < 1 required (2 rated)",
     "None of your 2 rated medication sessions has met the session standard yet; at least 1 "
     "must."),
    ("0 competent integration sessions < 1 required (1 rated)",
     "Your 1 rated integration session has not met the session standard yet; at least 1 must."),
    ("1 competent integration session < 2 required (1 rated)",
     "Your 1 rated integration session has met the session standard; at least 2 must."),
    ("2 competent integration sessions < 3 required (2 rated)",
     "Your 2 rated integration sessions have all met the session standard; at least 3 must."),
    ("1 competent integration session < 2 required (4 rated)",
     "1 of your 4 rated integration sessions has met the session standard; at least 2 must."),
    ("C. Medication session mean 2.6 < 3.0 over 4 sessions",
     "Your average in “Medication session” is 2.6 over 4 sessions; the program expects at "
     "least 3.0."),
    ("unconfirmed harm flag on C1 (1 rater) in medication session 17 on 2025-03-04: it counts "
     "once a second rater flags it or an admin confirms it",
     "One rater flagged possible harm on C1 “{C1}” in your medication session of 4 Mar 2025. "
     "It counts only if a second rater flags it too or an admin confirms it."),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "plain"), CASES, ids=[c[0][:40] for c in CASES])
def test_each_documented_reason_reads_as_a_sentence(
    rubric: RubricDocument, rule: str, plain: str
) -> None:
    titles = {item.key: item.title for item in rubric.items}
    (reason,) = explain([rule], rubric)
    assert reason.rule == rule
    assert reason.plain == plain.format(**titles)


def test_a_reason_of_an_unknown_form_is_shown_as_it_is(rubric: RubricDocument) -> None:
    (reason,) = explain(["a rule added later"], rubric)
    assert reason.plain == reason.rule == "a rule added later"


def test_every_reason_the_demo_program_gives_is_told_in_plain_words(db_session: Session) -> None:
    """The rules' real output, staff and trainee views: a changed message form fails here."""
    load_rubrics(db_session, [FLAGSHIP])
    seed_demo(db_session, today=date(2026, 11, 2))
    program = db_session.scalars(select(Program)).one()
    told = 0
    for released_only in (False, True):
        for found in readiness_of(db_session, program, released_only=released_only):
            r = found.result
            reasons = [*r.missing, *r.unmet, *r.notes]
            for reason in explain(reasons, rubric_document(found.version)):
                assert reason.plain != reason.rule, reason.rule
                told += 1
    assert told > 20
