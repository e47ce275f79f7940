"""Rating validation against the flagship rubric: every rule, each way round, drafts and finals."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import parse_rubric
from app.domain.scoring import (
    EvidenceInput,
    ItemScoreInput,
    ScoringProblem,
    SessionContext,
    applicable_item_keys,
    validate_scores,
)
from app.domain.vocabulary import Modality, Phase

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"

PREPARATION = SessionContext(Phase.preparation, frozenset(), 3600)
MEDICATION = SessionContext(Phase.medication, frozenset(), 6 * 3600)
INTEGRATION_CBT = SessionContext(Phase.integration, frozenset({Modality.cbt}), 3000)

COMMON_EVERY_PHASE = ["A1", "A2", "A3", "A4"]
SAFETY_EVERY_PHASE = ["F1", "F2", "F3"]


@cache
def _rubric() -> RubricDocument:
    parsed = parse_rubric(FLAGSHIP.read_text(encoding="utf-8"))
    assert isinstance(parsed, RubricDocument), parsed
    return parsed


@pytest.fixture
def rubric() -> RubricDocument:
    return _rubric()


def _scored(keys: Iterable[str], score: int = 4) -> list[ItemScoreInput]:
    return [ItemScoreInput(key, score) for key in keys]


def _paths(problems: list[ScoringProblem]) -> list[str]:
    return [problem.path for problem in problems]


def _full(rubric: RubricDocument, session: SessionContext) -> list[ItemScoreInput]:
    return _scored(applicable_item_keys(rubric, session))


# --- applicable items --------------------------------------------------------------------


def test_preparation_items_in_rubric_order(rubric: RubricDocument) -> None:
    assert applicable_item_keys(rubric, PREPARATION) == [
        *COMMON_EVERY_PHASE,
        *["B1", "B2", "B3", "B4", "B5"],
        "E1",
        "E2",
        *SAFETY_EVERY_PHASE,
    ]


def test_medication_items_include_co_therapist_item(rubric: RubricDocument) -> None:
    assert applicable_item_keys(rubric, MEDICATION) == [
        *COMMON_EVERY_PHASE,
        *["C1", "C2", "C3", "C4", "C5"],
        "E2",
        *SAFETY_EVERY_PHASE,
    ]


def test_modality_items_apply_only_when_their_modality_was_used(rubric: RubricDocument) -> None:
    none_used = SessionContext(Phase.integration, frozenset(), 3000)
    two_used = SessionContext(Phase.integration, frozenset({Modality.cbt, Modality.somatic}), 3000)
    assert [k for k in applicable_item_keys(rubric, none_used) if k.startswith("D")] == ["D8"]
    assert [k for k in applicable_item_keys(rubric, INTEGRATION_CBT) if k.startswith("D")] == [
        "D2",
        "D8",
    ]
    assert [k for k in applicable_item_keys(rubric, two_used) if k.startswith("D")] == [
        "D2",
        "D7",
        "D8",
    ]


def test_modalities_do_not_pull_items_into_other_phases(rubric: RubricDocument) -> None:
    session = SessionContext(Phase.preparation, frozenset({Modality.cbt}), 3600)
    assert applicable_item_keys(rubric, session) == applicable_item_keys(rubric, PREPARATION)


# --- complete ratings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "session",
    [PREPARATION, MEDICATION, INTEGRATION_CBT],
    ids=["preparation", "medication", "integration-cbt"],
)
def test_a_complete_rating_is_valid(rubric: RubricDocument, session: SessionContext) -> None:
    scores = _full(rubric, session)
    assert validate_scores(rubric, session, scores, final=True) == []
    assert validate_scores(rubric, session, scores, final=False) == []


def test_empty_draft_is_valid(rubric: RubricDocument) -> None:
    assert validate_scores(rubric, PREPARATION, [], final=False) == []


def test_partial_draft_is_valid_but_cannot_be_submitted(rubric: RubricDocument) -> None:
    scores = _scored(["A1", "A2"])
    assert validate_scores(rubric, PREPARATION, scores, final=False) == []
    problems = validate_scores(rubric, PREPARATION, scores, final=True)
    missing = [p.item_key for p in problems]
    assert missing == [
        k for k in applicable_item_keys(rubric, PREPARATION) if k not in {"A1", "A2"}
    ]
    assert {p.field for p in problems} == {"score"}
    b5 = next(p for p in problems if p.item_key == "B5")
    assert b5.path == "scores[B5].score"
    assert "B5 applies to a preparation session and needs a score" in b5.message


def test_final_requires_the_used_modality_item_only(rubric: RubricDocument) -> None:
    scores = [s for s in _full(rubric, INTEGRATION_CBT) if s.item_key != "D2"]
    problems = validate_scores(rubric, INTEGRATION_CBT, scores, final=True)
    assert [p.item_key for p in problems] == ["D2"]
    assert "an integration session" in problems[0].message


def test_an_undecided_entry_counts_as_missing_on_submission(rubric: RubricDocument) -> None:
    scores = [*_scored(k for k in applicable_item_keys(rubric, PREPARATION) if k != "E1")]
    scores.append(ItemScoreInput("E1", None))
    assert validate_scores(rubric, PREPARATION, scores, final=False) == []
    assert _paths(validate_scores(rubric, PREPARATION, scores, final=True)) == ["scores[E1].score"]


def test_items_outside_the_session_may_be_left_out_or_marked_not_applicable(
    rubric: RubricDocument,
) -> None:
    scores = [*_full(rubric, MEDICATION), ItemScoreInput("B5", None, not_applicable=True)]
    assert validate_scores(rubric, MEDICATION, scores, final=True) == []
    scores = [*_full(rubric, INTEGRATION_CBT), ItemScoreInput("D3", None, not_applicable=True)]
    assert validate_scores(rubric, INTEGRATION_CBT, scores, final=True) == []


# --- unknown and repeated items ----------------------------------------------------------


def test_unknown_item_is_named_with_the_rubric_version(rubric: RubricDocument) -> None:
    problems = validate_scores(rubric, PREPARATION, [ItemScoreInput("Z9", 3)], final=False)
    assert len(problems) == 1
    assert problems[0].item_key == "Z9"
    assert problems[0].path == "scores[Z9].item_key"
    assert problems[0].message == "item 'Z9' is not in pat-competency 1.0.0"


def test_unknown_item_is_not_checked_further(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("Z9", 99, not_applicable=True, harm_flag=True)
    assert len(validate_scores(rubric, PREPARATION, [entry], final=False)) == 1


def test_item_rated_twice_is_a_problem(rubric: RubricDocument) -> None:
    scores = [ItemScoreInput("A1", 3), ItemScoreInput("A2", 3), ItemScoreInput("A1", 5)]
    problems = validate_scores(rubric, PREPARATION, scores, final=False)
    assert len(problems) == 1
    assert problems[0].path == "scores[A1].item_key"
    assert "A1 is rated more than once" in problems[0].message


def test_each_repeat_is_reported(rubric: RubricDocument) -> None:
    scores = [ItemScoreInput("A1", 3)] * 3
    assert len(validate_scores(rubric, PREPARATION, scores, final=False)) == 2


# --- scores ------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [0, 1, 3, 6])
def test_scores_on_the_scale_are_valid(rubric: RubricDocument, score: int) -> None:
    scores = [ItemScoreInput("A1", score)]
    assert validate_scores(rubric, PREPARATION, scores, final=False) == []


@pytest.mark.parametrize("score", [-1, 7, 9, 10**12])
def test_scores_off_the_scale_are_problems(rubric: RubricDocument, score: int) -> None:
    problems = validate_scores(rubric, PREPARATION, [ItemScoreInput("B5", score)], final=False)
    assert len(problems) == 1
    assert problems[0].path == "scores[B5].score"
    assert f"score {score} is outside the scale 0..6" in problems[0].message
    assert "B5" in problems[0].message


@pytest.mark.parametrize("score", [True, False, 3.0, "3"])
def test_scores_must_be_whole_numbers_not_bools(rubric: RubricDocument, score: object) -> None:
    entry = ItemScoreInput("A1", score)  # type: ignore[arg-type]
    problems = validate_scores(rubric, PREPARATION, [entry], final=False)
    assert len(problems) == 1
    assert problems[0].path == "scores[A1].score"
    assert "must be a whole number 0..6" in problems[0].message


def test_an_invalid_score_is_not_also_reported_missing(rubric: RubricDocument) -> None:
    scores = [
        s if s.item_key != "A1" else ItemScoreInput("A1", 9) for s in _full(rubric, MEDICATION)
    ]
    problems = validate_scores(rubric, MEDICATION, scores, final=True)
    assert len(problems) == 1
    assert "outside the scale" in problems[0].message


def test_item_of_another_phase_cannot_be_scored(rubric: RubricDocument) -> None:
    problems = validate_scores(rubric, MEDICATION, [ItemScoreInput("B5", 4)], final=False)
    assert len(problems) == 1
    assert problems[0].path == "scores[B5].score"
    assert problems[0].message == "B5 does not apply to a medication session; it cannot be scored"


def test_item_of_an_unused_modality_cannot_be_scored(rubric: RubricDocument) -> None:
    problems = validate_scores(rubric, INTEGRATION_CBT, [ItemScoreInput("D3", 4)], final=False)
    assert len(problems) == 1
    assert problems[0].path == "scores[D3].score"
    assert "D3 does not apply to this session" in problems[0].message
    assert "act" in problems[0].message
    assert "cannot be scored" in problems[0].message


def test_item_of_a_used_modality_can_be_scored(rubric: RubricDocument) -> None:
    assert validate_scores(rubric, INTEGRATION_CBT, [ItemScoreInput("D2", 4)], final=False) == []


# --- not applicable ----------------------------------------------------------------------


def test_co_therapist_item_may_be_not_applicable(rubric: RubricDocument) -> None:
    scores = [
        s if s.item_key != "C5" else ItemScoreInput("C5", None, not_applicable=True)
        for s in _full(rubric, MEDICATION)
    ]
    assert validate_scores(rubric, MEDICATION, scores, final=True) == []


def test_co_therapist_item_may_still_be_scored(rubric: RubricDocument) -> None:
    assert validate_scores(rubric, MEDICATION, [ItemScoreInput("C5", 2)], final=False) == []


def test_missing_co_therapist_item_mentions_not_applicable(rubric: RubricDocument) -> None:
    scores = [s for s in _full(rubric, MEDICATION) if s.item_key != "C5"]
    problems = validate_scores(rubric, MEDICATION, scores, final=True)
    assert _paths(problems) == ["scores[C5].score"]
    assert "needs a score or 'not applicable'" in problems[0].message


def test_item_that_must_be_scored_cannot_be_not_applicable(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("C1", None, not_applicable=True)
    for final in (False, True):
        problems = validate_scores(rubric, MEDICATION, [entry], final=final)
        assert problems[0].path == "scores[C1].not_applicable"
        assert "C1 applies to a medication session and cannot be marked not applicable" in (
            problems[0].message
        )
    # A rejected "not applicable" is reported once, not again as missing.
    scores = [s if s.item_key != "C1" else entry for s in _full(rubric, MEDICATION)]
    assert _paths(validate_scores(rubric, MEDICATION, scores, final=True)) == [
        "scores[C1].not_applicable"
    ]


def test_not_applicable_and_a_score_together_is_a_problem(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("C5", 4, not_applicable=True)
    problems = validate_scores(rubric, MEDICATION, [entry], final=False)
    assert _paths(problems) == ["scores[C5].not_applicable"]
    assert "C5 is marked not applicable and also scored 4" in problems[0].message


def test_score_and_not_applicable_on_an_inapplicable_item_reports_both(
    rubric: RubricDocument,
) -> None:
    entry = ItemScoreInput("B5", 4, not_applicable=True)
    problems = validate_scores(rubric, MEDICATION, [entry], final=False)
    assert _paths(problems) == ["scores[B5].not_applicable", "scores[B5].score"]


# --- harm flags --------------------------------------------------------------------------


def test_harm_flag_with_a_note_is_valid(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("F1", 1, harm_flag=True, harm_note="Left the participant alone.")
    assert validate_scores(rubric, MEDICATION, [entry], final=False) == []


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_harm_flag_needs_a_note(rubric: RubricDocument, note: str) -> None:
    entry = ItemScoreInput("F1", 1, harm_flag=True, harm_note=note)
    problems = validate_scores(rubric, MEDICATION, [entry], final=False)
    assert _paths(problems) == ["scores[F1].harm_note"]
    assert "F1 is flagged for harm" in problems[0].message


def test_harm_note_without_a_flag_is_allowed(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("F1", 5, harm_note="Near miss, handled well.")
    assert validate_scores(rubric, MEDICATION, [entry], final=False) == []


# --- evidence ----------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, 1, 1800, 3600])
def test_evidence_inside_the_recording_is_valid(rubric: RubricDocument, seconds: int) -> None:
    entry = ItemScoreInput("A1", 4, evidence=(EvidenceInput(seconds, "Reflects feelings."),))
    assert validate_scores(rubric, PREPARATION, [entry], final=False) == []


@pytest.mark.parametrize("seconds", [-1, 3601, 10**9])
def test_evidence_outside_the_recording_is_a_problem(rubric: RubricDocument, seconds: int) -> None:
    entry = ItemScoreInput(
        "A1",
        4,
        evidence=(EvidenceInput(10, "Fine."), EvidenceInput(seconds, "Out of range.")),
    )
    problems = validate_scores(rubric, PREPARATION, [entry], final=False)
    assert _paths(problems) == ["scores[A1].evidence[1].timestamp_seconds"]
    assert "outside the recording (0:00..1:00:00)" in problems[0].message
    assert "A1" in problems[0].message


def test_evidence_timestamp_must_be_a_whole_number(rubric: RubricDocument) -> None:
    evidence = EvidenceInput(True, "Bool, not a time.")
    entry = ItemScoreInput("A1", 4, evidence=(evidence,))
    problems = validate_scores(rubric, PREPARATION, [entry], final=False)
    assert _paths(problems) == ["scores[A1].evidence[0].timestamp_seconds"]


@pytest.mark.parametrize("note", ["", "  "])
def test_evidence_needs_a_note(rubric: RubricDocument, note: str) -> None:
    entry = ItemScoreInput("A1", 4, evidence=(EvidenceInput(5, note),))
    problems = validate_scores(rubric, PREPARATION, [entry], final=False)
    assert _paths(problems) == ["scores[A1].evidence[0].note"]
    assert "A1: evidence needs a note" in problems[0].message


def test_evidence_is_checked_on_not_applicable_entries_too(rubric: RubricDocument) -> None:
    entry = ItemScoreInput("C5", None, not_applicable=True, evidence=(EvidenceInput(-5, ""),))
    problems = validate_scores(rubric, MEDICATION, [entry], final=False)
    assert _paths(problems) == [
        "scores[C5].evidence[0].timestamp_seconds",
        "scores[C5].evidence[0].note",
    ]


# --- problems and paths ------------------------------------------------------------------


def test_problem_paths() -> None:
    assert ScoringProblem("B5", "score", "x").path == "scores[B5].score"
    assert ScoringProblem("B5", "evidence[2].note", "x").path == "scores[B5].evidence[2].note"
    assert ScoringProblem(None, "", "x").path == "scores"


def test_every_problem_is_reported_not_just_the_first(rubric: RubricDocument) -> None:
    scores = [
        ItemScoreInput("Z9", 1),
        ItemScoreInput("A1", 9),
        ItemScoreInput("A2", 3, harm_flag=True),
        ItemScoreInput("A2", 3),
        ItemScoreInput("A3", 3, evidence=(EvidenceInput(99999, ""),)),
    ]
    problems = validate_scores(rubric, PREPARATION, scores, final=False)
    assert _paths(problems) == [
        "scores[Z9].item_key",
        "scores[A1].score",
        "scores[A2].harm_note",
        "scores[A2].item_key",
        "scores[A3].evidence[0].timestamp_seconds",
        "scores[A3].evidence[0].note",
    ]


def test_every_message_names_its_item(rubric: RubricDocument) -> None:
    scores = [
        ItemScoreInput("A1", 9, evidence=(EvidenceInput(-1, ""),)),
        ItemScoreInput("C1", None, not_applicable=True),
        ItemScoreInput("F1", 2, harm_flag=True),
        ItemScoreInput("B5", 4),
    ]
    problems = validate_scores(rubric, MEDICATION, scores, final=True)
    assert problems
    for problem in problems:
        assert problem.item_key is not None
        assert problem.item_key in problem.message


# --- robustness --------------------------------------------------------------------------

_KEYS = st.sampled_from([item.key for item in _rubric().items] + ["Z9", "", "a1", "B5 "])
_EVIDENCE = st.builds(
    EvidenceInput,
    timestamp_seconds=st.integers(min_value=-(10**6), max_value=10**6),
    note=st.text(max_size=5),
)
_ENTRIES = st.builds(
    ItemScoreInput,
    item_key=_KEYS | st.text(max_size=6),
    score=st.none() | st.integers(min_value=-(10**6), max_value=10**6),
    not_applicable=st.booleans(),
    harm_flag=st.booleans(),
    harm_note=st.text(max_size=5),
    evidence=st.lists(_EVIDENCE, max_size=3).map(tuple),
)
_SESSIONS = st.builds(
    SessionContext,
    phase=st.sampled_from(Phase),
    modalities=st.frozensets(st.sampled_from(Modality)),
    duration_seconds=st.integers(min_value=-10, max_value=10**5),
)


@settings(max_examples=200, deadline=None)
@given(session=_SESSIONS, scores=st.lists(_ENTRIES, max_size=12), final=st.booleans())
def test_validate_scores_never_raises(
    session: SessionContext, scores: list[ItemScoreInput], final: bool
) -> None:
    rubric = _rubric()
    problems = validate_scores(rubric, session, scores, final=final)
    assert all(isinstance(p, ScoringProblem) and p.message for p in problems)
    assert all(p.path.startswith("scores") for p in problems)
    if not final:
        # A draft is never told it is incomplete.
        assert "needs a score" not in " ".join(p.message for p in problems)


@settings(max_examples=100, deadline=None)
@given(session=_SESSIONS, score=st.integers(min_value=0, max_value=6))
def test_scoring_every_applicable_item_on_the_scale_is_always_valid(
    session: SessionContext, score: int
) -> None:
    rubric = _rubric()
    scores = _scored(applicable_item_keys(rubric, session), score)
    assert validate_scores(rubric, session, scores, final=True) == []
