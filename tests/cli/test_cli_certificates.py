"""`guidinghand certificates verify` offline, and the program's public key for it."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.domain.certificates import document_bytes, public_key_pem, sign
from tests.support.cli import Cli


def _files(folder: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    payload = {"id": "c0ffee00-0000-4000-8000-000000000001", "trainee": {"name": "Ana Ruiz"},
               "decision": {"value": "READY"}}  # fmt: skip
    certificate = folder / "certificate.json"
    certificate.write_bytes(document_bytes(sign(payload, key)))
    pem = folder / "key.pem"
    pem.write_bytes(public_key_pem(key.public_key()))
    return certificate, pem


def test_verify_a_good_a_tampered_and_a_foreign_certificate(cli: Cli, tmp_path: Path) -> None:
    certificate, pem = _files(tmp_path)
    good = cli("certificates", "verify", str(certificate), "--public-key", str(pem))
    assert good.returncode == 0, good.stderr
    assert "valid" in good.stdout
    assert "Ana Ruiz: READY" in good.stdout

    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(certificate.read_bytes().replace(b"Ana Ruiz", b"Ana Ruix"))
    bad = cli("certificates", "verify", str(tampered), "--public-key", str(pem))
    assert bad.returncode == 1
    assert "INVALID: sha256 does not match" in bad.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, other = _files(elsewhere)
    foreign = cli("certificates", "verify", str(certificate), "--public-key", str(other))
    assert foreign.returncode == 1
    assert "but the trusted key is" in foreign.stderr

    untrusted = cli("certificates", "verify", str(certificate))
    assert untrusted.returncode == 0
    assert "pass --public-key to trust it" in untrusted.stdout
    missing = cli("certificates", "verify", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr


def test_public_key_of_a_program(migrated_cli: Cli) -> None:
    assert migrated_cli("programs", "create", "keyed", "--name", "Keyed").returncode == 0
    first = migrated_cli("certificates", "public-key", "--program", "keyed")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    again = migrated_cli("certificates", "public-key", "--program", "keyed")
    assert again.stdout == first.stdout, "generated once, then the same key"
    unknown = migrated_cli("certificates", "public-key", "--program", "nowhere")
    assert unknown.returncode == 1
