"""Signing keys: created once with private permissions, loaded after, one key under races."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.config import get_settings
from app.domain.certificates import (
    document_bytes,
    key_id,
    load_public_key,
    raw_public_key,
    sign,
    verify,
)
from app.services import signing_keys
from app.services.signing_keys import (
    SigningKeyError,
    key_directory,
    key_paths,
    private_key,
    public_key,
    public_key_pem,
)

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_creates_the_key_pair(tmp_path: Path) -> None:
    directory = tmp_path / "keys" / "nested"
    key = private_key("pat-training", directory=directory)
    private, public = key_paths("pat-training", directory)
    assert sorted(p.name for p in directory.iterdir()) == [
        "pat-training.pem",
        "pat-training.pub.pem",
    ]
    assert mode(directory) == 0o700
    assert mode(private) == 0o600
    assert mode(public) == 0o644
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_id(load_public_key(public.read_bytes())) == key_id(key.public_key())


def test_second_use_loads_the_same_key(tmp_path: Path) -> None:
    first = private_key("pat-training", directory=tmp_path)
    private, _ = key_paths("pat-training", tmp_path)
    written = private.read_bytes()
    again = private_key("pat-training", directory=tmp_path)
    assert raw_public_key(again.public_key()) == raw_public_key(first.public_key())
    assert private.read_bytes() == written


def test_each_program_has_its_own_key(tmp_path: Path) -> None:
    a = public_key("program-a", directory=tmp_path)
    b = public_key("program-b", directory=tmp_path)
    assert key_id(a) != key_id(b)


def test_the_exported_public_key_verifies_its_certificates(tmp_path: Path) -> None:
    key = private_key("pat-training", directory=tmp_path)
    data = document_bytes(sign({"id": "c-1", "trainee": "Zoë"}, key))
    pem = public_key_pem("pat-training", directory=tmp_path)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    result = verify(data, pem)
    assert result.valid
    assert result.trusted
    other = public_key_pem("another-program", directory=tmp_path)
    assert not verify(data, other).valid


def test_the_public_key_file_is_restored_from_the_private_key(tmp_path: Path) -> None:
    key = private_key("pat-training", directory=tmp_path)
    _, public = key_paths("pat-training", tmp_path)
    public.unlink()
    assert public_key_pem("pat-training", directory=tmp_path) == public.read_bytes()
    assert key_id(load_public_key(public.read_bytes())) == key_id(key.public_key())


def test_the_directory_defaults_to_the_settings() -> None:
    assert key_directory() == get_settings().signing_key_path.parent
    private, public = key_paths("pat-training")
    assert private == get_settings().signing_key_path.parent / "pat-training.pem"
    assert public.name == "pat-training.pub.pem"


@pytest.mark.parametrize("slug", ["../etc", "a", "Pat", "a/b", "", ".hidden", "x" * 65])
def test_only_program_slugs_name_key_files(tmp_path: Path, slug: str) -> None:
    with pytest.raises(ValueError, match="is not a program slug"):
        private_key(slug, directory=tmp_path)


def test_concurrent_first_use_from_threads_yields_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every thread generates a key before any publishes one: a forced race, one winner."""
    n = 16
    start, publish = threading.Barrier(n), threading.Barrier(n)
    keys: list[bytes] = []
    won: list[bool] = []
    errors: list[BaseException] = []
    real_publish = signing_keys._publish

    def racing_publish(path: Path, data: bytes, file_mode: int) -> bool:
        if path.name.endswith(".pub.pem"):
            return real_publish(path, data, file_mode)
        publish.wait()
        created = real_publish(path, data, file_mode)
        won.append(created)
        return created

    monkeypatch.setattr(signing_keys, "_publish", racing_publish)

    def first_use() -> None:
        try:
            start.wait()
            key = private_key("pat-training", directory=tmp_path)
            keys.append(raw_public_key(key.public_key()))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(won) == [False] * (n - 1) + [True]
    assert len(keys) == n
    assert len(set(keys)) == 1
    # No temporary files left behind, only the pair.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pat-training.pem",
        "pat-training.pub.pem",
    ]
    assert raw_public_key(public_key("pat-training", directory=tmp_path)) == keys[0]


RACER = """
import sys, time
from pathlib import Path
from app.domain.certificates import raw_public_key
from app.services.signing_keys import private_key
directory, go = Path(sys.argv[1]), Path(sys.argv[2])
(go.parent / f"ready-{sys.argv[3]}").touch()
while not go.exists():
    time.sleep(0.001)
print(raw_public_key(private_key("pat-training", directory=directory).public_key()).hex())
"""


def test_concurrent_first_use_from_processes_yields_one_key(tmp_path: Path) -> None:
    keys, sync = tmp_path / "keys", tmp_path / "sync"
    sync.mkdir()
    go = sync / "go"
    n = 4
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(keys), str(go), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for i in range(n)
    ]
    deadline = time.monotonic() + 60
    while len(list(sync.glob("ready-*"))) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all start generating at once
    outputs = [r.communicate(timeout=60) for r in racers]
    assert [r.returncode for r in racers] == [0] * n, [err.decode() for _, err in outputs]
    assert len({out.strip() for out, _ in outputs}) == 1
    assert sorted(p.name for p in keys.iterdir()) == ["pat-training.pem", "pat-training.pub.pem"]


def write_key_file(tmp_path: Path, data: bytes) -> Path:
    private, _ = key_paths("pat-training", tmp_path)
    private.write_bytes(data)
    private.chmod(0o600)
    return private


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_a_corrupted_key_file_is_a_clear_error(tmp_path: Path, data: bytes) -> None:
    private = write_key_file(tmp_path, data)
    with pytest.raises(SigningKeyError, match="cannot load the signing key") as info:
        private_key("pat-training", directory=tmp_path)
    assert str(private) in str(info.value)
    assert "Restore it from a backup" in str(info.value)
    assert private.read_bytes() == data  # never replaced by a fresh key


def test_a_key_of_another_type_is_a_clear_error(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_key_file(tmp_path, pem)
    with pytest.raises(SigningKeyError, match="not an Ed25519 private key"):
        private_key("pat-training", directory=tmp_path)


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    private_key("pat-training", directory=tmp_path)
    private, _ = key_paths("pat-training", tmp_path)
    private.chmod(0o644)
    with pytest.raises(SigningKeyError, match="permissions 0644 let other users read"):
        private_key("pat-training", directory=tmp_path)


def test_a_mismatched_public_key_file_is_refused(tmp_path: Path) -> None:
    private_key("pat-training", directory=tmp_path)
    _, public = key_paths("pat-training", tmp_path)
    public.write_bytes(public_key_pem("another-program", directory=tmp_path))
    with pytest.raises(SigningKeyError, match="does not hold the public key of"):
        public_key_pem("pat-training", directory=tmp_path)
