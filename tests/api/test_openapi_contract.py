"""schemathesis over the whole API, in-process, on a seeded world, as pairs of peer users.

Each run seeds a fresh SQLite database (tests/support/contract_world.py: the demo program and
a second one, with sessions, assignments, drafts and submitted ratings at every stage) and
hands schemathesis's engine, configured by schemathesis.toml, two identities that must not
see each other's objects. The engine runs all its phases (schema examples, boundary
coverage, fuzzing with values captured from earlier responses, stateful sequences) and every
check but positive_data_acceptance. Requests go out as one of the peers (the first, until an
operation answers it 401); after every read of an object that peer got from a listing or a
write of its own, object_level_authorization replays it as the other and fails if the object
comes back.

- two admins of different programs: everything an admin does, and programs kept apart;
- two trainers of one program: their queues, drafts and submissions are their own;
- two trainees of one program: their sessions and released feedback are their own (no
  boundary-value phase: a trainee writes nothing).

The API's schema does not declare which response fields name which objects, so the stateful
phase is given the links a client follows (the queue and the session list lead to ratings):
without them a trainer's or trainee's own objects never reach the authorization check.

Budget: max-examples 5 (schemathesis.toml) makes about 1,800 requests and 10 s a run with
the boundary-value phase, 250 requests and 3 s without; 25 s for the file. It runs once, not
per backend, on SQLite files of its own.
"""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.wfc.escalation import escalating_provider

from app.config import get_settings
from app.main import create_app
from tests.support.contract_world import ContractWorld, build_contract_world

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "/api/v1/programs/{program}"


@dataclass(frozen=True)
class Run:
    """Two identities that must not see each other's objects, and proof the run hit real ones."""

    first: str
    second: str
    reaches: str  # an operation the first peer must get a 2xx from: real ids were hit
    # The boundary-value phase sends every case the schema defines, about 6 s a run: worth it
    # for the identities that write. A trainee only reads, which fuzzing covers.
    coverage: bool = True


RUNS = {
    "admins": Run("demo-admin", "beta-admin", f"GET {PROGRAM}/sessions/{{session_id}}/assignments"),
    "trainers": Run(
        "demo-trainer-1", "demo-trainer-2", f"GET {PROGRAM}/assignments/{{assignment_id}}/rating"
    ),
    "trainees": Run(
        "demo-trainee-1",
        "demo-trainee-2",
        f"GET {PROGRAM}/sessions/{{session_id}}/ratings",
        coverage=False,
    ),
}
# (source operation, target operation, target parameter, where the source's response has it)
LINKS = (
    (f"GET {PROGRAM}/queue", f"GET {PROGRAM}/assignments/{{assignment_id}}/rating",
     "assignment_id", "$response.body#/0/assignment_id"),
    (f"GET {PROGRAM}/queue", f"PUT {PROGRAM}/assignments/{{assignment_id}}/rating",
     "assignment_id", "$response.body#/0/assignment_id"),
    (f"GET {PROGRAM}/queue", f"GET {PROGRAM}/sessions/{{session_id}}/ratings",
     "session_id", "$response.body#/0/session_id"),
    (f"GET {PROGRAM}/sessions", f"GET {PROGRAM}/sessions/{{session_id}}/ratings",
     "session_id", "$response.body#/0/id"),
    (f"GET {PROGRAM}/sessions", f"GET {PROGRAM}/sessions/{{session_id}}/assignments",
     "session_id", "$response.body#/0/id"),
)  # fmt: skip


def _operation(raw: dict[str, Any], label: str) -> dict[str, Any]:
    method, path = label.split(" ", 1)
    operation: dict[str, Any] = raw["paths"][path][method.lower()]
    return operation


def with_links(raw: dict[str, Any]) -> dict[str, Any]:
    """The app's schema plus the links a client follows from a list to what it lists."""
    linked = copy.deepcopy(raw)
    for source, target, parameter, expression in LINKS:
        response = _operation(linked, source)["responses"]["200"]
        name = f"{target.split(' ')[0].lower()}-{parameter}-{len(response.get('links', {}))}"
        response.setdefault("links", {})[name] = {
            "operationId": _operation(linked, target)["operationId"],
            "parameters": {"program": "$request.path.program", parameter: expression},
        }
    return linked


def wfc_document(world: ContractWorld, first: str, second: str) -> dict[str, Any]:
    """The two peers as schemathesis.toml names them, with tokens the login service issued."""
    return {
        "auth": [
            {"name": name, "fixedHeaders": [
                {"name": "Authorization", "value": f"Bearer {world.tokens[account]}"}
            ]}
            for name, account in (("first-peer", first), ("second-peer", second))
        ]
    }  # fmt: skip


@dataclass
class Outcome:
    """What a run sent and what failed, deduplicated: one line per operation, check and kind."""

    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)
    peer_reads: int = 0

    def report(self) -> str:
        lines = [f"{op}: {check}: {title}\n    {sample}"
                 for (op, check, title), sample in sorted(self.failures.items())]  # fmt: skip
        return "\n".join([*lines, *self.errors])


def run_engine(schema: OpenApiSchema) -> Outcome:
    """Every phase, as the CLI runs them: only the engine keeps the earlier responses that
    object_level_authorization needs to know whose an object is."""
    outcome = Outcome()
    stream: Iterator[events.EngineEvent] = iter(from_schema(schema).execute())
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, node in recorder.cases.items():
                interaction = recorder.interactions.get(case_id)
                if interaction is not None and interaction.response is not None:
                    label = node.value.operation.label
                    outcome.statuses[label][interaction.response.status_code] += 1
            for checks in recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = (failure.operation or event.label or "?", check.name, failure.title)
                        outcome.failures.setdefault(key, check.failure_info.code_sample)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.title}: {event.info}")
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}")
    provider = escalating_provider(schema)
    assert provider is not None, "schemathesis.toml must declare the peers under [auth.wfc]"
    # Which peer replays ran is kept only here: ("read", operation, resource, peer).
    outcome.peer_reads = sum(1 for key in provider._probed if key[0] == "read")
    return outcome


@pytest.mark.parametrize("run", RUNS)
def test_whole_api_as_two_peers(run: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    peers = RUNS[run]
    first, second = peers.first, peers.second
    world = build_contract_world(tmp_path)
    auth = tmp_path / "peers.json"
    auth.write_text(json.dumps(wfc_document(world, first, second)))
    monkeypatch.setenv("GUIDINGHAND_CONTRACT_AUTH", str(auth))
    config = SchemathesisConfig.from_path(ROOT / "schemathesis.toml")
    config.projects.default.phases.coverage.enabled = peers.coverage
    app = create_app(get_settings().model_copy(update={"database_url": world.url}))
    try:
        schema = schemathesis.openapi.from_dict(with_links(app.openapi()), config=config)
        schema.app, schema.location = app, "/openapi.json"
        outcome = run_engine(schema)
    finally:
        app.state.engine.dispose()

    if outcome.failures or outcome.errors:
        pytest.fail(f"schemathesis, as {first}:\n{outcome.report()}", pytrace=False)
    assert outcome.statuses, "nothing was sent"
    errors = {label for label, counts in outcome.statuses.items() if max(counts) >= 500}
    assert errors == set(), f"server errors on {errors}"
    ok = {
        label for label, counts in outcome.statuses.items() if any(200 <= c < 300 for c in counts)
    }
    assert peers.reaches in ok, f"{first} never reached a real object: {dict(outcome.statuses)}"
    assert outcome.peer_reads > 0, f"{second} was never asked for {first}'s objects"
