"""The rubric files in ``rubrics/``: validating them and publishing them into the database.

Loading is all or nothing: every file is validated before anything is written, and a
published version's content can never change (a change needs a new version).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import Rubric, RubricDomain, RubricItem, RubricVersion
from app.domain.rubrics.canonical import canonical_content, content_sha256
from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import RubricProblem, identity_from_filename, parse_rubric
from app.domain.vocabulary import RubricStatus
from app.services.audit import record_event
from app.services.errors import ConflictError, ServiceError

RUBRIC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class FileProblem:
    file: str
    problem: RubricProblem

    def __str__(self) -> str:
        p = self.problem
        location = f"{p.path}: " if p.path else ""
        return f"{self.file}:{p.line}:{p.column}: {location}{p.message}"


@dataclass(frozen=True)
class RubricFile:
    path: Path
    document: RubricDocument
    sha256: str


@dataclass
class ValidationReport:
    files: list[RubricFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


class RubricFilesInvalidError(ServiceError):
    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in rubric files; nothing was loaded")


@dataclass(frozen=True)
class LoadOutcome:
    path: Path
    rubric_id: str
    version: str
    action: str  # "published", "draft saved", "retired", "unchanged"


def discover(paths: Iterable[Path]) -> list[Path]:
    """Rubric files named directly, or found (non-recursively) in named directories."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in RUBRIC_SUFFIXES))
        else:
            found.append(path)
    return found


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def validate_files(paths: Sequence[Path]) -> ValidationReport:
    report = ValidationReport()
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        shown = _display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.problems.append(
                FileProblem(shown, RubricProblem(1, 1, "", f"cannot read file: {exc}"))
            )
            continue
        identity = identity_from_filename(path.name)
        if isinstance(identity, RubricProblem):
            report.problems.append(FileProblem(shown, identity))
            continue
        result = parse_rubric(text, expected_id=identity[0], expected_version=identity[1])
        if isinstance(result, list):
            report.problems.extend(FileProblem(shown, p) for p in result)
            continue
        key = (result.id, result.version)
        if key in seen:
            message = f"{result.id} {result.version} is also defined in {_display(seen[key])}"
            report.problems.append(FileProblem(shown, RubricProblem(1, 1, "version", message)))
            continue
        seen[key] = path
        report.files.append(RubricFile(path, result, content_sha256(result)))
    return report


def load_rubrics(session: Session, paths: Sequence[Path]) -> list[LoadOutcome]:
    """Load every file or none; each version that changes state is one audit event."""
    report = validate_files(paths)
    if report.problems:
        raise RubricFilesInvalidError(report.problems)
    outcomes = [_load_one(session, f) for f in report.files]
    for outcome, file in zip(outcomes, report.files, strict=True):
        if outcome.action != "unchanged":
            record_event(
                session, action=f"rubric.{outcome.action.split()[0]}", entity_type="rubric",
                entity_id=f"{outcome.rubric_id}@{outcome.version}",
                payload={"source": _display(file.path), "sha256": file.sha256},
            )  # fmt: skip
    return outcomes


def _sort_key(version: str) -> str:
    return ".".join(f"{int(part):06d}" for part in version.split("."))


def _load_one(session: Session, file: RubricFile) -> LoadOutcome:
    doc = file.document
    rubric = session.scalar(select(Rubric).where(Rubric.key == doc.id))
    if rubric is None:
        rubric = Rubric(key=doc.id, title=doc.title)
        session.add(rubric)
        session.flush()
    existing = session.scalar(
        select(RubricVersion).where(
            RubricVersion.rubric_id == rubric.id, RubricVersion.version == doc.version
        )
    )

    def outcome(action: str) -> LoadOutcome:
        return LoadOutcome(file.path, doc.id, doc.version, action)

    if existing is None:
        _insert_version(session, rubric, file)
        rubric.title = doc.title
        return outcome("published" if doc.status is not RubricStatus.draft else "draft saved")

    if existing.status is RubricStatus.draft:
        # Drafts are work in progress: the file wins, whatever it now says.
        session.execute(delete(RubricItem).where(RubricItem.rubric_version_id == existing.id))
        session.execute(delete(RubricDomain).where(RubricDomain.rubric_version_id == existing.id))
        session.delete(existing)
        session.flush()
        _insert_version(session, rubric, file)
        return outcome("published" if doc.status is not RubricStatus.draft else "draft saved")

    if existing.sha256 != file.sha256:
        raise ConflictError(
            f"{_display(file.path)}: {doc.id} {doc.version} is already published with "
            f"different content (sha256 {existing.sha256[:12]}...); published versions are "
            "immutable, so add the change as a new version file instead"
        )
    if doc.status is RubricStatus.draft:
        raise ConflictError(
            f"{_display(file.path)}: {doc.id} {doc.version} is {existing.status.value}; "
            "it cannot go back to draft"
        )
    if existing.status is RubricStatus.retired and doc.status is RubricStatus.published:
        raise ConflictError(
            f"{_display(file.path)}: {doc.id} {doc.version} is retired; it cannot be "
            "published again (add a new version)"
        )
    if existing.status is RubricStatus.published and doc.status is RubricStatus.retired:
        existing.status = RubricStatus.retired
        existing.retired_at = utcnow()
        session.flush()
        return outcome("retired")
    return outcome("unchanged")


def _insert_version(session: Session, rubric: Rubric, file: RubricFile) -> RubricVersion:
    doc = file.document
    now = utcnow()
    version = RubricVersion(
        rubric=rubric,
        version=doc.version,
        sort_key=_sort_key(doc.version),
        status=doc.status,
        title=doc.title,
        scale_min=doc.scale.min,
        scale_max=doc.scale.max,
        content=canonical_content(doc),
        sha256=file.sha256,
        source_path=_display(file.path),
        published_at=None if doc.status is RubricStatus.draft else now,
        retired_at=now if doc.status is RubricStatus.retired else None,
    )
    session.add(version)
    session.flush()
    position = 0
    for d_index, d in enumerate(doc.domains):
        domain = RubricDomain(
            rubric_version_id=version.id,
            key=d.key,
            title=d.title,
            description=d.description,
            position=d_index,
        )
        session.add(domain)
        session.flush()
        for item in d.items:
            session.add(
                RubricItem(
                    rubric_version_id=version.id,
                    domain_id=domain.id,
                    key=item.key,
                    title=item.title,
                    description=item.description,
                    position=position,
                    phases=[p.value for p in item.phases],
                    modality=item.modality,
                    allow_not_applicable=item.allow_not_applicable,
                    applicability=item.not_applicable_when or "",
                    safety_gate=item.safety_gate,
                    weight=item.weight,
                    anchors={str(k): v for k, v in sorted(item.anchors.items())},
                    harm_guidance=item.harm_guidance,
                    source=item.source,
                )
            )
            position += 1
    session.flush()
    return version
