"""Readiness of a program's trainees: evidence from the database, rules from the domain.

The evidence of a trainee is every session of theirs pinned to one rubric version whose
assigned ratings are all in (a half-rated session is not evidence yet, and leaving it out
keeps a pending rater blind to their peers). A trainee reading their own readiness sees
only released sessions, as with their feedback. One set-based query serves any number of
trainees; nothing here runs a query per trainee or per session.

The reliability of a trainee's evidence is ICC2k over the units (session, item), with the
session's ratings as columns in submission order. Sessions are rated by different raters,
so a column is a rating slot rather than one person; ICC2k on slots treats that spread as
rater variance, which errs towards a lower, more cautious figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    HarmConfirmation,
    ItemScore,
    Membership,
    Program,
    Rating,
    ReadinessDecision,
    RecordedSession,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.readiness import (
    PHASES,
    EvidenceArrays,
    ReadinessResult,
    assess_many,
    fingerprint,
    snapshot,
)
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.icc import icc
from app.domain.reliability.results import NotApplicable, Result
from app.domain.rubrics.model import RubricDocument
from app.domain.vocabulary import AssignmentStatus, RatingStatus, Role
from app.services.audit import record_event
from app.services.errors import InvalidInputError, NotFoundError
from app.services.evidence import current_version, session_complete
from app.services.ratings import rubric_document

_PHASE_CODE = {phase: i for i, phase in enumerate(PHASES)}


@dataclass(frozen=True)
class TraineeReadiness:
    trainee: User
    version: RubricVersion
    result: ReadinessResult


def _trainees(session: Session, program: Program, ids: Sequence[int] | None) -> list[User]:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.program_id == program.id,
            Membership.role == Role.trainee,
            Membership.active.is_(True),
        )
        .order_by(User.id)
    )
    if ids is not None:
        query = query.where(User.id.in_(list(ids)))
    return list(session.scalars(query).unique())


def _evidence(
    session: Session,
    program: Program,
    version: RubricVersion,
    rubric: RubricDocument,
    trainees: list[User],
    released_only: bool,
) -> tuple[EvidenceArrays, list[Result | None]]:
    conditions = [
        RecordedSession.program_id == program.id,
        RecordedSession.rubric_version_id == version.id,
        RecordedSession.trainee_id.in_([t.id for t in trainees]),
        Assignment.is_master.is_(False),
        Assignment.status == AssignmentStatus.submitted,
        Rating.status == RatingStatus.submitted,
        session_complete(),
    ]
    if released_only:
        conditions.append(RecordedSession.released_at.is_not(None))
    rows = session.execute(
        select(
            RecordedSession.trainee_id,
            RecordedSession.id,
            RecordedSession.session_date,
            RecordedSession.phase,
            Rating.id,
            Assignment.rater_id,
            ItemScore.item_id,
            ItemScore.score,
            ItemScore.harm_flag,
        )
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .where(and_(*conditions))
        .order_by(RecordedSession.id, Rating.id)
    ).all()
    keys = {item.key: i for i, item in enumerate(rubric.items)}
    item_index = {
        item_id: keys[key]
        for item_id, key in session.execute(
            select(RubricItem.id, RubricItem.key).where(RubricItem.rubric_version_id == version.id)
        )
    }
    position = {t.id: i for i, t in enumerate(trainees)}
    sessions: dict[int, int] = {}
    ratings: dict[int, int] = {}
    s_trainee: list[int] = []
    s_id: list[int] = []
    s_day: list[int] = []
    s_phase: list[int] = []
    r_session: list[int] = []
    r_id: list[int] = []
    r_rater: list[int] = []
    sc_rating: list[int] = []
    sc_item: list[int] = []
    sc_score: list[float] = []
    sc_harm: list[bool] = []
    for trainee_id, session_id, day, phase, rating_id, rater_id, item_id, score, harm in rows:
        row = sessions.get(session_id)
        if row is None:
            row = sessions[session_id] = len(s_id)
            s_trainee.append(position[trainee_id])
            s_id.append(session_id)
            s_day.append(day.toordinal())
            s_phase.append(_PHASE_CODE[phase])
        rating_row = ratings.get(rating_id)
        if rating_row is None:
            rating_row = ratings[rating_id] = len(r_id)
            r_session.append(row)
            r_id.append(rating_id)
            r_rater.append(rater_id)
        sc_rating.append(rating_row)
        sc_item.append(item_index[item_id])
        sc_score.append(np.nan if score is None else float(score))
        sc_harm.append(harm)
    confirmed = [
        (session_id, item_id)
        for session_id, item_id in session.execute(
            select(HarmConfirmation.session_id, HarmConfirmation.item_id)
            .join(RecordedSession, RecordedSession.id == HarmConfirmation.session_id)
            .where(
                RecordedSession.program_id == program.id,
                RecordedSession.rubric_version_id == version.id,
            )
        )
        if session_id in sessions
    ]

    def ints(values: Sequence[int]) -> np.ndarray:
        return np.asarray(values, dtype=np.int64)

    arrays = EvidenceArrays(
        n_trainees=len(trainees),
        session_trainee=ints(s_trainee), session_id=ints(s_id), session_day=ints(s_day),
        session_phase=ints(s_phase), rating_session=ints(r_session), rating_id=ints(r_id),
        rater_id=ints(r_rater), rating_certified=np.zeros(len(r_id), dtype=np.bool_),
        score_rating=ints(sc_rating), score_item=ints(sc_item),
        score=np.asarray(sc_score, dtype=np.float64), harm_flag=np.asarray(sc_harm, dtype=np.bool_),
        confirmed_session=ints([sessions[s] for s, _ in confirmed]),
        confirmed_item=ints([item_index[i] for _, i in confirmed]),
    )  # fmt: skip
    return arrays, _reliability(arrays, rubric)


def _reliability(ev: EvidenceArrays, rubric: RubricDocument) -> list[Result | None]:
    """ICC2k of each trainee's evidence, (session, item) units by rating slots."""
    required = rubric.readiness.program_rule.min_reliability.coefficient.value
    if required != "ICC2k":
        return [
            NotApplicable(required, f"{required} of readiness evidence is not computed")
        ] * ev.n_trainees
    n_items = len(rubric.items)
    # Slot of each rating within its session: 0 for the first submitted, 1 for the next...
    order = np.lexsort((ev.rating_id, ev.rating_session))
    first = np.r_[True, ev.rating_session[order][1:] != ev.rating_session[order][:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    slot = np.empty(order.size, dtype=np.int64)
    slot[order] = np.arange(order.size) - starts
    # The policy's minimum of raters per session decides the columns: sessions rated by
    # fewer are missing evidence anyway, and a third rater's column would leave every
    # other unit incomplete.
    k = max(2, rubric.readiness.program_rule.min_raters_per_session)
    unit = ev.rating_session[ev.score_rating] * n_items + ev.score_item
    score_trainee = ev.session_trainee[ev.rating_session[ev.score_rating]]
    score_slot = slot[ev.score_rating]
    results: list[Result | None] = []
    for t in range(ev.n_trainees):
        mine = np.flatnonzero((score_trainee == t) & (score_slot < k))
        units, row = np.unique(unit[mine], return_inverse=True)
        matrix = np.full((units.size, k), np.nan)
        matrix[row, score_slot[mine]] = ev.score[mine]
        results.append(icc(RatingMatrix.from_array(matrix))["ICC2k"])
    return results


def readiness_of(
    session: Session,
    program: Program,
    *,
    trainee_ids: Sequence[int] | None = None,
    released_only: bool = False,
) -> list[TraineeReadiness]:
    """Readiness of the program's active trainees (or the given ones) under the current
    rubric version, all in one pass."""
    version = current_version(session, program)
    trainees = _trainees(session, program, trainee_ids)
    if version is None or not trainees:
        return []
    rubric = rubric_document(version)
    arrays, reliability = _evidence(session, program, version, rubric, trainees, released_only)
    results = assess_many(rubric, arrays, reliability)
    return [TraineeReadiness(t, version, r) for t, r in zip(trainees, results, strict=True)]


def trainee_readiness(
    session: Session, program: Program, viewer: User, roles: frozenset[Role], trainee_id: int
) -> TraineeReadiness:
    """One trainee's readiness as the viewer may see it: staff see every complete session,
    the trainee only their released ones; anyone else learns nothing."""
    staff = bool(roles & {Role.admin, Role.trainer})
    if not staff and viewer.id != trainee_id:
        raise NotFoundError(f"trainee: no trainee {trainee_id} in {program.slug}")
    found = readiness_of(session, program, trainee_ids=[trainee_id], released_only=not staff)
    if not found:
        raise NotFoundError(f"trainee: no trainee {trainee_id} in {program.slug}")
    return found[0]


def sign_off(
    session: Session,
    program: Program,
    actor: User,
    trainee_id: int,
    *,
    committee_comment: str = "",
    entrustment_level: int | None = None,
) -> ReadinessDecision:
    """Store the current decision as a snapshot the admin answers for."""
    if entrustment_level is not None and not 1 <= entrustment_level <= 5:
        raise InvalidInputError("entrustment_level: must be between 1 and 5")
    current = trainee_readiness(session, program, actor, frozenset({Role.admin}), trainee_id)
    rubric = rubric_document(current.version)
    data = snapshot(rubric, current.result, rubric_sha256=current.version.sha256)
    decision = ReadinessDecision(
        program_id=program.id, trainee_id=trainee_id, rubric_version_id=current.version.id,
        decision=current.result.decision.value, snapshot=data, fingerprint=fingerprint(data),
        signed_off_by_id=actor.id, committee_comment=committee_comment.strip(),
        entrustment_level=entrustment_level,
    )  # fmt: skip
    session.add(decision)
    session.flush()
    record_event(
        session, action="readiness.sign_off", entity_type="readiness_decision",
        entity_id=decision.id, actor_id=actor.id, program_id=program.id,
        payload={"trainee_id": trainee_id, "decision": decision.decision,
                 "fingerprint": decision.fingerprint, "entrustment_level": entrustment_level},
    )  # fmt: skip
    return decision


def decisions_of(
    session: Session, program: Program, viewer: User, roles: frozenset[Role], trainee_id: int
) -> list[ReadinessDecision]:
    if (not roles & {Role.admin, Role.trainer} and viewer.id != trainee_id) or not _trainees(
        session, program, [trainee_id]
    ):
        raise NotFoundError(f"trainee: no trainee {trainee_id} in {program.slug}")
    return list(
        session.scalars(
            select(ReadinessDecision)
            .where(
                ReadinessDecision.program_id == program.id,
                ReadinessDecision.trainee_id == trainee_id,
            )
            .order_by(ReadinessDecision.decided_at.desc(), ReadinessDecision.id.desc())
        )
    )
