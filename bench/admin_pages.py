"""The admin's pages over a program of full size, in process.

``python -m bench.admin_pages [--trainees N] [--events E] [--requests R]`` builds the
synthetic program of ``bench.readiness`` (N trainees x 20 sessions x 2 raters, every rating
submitted), then gives it the mix an admin meets: half the sessions released, 500 sessions
without raters, 500 with a rater late, and E audit events. It times each admin page as a
signed-in browser fetches it (cookie and CSRF, through the whole app, no network), after a
warm-up. Target (issue #6): p95 under 150 ms per page. Not part of ``make bench``: building
the data takes a while.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from app.config import Settings, get_settings
from app.db.base import utcnow
from app.db.engine import make_engine, unit_of_work
from app.db.models import Assignment, AuditEvent, Cohort, RecordedSession
from app.domain.vocabulary import AssignmentStatus, Phase, Role
from app.main import create_app
from app.services.users import create_user, get_program_by_slug, grant_role
from bench.readiness import build

SLUG = "bench-readiness"
ADMIN = "bench-admin@bench.org"
PASSWORD = "a bench password, long enough"  # noqa: S105 - a throwaway database
TARGET_P95_SECONDS = 0.150


def shape(url: str, events: int) -> int:
    """Give the built program its unfinished work, an admin, and a long audit log."""
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        program = get_program_by_slug(session, SLUG)
        admin = create_user(session, email=ADMIN, full_name="Bench Admin", password=PASSWORD)
        grant_role(session, admin, program, Role.admin)
        ids = session.scalars(
            select(RecordedSession.id).where(RecordedSession.program_id == program.id)
        ).all()
        session.execute(
            update(RecordedSession)
            .where(RecordedSession.id.in_(ids[: len(ids) // 2]))
            .values(released_at=utcnow())
        )
        late = ids[len(ids) // 2 : len(ids) // 2 + 500]
        first_of = session.execute(
            select(Assignment.session_id, Assignment.id).where(Assignment.session_id.in_(late))
        ).all()
        reopened = list(dict(first_of).values())  # one rater of each becomes late
        session.execute(
            update(Assignment)
            .where(Assignment.id.in_(reopened))
            .values(status=AssignmentStatus.assigned, due_date=date(2026, 1, 1))
        )
        template = session.get(RecordedSession, ids[0])
        assert template is not None
        cohort = session.scalar(select(Cohort.id).where(Cohort.program_id == program.id))
        session.execute(insert(RecordedSession), [
            {"program_id": program.id, "cohort_id": cohort, "trainee_id": template.trainee_id,
             "rubric_version_id": template.rubric_version_id, "phase": Phase.integration,
             "modalities": [], "focus_tags": [], "duration_seconds": 3600,
             "session_date": date(2027, 1, 1) + timedelta(days=k),
             "recording_url": f"https://x.org/new-{k}.mp4"}
            for k in range(500)
        ])  # fmt: skip
        now = utcnow()
        # The chain's hashes are not checked here, only unique as the schema wants them.
        for start in range(0, events, 20_000):
            session.execute(insert(AuditEvent), [
                {"occurred_at": now, "actor_id": admin.id, "program_id": program.id,
                 "action": ("assignment.create", "rating.submit", "session.release")[k % 3],
                 "entity_type": "assignment", "entity_id": str(k),
                 "payload": {"session_id": ids[k % len(ids)], "rater_id": admin.id},
                 "prev_hash": f"e{k:063x}", "hash": f"f{k:063x}"}
                for k in range(start, min(events, start + 20_000))
            ])  # fmt: skip
        total = len(ids) + 500
    engine.dispose()
    return total


def _p95(samples: Sequence[float]) -> float:
    return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trainees", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="guidinghand-bench-")
    url = args.database_url or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    started = time.perf_counter()
    build(url, args.trainees)
    sessions = shape(url, args.events)
    print(f"built {sessions:,} sessions of {args.trainees:,} trainees and {args.events:,} "
          f"audit events in {time.perf_counter() - started:.0f} s")  # fmt: skip
    settings = Settings(**{**get_settings().model_dump(), "database_url": url})
    a = f"/p/{SLUG}/admin"
    pages = [
        a, f"{a}/people", f"{a}/sessions", f"{a}/sessions?status=complete",
        f"{a}/sessions?status=awaiting&overdue=1", f"{a}/sessions?page=200",
        f"{a}/sessions/{sessions - 600}", f"{a}/audit", f"{a}/audit?action=session.release",
    ]  # fmt: skip
    app = create_app(settings)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line a request otherwise
    with TestClient(app, headers={"accept": "text/html"}) as client:
        client.get("/login")
        client.post("/login", data={"email": ADMIN, "password": PASSWORD,
                                    "csrftoken": client.cookies["csrftoken"]})  # fmt: skip
        print(f"Admin pages, {sessions:,} sessions, {args.requests} sequential requests each:")
        for path in pages:
            for _ in range(2):
                client.get(path)
            samples = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = client.get(path)
                samples.append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise SystemExit(f"error: {path} answered {response.status_code}")
            samples.sort()
            p95 = _p95(samples)
            verdict = "met" if p95 < TARGET_P95_SECONDS else "MISSED"
            p50 = statistics.median(samples)
            print(f"  {path:<52} p50 {p50 * 1e3:7.1f} ms  p95 {p95 * 1e3:7.1f} ms  "
                  f"(< {TARGET_P95_SECONDS * 1e3:.0f} ms: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
