"""Page latency: each main page of the demo program, served by ``guidinghand serve``.

Target (issue #6): every main page under 150 ms at p95 on SQLite with the demo data.
Each page is fetched sequentially by one signed-in browser-like client (cookie and CSRF
as a browser), after a warm-up; the reference is ``/healthz`` on the same server in the
same run, so the ratio shows what a page costs beyond the bare request path.

    python -m bench.pages [--requests 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import select

from app.db.engine import make_engine, unit_of_work
from app.db.models import Assignment, RecordedSession, User
from app.domain.vocabulary import OPEN_ASSIGNMENT
from app.services.demo import DEMO_PASSWORD, seed_demo
from app.services.rubric_library import load_rubrics
from app.services.schema import upgrade_database
from bench.load_ratings import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_SECONDS = 0.150
TRAINER = "trainer1@demo.guidinghand.org"
TRAINEE = "trainee04@demo.guidinghand.org"
ADMIN = "admin@demo.guidinghand.org"


@dataclass(frozen=True)
class Timing:
    page: str
    p50: float
    p95: float
    reference_p50: float

    @property
    def ratio(self) -> float:
        return self.p50 / self.reference_p50

    def __str__(self) -> str:
        verdict = "met" if self.p95 < TARGET_P95_SECONDS else "MISSED"
        return (
            f"  {self.page:<44} p50 {self.p50 * 1e3:6.1f} ms  p95 {self.p95 * 1e3:6.1f} ms  "
            f"{self.ratio:5.1f}x /healthz  (p95 < {TARGET_P95_SECONDS * 1e3:.0f} ms: {verdict})"
        )


def _prepare(database_url: str) -> dict[str, list[str]]:
    """Migrate, load the rubrics, seed the demo; the pages each role opens first."""
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            load_rubrics(session, sorted((ROOT / "rubrics").glob("*.yaml")))
            seed_demo(session, today=date(2026, 11, 24))
        with unit_of_work(engine) as session:
            open_one = session.scalars(
                select(Assignment.id)
                .join(User, User.id == Assignment.rater_id)
                .where(User.email == TRAINER, Assignment.status.in_(OPEN_ASSIGNMENT))
                .order_by(Assignment.id)
            ).first()
            compared = session.scalars(
                select(RecordedSession.id)
                .join(Assignment, Assignment.session_id == RecordedSession.id)
                .join(User, User.id == Assignment.rater_id)
                .where(User.email == TRAINER, Assignment.status == "submitted")
                .order_by(RecordedSession.session_date.desc())
            ).first()
            trainee = session.scalar(select(User.id).where(User.email == TRAINEE))
            released = session.scalars(
                select(RecordedSession.id)
                .where(
                    RecordedSession.trainee_id == trainee, RecordedSession.released_at.is_not(None)
                )
                .order_by(RecordedSession.session_date.desc())
            ).first()
    finally:
        engine.dispose()
    return {
        TRAINER: ["/p/demo/trainer", f"/p/demo/assignments/{open_one}",
                  f"/p/demo/sessions/{compared}/comparison", "/p/demo/calibration"],
        TRAINEE: ["/p/demo/trainee", "/p/demo/trainee/sessions",
                  f"/p/demo/trainee/sessions/{released}"],
        ADMIN: ["/p/demo/admin", "/p/demo/admin/people", "/p/demo/admin/sessions",
                f"/p/demo/admin/sessions/{compared}", "/p/demo/admin/readiness",
                f"/p/demo/admin/trainees/{trainee}", "/p/demo/admin/reliability",
                "/p/demo/admin/certificates", "/p/demo/admin/audit",
                "/rubrics/pat-competency/1.0.0"],
    }  # fmt: skip


def _sign_in(base_url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30, headers={"accept": "text/html"})
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD,
                                           "csrftoken": client.cookies["csrftoken"]})  # fmt: skip
    if "gh_session" not in client.cookies:
        raise SystemExit(f"error: could not sign in as {email}: {response.status_code}")
    return client


def _latencies(client: httpx.Client, path: str, requests: int) -> list[float]:
    for _ in range(3):
        client.get(path)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"error: {path} answered {response.status_code}")
    return sorted(samples)


def _p95(samples: Sequence[float]) -> float:
    return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def run(requests: int) -> list[Timing]:
    with tempfile.TemporaryDirectory(prefix="guidinghand-pages-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'pages.db'}"
        pages = _prepare(database_url)
        server = start_server(database_url, workdir, [], {})
        try:
            reference = _latencies(httpx.Client(base_url=server.base_url), "/healthz", requests)
            reference_p50 = statistics.median(reference)
            timings = []
            for email, paths in pages.items():
                client = _sign_in(server.base_url, email)
                for path in paths:
                    samples = _latencies(client, path, requests)
                    timings.append(Timing(path, statistics.median(samples), _p95(samples),
                                          reference_p50))  # fmt: skip
        finally:
            stop_server(server)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per page")
    args = parser.parse_args(argv)
    timings = run(args.requests)
    print(f"Main pages, demo program on SQLite, {args.requests} sequential requests each:")
    for timing in timings:
        print(timing)
    return 0 if all(t.p95 < TARGET_P95_SECONDS for t in timings) else 1


if __name__ == "__main__":
    raise SystemExit(main())
