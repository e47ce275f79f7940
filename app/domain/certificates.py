"""Signed certificates: canonical JSON, its SHA-256 and an Ed25519 signature, checked offline.

A certificate file is one JSON object with exactly five fields::

    {"certificate": {...}, "key_id": "...", "public_key": "...", "sha256": "...",
     "signature": "..."}

``certificate`` is the payload (it must carry a string ``id``, the public identifier printed
on the PDF and used at ``/verify/{id}``); ``sha256`` is the hex digest of the payload's
canonical bytes; ``signature`` the Ed25519 signature of those same bytes and ``public_key``
the raw 32-byte key, both base64url without padding; ``key_id`` the first 16 hex digits of
the SHA-256 of the raw public key.

**Canonical JSON** is what :func:`canonical_json` writes: keys sorted, no whitespace, UTF-8
with non-ASCII characters as themselves (``ensure_ascii=False``), no NaN or infinity, and
floats as Python's shortest round-trip ``repr`` (deterministic, and re-parsing gives the same
float, so the bytes survive a load/dump cycle).

**Files are verified byte for byte.** The file must be exactly the canonical serialisation of
the whole document, optionally followed by one newline; anything else, including a file an
editor re-indented, is refused as "not in canonical form". This is what makes every change
detectable: whitespace between JSON tokens carries no content, so a pretty-printed file could
be altered there without touching anything signed. With the canonical rule, if altered bytes
still parse and are canonical they are the canonical form of a *different* document (the
serialisation is injective), so a signed field, the digest, the signature or the key
changed, and one of the checks below fails. Base64url fields are decoded strictly (they must
re-encode to the same text) because a lax decoder ignores the unused low bits of the last
character, which would leave some one-character changes without effect.

Without a trusted key, verification proves only that the file is intact under the key it
names: anyone can sign a file with a key of their own. Pass the program's published public
key to also prove who signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FIELDS = ("certificate", "key_id", "public_key", "sha256", "signature")
ID_FIELD = "id"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
_CODE_CHARS = 16  # 80 bits, typed as 4 groups of 4
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


# --- canonical JSON ------------------------------------------------------------------


def _check_json(value: Any, path: str) -> None:
    """Refuse what json.dumps would silently change (non-string keys, tuples) or reject late."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: key {key!r} is not a string")
            _check_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
    elif value is not None and not isinstance(value, str | int | float):  # bool is an int
        raise ValueError(f"{path}: {type(value).__name__} is not a JSON value")


def canonical_json(value: Any) -> bytes:
    """The one byte string a JSON value has: what is hashed, signed and written to files.

    >>> canonical_json({"b": [1, 2.5, "é"], "a": None})
    b'{"a":null,"b":[1,2.5,"\\xc3\\xa9"]}'
    """
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:  # NaN, lone surrogates, ...
        raise ValueError(f"not representable as canonical JSON: {exc}") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- keys --------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, length: int) -> bytes | None:
    """Strictly: only the alphabet, no padding, the exact length, and re-encoding to ``text``."""
    if not _B64URL.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != length or _b64url(raw) != text:
        return None
    return raw


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a key, stored with each certificate row and shown on mismatches."""
    return sha256_hex(raw_public_key(key))[:16]


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the file's permissions protect it (see app.services)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key_pem(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """A public key as PEM, as the raw 32 bytes, or as the base64url text of a certificate.

    Accepting all three lets ``verify --public-key`` take the exported PEM file or a key
    copied out of another certificate.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        try:
            key = serialization.load_pem_public_key(raw)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"a {type(key).__name__}, not an Ed25519 public key")
        return key
    if len(raw) != 32:
        decoded = _unb64url(raw.decode("ascii", "replace").strip(), 32)
        if decoded is None:
            raise ValueError("not an Ed25519 public key: expected PEM, 32 raw bytes or base64url")
        raw = decoded
    return Ed25519PublicKey.from_public_bytes(raw)


# --- signing and verifying -----------------------------------------------------------------


def sign(payload: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document for ``payload``; write it with :func:`document_bytes`.

    The returned ``certificate`` is the payload as it will read back from the file (through
    its canonical JSON), so what the caller stores is exactly what was signed.
    """
    cid = payload.get(ID_FIELD)
    if not isinstance(cid, str) or not cid:
        raise ValueError(f"the certificate needs a non-empty string {ID_FIELD!r}")
    _check_json(dict(payload), "certificate")
    body = canonical_json(payload)
    public = private_key.public_key()
    return {
        "certificate": json.loads(body),
        "key_id": key_id(public),
        "public_key": _b64url(raw_public_key(public)),
        "sha256": sha256_hex(body),
        "signature": _b64url(private_key.sign(body)),
    }


def assemble(
    payload: Mapping[str, Any], sha256: str, signature: str, public_key: Ed25519PublicKey
) -> dict[str, Any]:
    """A signed document rebuilt from stored parts: what :func:`sign` returned."""
    return {
        "certificate": dict(payload),
        "key_id": key_id(public_key),
        "public_key": _b64url(raw_public_key(public_key)),
        "sha256": sha256,
        "signature": signature,
    }


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """The file's bytes: the canonical JSON of the whole document and a newline."""
    return canonical_json(document) + b"\n"


@dataclass(frozen=True)
class Verification:
    """The outcome, a reason a person can act on and, only when valid, the payload.

    ``trusted`` says whether the signature was checked against a key the verifier supplied
    (proving who signed) or only against the key embedded in the file (proving integrity).
    """

    valid: bool
    reason: str
    payload: dict[str, Any] | None = None
    key_id: str | None = None
    trusted: bool = False
    code: str | None = None


def _invalid(reason: str, kid: str | None = None) -> Verification:
    return Verification(False, reason, key_id=kid)


def verify(
    document: bytes, trusted_public_key: Ed25519PublicKey | bytes | str | None = None
) -> Verification:
    """Check a certificate file's bytes; the first failing check gives the reason.

    ``trusted_public_key`` (a key, or PEM/raw/base64url bytes) must be the key that signed.
    A trusted key that cannot be loaded raises ValueError: that is a mistake of the
    verifier's, not a property of the certificate.
    """
    trusted = (
        load_public_key(trusted_public_key)
        if isinstance(trusted_public_key, bytes | str)
        else trusted_public_key
    )
    try:
        doc = json.loads(document.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _invalid(f"not JSON: the file is not UTF-8 text (byte {exc.start})")
    except (ValueError, RecursionError) as exc:
        return _invalid(f"not JSON: {exc}")
    if not isinstance(doc, dict):
        return _invalid(f"not a certificate: the file holds a JSON {type(doc).__name__}")
    for name in FIELDS:
        if name not in doc:
            return _invalid(f"missing field {name}")
    extra = sorted(set(doc) - set(FIELDS))
    if extra:
        return _invalid(f"unexpected field {extra[0]} (certificate files have only {FIELDS})")
    payload = doc["certificate"]
    if not isinstance(payload, dict):
        return _invalid("field certificate is not a JSON object")
    if not isinstance(payload.get(ID_FIELD), str) or not payload[ID_FIELD]:
        return _invalid(f"missing field certificate.{ID_FIELD}")
    for name in FIELDS[1:]:
        if not isinstance(doc[name], str):
            return _invalid(f"field {name} is not a string")
    try:
        canonical = canonical_json(doc)
    except ValueError:
        canonical = b""
    if document not in (canonical, canonical + b"\n"):
        return _invalid(
            "not in canonical form: the file is not byte for byte as issued (certificate "
            "files must not be edited or reformatted)"
        )

    raw_key = _unb64url(doc["public_key"], 32)
    if raw_key is None:
        return _invalid("field public_key is not a base64url Ed25519 public key (43 characters)")
    embedded = Ed25519PublicKey.from_public_bytes(raw_key)
    kid = key_id(embedded)
    if doc["key_id"] != kid:  # public values: no need for a constant-time comparison
        # The file's own key_id is not echoed: tampered text has no place on a terminal.
        return _invalid(f"key_id does not match the public key (whose id is {kid})", kid)
    body = canonical_json(payload)
    if doc["sha256"] != sha256_hex(body):
        return _invalid("sha256 does not match the certificate's content", kid)
    if trusted is not None and raw_public_key(trusted) != raw_key:
        return _invalid(f"signed with key {kid} but the trusted key is {key_id(trusted)}", kid)
    signature = _unb64url(doc["signature"], 64)
    if signature is None:
        return _invalid("field signature is not a base64url Ed25519 signature (86 characters)", kid)
    try:
        embedded.verify(signature, body)
    except InvalidSignature:
        return _invalid(f"signature does not verify with key {kid}", kid)
    whose = (
        "the trusted key"
        if trusted is not None
        else "the key named in the file; pass the program's public key to check who signed"
    )
    return Verification(
        True,
        f"valid: signed with key {kid} ({whose})",
        payload,
        kid,
        trusted is not None,
        verification_code(payload[ID_FIELD], doc["sha256"]),
    )


# --- verification codes ----------------------------------------------------------------------


def verification_code(certificate_id: str, sha256: str) -> str:
    """The code printed on the PDF: 80 bits of SHA-256(id, newline, sha256) in Crockford base32.

    Binding the id to the content's digest lets a reader who types the id and the code at
    /verify confirm that the paper matches the stored certificate, not just that some
    certificate with that id exists. 80 bits make a matching forgery infeasible while the
    code stays short enough to type (4 groups of 4, no I, L, O or U to misread).

    >>> verification_code("c-1", "0" * 64)
    '5CC5-7Z0E-CN5B-E6NT'
    """
    digest = hashlib.sha256(f"{certificate_id}\n{sha256}".encode()).digest()
    n = int.from_bytes(digest[:10], "big")
    chars = "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(_CODE_CHARS)))
    return "-".join(chars[i : i + 4] for i in range(0, _CODE_CHARS, 4))


_CODE_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalize_code(text: str) -> str | None:
    """A typed code in its printed form, forgiving case, spacing, hyphens and O/I/L for 0/1.

    None when it cannot be a code. Crockford's decoding rules, so a reader who types what
    they see on paper is not refused for a lookalike character.

    >>> normalize_code(" 5cc5 7zoe-cn5b-e6nt ")
    '5CC5-7Z0E-CN5B-E6NT'
    """
    chars = re.sub(r"[\s-]", "", text).upper().translate(_CODE_ALIASES)
    if len(chars) != _CODE_CHARS or any(c not in CROCKFORD for c in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, _CODE_CHARS, 4))


def code_matches(typed: str, certificate_id: str, sha256: str) -> bool:
    normalized = normalize_code(typed)
    expected = verification_code(certificate_id, sha256)
    return normalized is not None and hmac.compare_digest(normalized, expected)
