"""Readiness for certification: when a session is competent, and when a trainee is ready.

A rubric version carries its own readiness policy (``RubricDocument.readiness``): a session
rule, judged on one session's rater-averaged scores, and a program rule, judged on the
trainee's whole body of rated sessions. This module applies that policy and explains its
decision with numbers, so an admin can act on it and a trainee can learn from it.

Session level
    Each item's score is the mean over the raters who scored it (a not-applicable mark is
    not a score). The session mean is the mean of those item scores weighted by the
    rubric's item weights, as docs/rubric-format.md specifies; a rubric whose weights are
    all 1.0 gets the plain mean. A session is competent when the mean reaches ``min_mean``;
    every scored item reaches ``min_item``; every scored item named in ``item_minimums``
    reaches its minimum; every scored safety-gate item reaches ``min_safety_gate``; and,
    unless ``allow_confirmed_harm``, no harm flag is confirmed. A flag is confirmed when at
    least two of the session's raters flag the same item, or an admin confirms it.

Trainee level
    Per domain: the score is the mean over sessions of the session's domain mean (the
    weighted mean of the domain's rater-averaged items, i.e. the mean of the rater means
    when raters score the same items) with a 95% t interval over sessions; the trend is the
    OLS slope of those session means against the session date, per 30 days, with a 95% t
    interval. The decision is

    - INSUFFICIENT_EVIDENCE when anything is missing: fewer than ``min_sessions`` rated
      sessions, a required phase with no rated session, sessions with fewer than
      ``min_raters_per_session`` raters, a domain with a minimum but no score, or a
      reliability of this evidence below ``min_reliability``, of another coefficient,
      not estimable or not given;
    - otherwise NOT_YET when any rule is unmet: a confirmed harm flag in any session; a
      safety gate below ``min_safety_gate`` in the latest session of a phase, or in its mean
      over the trainee's sessions; fewer than ``min_competent_sessions_per_phase``
      competent sessions in a required phase; a domain mean below ``domain_min_mean``;
    - otherwise READY.

    Every unmet rule is listed whatever the decision, so a confirmed harm or a failed gate
    is stated even while evidence is still missing. Safety gates are never averaged away:
    they are judged per item, on their own, in every session rule and twice at trainee
    level (the latest session of each phase shows current practice; the mean over sessions
    stops a trainee alternating unsafe and safe sessions). Harm is judged on every session
    given: which sessions form the evidence (for example after remediation) is the
    program's decision, made by the caller.

Evidence
    A session counts as rated with at least one rating; ``min_sessions`` and the phase
    counts are of rated sessions. A session with fewer than ``min_raters_per_session``
    raters still counts in every figure (so the numbers stay informative), and its shortfall
    alone makes the decision INSUFFICIENT_EVIDENCE until it is rated again or the caller
    leaves it out. "Latest" is by session date, then session id. Each rating says whether
    its rater is certified (``RaterScores.certified``): reports mark the ratings of
    uncertified raters and count them, and no rule reads it, as the readiness policy of a
    rubric (docs/rubric-format.md) has no certification requirement. A harm flag from one
    rater, unconfirmed, changes nothing but is listed in ``notes`` for an admin to review.
    Strengths and growth areas are the items with the highest and lowest mean over sessions
    of their rater-averaged score (ties in rubric order; an item is never both).

Messages (``{v} < {t}`` shows as many decimals as it takes for v to read below t)
    session ``failures``: ``mean 2.8 < 3.0``, ``A1 item score 1.5 < 2``,
    ``C4 item minimum 2.5 < 3``, ``B5 safety gate 2.5 < 3``,
    ``confirmed harm flag on C1 (2 raters)`` (or ``(1 rater, admin)``, ``(admin)``),
    ``no rating``, ``no item scored``;
    ``missing``: ``4 rated sessions < 6 required``, ``no rated integration session``,
    ``2 sessions have a single rater`` (``1 session has no rater``,
    ``1 session has 2 raters < 3 required``), ``no scored item in D. Integration``,
    ``reliability of this evidence ICC2k = 0.52 < 0.70``,
    ``reliability of this evidence ICC2k cannot be estimated: {reason}``,
    ``reliability of this evidence ICC2k was not computed``,
    ``reliability of this evidence is given as ICC3k; the policy requires ICC2k``;
    ``unmet``: ``confirmed harm flag on C1 (2 raters) in medication session 17 on
    2025-03-04``, ``C1 safety gate 2.5 < 3 in the latest medication session 17 on
    2025-03-04``, ``F1 safety gate mean 2.83 < 3 over 6 sessions``,
    ``0 competent medication sessions < 1 required (2 rated)``,
    ``C. Medication session mean 2.6 < 3.0 over 4 sessions``.

Determinism
    Scores are whole numbers, so every sum of scores is exact in any order, and all later
    arithmetic runs in one canonical order (sessions by date then id; items in rubric
    order). The result therefore depends on the evidence, never on the order it arrives in,
    and :func:`assess_readiness` (one trainee) and :func:`assess_many` (flat arrays, all
    trainees at once) give identical results. :func:`snapshot` and :func:`fingerprint`
    make a decision a stored, verifiable record.

Float thresholds (``min_mean``, ``domain_min_mean``, the gate mean, reliability) are met
within 1e-9, so a mean that is exactly the threshold in exact arithmetic is not failed by a
rounding error; scores move in steps of at least 1/raters, far above that tolerance.
Integer thresholds are compared exactly (sum of scores >= threshold x raters).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import stdtrit

from app.domain.reliability.results import Estimate, NotApplicable, Result
from app.domain.rubrics.canonical import content_sha256
from app.domain.rubrics.model import ReliabilityRequirement, RubricDocument
from app.domain.vocabulary import Phase

__all__ = [
    "PHASES",
    "Decision",
    "DomainSummary",
    "EvidenceArrays",
    "HarmFlag",
    "ItemFeedback",
    "RaterScores",
    "ReadinessResult",
    "SessionAssessment",
    "SessionEvidence",
    "assess_many",
    "assess_readiness",
    "canonical_json",
    "fingerprint",
    "snapshot",
]

PHASES: tuple[Phase, ...] = tuple(Phase)
"""Phase codes of :class:`EvidenceArrays` are indices into this tuple."""

SNAPSHOT_FORMAT = "guiding-hand.readiness/1"
TREND_DAYS = 30
EPS = 1e-9
_Q = 0.975  # upper quantile of a two-sided 95% interval
_MEAN_CI = "t interval over sessions (n-1 df)"
_TREND_CI = "OLS slope against the session date, t interval (n-2 df)"
_ABSENT, _NOT_APPLICABLE = -2, -1  # codes in the evidence digest

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


class Decision(StrEnum):
    ready = "READY"
    not_yet = "NOT_YET"
    insufficient_evidence = "INSUFFICIENT_EVIDENCE"


# --------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class RaterScores:
    """One submitted rating of a session: ``None`` marks an item not applicable.

    ``certified`` is informational (counted per session); it does not change any rule.
    """

    rater_id: int
    rating_id: int
    scores: Mapping[str, int | None]
    harm_flags: frozenset[str] = frozenset()
    certified: bool = False


@dataclass(frozen=True)
class SessionEvidence:
    """One recorded session of the trainee with its ratings and admin-confirmed harm flags."""

    session_id: int
    session_date: date
    phase: Phase
    ratings: tuple[RaterScores, ...]
    admin_confirmed_harm: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class EvidenceArrays:
    """Every trainee's evidence as flat arrays, the shape a database query returns.

    Three tables linked by row index: sessions (``session_*``), ratings (``rating_*``,
    ``rating_session`` a session row) and item scores (``score_*``, ``score_rating`` a
    rating row, ``score_item`` an index into ``rubric.items``, ``score`` NaN for not
    applicable), plus admin harm confirmations (a session row and an item index). Rows may
    come in any order. ``session_day`` is ``date.toordinal()``; ``session_phase`` indexes
    :data:`PHASES`.
    """

    n_trainees: int
    session_trainee: IntArray
    session_id: IntArray
    session_day: IntArray
    session_phase: IntArray
    rating_session: IntArray
    rating_id: IntArray
    rater_id: IntArray
    rating_certified: BoolArray
    score_rating: IntArray
    score_item: IntArray
    score: FloatArray
    harm_flag: BoolArray
    confirmed_session: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    confirmed_item: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def from_sessions(
        cls, rubric: RubricDocument, trainees: Sequence[Sequence[SessionEvidence]]
    ) -> EvidenceArrays:
        """The arrays for per-trainee session lists (trainee ``t`` is ``trainees[t]``)."""
        index = {item.key: i for i, item in enumerate(rubric.items)}
        phase_code = {phase: i for i, phase in enumerate(PHASES)}

        def item_index(key: str, where: str) -> int:
            try:
                return index[key]
            except KeyError:
                raise ValueError(
                    f"{where} names {key!r}, which is not an item of {rubric.id} {rubric.version}"
                ) from None

        sessions: list[tuple[int, int, int, int]] = []
        ratings: list[tuple[int, int, int, bool]] = []
        scores: list[tuple[int, int, float, bool]] = []
        confirmed: list[tuple[int, int]] = []
        for t, trainee in enumerate(trainees):
            for s in trainee:
                row = len(sessions)
                sessions.append((t, s.session_id, s.session_date.toordinal(), phase_code[s.phase]))
                for key in s.admin_confirmed_harm:
                    confirmed.append((row, item_index(key, f"session {s.session_id}")))
                for r in s.ratings:
                    where = f"session {s.session_id} rating {r.rating_id}"
                    rating_row = len(ratings)
                    ratings.append((row, r.rating_id, r.rater_id, r.certified))
                    # A flag on an item the rater left unscored is still a flag.
                    unscored = [(key, None) for key in r.harm_flags if key not in r.scores]
                    for key, value in [*r.scores.items(), *unscored]:
                        scores.append(
                            (
                                rating_row,
                                item_index(key, where),
                                math.nan if value is None else float(value),
                                key in r.harm_flags,
                            )
                        )

        def column(rows: Sequence[tuple[Any, ...]], j: int, dtype: type) -> NDArray[Any]:
            return np.array([row[j] for row in rows], dtype=dtype)

        return cls(
            n_trainees=len(trainees),
            session_trainee=column(sessions, 0, np.int64),
            session_id=column(sessions, 1, np.int64),
            session_day=column(sessions, 2, np.int64),
            session_phase=column(sessions, 3, np.int64),
            rating_session=column(ratings, 0, np.int64),
            rating_id=column(ratings, 1, np.int64),
            rater_id=column(ratings, 2, np.int64),
            rating_certified=column(ratings, 3, np.bool_),
            score_rating=column(scores, 0, np.int64),
            score_item=column(scores, 1, np.int64),
            score=column(scores, 2, np.float64),
            harm_flag=column(scores, 3, np.bool_),
            confirmed_session=column(confirmed, 0, np.int64),
            confirmed_item=column(confirmed, 1, np.int64),
        )


# --------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class HarmFlag:
    """Raters' harm flags on one item of one session, and whether an admin confirmed them."""

    item_key: str
    raters: int
    admin_confirmed: bool

    @property
    def confirmed(self) -> bool:
        return self.raters >= 2 or self.admin_confirmed

    @property
    def by(self) -> str:
        """Who stands behind the flag, as messages show it.

        >>> [HarmFlag("C1", n, a).by for n, a in ((2, False), (1, True), (0, True))]
        ['2 raters', '1 rater, admin', 'admin']
        """
        parts = [f"{self.raters} rater{_s(self.raters)}"] if self.raters else []
        return ", ".join([*parts, "admin"] if self.admin_confirmed else parts)


@dataclass(frozen=True)
class SessionAssessment:
    """One session under the session rule; ``failures`` name every unmet part with numbers.

    ``rater_certified[i]`` says whether the rater of ``rating_ids[i]`` is certified, so a
    report can mark the ratings of uncertified raters; it changes no rule.
    """

    session_id: int
    session_date: date
    phase: Phase
    rating_ids: tuple[int, ...]
    n_raters: int
    n_certified_raters: int
    mean: float | None
    domain_means: Mapping[str, float]
    competent: bool
    failures: tuple[str, ...]
    harm: tuple[HarmFlag, ...]
    rater_certified: tuple[bool, ...] = ()

    @property
    def n_uncertified_ratings(self) -> int:
        return self.n_raters - self.n_certified_raters


@dataclass(frozen=True)
class DomainSummary:
    """A domain over the trainee's sessions: score and trend, each with its 95% interval.

    ``score`` is the mean over ``n_sessions`` sessions of the session domain means;
    ``trend`` the change per 30 days. Each is a reliability-style ``Estimate`` (``ci95``
    None with the reason in ``ci_method`` when too few sessions) or ``NotApplicable``.
    """

    key: str
    title: str
    n_sessions: int
    score: Result
    trend: Result
    min_mean: float | None


@dataclass(frozen=True)
class ItemFeedback:
    """An item for feedback, with the behavioural anchor that describes the trainee's level.

    ``anchor`` is the highest anchor at or below the mean rounded half up (the lowest anchor
    when none is): what the trainee reliably shows. ``next_anchor`` is the anchor above
    it, what growth looks like; None at the top of the anchors.
    """

    key: str
    title: str
    domain_key: str
    mean: float
    n_sessions: int
    anchor_score: int
    anchor: str
    next_anchor_score: int | None
    next_anchor: str | None


@dataclass(frozen=True)
class ReadinessResult:
    """A trainee's readiness: the decision, why, and what it rests on.

    ``missing`` lists the evidence still needed, ``unmet`` every unmet rule (both whatever
    the decision), ``notes`` what an admin should look at without it changing the decision
    (unconfirmed harm flags). ``evidence_sha256`` digests every score, flag and
    confirmation the result was computed from, so a stored snapshot shows whether ratings
    were amended since.
    """

    decision: Decision
    missing: tuple[str, ...]
    unmet: tuple[str, ...]
    notes: tuple[str, ...]
    sessions: tuple[SessionAssessment, ...]
    domains: tuple[DomainSummary, ...]
    strengths: tuple[ItemFeedback, ...]
    growth_areas: tuple[ItemFeedback, ...]
    reliability: Result | None
    evidence_sha256: str

    @property
    def reasons(self) -> tuple[str, ...]:
        """What the decision rests on: the missing evidence, else the unmet rules."""
        if self.decision is Decision.insufficient_evidence:
            return self.missing
        return self.unmet

    @property
    def n_uncertified_ratings(self) -> int:
        """Ratings of the evidence whose rater is not certified (informational)."""
        return sum(s.n_uncertified_ratings for s in self.sessions)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data; floats are kept exact (JSON round-trips them)."""
        return {
            "decision": self.decision.value,
            "missing": list(self.missing),
            "unmet": list(self.unmet),
            "notes": list(self.notes),
            "sessions": [_session_json(s) for s in self.sessions],
            "domains": [
                {
                    "key": d.key,
                    "title": d.title,
                    "n_sessions": d.n_sessions,
                    "score": _result_json(d.score),
                    "trend": _result_json(d.trend),
                    "min_mean": d.min_mean,
                }
                for d in self.domains
            ],
            "strengths": [_feedback_json(f) for f in self.strengths],
            "growth_areas": [_feedback_json(f) for f in self.growth_areas],
            "reliability": None if self.reliability is None else _result_json(self.reliability),
            "evidence_sha256": self.evidence_sha256,
            "n_uncertified_ratings": self.n_uncertified_ratings,
        }


# --------------------------------------------------------------------------------------
# Entry points


def assess_readiness(
    rubric: RubricDocument,
    sessions: Sequence[SessionEvidence],
    reliability: Result | None = None,
    *,
    top_k: int = 3,
) -> ReadinessResult:
    """One trainee's readiness under ``rubric.readiness``.

    ``reliability`` is the agreement of this evidence's raters, computed by the caller with
    the coefficient the policy names (ICC2k for the flagship rubric); None means it was not
    computed, which is missing evidence, never a pass. ``top_k`` items are returned as
    strengths and as growth areas.
    """
    arrays = EvidenceArrays.from_sessions(rubric, [sessions])
    return assess_many(rubric, arrays, [reliability], top_k=top_k)[0]


def assess_many(
    rubric: RubricDocument,
    evidence: EvidenceArrays,
    reliability: Sequence[Result | None],
    *,
    top_k: int = 3,
) -> list[ReadinessResult]:
    """Every trainee's readiness at once, vectorised over item scores; ``reliability[t]``
    belongs to trainee ``t``. Equal to :func:`assess_readiness` trainee by trainee."""
    if len(reliability) != evidence.n_trainees:
        raise ValueError(
            f"{len(reliability)} reliability results for {evidence.n_trainees} trainees"
        )
    if top_k < 0:
        raise ValueError(f"top_k must be at least 0, not {top_k}")
    return _Assessment(rubric, evidence).results(reliability, top_k)


# --------------------------------------------------------------------------------------
# Snapshot


def snapshot(
    rubric: RubricDocument, result: ReadinessResult, *, rubric_sha256: str | None = None
) -> dict[str, Any]:
    """The stored form of a decision: its inputs, the policy and the result, as JSON data.

    The inputs name the rubric version by its content hash (``content_sha256``, computed
    when not given), the sessions with their sorted rating ids and admin confirmations,
    the digest of the evidence and the reliability estimate. Recomputing from the same
    inputs gives an equal snapshot, and so an equal :func:`fingerprint`.
    """
    return {
        "format": SNAPSHOT_FORMAT,
        "inputs": {
            "rubric": {
                "id": rubric.id,
                "version": rubric.version,
                "sha256": content_sha256(rubric) if rubric_sha256 is None else rubric_sha256,
            },
            "sessions": [
                {
                    "session_id": s.session_id,
                    "rating_ids": list(s.rating_ids),
                    "admin_confirmed_harm": [h.item_key for h in s.harm if h.admin_confirmed],
                }
                for s in result.sessions
            ],
            "rating_ids": sorted(r for s in result.sessions for r in s.rating_ids),
            "evidence_sha256": result.evidence_sha256,
            "reliability": None if result.reliability is None else _result_json(result.reliability),
        },
        "policy": rubric.readiness.model_dump(mode="json"),
        "result": result.to_json(),
    }


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the exact bytes a fingerprint is taken of.

    >>> canonical_json({"b": [1.5, None], "a": "é"})
    '{"a":"é","b":[1.5,null]}'
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def fingerprint(data: Any) -> str:
    """SHA-256 of the canonical JSON: equal snapshots, equal fingerprints."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# The vectorised computation


class _Assessment:
    """All sessions of all trainees as dense (item x session) arrays, in canonical order.

    Sessions are sorted by (trainee, date, id) and ratings by (session, rating id). Each
    item score is scattered into a dense (rating x item) table, whose sums per session are
    sums of whole numbers and so exact, whatever order the rows came in; everything after
    runs in the canonical order, which is what makes a batch equal to one trainee at a time.
    """

    def __init__(self, rubric: RubricDocument, ev: EvidenceArrays) -> None:
        _validate(rubric, ev)
        self.rubric = rubric
        self.items = rubric.items
        self.rule = rubric.readiness.session_rule
        self.program = rubric.readiness.program_rule
        self.n_trainees = ev.n_trainees
        n_items = len(self.items)
        n_sessions, n_ratings = ev.session_id.size, ev.rating_id.size

        order = np.lexsort((ev.session_id, ev.session_day, ev.session_trainee))
        pos = np.empty(n_sessions, np.int64)
        pos[order] = np.arange(n_sessions)
        self.trainee = ev.session_trainee[order]
        self.session_id = ev.session_id[order]
        self.day = ev.session_day[order]
        self.phase = ev.session_phase[order]
        self.bounds = np.searchsorted(self.trainee, np.arange(self.n_trainees + 1))

        r_session = pos[ev.rating_session]
        r_order = np.lexsort((ev.rating_id, r_session))
        r_pos = np.empty(n_ratings, np.int64)
        r_pos[r_order] = np.arange(n_ratings)
        self.rating_id = ev.rating_id[r_order]
        self.rater_id = ev.rater_id[r_order]
        self.certified = ev.rating_certified[r_order]
        self.n_raters = np.bincount(r_session, minlength=n_sessions)
        self.n_certified = np.bincount(r_session[ev.rating_certified], minlength=n_sessions)
        self.rating_bounds = np.concatenate([[0], np.cumsum(self.n_raters)])
        by_rater = np.lexsort((self.rater_id, r_session[r_order]))
        twice = (np.diff(r_session[r_order][by_rater]) == 0) & (
            np.diff(self.rater_id[by_rater]) == 0
        )
        if twice.any():
            r = int(r_order[by_rater[1:][twice][0]])
            raise ValueError(
                f"rater {int(ev.rater_id[r])} rated session "
                f"{int(ev.session_id[ev.rating_session[r]])} more than once"
            )

        # One row per rating, one column per item: the score minus the scale minimum,
        # _NOT_APPLICABLE or _ABSENT. An extra all-absent row gives np.add.reduceat a row
        # to start at for trailing sessions without ratings (their sums are zeroed anyway).
        cell = r_pos[ev.score_rating] * n_items + ev.score_item
        per_cell = np.bincount(cell, minlength=n_ratings * n_items)
        if per_cell.size and per_cell.max() > 1:
            first = int(np.argmax(per_cell > 1))
            raise ValueError(
                f"rating {int(self.rating_id[first // n_items])} scores "
                f"{self.items[first % n_items].key} more than once"
            )
        low = rubric.scale.min
        codes = np.full((n_ratings + 1) * n_items, _ABSENT, np.int64)
        codes[cell] = np.where(np.isnan(ev.score), _NOT_APPLICABLE, ev.score - low)
        harm = np.zeros((n_ratings + 1) * n_items, np.bool_)
        harm[cell] = ev.harm_flag
        self.codes = codes.reshape(n_ratings + 1, n_items)
        self.rating_harm = harm.reshape(n_ratings + 1, n_items)

        scored = self.codes >= 0
        starts = self.rating_bounds[:-1]
        empty = self.n_raters == 0

        def per_session(x: NDArray[Any]) -> IntArray:
            if not n_sessions:
                return np.zeros((n_items, 0), np.int64)
            total = np.add.reduceat(x, starts, axis=0, dtype=np.int64)
            total[empty] = 0
            return np.ascontiguousarray(total.T)

        self.count = per_session(scored)
        self.sums = per_session(np.where(scored, self.codes, 0)) + low * self.count
        self.flags = per_session(self.rating_harm)
        admin = np.zeros(n_items * n_sessions, np.bool_)
        admin[ev.confirmed_item * n_sessions + pos[ev.confirmed_session]] = True
        self.admin = admin.reshape(n_items, n_sessions)
        self._session_rule()

    # ---- session level ---------------------------------------------------------------

    def _session_rule(self) -> None:
        rule, items = self.rule, self.items
        n_sessions = self.day.size
        applies = self.count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            self.item_score = self.sums / self.count  # NaN where nobody scored the item
        # Weighted means accumulated item by item: one fixed order, whatever the batch.
        num, den = np.zeros(n_sessions), np.zeros(n_sessions)
        domain_num = np.zeros((len(self.rubric.domains), n_sessions))
        domain_den = np.zeros_like(domain_num)
        self.domain_of = np.empty(len(items), np.int64)
        i = 0
        for d, domain in enumerate(self.rubric.domains):
            for item in domain.items:
                weighted = np.where(applies[i], item.weight * self.item_score[i], 0.0)
                weight = item.weight * applies[i]
                num += weighted
                den += weight
                domain_num[d] += weighted
                domain_den[d] += weight
                self.domain_of[i] = d
                i += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean = num / den  # NaN where no item was scored
            self.domain_mean = domain_num / domain_den

        self.rated = self.n_raters > 0
        self.mean_ok = self.mean >= rule.min_mean - EPS
        self.below_item = applies & (self.sums < rule.min_item * self.count)
        self.below_minimum = np.zeros_like(applies)
        self.minimum = np.zeros(len(items), np.int64)
        for key, minimum in rule.item_minimums.items():
            i = next(j for j, item in enumerate(items) if item.key == key)
            self.minimum[i] = minimum
            self.below_minimum[i] = applies[i] & (self.sums[i] < minimum * self.count[i])
        self.gates = np.array([i for i, item in enumerate(items) if item.safety_gate], np.int64)
        self.below_gate = np.zeros_like(applies)
        self.below_gate[self.gates] = applies[self.gates] & (
            self.sums[self.gates] < rule.min_safety_gate * self.count[self.gates]
        )
        self.confirmed = (self.flags >= 2) | self.admin
        harm_fails = (
            np.zeros(n_sessions, np.bool_) if rule.allow_confirmed_harm else self.confirmed.any(0)
        )
        self.competent = (
            self.rated
            & self.mean_ok
            & ~self.below_item.any(0)
            & ~self.below_minimum.any(0)
            & ~self.below_gate.any(0)
            & ~harm_fails
        )

    def _session_failures(self) -> dict[int, list[str]]:
        """Per failing session, every unmet part of the session rule, in the rule's order."""
        rule, items = self.rule, self.items
        failures: dict[int, list[str]] = {}
        for s in np.flatnonzero(~self.rated).tolist():
            failures.setdefault(s, []).append("no rating")
        no_score = self.rated & np.isnan(self.mean)
        for s in np.flatnonzero(no_score).tolist():
            failures.setdefault(s, []).append("no item scored")
        low = np.flatnonzero(self.rated & ~no_score & ~self.mean_ok)
        for s, m in zip(low.tolist(), self.mean[low].tolist(), strict=True):
            failures.setdefault(s, []).append("mean " + _below(m, rule.min_mean, 1))
        n_items = len(items)
        checks: tuple[tuple[BoolArray, str, list[int]], ...] = (
            (self.below_item, "item score", [rule.min_item] * n_items),
            (self.below_minimum, "item minimum", self.minimum.tolist()),
            (self.below_gate, "safety gate", [rule.min_safety_gate] * n_items),
        )
        for below, label, thresholds in checks:
            s_idx, i_idx = np.nonzero(below.T)
            values = self.item_score[i_idx, s_idx].tolist()
            for s, i, v in zip(s_idx.tolist(), i_idx.tolist(), values, strict=True):
                failures.setdefault(s, []).append(
                    f"{items[i].key} {label} {_below(v, thresholds[i], 0)}"
                )
        if not rule.allow_confirmed_harm:
            for s, i, by in self._harm(self.confirmed):
                failures.setdefault(s, []).append(f"confirmed harm flag on {items[i].key} ({by})")
        return failures

    def _harm(self, which: BoolArray) -> list[tuple[int, int, str]]:
        """(session, item, who flagged) for the cells of ``which``, by session then item."""
        s_idx, i_idx = np.nonzero(which.T)
        raters = self.flags[i_idx, s_idx].tolist()
        admin = self.admin[i_idx, s_idx].tolist()
        return [
            (s, i, HarmFlag("", n, a).by)
            for s, i, n, a in zip(s_idx.tolist(), i_idx.tolist(), raters, admin, strict=True)
        ]

    # ---- trainee level ---------------------------------------------------------------

    def results(self, reliability: Sequence[Result | None], top_k: int) -> list[ReadinessResult]:
        n_t, n_p = self.n_trainees, len(PHASES)
        trainee, rated = self.trainee, self.rated
        program = self.program
        phase_key = trainee * n_p + self.phase
        self.n_rated = np.bincount(trainee[rated], minlength=n_t)
        self.rated_in = np.bincount(phase_key[rated], minlength=n_t * n_p).reshape(n_t, n_p)
        self.competent_in = np.bincount(phase_key[self.competent], minlength=n_t * n_p).reshape(
            n_t, n_p
        )
        need = program.min_raters_per_session
        few = self.n_raters < need
        self.few_raters = np.bincount(
            trainee[few] * need + self.n_raters[few], minlength=n_t * need
        ).reshape(n_t, need)
        rated_idx = np.flatnonzero(rated)
        latest = np.full(n_t * n_p, -1, np.int64)
        np.maximum.at(latest, phase_key[rated_idx], rated_idx)
        self.latest = latest
        self._domains()
        self._items()

        sessions = self._session_objects(self._session_failures())
        unmet = self._unmet()
        missing = self._missing(reliability)
        notes: list[list[str]] = [[] for _ in range(n_t)]
        for s, i, _ in self._harm((self.flags == 1) & ~self.admin):
            notes[int(self.trainee[s])].append(
                f"unconfirmed harm flag on {self.items[i].key} (1 rater) in {self._where(s)}: "
                "it counts once a second rater flags it or an admin confirms it"
            )
        domains = self._domain_summaries()
        strengths, growth = self._feedback(top_k)
        digests = self._digests()
        bounds = self.bounds.tolist()
        out = []
        for t in range(n_t):
            decision = (
                Decision.insufficient_evidence
                if missing[t]
                else Decision.not_yet
                if unmet[t]
                else Decision.ready
            )
            out.append(
                ReadinessResult(
                    decision=decision,
                    missing=tuple(missing[t]),
                    unmet=tuple(unmet[t]),
                    notes=tuple(notes[t]),
                    sessions=tuple(sessions[bounds[t] : bounds[t + 1]]),
                    domains=domains[t],
                    strengths=strengths[t],
                    growth_areas=growth[t],
                    reliability=reliability[t],
                    evidence_sha256=digests[t],
                )
            )
        return out

    def _where(self, s: int) -> str:
        """A session as messages name it: ``medication session 17 on 2025-03-04``."""
        return (
            f"{PHASES[self.phase[s]].value} session {int(self.session_id[s])} on "
            f"{date.fromordinal(int(self.day[s])).isoformat()}"
        )

    def _domains(self) -> None:
        """Per domain and trainee: mean over sessions, its t interval, and the OLS trend.

        Each trainee's sums run over their sessions in date order (np.bincount adds in input
        order), so a trainee's figures do not depend on who else is in the batch.
        """
        n_t, n_d = self.n_trainees, len(self.rubric.domains)
        self.d_n = np.zeros((n_d, n_t), np.int64)
        self.d_stats = np.full((6, n_d, n_t), np.nan)  # mean, sd, se, slope, slope se, Sxx
        first_day = np.zeros(n_t, np.int64)
        has_sessions = self.bounds[:-1] < self.bounds[1:]
        first_day[has_sessions] = self.day[self.bounds[:-1][has_sessions]]
        for d in range(n_d):
            idx = np.flatnonzero(self.rated & ~np.isnan(self.domain_mean[d]))
            tt = self.trainee[idx]
            y = self.domain_mean[d, idx]
            n = np.bincount(tt, minlength=n_t)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.bincount(tt, y, minlength=n_t) / n
                dev = y - mean[tt]
                sd = np.sqrt(np.bincount(tt, dev * dev, minlength=n_t) / (n - 1))
                x = (self.day[idx] - first_day[tt]).astype(np.float64)
                dx = x - (np.bincount(tt, x, minlength=n_t) / n)[tt]
                sxx = np.bincount(tt, dx * dx, minlength=n_t)
                slope = np.bincount(tt, dx * dev, minlength=n_t) / sxx
                resid = dev - slope[tt] * dx
                rss = np.bincount(tt, resid * resid, minlength=n_t)
                self.d_stats[:, d] = (
                    mean,
                    sd,
                    sd / np.sqrt(n),
                    slope,
                    np.sqrt(rss / (n - 2) / sxx),
                    sxx,
                )
            self.d_n[d] = n

    def _domain_summaries(self) -> list[tuple[DomainSummary, ...]]:
        n_d = len(self.rubric.domains)
        n = self.d_n.tolist()
        mean, sd, se, slope, slope_se, sxx = (a.tolist() for a in self.d_stats)
        df = np.maximum(self.d_n, 3)
        q_mean = stdtrit(df - 1, _Q).tolist()
        q_slope = stdtrit(df - 2, _Q).tolist()
        minimums = [self.program.domain_min_mean.get(d.key) for d in self.rubric.domains]
        return [
            tuple(
                DomainSummary(
                    key=domain.key,
                    title=domain.title,
                    n_sessions=n[d][t],
                    score=_mean_estimate(
                        domain.key, n[d][t], mean[d][t], sd[d][t], se[d][t], q_mean[d][t]
                    ),
                    trend=_trend_estimate(
                        domain.key, n[d][t], slope[d][t], slope_se[d][t], sxx[d][t], q_slope[d][t]
                    ),
                    min_mean=minimums[d],
                )
                for d, domain in zip(range(n_d), self.rubric.domains, strict=True)
            )
            for t in range(self.n_trainees)
        ]

    def _items(self) -> None:
        """Per trainee and item: the mean over sessions of the rater-averaged item score."""
        n_t, n_i = self.n_trainees, len(self.items)
        applies = self.count > 0
        key = (self.trainee[None, :] * n_i + np.arange(n_i)[:, None])[applies]
        self.i_n = np.bincount(key, minlength=n_t * n_i).reshape(n_t, n_i)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.i_mean = (
                np.bincount(key, self.item_score[applies], minlength=n_t * n_i).reshape(n_t, n_i)
                / self.i_n
            )

    def _unmet(self) -> list[list[str]]:
        """Per trainee, every unmet program rule: safety first, then phases and domains."""
        rule, program, items = self.rule, self.program, self.items
        n_t, n_p = self.n_trainees, len(PHASES)
        gate = rule.min_safety_gate
        unmet: list[list[str]] = [[] for _ in range(n_t)]
        if not rule.allow_confirmed_harm:
            for s, i, by in self._harm(self.confirmed):
                unmet[int(self.trainee[s])].append(
                    f"confirmed harm flag on {items[i].key} ({by}) in {self._where(s)}"
                )
        # The latest session of each phase: the keys t*P+p ascend, so phases come in order.
        keys = np.flatnonzero(self.latest >= 0)
        latest = self.latest[keys]
        k_idx, i_idx = np.nonzero(self.below_gate[:, latest].T)
        for k, i in zip(k_idx.tolist(), i_idx.tolist(), strict=True):
            s = int(latest[k])
            value = _below(float(self.item_score[i, s]), gate, 0)
            unmet[int(keys[k]) // n_p].append(
                f"{items[i].key} safety gate {value} in the latest {self._where(s)}"
            )
        gate_low = (self.i_n[:, self.gates] > 0) & ~(self.i_mean[:, self.gates] >= gate - EPS)
        for t, g in zip(*(a.tolist() for a in np.nonzero(gate_low)), strict=True):
            i = int(self.gates[g])
            n = int(self.i_n[t, i])
            value = _below(float(self.i_mean[t, i]), gate, 0)
            unmet[t].append(f"{items[i].key} safety gate mean {value} over {n} session{_s(n)}")
        needed = program.min_competent_sessions_per_phase
        required = [PHASES.index(phase) for phase in program.required_phases]
        short = (self.rated_in[:, required] > 0) & (self.competent_in[:, required] < needed)
        for t, r in zip(*(a.tolist() for a in np.nonzero(short)), strict=True):
            p = required[r]
            rated, competent = int(self.rated_in[t, p]), int(self.competent_in[t, p])
            unmet[t].append(
                f"{competent} competent {PHASES[p].value} session{_s(competent)} < "
                f"{needed} required ({rated} rated)"
            )
        for d, domain in enumerate(self.rubric.domains):
            minimum = program.domain_min_mean.get(domain.key)
            if minimum is None:
                continue
            mean = self.d_stats[0, d]
            for t in np.flatnonzero((self.d_n[d] > 0) & ~(mean >= minimum - EPS)).tolist():
                n = int(self.d_n[d, t])
                unmet[t].append(
                    f"{domain.key}. {domain.title} mean "
                    f"{_below(float(mean[t]), minimum, 1)} over {n} session{_s(n)}"
                )
        return unmet

    def _missing(self, reliability: Sequence[Result | None]) -> list[list[str]]:
        program = self.program
        need = program.min_raters_per_session
        required = [(phase, PHASES.index(phase)) for phase in program.required_phases]
        with_minimum = [
            (d, domain)
            for d, domain in enumerate(self.rubric.domains)
            if domain.key in program.domain_min_mean
        ]
        n_rated = self.n_rated.tolist()
        rated_in = self.rated_in.tolist()
        few_raters = self.few_raters.tolist()
        d_n = self.d_n.tolist()
        out = []
        for t in range(self.n_trainees):
            missing: list[str] = []
            rated = n_rated[t]
            if rated < program.min_sessions:
                missing.append(
                    f"{rated} rated session{_s(rated)} < {program.min_sessions} required"
                )
            missing.extend(
                f"no rated {ph.value} session" for ph, p in required if not rated_in[t][p]
            )
            missing.extend(
                _few_raters(count, n, need) for n, count in enumerate(few_raters[t]) if count
            )
            missing.extend(
                f"no scored item in {domain.key}. {domain.title}"
                for d, domain in with_minimum
                if not d_n[d][t]
            )
            missing.extend(_reliability_missing(program.min_reliability, reliability[t]))
            out.append(missing)
        return out

    def _session_objects(self, failures: dict[int, list[str]]) -> list[SessionAssessment]:
        keys = [domain.key for domain in self.rubric.domains]
        harm: dict[int, list[HarmFlag]] = {}
        s_idx, i_idx = np.nonzero(((self.flags > 0) | self.admin).T)
        for s, i in zip(s_idx.tolist(), i_idx.tolist(), strict=True):
            harm.setdefault(s, []).append(
                HarmFlag(self.items[i].key, int(self.flags[i, s]), bool(self.admin[i, s]))
            )
        # Domain means as dicts without their NaNs, built per pattern of scored domains.
        present = ~np.isnan(self.domain_mean)
        pattern = (present * (1 << np.arange(len(keys)))[:, None]).sum(axis=0)
        domain_means: list[dict[str, float]] = [{}] * self.day.size
        for code in np.unique(pattern).tolist():
            cols = np.flatnonzero(pattern == code)
            rows = np.flatnonzero(present[:, cols[0]])
            names = [keys[d] for d in rows.tolist()]
            for s, values in zip(
                cols.tolist(), self.domain_mean[np.ix_(rows, cols)].T.tolist(), strict=True
            ):
                domain_means[s] = dict(zip(names, values, strict=True))
        dates = {day: date.fromordinal(day) for day in np.unique(self.day).tolist()}
        rating_ids = self.rating_id.tolist()
        certified = self.certified.tolist()
        bounds = self.rating_bounds.tolist()
        return [
            SessionAssessment(
                session_id=sid,
                session_date=dates[day],
                phase=PHASES[phase],
                rating_ids=tuple(rating_ids[bounds[s] : bounds[s + 1]]),
                rater_certified=tuple(certified[bounds[s] : bounds[s + 1]]),
                n_raters=n,
                n_certified_raters=n_cert,
                mean=None if mean != mean else mean,
                domain_means=domain_means[s],
                competent=competent,
                failures=tuple(failures.get(s, ())),
                harm=tuple(harm.get(s, ())),
            )
            for s, (sid, day, phase, n, n_cert, mean, competent) in enumerate(
                zip(
                    self.session_id.tolist(),
                    self.day.tolist(),
                    self.phase.tolist(),
                    self.n_raters.tolist(),
                    self.n_certified.tolist(),
                    self.mean.tolist(),
                    self.competent.tolist(),
                    strict=True,
                )
            )
        ]

    def _feedback(
        self, top_k: int
    ) -> tuple[list[tuple[ItemFeedback, ...]], list[tuple[ItemFeedback, ...]]]:
        """Top and bottom items by mean, ties in rubric order; an item is never both."""
        n_i = len(self.items)
        scored = self.i_n > 0
        rubric_order = np.broadcast_to(np.arange(n_i), scored.shape)
        best_first = np.lexsort((rubric_order, np.where(scored, -self.i_mean, np.inf)), axis=1)
        worst_first = np.lexsort((rubric_order, np.where(scored, self.i_mean, np.inf)), axis=1)
        n_scored = scored.sum(axis=1).tolist()
        means, counts = self.i_mean.tolist(), self.i_n.tolist()
        cache: dict[tuple[int, float, int], ItemFeedback] = {}

        def feedback(t: int, i: int) -> ItemFeedback:
            key = (i, means[t][i], counts[t][i])
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._item_feedback(*key)
            return found

        strengths, growth = [], []
        for t, (best, worst) in enumerate(
            zip(best_first.tolist(), worst_first.tolist(), strict=True)
        ):
            top = best[: min(top_k, n_scored[t])]
            bottom = [i for i in worst[: n_scored[t]] if i not in top][:top_k]
            strengths.append(tuple(feedback(t, i) for i in top))
            growth.append(tuple(feedback(t, i) for i in bottom))
        return strengths, growth

    def _item_feedback(self, i: int, mean: float, n: int) -> ItemFeedback:
        item = self.items[i]
        anchor, following = _anchors(tuple(sorted(item.anchors)), mean)
        return ItemFeedback(
            key=item.key,
            title=item.title,
            domain_key=self.rubric.domains[int(self.domain_of[i])].key,
            mean=mean,
            n_sessions=n,
            anchor_score=anchor,
            anchor=item.anchors[anchor],
            next_anchor_score=following,
            next_anchor=None if following is None else item.anchors[following],
        )

    def _digests(self) -> list[str]:
        """Per trainee, SHA-256 of their canonical evidence tables, little-endian int64:
        sessions (id, day, phase, raters), ratings (id, rater, certified), the rating x item
        codes (score minus scale minimum, -1 not applicable, -2 absent), the rating x item
        harm flags and the session x item admin confirmations (one byte each)."""
        sessions = np.stack([self.session_id, self.day, self.phase, self.n_raters], 1)
        sessions = sessions.astype("<i8")
        ratings = np.stack([self.rating_id, self.rater_id, self.certified], 1).astype("<i8")
        codes = self.codes.astype("<i8")
        harm = self.rating_harm.view(np.uint8)
        admin = np.ascontiguousarray(self.admin.T).view(np.uint8)
        bounds, rating_bounds = self.bounds.tolist(), self.rating_bounds.tolist()
        out = []
        for t in range(self.n_trainees):
            lo, hi = bounds[t], bounds[t + 1]
            r_lo, r_hi = rating_bounds[lo], rating_bounds[hi]
            h = hashlib.sha256(b"guiding-hand readiness evidence v1\n")
            for part in (sessions[lo:hi], ratings[r_lo:r_hi], codes[r_lo:r_hi]):
                h.update(part.tobytes())
            h.update(harm[r_lo:r_hi].tobytes())
            h.update(admin[lo:hi].tobytes())
            out.append(h.hexdigest())
        return out


# --------------------------------------------------------------------------------------
# Helpers


def _validate(rubric: RubricDocument, ev: EvidenceArrays) -> None:
    """Reject evidence that cannot be one rubric version's ratings, naming what is wrong."""
    n_s, n_r, n_i = ev.session_id.size, ev.rating_id.size, len(rubric.items)
    tables = {
        "session": (ev.session_trainee, ev.session_id, ev.session_day, ev.session_phase),
        "rating": (ev.rating_session, ev.rating_id, ev.rater_id, ev.rating_certified),
        "score": (ev.score_rating, ev.score_item, ev.score, ev.harm_flag),
        "confirmed": (ev.confirmed_session, ev.confirmed_item),
    }
    for name, columns in tables.items():
        if len({c.shape for c in columns}) != 1 or columns[0].ndim != 1:
            raise ValueError(f"the {name} arrays must be 1-D and of equal length")
    ranges = (
        ("session_trainee", ev.session_trainee, ev.n_trainees),
        ("session_phase", ev.session_phase, len(PHASES)),
        ("rating_session", ev.rating_session, n_s),
        ("score_rating", ev.score_rating, n_r),
        ("score_item", ev.score_item, n_i),
        ("confirmed_session", ev.confirmed_session, n_s),
        ("confirmed_item", ev.confirmed_item, n_i),
    )
    for name, values, bound in ranges:
        if values.size and (values.min() < 0 or values.max() >= bound):
            raise ValueError(f"{name} must index 0..{bound - 1}")
    if np.unique(ev.rating_id).size != n_r:
        raise ValueError("rating ids must be unique")
    key = np.stack([ev.session_trainee, ev.session_id], axis=1)
    if np.unique(key, axis=0).shape[0] != n_s:
        raise ValueError("a trainee's session ids must be unique")
    scored = ev.score[~np.isnan(ev.score)]
    low, high = rubric.scale.min, rubric.scale.max
    if scored.size and (
        scored.min() < low or scored.max() > high or (scored != np.round(scored)).any()
    ):
        raise ValueError(f"scores must be whole numbers on the scale {low}..{high}")


def _mean_estimate(key: str, n: int, mean: float, sd: float, se: float, q: float) -> Result:
    name = f"{key} session mean"
    if n == 0:
        return NotApplicable(name, "no session scored an item of this domain")
    if n == 1:
        return Estimate(
            name,
            mean,
            None,
            "needs at least 2 sessions for an interval; 1 has a score",
            details={"n_sessions": 1},
        )
    half = q * se
    return Estimate(
        name, mean, (mean - half, mean + half), _MEAN_CI, se, {"n_sessions": n, "sd": sd}
    )


def _trend_estimate(key: str, n: int, slope: float, se: float, sxx: float, q: float) -> Result:
    name = f"{key} trend per {TREND_DAYS} days"
    if n < 2:
        return NotApplicable(name, f"needs at least 2 sessions on different days; {n} scored")
    if not sxx > 0:
        return NotApplicable(name, f"all {n} sessions are on the same day: no time to trend over")
    value = TREND_DAYS * slope
    if n == 2:
        return Estimate(
            name,
            value,
            None,
            "needs at least 3 sessions for an interval; 2 have a score",
            details={"n_sessions": 2},
        )
    se30 = TREND_DAYS * se
    half = q * se30
    return Estimate(name, value, (value - half, value + half), _TREND_CI, se30, {"n_sessions": n})


def _reliability_missing(required: ReliabilityRequirement, reliability: Result | None) -> list[str]:
    wanted = required.coefficient.value
    if reliability is None:
        return [f"reliability of this evidence {wanted} was not computed"]
    if reliability.name != wanted:
        return [
            f"reliability of this evidence is given as {reliability.name}; "
            f"the policy requires {wanted}"
        ]
    if isinstance(reliability, NotApplicable):
        return [f"reliability of this evidence {wanted} cannot be estimated: {reliability.reason}"]
    if not reliability.value >= required.value - EPS:
        shown = _below(reliability.value, required.value, 2)
        return [f"reliability of this evidence {wanted} = {shown}"]
    return []


def _few_raters(count: int, n_raters: int, required: int) -> str:
    """
    >>> _few_raters(2, 1, 2), _few_raters(1, 0, 2)
    ('2 sessions have a single rater', '1 session has no rater')
    >>> _few_raters(1, 2, 3)
    '1 session has 2 raters < 3 required'
    """
    verb = "has" if count == 1 else "have"
    subject = f"{count} session{_s(count)} {verb}"
    if n_raters == 0:
        return f"{subject} no rater"
    if n_raters == 1:
        return f"{subject} a single rater"
    return f"{subject} {n_raters} raters < {required} required"


def _anchors(anchors: tuple[int, ...], mean: float) -> tuple[int, int | None]:
    """The anchor at the trainee's level and the one above it (see ``ItemFeedback``).

    >>> [_anchors((0, 2, 4, 6), m) for m in (3.4, 3.5, 6.0, 0.2)]
    [(2, 4), (4, 6), (6, None), (0, 2)]
    >>> _anchors((1, 3, 5), 0.2)
    (1, 3)
    """
    level = math.floor(mean + 0.5)
    at = [a for a in anchors if a <= level]
    anchor = at[-1] if at else anchors[0]
    above = [a for a in anchors if a > anchor]
    return anchor, (above[0] if above else None)


@lru_cache(maxsize=4096)
def _below(value: float, threshold: float, decimals: int) -> str:
    """``"value < threshold"`` with enough digits that the shown value is below the shown
    threshold; ``decimals`` is the least shown (1 for means, 0 for item scores).

    >>> _below(2.6, 3.0, 1), _below(2.5, 3, 0), _below(2.0, 2.5, 1), _below(2.96, 3.0, 1)
    ('2.6 < 3.0', '2.5 < 3', '2.0 < 2.5', '2.96 < 3.0')
    >>> _below(2.9999, 3.0, 1), _below(8 / 3, 3, 0), _below(0.52, 0.7, 2)
    ('2.9999 < 3.0', '2.67 < 3', '0.52 < 0.70')
    """
    shown = _number(threshold, decimals, 6) if isinstance(threshold, float) else str(threshold)
    places = 2
    text = _number(value, decimals, places)
    while float(text) >= float(shown) and places < 15:
        places += 1
        text = _number(value, decimals, places)
    return f"{text} < {shown}"


def _number(x: float, least: int, most: int) -> str:
    """``x`` to ``most`` decimals, trailing zeros dropped down to ``least`` decimals.

    >>> _number(3.0, 1, 6), _number(2.25, 0, 2), _number(2.0, 0, 2), _number(0.7, 2, 6)
    ('3.0', '2.25', '2', '0.70')
    """
    text = f"{x:.{most}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(least, "0")
    return f"{whole}.{fraction}" if fraction else whole


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _result_json(r: Result) -> dict[str, Any]:
    if isinstance(r, NotApplicable):
        return {"name": r.name, "not_applicable": r.reason}
    return {
        "name": r.name,
        "value": r.value,
        "ci95": None if r.ci95 is None else list(r.ci95),
        "ci_method": r.ci_method,
        "se": r.se,
        "details": dict(r.details),
    }


def _session_json(s: SessionAssessment) -> dict[str, Any]:
    return {
        "session_id": s.session_id,
        "date": s.session_date.isoformat(),
        "phase": s.phase.value,
        "rating_ids": list(s.rating_ids),
        "ratings": [
            {"rating_id": r, "rater_certified": c}
            for r, c in zip(s.rating_ids, s.rater_certified, strict=True)
        ],
        "n_raters": s.n_raters,
        "n_certified_raters": s.n_certified_raters,
        "n_uncertified_ratings": s.n_uncertified_ratings,
        "mean": s.mean,
        "domain_means": dict(s.domain_means),
        "competent": s.competent,
        "failures": list(s.failures),
        "harm": [
            {"item_key": h.item_key, "raters": h.raters, "admin_confirmed": h.admin_confirmed}
            for h in s.harm
        ],
    }


def _feedback_json(f: ItemFeedback) -> dict[str, Any]:
    return {
        "key": f.key,
        "title": f.title,
        "domain_key": f.domain_key,
        "mean": f.mean,
        "n_sessions": f.n_sessions,
        "anchor_score": f.anchor_score,
        "anchor": f.anchor,
        "next_anchor_score": f.next_anchor_score,
        "next_anchor": f.next_anchor,
    }
