"""Certificate signing: round trips, every reason for refusal, and single-byte tampering.

The flip tests are the issue's acceptance test: every one of 1,000 single-byte changes to a
signed certificate file must fail verification.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.certificates import (
    CROCKFORD,
    FIELDS,
    canonical_json,
    code_matches,
    document_bytes,
    key_id,
    load_private_key_pem,
    load_public_key,
    normalize_code,
    private_key_pem,
    public_key_pem,
    raw_public_key,
    sha256_hex,
    sign,
    verification_code,
    verify,
)

# A fixed key: the documents, and so the flip outcomes, are the same on every run.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def payload() -> dict[str, Any]:
    """A realistic certificate: non-ASCII names, nested evidence, floats and booleans."""
    domains = [
        ("common-factors", "Common factors and therapeutic stance", 3.62),
        ("preparation", "Preparation", 3.4),
        ("medication-session", "The medication session", 3.875),
        ("integration", "Integration", 3.25),
        ("personalisation", "Personalisation and formulation", 3.5),
        ("safety-ethics", "Safety, ethics and professionalism", 4.0),
    ]
    return {
        "id": "6f1c2a4e-9b7d-4c1e-8f3a-2d5e6b7c8a90",
        "schema": "guidinghand.certificate/1",
        "program": {"slug": "pat-training", "name": "Formation PAP — Cohorte Ångström"},
        "trainee": {"id": 418, "name": "Zoë Ñúñez-Okonkwo"},
        "rubric": {
            "id": "pat-competency",
            "version": "1.0.0",
            "sha256": sha256_hex(b"pat-competency.v1"),
        },
        "issued_at": "2026-03-12T10:15:00Z",
        "issued_by": "Dr. Renée Müller-Łukasiewicz",
        "decision": "certified",
        "safety_gates_passed": True,
        "sessions_rated": 24,
        "domains": [
            {"key": k, "title": t, "mean": m, "n_ratings": 12, "ci95": [m - 0.31, m + 0.29]}
            for k, t, m in domains
        ],
        "reliability": {"icc_a1": 0.812, "gwet_ac2": 0.874, "raters_certified": True},
        "notes": None,
    }


def signed_bytes(p: dict[str, Any] | None = None, key: Ed25519PrivateKey = KEY) -> bytes:
    return document_bytes(sign(p if p is not None else payload(), key))


def edit(data: bytes, change: Any) -> bytes:
    """The document after ``change(doc)``, written canonically (a careful forger's file)."""
    doc = json.loads(data)
    change(doc)
    return document_bytes(doc)


# --- round trip ----------------------------------------------------------------------------


def test_a_signed_certificate_verifies() -> None:
    data = signed_bytes()
    result = verify(data)
    assert result.valid
    assert result.payload == payload()
    assert result.key_id == key_id(KEY.public_key())
    assert not result.trusted
    assert "pass the program's public key" in result.reason
    assert result.code == verification_code(payload()["id"], json.loads(data)["sha256"])


def test_document_format() -> None:
    doc = sign(payload(), KEY)
    assert tuple(sorted(doc)) == FIELDS
    body = canonical_json(payload())
    assert doc["sha256"] == sha256_hex(body)
    assert len(doc["signature"]) == 86
    assert len(doc["public_key"]) == 43
    raw = base64.urlsafe_b64decode(doc["public_key"] + "=")
    assert raw == raw_public_key(KEY.public_key())
    assert doc["key_id"] == sha256_hex(raw)[:16]
    sig = base64.urlsafe_b64decode(doc["signature"] + "==")
    KEY.public_key().verify(sig, body)  # over the canonical payload bytes


def test_the_file_is_compact_canonical_utf8() -> None:
    data = signed_bytes()
    assert data.endswith(b"}\n")
    assert b"\n" not in data[:-1]
    assert "Zoë".encode() in data  # not \u00eb
    assert data == canonical_json(json.loads(data)) + b"\n"


@pytest.mark.parametrize("trusted", ["key", "pem", "raw", "base64url"])
def test_trusted_key_in_any_form(trusted: str) -> None:
    public = KEY.public_key()
    forms: dict[str, Any] = {
        "key": public,
        "pem": public_key_pem(public),
        "raw": raw_public_key(public),
        "base64url": json.loads(signed_bytes())["public_key"],
    }
    result = verify(signed_bytes(), forms[trusted])
    assert result.valid
    assert result.trusted
    assert result.reason == f"valid: signed with key {key_id(public)} (the trusted key)"


def test_a_newline_at_the_end_is_optional() -> None:
    data = signed_bytes()
    assert verify(data[:-1]).valid
    assert not verify(data + b"\n").valid
    assert not verify(b" " + data).valid


def test_the_payload_is_what_reads_back() -> None:
    p = payload() | {"ratio": 1e-7, "whole": 3.0, "big": 2**70}
    doc = sign(p, KEY)
    assert doc["certificate"] == p
    assert verify(document_bytes(doc)).payload == p


# --- refusals, each with its reason -----------------------------------------------------------


def test_a_reformatted_file_is_refused() -> None:
    pretty = json.dumps(json.loads(signed_bytes()), indent=2, ensure_ascii=False).encode()
    result = verify(pretty)
    assert not result.valid
    assert result.reason.startswith("not in canonical form")
    assert result.payload is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe{}", "not JSON: the file is not UTF-8 text (byte 0)"),
        (b"{not json", "not JSON: Expecting property name enclosed in double quotes"),
        (b"", "not JSON: Expecting value"),
        (b"[1,2]", "not a certificate: the file holds a JSON list"),
    ],
)
def test_not_a_certificate(data: bytes, reason: str) -> None:
    result = verify(data)
    assert not result.valid
    assert result.reason.startswith(reason)


@pytest.mark.parametrize("field", FIELDS)
def test_missing_field(field: str) -> None:
    result = verify(edit(signed_bytes(), lambda d: d.pop(field)))
    assert result.reason == f"missing field {field}"


def test_missing_certificate_id() -> None:
    result = verify(edit(signed_bytes(), lambda d: d["certificate"].pop("id")))
    assert result.reason == "missing field certificate.id"


def test_an_unsigned_extra_field_is_refused() -> None:
    result = verify(edit(signed_bytes(), lambda d: d.update(comment="looks fine")))
    assert result.reason.startswith("unexpected field comment")


@pytest.mark.parametrize("field", FIELDS)
def test_fields_of_the_wrong_type(field: str) -> None:
    result = verify(edit(signed_bytes(), lambda d: d.update({field: 7})))
    assert not result.valid
    assert f"field {field} is not" in result.reason


def test_changed_content() -> None:
    def promote(doc: dict[str, Any]) -> None:
        doc["certificate"]["domains"][0]["mean"] = 4.0

    result = verify(edit(signed_bytes(), promote))
    assert result.reason == "sha256 does not match the certificate's content"
    assert result.key_id == key_id(KEY.public_key())


def test_changed_content_with_a_recomputed_digest() -> None:
    def forge(doc: dict[str, Any]) -> None:
        doc["certificate"]["decision"] = "certified with distinction"
        doc["sha256"] = sha256_hex(canonical_json(doc["certificate"]))

    result = verify(edit(signed_bytes(), forge))
    assert result.reason == f"signature does not verify with key {key_id(KEY.public_key())}"


def test_resigned_by_another_key() -> None:
    """Self-consistent under a forger's key: intact, but only a trusted key shows who signed."""
    forged = signed_bytes(key=OTHER_KEY)
    assert verify(forged).valid
    result = verify(forged, KEY.public_key())
    assert not result.valid
    assert result.reason == (
        f"signed with key {key_id(OTHER_KEY.public_key())} but the trusted key is "
        f"{key_id(KEY.public_key())}"
    )


def test_key_id_must_match_the_key() -> None:
    result = verify(edit(signed_bytes(), lambda d: d.update(key_id="0" * 16)))
    assert result.reason == (
        f"key_id does not match the public key (whose id is {key_id(KEY.public_key())})"
    )


def test_another_key_with_a_consistent_id() -> None:
    other = OTHER_KEY.public_key()

    def swap(doc: dict[str, Any]) -> None:
        doc["public_key"] = base64.urlsafe_b64encode(raw_public_key(other)).rstrip(b"=").decode()
        doc["key_id"] = key_id(other)

    result = verify(edit(signed_bytes(), swap))
    assert result.reason == f"signature does not verify with key {key_id(other)}"


@pytest.mark.parametrize("field", ["public_key", "signature"])
def test_unused_bits_of_base64url_are_not_ignored(field: str) -> None:
    """The last character carries unused low bits a lax decoder drops: they must count too."""
    doc = json.loads(signed_bytes())
    text = doc[field]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = alphabet.index(text[-1])
    twin = alphabet[index ^ 1]  # differs only in the lowest bit, which no byte uses
    lax = base64.urlsafe_b64decode(text[:-1] + twin + "=" * (-len(text) % 4))
    assert lax == base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    doc[field] = text[:-1] + twin
    result = verify(document_bytes(doc))
    assert not result.valid
    assert result.reason.startswith(f"field {field} is not a base64url")


def test_an_unusable_trusted_key_is_the_verifiers_error() -> None:
    with pytest.raises(ValueError, match="not an Ed25519 public key"):
        verify(signed_bytes(), b"not a key")


# --- single-byte flips: the acceptance test --------------------------------------------------


def flip_positions(size: int, seed: int) -> list[int]:
    """All positions of a file of at most 1,000 bytes, else 1,000 distinct seeded ones."""
    if size <= 1000:
        return list(range(size))
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(size, 1000, replace=False).tolist())


def undetected_flips(data: bytes, seed: int) -> tuple[list[int], Counter[str]]:
    """Positions where XOR with a seeded non-zero byte still verifies; reasons counted."""
    rng = np.random.default_rng(seed + 1)
    missed, reasons = [], Counter[str]()
    for pos in flip_positions(len(data), seed):
        mask = int(rng.integers(1, 256))
        flipped = bytearray(data)
        flipped[pos] ^= mask
        result = verify(bytes(flipped))
        if result.valid:
            missed.append(pos)
        reasons[result.reason.split(":")[0].split(" with key")[0]] += 1
    return missed, reasons


def test_every_one_of_1000_single_byte_flips_is_detected() -> None:
    data = signed_bytes()
    assert len(data) > 1000  # so these are 1,000 distinct positions spread over the file
    assert verify(data).valid
    missed, reasons = undetected_flips(data, seed=20260312)
    assert sum(reasons.values()) == 1000
    assert missed == []
    # Flips land everywhere: in the structure, the payload, the digest and the signature.
    assert reasons["not JSON"] > 0
    assert reasons["not in canonical form"] > 0
    assert reasons["sha256 does not match the certificate's content"] > 0
    assert reasons["signature does not verify"] > 0


def test_every_single_byte_flip_of_a_small_certificate_is_detected() -> None:
    data = signed_bytes({"id": "c-1"})
    assert len(data) <= 1000  # every position
    missed, reasons = undetected_flips(data, seed=7)
    assert sum(reasons.values()) == len(data)
    assert missed == []


def test_every_bit_flip_at_every_position_is_detected() -> None:
    data = signed_bytes()
    missed = []
    for pos in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[pos] ^= 1 << bit
            if verify(bytes(flipped)).valid:
                missed.append((pos, bit))
    assert missed == []


# --- canonical JSON -------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_a_fixed_point(value: Any) -> None:
    try:
        data = canonical_json(value)
    except ValueError:  # a lone surrogate cannot be UTF-8
        return
    assert canonical_json(json.loads(data)) == data
    assert json.loads(data) == value


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=6), st.randoms(use_true_random=False))
def test_canonical_json_ignores_key_order(value: dict[str, Any], rnd: Any) -> None:
    keys = list(value)
    rnd.shuffle(keys)
    try:
        expected = canonical_json(value)
    except ValueError:  # a lone surrogate cannot be UTF-8
        return
    assert canonical_json({k: value[k] for k in keys}) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"id": "x", "score": float("nan")}, "canonical JSON"),
        ({"id": "x", "inf": float("inf")}, "canonical JSON"),
        ({"id": "x", 1: "integer key"}, "key 1 is not a string"),
        ({"id": "x", "when": {1, 2}}, "set is not a JSON value"),
        ({"id": "x", "pair": (1, 2)}, "tuple is not a JSON value"),
        ({"id": ""}, "non-empty string 'id'"),
        ({"name": "no id"}, "non-empty string 'id'"),
    ],
)
def test_sign_refuses_what_it_cannot_sign_exactly(value: dict[Any, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sign(value, KEY)


def test_canonical_floats() -> None:
    assert canonical_json([0.1, 1e-7, 3.0, -0.0, 1e22, 2**53 + 1]) == (
        b"[0.1,1e-07,3.0,-0.0,1e+22,9007199254740993]"
    )


# --- keys and verification codes -----------------------------------------------------------


def test_private_key_pem_round_trip() -> None:
    loaded = load_private_key_pem(private_key_pem(KEY))
    assert raw_public_key(loaded.public_key()) == raw_public_key(KEY.public_key())
    with pytest.raises(ValueError, match="not a PEM private key"):
        load_private_key_pem(b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")


def test_public_key_pem_round_trip() -> None:
    pem = public_key_pem(KEY.public_key())
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert key_id(load_public_key(pem)) == key_id(KEY.public_key())
    assert key_id(load_public_key(pem.decode())) == key_id(KEY.public_key())


def test_verification_code_format() -> None:
    doc = sign(payload(), KEY)
    code = verification_code(doc["certificate"]["id"], doc["sha256"])
    assert CODE.fullmatch(code)
    assert set(code.replace("-", "")) <= set(CROCKFORD)
    assert code == verification_code(doc["certificate"]["id"], doc["sha256"])
    assert code != verification_code("another-id", doc["sha256"])
    assert code != verification_code(doc["certificate"]["id"], sha256_hex(b"other"))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.binary(min_size=1, max_size=8))
def test_a_code_survives_how_people_type_it(cid: str, content: bytes) -> None:
    sha = sha256_hex(content)
    code = verification_code(cid, sha)
    assert CODE.fullmatch(code)
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_code(sloppy) == code
    assert code_matches(sloppy, cid, sha)
    assert code_matches(code.replace("-", ""), cid, sha)


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRU", "ABCD-EFGH-JKMN-PQRST"])
def test_what_cannot_be_a_code(typed: str) -> None:
    assert normalize_code(typed) is None
    assert not code_matches(typed, "c-1", "0" * 64)
