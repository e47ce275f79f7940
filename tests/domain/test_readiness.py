"""Readiness rules: every threshold at and either side of it, the messages, the statistics
against scipy and statsmodels, batch against per-trainee, and reproducible snapshots."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats
import statsmodels.api as sm
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import DescrStatsW

from app.domain.readiness import (
    PHASES,
    Decision,
    EvidenceArrays,
    HarmFlag,
    RaterScores,
    ReadinessResult,
    SessionAssessment,
    SessionEvidence,
    assess_many,
    assess_readiness,
    canonical_json,
    fingerprint,
    snapshot,
)
from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.domain.rubrics.canonical import content_sha256
from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import parse_rubric
from app.domain.vocabulary import Phase

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
MINI = ROOT / "tests" / "fixtures" / "rubrics" / "valid" / "mini-rubric.v1.yaml"
PREP, MED, INT = Phase.preparation, Phase.medication, Phase.integration
DAY0 = date(2025, 1, 6)
GOOD = Estimate("ICC2k", 0.82, (0.71, 0.9), "F distribution")
FAST = settings(max_examples=60, deadline=None)

Scores = Mapping[str, int | None]


@cache
def flagship() -> RubricDocument:
    doc = parse_rubric(FLAGSHIP.read_text(encoding="utf-8"))
    assert isinstance(doc, RubricDocument), doc
    return doc


@cache
def _mini_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    return data


def mini(
    session_rule: Mapping[str, Any] | None = None, program_rule: Mapping[str, Any] | None = None
) -> RubricDocument:
    """The mini rubric: A1 (every phase), A2 (somatic; medication, integration), gates B1
    (preparation, weight 1.5) and B2 (preparation, medication, may be N/A, weight 1.5);
    session rule mean 3.0, items 2, gates 3, A1 >= 3; program rule 3 sessions in 3 phases,
    2 raters, ICC2k 0.70, domain B 3.0. Rules are replaced key by key."""
    data = copy.deepcopy(_mini_data())
    data["readiness"]["session_rule"].update(session_rule or {})
    data["readiness"]["program_rule"].update(program_rule or {})
    return RubricDocument.model_validate(data)


# Only the mean rule: every other session rule is switched off.
MEAN_ONLY = {"min_item": 0, "min_safety_gate": 0, "item_minimums": {}}


def session(
    sid: int,
    phase: Phase,
    *raters: Scores,
    day: int | None = None,
    flags: Sequence[set[str]] = (),
    admin: set[str] | frozenset[str] = frozenset(),
) -> SessionEvidence:
    """A session rated by raters 1, 2, ... (rating ids sid*100 + rater), on week ``sid``."""
    return SessionEvidence(
        session_id=sid,
        session_date=DAY0 + timedelta(days=7 * sid if day is None else day),
        phase=phase,
        ratings=tuple(
            RaterScores(
                rater_id=k + 1,
                rating_id=sid * 100 + k + 1,
                scores=dict(scores),
                harm_flags=frozenset(flags[k]) if k < len(flags) else frozenset(),
                certified=k == 0,
            )
            for k, scores in enumerate(raters)
        ),
        admin_confirmed_harm=frozenset(admin),
    )


Pair = int | tuple[int | None, int | None] | None


def pair(**scores: Pair) -> tuple[dict[str, int | None], ...]:
    """Two raters' scores: ``A1=(2, 3)`` differs between them, ``A1=4`` is shared."""
    first: dict[str, int | None] = {}
    second: dict[str, int | None] = {}
    for key, value in scores.items():
        a, b = value if isinstance(value, tuple) else (value, value)
        first[key], second[key] = a, b
    return first, second


def good_evidence() -> list[SessionEvidence]:
    """Three competent sessions, one per phase, two raters each: READY under ``mini()``."""
    return [
        session(1, PREP, *pair(A1=4, B1=4, B2=None)),
        session(2, MED, *pair(A1=4, B2=4)),
        session(3, INT, *pair(A1=4)),
    ]


def one_session(rubric: RubricDocument, s: SessionEvidence) -> SessionAssessment:
    return assess_readiness(rubric, [s], GOOD).sessions[0]


# --------------------------------------------------------------------------------------
# Session rule


def test_good_evidence_is_ready() -> None:
    result = assess_readiness(mini(), good_evidence(), GOOD)
    assert result.decision is Decision.ready
    assert (result.missing, result.unmet, result.notes, result.reasons) == ((), (), (), ())
    assert all(s.competent and not s.failures for s in result.sessions)


@pytest.mark.parametrize(
    ("min_mean", "competent", "failures"),
    [(2.99, True, ()), (3.0, True, ()), (3.01, False, ("mean 3.0 < 3.01",))],
)
def test_min_mean_at_and_around_the_threshold(
    min_mean: float, competent: bool, failures: tuple[str, ...]
) -> None:
    # (1.0 x 3 + 1.5 x 3) / 2.5 = 3 exactly.
    s = one_session(mini({"min_mean": min_mean}), session(1, PREP, *pair(A1=3, B1=3)))
    assert s.mean == 3.0
    assert (s.competent, s.failures) == (competent, failures)


@pytest.mark.parametrize(
    ("a1", "mean", "failures"),
    [((2, 3), 2.8, ("mean 2.8 < 3.0",)), (3, 3.0, ()), ((3, 4), 3.2, ())],
)
def test_min_mean_just_below_at_and_above(
    a1: int | tuple[int, int], mean: float, failures: tuple[str, ...]
) -> None:
    # A1 and B1 weigh 1.0 and 1.5: (A1 + 1.5 x 3) / 2.5 moves in steps of 0.2 with A1's halves.
    s = one_session(mini(MEAN_ONLY), session(1, PREP, *pair(A1=a1, B1=3)))
    assert s.mean == pytest.approx(mean, abs=1e-12)
    assert (s.competent, s.failures) == (not failures, failures)


def test_session_mean_is_weighted_by_item_weight() -> None:
    # Unweighted (4 + 2) / 2 = 3.0 would pass; weighted (4 + 1.5 x 2) / 2.5 = 2.8 does not.
    s = one_session(mini(MEAN_ONLY), session(1, PREP, *pair(A1=4, B1=2)))
    assert s.mean == pytest.approx(2.8)
    assert s.failures == ("mean 2.8 < 3.0",)


def test_mean_message_shows_enough_digits_to_be_below_the_threshold() -> None:
    # Three raters: A1 = 8/3, B1 = 3 -> (8/3 + 4.5) / 2.5 = 2.8666...
    raters = ({"A1": 2, "B1": 3}, {"A1": 3, "B1": 3}, {"A1": 3, "B1": 3})
    s = one_session(mini(MEAN_ONLY), session(1, PREP, *raters))
    assert s.failures == ("mean 2.87 < 3.0",)
    s = one_session(mini({**MEAN_ONLY, "min_mean": 2.87}), session(1, PREP, *raters))
    assert s.failures == ("mean 2.867 < 2.87",)


@pytest.mark.parametrize(
    ("a1", "failures"),
    [((1, 2), ("A1 item score 1.5 < 2",)), (2, ()), ((2, 3), ())],
)
def test_min_item_just_below_at_and_above(
    a1: int | tuple[int, int], failures: tuple[str, ...]
) -> None:
    rubric = mini({"min_item": 2, "min_safety_gate": 0, "item_minimums": {}})
    s = one_session(rubric, session(1, PREP, *pair(A1=a1, B1=6)))
    assert (s.competent, s.failures) == (not failures, failures)


@pytest.mark.parametrize(
    ("min_item", "failures"), [(1, ()), (2, ()), (3, ("A1 item score 2 < 3",))]
)
def test_min_item_threshold_around_a_score(min_item: int, failures: tuple[str, ...]) -> None:
    rubric = mini({"min_item": min_item, "min_safety_gate": 0, "item_minimums": {}})
    s = one_session(rubric, session(1, PREP, *pair(A1=2, B1=6)))
    assert s.failures == failures


@pytest.mark.parametrize(
    ("a1", "failures"),
    [((2, 3), ("A1 item minimum 2.5 < 3",)), (3, ()), ((3, 4), ())],
)
def test_item_minimum_just_below_at_and_above(
    a1: int | tuple[int, int], failures: tuple[str, ...]
) -> None:
    rubric = mini({"min_item": 0, "min_safety_gate": 0, "item_minimums": {"A1": 3}})
    s = one_session(rubric, session(1, PREP, *pair(A1=a1, B1=6)))
    assert (s.competent, s.failures) == (not failures, failures)


def test_item_minimum_applies_only_where_the_item_is_scored() -> None:
    # B2 may be marked not applicable; a minimum on it then has nothing to judge.
    rubric = mini({"min_item": 0, "min_safety_gate": 0, "item_minimums": {"B2": 5}})
    assert one_session(rubric, session(1, PREP, *pair(A1=4, B1=4, B2=None))).competent
    s = one_session(rubric, session(1, PREP, *pair(A1=4, B1=4, B2=4)))
    assert s.failures == ("B2 item minimum 4 < 5",)


@pytest.mark.parametrize(
    ("b1", "failures"),
    [((2, 3), ("B1 safety gate 2.5 < 3",)), (3, ()), ((3, 4), ())],
)
def test_safety_gate_just_below_at_and_above(
    b1: int | tuple[int, int], failures: tuple[str, ...]
) -> None:
    rubric = mini({"min_item": 0, "item_minimums": {}, "min_mean": 0.0})
    s = one_session(rubric, session(1, PREP, *pair(A1=6, B1=b1)))
    assert (s.competent, s.failures) == (not failures, failures)


def test_safety_gate_is_not_averaged_into_a_passing_mean() -> None:
    # A mean of 4.6 does not rescue B1 at 2.5.
    s = one_session(mini(), session(1, PREP, *pair(A1=6, B1=(2, 3), B2=6)))
    assert s.mean is not None
    assert s.mean > 4
    assert s.failures == ("B1 safety gate 2.5 < 3",)


def test_safety_gate_marked_not_applicable_is_not_judged() -> None:
    # B2 is N/A for one rater: its score is the other rater's alone.
    s = one_session(mini(), session(1, PREP, *pair(A1=4, B1=4, B2=(None, 2))))
    assert s.failures == ("B2 safety gate 2 < 3",)
    assert one_session(mini(), session(1, PREP, *pair(A1=4, B1=4, B2=None))).competent


def test_every_unmet_part_is_listed_in_rule_order() -> None:
    rubric = mini({"min_item": 3, "item_minimums": {"A1": 4}})
    raters = pair(A1=(2, 3), B1=(2, 3), B2=(2, 2))
    s = one_session(rubric, session(1, PREP, *raters, flags=[{"B1"}, {"B1"}]))
    assert s.failures == (
        "mean 2.31 < 3.0",  # (2.5 + 1.5 x 2.5 + 1.5 x 2) / 4 = 2.3125
        "A1 item score 2.5 < 3",
        "B1 item score 2.5 < 3",
        "B2 item score 2 < 3",
        "A1 item minimum 2.5 < 4",
        "B1 safety gate 2.5 < 3",
        "B2 safety gate 2 < 3",
        "confirmed harm flag on B1 (2 raters)",
    )


def test_flagship_session_uses_its_weights_gates_and_c4_minimum() -> None:
    rubric = flagship()
    keys = [item.key for item in rubric.items if MED in item.phases]
    assert keys == ["A1", "A2", "A3", "A4", "C1", "C2", "C3", "C4", "C5", "E2", "F1", "F2", "F3"]
    first: dict[str, int | None] = dict.fromkeys(keys, 4)
    second: dict[str, int | None] = dict.fromkeys(keys, 4)
    first.update(C1=2, C4=2, A1=1, C5=None)
    second.update(C1=3, C4=3, A1=2, C5=None)
    s = one_session(rubric, session(1, MED, first, second))
    weights = {item.key: Fraction(item.weight) for item in rubric.items}
    scores = {k: Fraction(4) for k in keys if k != "C5"}
    scores.update(C1=Fraction(5, 2), C4=Fraction(5, 2), A1=Fraction(3, 2))
    exact = sum(weights[k] * v for k, v in scores.items()) / sum(weights[k] for k in scores)
    assert s.mean == pytest.approx(float(exact), abs=1e-12)
    assert s.domain_means["C"] == pytest.approx(
        float((Fraction(3, 2) * Fraction(5, 2) + 4 + 4 + Fraction(5, 2)) / Fraction(9, 2))
    )
    assert set(s.domain_means) == {"A", "C", "E", "F"}
    assert s.failures == (
        "A1 item score 1.5 < 2",
        "C4 item minimum 2.5 < 3",
        "C1 safety gate 2.5 < 3",
    )


# --------------------------------------------------------------------------------------
# Harm flags


def test_harm_flag_by_one_rater_is_not_confirmed() -> None:
    evidence = good_evidence()
    evidence[1] = session(2, MED, *pair(A1=4, B2=4), flags=[{"B2"}])
    result = assess_readiness(mini(), evidence, GOOD)
    assert result.decision is Decision.ready
    assert result.sessions[1].competent
    assert result.sessions[1].harm == (HarmFlag("B2", 1, False),)
    assert result.notes == (
        "unconfirmed harm flag on B2 (1 rater) in medication session 2 on 2025-01-20: it "
        "counts once a second rater flags it or an admin confirms it",
    )


@pytest.mark.parametrize(
    ("flags", "admin", "by"),
    [([{"B2"}, {"B2"}], set(), "2 raters"), ([{"B2"}], {"B2"}, "1 rater, admin")],
)
def test_harm_flag_confirmed_by_a_second_rater_or_an_admin(
    flags: list[set[str]], admin: set[str], by: str
) -> None:
    evidence = good_evidence()
    evidence[1] = session(2, MED, *pair(A1=4, B2=4), flags=flags, admin=admin)
    result = assess_readiness(mini(), evidence, GOOD)
    assert result.sessions[1].failures == (f"confirmed harm flag on B2 ({by})",)
    assert not result.sessions[1].competent
    assert result.decision is Decision.not_yet
    assert result.unmet == (
        f"confirmed harm flag on B2 ({by}) in medication session 2 on 2025-01-20",
        "0 competent medication sessions < 1 required (1 rated)",
    )
    assert result.notes == ()


def test_confirmed_harm_blocks_readiness_even_beside_a_competent_session() -> None:
    evidence = [*good_evidence(), session(4, PREP, *pair(A1=5, B1=5), admin={"A1"})]
    result = assess_readiness(mini(), evidence, GOOD)
    assert result.decision is Decision.not_yet
    assert result.unmet == (
        "confirmed harm flag on A1 (admin) in preparation session 4 on 2025-02-03",
    )


def test_confirmed_harm_allowed_by_the_policy() -> None:
    evidence = good_evidence()
    evidence[1] = session(2, MED, *pair(A1=4, B2=4), flags=[{"B2"}, {"B2"}])
    result = assess_readiness(mini({"allow_confirmed_harm": True}), evidence, GOOD)
    assert result.decision is Decision.ready
    assert result.sessions[1].harm == (HarmFlag("B2", 2, False),)
    assert result.sessions[1].harm[0].confirmed


# --------------------------------------------------------------------------------------
# Program rule


@pytest.mark.parametrize(
    ("n_sessions", "missing"),
    [(2, ("2 rated sessions < 3 required",)), (3, ()), (4, ())],
)
def test_min_sessions_just_below_at_and_above(n_sessions: int, missing: tuple[str, ...]) -> None:
    rubric = mini(program_rule={"required_phases": ["preparation"]})
    evidence = [session(k, PREP, *pair(A1=4, B1=4)) for k in range(1, n_sessions + 1)]
    result = assess_readiness(rubric, evidence, GOOD)
    assert result.missing == missing
    assert result.decision is (Decision.insufficient_evidence if missing else Decision.ready)


def test_one_rated_session_is_singular() -> None:
    result = assess_readiness(mini(), [session(1, PREP, *pair(A1=4, B1=4))], GOOD)
    assert result.missing[:3] == (
        "1 rated session < 3 required",
        "no rated medication session",
        "no rated integration session",
    )


def test_required_phase_without_a_rated_session_is_missing_evidence() -> None:
    evidence = [*good_evidence()[:2], session(4, PREP, *pair(A1=4, B1=4))]
    result = assess_readiness(mini(), evidence, GOOD)
    assert result.decision is Decision.insufficient_evidence
    assert result.missing == ("no rated integration session",)
    assert result.unmet == ()


def test_no_sessions_at_all() -> None:
    result = assess_readiness(mini(), [], None)
    assert result.decision is Decision.insufficient_evidence
    assert result.missing == (
        "0 rated sessions < 3 required",
        "no rated preparation session",
        "no rated medication session",
        "no rated integration session",
        "no scored item in B. Safety",
        "reliability of this evidence ICC2k was not computed",
    )
    assert (result.sessions, result.strengths, result.growth_areas) == ((), (), ())
    assert all(isinstance(d.score, NotApplicable) for d in result.domains)


@pytest.mark.parametrize(
    ("competent", "rated", "required", "unmet"),
    [
        (0, 2, 1, ("0 competent medication sessions < 1 required (2 rated)",)),
        (1, 2, 1, ()),
        (2, 2, 1, ()),
        (1, 2, 2, ("1 competent medication session < 2 required (2 rated)",)),
        (2, 2, 2, ()),
        (2, 3, 2, ()),
    ],
)
def test_competent_sessions_per_phase_at_and_around_the_minimum(
    competent: int, rated: int, required: int, unmet: tuple[str, ...]
) -> None:
    rubric = mini(
        {"min_mean": 3.5},
        {"min_competent_sessions_per_phase": required, "min_sessions": 1, "domain_min_mean": {}},
    )
    # A medication session is competent with A1 at 4 and not with A1 at 3 (mean 3 < 3.5).
    medication = [session(10 + k, MED, *pair(A1=4 if k < competent else 3)) for k in range(rated)]
    others = [
        s
        for k in range(required)
        for s in (session(20 + k, PREP, *pair(A1=4, B1=4)), session(30 + k, INT, *pair(A1=4)))
    ]
    result = assess_readiness(rubric, [*medication, *others], GOOD)
    assert sum(s.competent for s in result.sessions if s.phase is MED) == competent
    assert result.unmet == unmet
    assert result.decision is (Decision.not_yet if unmet else Decision.ready)


def test_competent_sessions_counted_in_every_required_phase() -> None:
    rubric = mini(program_rule={"min_competent_sessions_per_phase": 2, "min_sessions": 6})
    evidence = [
        *good_evidence(),
        session(4, PREP, *pair(A1=4, B1=4)),
        session(5, MED, *pair(A1=4, B2=4)),
        session(6, INT, *pair(A1=(2, 3))),  # A1 2.5 < its minimum 3
    ]
    result = assess_readiness(rubric, evidence, GOOD)
    assert result.unmet == ("1 competent integration session < 2 required (2 rated)",)
    assert result.decision is Decision.not_yet


@pytest.mark.parametrize(
    ("raters", "required", "missing"),
    [
        ([2, 2, 1], 2, ("1 session has a single rater",)),
        ([1, 2, 1], 2, ("2 sessions have a single rater",)),
        ([2, 2, 2], 2, ()),
        ([3, 3, 3], 2, ()),
        ([2, 3, 3], 3, ("1 session has 2 raters < 3 required",)),
        ([1, 2, 3], 3, ("1 session has a single rater", "1 session has 2 raters < 3 required")),
        ([3, 3, 3], 3, ()),
        ([0, 2, 2], 2, ("no rated preparation session", "1 session has no rater")),
    ],
)
def test_min_raters_per_session(raters: list[int], required: int, missing: tuple[str, ...]) -> None:
    rubric = mini(program_rule={"min_raters_per_session": required, "min_sessions": 2})
    scores: list[dict[str, int | None]] = [{"A1": 4, "B1": 4}, {"A1": 4, "B2": 4}, {"A1": 4}]
    phases = [PREP, MED, INT]
    evidence = [session(k + 1, phases[k], *([scores[k]] * raters[k])) for k in range(3)]
    result = assess_readiness(rubric, evidence, GOOD)
    assert result.missing == missing
    assert result.decision is (Decision.insufficient_evidence if missing else Decision.ready)
    assert [s.n_raters for s in result.sessions] == raters
    assert [s.n_certified_raters for s in result.sessions] == [min(n, 1) for n in raters]


def test_each_rating_says_whether_its_rater_is_certified_and_no_rule_reads_it() -> None:
    def rated(certified: dict[int, bool]) -> list[SessionEvidence]:
        out = []
        for s in good_evidence():
            ratings = tuple(  # given in reverse: the result lists them by rating id
                dataclasses.replace(r, certified=certified[r.rater_id]) for r in reversed(s.ratings)
            )
            out.append(dataclasses.replace(s, ratings=ratings))
        return out

    mixed = assess_readiness(mini(), rated({1: False, 2: True}), GOOD)
    assert [s.rater_certified for s in mixed.sessions] == [(False, True)] * len(mixed.sessions)
    assert all(s.rating_ids == tuple(sorted(s.rating_ids)) for s in mixed.sessions)
    assert [s.n_uncertified_ratings for s in mixed.sessions] == [1] * len(mixed.sessions)
    assert mixed.n_uncertified_ratings == len(mixed.sessions)
    assert mixed.to_json()["sessions"][0]["ratings"] == [
        {"rating_id": mixed.sessions[0].rating_ids[0], "rater_certified": False},
        {"rating_id": mixed.sessions[0].rating_ids[1], "rater_certified": True},
    ]
    nobody = assess_readiness(mini(), rated({1: False, 2: False}), GOOD)
    everybody = assess_readiness(mini(), rated({1: True, 2: True}), GOOD)
    assert (nobody.n_uncertified_ratings, everybody.n_uncertified_ratings) == (
        2 * len(mixed.sessions),
        0,
    )
    for other in (nobody, everybody):
        assert (other.decision, other.missing, other.unmet) == (
            mixed.decision,
            mixed.missing,
            mixed.unmet,
        )
        assert [s.competent for s in other.sessions] == [s.competent for s in mixed.sessions]
    # Certification is part of the evidence a signed-off decision digests.
    assert nobody.evidence_sha256 != everybody.evidence_sha256


def test_session_without_a_rating_is_not_competent() -> None:
    result = assess_readiness(mini(), [session(1, PREP)], GOOD)
    s = result.sessions[0]
    assert (s.n_raters, s.mean, s.competent, s.failures) == (0, None, False, ("no rating",))
    assert s.domain_means == {}


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (0.69, ("reliability of this evidence ICC2k = 0.69 < 0.70",)),
        (0.6999, ("reliability of this evidence ICC2k = 0.6999 < 0.70",)),
        (0.70, ()),
        (0.7000001, ()),
        (0.71, ()),
    ],
)
def test_min_reliability_at_and_around_the_threshold(
    value: float, missing: tuple[str, ...]
) -> None:
    result = assess_readiness(mini(), good_evidence(), Estimate("ICC2k", value, None, "F"))
    assert result.missing == missing
    assert result.decision is (Decision.insufficient_evidence if missing else Decision.ready)


@pytest.mark.parametrize(
    ("reliability", "message"),
    [
        (None, "reliability of this evidence ICC2k was not computed"),
        (
            NotApplicable("ICC2k", "needs at least 2 raters; these data have 1"),
            "reliability of this evidence ICC2k cannot be estimated: needs at least 2 raters; "
            "these data have 1",
        ),
        (
            Estimate("ICC3k", 0.95, None, "F"),
            "reliability of this evidence is given as ICC3k; the policy requires ICC2k",
        ),
    ],
)
def test_reliability_missing_or_not_estimable(reliability: Result | None, message: str) -> None:
    result = assess_readiness(mini(), good_evidence(), reliability)
    assert result.decision is Decision.insufficient_evidence
    assert result.missing == (message,)
    assert result.reliability == reliability


@pytest.mark.parametrize(
    ("minimum", "unmet"),
    [(3.99, ()), (4.0, ()), (4.01, ("B. Safety mean 4.0 < 4.01 over 2 sessions",))],
)
def test_domain_minimum_at_and_around_the_threshold(minimum: float, unmet: tuple[str, ...]) -> None:
    result = assess_readiness(
        mini(program_rule={"domain_min_mean": {"B": minimum}}), good_evidence(), GOOD
    )
    assert result.unmet == unmet
    assert result.decision is (Decision.not_yet if unmet else Decision.ready)


def test_domain_minimum_below_and_above_with_a_fixed_threshold() -> None:
    rubric = mini(
        {"min_mean": 0.0, "min_safety_gate": 0, "item_minimums": {}},
        {"domain_min_mean": {"B": 3.0}},
    )
    cases: list[tuple[Pair, tuple[str, ...]]] = [
        ((2, 3), ("B. Safety mean 2.75 < 3.0 over 2 sessions",)),
        (3, ()),
        ((3, 4), ()),
    ]
    for b1, expected in cases:
        evidence = good_evidence()
        evidence[0] = session(1, PREP, *pair(A1=4, B1=b1, B2=None))
        evidence[1] = session(2, MED, *pair(A1=4, B2=3))
        assert assess_readiness(rubric, evidence, GOOD).unmet == expected


def test_domain_mean_exactly_at_the_threshold_despite_rounding() -> None:
    # Three raters: A1 = 9/3, 8/3, 11/3, 8/3 has mean exactly 3, which float sums make
    # 2.9999999999999996; the rule must still count it as met.
    thirds = [(3, 3, 3), (2, 3, 3), (3, 4, 4), (2, 3, 3)]
    assert sum(sum(t) / 3 for t in thirds) / 4 < 3.0
    phases = [PREP, MED, INT, INT]
    evidence = [
        session(
            k + 1,
            phases[k],
            *({"A1": v, **({"B1": 6} if phases[k] is PREP else {})} for v in thirds[k]),
        )
        for k in range(4)
    ]
    for minimum, unmet in [
        (3.0, ()),
        (3.001, ("A. Relationship mean 3.0 < 3.001 over 4 sessions",)),
    ]:
        rubric = mini(
            {"min_mean": 0.0, "item_minimums": {}, "min_item": 0},
            {"domain_min_mean": {"A": minimum}},
        )
        result = assess_readiness(rubric, evidence, GOOD)
        assert result.unmet == unmet


def test_flagship_domain_message_in_the_issue_style() -> None:
    rubric = flagship()
    keys = [item.key for item in rubric.items if MED in item.phases]
    # Five raters, so items move in fifths: C1 = C4 = 3, C2 = C3 = 2.2, C5 = 2.4
    # -> C = (1.5 x 3 + 3 + 2.2 + 2.2 + 2.4) / 5.5 = 2.6 in every medication session.
    c_scores = {
        "C1": [3] * 5,
        "C4": [3] * 5,
        "C2": [3, 2, 2, 2, 2],
        "C3": [3, 2, 2, 2, 2],
        "C5": [3, 3, 2, 2, 2],
    }
    raters = [{k: (c_scores[k][r] if k in c_scores else 4) for k in keys} for r in range(5)]
    evidence = [session(k, MED, *raters) for k in range(1, 5)]
    result = assess_readiness(rubric, evidence, GOOD)
    assert "C. Medication session mean 2.6 < 3.0 over 4 sessions" in result.unmet
    assert result.decision is Decision.insufficient_evidence  # no preparation, no integration
    assert result.missing[:2] == ("4 rated sessions < 6 required", "no rated preparation session")


# --------------------------------------------------------------------------------------
# Safety gates at trainee level, and precedence


def test_failed_gate_in_the_latest_session_of_a_phase_is_not_yet() -> None:
    rubric = mini(program_rule={"domain_min_mean": {}})
    evidence = [
        *good_evidence(),
        session(4, PREP, *pair(A1=6, B1=(2, 3))),  # latest preparation session
        session(5, PREP, *pair(A1=6, B1=6), day=20),  # earlier in date despite its id
    ]
    result = assess_readiness(rubric, evidence, GOOD)
    assert result.decision is Decision.not_yet
    assert result.unmet == (
        "B1 safety gate 2.5 < 3 in the latest preparation session 4 on 2025-02-03",
    )


def test_failed_gate_in_an_earlier_session_is_outweighed_only_above_the_gate_mean() -> None:
    rubric = mini(program_rule={"domain_min_mean": {}})
    cases: list[tuple[tuple[Pair, ...], tuple[str, ...]]] = [
        ((1, 4, (3, 4)), ("B1 safety gate mean 2.83 < 3 over 3 sessions",)),
        ((2, 4, 3), ()),
        ((2, (4, 5), 3), ()),
    ]
    for b1_scores, unmet in cases:
        evidence = [
            *good_evidence()[1:],
            *(session(k + 4, PREP, *pair(A1=4, B1=b)) for k, b in enumerate(b1_scores)),
        ]
        result = assess_readiness(rubric, evidence, GOOD)
        assert result.unmet == unmet


def test_missing_evidence_takes_precedence_but_safety_is_still_stated() -> None:
    evidence = good_evidence()[:2]
    evidence[1] = session(2, MED, *pair(A1=4, B2=4), flags=[{"B2"}, {"B2"}])
    result = assess_readiness(mini(), evidence, None)
    assert result.decision is Decision.insufficient_evidence
    assert (
        result.reasons
        == result.missing
        == (
            "2 rated sessions < 3 required",
            "no rated integration session",
            "reliability of this evidence ICC2k was not computed",
        )
    )
    assert result.unmet == (
        "confirmed harm flag on B2 (2 raters) in medication session 2 on 2025-01-20",
        "0 competent medication sessions < 1 required (1 rated)",
    )


def test_not_yet_lists_every_unmet_rule_safety_first() -> None:
    evidence = good_evidence()
    evidence[0] = session(1, PREP, *pair(A1=4, B1=(2, 3)), flags=[{"A1"}, {"A1"}])
    evidence[1] = session(2, MED, *pair(A1=4, B2=3))
    result = assess_readiness(mini(), evidence, GOOD)
    assert result.decision is Decision.not_yet
    assert result.missing == ()
    assert (
        result.reasons
        == result.unmet
        == (
            "confirmed harm flag on A1 (2 raters) in preparation session 1 on 2025-01-13",
            "B1 safety gate 2.5 < 3 in the latest preparation session 1 on 2025-01-13",
            "B1 safety gate mean 2.5 < 3 over 1 session",
            "0 competent preparation sessions < 1 required (1 rated)",
            "B. Safety mean 2.75 < 3.0 over 2 sessions",
        )
    )


# --------------------------------------------------------------------------------------
# Statistics against references


def domain_evidence() -> tuple[list[SessionEvidence], list[float], list[int]]:
    """Integration sessions on uneven days with A1 (domain A's only scored item) varying."""
    days = [0, 9, 20, 26, 41, 60, 61]
    a1 = [(2, 3), (3, 3), (3, 4), (4, 4), (3, 5), (5, 5), (4, 6)]
    evidence = [session(k + 1, INT, *pair(A1=a1[k]), day=days[k]) for k in range(len(days))]
    return evidence, [sum(v) / 2 for v in a1], days


def test_domain_score_and_interval_match_scipy_and_statsmodels() -> None:
    evidence, y, _ = domain_evidence()
    domain = assess_readiness(mini(), evidence, GOOD).domains[0]
    assert (domain.key, domain.title, domain.n_sessions, domain.min_mean) == (
        "A",
        "Relationship",
        7,
        None,
    )
    score = domain.score
    assert isinstance(score, Estimate)
    assert score.ci95 is not None
    n = len(y)
    reference = scipy.stats.t.interval(0.95, n - 1, loc=np.mean(y), scale=scipy.stats.sem(y))
    assert score.value == pytest.approx(np.mean(y), abs=1e-12)
    assert score.ci95 == pytest.approx(reference, abs=1e-12)
    assert score.ci95 == pytest.approx(DescrStatsW(np.array(y)).tconfint_mean(0.05), abs=1e-12)
    assert score.se == pytest.approx(scipy.stats.sem(y), abs=1e-12)
    assert score.ci_method == "t interval over sessions (n-1 df)"


def test_trend_slope_and_interval_match_linregress_and_polyfit() -> None:
    evidence, y, days = domain_evidence()
    trend = assess_readiness(mini(), evidence, GOOD).domains[0].trend
    assert isinstance(trend, Estimate)
    assert trend.ci95 is not None
    x = np.array(days) / 30
    fit = scipy.stats.linregress(x, y)
    assert trend.value == pytest.approx(fit.slope, abs=1e-12)
    assert trend.value == pytest.approx(np.polyfit(x, y, 1)[0], abs=1e-12)
    assert trend.se == pytest.approx(fit.stderr, abs=1e-12)
    half = scipy.stats.t.ppf(0.975, len(y) - 2) * fit.stderr
    assert trend.ci95 == pytest.approx((fit.slope - half, fit.slope + half), abs=1e-12)
    assert trend.name == "A trend per 30 days"


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 6), st.integers(0, 6)),
        min_size=3,
        max_size=12,
        unique_by=lambda r: r[0],
    )
)
@FAST
def test_domain_statistics_match_references_on_random_sessions(
    rows: list[tuple[int, int, int]],
) -> None:
    evidence = [session(k + 1, INT, *pair(A1=(a, b)), day=d) for k, (d, a, b) in enumerate(rows)]
    domain = assess_readiness(mini(), evidence, GOOD).domains[0]
    ordered = sorted(rows)
    y = np.array([(a + b) / 2 for _, a, b in ordered])
    x = np.array([d for d, _, _ in ordered]) / 30
    assert isinstance(domain.score, Estimate)
    assert isinstance(domain.trend, Estimate)
    assert domain.score.value == pytest.approx(y.mean(), abs=1e-9)
    assert domain.score.ci95 is not None
    assert domain.score.ci95 == pytest.approx(DescrStatsW(y).tconfint_mean(0.05), abs=1e-9)
    fit = scipy.stats.linregress(x, y)
    assert domain.trend.value == pytest.approx(fit.slope, abs=1e-9)
    if np.ptp(y) == 0:  # linregress leaves the standard error of a flat line undefined
        assert (domain.trend.value, domain.trend.se) == (0.0, 0.0)
    else:
        # statsmodels' least squares, not linregress's stderr: on points that lie exactly on
        # a line the latter takes the square root of a rounding error (7e-8 for a true 0).
        ols = sm.OLS(y, sm.add_constant(x)).fit()
        assert domain.trend.se == pytest.approx(ols.bse[1], abs=1e-9)


def test_too_few_sessions_for_an_interval_or_a_trend() -> None:
    rubric = mini()
    one = assess_readiness(rubric, [session(1, INT, *pair(A1=4))], GOOD).domains[0]
    assert isinstance(one.score, Estimate)
    assert (one.score.value, one.score.ci95) == (4.0, None)
    assert one.score.ci_method == "needs at least 2 sessions for an interval; 1 has a score"
    assert one.trend == NotApplicable(
        "A trend per 30 days", "needs at least 2 sessions on different days; 1 scored"
    )
    two = assess_readiness(
        rubric, [session(1, INT, *pair(A1=4), day=0), session(2, INT, *pair(A1=5), day=15)], GOOD
    ).domains[0]
    assert isinstance(two.trend, Estimate)
    assert (two.trend.value, two.trend.ci95) == (2.0, None)  # +1 in 15 days
    assert two.trend.ci_method == "needs at least 3 sessions for an interval; 2 have a score"
    same_day = assess_readiness(
        rubric, [session(k, INT, *pair(A1=3 + k), day=3) for k in (1, 2, 3)], GOOD
    ).domains[0]
    assert same_day.trend == NotApplicable(
        "A trend per 30 days", "all 3 sessions are on the same day: no time to trend over"
    )
    assert assess_readiness(rubric, [], GOOD).domains[1].score == NotApplicable(
        "B session mean", "no session scored an item of this domain"
    )


# --------------------------------------------------------------------------------------
# Strengths and growth areas


def test_strengths_and_growth_areas_with_their_anchors() -> None:
    rubric = mini()
    evidence = [
        session(1, PREP, *pair(A1=(3, 4), B1=(5, 6), B2=2)),
        session(2, MED, *pair(A1=3, A2=(4, 5), B2=3)),
    ]
    result = assess_readiness(rubric, evidence, GOOD, top_k=2)
    # Means: A1 (3.5 + 3) / 2 = 3.25, A2 4.5, B1 5.5, B2 2.5.
    assert [(f.key, f.mean, f.n_sessions) for f in result.strengths] == [
        ("B1", 5.5, 1),
        ("A2", 4.5, 1),
    ]
    assert [(f.key, f.mean) for f in result.growth_areas] == [("B2", 2.5), ("A1", 3.25)]
    b1, a2 = result.strengths
    assert (b1.anchor_score, b1.next_anchor_score, b1.next_anchor) == (6, None, None)
    assert (a2.anchor_score, a2.next_anchor_score) == (4, 6)  # 4.5 rounds half up to 5
    b2, a1 = result.growth_areas
    assert (b2.anchor_score, b2.anchor) == (2, "Consent is assumed rather than asked.")
    assert (b2.next_anchor_score, b2.next_anchor) == (
        4,
        "Consent is agreed in advance and checked.",
    )
    assert (a1.anchor_score, a1.next_anchor_score, a1.domain_key) == (2, 4, "A")
    assert a2.title == "Body-oriented attunement"


def test_feedback_ties_follow_rubric_order_and_no_item_is_both() -> None:
    evidence = [session(1, PREP, *pair(A1=4, B1=4, B2=4))]
    result = assess_readiness(mini(), evidence, GOOD, top_k=2)
    assert [f.key for f in result.strengths] == ["A1", "B1"]
    assert [f.key for f in result.growth_areas] == ["B2"]
    assert assess_readiness(mini(), evidence, GOOD, top_k=0).strengths == ()


# --------------------------------------------------------------------------------------
# Snapshots


def shuffled(evidence: Sequence[SessionEvidence], seed: int) -> list[SessionEvidence]:
    """The same evidence in another order: sessions, ratings and score keys."""
    rnd = random.Random(seed)
    out = []
    for s in evidence:
        ratings = []
        for r in s.ratings:
            keys = list(r.scores)
            rnd.shuffle(keys)
            ratings.append(
                RaterScores(
                    r.rater_id,
                    r.rating_id,
                    {k: r.scores[k] for k in keys},
                    r.harm_flags,
                    r.certified,
                )
            )
        rnd.shuffle(ratings)
        out.append(
            SessionEvidence(
                s.session_id, s.session_date, s.phase, tuple(ratings), s.admin_confirmed_harm
            )
        )
    rnd.shuffle(out)
    return out


def flagship_evidence(seed: int) -> list[SessionEvidence]:
    rubric = flagship()
    rnd = random.Random(seed)
    evidence = []
    for k in range(8):
        phase = PHASES[k % 3]
        keys = [item.key for item in rubric.items if phase in item.phases]
        raters = [{key: rnd.choice([2, 3, 3, 4, 4, 5]) for key in keys} for _ in range(2)]
        evidence.append(
            session(
                k + 1,
                phase,
                *raters,
                day=5 * k + rnd.randint(0, 3),
                flags=[{rnd.choice(keys)}] if k == 4 else [],
            )
        )
    return evidence


def test_snapshot_is_identical_whatever_the_input_order() -> None:
    rubric = flagship()
    evidence = flagship_evidence(7)
    first = assess_readiness(rubric, evidence, GOOD)
    stored = snapshot(rubric, first)
    for seed in range(5):
        again = assess_readiness(rubric, shuffled(evidence, seed), GOOD)
        assert again == first
        assert snapshot(rubric, again) == stored
        assert fingerprint(snapshot(rubric, again)) == fingerprint(stored)


def test_snapshot_recomputed_from_its_stored_json_is_equal() -> None:
    rubric = flagship()
    evidence = flagship_evidence(3)
    stored_text = canonical_json(snapshot(rubric, assess_readiness(rubric, evidence, GOOD)))
    stored = json.loads(stored_text)
    assert stored["inputs"]["rubric"] == {
        "id": "pat-competency",
        "version": "1.0.0",
        "sha256": content_sha256(rubric),
    }
    assert stored["inputs"]["rating_ids"] == sorted(
        r.rating_id for s in evidence for r in s.ratings
    )
    assert stored["policy"] == rubric.readiness.model_dump(mode="json")
    recomputed = snapshot(rubric, assess_readiness(rubric, evidence, GOOD))
    assert recomputed == stored
    assert canonical_json(recomputed) == stored_text
    assert fingerprint(recomputed) == fingerprint(stored)
    assert (
        snapshot(rubric, assess_readiness(rubric, evidence, GOOD), rubric_sha256="x")["inputs"][
            "rubric"
        ]["sha256"]
        == "x"
    )


def test_an_amended_score_changes_the_evidence_digest_and_the_fingerprint() -> None:
    rubric = flagship()
    evidence = flagship_evidence(3)
    before = assess_readiness(rubric, evidence, GOOD)
    r = evidence[0].ratings[0]
    amended = RaterScores(r.rater_id, r.rating_id, {**r.scores, "A1": 6}, r.harm_flags, r.certified)
    s = evidence[0]
    evidence[0] = SessionEvidence(
        s.session_id, s.session_date, s.phase, (amended, *s.ratings[1:]), s.admin_confirmed_harm
    )
    after = assess_readiness(rubric, evidence, GOOD)
    assert after.evidence_sha256 != before.evidence_sha256
    assert (
        snapshot(rubric, after)["inputs"]["rating_ids"]
        == snapshot(rubric, before)["inputs"]["rating_ids"]
    )
    assert fingerprint(snapshot(rubric, after)) != fingerprint(snapshot(rubric, before))


def test_not_applicable_and_absent_are_different_evidence() -> None:
    with_na = assess_readiness(mini(), [session(1, PREP, *pair(A1=4, B1=4, B2=None))], GOOD)
    without = assess_readiness(mini(), [session(1, PREP, *pair(A1=4, B1=4))], GOOD)
    assert with_na.sessions == without.sessions
    assert with_na.evidence_sha256 != without.evidence_sha256


# --------------------------------------------------------------------------------------
# Batch against per-trainee, and against a plain reference


def reshuffle(ev: EvidenceArrays, seed: int) -> EvidenceArrays:
    """The same evidence with every table's rows permuted (and the links remapped)."""
    rng = np.random.default_rng(seed)

    def permutation(n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        perm = rng.permutation(n)
        inverse = np.empty(n, np.int64)
        inverse[perm] = np.arange(n)
        return perm, inverse

    ps, inv_s = permutation(ev.session_id.size)
    pr, inv_r = permutation(ev.rating_id.size)
    pc = rng.permutation(ev.score.size)
    pa = rng.permutation(ev.confirmed_item.size)
    return EvidenceArrays(
        n_trainees=ev.n_trainees,
        session_trainee=ev.session_trainee[ps],
        session_id=ev.session_id[ps],
        session_day=ev.session_day[ps],
        session_phase=ev.session_phase[ps],
        rating_session=inv_s[ev.rating_session[pr]],
        rating_id=ev.rating_id[pr],
        rater_id=ev.rater_id[pr],
        rating_certified=ev.rating_certified[pr],
        score_rating=inv_r[ev.score_rating[pc]],
        score_item=ev.score_item[pc],
        score=ev.score[pc],
        harm_flag=ev.harm_flag[pc],
        confirmed_session=inv_s[ev.confirmed_session[pa]],
        confirmed_item=ev.confirmed_item[pa],
    )


@st.composite
def trainees(draw: st.DrawFn) -> tuple[list[list[SessionEvidence]], list[Result | None]]:
    rubric = mini()
    ids = iter(range(1, 10_000))
    out: list[list[SessionEvidence]] = []
    reliability: list[Result | None] = []
    for _ in range(draw(st.integers(1, 4))):
        sessions = []
        for _ in range(draw(st.integers(0, 6))):
            sid = next(ids)
            phase = draw(st.sampled_from(PHASES))
            keys = [i.key for i in rubric.items if phase in i.phases]
            ratings = []
            for rater in range(draw(st.integers(0, 3))):
                scores: dict[str, int | None] = {}
                for key in keys:
                    if draw(st.integers(0, 9)) == 0:
                        continue  # left out: neither scored nor marked
                    na = rubric.item(key).allow_not_applicable and draw(st.booleans())
                    scores[key] = None if na else draw(st.integers(0, 6))
                flags = frozenset(k for k in keys if draw(st.integers(0, 5)) == 0)
                ratings.append(
                    RaterScores(rater + 1, next(ids), scores, flags, draw(st.booleans()))
                )
            admin = frozenset(k for k in keys if draw(st.integers(0, 7)) == 0)
            sessions.append(
                SessionEvidence(
                    sid,
                    DAY0 + timedelta(days=draw(st.integers(0, 60))),
                    phase,
                    tuple(ratings),
                    admin,
                )
            )
        out.append(sessions)
        reliability.append(
            draw(
                st.sampled_from(
                    [
                        None,
                        GOOD,
                        Estimate("ICC2k", 0.5, None, "F"),
                        NotApplicable("ICC2k", "no variance"),
                    ]
                )
            )
        )
    return out, reliability


@given(trainees(), st.integers(0, 2**32 - 1))
@FAST
def test_batch_equals_per_trainee(
    data: tuple[list[list[SessionEvidence]], list[Result | None]], seed: int
) -> None:
    rubric = mini()
    evidence, reliability = data
    arrays = reshuffle(EvidenceArrays.from_sessions(rubric, evidence), seed)
    batch = assess_many(rubric, arrays, reliability)
    single = [assess_readiness(rubric, s, r) for s, r in zip(evidence, reliability, strict=True)]
    assert batch == single


def reference_session(rubric: RubricDocument, s: SessionEvidence) -> tuple[Fraction | None, bool]:
    """The session rule written plainly with exact fractions: (mean, competent)."""
    rule = rubric.readiness.session_rule
    item_scores: dict[str, Fraction] = {}
    for item in rubric.items:
        values = [x for r in s.ratings if (x := r.scores.get(item.key)) is not None]
        if values:
            item_scores[item.key] = Fraction(sum(values), len(values))
    if not item_scores:
        return None, False
    weights = {i.key: Fraction(i.weight) for i in rubric.items}
    mean = Fraction(sum(weights[k] * v for k, v in item_scores.items())) / sum(
        weights[k] for k in item_scores
    )
    ok = mean >= Fraction(rule.min_mean)
    for key, v in item_scores.items():
        ok &= v >= rule.min_item
        ok &= v >= rule.item_minimums.get(key, v)
        ok &= not rubric.item(key).safety_gate or v >= rule.min_safety_gate
    for item in rubric.items:
        flags = sum(item.key in r.harm_flags for r in s.ratings)
        if flags >= 2 or item.key in s.admin_confirmed_harm:
            ok &= rule.allow_confirmed_harm
    return mean, ok


@given(trainees())
@FAST
def test_session_rule_matches_a_plain_exact_reference(
    data: tuple[list[list[SessionEvidence]], list[Result | None]],
) -> None:
    rubric = mini()
    for evidence in data[0]:
        result = assess_readiness(rubric, evidence, None)
        by_id = {s.session_id: s for s in evidence}
        for assessed in result.sessions:
            mean, competent = reference_session(rubric, by_id[assessed.session_id])
            assert assessed.competent is competent
            if mean is None:
                assert assessed.mean is None
            else:
                assert assessed.mean == pytest.approx(float(mean), abs=1e-12)


def test_batch_of_flagship_trainees_equals_per_trainee() -> None:
    rubric = flagship()
    evidence = [flagship_evidence(seed) for seed in range(6)]
    for t, sessions in enumerate(evidence):  # distinct ids across trainees
        evidence[t] = [
            SessionEvidence(
                s.session_id + 100 * t,
                s.session_date,
                s.phase,
                tuple(
                    RaterScores(
                        r.rater_id, r.rating_id + 10_000 * t, r.scores, r.harm_flags, r.certified
                    )
                    for r in s.ratings
                ),
            )
            for s in sessions
        ]
    reliability: list[Result | None] = [GOOD] * 6
    arrays = reshuffle(EvidenceArrays.from_sessions(rubric, evidence), 1)
    assert assess_many(rubric, arrays, reliability) == [
        assess_readiness(rubric, s, GOOD) for s in evidence
    ]


# --------------------------------------------------------------------------------------
# Bad input


def test_bad_input_is_refused_with_a_reason() -> None:
    rubric = mini()
    with pytest.raises(ValueError, match="session 1 rating 101 names 'Z9', which is not an item"):
        assess_readiness(rubric, [session(1, PREP, {"Z9": 3})])
    with pytest.raises(ValueError, match=r"whole numbers on the scale 0\.\.6"):
        assess_readiness(rubric, [session(1, PREP, {"A1": 7})])
    again = SessionEvidence(1, DAY0, MED, (RaterScores(1, 999, {"A1": 3}),))
    with pytest.raises(ValueError, match="session ids must be unique"):
        assess_readiness(rubric, [session(1, PREP, {"A1": 3}), again])
    twice = session(1, PREP, {"A1": 3}, {"A1": 4})
    twice = SessionEvidence(
        1,
        twice.session_date,
        PREP,
        tuple(RaterScores(7, r.rating_id, r.scores) for r in twice.ratings),
    )
    with pytest.raises(ValueError, match="rater 7 rated session 1 more than once"):
        assess_readiness(rubric, [twice])
    arrays = EvidenceArrays.from_sessions(rubric, [[session(1, PREP, {"A1": 3, "B1": 4})]])
    doubled = dataclasses.replace(arrays, score_item=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="rating 101 scores A1 more than once"):
        assess_many(rubric, doubled, [None])
    halves = dataclasses.replace(arrays, score=np.array([2.5, 3.0]))
    with pytest.raises(ValueError, match="whole numbers"):
        assess_many(rubric, halves, [None])
    with pytest.raises(ValueError, match="1 reliability results for 2 trainees"):
        assess_many(rubric, EvidenceArrays.from_sessions(rubric, [[], []]), [None])


def test_json_of_a_result_is_plain_data() -> None:
    result: ReadinessResult = assess_readiness(mini(), good_evidence(), GOOD)
    data = result.to_json()
    assert json.loads(canonical_json(data)) == data
    assert data["decision"] == "READY"
    assert data["sessions"][0] == {
        "session_id": 1,
        "date": "2025-01-13",
        "phase": "preparation",
        "rating_ids": [101, 102],
        "ratings": [
            {"rating_id": 101, "rater_certified": True},
            {"rating_id": 102, "rater_certified": False},
        ],
        "n_raters": 2,
        "n_certified_raters": 1,
        "n_uncertified_ratings": 1,
        "mean": 4.0,
        "domain_means": {"A": 4.0, "B": 4.0},
        "competent": True,
        "failures": [],
        "harm": [],
    }
    assert copy.deepcopy(data) == data
    assert math.isfinite(data["domains"][0]["score"]["value"])


def test_a_scale_that_does_not_start_at_zero() -> None:
    data = copy.deepcopy(_mini_data())
    data["scale"]["min"] = 1
    data["scale"]["points"] = data["scale"]["points"][1:]
    one_based = RubricDocument.model_validate(data)
    evidence = [session(1, PREP, *pair(A1=(2, 3), B1=(1, 4), B2=None))]
    ours = assess_readiness(one_based, evidence, GOOD).sessions
    assert ours == assess_readiness(mini(), evidence, GOOD).sessions
    assert ours[0].failures == (
        "mean 2.5 < 3.0",
        "A1 item minimum 2.5 < 3",
        "B1 safety gate 2.5 < 3",
    )
    with pytest.raises(ValueError, match=r"scale 1\.\.6"):
        assess_readiness(one_based, [session(1, PREP, {"A1": 0})])
