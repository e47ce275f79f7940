"""Readiness of a program's trainees: evidence from the database, rules from the domain.

The evidence of a trainee is every session of theirs pinned to one rubric version whose
assigned ratings are all in (a half-rated session is not evidence yet, and leaving it out
keeps a pending rater blind to their peers). A trainee reading their own readiness sees
only released sessions, as with their feedback. A fixed handful of set-based queries
(sessions, ratings, item scores, admin harm confirmations, and the calibration sessions that
certify raters; see app/services/evidence.py) serves any number of trainees; nothing here
runs a query per trainee or per session. Each rating carries whether its rater is certified
(the rule rater quality reports), which reports mark and no readiness rule reads.

The reliability of a trainee's evidence is ICC2k over the units (session, item), with the
session's ratings as columns in submission order. Sessions are rated by different raters,
so a column is a rating slot rather than one person; ICC2k on slots treats that spread as
rater variance, which errs towards a lower, more cautious figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    HarmConfirmation,
    Membership,
    Program,
    ReadinessDecision,
    RecordedSession,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.readiness import (
    EvidenceArrays,
    ReadinessResult,
    assess_many,
    fingerprint,
    snapshot,
)
from app.domain.reliability.icc import icc_blocks
from app.domain.reliability.results import NotApplicable, Result
from app.domain.rubrics.model import RubricDocument
from app.domain.vocabulary import Role
from app.services.audit import record_event
from app.services.collector import without_collector
from app.services.errors import InvalidInputError, NotFoundError
from app.services.evidence import EvidenceScope, current_version, locate, rated_evidence
from app.services.program_quality import certified_rater_ids
from app.services.ratings import rubric_document


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
    scope: EvidenceScope,
) -> tuple[EvidenceArrays, list[Result | None]]:
    ev = rated_evidence(session, scope)
    trainee_ids = np.array([t.id for t in trainees], dtype=np.int64)  # ascending, as queried
    # Sessions of anyone not asked about (a trainee deactivated meanwhile) are left out.
    place, s_keep = locate(trainee_ids, ev.session_trainee)
    r_keep = s_keep[ev.rating_session]
    sc_keep = r_keep[ev.score_rating]
    s_row = np.cumsum(s_keep) - 1
    r_row = np.cumsum(r_keep) - 1
    keys = {item.key: i for i, item in enumerate(rubric.items)}
    item_rows = session.execute(
        select(RubricItem.id, RubricItem.key).where(RubricItem.rubric_version_id == version.id)
    ).all()
    item_ids = np.array(sorted(i for i, _ in item_rows), dtype=np.int64)
    item_index = np.empty(item_ids.size, dtype=np.int64)
    item_index[np.searchsorted(item_ids, [i for i, _ in item_rows])] = [
        keys[key] for _, key in item_rows
    ]
    session_ids = ev.session_id[s_keep]
    confirmed = np.array(
        session.execute(
            select(HarmConfirmation.session_id, HarmConfirmation.item_id)
            .join(RecordedSession, RecordedSession.id == HarmConfirmation.session_id)
            .where(
                RecordedSession.program_id == program.id,
                RecordedSession.rubric_version_id == version.id,
            )
        ).all(),
        dtype=np.int64,
    ).reshape(-1, 2)
    at, ours = locate(session_ids, confirmed[:, 0])
    rater_ids = ev.rater_id[r_keep]
    certified = certified_rater_ids(session, program, version)
    arrays = EvidenceArrays(
        n_trainees=len(trainees),
        session_trainee=place[s_keep], session_id=session_ids,
        session_day=ev.session_day[s_keep],
        session_phase=ev.session_phase[s_keep],
        rating_session=s_row[ev.rating_session[r_keep]], rating_id=ev.rating_id[r_keep],
        rater_id=rater_ids, rating_certified=np.isin(rater_ids, list(certified)),
        score_rating=r_row[ev.score_rating[sc_keep]],
        score_item=item_index[np.searchsorted(item_ids, ev.score_item_id[sc_keep])],
        score=ev.score[sc_keep], harm_flag=ev.harm_flag[sc_keep],
        confirmed_session=at[ours],
        confirmed_item=item_index[np.searchsorted(item_ids, confirmed[ours, 1])],
    )  # fmt: skip
    return arrays, _reliability(arrays, rubric)


def _reliability(ev: EvidenceArrays, rubric: RubricDocument) -> list[Result | None]:
    """ICC2k of each trainee's evidence, (session, item) units by rating slots.

    Every trainee's units x slots matrix is built in one pass, as a block of rows of one
    matrix, and every block's ICC2k comes from one vectorised computation; rows are units in
    ascending (session row, item) order, as the ICC of one trainee alone would have them."""
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
    score_slot = slot[ev.score_rating]
    used = np.flatnonzero(score_slot < k)
    # Sessions renumbered by (trainee, session row), so that units numbered (session, item)
    # ascend trainee by trainee: each trainee's rows are one contiguous block. Units are
    # then told apart by counting, linear in the number of possible units, not by sorting.
    by_trainee = np.argsort(ev.session_trainee, kind="stable")
    rank = np.empty(by_trainee.size, dtype=np.int64)
    rank[by_trainee] = np.arange(by_trainee.size)
    unit = rank[ev.rating_session[ev.score_rating[used]]] * n_items + ev.score_item[used]
    present = np.zeros(ev.session_id.size * n_items, dtype=np.bool_)
    present[unit] = True
    units = np.flatnonzero(present)
    row = (np.cumsum(present) - 1)[unit]
    matrix = np.full((units.size, k), np.nan)
    matrix[row, score_slot[used]] = ev.score[used]
    unit_trainee = ev.session_trainee[by_trainee][units // n_items]
    bounds = np.searchsorted(unit_trainee, np.arange(ev.n_trainees + 1))
    return list(icc_blocks(matrix, bounds, "ICC2k"))


@without_collector
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
    scope = EvidenceScope(
        program.id,
        version.id,
        trainee_ids=trainee_ids,
        released_only=released_only,
    )
    arrays, reliability = _evidence(session, program, version, rubric, trainees, scope)
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
