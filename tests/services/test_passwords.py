"""Password hashing parameters: production meets OWASP's argon2id minimum."""

from __future__ import annotations

from argon2 import extract_parameters

from app.services.passwords import password_hasher

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 at the least.
OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME = 19 * 1024, 2


def test_production_profile_meets_owasp_minimum() -> None:
    encoded = password_hasher("production").hash("a sufficiently long password")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert params.memory_cost >= OWASP_MIN_MEMORY_KIB
    assert params.time_cost >= OWASP_MIN_TIME
    assert params.parallelism >= 1


def test_fast_profile_is_cheap_but_still_argon2id() -> None:
    encoded = password_hasher("fast").hash("a sufficiently long password")
    assert encoded.startswith("$argon2id$")
    assert extract_parameters(encoded).memory_cost < OWASP_MIN_MEMORY_KIB
