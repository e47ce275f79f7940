"""POST /api/v1/reliability: JSON records or an uploaded CSV, the same report either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
KRIPPENDORFF_2011 = ROOT / "tests" / "fixtures" / "ratings" / "krippendorff-2011.csv"


def _records() -> list[dict[str, Any]]:
    lines = KRIPPENDORFF_2011.read_text(encoding="utf-8").splitlines()[1:]
    out: list[dict[str, Any]] = []
    for line in lines:
        subject, rater, score = line.split(",")
        out.append({"subject": subject, "rater": rater, "score": float(score) if score else None})
    return out


def test_json_and_csv_give_the_same_report(stateless_client: TestClient) -> None:
    as_json = stateless_client.post(
        "/api/v1/reliability", json={"ratings": _records(), "level": "interval"}
    )
    assert as_json.status_code == 200, as_json.text
    with KRIPPENDORFF_2011.open("rb") as handle:
        as_csv = stateless_client.post(
            "/api/v1/reliability",
            files={"file": ("ratings.csv", handle, "text/csv")},
            data={"level": "interval"},
        )
    assert as_csv.status_code == 200, as_csv.text
    assert as_json.json() == as_csv.json()
    body = as_json.json()
    assert round(body["coefficients"]["krippendorff_alpha_interval"]["value"], 3) == 0.849
    assert body["n_ratings"] == 41


def test_scale_and_bootstrap_options(stateless_client: TestClient) -> None:
    body = {"ratings": _records(), "scale": [0, 9], "bootstrap": 100, "seed": 1}
    response = stateless_client.post("/api/v1/reliability", json=body)
    assert response.status_code == 200, response.text
    alpha = response.json()["coefficients"]["krippendorff_alpha_ordinal"]
    assert alpha["ci95"] is not None
    assert alpha["details"]["bootstrap_draws"] == 100


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"ratings": []}, "ratings: List should have at least 1 item"),
        ({"ratings": [{"subject": "a", "rater": "r", "score": 1, "extra": 1}]}, "ratings[0].extra"),
        ({"ratings": [{"subject": "a", "rater": "r"}]}, "ratings[0].score"),
        ({"ratings": [{"subject": "a", "rater": "r", "score": 1}], "level": "fuzzy"}, "level"),
        ({"ratings": [{"subject": "a", "rater": "r", "score": 1}], "scale": [6, 0]}, "scale"),
        (
            {"ratings": [{"subject": "a", "rater": "r", "score": 1},
                         {"subject": "a", "rater": "r", "score": 2}]},
            "ratings[1]: rater 'r' scored subject 'a' more than once",
        ),
        (
            {"ratings": [{"subject": "a", "rater": "r", "score": 9}], "scale": [0, 6]},
            "ratings[0]: score 9 is outside the scale 0..6",
        ),
    ],
)  # fmt: skip
def test_bad_json_is_a_422_naming_the_problem(
    stateless_client: TestClient, body: dict[str, Any], fragment: str
) -> None:
    response = stateless_client.post("/api/v1/reliability", json=body)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["message"]


def test_bad_csv_names_the_line(stateless_client: TestClient) -> None:
    response = stateless_client.post(
        "/api/v1/reliability",
        files={"file": ("r.csv", b"subject,rater,score\ns1,a,3\ns1,b,oops\n", "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["message"] == "file: line 3: score 'oops' is not a number"


def test_malformed_json_and_wrong_content_type(stateless_client: TestClient) -> None:
    broken = stateless_client.post(
        "/api/v1/reliability", content=b"{", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("body: malformed JSON")
    text = stateless_client.post(
        "/api/v1/reliability", content=b"x", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 415
