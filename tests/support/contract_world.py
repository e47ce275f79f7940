"""A seeded world for the schemathesis contract run: two programs, every role, real objects.

The demo program supplies volume and realism (sessions at every stage: released, complete,
half-rated, not begun); a second program, built through the same services an admin uses,
supplies a neighbour whose objects must never show through. Tokens come from the login
service, so schemathesis never needs to log in (and never trips the login throttle that its
own fuzzing of ``POST /auth/token`` feeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db.engine import make_engine, unit_of_work
from app.db.models import Program, User
from app.domain.scoring import ItemScoreInput
from app.domain.vocabulary import Phase, Role
from app.services.assignments import assign_rater, queue_of
from app.services.auth import login
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.programs import create_cohort, create_program
from app.services.ratings import rating_of, save_draft
from app.services.rubric_library import load_rubrics
from app.services.schema import upgrade_database
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, grant_role
from tests.support.ratings import submit_as_rater

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
TODAY = date(2026, 11, 24)
BETA_PASSWORD = "beta program password"
# Preparation items of the flagship rubric: every one must be scored on submission.
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]

# Who schemathesis may act as: name -> (e-mail, password).
ACCOUNTS: dict[str, tuple[str, str]] = {
    "demo-admin": ("admin@demo.guidinghand.org", DEMO_PASSWORD),
    "demo-trainer-1": ("trainer1@demo.guidinghand.org", DEMO_PASSWORD),
    "demo-trainer-2": ("trainer2@demo.guidinghand.org", DEMO_PASSWORD),
    "demo-trainee-1": ("trainee01@demo.guidinghand.org", DEMO_PASSWORD),
    "demo-trainee-2": ("trainee02@demo.guidinghand.org", DEMO_PASSWORD),
    "beta-admin": ("admin@beta.example.org", BETA_PASSWORD),
}


@dataclass(frozen=True)
class ContractWorld:
    """Where the world is, and a bearer token for each of ACCOUNTS."""

    url: str
    tokens: dict[str, str]


def _beta(engine: Engine) -> None:
    """A small second program built the way its admin would, with a draft and a submission."""
    with unit_of_work(engine) as session:
        program = create_program(session, slug="beta", name="Beta Institute")
        cohort = create_cohort(session, program, name="Beta 2026", start_date=date(2026, 1, 5))
        people = {}
        for key, (role, name) in {
            "admin": (Role.admin, "Beta Admin"),
            "trainer": (Role.trainer, "Beta Trainer"),
            "second": (Role.trainer, "Beta Second"),
            "trainee": (Role.trainee, "Beta Trainee"),
        }.items():
            user = create_user(session, email=f"{key}@beta.example.org", full_name=name,
                               password=BETA_PASSWORD)  # fmt: skip
            grant_role(session, user, program, role, cohort if role is Role.trainee else None)
            people[key] = user
        for day, phase in (
            (date(2026, 3, 2), Phase.preparation),
            (date(2026, 4, 6), Phase.preparation),
        ):
            recorded = register_session(
                session, program, people["admin"],
                SessionCreate(trainee_email="trainee@beta.example.org", phase=phase,
                              session_date=day, duration_seconds=3600,
                              recording=f"https://media.example.org/beta/{day:%Y%m%d}.mp4"),
            )  # fmt: skip
            first = assign_rater(session, program, people["admin"], recorded.id,
                                 "trainer@beta.example.org")  # fmt: skip
            assign_rater(session, program, people["admin"], recorded.id, "second@beta.example.org")
            scores = [ItemScoreInput(key, 4) for key in PREPARATION]
            save_draft(session, first, scores, "Beta draft.", None)
            if day.month == 3:
                submit_as_rater(session, first, f"beta-seed-{recorded.id:04d}")


def _start_queues(session: Session) -> None:
    """Both demo peers' open assignments get a draft, so what their queue lists can be read."""
    program = session.scalar(select(Program).where(Program.slug == "demo"))
    assert program is not None
    for name in ("demo-trainer-1", "demo-trainer-2"):
        rater = session.scalar(select(User).where(User.email == ACCOUNTS[name][0]))
        assert rater is not None
        for assignment in queue_of(session, program, rater):
            if rating_of(session, assignment) is None:
                save_draft(session, assignment, [ItemScoreInput("A1", 3)], "Started.", None)


def build_contract_world(folder: Path) -> ContractWorld:
    """Migrate a fresh SQLite database in ``folder`` and fill it; tokens last 12 hours."""
    url = f"sqlite:///{folder / 'contract.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            load_rubrics(session, [FLAGSHIP])
            seed_demo(session, today=TODAY)
        _beta(engine)
        with unit_of_work(engine) as session:
            _start_queues(session)
        with unit_of_work(engine) as session:
            tokens = {}
            for name, (email, password) in ACCOUNTS.items():
                outcome = login(session, email, password, "contract-setup")
                assert outcome.token is not None, f"{name} cannot log in"
                tokens[name] = outcome.token
    finally:
        engine.dispose()
    return ContractWorld(url, tokens)
