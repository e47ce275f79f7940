"""Readiness, rater quality, the G-study and the program IRR over a full-size program.

``python -m bench.readiness [--trainees N] [--database-url URL] [--repeat R] [--reuse]``
builds a program of N trainees x 20 sessions, each rated by 2 of 4 trainers on the flagship
rubric (the items that apply to the session's phase), with every 20th session also keyed by
an admin as a calibration session (bulk inserts, outside the measurement; ``--reuse`` times
a program an earlier run left in the database at URL instead). It then times the
set-based services against their targets: readiness for every trainee under 2 s; rater
quality, the G-study and the program IRR under 1 s each. Each is run once to warm up and
then ``R`` times; the median and the fastest wall time are printed, with the process's CPU
time, which on a busy machine shows how much of the wall time was spent waiting for a core
(with PostgreSQL, the server's time is in the wall time only), and the median as a multiple
of a reference timed in the same run (see ``reference_work``). Not part of ``make bench``:
building the data takes a while.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.engine import make_engine, unit_of_work
from app.db.models import (
    Assignment,
    ItemScore,
    Membership,
    Program,
    Rating,
    RecordedSession,
    RubricItem,
    User,
)
from app.domain.packed_scores import pack
from app.domain.scoring import SessionContext, applicable_item_keys
from app.domain.vocabulary import AssignmentStatus, Phase, RatingStatus, Role
from app.services.evidence import current_version
from app.services.program_quality import generalizability, rater_quality
from app.services.program_reliability import RatingSelection, program_reliability
from app.services.programs import create_cohort, create_program
from app.services.ratings import rubric_document
from app.services.readiness import readiness_of
from app.services.rubric_library import load_rubrics
from app.services.rubrics import get_rubric_version
from app.services.schema import upgrade_database
from app.services.users import get_program_by_slug

FLAGSHIP = Path(__file__).resolve().parents[1] / "rubrics" / "pat-competency.v1.yaml"
PHASES = [Phase.preparation] * 6 + [Phase.medication] * 6 + [Phase.integration] * 8
SESSIONS = len(PHASES)
CALIBRATION_EVERY = 20
# Each trainer's own noise in scale points: the first two agree with the calibration keys
# closely enough to be certified, the other two do not.
RATER_NOISE = (0.3, 0.3, 1.2, 1.2)
MASTER_NOISE = 0.2


@dataclass(frozen=True)
class Built:
    item_scores: int
    ratings: int
    calibration_sessions: int


def build(url: str, trainees: int, seed: int = 7) -> Built:
    """The program with its ratings."""
    rng = random.Random(seed)
    upgrade_database(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        load_rubrics(session, [FLAGSHIP])
        version = get_rubric_version(session, "pat-competency", "1.0.0")
        rubric = rubric_document(version)
        program = create_program(session, slug="bench-readiness", name="Bench")
        cohort = create_cohort(session, program, name="all", start_date=date(2026, 1, 1))
        users = session.execute(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [{"email": f"u{i}@bench.org", "full_name": f"U{i}", "password_hash": None}
             for i in range(trainees + 5)],
        ).scalars().all()  # fmt: skip
        raters, admin, people = users[:4], users[4], users[5:]
        session.execute(insert(Membership), [
            {"user_id": u, "program_id": program.id, "role": Role.trainer, "cohort_id": None}
            for u in raters
        ] + [{"user_id": admin, "program_id": program.id, "role": Role.admin, "cohort_id": None}]
          + [
            {"user_id": u, "program_id": program.id, "role": Role.trainee, "cohort_id": cohort.id}
            for u in people
        ])  # fmt: skip
        item_ids = dict(
            session.execute(
                select(RubricItem.key, RubricItem.id).where(
                    RubricItem.rubric_version_id == version.id
                )
            ).all()
        )
        keys = {
            phase: applicable_item_keys(rubric, SessionContext(phase, frozenset(), 3600))
            for phase in set(PHASES)
        }
        sessions = session.execute(
            insert(RecordedSession).returning(RecordedSession.id, sort_by_parameter_order=True),
            [{"program_id": program.id, "cohort_id": cohort.id, "trainee_id": t,
              "rubric_version_id": version.id, "phase": phase, "modalities": [],
              "focus_tags": [], "session_date": date(2026, 1, 5) + timedelta(days=7 * k),
              "duration_seconds": 3600, "recording_url": "https://x.org/r.mp4"}
             for t in people for k, phase in enumerate(PHASES)],
        ).scalars().all()  # fmt: skip
        # (session row, rater or None for the master): two trainers per session, and the
        # admin's key on every CALIBRATION_EVERY-th session.
        slots: list[tuple[int, int | None]] = [
            (n, r) for n in range(len(sessions)) for r in rng.sample(range(4), 2)
        ]
        slots += [(n, None) for n in range(0, len(sessions), CALIBRATION_EVERY)]
        calibrated = set(range(0, len(sessions), CALIBRATION_EVERY))
        assignments = session.execute(
            insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True),
            [{"session_id": sessions[n], "rater_id": admin if r is None else raters[r],
              "status": AssignmentStatus.submitted, "calibration": n in calibrated,
              "is_master": r is None} for n, r in slots],
        ).scalars().all()  # fmt: skip
        # Trainee, item and session effects every rater shares, plus each rater's noise: a
        # realistic ICC, so the decisions are a mix rather than all "insufficient evidence".
        ability = {t: rng.gauss(3.6, 0.6) for t in people}
        easiness = {key: rng.gauss(0, 0.8) for key in item_ids}
        day = [rng.gauss(0, 0.5) for _ in sessions]
        scored: list[list[tuple[int, int]]] = []  # (item id, score) of each slot's rating
        for n, r in slots:
            trainee = people[n // SESSIONS]
            noise = MASTER_NOISE if r is None else RATER_NOISE[r]
            scored.append([
                (item_ids[key], min(6, max(0, round(
                    ability[trainee] + easiness[key] + day[n] + rng.gauss(0, noise)))))
                for key in keys[PHASES[n % SESSIONS]]
            ])  # fmt: skip
        now = utcnow()
        ratings = session.execute(
            insert(Rating).returning(Rating.id, sort_by_parameter_order=True),
            [{"assignment_id": a, "rubric_version_id": version.id,
              "status": RatingStatus.submitted, "submitted_at": now,
              "packed_scores": pack((item, score, False) for item, score in these)}
             for a, these in zip(assignments, scored, strict=True)],
        ).scalars().all()  # fmt: skip
        rows: list[dict[str, Any]] = [
            {"rating_id": rating, "item_id": item, "score": score}
            for rating, these in zip(ratings, scored, strict=True)
            for item, score in these
        ]
        for start in range(0, len(rows), 50_000):
            session.execute(insert(ItemScore), rows[start : start + 50_000])
    if engine.dialect.name == "postgresql":
        # The planner's statistics, as autovacuum gathers them shortly after a bulk load;
        # without them every table looks empty and nested loops win.
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    engine.dispose()
    return Built(len(rows), len(ratings), len(calibrated))


@dataclass(frozen=True)
class Timing:
    median: float
    fastest: float
    cpu: float  # the process's CPU time in the fastest run

    def __str__(self) -> str:
        return f"median {self.median:.2f} s, fastest {self.fastest:.2f} s (CPU {self.cpu:.2f} s)"


def timed(fn: Callable[[], object], repeat: int) -> Timing:
    fn()  # warm-up: caches, compiled statements, imports
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    fastest = min(runs)
    return Timing(statistics.median(w for w, _ in runs), fastest[0], fastest[1])


def verdict(t: Timing, target: float, reference: Timing) -> str:
    met = "met" if t.median < target else "MISSED"
    return f"{t} = {t.median / reference.median:.1f}x the reference (target < {target:g} s: {met})"


def reference_work(size: int, seed: int = 7) -> Callable[[], object]:
    """A fixed piece of work to state every figure against: sorting one random 64-bit
    integer per item score. Seconds differ from one machine, and one moment of a shared
    machine, to the next; ratios to work timed in the same run travel."""
    values = np.random.default_rng(seed).integers(0, 2**62, size)
    return lambda: np.sort(values)


def _built(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            found = connection.execute(
                select(Program.id).where(Program.slug == "bench-readiness")
            ).first()
    except DBAPIError:  # no schema yet
        return False
    return found is not None


def _program(session: Session) -> tuple[Program, RatingSelection]:
    program = get_program_by_slug(session, "bench-readiness")
    version = current_version(session, program)
    assert version is not None
    return program, RatingSelection(program.id, version.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainees", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="time the program a previous run built at URL"
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="guidinghand-bench-")
    url = args.database_url or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    started = time.perf_counter()
    engine = make_engine(url)
    if args.reuse and _built(engine):
        print("reusing the program already in the database")
    else:
        built = build(url, args.trainees)
        print(
            f"built {args.trainees:,} trainees x {SESSIONS} sessions x 2 of 4 trainers "
            f"(+ {built.calibration_sessions:,} calibration keys): {built.ratings:,} ratings, "
            f"{built.item_scores:,} item scores in {time.perf_counter() - started:.1f} s"
        )
    with unit_of_work(engine) as session:
        # A first use, off the clock: on SQLite a connection analyses the tables its queries
        # used when it goes back to the pool (app/db/engine.py), as autovacuum does for
        # PostgreSQL after the bulk load above, and the planner then reads with statistics.
        program, selection = _program(session)
        readiness_of(session, program)
        rater_quality(session, program)
        program_reliability(session, selection)
    with unit_of_work(engine) as session:
        program, selection = _program(session)
        item_scores = session.scalar(select(func.count()).select_from(ItemScore)) or 0
        measured = {
            name: timed(fn, args.repeat)
            for name, fn in (
                ("reference", reference_work(item_scores)),
                ("readiness", lambda: readiness_of(session, program)),
                ("quality", lambda: rater_quality(session, program)),
                ("g", lambda: generalizability(session, program)),
                ("irr", lambda: program_reliability(session, selection)),
                ("reference_after", reference_work(item_scores)),
            )
        }
        # Timed before and after the services: the slower of the two, so that a machine
        # that slowed down meanwhile does not flatter the ratios.
        reference = max(measured["reference"], measured["reference_after"], key=lambda t: t.median)
        results = readiness_of(session, program)
        decisions: dict[str, int] = {}
        for r in results:
            decisions[r.result.decision.value] = decisions.get(r.result.decision.value, 0) + 1
        uncertified = sum(r.result.n_uncertified_ratings for r in results)
        certified = [k for k, c in rater_quality(session, program).calibration.items()
                     if c.certified]  # fmt: skip
        print(f"reference, numpy sort of {item_scores:,} int64 (one per item score): {reference}")
        print(f"readiness, every trainee: {verdict(measured['readiness'], 2, reference)}")
        print(f"  decisions {decisions}; {uncertified:,} ratings by uncertified raters")
        print(f"  for example: {results[0].result.reasons[:2]}")
        print(f"rater quality: {verdict(measured['quality'], 1, reference)}")
        print(f"  certified raters: {sorted(certified)}")
        print(f"G-study + D-study: {verdict(measured['g'], 1, reference)}")
        print(f"program IRR (per item, domain, overall): {verdict(measured['irr'], 1, reference)}")
    engine.dispose()


if __name__ == "__main__":
    main()
