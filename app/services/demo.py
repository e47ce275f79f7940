"""A realistic, deterministic demonstration program.

The ratings are simulated from a small measurement model so that every later feature has
something true to find: each trainee's skill grows over time at their own rate, items
differ in difficulty, and each trainer is consistently more lenient or more severe.
score = round(skill(trainee, t) + difficulty(item) - severity(rater) + noise), clipped to
the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    Cohort,
    EvidenceNote,
    ItemScore,
    Membership,
    Program,
    Rating,
    RecordedSession,
    Rubric,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.applicability import ItemScope, item_applies
from app.domain.packed_scores import pack
from app.domain.vocabulary import AssignmentStatus, Modality, Phase, RatingStatus, Role
from app.services.errors import ConflictError, NotFoundError
from app.services.programs import create_cohort, create_program
from app.services.rubrics import latest_published
from app.services.users import create_user, grant_role

DEMO_PROGRAM_SLUG = "demo"
DEMO_PASSWORD = "guiding-hand-demo"  # noqa: S105 - printed to the person who seeds the demo
DEMO_RUBRIC = "pat-competency"
DEFAULT_SEED = 20261124

# (severity in scale points: positive is harsher, label) for the four trainers.
TRAINERS = (
    ("Amara Okafor", -0.45, "lenient"),
    ("Jonas Lindqvist", -0.15, "slightly lenient"),
    ("Mei Tanaka", 0.15, "slightly severe"),
    ("Rafael Duarte", 0.45, "severe"),
)
TRAINEES = (
    "Aisha Rahman", "Ben Carter", "Chiara Rossi", "Daniel Kim", "Elena Petrova", "Farid Haddad",
    "Grace O'Neill", "Hugo Martin", "Ines Moreau", "Jae Park", "Kofi Mensah", "Lena Fischer",
)  # fmt: skip
FOCUS_MODALITIES: dict[str, tuple[Modality, ...]] = {
    "substance use": (Modality.met, Modality.mindfulness),
    "depression": (Modality.cbt, Modality.behavioural_activation),
    "PTSD": (Modality.psychodynamic, Modality.somatic),
    "dissociation": (Modality.somatic, Modality.mindfulness),
    "anxiety": (Modality.act, Modality.mindfulness),
    "end-of-life distress": (Modality.act, Modality.psychodynamic),
}
PHASE_CYCLE = (Phase.preparation, Phase.medication, Phase.integration, Phase.integration)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    detail: str


@dataclass(frozen=True)
class DemoSummary:
    program: str
    cohorts: int
    trainees: int
    trainers: int
    sessions: int
    submitted_ratings: int
    draft_ratings: int
    calibration_sessions: int
    harm_flags: int
    password: str
    logins: list[DemoLogin]


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Program)) == 0


def existing_demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts of an already seeded database, so that every start can show them."""
    rows = session.execute(
        select(User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Program, Program.id == Membership.program_id)
        .where(Program.slug == DEMO_PROGRAM_SLUG, User.active.is_(True))
        .order_by(Membership.role, User.email)
    ).all()
    return [DemoLogin(email, role.value, "") for email, role in rows]


def seed_demo(session: Session, *, today: date, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Build the demo program; refuses if it exists, so it never doubles up."""
    if session.scalar(select(Program.id).where(Program.slug == DEMO_PROGRAM_SLUG)) is not None:
        raise ConflictError(f"the demo program {DEMO_PROGRAM_SLUG!r} already exists")
    rubric = session.scalar(select(Rubric).where(Rubric.key == DEMO_RUBRIC))
    version = latest_published(rubric) if rubric is not None else None
    if version is None:
        raise NotFoundError(
            f"rubric {DEMO_RUBRIC!r} is not loaded; run 'guidinghand rubrics load' first"
        )
    return _Builder(session, version, today, np.random.default_rng(seed)).build()


class _Builder:
    def __init__(
        self, session: Session, version: RubricVersion, today: date, rng: np.random.Generator
    ) -> None:
        self.session, self.version, self.today, self.rng = session, version, today, rng
        self.items: list[RubricItem] = list(
            session.scalars(
                select(RubricItem)
                .where(RubricItem.rubric_version_id == version.id)
                .order_by(RubricItem.position)
            )
        )
        # Safety items are drilled early, so they are a little easier; modality items harder.
        self.difficulty = {
            i.key: float(rng.normal(0.0, 0.35))
            + (0.3 if i.safety_gate else 0.0)
            - (0.3 if i.modality is not Modality.common else 0.0)
            for i in self.items
        }
        self.logins: list[DemoLogin] = []
        self.harm_flags = 0
        self._skills: dict[int, float] = {}  # the true skill behind each session

    def _user(self, name: str, email: str) -> User:
        return create_user(self.session, email=email, full_name=name, password=DEMO_PASSWORD)

    def build(self) -> DemoSummary:
        s = self.session
        program = create_program(
            s,
            slug=DEMO_PROGRAM_SLUG,
            name="Demo Institute: Psychedelic-Assisted Therapy Training",
            description="A simulated training program for exploring Guiding Hand.",
        )
        cohorts = [
            create_cohort(
                s,
                program,
                name=f"Cohort {label} ({start:%B %Y})",
                start_date=start,
                end_date=start + timedelta(days=365),
            )
            for label, start in (
                ("A", self.today - timedelta(days=300)),
                ("B", self.today - timedelta(days=160)),
            )
        ]
        admin = self._user("Priya Natarajan", "admin@demo.guidinghand.org")
        grant_role(s, admin, program, Role.admin)
        self.logins.append(DemoLogin(admin.email, "admin", "program lead; enters master ratings"))

        trainers: list[tuple[User, float]] = []
        for n, (name, severity, label) in enumerate(TRAINERS, start=1):
            user = self._user(name, f"trainer{n}@demo.guidinghand.org")
            grant_role(s, user, program, Role.trainer)
            trainers.append((user, severity))
            self.logins.append(DemoLogin(user.email, "trainer", f"{label} rater"))

        sessions: list[RecordedSession] = []
        focus_names = list(FOCUS_MODALITIES)
        for n, name in enumerate(TRAINEES, start=1):
            cohort = cohorts[0] if n <= 6 else cohorts[1]
            user = self._user(name, f"trainee{n:02d}@demo.guidinghand.org")
            grant_role(s, user, program, Role.trainee, cohort)
            start, asymptote = self.rng.uniform(1.0, 2.8), self.rng.uniform(3.3, 5.7)
            rate = self.rng.uniform(0.15, 0.6)  # per month
            pace = "fast" if rate > 0.45 else "steady" if rate > 0.28 else "slow"
            self.logins.append(
                DemoLogin(user.email, "trainee", f"{cohort.name.split(' (')[0]}, {pace} learner")
            )
            focus = [focus_names[(n - 1) % len(focus_names)]]
            if self.rng.random() < 0.4:
                focus.append(focus_names[(n + 2) % len(focus_names)])
            count = 6 + (n - 1) % 3
            span = (self.today - cohort.start_date).days - 14
            for k in range(count):
                day = cohort.start_date + timedelta(days=14 + round(span * (k + 0.5) / count))
                months = (day - cohort.start_date).days / 30.4
                skill = start + (asymptote - start) * (1 - math.exp(-rate * months))
                sessions.append(
                    self._session(program, cohort, user, PHASE_CYCLE[k % 4], focus, day, skill)
                )
        s.flush()

        calibration_ids = {sessions[i].id for i in range(3, len(sessions), 14)}
        # A few safety lapses in the weakest early work: flagged by one rater, and in the
        # weakest session by both, so that a confirmed harm flag exists.
        weakest = sorted(
            (r for r in sessions if (self.today - r.session_date).days >= 21),
            key=lambda r: (self._skills[r.id], r.id),
        )[:3]
        lapse_slots = {rec.id: (0, 1) if n == 0 else (n % 2,) for n, rec in enumerate(weakest)}
        pairs: dict[int, list[tuple[User, float]]] = {}
        for index, rec in enumerate(sessions):
            skill = self._skills[rec.id]
            pair = pairs[rec.id] = [
                trainers[(index + j) % len(trainers)] for j in (0, 1 + index % 3)
            ]
            calibration = rec.id in calibration_ids
            recent = (self.today - rec.session_date).days < 21
            for slot, (rater, severity) in enumerate(pair):
                status: RatingStatus | None = RatingStatus.submitted
                if recent and slot == 1:
                    status = RatingStatus.draft if index % 2 == 0 else None  # None: not begun
                lapse = slot in lapse_slots.get(rec.id, ())
                self._rate(
                    rec, rater, skill - severity, status, calibration=calibration, lapse=lapse
                )
            if calibration:
                self._rate(rec, admin, skill, RatingStatus.submitted, calibration=True, master=True)
            if not recent:
                rec.released_at = datetime.combine(
                    rec.session_date + timedelta(days=10), time(9), tzinfo=UTC
                )
        # The G-study block: the other two trainers also rate every calibration session and
        # the two sessions before it of the same trainee, so that six trainees have three
        # sessions each scored by all four trainers (crossed raters, as the G-study's
        # balanced subset needs), and each trainer is calibrated on six sessions.
        block = self._block(sessions, calibration_ids)
        for rec in block:
            for rater, severity in trainers:
                if (rater, severity) not in pairs[rec.id]:
                    self._rate(
                        rec, rater, self._skills[rec.id] - severity, RatingStatus.submitted,
                        calibration=rec.id in calibration_ids,
                    )  # fmt: skip
        s.flush()

        ratings = list(s.scalars(select(Rating.status)))
        return DemoSummary(
            program=program.slug,
            cohorts=len(cohorts),
            trainees=len(TRAINEES),
            trainers=len(trainers),
            sessions=len(sessions),
            submitted_ratings=ratings.count(RatingStatus.submitted),
            draft_ratings=ratings.count(RatingStatus.draft),
            calibration_sessions=len(calibration_ids),
            harm_flags=self.harm_flags,
            password=DEMO_PASSWORD,
            logins=self.logins,
        )

    @staticmethod
    def _block(sessions: list[RecordedSession], calibration_ids: set[int]) -> list[RecordedSession]:
        """Each calibration session with the two before it of the same trainee."""
        block: list[RecordedSession] = []
        for index, rec in enumerate(sessions):
            if rec.id in calibration_ids:
                block.extend(
                    earlier
                    for earlier in sessions[max(index - 2, 0) : index + 1]
                    if earlier.trainee_id == rec.trainee_id
                )
        return block

    def _session(
        self,
        program: Program,
        cohort: Cohort,
        trainee: User,
        phase: Phase,
        focus: list[str],
        day: date,
        skill: float,
    ) -> RecordedSession:
        modalities: list[Modality] = []
        if phase is Phase.integration:
            options = sorted({m for f in focus for m in FOCUS_MODALITIES[f]})
            size = 1 + int(self.rng.integers(0, 2))
            picks = self.rng.choice(len(options), size=min(size, len(options)), replace=False)
            modalities = sorted(options[int(i)] for i in picks)
        minutes = {Phase.preparation: 60, Phase.medication: 360, Phase.integration: 55}[phase]
        rec = RecordedSession(
            program=program,
            cohort=cohort,
            trainee=trainee,
            rubric_version=self.version,
            phase=phase,
            modalities=[m.value for m in modalities],
            focus_tags=focus,
            co_therapist=phase is Phase.medication and bool(self.rng.random() < 0.5),
            session_date=day,
            duration_seconds=minutes * 60 + int(self.rng.integers(-300, 300)),
            recording_url=f"https://recordings.example.org/demo/{trainee.id}-{day:%Y%m%d}.mp4",
            notes=f"Simulated {phase.value} session ({', '.join(focus)}).",
        )
        self.session.add(rec)
        self.session.flush()
        self._skills[rec.id] = skill
        return rec

    def _rate(
        self,
        rec: RecordedSession,
        rater: User,
        level: float,
        status: RatingStatus | None,
        *,
        calibration: bool,
        master: bool = False,
        lapse: bool = False,
    ) -> None:
        assignment = Assignment(
            session=rec,
            rater=rater,
            due_date=rec.session_date + timedelta(days=14),
            status={
                None: AssignmentStatus.assigned,
                RatingStatus.draft: AssignmentStatus.in_progress,
                RatingStatus.submitted: AssignmentStatus.submitted,
            }[status],
            calibration=calibration,
            is_master=master,
        )
        self.session.add(assignment)
        if status is None:
            return
        submitted_at = datetime.combine(
            rec.session_date + timedelta(days=int(self.rng.integers(2, 12))), time(17), tzinfo=UTC
        )
        rating = Rating(
            assignment=assignment,
            rubric_version_id=self.version.id,
            status=status,
            submitted_at=submitted_at if status is RatingStatus.submitted else None,
            overall_comment=_comment(level) if status is RatingStatus.submitted else "",
        )
        self.session.add(rating)
        noise = 0.3 if master else 0.45
        used = {Modality(m) for m in rec.modalities}
        applicable = [
            i
            for i in self.items
            if item_applies(ItemScope(i.key, frozenset(Phase(p) for p in i.phases), i.modality),
                            rec.phase, used)
        ]  # fmt: skip
        if status is RatingStatus.draft:
            applicable = applicable[: len(applicable) // 2]
        for item in applicable:
            # The simulation knows one reason for N/A, the flagship's: working without a
            # co-therapist. Real raters read each item's not_applicable_when.
            if item.allow_not_applicable and not rec.co_therapist:
                rating.scores.append(ItemScore(item=item, not_applicable=True))
                continue
            raw = level + self.difficulty[item.key] + self.rng.normal(0.0, noise)
            score = int(np.clip(round(raw), self.version.scale_min, self.version.scale_max))
            harm = item.safety_gate and not master and score <= 1 and self.rng.random() < 0.5
            if lapse and item.safety_gate:
                score, harm, lapse = min(score, 1), True, False
            entry = ItemScore(
                item=item,
                score=score,
                harm_flag=harm,
                harm_note=f"{item.title}: conduct at this point risked harm." if harm else "",
            )
            if harm or self.rng.random() < 0.15:
                moment = int(self.rng.integers(60, rec.duration_seconds - 60))
                entry.evidence.append(
                    EvidenceNote(timestamp_seconds=moment, note=_evidence(item.title, score))
                )
            self.harm_flags += harm
            rating.scores.append(entry)
        rating.packed_scores = pack((s.item.id, s.score, bool(s.harm_flag)) for s in rating.scores)


def _comment(level: float) -> str:
    if level >= 4.5:
        return "Confident, attuned work; ready to model this for peers."
    if level >= 3.5:
        return "Solid and safe throughout; keep deepening integration work."
    if level >= 2.5:
        return "Competent core skills; structure and follow-through need attention."
    return "Early-stage skills; focus on preparation structure and safety checks."


def _evidence(title: str, score: int) -> str:
    quality = "clear strength" if score >= 5 else "adequate" if score >= 3 else "needs work"
    return f"{title}: {quality} in this segment."
