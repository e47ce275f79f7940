"""A program's submitted ratings in long format: one row per item score.

Master (calibration key) ratings are left out: they are not a rater's judgement of the
trainee, and reliability computed from the file would count the key as one more rater.
Blind rating holds here as in the API: an admin does not see, in an export either, the
ratings of a session they have yet to rate themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.db.models import (
    Assignment,
    ItemScore,
    Program,
    Rating,
    RecordedSession,
    Rubric,
    RubricDomain,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.rating_import import native_ref
from app.domain.vocabulary import OPEN_ASSIGNMENT, Phase, RatingStatus
from app.services.programs import get_cohort


@dataclass(frozen=True)
class ExportedScore:
    session_id: int
    # The session's reference in the system it came from; for a session created here, one
    # that the import recognises as this program's own.
    session_ref: str
    trainee_email: str
    session_date: date
    phase: Phase
    duration_minutes: int
    modalities: tuple[str, ...]
    co_therapist: bool
    recording: str
    rater_email: str
    rubric: str
    rubric_version: str
    domain_key: str
    item_key: str
    score: int | None
    not_applicable: bool
    harm_flag: bool
    harm_note: str
    comment: str
    submitted_at: datetime


def export_ratings(
    session: Session,
    program: Program,
    *,
    viewer: User | None,
    cohort: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[ExportedScore]:
    """By session date, session, rater and rubric order; ``since``/``until`` are inclusive.

    ``viewer`` is the admin who asks; the sessions they are still to rate are left out. None
    is whoever operates the database from the command line, who is nobody's rater.
    """
    trainee, rater = aliased(User), aliased(User)
    query = (
        select(
            RecordedSession.id, RecordedSession.external_ref, trainee.email,
            RecordedSession.session_date, RecordedSession.phase, RecordedSession.duration_seconds,
            RecordedSession.modalities, RecordedSession.co_therapist,
            RecordedSession.recording_url, rater.email, Rubric.key, RubricVersion.version,
            RubricDomain.key, RubricItem.key, ItemScore.score, ItemScore.not_applicable,
            ItemScore.harm_flag, ItemScore.harm_note, Rating.overall_comment,
            Rating.submitted_at,
        )
        .join(trainee, trainee.id == RecordedSession.trainee_id)
        .join(Assignment, Assignment.session_id == RecordedSession.id)
        .join(rater, rater.id == Assignment.rater_id)
        .join(Rating, Rating.assignment_id == Assignment.id)
        .join(RubricVersion, RubricVersion.id == Rating.rubric_version_id)
        .join(Rubric, Rubric.id == RubricVersion.rubric_id)
        .join(ItemScore, ItemScore.rating_id == Rating.id)
        .join(RubricItem, RubricItem.id == ItemScore.item_id)
        .join(RubricDomain, RubricDomain.id == RubricItem.domain_id)
        .where(
            RecordedSession.program_id == program.id,
            Rating.status == RatingStatus.submitted,
            Assignment.is_master.is_(False),
        )
        .order_by(RecordedSession.session_date, RecordedSession.id, rater.email,
                  RubricItem.position)
    )  # fmt: skip
    if viewer is not None:
        pending = select(Assignment.session_id).where(
            Assignment.rater_id == viewer.id,
            Assignment.status.in_(OPEN_ASSIGNMENT),
        )
        query = query.where(RecordedSession.id.not_in(pending))
    if cohort is not None:
        query = query.where(RecordedSession.cohort_id == get_cohort(session, program, cohort).id)
    if since is not None:
        query = query.where(RecordedSession.session_date >= since)
    if until is not None:
        query = query.where(RecordedSession.session_date <= until)
    out: list[ExportedScore] = []
    for (
        session_id, ref, trainee_email, session_date, phase, seconds, modalities, co_therapist,
        recording, rater_email, rubric, version, domain, item, score, not_applicable, harm_flag,
        harm_note, comment, submitted_at,
    ) in session.execute(query):  # fmt: skip
        assert submitted_at is not None  # a submitted rating always carries its time
        out.append(
            ExportedScore(
                session_id=session_id,
                session_ref=ref or native_ref(program.slug, session_id),
                trainee_email=trainee_email,
                session_date=session_date,
                phase=phase,
                # The import format counts whole minutes; a session is never shorter than one.
                duration_minutes=max(1, round(seconds / 60)),
                modalities=tuple(modalities),
                co_therapist=co_therapist,
                recording=recording,
                rater_email=rater_email,
                rubric=rubric,
                rubric_version=version,
                domain_key=domain,
                item_key=item,
                score=score,
                not_applicable=not_applicable,
                harm_flag=harm_flag,
                harm_note=harm_note,
                comment=comment,
                submitted_at=submitted_at,
            )
        )
    return out
