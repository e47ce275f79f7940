"""The closed vocabularies shared by rubrics, the database and the API."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """The three phases of psychedelic-assisted care the paper describes."""

    preparation = "preparation"
    medication = "medication"
    integration = "integration"


class Modality(StrEnum):
    """Integration approaches named in the paper; ``common`` covers every session."""

    common = "common"
    psychodynamic = "psychodynamic"
    cbt = "cbt"
    act = "act"
    met = "met"
    behavioural_activation = "behavioural-activation"
    mindfulness = "mindfulness"
    somatic = "somatic"


class Role(StrEnum):
    admin = "admin"
    trainer = "trainer"
    trainee = "trainee"


class RubricStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class AssignmentStatus(StrEnum):
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    withdrawn = "withdrawn"


# Work a rater still owes: while an assignment is in one of these, its rater is blind to
# the session's other ratings.
OPEN_ASSIGNMENT = (AssignmentStatus.assigned, AssignmentStatus.in_progress)


class RatingStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
