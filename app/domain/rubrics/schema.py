"""The JSON schema of the rubric format, for editors and for anyone not reading Python.

It is generated from the model rather than written by hand so that the two cannot drift;
the output is byte-for-byte deterministic so a stale committed copy is easy to detect.
"""

from __future__ import annotations

import json

from app.domain.rubrics.model import RubricDocument


def rubric_json_schema() -> str:
    schema = RubricDocument.model_json_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
