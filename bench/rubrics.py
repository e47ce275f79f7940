"""Rubric validation and publication on the flagship rubric.

- validation with source locations versus a bare libyaml load of the same text: what the
  located, semantic validation costs over parsing alone (both use libyaml; PyYAML's pure
  Python loader, used before, took about ten times as long as either);
- publishing into SQLite (parse, validate, insert domain and item rows) versus validation
  alone: what the database writes cost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from app.db.engine import make_engine
from app.db.models import RubricItem
from app.domain.rubrics.parse import parse_rubric
from app.services.rubric_library import load_rubrics
from app.services.schema import upgrade_database
from bench.harness import Comparison, median_seconds

FLAGSHIP = Path(__file__).resolve().parents[1] / "rubrics" / "pat-competency.v1.yaml"


def run() -> list[Comparison]:
    text = FLAGSHIP.read_text(encoding="utf-8")
    size = f"{FLAGSHIP.name}: {len(text.splitlines())} lines, {len(text) // 1024} KiB"
    parse = median_seconds(lambda: parse_rubric(text))
    bare = median_seconds(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    results = [
        Comparison(
            "rubric validation", size, "parse_rubric (located, semantic)",
            "yaml.load with CSafeLoader (no validation)", parse, bare,
        )
    ]  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        with engine.connect() as conn:

            def publish() -> None:
                outer = conn.begin()
                session = Session(bind=conn, join_transaction_mode="create_savepoint")
                load_rubrics(session, [FLAGSHIP])
                assert session.query(RubricItem).count() > 0
                session.close()
                outer.rollback()

            results.append(
                Comparison(
                    "rubric publication", size, "load_rubrics into SQLite",
                    "parse_rubric alone", median_seconds(publish), parse,
                )
            )  # fmt: skip
        engine.dispose()
    return results
