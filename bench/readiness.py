"""Readiness, rater quality and the G-study over a synthetic program of full size.

``python -m bench.readiness [--trainees N] [--database-url URL]`` builds a program of N
trainees x 20 sessions x 2 raters scored on the flagship rubric (bulk inserts, outside the
measurement), then times the set-based services against their targets: readiness for every
trainee under 2 s, rater quality and the G-study under 1 s. Not part of ``make bench``:
building the data takes a while.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from app.db.engine import make_engine, unit_of_work
from app.db.models import (
    Assignment,
    ItemScore,
    Membership,
    Rating,
    RecordedSession,
    RubricItem,
    User,
)
from app.domain.scoring import SessionContext, applicable_item_keys
from app.domain.vocabulary import AssignmentStatus, Phase, RatingStatus, Role
from app.services.program_quality import generalizability, rater_quality
from app.services.programs import create_cohort, create_program
from app.services.ratings import rubric_document
from app.services.readiness import readiness_of
from app.services.rubric_library import load_rubrics
from app.services.rubrics import get_rubric_version
from app.services.schema import upgrade_database

FLAGSHIP = Path(__file__).resolve().parents[1] / "rubrics" / "pat-competency.v1.yaml"
PHASES = [Phase.preparation] * 6 + [Phase.medication] * 6 + [Phase.integration] * 8
SESSIONS = len(PHASES)


def build(url: str, trainees: int, seed: int = 7) -> int:
    """The program with its ratings; returns the number of item scores."""
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
             for i in range(trainees + 4)],
        ).scalars().all()  # fmt: skip
        raters, people = users[:4], users[4:]
        session.execute(insert(Membership), [
            {"user_id": u, "program_id": program.id, "role": Role.trainer, "cohort_id": None}
            for u in raters
        ] + [
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
        pairs = [rng.sample(raters, 2) for _ in sessions]
        assignments = session.execute(
            insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True),
            [{"session_id": s, "rater_id": r, "status": AssignmentStatus.submitted}
             for s, pair in zip(sessions, pairs, strict=True) for r in pair],
        ).scalars().all()  # fmt: skip
        now = time_now()
        ratings = session.execute(
            insert(Rating).returning(Rating.id, sort_by_parameter_order=True),
            [{"assignment_id": a, "rubric_version_id": version.id,
              "status": RatingStatus.submitted, "submitted_at": now} for a in assignments],
        ).scalars().all()  # fmt: skip
        # Trainee, item and session effects the two raters share, plus each rater's noise: a
        # realistic ICC, so the decisions are a mix rather than all "insufficient evidence".
        ability = {t: rng.gauss(3.6, 0.6) for t in people}
        easiness = {key: rng.gauss(0, 0.8) for key in item_ids}
        day = [rng.gauss(0, 0.5) for _ in sessions]
        rows: list[dict[str, Any]] = []
        for n, rating in enumerate(ratings):
            trainee = people[n // (2 * SESSIONS)]
            phase = PHASES[(n // 2) % SESSIONS]
            for key in keys[phase]:
                true = ability[trainee] + easiness[key] + day[n // 2]
                score = round(true + rng.gauss(0, 0.4))
                rows.append({"rating_id": rating, "item_id": item_ids[key],
                             "score": min(6, max(0, score))})  # fmt: skip
        for start in range(0, len(rows), 50_000):
            session.execute(insert(ItemScore), rows[start : start + 50_000])
    engine.dispose()
    return len(rows)


def time_now() -> Any:
    from app.db.base import utcnow

    return utcnow()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trainees", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="guidinghand-bench-")
    url = args.database_url or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    started = time.perf_counter()
    scores = build(url, args.trainees)
    print(f"built {args.trainees:,} trainees x {SESSIONS} sessions x 2 raters: "
          f"{scores:,} item scores in {time.perf_counter() - started:.1f} s")  # fmt: skip
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        from app.services.users import get_program_by_slug

        program = get_program_by_slug(session, "bench-readiness")
        results: list[Any] = []
        seconds = timed(lambda: results.extend(readiness_of(session, program)))
        decisions: dict[str, int] = {}
        for r in results:
            decisions[r.result.decision.value] = decisions.get(r.result.decision.value, 0) + 1
        print(f"readiness, every trainee: {seconds:.2f} s (target < 2 s) {decisions}")
        print(f"  for example: {results[0].result.reasons[:2]}")
        print(f"rater quality: {timed(lambda: rater_quality(session, program)):.2f} s "
              "(target < 1 s, with the G-study)")  # fmt: skip
        print(f"G-study + D-study: {timed(lambda: generalizability(session, program)):.2f} s")
    engine.dispose()


if __name__ == "__main__":
    main()
