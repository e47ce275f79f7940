"""Each program's Ed25519 certificate-signing key, kept in PEM files outside the database.

Outside the database so that a leaked dump or backup of it is not enough to forge
certificates. The keys live in the directory of ``GUIDINGHAND_SIGNING_KEY_PATH`` (the
file name in that setting only places the directory): ``<slug>.pem`` is the program's
private key (PKCS#8, mode 0600) and ``<slug>.pub.pem`` its public key (mode 0644, for
export: anyone may hold it to verify certificates offline). The directory is created with
mode 0700.

A key is generated on first use. It is written to a private temporary file and published
with ``os.link``, which refuses to replace an existing name, so when two threads or two
processes generate at once exactly one key wins and the other discards its own and loads
the winner's. ``os.replace`` would let the second writer silently swap out a key that may
already have signed a certificate. A key file that exists but cannot be loaded is an
error, never a reason to generate a new key: every certificate signed so far would stop
verifying.

:class:`SigningKeyError` is deliberately not a ``ServiceError``: its message names server
paths, meant for an operator's log or terminal, not for an HTTP client.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.config import get_settings
from app.domain import certificates

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIRECTORY_MODE = 0o700
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")  # as app.services.programs: no path tricks


class SigningKeyError(RuntimeError):
    """A key file that exists but cannot be used; the message says which and what to do."""


def key_directory() -> Path:
    return get_settings().signing_key_path.parent


def key_paths(program_slug: str, directory: Path | None = None) -> tuple[Path, Path]:
    """(private, public) key file paths of a program."""
    if not _SLUG.match(program_slug):
        raise ValueError(f"{program_slug!r} is not a program slug")
    base = directory if directory is not None else key_directory()
    return base / f"{program_slug}.pem", base / f"{program_slug}.pub.pem"


def _ensure_directory(directory: Path) -> None:
    if directory.is_dir():
        return
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    directory.chmod(DIRECTORY_MODE)  # whatever the umask


def _publish(path: Path, data: bytes, mode: int) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True if this call created it.

    The content is complete and on disk before the name appears, so a concurrent reader
    sees either no file or the whole key.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a crash too
    finally:
        os.close(directory)
    return True


def _load_private(path: Path) -> Ed25519PrivateKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"{path}: permissions {mode:04o} let other users read the signing key; "
            f"run chmod 600 on it (and consider the key compromised if they did)"
        )
    try:
        return certificates.load_private_key_pem(path.read_bytes())
    except ValueError as exc:
        raise SigningKeyError(
            f"{path}: cannot load the signing key: {exc}. Restore it from a backup; a new key "
            "would not verify the certificates already issued"
        ) from None


def _ensure_public(path: Path, private: Path, key: Ed25519PrivateKey) -> None:
    """The public key file, written from the private key if missing, checked if present."""
    expected = certificates.public_key_pem(key.public_key())
    if not path.exists() and _publish(path, expected, PUBLIC_MODE):
        return
    if path.read_bytes() != expected:
        raise SigningKeyError(
            f"{path} does not hold the public key of {private}; delete it and it will be "
            "written again from the private key"
        )


def private_key(program_slug: str, *, directory: Path | None = None) -> Ed25519PrivateKey:
    """The program's signing key, generated and stored on first use, loaded thereafter."""
    path, public_path = key_paths(program_slug, directory)
    _ensure_directory(path.parent)
    if not path.exists():
        _publish(path, certificates.private_key_pem(Ed25519PrivateKey.generate()), PRIVATE_MODE)
    key = _load_private(path)  # the winner's key, if another thread or process won
    _ensure_public(public_path, path, key)
    return key


def public_key(program_slug: str, *, directory: Path | None = None) -> Ed25519PublicKey:
    return private_key(program_slug, directory=directory).public_key()


def public_key_pem(program_slug: str, *, directory: Path | None = None) -> bytes:
    """The PEM to publish, for ``guidinghand certificates verify --public-key``."""
    return certificates.public_key_pem(public_key(program_slug, directory=directory))
