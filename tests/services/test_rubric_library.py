"""Publishing rubric files: all or nothing, immutable once published, versioned by file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Rubric, RubricItem, RubricVersion
from app.domain.vocabulary import RubricStatus
from app.services.errors import ConflictError
from app.services.rubric_library import (
    RubricFilesInvalidError,
    discover,
    load_rubrics,
    validate_files,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rubrics"
MINI = FIXTURES / "valid" / "mini-rubric.v1.yaml"


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(MINI, folder / MINI.name)
    return folder


def _rewrite(path: Path, old: str, new: str, target: Path | None = None) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    out = target or path
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def _set_status(path: Path, status: str) -> None:
    text = re.sub(r"^status: .*\n", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    path.write_text(f"status: {status}\n{text}", encoding="utf-8")


def test_every_shipped_rubric_is_valid() -> None:
    report = validate_files(discover([ROOT / "rubrics"]))
    assert [str(p) for p in report.problems] == []
    assert any(f.document.id == "pat-competency" for f in report.files)


def test_load_publishes_versions_with_domain_and_item_rows(db_session: Session) -> None:
    (outcome,) = load_rubrics(db_session, [MINI])
    assert outcome.action == "published"
    version = db_session.scalars(select(RubricVersion)).one()
    assert version.status is RubricStatus.published
    assert version.published_at is not None
    assert len(version.sha256) == 64
    assert version.content["id"] == "mini-rubric"
    items = db_session.scalars(select(RubricItem).order_by(RubricItem.position)).all()
    assert [i.position for i in items] == list(range(len(items)))
    assert all(i.domain.rubric_version_id == version.id for i in items)
    assert all({"0", "2", "4", "6"} <= set(i.anchors) for i in items)


def test_flagship_has_the_domains_of_the_framework(db_session: Session) -> None:
    load_rubrics(db_session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])
    version = db_session.scalars(select(RubricVersion)).one()
    assert [d.key for d in version.domains] == ["A", "B", "C", "D", "E", "F"]
    items = {i.key: i for d in version.domains for i in d.items}
    modalities = {i.modality.value for i in items.values()}
    assert {"psychodynamic", "cbt", "act", "met", "behavioural-activation", "mindfulness",
            "somatic", "common"} <= modalities  # fmt: skip
    gates = [i for i in items.values() if i.safety_gate]
    assert {i.domain.key for i in gates} >= {"B", "C", "F"}
    assert all(i.source for i in items.values())
    assert any(i.allow_not_applicable and i.applicability for i in items.values())


def test_unchanged_reload_is_a_no_op(db_session: Session, library: Path) -> None:
    load_rubrics(db_session, discover([library]))
    before = db_session.scalars(select(RubricVersion)).one()
    (again,) = load_rubrics(db_session, discover([library]))
    assert again.action == "unchanged"
    after = db_session.scalars(select(RubricVersion)).one()
    assert (after.id, after.published_at) == (before.id, before.published_at)


def test_a_changed_published_version_is_refused(db_session: Session, library: Path) -> None:
    load_rubrics(db_session, discover([library]))
    _rewrite(library / MINI.name, "title: ", "title: Changed ")
    with pytest.raises(ConflictError, match="add the change as a new version"):
        load_rubrics(db_session, discover([library]))


def test_yaml_comments_do_not_change_the_content_hash(db_session: Session, library: Path) -> None:
    load_rubrics(db_session, discover([library]))
    path = library / MINI.name
    path.write_text("# a new comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert [o.action for o in load_rubrics(db_session, discover([library]))] == ["unchanged"]


def test_new_version_and_retiring_the_old_one(db_session: Session, library: Path) -> None:
    load_rubrics(db_session, discover([library]))
    _rewrite(library / MINI.name, "version: 1.0.0", "version: 1.1.0",
             target=library / "mini-rubric.v1.1.yaml")  # fmt: skip
    outcomes = load_rubrics(db_session, discover([library]))
    assert sorted((o.version, o.action) for o in outcomes) == [
        ("1.0.0", "unchanged"), ("1.1.0", "published"),
    ]  # fmt: skip
    _set_status(library / MINI.name, "retired")
    outcomes = load_rubrics(db_session, discover([library]))
    assert sorted((o.version, o.action) for o in outcomes) == [
        ("1.0.0", "retired"), ("1.1.0", "unchanged"),
    ]  # fmt: skip
    statuses = dict(db_session.execute(select(RubricVersion.version, RubricVersion.status)).all())
    assert statuses == {"1.0.0": RubricStatus.retired, "1.1.0": RubricStatus.published}
    events = db_session.execute(select(AuditEvent.action, AuditEvent.entity_id)).all()
    rubric = "mini-rubric"
    assert events == [
        ("rubric.published", f"{rubric}@1.0.0"),
        ("rubric.published", f"{rubric}@1.1.0"),
        ("rubric.retired", f"{rubric}@1.0.0"),
    ], "each change of state once; unchanged files leave no event"


def test_drafts_are_replaced_until_published(db_session: Session, library: Path) -> None:
    path = library / MINI.name
    _set_status(path, "draft")
    assert [o.action for o in load_rubrics(db_session, [path])] == ["draft saved"]
    _rewrite(path, "title: ", "title: Revised ")
    assert [o.action for o in load_rubrics(db_session, [path])] == ["draft saved"]
    version = db_session.scalars(select(RubricVersion)).one()
    assert version.title.startswith("Revised ")
    assert version.published_at is None
    _set_status(path, "published")
    assert [o.action for o in load_rubrics(db_session, [path])] == ["published"]
    assert _count(db_session, RubricVersion) == 1


def test_one_invalid_file_means_nothing_is_written(db_session: Session, library: Path) -> None:
    broken = next((FIXTURES / "broken").glob("*.yaml"))
    shutil.copy(broken, library / broken.name)
    with pytest.raises(RubricFilesInvalidError) as caught:
        load_rubrics(db_session, discover([library]))
    assert caught.value.problems
    assert all(str(p).startswith(str(library / broken.name)) or broken.name in str(p)
               for p in caught.value.problems)  # fmt: skip
    assert _count(db_session, Rubric) == 0
    assert _count(db_session, RubricVersion) == 0


def test_the_same_version_in_two_files_is_a_problem(library: Path) -> None:
    shutil.copy(library / MINI.name, library / "mini-rubric.v1.0.0.yaml")
    report = validate_files(discover([library]))
    assert len(report.problems) == 1
    assert "is also defined in" in str(report.problems[0])
