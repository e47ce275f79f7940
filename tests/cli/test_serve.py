"""The newcomer's path end to end: migrate, load rubrics, seed, serve, and query over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from tests.support.cli import Cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_health_and_lists_the_flagship_rubric(migrated_cli: Cli) -> None:
    assert migrated_cli("rubrics", "load").returncode == 0
    assert migrated_cli("demo", "seed", "--if-empty").returncode == 0
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=migrated_cli.workdir,
        env=migrated_cli.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "server exited early"
                assert time.monotonic() < deadline, "server did not come up in 30 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "ok"}
        rubrics = httpx.get(f"{base}/api/v1/rubrics", timeout=5).json()
        assert [r["id"] for r in rubrics] == ["pat-competency"]
    finally:
        server.terminate()
        server.wait(timeout=10)
