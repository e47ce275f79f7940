"""Certificates: issued for a READY, signed-off trainee, signed with the program's key.

What is signed is a small canonical JSON payload (no floats: figures are written as text
with their decimals, so every database returns them byte for byte). The row keeps that
payload, its SHA-256 and the Ed25519 signature; the public key stays with the program's
key pair outside the database, so the signed file can be rebuilt at any time and checked
offline by anyone who has the public key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db.base import utcnow
from app.db.models import Certificate, Program, ReadinessDecision, RubricVersion, User
from app.domain.certificates import (
    assemble,
    document_bytes,
    key_id,
    sign,
    verification_code,
)
from app.domain.identifiers import describe, find_identifiers
from app.domain.vocabulary import Role
from app.services.access import active_membership_of
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.signing_keys import private_key, public_key

FORMAT = "guidinghand.certificate/1"


@dataclass(frozen=True)
class PublicStatus:
    """What /verify tells anyone: enough to check a certificate, nothing more."""

    status: str  # "valid", "revoked" or "unknown"
    certificate_id: str
    trainee: str | None = None
    program: str | None = None
    decision: str | None = None
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    verification_code: str | None = None


def _latest_decision(session: Session, program: Program, trainee_id: int) -> ReadinessDecision:
    decision = session.scalar(
        select(ReadinessDecision)
        .where(
            ReadinessDecision.program_id == program.id,
            ReadinessDecision.trainee_id == trainee_id,
        )
        .order_by(ReadinessDecision.decided_at.desc(), ReadinessDecision.id.desc())
        .limit(1)
    )
    if decision is None:
        raise ConflictError("decision: no signed-off readiness decision for this trainee yet")
    if decision.decision != "READY":
        raise ConflictError(
            f"decision: the latest signed-off decision is {decision.decision}, not READY"
        )
    return decision


def _payload(
    program: Program,
    trainee: User,
    decision: ReadinessDecision,
    version: RubricVersion,
    issuer: User,
    public_id: str,
    issued_at: datetime,
) -> dict[str, Any]:
    result = decision.snapshot["result"]
    reliability = result.get("reliability") or {}
    value = reliability.get("value")
    sessions = result["sessions"]
    return {
        "id": public_id,
        "format": FORMAT,
        "program": {"slug": program.slug, "name": program.name},
        "trainee": {"name": trainee.full_name, "email": trainee.email},
        "rubric": {"id": version.rubric.key, "version": version.version, "sha256": version.sha256},
        "decision": {
            "value": decision.decision,
            "decided_at": decision.decided_at.isoformat(),
            "signed_off_by": decision.signed_off_by.full_name,
            "entrustment_level": decision.entrustment_level,
            "fingerprint": decision.fingerprint,
        },
        "evidence": {
            "sessions": len(sessions),
            "ratings": len(decision.snapshot["inputs"]["rating_ids"]),
            "phases": sorted({s["phase"] for s in sessions}),
            "domains": {
                d["key"]: f"{d['score']['value']:.2f}"
                for d in result["domains"]
                if d["score"].get("value") is not None
            },
        },
        "reliability": {
            "coefficient": reliability.get("name"),
            "value": None if value is None else f"{value:.2f}",
        },
        "issued_by": issuer.full_name,
        "issued_at": issued_at.isoformat(),
        "verify_url": f"{get_settings().public_url.rstrip('/')}/verify/{public_id}",
    }


def issue_certificate(
    session: Session, program: Program, actor: User, trainee_id: int
) -> Certificate:
    if active_membership_of(session, program, trainee_id, Role.trainee) is None:
        raise NotFoundError(f"trainee: no trainee {trainee_id} in {program.slug}")
    decision = _latest_decision(session, program, trainee_id)
    trainee = session.get(User, trainee_id)
    version = session.get(RubricVersion, decision.rubric_version_id)
    assert trainee is not None
    assert version is not None
    public_id = str(uuid.uuid4())
    issued_at = utcnow()
    payload = _payload(program, trainee, decision, version, actor, public_id, issued_at)
    signed = sign(payload, private_key(program.slug))
    certificate = Certificate(
        public_id=public_id, program_id=program.id, trainee_id=trainee_id,
        rubric_version_id=version.id, snapshot=signed["certificate"], sha256=signed["sha256"],
        signature=signed["signature"], signing_key_id=signed["key_id"], issued_by_id=actor.id,
        issued_at=issued_at,
    )  # fmt: skip
    session.add(certificate)
    session.flush()
    record_event(
        session, action="certificate.issue", entity_type="certificate", entity_id=public_id,
        actor_id=actor.id, program_id=program.id,
        payload={"trainee_id": trainee_id, "decision_id": decision.id, "sha256": signed["sha256"]},
    )  # fmt: skip
    return certificate


def signed_document(certificate: Certificate, program: Program) -> bytes:
    """The signed file, rebuilt from the row and the program's public key."""
    key = public_key(program.slug)
    if key_id(key) != certificate.signing_key_id:
        raise ConflictError("certificate: signed with a key this program no longer holds")
    return document_bytes(
        assemble(certificate.snapshot, certificate.sha256, certificate.signature, key)
    )


def program_certificate(session: Session, program: Program, public_id: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None or certificate.program_id != program.id:
        raise NotFoundError(f"certificate: no certificate {public_id} in {program.slug}")
    return certificate


def certificate_by_public_id(session: Session, public_id: str) -> tuple[Certificate, Program]:
    """Any certificate and its program, for the operator of the command line."""
    certificate = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None:
        raise NotFoundError(f"certificate: no certificate {public_id}")
    program = session.get(Program, certificate.program_id)
    assert program is not None  # a foreign key
    return certificate, program


def visible_certificate(
    session: Session,
    program: Program,
    public_id: str,
    *,
    viewer: User,
    roles: frozenset[Role],
) -> Certificate:
    """A certificate for the program's admins and its own trainee; for anyone else it does
    not exist."""
    certificate = program_certificate(session, program, public_id)
    if Role.admin not in roles and certificate.trainee_id != viewer.id:
        raise NotFoundError(f"certificate: no certificate {public_id} in {program.slug}")
    return certificate


def certificates_of(session: Session, program: Program) -> list[Certificate]:
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.program_id == program.id)
            .order_by(Certificate.issued_at.desc())
        )
    )


def revoke(
    session: Session, program: Program, actor: User, public_id: str, reason: str
) -> Certificate:
    certificate = program_certificate(session, program, public_id)
    if certificate.revoked_at is not None:
        raise ConflictError("certificate: already revoked")
    if not reason.strip():
        raise InvalidInputError("reason: say why the certificate is revoked")
    found = find_identifiers(reason)
    if found:
        raise InvalidInputError(describe(found, "reason"))
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revocation_reason = reason.strip()
    record_event(
        session, action="certificate.revoke", entity_type="certificate", entity_id=public_id,
        actor_id=actor.id, program_id=program.id, payload={"reason": reason.strip()},
    )  # fmt: skip
    session.flush()
    return certificate


def public_status(session: Session, public_id: str) -> PublicStatus:
    certificate = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if certificate is None:
        return PublicStatus("unknown", public_id)
    payload = certificate.snapshot
    return PublicStatus(
        "revoked" if certificate.revoked_at else "valid", public_id,
        trainee=payload["trainee"]["name"], program=payload["program"]["name"],
        decision=payload["decision"]["value"], issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason or None,
        verification_code=verification_code(public_id, certificate.sha256),
    )  # fmt: skip
