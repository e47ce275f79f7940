"""The content of a rubric version as exact bytes, so that publishing can detect any change.

``status`` is left out: retiring a version changes its lifecycle, not its content, so its
hash must stay the same. Formatting and comments in the YAML never reach the content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.domain.rubrics.model import RubricDocument


def canonical_content(doc: RubricDocument) -> dict[str, Any]:
    """The content as JSON-ready data, as stored with the published version."""
    return doc.model_dump(mode="json", exclude={"status"})


def canonical_json(doc: RubricDocument) -> str:
    return json.dumps(
        canonical_content(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def content_sha256(doc: RubricDocument) -> str:
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()
