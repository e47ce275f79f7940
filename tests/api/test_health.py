"""The health check reflects the database, and the API documents itself."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app


def test_healthz_reports_database_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database() -> None:
    settings = get_settings().model_copy(
        update={"database_url": "sqlite:////nonexistent-dir/forbidden/db.sqlite"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Guiding Hand"
    assert "/api/v1/rubrics" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
