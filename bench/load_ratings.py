"""Rating submissions over HTTP: `guidinghand serve` under at most 16 concurrent raters.

Trainers submit whole ratings of the flagship rubric in one round trip (`POST
.../assignments/{id}/rating/submit` with the rating in the body and an Idempotency-Key), which
is the write that every rating ends with and the one that must stay fast when a cohort's
raters finish at once. Target on SQLite on the 2-core development machines: at least 300
submissions/s with p99 under 50 ms and no errors; on PostgreSQL the figures are reported.

The server is the real entry point, started as a subprocess on a free port on 127.0.0.1, so
that uvicorn, the request dependencies and the commit are all in what is measured. Set-up
(schema, rubric, people, sessions, assignments, logins) goes through the services, outside
the measurement. Afterwards the database must hold exactly the acknowledged submissions.

    python -m bench.load_ratings [--clients 8] [--submissions 3000] [--json]
    python -m bench.load_ratings --database-url postgresql+psycopg://postgres@127.0.0.1:5432/guidinghand_bench

Clients are closed-loop: each sends its next submission when the previous one is answered.
They run on one asyncio loop in this process, which shares the machine's cores with the
server, so the client side is kept light (bodies are encoded once, before the run). With a
closed loop, mean latency = clients / throughput (Little's law): at 16 clients, p99 under
50 ms needs well over 320 submissions/s, and at 300/s the mean alone is 53 ms, so 16 clients
test throughput and queueing rather than the latency target. The default is 8 (of the at
most 16 the target allows), where 300/s leaves a mean of 27 ms. The CPU time the server, the
load generator, PostgreSQL and everything else used during the run is reported too, since
other work on a shared 2-core machine changes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, func, make_url, select, text

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
MAX_CLIENTS = 16
DEFAULT_CLIENTS = 8
PASSWORD = "bench password, long enough"  # noqa: S105 - throwaway bench accounts
PROGRAM = "bench"
TRAINEES = 8
DURATION_SECONDS = 3600
# (phase, modalities): every phase in turn, integration with every modality so that each of
# its modality items applies; the rating then covers the whole rubric as far as it applies.
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("preparation", ()),
    ("medication", ()),
    (
        "integration",
        ("psychodynamic", "cbt", "act", "met", "behavioural-activation", "mindfulness", "somatic"),
    ),
)
TARGET_THROUGHPUT = 300.0  # submissions per second, at least
TARGET_P99_MS = 50.0  # under
# --seconds cannot know how many submissions it will need; assignments are prepared for
# this rate, and a client that runs out stops (reported) rather than resubmitting.
SECONDS_BUDGET_RATE = 600
EXIT_ERRORS = 1
EXIT_TARGET_MISSED = 3


# ---------------------------------------------------------------------------------------
# Set-up, through the services


@dataclass(frozen=True)
class Job:
    """One submission: which assignment, and the encoded body (encoded once, off the clock)."""

    assignment_id: int
    body: bytes
    items: int


@dataclass
class Workload:
    program: str
    tokens: list[str]  # one per client (each client is one trainer)
    jobs: list[list[Job]]  # per client, in order


def _settings_for_setup(database_url: str) -> None:
    """Settings are cached per process: fix them before any service reads them.

    The fast hasher keeps set-up logins cheap; logins are not what is measured.
    """
    os.environ.update(
        {
            "GUIDINGHAND_ENV": "development",
            "GUIDINGHAND_HASHER_PROFILE": "fast",
            "GUIDINGHAND_DATABASE_URL": database_url,
        }
    )
    from app.config import get_settings
    from app.services.passwords import password_hasher

    get_settings.cache_clear()
    password_hasher.cache_clear()


def _rating_body(
    rubric: Any, phase: str, modalities: Sequence[str], seed: int
) -> tuple[bytes, int]:
    """A complete, valid rating for a session of this phase, built from the rubric itself.

    Every applicable item is scored (or, where the rubric allows it, marked not applicable,
    as a solo therapist's co-therapy item would be), and two items carry evidence notes.
    """
    from app.domain.scoring import SessionContext, applicable_item_keys
    from app.domain.vocabulary import Modality, Phase

    context = SessionContext(
        Phase(phase), frozenset(Modality(m) for m in modalities), DURATION_SECONDS
    )
    keys = applicable_item_keys(rubric, context)
    items = {item.key: item for item in rubric.items}
    low, high = rubric.scale.min, rubric.scale.max
    scores: list[dict[str, Any]] = []
    for position, key in enumerate(keys):
        entry: dict[str, Any] = {
            "item_key": key, "score": None, "not_applicable": False,
            "harm_flag": False, "harm_note": "", "evidence": [],
        }  # fmt: skip
        if items[key].allow_not_applicable:
            entry["not_applicable"] = True
        else:
            entry["score"] = low + 2 + (seed + position) % (high - low - 1)
        if position < 2:
            entry["evidence"] = [
                {
                    "timestamp_seconds": (seed * 97 + position * 1200) % DURATION_SECONDS,
                    "note": f"{key}: the moment that decided the score (bench rating {seed}).",
                }
            ]
        scores.append(entry)
    body = {
        "scores": scores,
        "overall_comment": "Rated by the load bench; scores vary with the session.",
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8"), len(scores)


def prepare(engine: Engine, clients: int, per_client: int) -> Workload:
    """Program, cohort, trainees, one trainer per client, sessions and their assignments."""
    from app.db.engine import unit_of_work
    from app.domain.rubrics.parse import parse_rubric
    from app.domain.vocabulary import Modality, Phase, Role
    from app.services.assignments import assign_rater
    from app.services.auth import login
    from app.services.programs import create_cohort, create_program
    from app.services.rubric_library import load_rubrics
    from app.services.sessions import SessionCreate, register_session
    from app.services.users import create_user, grant_role

    rubric = parse_rubric(FLAGSHIP.read_text(encoding="utf-8"))
    jobs: list[list[Job]] = [[] for _ in range(clients)]
    with unit_of_work(engine) as session:
        load_rubrics(session, [FLAGSHIP])
        program = create_program(session, slug=PROGRAM, name="Load bench")
        cohort = create_cohort(session, program, name="bench", start_date=date(2026, 1, 1))
        admin = create_user(session, email="admin@bench.example.org", full_name="Bench Admin")
        grant_role(session, admin, program, Role.admin)
        trainees = []
        for t in range(TRAINEES):
            trainee = create_user(
                session, email=f"trainee{t}@bench.example.org", full_name=f"Trainee {t}"
            )
            grant_role(session, trainee, program, Role.trainee, cohort)
            trainees.append(trainee)
        trainers = []
        for c in range(clients):
            trainer = create_user(
                session, email=f"trainer{c}@bench.example.org", full_name=f"Trainer {c}",
                password=PASSWORD,
            )  # fmt: skip
            grant_role(session, trainer, program, Role.trainer)
            trainers.append(trainer)
        for s in range(per_client):
            phase, modalities = PHASES[s % len(PHASES)]
            recorded = register_session(
                session, program, admin,
                SessionCreate(
                    trainee_email=trainees[s % TRAINEES].email, phase=Phase(phase),
                    session_date=date(2026, 1, 1) + timedelta(days=s % 300),
                    duration_seconds=DURATION_SECONDS,
                    recording=f"https://media.example.org/bench/{s}.mp4",
                    modalities=tuple(Modality(m) for m in modalities),
                ),
            )  # fmt: skip
            for c, trainer in enumerate(trainers):
                assignment = assign_rater(session, program, admin, recorded.id, trainer.email)
                body, items = _rating_body(rubric, phase, modalities, s * MAX_CLIENTS + c)
                jobs[c].append(Job(assignment.id, body, items))
    tokens = []
    with unit_of_work(engine) as session:
        for trainer in trainers:
            outcome = login(session, trainer.email, PASSWORD, "127.0.0.1")
            assert outcome.token is not None, f"bench login failed for {trainer.email}"
            tokens.append(outcome.token)
    return Workload(PROGRAM, tokens, jobs)


@contextmanager
def scratch_database(database_url: str | None, workdir: Path) -> Iterator[str]:
    """A temporary SQLite file, or a PostgreSQL database created for the run and dropped.

    An existing PostgreSQL database is never reused or dropped: it may hold someone's data
    (the test suite's ``test`` database, for one).
    """
    if database_url is None:
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("error: --database-url: only postgresql URLs (SQLite is the default)")
    name = url.database
    if not name:
        raise SystemExit("error: --database-url: name the scratch database to create")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if exists:
                raise SystemExit(
                    f"error: database {name!r} exists; the bench creates and drops its own "
                    f"scratch database (drop it with: dropdb -h {url.host} -U {url.username} "
                    f"{name})"
                )
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# ---------------------------------------------------------------------------------------
# The server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _guidinghand() -> list[str]:
    """The installed console script beside this interpreter: what an operator runs."""
    beside = Path(sys.executable).parent / "guidinghand"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("guidinghand")
    return [found] if found else [sys.executable, "-m", "app.cli"]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_tail(self, lines: int = 20) -> str:
        text_ = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text_.splitlines()[-lines:])


def start_server(
    database_url: str, workdir: Path, serve_args: Sequence[str], extra_env: dict[str, str]
) -> Server:
    port = _free_port()
    env = {
        **os.environ,
        "GUIDINGHAND_ENV": "development",
        "GUIDINGHAND_DATABASE_URL": database_url,
        "GUIDINGHAND_SIGNING_KEY_PATH": str(workdir / "keys" / "signing-key.pem"),
        "GUIDINGHAND_MEDIA_ROOT": str(workdir / "media"),
        "GUIDINGHAND_RUBRICS_DIR": str(ROOT / "rubrics"),
        **extra_env,
    }
    command = [*_guidinghand(), "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args]
    log_path = workdir / "server.log"
    # A file, not a pipe: nobody reads the server's output during the run, and a full pipe
    # would block the server's logging and, with it, every request.
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise SystemExit(f"error: the server did not come up:\n{server.log_tail()}")
        time.sleep(0.1)


def stop_server(server: Server) -> int:
    """SIGINT, as Ctrl-C would: uvicorn finishes in-flight requests and exits 0."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            return server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
            return -signal.SIGKILL
    return server.process.returncode


# ---------------------------------------------------------------------------------------
# The load


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged only
    acknowledged: list[int] = field(default_factory=list)  # assignment ids
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    ran_out: int = 0  # clients that used up their assignments under --seconds


def _error_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message", "")
    except (ValueError, AttributeError):
        message = response.text[:200]
    return str(message)[:200]


async def _client(
    base_url: str, program: str, token: str, jobs: Sequence[Job], count: int | None,
    deadline: float | None, run_id: str, tally: Tally,
) -> None:  # fmt: skip
    """One rater submitting back to back; stops after ``count`` or at ``deadline``."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=30
    ) as client:
        for index, job in enumerate(jobs):
            if count is not None and index >= count:
                return
            if deadline is not None and time.perf_counter() >= deadline:
                return
            url = f"/api/v1/programs/{program}/assignments/{job.assignment_id}/rating/submit"
            key = {"Idempotency-Key": f"bench-{run_id}-{job.assignment_id}"}
            start = time.perf_counter()
            try:
                response = await client.post(url, content=job.body, headers=key)
            except httpx.HTTPError as exc:
                tally.errors[("transport", f"{type(exc).__name__}: {exc}"[:200])] += 1
                continue
            elapsed = time.perf_counter() - start
            replayed = response.headers.get("idempotent-replayed") == "true"
            if response.status_code == 200 and not replayed:
                tally.latencies.append(elapsed)
                tally.acknowledged.append(job.assignment_id)
            elif replayed:
                tally.errors[("200", "replayed: an earlier submission was acknowledged")] += 1
            else:
                tally.errors[(str(response.status_code), _error_message(response))] += 1
        if deadline is not None:
            tally.ran_out += 1


async def _phase(
    workload: Workload, base_url: str, offsets: Sequence[int], counts: Sequence[int | None],
    seconds: float | None, run_id: str,
) -> tuple[Tally, float]:  # fmt: skip
    tally = Tally()
    start = time.perf_counter()
    deadline = start + seconds if seconds is not None else None
    await asyncio.gather(
        *(
            _client(base_url, workload.program, token, jobs[offset:], count, deadline,
                    run_id, tally)
            for token, jobs, offset, count in zip(
                workload.tokens, workload.jobs, offsets, counts, strict=True
            )
        )
    )  # fmt: skip
    return tally, time.perf_counter() - start


def _split(total: int, clients: int) -> list[int]:
    return [total // clients + (1 if c < total % clients else 0) for c in range(clients)]


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far, from /proc (Linux): where the time goes on a shared machine."""

    server: float  # the server and its descendants (uvicorn workers)
    database: float  # PostgreSQL backends serving the bench's database; 0 on SQLite
    machine: float  # every process

    @staticmethod
    def take(server_pid: int, database: str | None) -> CpuSample | None:
        try:
            tick = os.sysconf("SC_CLK_TCK")
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:8]
            user, nice, system, _idle, _iowait, irq, softirq = map(int, fields)
            machine = (user + nice + system + irq + softirq) / tick
            table: dict[int, tuple[int, float, str]] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text().rpartition(")")[2].split()
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except (OSError, UnicodeDecodeError):
                    continue  # gone, or not ours to read
                # After the command name: state, ppid, ..., utime and stime at 12 and 13.
                cpu = (int(stat[11]) + int(stat[12])) / tick
                table[int(entry.name)] = (int(stat[1]), cpu, command)
        except (OSError, ValueError):
            return None
        family, grew = {server_pid}, True
        while grew:
            grew = False
            for pid, (ppid, _, _) in table.items():
                if ppid in family and pid not in family:
                    family.add(pid)
                    grew = True
        server = sum(table[pid][1] for pid in family if pid in table)
        # A backend's title is "postgres: [cluster: ]USER DATABASE HOST(PORT) STATE".
        marker = f" {database} "
        db = sum(
            cpu
            for _, cpu, command in table.values()
            if database and command.startswith("postgres:") and marker in command
        )
        return CpuSample(server, db, machine)


@dataclass
class LoadRun:
    warm: Tally
    measured: Tally
    wall: float
    client_cpu: float  # seconds of CPU this process (the load generator) used
    # Seconds of CPU during the measured run, when /proc could tell.
    server_cpu: float | None = None
    database_cpu: float | None = None
    other_cpu: float | None = None  # every other process: other people's work


def run_load(
    workload: Workload, server: Server, warmup: int, submissions: int | None,
    seconds: float | None, database: str | None,
) -> LoadRun:  # fmt: skip
    """Warm-up (unmeasured), then the measured run.

    Each client works through its own assignments, so the measured run starts where the
    warm-up stopped and never submits an assignment twice.
    """
    clients = len(workload.tokens)
    run_id = f"{os.getpid()}-{time.time_ns()}"
    warm_counts = _split(warmup, clients)
    warm, _ = asyncio.run(
        _phase(workload, server.base_url, [0] * clients, warm_counts, None, run_id)
    )
    counts: list[int | None] = (
        [None] * clients if submissions is None else list(_split(submissions, clients))
    )
    before, client_before = CpuSample.take(server.process.pid, database), time.process_time()
    measured, wall = asyncio.run(
        _phase(workload, server.base_url, warm_counts, counts, seconds, run_id)
    )
    after, client_after = CpuSample.take(server.process.pid, database), time.process_time()
    run = LoadRun(warm, measured, wall, client_after - client_before)
    if before is not None and after is not None:
        run.server_cpu = after.server - before.server
        run.database_cpu = after.database - before.database
        ours = run.server_cpu + run.database_cpu + run.client_cpu
        run.other_cpu = max(0.0, after.machine - before.machine - ours)
    return run


# ---------------------------------------------------------------------------------------
# Checking the database and reporting


def check_database(engine: Engine, acknowledged: Sequence[int]) -> dict[str, Any]:
    """Exactly the acknowledged submissions are in the database, once each, chain intact."""
    from app.db.engine import unit_of_work
    from app.db.models import AuditEvent, Rating
    from app.domain.vocabulary import RatingStatus
    from app.services.audit import verify_chain

    with unit_of_work(engine) as session:
        submitted = list(
            session.scalars(
                select(Rating.assignment_id).where(Rating.status == RatingStatus.submitted)
            )
        )
        keys = session.scalar(
            select(func.count(func.distinct(Rating.idempotency_key))).where(
                Rating.status == RatingStatus.submitted
            )
        )
        events = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "rating.submit")
        )
        chain = verify_chain(session)
    expected = sorted(acknowledged)
    problems = []
    if len(set(expected)) != len(expected):
        problems.append("an assignment was acknowledged twice")
    if sorted(submitted) != expected:
        missing = len(set(expected) - set(submitted))
        extra = len(set(submitted) - set(expected))
        problems.append(f"{missing} acknowledged not submitted, {extra} submitted not acknowledged")
    if keys != len(submitted):
        problems.append(f"{len(submitted)} submitted ratings but {keys} idempotency keys")
    if events != len(submitted):
        problems.append(f"{len(submitted)} submitted ratings but {events} rating.submit events")
    if chain.broken is not None:
        problems.append(f"audit chain broken at event {chain.broken.event_id}")
    return {
        "acknowledged": len(expected),
        "submitted": len(submitted),
        "idempotency_keys": keys,
        "audit_events": events,
        "audit_chain_events": chain.events_checked,
        "problems": problems,
        "ok": not problems,
    }


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest rank: a latency some submission actually had, never an interpolation."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def figures(
    backend: str, clients: int, run: LoadRun, workload: Workload, check: dict[str, Any],
    server_exit: int,
) -> dict[str, Any]:  # fmt: skip
    warm, measured, wall = run.warm, run.measured, run.wall
    latencies = sorted(measured.latencies)
    done = len(latencies)
    items = [job.items for jobs in workload.jobs for job in jobs]
    errors = measured.errors + warm.errors
    ms = {
        "p50": percentile(latencies, 50) * 1e3,
        "p95": percentile(latencies, 95) * 1e3,
        "p99": percentile(latencies, 99) * 1e3,
        "mean": (sum(latencies) / done * 1e3) if done else math.nan,
        "max": (latencies[-1] * 1e3) if done else math.nan,
    }
    throughput = done / wall if wall > 0 else 0.0
    result: dict[str, Any] = {
        "backend": backend,
        "clients": clients,
        "warmup_submissions": len(warm.latencies),
        "submissions": done,
        "wall_seconds": wall,
        "throughput_per_second": throughput,
        "latency_ms": ms,
        "items_per_rating": {
            "min": min(items),
            "max": max(items),
            "mean": sum(items) / len(items),
        },
        "evidence_notes_per_rating": 2,
        "errors": [
            {"status": status, "message": message, "count": count}
            for (status, message), count in errors.most_common()
        ],
        "error_count": sum(errors.values()),
        "clients_out_of_assignments": measured.ran_out,
        # CPU per submission: where the time goes when the two share the machine's cores.
        "server_cpu_ms_per_submission": (
            run.server_cpu / done * 1e3 if run.server_cpu is not None and done else None
        ),
        "client_cpu_ms_per_submission": run.client_cpu / done * 1e3 if done else None,
        "database_cpu_ms_per_submission": (
            run.database_cpu / done * 1e3
            if run.database_cpu is not None and done and backend != "sqlite"
            else None
        ),
        # Other engineers' test runs share the cores: a busy machine explains a slow run.
        "other_processes_cpu_share": (
            run.other_cpu / (wall * (os.cpu_count() or 1))
            if run.other_cpu is not None and wall > 0
            else None
        ),
        "database_check": check,
        "server_exit_status": server_exit,
    }
    if backend == "sqlite":
        met = {
            "throughput": throughput >= TARGET_THROUGHPUT,
            "p99": ms["p99"] < TARGET_P99_MS,
            "errors": result["error_count"] == 0,
        }
        result["target"] = {
            "throughput_per_second_at_least": TARGET_THROUGHPUT,
            "p99_ms_under": TARGET_P99_MS,
            "errors": 0,
            "met": met,
            "verdict": "PASS" if all(met.values()) else "FAIL",
        }
    return result


def render(result: dict[str, Any]) -> str:
    items = result["items_per_rating"]
    ms = result["latency_ms"]
    target = result.get("target")
    met = target["met"] if target else {}

    def verdict(name: str, goal: str) -> str:
        if not target:
            return ""
        return f" (target {goal}: {'met' if met[name] else 'MISSED'})"

    check = result["database_check"]
    lines = [
        f"rating submissions over HTTP [{result['backend']}, {result['clients']} clients, "
        f"{result['submissions']:,} submissions after {result['warmup_submissions']:,} warm-up, "
        f"{items['min']}-{items['max']} items per rating (mean {items['mean']:.1f}), "
        f"{result['evidence_notes_per_rating']} evidence notes]",
        f"  throughput: {result['throughput_per_second']:.1f} submissions/s "
        f"({result['wall_seconds']:.2f} s){verdict('throughput', f'>= {TARGET_THROUGHPUT:g}/s')}",
        f"  latency p50: {ms['p50']:.2f} ms",
        f"  latency p95: {ms['p95']:.2f} ms",
        f"  latency p99: {ms['p99']:.2f} ms{verdict('p99', f'< {TARGET_P99_MS:g} ms')}",
        f"  latency mean / max: {ms['mean']:.2f} / {ms['max']:.2f} ms",
        f"  errors: {result['error_count']}{verdict('errors', '0')}",
    ]
    lines += [f"    {e['count']} x {e['status']}: {e['message']}" for e in result["errors"]]
    if result["server_cpu_ms_per_submission"] is not None:
        lines.append(
            f"  CPU per submission: server {result['server_cpu_ms_per_submission']:.2f} ms, "
            f"load generator {result['client_cpu_ms_per_submission']:.2f} ms"
            + (
                f", PostgreSQL {result['database_cpu_ms_per_submission']:.2f} ms"
                if result["database_cpu_ms_per_submission"] is not None
                else ""
            )
        )
    if result["other_processes_cpu_share"] is not None:
        lines.append(
            f"  other processes used {result['other_processes_cpu_share']:.0%} of the "
            f"machine's {os.cpu_count()} cores during the run"
        )
    if result["clients_out_of_assignments"]:
        lines.append(
            f"  note: {result['clients_out_of_assignments']} client(s) ran out of assignments"
        )
    lines.append(f"  set-up (outside the measurement): {result['setup_seconds']:.1f} s")
    lines.append(
        f"  database: {check['submitted']:,} submitted, {check['acknowledged']:,} acknowledged, "
        f"{check['idempotency_keys']:,} keys, {check['audit_events']:,} audit events, chain of "
        f"{check['audit_chain_events']:,} " + ("intact" if check["ok"] else "CHECK FAILED")
    )
    lines += [f"    {problem}" for problem in check["problems"]]
    if result["server_exit_status"] != 0:
        lines.append(f"  server exit status: {result['server_exit_status']} (not a clean stop)")
    if target:
        lines.append(f"  {target['verdict']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load_ratings",
        description="Concurrent rating submissions against `guidinghand serve` on 127.0.0.1.",
    )
    parser.add_argument(
        "--clients", type=int, default=DEFAULT_CLIENTS,
        help=f"concurrent raters, 1..{MAX_CLIENTS} (default {DEFAULT_CLIENTS})",
    )  # fmt: skip
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--submissions", type=int, default=None,
                       help="measured submissions (default 3000)")  # fmt: skip
    bound.add_argument("--seconds", type=float, default=None,
                       help="measure for this long instead of a fixed count")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=None,
                        help="unmeasured submissions first (default 10 per client)")  # fmt: skip
    parser.add_argument(
        "--database-url", default=None,
        help="a PostgreSQL URL naming a scratch database to create and drop "
        "(default: a temporary SQLite file)",
    )  # fmt: skip
    parser.add_argument(
        "--serve-arg", action="append", default=[], metavar="ARG",
        help="extra argument for `guidinghand serve` (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE",
        help="extra environment for the server (repeatable), e.g. GUIDINGHAND_LOG_LEVEL=warning",
    )  # fmt: skip
    parser.add_argument(
        "--server-log", type=Path, default=None, metavar="PATH", help="keep the server's output"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"exit {EXIT_TARGET_MISSED} when the SQLite target is missed",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients: 1..{MAX_CLIENTS}")
    if args.seconds is None and args.submissions is None:
        args.submissions = 3000
    if args.submissions is not None and args.submissions < 1:
        parser.error("--submissions: at least 1")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds: positive")
    if args.warmup is None:
        args.warmup = 10 * args.clients
    if args.warmup < 0:
        parser.error("--warmup: 0 or more")
    for pair in args.server_env:
        if "=" not in pair:
            parser.error(f"--server-env: {pair!r} is not NAME=VALUE")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    clients: int = args.clients
    if args.seconds is not None:
        measured_budget = math.ceil(args.seconds * SECONDS_BUDGET_RATE)
    else:
        measured_budget = args.submissions
    per_client = math.ceil((args.warmup + measured_budget) / clients)
    extra_env = dict(pair.split("=", 1) for pair in args.server_env)
    with (
        tempfile.TemporaryDirectory(prefix="guidinghand-load-") as tmp,
        scratch_database(args.database_url, Path(tmp)) as url,
    ):
        workdir = Path(tmp)
        _settings_for_setup(url)
        from app.db.engine import make_engine
        from app.services.schema import upgrade_database

        backend = make_url(url).get_backend_name()
        upgrade_database(url)
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            workload = prepare(engine, clients, per_client)
            setup_seconds = time.perf_counter() - started
            server = start_server(url, workdir, args.serve_arg, extra_env)
            try:
                run = run_load(
                    workload, server, args.warmup, args.submissions, args.seconds,
                    make_url(url).database if backend != "sqlite" else None,
                )  # fmt: skip
            finally:
                server_exit = stop_server(server)
                if args.server_log is not None:
                    shutil.copyfile(server.log_path, args.server_log)
            check = check_database(engine, run.warm.acknowledged + run.measured.acknowledged)
        finally:
            engine.dispose()
    result = figures(backend, clients, run, workload, check, server_exit)
    result["setup_seconds"] = setup_seconds
    result["server_command"] = "guidinghand serve --host 127.0.0.1 --port PORT " + " ".join(
        args.serve_arg
    )
    print(json.dumps(result, indent=2) if args.json else render(result))
    if result["error_count"] or not check["ok"] or server_exit != 0:
        return EXIT_ERRORS
    if args.strict and result.get("target", {}).get("verdict") == "FAIL":
        return EXIT_TARGET_MISSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
