"""The ``guidinghand`` command: a thin shell over the services, one transaction per command.

Every failure is one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db.engine import unit_of_work
from app.domain.vocabulary import Role
from app.services.errors import ServiceError

if TYPE_CHECKING:
    from app.services.reports import ProgramReport, TraineeReport

app = typer.Typer(
    help="Guiding Hand: competency assessment for psychedelic-assisted psychotherapy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
rubrics_app = typer.Typer(help="The rubric library in rubrics/.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="The demonstration program.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
programs_app = typer.Typer(help="Programs and their cohorts.", no_args_is_help=True)
certificates_app = typer.Typer(help="Signed certificates.", no_args_is_help=True)
import_app = typer.Typer(help="Bring records in from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write records out as files.", no_args_is_help=True)
reports_app = typer.Typer(help="Reports as PDF, CSV or JSON.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rubrics_app, name="rubrics")
app.add_typer(programs_app, name="programs")
app.add_typer(users_app, name="users")
app.add_typer(demo_app, name="demo")
app.add_typer(audit_app, name="audit")
app.add_typer(certificates_app, name="certificates")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(reports_app, name="reports")

SCHEMA_PATH = Path("rubrics/rubric.schema.json")
EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def transaction() -> Iterator[Session]:
    """The command's single transaction; service and database errors become one line."""
    try:
        with unit_of_work() as session:
            yield session
    except ServiceError as exc:
        fail(str(exc))
    except IntegrityError:
        fail("conflict: another command or request changed the same data at the same moment; "
             "nothing was written, run it again")  # fmt: skip
    except SQLAlchemyError as exc:
        fail(f"database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the web application and the API."""
    import uvicorn

    settings = get_settings()
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"Guiding Hand on http://{bind_host}:{bind_port}  (API docs at /docs)")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        workers=workers,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the Alembic migrations to the configured database."""
    from app.services.schema import upgrade_database

    try:
        upgrade_database(get_settings().database_url, revision)
    except SQLAlchemyError as exc:
        fail(f"database: {str(exc).splitlines()[0]}")
    typer.echo(f"database at revision {revision}")


def _read_password() -> str:
    # Passwords never travel as arguments: they would land in shell history and `ps`.
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        fail("password: expected the password on standard input", EXIT_USAGE)
    return line


@programs_app.command("create")
def programs_create(
    slug: Annotated[str, typer.Argument(help="Short name in URLs: lowercase, digits, hyphens.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    description: Annotated[str, typer.Option(help="What the program trains.")] = "",
) -> None:
    """Create a training program; then give it an admin with `users create` or `users invite`."""
    from app.services.programs import create_program

    with transaction() as session:
        program = create_program(session, slug=slug, name=name, description=description)
    typer.echo(f"created program {program.slug}")


@programs_app.command("add-cohort")
def programs_add_cohort(
    program: Annotated[str, typer.Argument(help="Program slug.")],
    name: Annotated[str, typer.Option(help="Cohort name, unique in the program.")],
    start: Annotated[str, typer.Option(help="Start date, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option(help="End date, YYYY-MM-DD.")] = None,
) -> None:
    """Add a cohort of trainees to a program."""
    from datetime import date

    from app.services.programs import create_cohort
    from app.services.users import get_program_by_slug

    def day(option: str, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            fail(f"--{option}: {value!r} is not a date in YYYY-MM-DD form", EXIT_USAGE)

    first, last = day("start", start), (day("end", end) if end else None)
    with transaction() as session:
        target = get_program_by_slug(session, program)
        cohort = create_cohort(session, target, name=name, start_date=first, end_date=last)
    typer.echo(f"added cohort {cohort.name!r} to {program}")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    program: Annotated[str | None, typer.Option(help="Program slug to grant a role in.")] = None,
    role: Annotated[list[Role] | None, typer.Option(help="Role in --program (repeatable).")] = None,
) -> None:
    """Create an account; the password is read from standard input or a prompt."""
    from app.services.users import create_user, get_program_by_slug, grant_role

    if role and program is None:
        fail("--role needs --program", EXIT_USAGE)
    password = _read_password()
    with transaction() as session:
        user = create_user(session, email=email, full_name=name, password=password)
        if program is not None:
            target = get_program_by_slug(session, program)
            for r in role or []:
                grant_role(session, user, target, r)
    typer.echo(f"created user {user.email}")


@users_app.command("invite")
def users_invite(
    email: Annotated[str, typer.Option(help="Login e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    program: Annotated[str, typer.Option(help="Program slug.")],
    role: Annotated[Role, typer.Option(help="Role in the program.")],
    cohort: Annotated[str | None, typer.Option(help="Cohort name, for a trainee.")] = None,
) -> None:
    """Create an account without a password and print its one-time password-set token."""
    from sqlalchemy import select

    from app.db.models import Cohort
    from app.services.invitations import invite_user
    from app.services.users import get_program_by_slug

    with transaction() as session:
        target = get_program_by_slug(session, program)
        group = None
        if cohort is not None:
            group = session.scalar(
                select(Cohort).where(Cohort.program_id == target.id, Cohort.name == cohort)
            )
            if group is None:
                fail(f"cohort: no cohort {cohort!r} in {program}")
        invitation = invite_user(
            session, email=email, full_name=name, program=target, role=role, cohort=group
        )
    typer.echo(f"invited {invitation.user.email} as {role.value} in {program}")
    typer.echo(f"one-time token (valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):")
    typer.echo(invitation.token)
    typer.echo("set the password with POST /api/v1/auth/password-set {token, new_password}")


RubricPaths = Annotated[
    list[Path] | None, typer.Argument(help="Files or directories (default: rubrics/).")
]


def _rubric_paths(paths: list[Path] | None) -> list[Path]:
    from app.services.rubric_library import discover

    files = discover(paths or [get_settings().rubrics_dir])
    if not files:
        fail("no rubric files found")
    return files


@rubrics_app.command("validate")
def rubrics_validate(paths: RubricPaths = None) -> None:
    """Check rubric files; one line per problem as FILE:LINE:COLUMN: FIELD: MESSAGE."""
    from app.services.rubric_library import validate_files

    files = _rubric_paths(paths)
    report = validate_files(files)
    for problem in report.problems:
        typer.echo(str(problem))
    if report.problems:
        typer.echo(f"{len(report.problems)} problem(s) in {len(files)} file(s)", err=True)
        raise typer.Exit(EXIT_FAILURE)
    typer.echo(f"{len(files)} rubric file(s) valid")


@rubrics_app.command("schema")
def rubrics_schema(
    output: Annotated[Path, typer.Option(help="Where to write the JSON schema.")] = SCHEMA_PATH,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the file is stale; write nothing.")
    ] = False,
) -> None:
    """Generate the JSON schema of the rubric format from its model."""
    from app.domain.rubrics.schema import rubric_json_schema

    text = rubric_json_schema()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            fail(f"{output} is stale; run 'guidinghand rubrics schema'")
        typer.echo(f"{output} is up to date")
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@rubrics_app.command("load")
def rubrics_load(paths: RubricPaths = None) -> None:
    """Publish rubric files into the database: all of them, or none if any is invalid."""
    from app.services.rubric_library import RubricFilesInvalidError, load_rubrics

    files = _rubric_paths(paths)
    try:
        with transaction() as session:
            outcomes = load_rubrics(session, files)
    except RubricFilesInvalidError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        fail(str(exc))
    for o in outcomes:
        typer.echo(f"{o.rubric_id} {o.version}: {o.action}")


@demo_app.command("seed")
def demo_seed(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database holds a program.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the simulation.")] = 20261124,
    today: Annotated[
        str | None, typer.Option(help="Date the demo is built around (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Build the demonstration program and print its logins."""
    from datetime import date

    from app.services.demo import (
        DEMO_PASSWORD,
        DemoLogin,
        database_is_empty,
        existing_demo_logins,
        seed_demo,
    )

    def print_logins(logins: list[DemoLogin]) -> None:
        typer.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for login in logins:
            typer.echo(f"  {login.role:<8} {login.email:<36} {login.detail}".rstrip())

    try:
        reference = date.fromisoformat(today) if today else date.today()
    except ValueError:
        fail(f"--today: {today!r} is not a date in YYYY-MM-DD form", EXIT_USAGE)
    with transaction() as session:
        if if_empty and not database_is_empty(session):
            typer.echo("database already holds a program; demo not seeded")
            logins = existing_demo_logins(session)
            if logins:
                print_logins(logins)
            return
        summary = seed_demo(session, today=reference, seed=seed)
    typer.echo(
        f"Seeded program '{summary.program}': {summary.cohorts} cohorts, "
        f"{summary.trainees} trainees, {summary.trainers} trainers, {summary.sessions} "
        f"sessions, {summary.submitted_ratings} submitted and {summary.draft_ratings} draft "
        f"ratings, {summary.calibration_sessions} calibration sessions, "
        f"{summary.harm_flags} harm flags."
    )
    print_logins(summary.logins)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exit 1 and name the first broken link if any."""
    from app.services.audit import verify_chain

    with transaction() as session:
        report = verify_chain(session)
    if report.broken is not None:
        fail(
            f"audit chain broken at event {report.broken.event_id}: {report.broken.reason} "
            f"({report.events_checked} events checked)"
        )
    typer.echo(f"audit chain intact: {report.events_checked} events")


def _parse_scale(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    lo, sep, hi = text.partition("..")
    try:
        bounds = (int(lo), int(hi))
    except ValueError:
        bounds = None
    if not sep or bounds is None or bounds[0] >= bounds[1]:
        fail(f"--scale: {text!r} is not MIN..MAX with integers MIN < MAX", EXIT_USAGE)
    return bounds


@app.command()
def irr(
    file: Annotated[Path, typer.Argument(help="CSV with columns subject,rater,score[,item].")],
    level: Annotated[
        str, typer.Option(help="Level of measurement: nominal, ordinal, interval or ratio.")
    ] = "ordinal",
    scale: Annotated[
        str | None, typer.Option(help="The scale as MIN..MAX, so unused points count.")
    ] = None,
    item: Annotated[str | None, typer.Option(help="Only the ratings of this item.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap draws for Krippendorff's alpha intervals.")
    ] = 0,
    seed: Annotated[int | None, typer.Option(help="Seed of the bootstrap.")] = None,
) -> None:
    """Inter-rater reliability of a ratings file: every applicable coefficient."""
    import json

    from app.console import DelayedProgress, render_report
    from app.domain.reliability.data import RatingsInputError
    from app.domain.reliability.krippendorff import LEVELS
    from app.domain.reliability.long_format import RatingsFileError, read_ratings_csv
    from app.domain.reliability.panel import reliability_panel

    if level not in LEVELS:
        fail(f"--level: {level!r} is not one of {', '.join(LEVELS)}", EXIT_USAGE)
    bounds = _parse_scale(scale)
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            ratings = read_ratings_csv(handle)
        if item is not None:
            ratings = ratings.select_item(item)
        matrix = ratings.to_matrix(bounds)
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8 text", EXIT_USAGE)
    except RatingsFileError as exc:
        fail(f"{file}:{exc.line}: {exc.detail}", EXIT_USAGE)
    except RatingsInputError as exc:
        where = f":{ratings.lines[exc.row]}" if exc.row is not None else ""
        fail(f"{file}{where}: {exc}", EXIT_USAGE)
    with DelayedProgress("bootstrap") as progress:
        report = reliability_panel(
            matrix, level, bootstrap=bootstrap, seed=seed, progress=progress.update
        )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=None))
    else:
        render_report(report)


@app.command()
def readiness(
    trainee: Annotated[str, typer.Argument(help="The trainee's e-mail address.")],
    program: Annotated[str, typer.Option(help="Program slug.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """A trainee's readiness now: the decision, its reasons, and the domain scores."""
    import json

    from app.domain.reliability.results import Estimate
    from app.services.readiness import readiness_of
    from app.services.users import get_program_by_slug, normalise_email

    email = normalise_email(trainee)
    with transaction() as session:
        target = get_program_by_slug(session, program)
        found = [r for r in readiness_of(session, target) if r.trainee.email == email]
        if not found:
            fail(f"trainee: no active trainee {email!r} in {program}", EXIT_USAGE)
        result = found[0].result
        rubric = f"{found[0].version.rubric.key} {found[0].version.version}"
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    typer.echo(f"{email} in {program}, rubric {rubric}: {result.decision.value}")
    for reason in result.reasons:
        typer.echo(f"  - {reason}")
    for domain in result.domains:
        score = domain.score
        shown = f"{score.value:.2f}" if isinstance(score, Estimate) else "n/a"
        typer.echo(f"  {domain.key}. {domain.title}: {shown} over {domain.n_sessions} sessions")


@certificates_app.command("verify")
def certificates_verify(
    file: Annotated[Path, typer.Argument(help="The signed certificate file (.json).")],
    public_key: Annotated[
        Path | None,
        typer.Option(help="The issuing program's public key (PEM), to check who signed it."),
    ] = None,
) -> None:
    """Check a certificate file offline: intact, and signed by the key you trust."""
    from app.domain.certificates import load_public_key, verify

    try:
        data = file.read_bytes()
        trusted = load_public_key(public_key.read_bytes()) if public_key is not None else None
    except OSError as exc:
        fail(f"{exc.filename}: cannot read: {exc.strerror}", EXIT_USAGE)
    except ValueError as exc:
        fail(f"{public_key}: {exc}", EXIT_USAGE)
    result = verify(data, trusted)
    if not result.valid:
        fail(f"{file}: INVALID: {result.reason}")
    assert result.payload is not None
    trainee = result.payload.get("trainee", {}).get("name")
    decision = result.payload.get("decision", {}).get("value")
    typer.echo(f"{file}: valid ({result.reason})")
    typer.echo(f"  {trainee}: {decision}; code {result.code}")
    if public_key is None:
        typer.echo("  checked against the key named in the file; pass --public-key to trust it")


@certificates_app.command("public-key")
def certificates_public_key(
    program: Annotated[str, typer.Option(help="Program slug.")],
) -> None:
    """Print the program's public key (PEM), for third parties verifying its certificates."""
    from app.services.signing_keys import public_key_pem
    from app.services.users import get_program_by_slug

    with transaction() as session:
        slug = get_program_by_slug(session, program).slug
    sys.stdout.write(public_key_pem(slug).decode("ascii"))


@import_app.command("ratings")
def import_ratings(
    file: Annotated[Path, typer.Argument(help="CSV as described in docs/ratings-import.md.")],
    program: Annotated[str, typer.Option(help="Slug of the program to import into.")],
    by: Annotated[str, typer.Option(help="E-mail of the admin of --program who imports.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and report; write nothing.")
    ] = False,
) -> None:
    """Import historical ratings: all of the file, or nothing if any row is bad."""
    from app.console import DelayedProgress
    from app.domain.rating_import import undecodable
    from app.services.access import active_membership
    from app.services.rating_import import RatingsImportError
    from app.services.rating_import import import_ratings as run_import
    from app.services.users import get_program_by_slug

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    problem = undecodable(data)
    if problem is not None:
        typer.echo(problem.render(str(file)))
        fail(f"file: {problem.message}", EXIT_USAGE)
    with transaction() as session:
        target = get_program_by_slug(session, program)
        admin = active_membership(session, target, by, (Role.admin,))
        if admin is None:
            fail(f"by: {by!r} is not an active admin of {program}", EXIT_USAGE)
        try:
            with DelayedProgress(f"reading {file.name}") as progress:
                report = run_import(
                    session, target, admin.user, data.decode("utf-8"), file.name,
                    dry_run=dry_run, progress=progress.update,
                )  # fmt: skip
        except RatingsImportError as exc:
            report = exc.report
        for error in report.errors:
            typer.echo(error.render(str(file)))
        if report.errors:
            # Raised inside the transaction, so that it rolls back (it holds nothing anyway).
            fail(report.summary, EXIT_USAGE)
    typer.echo(report.summary)


@export_app.command("ratings")
def export_ratings(
    program: Annotated[str, typer.Option(help="Slug of the program.")],
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output).")
    ] = None,
    cohort: Annotated[str | None, typer.Option(help="Only this cohort's sessions.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only sessions on or after this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only sessions on or before this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """A program's submitted ratings as CSV, one item score a row (ready for `irr`)."""
    from datetime import date

    from app.exports.ratings_csv import ratings_csv
    from app.services.rating_export import export_ratings as run_export
    from app.services.users import get_program_by_slug

    def day(option: str, value: str | None) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            fail(f"--{option}: {value!r} is not a date in YYYY-MM-DD form", EXIT_USAGE)

    first, last = day("since", since), day("until", until)
    with transaction() as session:
        target = get_program_by_slug(session, program)
        scores = run_export(session, target, viewer=None, cohort=cohort, since=first, until=last)
    text = ratings_csv(scores)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    typer.echo(f"wrote {len(scores)} item scores to {output}")


class ReportFormat(StrEnum):
    pdf = "pdf"
    csv = "csv"
    json = "json"


FormatOption = Annotated[ReportFormat, typer.Option("--format", help="What to write.")]
OutputOption = Annotated[
    Path | None, typer.Option(help="File to write (default: standard output).")
]


def _write_report(content: bytes | str, output: Path | None, what: str) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    typer.echo(f"wrote {what} to {output} ({len(data):,} bytes)", err=True)


def _json_text(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@reports_app.command("trainee")
def reports_trainee(
    trainee: Annotated[str, typer.Argument(help="The trainee's e-mail address.")],
    program: Annotated[str, typer.Option(help="Program slug.")],
    output_format: FormatOption = ReportFormat.pdf,
    output: OutputOption = None,
) -> None:
    """A trainee's readiness report: decision and reasons, domains, trends, strengths and
    growth areas, and the sessions used as evidence (every complete session)."""
    from app.console import DelayedProgress
    from app.services.errors import NotFoundError
    from app.services.reports import trainee_id_by_email, trainee_report
    from app.services.users import get_program_by_slug

    with DelayedProgress("trainee report") as progress:
        with transaction() as session:
            target = get_program_by_slug(session, program)
            try:
                found = trainee_report(
                    session, target, trainee_id_by_email(session, target, trainee), viewer=None
                )
            except NotFoundError as exc:
                fail(str(exc), EXIT_USAGE)
        progress.update(1, 2)
        content = _render_trainee(found, output_format)
    _write_report(content, output, f"the {output_format.value} report of {found.trainee_email}")


def _render_trainee(report: TraineeReport, output_format: ReportFormat) -> bytes | str:
    if output_format is ReportFormat.pdf:
        from app.exports.pdf import trainee_report_pdf

        return trainee_report_pdf(report)
    if output_format is ReportFormat.csv:
        from app.exports.report_csv import trainee_report_csv

        return trainee_report_csv(report)
    from app.exports.report_json import trainee_report_json

    return _json_text(trainee_report_json(report))


@reports_app.command("program")
def reports_program(
    program: Annotated[str, typer.Option(help="Program slug.")],
    output_format: FormatOption = ReportFormat.pdf,
    output: OutputOption = None,
) -> None:
    """The program report: the cohort readiness matrix, inter-rater reliability per item,
    rater quality and the D-study, from complete sessions."""
    from app.console import DelayedProgress
    from app.services.reports import PROGRAM_STEPS, program_report
    from app.services.users import get_program_by_slug

    total = PROGRAM_STEPS + 1  # the figures, then the file
    with DelayedProgress(f"program report of {program}") as progress:
        with transaction() as session:
            target = get_program_by_slug(session, program)
            found = program_report(
                session, target, progress=lambda done, _: progress.update(done, total)
            )
        content = _render_program(found, output_format)
        progress.update(total, total)
    _write_report(content, output, f"the {output_format.value} report of {program}")


def _render_program(report: ProgramReport, output_format: ReportFormat) -> bytes | str:
    if output_format is ReportFormat.pdf:
        from app.exports.pdf import program_report_pdf

        return program_report_pdf(report)
    if output_format is ReportFormat.csv:
        from app.exports.report_csv import program_report_csv

        return program_report_csv(report)
    from app.exports.report_json import program_report_json

    return _json_text(program_report_json(report))


@reports_app.command("certificate")
def reports_certificate(
    certificate: Annotated[str, typer.Argument(help="The certificate's id (as on /verify).")],
    output_format: FormatOption = ReportFormat.pdf,
    output: OutputOption = None,
) -> None:
    """A certificate as issued: the PDF to print (with its verification code and address),
    its fields as CSV, or the signed file as JSON (what `certificates verify` checks)."""
    from app.services.certificates import certificate_by_public_id, signed_document
    from app.services.errors import NotFoundError
    from app.services.reports import certificate_report_of

    content: bytes | str
    with transaction() as session:
        try:
            found, program = certificate_by_public_id(session, certificate.strip())
        except NotFoundError as exc:
            fail(str(exc), EXIT_USAGE)
        if output_format is ReportFormat.json:
            content = signed_document(found, program)
        report = certificate_report_of(found, program)
    if output_format is ReportFormat.pdf:
        from app.exports.pdf import certificate_pdf

        content = certificate_pdf(report)
    elif output_format is ReportFormat.csv:
        from app.exports.report_csv import certificate_report_csv

        content = certificate_report_csv(report)
    _write_report(content, output, f"certificate {report.certificate_id} as {output_format.value}")


def main() -> None:
    try:
        app()
    except ValidationError as exc:
        # Settings errors (a missing secret in production) arrive here before any command.
        first = exc.errors()[0]
        sys.stderr.write(f"error: configuration: {first['msg']}\n")
        sys.exit(EXIT_FAILURE)


if __name__ == "__main__":
    main()
