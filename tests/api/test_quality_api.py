"""Rater quality and generalizability of a program, on the seeded demonstration program."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.auth import login
from app.services.demo import seed_demo
from app.services.rubric_library import load_rubrics
from tests.api.conftest import World

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
DEMO = "/api/v1/programs/demo"


@pytest.fixture
def demo_admin(db_session: Session) -> dict[str, str]:
    load_rubrics(db_session, [FLAGSHIP])
    seed_demo(db_session, today=date(2026, 11, 2))
    outcome = login(db_session, "admin@demo.guidinghand.org", "guiding-hand-demo", "10.9.9.9")
    assert outcome.token is not None
    return {"Authorization": f"Bearer {outcome.token}"}


def test_rater_quality_finds_the_demo_raters_biases(
    client: TestClient, demo_admin: dict[str, str]
) -> None:
    response = client.get(f"{DEMO}/rater-quality", headers=demo_admin)
    assert response.status_code == 200, response.text
    body = response.json()
    flags = {s["rater"]: s["flag"] for s in body["severity"]}
    # The demo seeds trainer1 as lenient and trainer4 as severe (app/services/demo.py).
    assert flags["trainer1@demo.guidinghand.org"] == "lenient"
    assert flags["trainer4@demo.guidinghand.org"] == "severe"
    for s in body["severity"]:
        low, high = s["ci95"]
        assert low <= s["mean_difference"] <= high
        assert (s["flag"] is None) == (low <= 0 <= high)
    assert {c["rater"] for c in body["calibration"]} <= set(flags)
    for c in body["calibration"]:
        assert c["certified"] == (not c["reasons"])
        assert c["within1"]["value"] is None or 0 <= c["within1"]["value"] <= 1
    assert {d["rater"] for d in body["drift"]} == set(flags)


def test_generalizability_reports_its_subset_and_design(
    client: TestClient, demo_admin: dict[str, str]
) -> None:
    response = client.get(f"{DEMO}/generalizability", params={"target": 0.7},
                          headers=demo_admin)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["design"] == "(s:p) x r"
    assert body["target_phi"] == 0.7
    assert "trainees with their first" in body["subset"]
    g = body["g_study"]
    assert set(g["components"]) == {"p", "r", "s:p", "pr", "sr:p,e"}
    assert all(v >= 0 for v in g["components"].values()), "negative estimates are clamped"
    assert len(body["d_study"]) == 5 * 12
    for cell in body["d_study"]:
        if cell["phi"] is not None and cell["e_rho2"] is not None:
            assert cell["phi"] <= cell["e_rho2"] + 1e-12
    assert "reason" in body["smallest_design"] or body["smallest_design"]["phi"] >= 0.7
    assert client.get(f"{DEMO}/generalizability", params={"target": 1.5},
                      headers=demo_admin).status_code == 422  # fmt: skip


def test_only_the_programs_admins(client: TestClient, world: World) -> None:
    for path in ("/api/v1/programs/alpha/rater-quality", "/api/v1/programs/alpha/generalizability"):
        assert client.get(path, headers=world.headers("admin")).status_code == 200
        for actor in ("trainer", "trainee", "other_admin"):
            assert client.get(path, headers=world.headers(actor)).status_code == 404, actor
        assert client.get(path).status_code == 401
