"""The set-based evidence readers give exactly what the earlier row-by-row readers gave.

The references below are the straightforward implementations the services replaced: one
ORM query of every item score with its session and rating attributes, walked row by row.
Readiness, rater quality and the G-study of the seeded demonstration program (calibration
keys, not-applicable items, harm flags, drafts, unreleased sessions), with an admin harm
confirmation and a deactivated trainee added, must come out equal, to the last bit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import pytest
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    HarmConfirmation,
    ItemScore,
    Membership,
    Program,
    Rating,
    RecordedSession,
    RubricItem,
    User,
)
from app.domain.gtheory import NESTED, balanced_subset, d_study_table, g_study
from app.domain.rater_quality import calibration, drift, severity, straight_lined
from app.domain.readiness import PHASES, EvidenceArrays, ReadinessResult, assess_many
from app.domain.reliability.data import RatingMatrix
from app.domain.reliability.icc import icc
from app.domain.reliability.results import NotApplicable, Result
from app.domain.rubrics.model import RubricDocument
from app.domain.vocabulary import AssignmentStatus, RatingStatus, Role
from app.services.demo import seed_demo
from app.services.evidence import current_version, session_complete
from app.services.harm import confirm_harm
from app.services.program_quality import (
    Generalizability,
    RaterQuality,
    certified_rater_ids,
    generalizability,
    rater_quality,
)
from app.services.programs import deactivate_membership
from app.services.ratings import rubric_document
from app.services.readiness import readiness_of
from app.services.rubric_library import load_rubrics
from app.services.users import get_program_by_slug
from tests.conftest import ROOT

PHASE_CODE = {phase: i for i, phase in enumerate(PHASES)}


# --- the references ---------------------------------------------------------------


def reference_readiness(
    session: Session,
    program: Program,
    certified: frozenset[int],
    trainee_ids: list[int] | None = None,
    released_only: bool = False,
) -> list[tuple[int, ReadinessResult]]:
    version = current_version(session, program)
    assert version is not None
    rubric = rubric_document(version)
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
    if trainee_ids is not None:
        query = query.where(User.id.in_(trainee_ids))
    trainees = list(session.scalars(query).unique())
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
            RecordedSession.trainee_id, RecordedSession.id, RecordedSession.session_date,
            RecordedSession.phase, Rating.id, Assignment.rater_id, ItemScore.item_id,
            ItemScore.score, ItemScore.harm_flag,
        )
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .where(and_(*conditions))
        .order_by(RecordedSession.id, Rating.id)
    ).all()  # fmt: skip
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
    s_cols: list[list[int]] = [[], [], [], []]
    r_cols: list[list[int]] = [[], [], []]
    sc_rating, sc_item, sc_score, sc_harm = [], [], [], []
    for trainee_id, session_id, day, phase, rating_id, rater_id, item_id, score, harm in rows:
        row = sessions.get(session_id)
        if row is None:
            row = sessions[session_id] = len(s_cols[0])
            for col, value in zip(s_cols, (position[trainee_id], session_id, day.toordinal(),
                                           PHASE_CODE[phase]), strict=True):  # fmt: skip
                col.append(value)
        rating_row = ratings.get(rating_id)
        if rating_row is None:
            rating_row = ratings[rating_id] = len(r_cols[0])
            for col, value in zip(r_cols, (row, rating_id, rater_id), strict=True):
                col.append(value)
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

    def ints(values: list[int]) -> np.ndarray:
        return np.asarray(values, dtype=np.int64)

    arrays = EvidenceArrays(
        n_trainees=len(trainees), session_trainee=ints(s_cols[0]), session_id=ints(s_cols[1]),
        session_day=ints(s_cols[2]), session_phase=ints(s_cols[3]),
        rating_session=ints(r_cols[0]), rating_id=ints(r_cols[1]), rater_id=ints(r_cols[2]),
        rating_certified=np.isin(ints(r_cols[2]), list(certified)),
        score_rating=ints(sc_rating), score_item=ints(sc_item),
        score=np.asarray(sc_score, dtype=np.float64), harm_flag=np.asarray(sc_harm, dtype=bool),
        confirmed_session=ints([sessions[s] for s, _ in confirmed]),
        confirmed_item=ints([item_index[i] for _, i in confirmed]),
    )  # fmt: skip
    results = assess_many(rubric, arrays, reference_reliability(arrays, rubric))
    return [(t.id, r) for t, r in zip(trainees, results, strict=True)]


def reference_reliability(ev: EvidenceArrays, rubric: RubricDocument) -> list[Result | None]:
    n_items = len(rubric.items)
    order = np.lexsort((ev.rating_id, ev.rating_session))
    first = np.r_[True, ev.rating_session[order][1:] != ev.rating_session[order][:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    slot = np.empty(order.size, dtype=np.int64)
    slot[order] = np.arange(order.size) - starts
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


def reference_scores(session: Session, program: Program) -> list[tuple]:  # type: ignore[type-arg]
    version = current_version(session, program)
    assert version is not None
    return list(
        session.execute(
            select(
                RecordedSession.trainee_id, RecordedSession.id, RecordedSession.session_date,
                Rating.id, User.email, Assignment.is_master, RubricItem.key, ItemScore.score,
                Rating.submitted_at,
            )
            .join(Assignment, Assignment.session_id == RecordedSession.id)
            .join(User, User.id == Assignment.rater_id)
            .join(Rating, Rating.assignment_id == Assignment.id)
            .join(ItemScore, ItemScore.rating_id == Rating.id)
            .join(RubricItem, RubricItem.id == ItemScore.item_id)
            .where(
                RecordedSession.program_id == program.id,
                RecordedSession.rubric_version_id == version.id,
                Assignment.status == AssignmentStatus.submitted,
                Rating.status == RatingStatus.submitted,
                ItemScore.score.is_not(None),
                session_complete(),
            )
            .order_by(RecordedSession.id, Rating.id, ItemScore.item_id)
        ).all()
    )  # fmt: skip


def reference_rater_quality(session: Session, program: Program) -> RaterQuality:
    version = current_version(session, program)
    rows = reference_scores(session, program)
    session_ids = [r[1] for r in rows]
    master = [r[5] for r in rows]
    rater = [r[4] for r in rows]
    item = [r[6] for r in rows]
    score = [float(r[7]) for r in rows]
    submitted = [r[8].date() if r[8] else r[2] for r in rows]
    peers = np.flatnonzero(~np.asarray(master, dtype=bool))
    sessions = np.asarray(session_ids, dtype=np.int64)[peers]
    raters = np.asarray(rater, dtype=object)[peers]
    items = np.asarray(item, dtype=object)[peers]
    scores = np.asarray(score, dtype=np.float64)[peers]
    dates = np.asarray(submitted, dtype="datetime64[D]")[peers]
    found_severity = severity(sessions, raters, scores, items=items)
    found_drift = drift(sessions, raters, scores, dates, items=items)
    keyed = {s for s, m in zip(session_ids, master, strict=True) if m}
    calibrated = [i for i, s in enumerate(session_ids) if s in keyed]
    labels = ["\x00master" if master[i] else rater[i] for i in calibrated]
    assert version is not None
    found = calibration(
        [session_ids[i] for i in calibrated], labels, [score[i] for i in calibrated],
        master="\x00master", scale=(version.scale_min, version.scale_max),
        items=[item[i] for i in calibrated],
    )  # fmt: skip
    by_rating: dict[int, list[float | None]] = defaultdict(list)
    for i in peers.tolist():
        by_rating[rows[i][3]].append(score[i])
    return RaterQuality(
        {str(k): v for k, v in found_severity.items()},
        {str(k): v for k, v in found.items() if k != "\x00master"},
        {str(k): v for k, v in found_drift.items()},
        straight_lined(by_rating),
        version,
    )


def reference_generalizability(session: Session, program: Program) -> Generalizability:
    rows = reference_scores(session, program)
    sums: dict[tuple[int, str], list[float]] = defaultdict(list)
    meta: dict[int, tuple[int, date]] = {}
    for trainee, session_id, day, _, email, master, _, score, _ in rows:
        if not master:
            sums[(session_id, email)].append(float(score))
            meta[session_id] = (trainee, day)
    keys = list(sums)
    subset = balanced_subset(
        [meta[s][0] for s, _ in keys], [s for s, _ in keys], [r for _, r in keys],
        np.array([np.mean(sums[k]) for k in keys]), [meta[s][1] for s, _ in keys],
    )  # fmt: skip
    assert not isinstance(subset, NotApplicable)
    study = g_study(subset.scores, NESTED)
    assert not isinstance(study, NotApplicable)
    table = d_study_table(study)
    return Generalizability(
        study, table, table.smallest_design(0.8), 0.8, subset.subset_description,
        subset.how_chosen,
    )  # fmt: skip


# --- the world ----------------------------------------------------------------------


@pytest.fixture
def demo(db_session: Session) -> Program:
    load_rubrics(db_session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])
    seed_demo(db_session, today=date(2026, 11, 2))
    program = get_program_by_slug(db_session, "demo")
    admin = db_session.scalars(select(User).where(User.email == "admin@demo.guidinghand.org")).one()
    # An admin confirmation of a single-rater harm flag, on a complete session.
    flag = db_session.execute(
        select(Assignment.session_id, RubricItem.key)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .where(ItemScore.harm_flag.is_(True), Rating.status == RatingStatus.submitted,
               Assignment.session_id.not_in(select(Assignment.session_id).where(
                   Assignment.status != AssignmentStatus.submitted)))
        .order_by(Assignment.session_id, RubricItem.key)
        .limit(1)
    ).one()  # fmt: skip
    confirm_harm(db_session, program, admin, flag[0], flag[1], "Reviewed the recording.")
    # A trainee who left: readiness no longer lists them.
    leaver = db_session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(User.email == "trainee05@demo.guidinghand.org")
    ).one()
    deactivate_membership(db_session, program, leaver.id, admin)
    return program


def test_readiness_equals_the_row_by_row_reader(db_session: Session, demo: Program) -> None:
    version = current_version(db_session, demo)
    assert version is not None
    certified = certified_rater_ids(db_session, demo, version)
    expected = reference_readiness(db_session, demo, certified)
    found = readiness_of(db_session, demo)
    assert len(found) == 11, "the deactivated trainee is left out"
    assert [(r.trainee.id, r.result) for r in found] == expected
    assert any(s.harm for _, r in expected for s in r.sessions), "harm flags are compared"

    one = expected[3][0]
    mine = readiness_of(db_session, demo, trainee_ids=[one], released_only=True)
    assert [(r.trainee.id, r.result) for r in mine] == reference_readiness(
        db_session, demo, certified, [one], released_only=True
    )


def test_rater_quality_equals_the_row_by_row_reader(db_session: Session, demo: Program) -> None:
    found = rater_quality(db_session, demo)
    expected = reference_rater_quality(db_session, demo)
    for part in ("severity", "calibration", "drift"):
        assert list(getattr(found, part).items()) == list(getattr(expected, part).items()), part
    assert found.straight_lined == expected.straight_lined
    assert found.version == expected.version
    assert found.calibration, "calibration sessions are compared"


def test_generalizability_equals_the_row_by_row_reader(db_session: Session, demo: Program) -> None:
    assert generalizability(db_session, demo) == reference_generalizability(db_session, demo)
