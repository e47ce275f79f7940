"""The world of the access matrix: two programs, every role, and every kind of object a route
addresses by id, each in the states the access rules tell apart.

Everything is built through the services an admin, a rater and a trainee use, never by raw
SQL, so that the objects are exactly what the API would have made. Each object that some actor
must not see carries a distinctive ``SECRET-...`` marker in a free-text field, so that a test
can tell from any response body whether it leaked.

Alpha, the program under test (sessions are named by the state that matters to the rules):

- ``calibrating`` (trainee's): ``trainer`` is assigned with a saved draft (pending),
  ``other_trainer`` has submitted, and ``admin`` keyed a master rating.
- ``released`` (other_trainee's): ``trainer`` has submitted, ``admin`` keyed a master rating
  (which is not feedback: the trainee never sees it); released to the trainee.
- ``complete`` (trainee's): ``trainer`` and ``other_trainer`` have submitted; not released.
- ``admin_rates`` (other_trainee's): ``admin`` is assigned and pending, ``trainer`` has
  submitted and then amended their rating.
- ``fresh`` (trainee's): nothing assigned, nothing rated.

Beta, the neighbour: its admin (``other_admin``), a trainer, a trainee in a cohort, a session
with a submitted rating, and a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from app.db.models import Assignment, Cohort, Program, Rating, RecordedSession, User
from app.domain.scoring import ItemScoreInput
from app.domain.vocabulary import Phase, Role
from app.services.amendments import AmendmentRequest, ItemChange, amend_rating
from app.services.assignments import assign_rater
from app.services.auth import login
from app.services.conflicts import declare_conflict
from app.services.feedback import release
from app.services.invitations import invite_user
from app.services.programs import create_cohort, create_program
from app.services.ratings import RatingContent, enter_master_rating, save_draft
from app.services.rubric_library import load_rubrics
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, grant_role
from tests.support.ratings import submit_as_rater

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
RUBRIC, RUBRIC_VERSION = "pat-competency", "1.0.0"
PASSWORD = "a long enough password"
# Every item of the flagship rubric that applies to a preparation session.
PREPARATION = ("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3")
# Signed-in actors; "anonymous" sends no token.
SIGNED_IN = ("admin", "trainer", "other_trainer", "trainee", "other_trainee", "other_admin")
ACTORS = (*SIGNED_IN, "anonymous")


class Secret:
    """The markers, one per object (or field) some actor must not see."""

    ALPHA_PROGRAM = "SECRET-PROGRAM-ALPHA"
    BETA_PROGRAM = "SECRET-PROGRAM-BETA"
    BETA_COHORT = "SECRET-COHORT-BETA"
    BETA_TRAINER = "SECRET-PERSON-BETA-TRAINER"
    BETA_TRAINEE = "SECRET-PERSON-BETA-TRAINEE"
    NOTES_CALIBRATING = "SECRET-NOTES-CALIBRATING"
    NOTES_RELEASED = "SECRET-NOTES-RELEASED"
    NOTES_COMPLETE = "SECRET-NOTES-COMPLETE"
    NOTES_ADMIN_RATES = "SECRET-NOTES-ADMIN-RATES"
    NOTES_FRESH = "SECRET-NOTES-FRESH"
    NOTES_BETA = "SECRET-NOTES-BETA"
    DRAFT_CALIBRATING = "SECRET-RATING-CALIBRATING-TRAINER-DRAFT"
    RATING_CALIBRATING_OTHER = "SECRET-RATING-CALIBRATING-OTHER-TRAINER"
    RATING_CALIBRATING_MASTER = "SECRET-RATING-CALIBRATING-MASTER"
    RATING_RELEASED = "SECRET-RATING-RELEASED-TRAINER"
    RATING_RELEASED_MASTER = "SECRET-RATING-RELEASED-MASTER"
    RATING_COMPLETE_TRAINER = "SECRET-RATING-COMPLETE-TRAINER"
    RATING_COMPLETE_OTHER = "SECRET-RATING-COMPLETE-OTHER-TRAINER"
    RATING_ADMIN_RATES = "SECRET-RATING-ADMIN-RATES-TRAINER"
    AMENDMENT_ADMIN_RATES = "SECRET-AMENDMENT-ADMIN-RATES-TRAINER"
    RATING_BETA = "SECRET-RATING-BETA"
    CONFLICT_ALPHA = "SECRET-CONFLICT-ALPHA"
    CONFLICT_BETA = "SECRET-CONFLICT-BETA"


ALL_SECRETS = frozenset(value for name, value in vars(Secret).items() if not name.startswith("_"))


@dataclass(frozen=True)
class AccessWorld:
    """Plain ids and tokens only: the ORM objects stay with the session that built them."""

    tokens: dict[str, str]
    emails: dict[str, str]
    user_ids: dict[str, int]
    # Object ids by name: "session.complete", "assignment.calibrating.trainer", ...
    ids: dict[str, int]
    # The current version of each submitted rating, which an amendment must send back.
    rating_versions: dict[str, int]
    # The key the other trainer submitted with: replaying it is a 200, not a 409.
    submitted_key: str
    # An unused invitation token, for the public password-set route.
    invitation_token: str

    def headers(self, actor: str) -> dict[str, str]:
        token = self.tokens.get(actor)
        return {"Authorization": f"Bearer {token}"} if token else {}


def full_rating(comment: str, score: int = 4) -> RatingContent:
    return RatingContent([ItemScoreInput(key, score) for key in PREPARATION], comment)


def _person(
    session: Session,
    key: str,
    name: str,
    program: Program,
    role: Role,
    cohort: Cohort | None = None,
) -> User:
    user = create_user(session, email=f"{key}@example.org", full_name=name, password=PASSWORD)
    grant_role(session, user, program, role, cohort)
    return user


def build_access_world(session: Session) -> AccessWorld:
    load_rubrics(session, [FLAGSHIP])
    alpha = create_program(session, slug="alpha", name="Alpha", description=Secret.ALPHA_PROGRAM)
    beta = create_program(session, slug="beta", name="Beta", description=Secret.BETA_PROGRAM)
    cohort = create_cohort(session, alpha, name="2026", start_date=date(2026, 1, 1))
    beta_cohort = create_cohort(session, beta, name=Secret.BETA_COHORT,
                                start_date=date(2026, 1, 1))  # fmt: skip

    people = {
        "admin": _person(session, "admin", "Alpha Admin", alpha, Role.admin),
        "trainer": _person(session, "trainer", "Alpha Trainer", alpha, Role.trainer),
        "other_trainer": _person(session, "other_trainer", "Other Trainer", alpha, Role.trainer),
        "trainee": _person(session, "trainee", "Alpha Trainee", alpha, Role.trainee, cohort),
        "other_trainee": _person(session, "other_trainee", "Other Trainee", alpha, Role.trainee,
                                 cohort),
        "other_admin": _person(session, "other_admin", "Beta Admin", beta, Role.admin),
        "beta_trainer": _person(session, "beta_trainer", Secret.BETA_TRAINER, beta, Role.trainer),
        "beta_trainee": _person(session, "beta_trainee", Secret.BETA_TRAINEE, beta, Role.trainee,
                                beta_cohort),
    }  # fmt: skip
    admin, other_admin = people["admin"], people["other_admin"]
    invitation = invite_user(
        session, email="invitee@example.org", full_name="Invitee", program=alpha,
        role=Role.trainee, cohort=cohort, invited_by=admin,
    )  # fmt: skip

    def recorded(program: Program, by: User, trainee: str, notes: str, day: int) -> RecordedSession:
        return register_session(
            session, program, by,
            SessionCreate(
                trainee_email=f"{trainee}@example.org", phase=Phase.preparation,
                session_date=date(2026, 3, day), duration_seconds=3600,
                recording=f"https://media.example.org/{program.slug}/{day}.mp4", notes=notes,
            ),
        )  # fmt: skip

    def assign(program: Program, by: User, target: RecordedSession, rater: str) -> Assignment:
        return assign_rater(session, program, by, target.id, f"{rater}@example.org")

    ids: dict[str, int] = {}
    ratings: dict[str, Rating] = {}

    def rate(name: str, assignment: Assignment, comment: str) -> None:
        rating = submit_as_rater(session, assignment, f"key-{name}", full_rating(comment))
        ids[f"assignment.{name}"], ids[f"rating.{name}"] = assignment.id, rating.id
        ratings[name] = rating

    calibrating = recorded(alpha, admin, "trainee", Secret.NOTES_CALIBRATING, 2)
    pending = assign(alpha, admin, calibrating, "trainer")
    partial = [ItemScoreInput(key, 4) for key in PREPARATION[:3]]
    draft = save_draft(session, pending, partial, Secret.DRAFT_CALIBRATING, None)
    ids["assignment.calibrating.trainer"], ids["rating.calibrating.trainer"] = pending.id, draft.id
    rate("calibrating.other_trainer", assign(alpha, admin, calibrating, "other_trainer"),
         Secret.RATING_CALIBRATING_OTHER)  # fmt: skip
    master = enter_master_rating(session, alpha, admin, calibrating.id,
                                 full_rating(Secret.RATING_CALIBRATING_MASTER, 3))  # fmt: skip
    ids["assignment.calibrating.master"] = master.assignment_id
    ids["rating.calibrating.master"] = master.id
    ratings["calibrating.master"] = master

    released = recorded(alpha, admin, "other_trainee", Secret.NOTES_RELEASED, 3)
    rate("released.trainer", assign(alpha, admin, released, "trainer"), Secret.RATING_RELEASED)
    enter_master_rating(session, alpha, admin, released.id,
                        full_rating(Secret.RATING_RELEASED_MASTER, 3))  # fmt: skip
    release(session, alpha, admin, released.id)

    complete = recorded(alpha, admin, "trainee", Secret.NOTES_COMPLETE, 4)
    # Both assigned before either submits: a session whose ratings are all in takes no rater.
    first, second = (assign(alpha, admin, complete, r) for r in ("trainer", "other_trainer"))
    rate("complete.trainer", first, Secret.RATING_COMPLETE_TRAINER)
    rate("complete.other_trainer", second, Secret.RATING_COMPLETE_OTHER)

    admin_rates = recorded(alpha, admin, "other_trainee", Secret.NOTES_ADMIN_RATES, 5)
    ids["assignment.admin_rates.admin"] = assign(alpha, admin, admin_rates, "admin").id
    rate("admin_rates.trainer", assign(alpha, admin, admin_rates, "trainer"),
         Secret.RATING_ADMIN_RATES)  # fmt: skip
    amended = ratings["admin_rates.trainer"]
    amend_rating(
        session, alpha, people["trainer"], frozenset({Role.trainer}), amended.id,
        AmendmentRequest(reason=Secret.AMENDMENT_ADMIN_RATES, version=amended.version,
                         items=[ItemChange("A1", 5)]),
    )  # fmt: skip

    fresh = recorded(alpha, admin, "trainee", Secret.NOTES_FRESH, 6)
    conflict = declare_conflict(session, alpha, admin, rater_email="other_trainer@example.org",
                                trainee_email="other_trainee@example.org",
                                reason=Secret.CONFLICT_ALPHA)  # fmt: skip

    beta_session = recorded(beta, other_admin, "beta_trainee", Secret.NOTES_BETA, 2)
    rate("beta", assign(beta, other_admin, beta_session, "beta_trainer"), Secret.RATING_BETA)
    beta_conflict = declare_conflict(session, beta, other_admin,
                                     rater_email="beta_trainer@example.org",
                                     trainee_email="beta_trainee@example.org",
                                     reason=Secret.CONFLICT_BETA)  # fmt: skip

    ids.update({
        "session.calibrating": calibrating.id, "session.released": released.id,
        "session.complete": complete.id, "session.admin_rates": admin_rates.id,
        "session.fresh": fresh.id, "session.beta": beta_session.id,
        "cohort.alpha": cohort.id, "cohort.beta": beta_cohort.id,
        "conflict.alpha": conflict.id, "conflict.beta": beta_conflict.id,
        "membership.trainee": people["trainee"].memberships[0].id,
        "membership.beta_trainee": people["beta_trainee"].memberships[0].id,
        "user.trainee": people["trainee"].id, "user.other_trainee": people["other_trainee"].id,
        "user.beta_trainee": people["beta_trainee"].id,
    })  # fmt: skip
    session.flush()
    tokens: dict[str, str] = {}
    for number, actor in enumerate(SIGNED_IN, start=1):
        outcome = login(session, f"{actor}@example.org", PASSWORD, f"10.0.0.{number}")
        assert outcome.token is not None, actor
        tokens[actor] = outcome.token
    return AccessWorld(
        tokens=tokens,
        emails={key: user.email for key, user in people.items()},
        user_ids={key: user.id for key, user in people.items()},
        ids=ids,
        rating_versions={name: rating.version for name, rating in ratings.items()},
        submitted_key="key-calibrating.other_trainer",
        invitation_token=invitation.token,
    )
