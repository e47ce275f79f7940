"""Every ORM model, imported here so that ``Base.metadata`` is complete for Alembic."""

from app.db.models.audit import AuditEvent
from app.db.models.auth import AuthToken, LoginAttempt, PasswordSetToken
from app.db.models.certificates import Certificate
from app.db.models.people import Cohort, Membership, Program, RaterConflict, User
from app.db.models.ratings import Amendment, EvidenceNote, ItemScore, Rating
from app.db.models.readiness import HarmConfirmation, ReadinessDecision
from app.db.models.rubrics import Rubric, RubricDomain, RubricItem, RubricVersion
from app.db.models.sessions import Assignment, RecordedSession

__all__ = [
    "Amendment",
    "Assignment",
    "AuditEvent",
    "AuthToken",
    "Certificate",
    "Cohort",
    "EvidenceNote",
    "HarmConfirmation",
    "ItemScore",
    "LoginAttempt",
    "Membership",
    "PasswordSetToken",
    "Program",
    "RaterConflict",
    "Rating",
    "ReadinessDecision",
    "RecordedSession",
    "Rubric",
    "RubricDomain",
    "RubricItem",
    "RubricVersion",
    "User",
]
