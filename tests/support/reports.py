"""Reports built without a database, from the readiness rules and fixed evidence.

The exports render what services return; these stand-ins are exactly those structures,
computed by the real domain code on the flagship rubric, so export tests need no database
and run once rather than per backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from app.domain.readiness import RaterScores, SessionEvidence, assess_readiness
from app.domain.reliability.results import Estimate, NotApplicable
from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import parse_rubric
from app.domain.scoring import SessionContext, applicable_item_keys
from app.domain.vocabulary import Phase
from app.services.program_quality import Generalizability, RaterQuality
from app.services.reports import (
    CertificateReport,
    DomainInfo,
    ProgramReport,
    RubricInfo,
    SignedDecision,
    TraineeReport,
    TraineeRow,
)

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
GENERATED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
PHASES = (Phase.preparation, Phase.preparation, Phase.medication, Phase.medication,
          Phase.integration, Phase.integration)  # fmt: skip


@cache
def flagship() -> RubricDocument:
    doc = parse_rubric(FLAGSHIP.read_text(encoding="utf-8"))
    assert isinstance(doc, RubricDocument), doc
    return doc


def _rubric_info(rubric: RubricDocument) -> RubricInfo:
    return RubricInfo(rubric.id, rubric.version, rubric.title, "ab" * 32,
                      (rubric.scale.min, rubric.scale.max))  # fmt: skip


def _domains(rubric: RubricDocument) -> tuple[DomainInfo, ...]:
    minimums = rubric.readiness.program_rule.domain_min_mean
    return tuple(DomainInfo(d.key, d.title, minimums.get(d.key)) for d in rubric.domains)


def evidence(score: int, *, certified: bool = False) -> list[SessionEvidence]:
    """Six sessions over the three phases, two raters each, one point apart on odd items;
    with ``certified`` the first rater holds a calibration certification."""
    rubric = flagship()
    sessions = []
    for i, phase in enumerate(PHASES):
        keys = applicable_item_keys(rubric, SessionContext(phase, frozenset(), 3600))
        ratings = tuple(
            RaterScores(rater_id=r, rating_id=10 * i + r,
                        scores={k: min(6, score + r * (j % 2)) for j, k in enumerate(keys)},
                        certified=certified and r == 1)
            for r in (1, 2)
        )  # fmt: skip
        sessions.append(
            SessionEvidence(100 + i, date(2026, 3, 2) + timedelta(days=14 * i), phase, ratings)
        )
    return sessions


def trainee_report(
    name: str = "Ana Ruiz",
    score: int = 4,
    *,
    released_only: bool = False,
    certified: bool = False,
) -> TraineeReport:
    """A trainee whose raters score ``score`` (READY at 4, NOT_YET at 2)."""
    rubric = flagship()
    result = assess_readiness(
        rubric, evidence(score, certified=certified),
        Estimate("ICC2k", 0.84, (0.71, 0.92), "F test"),
    )  # fmt: skip
    signed = SignedDecision(
        result.decision.value, GENERATED - timedelta(days=2), "Priya Natarajan", 4,
        "Consistent across phases.", "cd" * 32,
    )  # fmt: skip
    return TraineeReport(
        program_slug="alpha", program_name="Alpha Training", trainee_id=7, trainee_name=name,
        trainee_email="ana@example.org", rubric=_rubric_info(rubric), domains=_domains(rubric),
        policy=rubric.readiness, result=result, released_only=released_only,
        latest_decision=signed, generated_at=GENERATED,
    )  # fmt: skip


def program_report(names: tuple[str, ...] = ("Ana Ruiz", "Ben Carter")) -> ProgramReport:
    """Trainees alternately READY and NOT_YET, no rater quality, no G-study yet."""
    rubric = flagship()
    rows = tuple(
        TraineeRow(i + 1, name, f"t{i + 1}@example.org", "Spring 2026",
                   trainee_report(name, 4 if i % 2 == 0 else 2).result, None)
        for i, name in enumerate(names)
    )  # fmt: skip
    nothing = NotApplicable("g_study", "the program has no rated sessions")
    return ProgramReport(
        program_slug="alpha", program_name="Alpha Training", rubric=_rubric_info(rubric),
        domains=_domains(rubric), trainees=rows, items=(), overall=None,
        quality=RaterQuality({}, {}, {}, [], None),
        generalizability=Generalizability(nothing, None, None, 0.8, "", ""),
        generated_at=GENERATED,
    )  # fmt: skip


def certificate_payload(name: str = "Ana Ruiz") -> dict[str, Any]:
    return {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "format": "guidinghand.certificate/1",
        "program": {"slug": "alpha", "name": "Alpha Training"},
        "trainee": {"name": name, "email": "ana@example.org"},
        "rubric": {"id": "pat-competency", "version": "1.0.0", "sha256": "ab" * 32},
        "decision": {"value": "READY", "decided_at": "2026-11-20T10:00:00+00:00",
                     "signed_off_by": "Priya Natarajan", "entrustment_level": 4,
                     "fingerprint": "cd" * 32},
        "evidence": {"sessions": 6, "ratings": 12,
                     "phases": ["integration", "medication", "preparation"],
                     "domains": {"A": "3.85", "B": "4.10"}},
        "reliability": {"coefficient": "ICC2k", "value": "0.84"},
        "issued_by": "Omar Haddad",
        "issued_at": "2026-11-24T09:30:00+00:00",
        "verify_url": "https://guidinghand.example.org/verify/0f8fad5b-d9cb-469f-a165-70867728950e",
    }  # fmt: skip


def certificate_report(name: str = "Ana Ruiz", *, revoked: str | None = None) -> CertificateReport:
    payload = certificate_payload(name)
    return CertificateReport(
        certificate_id=payload["id"], program_slug="alpha", sha256="ef" * 32,
        verification_code="6ANN-KAC0-0DPR-FBP3", verify_url=payload["verify_url"],
        payload=payload, issued_at=GENERATED,
        revoked_at=GENERATED + timedelta(days=30) if revoked else None,
        revocation_reason=revoked or "",
    )  # fmt: skip
