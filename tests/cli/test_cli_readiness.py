"""`guidinghand readiness`: the decision of one trainee, as text or JSON."""

from __future__ import annotations

import json

from tests.support.cli import Cli


def test_readiness_of_a_demo_trainee(migrated_cli: Cli) -> None:
    assert migrated_cli("rubrics", "load").returncode == 0
    assert migrated_cli("demo", "seed", "--today", "2026-11-02").returncode == 0
    shown = migrated_cli("readiness", "trainee02@demo.guidinghand.org", "--program", "demo")
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert first.startswith("trainee02@demo.guidinghand.org in demo, rubric pat-competency ")
    decision = first.rsplit(": ", 1)[1]
    assert decision in {"READY", "NOT_YET", "INSUFFICIENT_EVIDENCE"}
    assert "C. Medication session: " in shown.stdout

    as_json = migrated_cli("readiness", "TRAINEE02@demo.guidinghand.org", "--program", "demo",
                           "--json")  # fmt: skip
    body = json.loads(as_json.stdout)
    assert body["decision"] == decision, "the same decision either way"
    assert {d["key"] for d in body["domains"]} == set("ABCDEF")

    unknown = migrated_cli("readiness", "trainer1@demo.guidinghand.org", "--program", "demo")
    assert unknown.returncode == 2
    assert "no active trainee 'trainer1@demo.guidinghand.org' in demo" in unknown.stderr
