"""argon2id password hashing through pwdlib.

The production profile exceeds the OWASP minimum (19 MiB, 2 iterations, 1 lane); the fast
profile exists so that tests do not spend seconds hashing and is refused in production.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import get_settings

# (time_cost, memory_cost in KiB, parallelism)
PRODUCTION_PARAMETERS = (3, 65536, 4)
FAST_PARAMETERS = (1, 1024, 1)
MIN_PASSWORD_LENGTH = 12


@lru_cache(maxsize=2)
def password_hasher(profile: str | None = None) -> PasswordHash:
    profile = profile or get_settings().hasher_profile
    time_cost, memory_cost, parallelism = (
        PRODUCTION_PARAMETERS if profile == "production" else FAST_PARAMETERS
    )
    hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return PasswordHash((hasher,))


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return password_hasher().verify(password, password_hash)
