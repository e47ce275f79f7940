"""Every 4xx carries a JSON message naming the field; nothing leaks a traceback."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from app.api.errors import install_error_handlers
from app.api.schemas.base import RequestModel
from app.services.errors import ConflictError, InvalidInputError, NotFoundError


class ThingCreate(RequestModel):
    name: str
    score: int


@pytest.fixture
def probe() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    def create(thing: ThingCreate) -> dict[str, str]:
        return {"name": thing.name}

    @app.get("/fail/{kind}")
    def fail(kind: str) -> None:
        errors: dict[str, Exception] = {
            "missing": NotFoundError("session: no such session"),
            "conflict": ConflictError("rating: changed by someone else"),
            "invalid": InvalidInputError("score: 9 is outside the scale 0..6"),
            "bug": RuntimeError("secret internals"),
            "race": IntegrityError("INSERT secret internals", {}, Exception("unique")),
        }
        raise errors[kind]

    return TestClient(app, raise_server_exceptions=False)


def test_unknown_field_is_rejected_by_name(probe: TestClient) -> None:
    response = probe.post("/things", json={"name": "x", "score": 1, "scroe": 2})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "scroe", "message": "Extra inputs are not permitted"}]
    assert body["message"] == "scroe: Extra inputs are not permitted"


def test_nested_location_and_type_errors(probe: TestClient) -> None:
    response = probe.post("/things", json={"name": "x", "score": "high"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "score"


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("missing", 404, "session: no such session"),
        ("conflict", 409, "rating: changed by someone else"),
        ("invalid", 422, "score: 9 is outside the scale 0..6"),
        ("bug", 500, "internal error"),
        (
            "race",
            409,
            "conflict: another request changed the same data at the same moment; "
            "reload and try again",
        ),
    ],
)
def test_service_errors_map_to_status(
    probe: TestClient, kind: str, status: int, message: str
) -> None:
    response = probe.get(f"/fail/{kind}")
    assert response.status_code == status
    assert response.json() == {"message": message}
    assert "secret internals" not in response.text


def test_malformed_json_is_a_4xx_with_a_message(probe: TestClient) -> None:
    response = probe.post(
        "/things", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.json()["message"]
