"""Static checks of the container deployment: docker-compose.yml and the Dockerfile.

Nothing here needs Docker; the files are parsed and the properties that matter for a safe
first start are asserted (PostgreSQL 16 with a persistent volume and a health check, the
app waiting for a healthy database, no secret written into the files, migrations before
serving).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"

# The value a required ``${VAR:?message}`` expression stands for in these tests.
REQUIRED_PLACEHOLDER = "required-from-environment"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; "$$" escapes "$".
_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
_REQUIRED_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}")


def interpolate(value: str) -> str:
    """Resolve compose variable expressions as if the environment set only required ones.

    Defaults are used where given; required variables (``:?``) and plain references get
    ``REQUIRED_PLACEHOLDER``. The real environment is deliberately ignored so the result
    does not depend on the machine running the tests.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        op = match.group("op")
        if op is not None and op.endswith("-"):
            return match.group("arg")
        return REQUIRED_PLACEHOLDER

    return _INTERPOLATION.sub(replace, value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("${POSTGRES_DB:-guidinghand}", "guidinghand"),
        ("${POSTGRES_DB-guidinghand}", "guidinghand"),
        ("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", REQUIRED_PLACEHOLDER),
        ("a${X}b", f"a{REQUIRED_PLACEHOLDER}b"),
        ("$${POSTGRES_USER}", "${POSTGRES_USER}"),
        ("u:${P:?p}@db:5432/${D:-x}", f"u:{REQUIRED_PLACEHOLDER}@db:5432/x"),
    ],
)
def test_interpolate_resolves_compose_expressions(raw: str, expected: str) -> None:
    assert interpolate(raw) == expected, f"interpolate({raw!r}) gave {interpolate(raw)!r}"


# --- docker-compose.yml helpers ---------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml is not a YAML mapping"
    return document


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    services = compose.get("services")
    assert isinstance(services, dict), "docker-compose.yml has no 'services' mapping"
    definition = services.get(name)
    assert isinstance(definition, dict), f"docker-compose.yml has no service {name!r}"
    return definition


def environment(definition: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether written as a mapping or a list."""
    raw = definition.get("environment", {})
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {key: value for key, _, value in pairs}
    assert isinstance(raw, dict), f"environment must be a mapping or a list, got {raw!r}"
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def volume_mounts(definition: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) for each volume entry, short or long syntax."""
    mounts: list[tuple[str, str]] = []
    for entry in definition.get("volumes", []):
        if isinstance(entry, dict):
            mounts.append((str(entry.get("source", "")), str(entry.get("target", ""))))
        else:
            source, _, rest = str(entry).partition(":")
            target = rest.split(":")[0] if rest else source
            mounts.append((source if rest else "", target))
    return mounts


def container_ports(definition: dict[str, Any]) -> set[int]:
    """Container-side ports of a service's published ports, short or long syntax."""
    ports: set[int] = set()
    for entry in definition.get("ports", []):
        if isinstance(entry, dict):
            target = str(entry.get("target", ""))
        else:
            target = str(entry).split("/")[0].rsplit(":", 1)[-1]
        if target.isdigit():
            ports.add(int(target))
    return ports


# --- docker-compose.yml: the database ---------------------------------------------------


def test_compose_defines_db_and_app_services(compose: dict[str, Any]) -> None:
    services = compose.get("services") or {}
    missing = {"db", "app"} - set(services)
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_db_runs_postgres_16(compose: dict[str, Any]) -> None:
    image = str(service(compose, "db").get("image", ""))
    name, _, tag = image.partition(":")
    assert name in {"postgres", "docker.io/library/postgres"}, (
        f"db image should be postgres, got {image!r}"
    )
    major = re.split(r"[.-]", tag)[0] if tag else ""
    assert major == "16", f"db image should be PostgreSQL major version 16, got tag {tag!r}"


def test_db_has_a_pg_isready_healthcheck(compose: dict[str, Any]) -> None:
    healthcheck = service(compose, "db").get("healthcheck")
    assert isinstance(healthcheck, dict), "db service has no healthcheck"
    test = healthcheck.get("test")
    command = " ".join(map(str, test)) if isinstance(test, list) else str(test)
    assert "pg_isready" in command, f"db healthcheck should run pg_isready, runs {command!r}"
    missing = {"interval", "timeout", "retries"} - set(healthcheck)
    assert not missing, f"db healthcheck lacks {sorted(missing)}"


def test_db_data_lives_in_a_declared_named_volume(compose: dict[str, Any]) -> None:
    mounts = {target: source for source, target in volume_mounts(service(compose, "db"))}
    source = mounts.get("/var/lib/postgresql/data")
    assert source, "db service mounts nothing at /var/lib/postgresql/data"
    assert not source.startswith((".", "/", "~")), (
        f"/var/lib/postgresql/data should be a named volume, not the bind mount {source!r}"
    )
    declared = compose.get("volumes") or {}
    assert source in declared, f"volume {source!r} is not declared in top-level 'volumes'"


# --- docker-compose.yml: the application ------------------------------------------------


def test_app_waits_for_a_healthy_db(compose: dict[str, Any]) -> None:
    depends_on = service(compose, "app").get("depends_on")
    assert isinstance(depends_on, dict), (
        f"app depends_on must be a mapping with conditions, got {depends_on!r}"
    )
    condition = (depends_on.get("db") or {}).get("condition")
    assert condition == "service_healthy", (
        f"app should wait for db with condition service_healthy, got {condition!r}"
    )


def test_app_publishes_port_8000(compose: dict[str, Any]) -> None:
    ports = container_ports(service(compose, "app"))
    assert 8000 in ports, f"app should publish container port 8000, publishes {sorted(ports)}"


def test_app_database_url_points_at_the_db_service(compose: dict[str, Any]) -> None:
    raw = environment(service(compose, "app")).get("GUIDINGHAND_DATABASE_URL")
    assert raw, "app has no GUIDINGHAND_DATABASE_URL"
    url = make_url(interpolate(raw))
    assert url.drivername == "postgresql+psycopg", (
        f"GUIDINGHAND_DATABASE_URL should use postgresql+psycopg, uses {url.drivername!r}"
    )
    assert url.host == "db", f"GUIDINGHAND_DATABASE_URL host should be 'db', is {url.host!r}"
    assert url.port == 5432, f"GUIDINGHAND_DATABASE_URL port should be 5432, is {url.port!r}"
    db_env = environment(service(compose, "db"))
    expected_database = interpolate(db_env.get("POSTGRES_DB", "postgres"))
    assert url.database == expected_database, (
        f"GUIDINGHAND_DATABASE_URL names database {url.database!r} but db creates "
        f"{expected_database!r}"
    )
    expected_user = interpolate(db_env.get("POSTGRES_USER", "postgres"))
    assert url.username == expected_user, (
        f"GUIDINGHAND_DATABASE_URL user {url.username!r} differs from db user {expected_user!r}"
    )
    assert url.password == REQUIRED_PLACEHOLDER, (
        "the password in GUIDINGHAND_DATABASE_URL must come from a required "
        "${VAR:?message} reference, not a literal or a default"
    )


def test_no_secret_has_a_literal_value(compose: dict[str, Any]) -> None:
    offenders = [
        f"{name}.{key}={value!r}"
        for name, definition in (compose.get("services") or {}).items()
        for key, value in environment(definition).items()
        if ("PASSWORD" in key.upper() or "SECRET" in key.upper())
        and not _REQUIRED_REFERENCE.fullmatch(value)
    ]
    assert not offenders, (
        f"secrets must be required ${{VAR:?message}} references, found: {offenders}"
    )


def test_app_is_built_from_the_repository_root(compose: dict[str, Any]) -> None:
    build = service(compose, "app").get("build")
    context = build.get("context") if isinstance(build, dict) else build
    dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
    assert context in {".", "./"}, f"app build context should be '.', is {context!r}"
    assert (ROOT / str(dockerfile)).is_file(), f"app builds from {dockerfile!r}, which is missing"


# --- Dockerfile -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuations joined."""
    path = ROOT / "Dockerfile"
    assert path.is_file(), "Dockerfile is missing"
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    return instructions


def command_text(arguments: str) -> str:
    """A CMD/ENTRYPOINT argument as one string, from exec (JSON) or shell form."""
    if arguments.startswith("["):
        return " ".join(json.loads(arguments))
    return " ".join(shlex.split(arguments))


def test_dockerfile_starts_from_python_311_slim(dockerfile: list[tuple[str, str]]) -> None:
    assert dockerfile, "Dockerfile has no instructions"
    keyword, arguments = next(item for item in dockerfile if item[0] != "ARG")
    assert (keyword, arguments.split()[0]) == ("FROM", "python:3.11-slim"), (
        f"Dockerfile should start FROM python:3.11-slim, starts {keyword} {arguments}"
    )


def test_dockerfile_installs_weasyprint_libraries(dockerfile: list[tuple[str, str]]) -> None:
    runs = " ".join(arguments for keyword, arguments in dockerfile if keyword == "RUN")
    assert "libpango" in runs, "Dockerfile does not install libpango (needed by WeasyPrint)"


def test_dockerfile_exposes_8000(dockerfile: list[tuple[str, str]]) -> None:
    exposed = {
        port.split("/")[0]
        for keyword, arguments in dockerfile
        if keyword == "EXPOSE"
        for port in arguments.split()
    }
    assert "8000" in exposed, f"Dockerfile should EXPOSE 8000, exposes {sorted(exposed)}"


def test_dockerfile_healthcheck_hits_healthz(dockerfile: list[tuple[str, str]]) -> None:
    checks = [arguments for keyword, arguments in dockerfile if keyword == "HEALTHCHECK"]
    assert checks, "Dockerfile has no HEALTHCHECK"
    assert "/healthz" in checks[-1], f"HEALTHCHECK should request /healthz: {checks[-1]!r}"


def test_dockerfile_migrates_before_serving(dockerfile: list[tuple[str, str]]) -> None:
    commands = [arguments for keyword, arguments in dockerfile if keyword == "CMD"]
    assert commands, "Dockerfile has no CMD"
    command = command_text(commands[-1])  # only the last CMD takes effect
    upgrade = re.search(r"\bdb\s+upgrade\b", command)
    serve = re.search(r"\bserve\b", command)
    assert upgrade, f"CMD does not run 'db upgrade': {command!r}"
    assert serve, f"CMD does not run 'serve': {command!r}"
    assert upgrade.start() < serve.start(), f"CMD serves before it migrates: {command!r}"


def test_dockerfile_does_not_run_as_root(dockerfile: list[tuple[str, str]]) -> None:
    users = [arguments for keyword, arguments in dockerfile if keyword == "USER"]
    assert users, "Dockerfile never switches away from root (no USER instruction)"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"Dockerfile runs as {users[-1]!r}"


def test_dockerfile_bakes_in_no_secret(dockerfile: list[tuple[str, str]]) -> None:
    settings = " ".join(arguments for keyword, arguments in dockerfile if keyword in {"ENV", "ARG"})
    assert not re.search(r"(SECRET|PASSWORD)[A-Z_]*[=\s]", settings.upper()), (
        f"Dockerfile sets a secret in ENV/ARG: {settings!r}"
    )


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    path = ROOT / ".dockerignore"
    assert path.is_file(), ".dockerignore is missing"
    patterns = set(path.read_text(encoding="utf-8").split())
    missing = {".git", ".venv", "*.db", ".env"} - patterns
    assert not missing, f".dockerignore should exclude {sorted(missing)}"
