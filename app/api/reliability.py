"""Reliability of any ratings, as JSON or as an uploaded CSV file."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.api.policies import PUBLIC
from app.api.schemas.reliability import ReliabilityCreate, ReliabilityOptions, ReliabilityRead
from app.domain.reliability.long_format import LongRatings
from app.services.errors import InvalidInputError
from app.services.reliability import ratings_from_csv, ratings_from_records, reliability_of

router = APIRouter(prefix="/reliability", tags=["reliability"])

MAX_UPLOAD_BYTES = 50 * 1024 * 1024

_BODIES: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ReliabilityCreate"},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV with header subject,rater,score[,item]",
                        },
                        "level": {
                            "type": "string",
                            "enum": ["nominal", "ordinal", "interval", "ratio"],
                        },
                        "scale": {"type": "string", "pattern": "^-?\\d+\\.\\.-?\\d+$"},
                        "item": {"type": "string"},
                        "bootstrap": {"type": "integer", "minimum": 0, "maximum": 10000},
                        "seed": {"type": "integer"},
                    },
                }
            },
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed JSON"},
    422: {"description": "Invalid ratings or options; the message names the problem"},
    415: {"description": "Neither JSON nor a multipart upload"},
    413: {"description": "Upload too large"},
}


def _validate(model: type[ReliabilityOptions], data: object) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None


async def _from_json(request: Request) -> tuple[LongRatings, ReliabilityOptions, str]:
    try:
        payload = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"body: malformed JSON ({exc})") from None
    body: ReliabilityCreate = _validate(ReliabilityCreate, payload)
    ratings = ratings_from_records(
        (str(r.subject), str(r.rater), r.score, r.item) for r in body.ratings
    )
    return ratings, body, "ratings[{}]"


async def _from_upload(request: Request) -> tuple[LongRatings, ReliabilityOptions, str]:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInputError("file: upload a CSV file in the 'file' field")
    raw = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError("file: not UTF-8 text") from None
    fields: dict[str, object] = {
        k: v for k, v in form.items() if k != "file" and isinstance(v, str)
    }
    scale = fields.get("scale")
    if isinstance(scale, str):
        fields["scale"] = scale.split("..", 1) if ".." in scale else scale
    options: ReliabilityOptions = _validate(ReliabilityOptions, fields)
    return ratings_from_csv(text), options, "file line {}"


@router.post("", dependencies=[PUBLIC], openapi_extra=_BODIES, responses=_ERRORS)
async def compute_reliability(request: Request) -> ReliabilityRead:
    """Every applicable agreement coefficient, each with its CI and interpretation."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        ratings, options, where = await _from_json(request)
    elif content_type == "multipart/form-data":
        ratings, options, where = await _from_upload(request)
    else:
        raise HTTPException(415, "content-type: send application/json or multipart/form-data")
    # The numerics hold the CPU for a while on large inputs: keep the event loop free.
    report = await run_in_threadpool(
        reliability_of, ratings, where=where, level=options.level, scale=options.scale,
        item=options.item, bootstrap=options.bootstrap, seed=options.seed,
    )  # fmt: skip
    return ReliabilityRead.model_validate(report.as_dict())
