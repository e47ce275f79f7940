"""What each report holds, assembled from the services that own the figures.

Three reports, each a plain typed structure that app/exports renders as JSON, CSV or PDF:

- a trainee's readiness report: the live decision with its reasons, the domains against
  their minimums, strengths and growth areas, the sessions used as evidence, and the latest
  signed-off decision;
- a program report, for its admins: every active trainee's decision and domain scores by
  cohort, the inter-rater reliability of each item, rater quality and the D-study;
- a certificate report: the signed certificate as it was issued, with its verification code.

Nothing here computes a figure of its own, and nothing runs a query per trainee: the
readiness of all trainees comes from one pass, their cohorts and latest sign-offs from one
query each. Every figure is read from complete sessions only (all assigned ratings in), as
readiness, rater quality and the G-study are, so no report moves while a rater of a session
is still blind to their peers.

Access follows the services underneath: a trainee sees only their own report, from released
sessions; staff see any trainee's, from every complete session; certificates are their
trainee's and the admins'. ``viewer=None`` is whoever operates the database from the command
line, who sees what an admin sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import (
    Certificate,
    Cohort,
    Membership,
    Program,
    ReadinessDecision,
    RubricVersion,
    User,
)
from app.domain.certificates import verification_code
from app.domain.readiness import ReadinessResult
from app.domain.reliability.panel import ReliabilityReport
from app.domain.rubrics.model import Readiness, RubricDocument
from app.domain.vocabulary import Role
from app.services import readiness as readiness_service
from app.services.access import active_membership
from app.services.certificates import visible_certificate
from app.services.errors import NotFoundError
from app.services.evidence import current_version
from app.services.program_quality import (
    Generalizability,
    RaterQuality,
    generalizability,
    rater_quality,
)
from app.services.program_reliability import RatingSelection, program_reliability
from app.services.ratings import rubric_document

Progress = Callable[[int, int], None]

__all__ = [
    "CertificateReport",
    "DomainInfo",
    "ItemReliability",
    "ProgramReport",
    "RubricInfo",
    "SignedDecision",
    "TraineeReport",
    "TraineeRow",
    "certificate_report",
    "certificate_report_of",
    "program_report",
    "trainee_id_by_email",
    "trainee_report",
]


@dataclass(frozen=True)
class RubricInfo:
    """The rubric version a report's figures rest on, named by its content hash."""

    id: str
    version: str
    title: str
    sha256: str
    scale: tuple[int, int]


@dataclass(frozen=True)
class DomainInfo:
    key: str
    title: str
    min_mean: float | None


@dataclass(frozen=True)
class SignedDecision:
    """A decision an admin signed off (never its snapshot: that keeps per-session means)."""

    decision: str
    decided_at: datetime
    signed_off_by: str
    entrustment_level: int | None
    committee_comment: str
    fingerprint: str


@dataclass(frozen=True)
class TraineeReport:
    program_slug: str
    program_name: str
    trainee_id: int
    trainee_name: str
    trainee_email: str
    rubric: RubricInfo
    domains: tuple[DomainInfo, ...]
    policy: Readiness
    result: ReadinessResult
    # True when the trainee reads their own report: the evidence is their released sessions.
    released_only: bool
    latest_decision: SignedDecision | None
    generated_at: datetime


@dataclass(frozen=True)
class TraineeRow:
    """One line of the cohort readiness matrix."""

    trainee_id: int
    name: str
    email: str
    cohort: str | None
    result: ReadinessResult
    latest_decision: SignedDecision | None


@dataclass(frozen=True)
class ItemReliability:
    """An item's agreement across the program's raters; None when nobody scored it."""

    key: str
    title: str
    domain_key: str
    report: ReliabilityReport | None


@dataclass(frozen=True)
class ProgramReport:
    program_slug: str
    program_name: str
    rubric: RubricInfo | None  # None until a session is pinned to a rubric version
    domains: tuple[DomainInfo, ...]
    trainees: tuple[TraineeRow, ...]
    items: tuple[ItemReliability, ...]
    overall: ReliabilityReport | None
    quality: RaterQuality
    generalizability: Generalizability
    generated_at: datetime


@dataclass(frozen=True)
class CertificateReport:
    """A certificate as signed: ``payload`` is the signed content, nothing recomputed."""

    certificate_id: str
    program_slug: str
    sha256: str
    verification_code: str
    verify_url: str
    payload: dict[str, Any]
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str


# --- shared pieces ----------------------------------------------------------------------


def _rubric_info(version: RubricVersion, rubric: RubricDocument) -> RubricInfo:
    return RubricInfo(
        id=version.rubric.key, version=version.version, title=rubric.title,
        sha256=version.sha256, scale=(rubric.scale.min, rubric.scale.max),
    )  # fmt: skip


def _domains(rubric: RubricDocument) -> tuple[DomainInfo, ...]:
    minimums = rubric.readiness.program_rule.domain_min_mean
    return tuple(DomainInfo(d.key, d.title, minimums.get(d.key)) for d in rubric.domains)


def _latest_decisions(
    session: Session, program: Program, trainee_ids: Sequence[int]
) -> dict[int, SignedDecision]:
    """Each trainee's latest sign-off, in one query for any number of trainees."""
    rows = session.scalars(
        select(ReadinessDecision)
        .where(
            ReadinessDecision.program_id == program.id,
            ReadinessDecision.trainee_id.in_(list(trainee_ids)),
        )
        .order_by(
            ReadinessDecision.trainee_id,
            ReadinessDecision.decided_at.desc(),
            ReadinessDecision.id.desc(),
        )
    )
    latest: dict[int, SignedDecision] = {}
    for d in rows:
        if d.trainee_id not in latest:
            latest[d.trainee_id] = SignedDecision(
                decision=d.decision, decided_at=d.decided_at,
                signed_off_by=d.signed_off_by.full_name, entrustment_level=d.entrustment_level,
                committee_comment=d.committee_comment, fingerprint=d.fingerprint,
            )  # fmt: skip
    return latest


def _step(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


# --- trainee ----------------------------------------------------------------------------


def trainee_id_by_email(session: Session, program: Program, email: str) -> int:
    """The active trainee with this e-mail, for shells that name people by address."""
    membership = active_membership(session, program, email, (Role.trainee,))
    if membership is None:
        shown = email.strip().lower()
        raise NotFoundError(f"trainee: no active trainee {shown!r} in {program.slug}")
    return membership.user_id


def trainee_report(
    session: Session,
    program: Program,
    trainee_id: int,
    *,
    viewer: User | None,
    roles: frozenset[Role] = frozenset(),
) -> TraineeReport:
    """A trainee's readiness report as the viewer may see it (404 for anyone else)."""
    if viewer is None:
        found = readiness_service.readiness_of(session, program, trainee_ids=[trainee_id])
        if not found:
            raise NotFoundError(f"trainee: no trainee {trainee_id} in {program.slug}")
        current = found[0]
        released_only = False
    else:
        current = readiness_service.trainee_readiness(session, program, viewer, roles, trainee_id)
        released_only = not roles & {Role.admin, Role.trainer}
    rubric = rubric_document(current.version)
    return TraineeReport(
        program_slug=program.slug, program_name=program.name, trainee_id=current.trainee.id,
        trainee_name=current.trainee.full_name, trainee_email=current.trainee.email,
        rubric=_rubric_info(current.version, rubric), domains=_domains(rubric),
        policy=rubric.readiness, result=current.result, released_only=released_only,
        latest_decision=_latest_decisions(session, program, [trainee_id]).get(trainee_id),
        generated_at=utcnow(),
    )  # fmt: skip


# --- program ----------------------------------------------------------------------------

PROGRAM_STEPS = 4


def program_report(
    session: Session, program: Program, *, progress: Progress | None = None
) -> ProgramReport:
    """The program's report, for its admins; ``progress(done, 4)`` follows its four parts."""
    version = current_version(session, program)
    rubric = rubric_document(version) if version is not None else None
    _step(progress, 0, PROGRAM_STEPS)
    readiness = readiness_service.readiness_of(session, program)
    ids = [r.trainee.id for r in readiness]
    cohort_of = select(Membership.user_id, Cohort.name).join(
        Cohort, Cohort.id == Membership.cohort_id
    )
    cohort_rows = session.execute(
        cohort_of.where(
            Membership.program_id == program.id,
            Membership.role == Role.trainee,
            Membership.active.is_(True),
        )
    ).all()
    cohorts: dict[int, str] = {user_id: name for user_id, name in cohort_rows}  # noqa: C416
    decisions = _latest_decisions(session, program, ids)
    rows = sorted(
        (
            TraineeRow(r.trainee.id, r.trainee.full_name, r.trainee.email,
                       cohorts.get(r.trainee.id), r.result, decisions.get(r.trainee.id))
            for r in readiness
        ),
        key=lambda row: (row.cohort is None, row.cohort or "", row.name.casefold(), row.email),
    )  # fmt: skip
    _step(progress, 1, PROGRAM_STEPS)
    items: list[ItemReliability] = []
    overall = None
    if version is not None and rubric is not None:
        found = program_reliability(
            session, RatingSelection(program.id, version.id, complete_only=True)
        )
        items = [
            ItemReliability(item.key, item.title, domain.key, found.items.get(item.key))
            for domain in rubric.domains
            for item in domain.items
        ]
        overall = found.overall
    _step(progress, 2, PROGRAM_STEPS)
    quality = rater_quality(session, program)
    _step(progress, 3, PROGRAM_STEPS)
    study = generalizability(session, program)
    _step(progress, 4, PROGRAM_STEPS)
    return ProgramReport(
        program_slug=program.slug, program_name=program.name,
        rubric=_rubric_info(version, rubric) if version is not None and rubric else None,
        domains=_domains(rubric) if rubric is not None else (), trainees=tuple(rows),
        items=tuple(items), overall=overall, quality=quality, generalizability=study,
        generated_at=utcnow(),
    )  # fmt: skip


# --- certificate ------------------------------------------------------------------------


def certificate_report_of(certificate: Certificate, program: Program) -> CertificateReport:
    payload = certificate.snapshot
    return CertificateReport(
        certificate_id=certificate.public_id, program_slug=program.slug,
        sha256=certificate.sha256,
        verification_code=verification_code(certificate.public_id, certificate.sha256),
        verify_url=payload["verify_url"], payload=payload, issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at, revocation_reason=certificate.revocation_reason,
    )  # fmt: skip


def certificate_report(
    session: Session,
    program: Program,
    public_id: str,
    *,
    viewer: User,
    roles: frozenset[Role],
) -> CertificateReport:
    """A certificate of the program, for its admins and its own trainee (404 for others)."""
    certificate = visible_certificate(session, program, public_id, viewer=viewer, roles=roles)
    return certificate_report_of(certificate, program)
