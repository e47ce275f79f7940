"""The rubric catalogue over HTTP."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.rubric_library import load_rubrics

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
MINI = ROOT / "tests" / "fixtures" / "rubrics" / "valid" / "mini-rubric.v1.yaml"


def test_lists_rubrics_with_their_versions(client: TestClient, db_session: Session) -> None:
    load_rubrics(db_session, [FLAGSHIP, MINI])
    response = client.get("/api/v1/rubrics")
    assert response.status_code == 200
    body = {r["id"]: r for r in response.json()}
    assert set(body) == {"pat-competency", "mini-rubric"}
    flagship = body["pat-competency"]
    assert flagship["latest_version"] == "1.0.0"
    assert [v["version"] for v in flagship["versions"]] == ["1.0.0"]
    assert flagship["versions"][0]["status"] == "published"
    assert len(flagship["versions"][0]["sha256"]) == 64


def test_version_detail_has_domains_items_and_anchors(
    client: TestClient, db_session: Session
) -> None:
    load_rubrics(db_session, [FLAGSHIP])
    response = client.get("/api/v1/rubrics/pat-competency/versions/1.0.0")
    assert response.status_code == 200
    body = response.json()
    assert (body["scale_min"], body["scale_max"]) == (0, 6)
    assert [p["value"] for p in body["scale"]] == list(range(7))
    assert [d["key"] for d in body["domains"]] == ["A", "B", "C", "D", "E", "F"]
    item = body["domains"][0]["items"][0]
    assert {"0", "2", "4", "6"} <= set(item["anchors"])
    assert item["phases"] == ["preparation", "medication", "integration"]
    positions = [i["position"] for d in body["domains"] for i in d["items"]]
    assert positions == sorted(positions)


def test_unknown_version_is_a_json_404(client: TestClient, db_session: Session) -> None:
    load_rubrics(db_session, [FLAGSHIP])
    for path in ("/api/v1/rubrics/pat-competency/versions/9.9.9",
                 "/api/v1/rubrics/nope/versions/1.0.0"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404
        assert "has no version" in response.json()["message"]


def test_empty_catalogue(client: TestClient) -> None:
    assert client.get("/api/v1/rubrics").json() == []
