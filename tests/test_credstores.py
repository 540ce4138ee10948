"""Encrypted credential stores with a published key (leakguard.credstores): the
file source opens .mylogin.cnf and DBeaver's credentials-config.json, only
those names and only up to a size, and the credential-file rules report what
is inside at high confidence."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from leakguard import credstores
from leakguard.engine import Engine
from leakguard.scan import ScanOptions, scan_paths

DBEAVER_KEY = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")  # DBeaver's published default


def _pad(b: bytes) -> bytes:
    p = padding.PKCS7(128).padder()
    return p.update(b) + p.finalize()


def mylogin(text: str, key20: bytes | None = None) -> bytes:
    """What mysql_config_editor writes: 4 unused bytes, the 20-byte key, then each
    line as a little-endian length and its AES-128-ECB ciphertext."""
    key20 = key20 or os.urandom(20)
    folded = bytearray(16)
    for i, b in enumerate(key20):
        folded[i % 16] ^= b
    out = b"\0\0\0\0" + key20
    for line in text.splitlines(keepends=True):
        enc = Cipher(algorithms.AES(bytes(folded)), modes.ECB()).encryptor()
        c = enc.update(_pad(line.encode())) + enc.finalize()
        out += len(c).to_bytes(4, "little") + c
    return out


def dbeaver(obj: object) -> bytes:
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(DBEAVER_KEY), modes.CBC(iv)).encryptor()
    return iv + enc.update(_pad(json.dumps(obj).encode())) + enc.finalize()


MYLOGIN_TEXT = ('[client]\nuser = "root"\npassword = "pass123"\n'
                '[prod]\nuser = "app"\npassword = "Qm7vT2xLp9wK"\nhost = "db.acme.io"\n')
DBEAVER_OBJ = {"postgres-jdbc-18f3c2a1b7e": {"#connection": {"user": "postgres", "password": "changeme"}},
               "mysql8-18f3c2a1c02": {"#connection": {"user": "app", "password": "Zr8kLq2mVx9T"}}}


def _scan(engine: Engine, root: Path) -> list[tuple[str, str, int, str, str]]:
    result = scan_paths(engine, [str(root)], ScanOptions(jobs=1))
    return sorted((f.rule_id, f.path, f.location.line, f.secret, f.confidence) for f in result.findings)


def test_decrypt_round_trip() -> None:
    assert credstores.decrypt_mylogin(mylogin(MYLOGIN_TEXT)) == MYLOGIN_TEXT
    assert json.loads(credstores.decrypt_dbeaver(dbeaver(DBEAVER_OBJ)) or "") == DBEAVER_OBJ


def test_mysql_login_path_file_is_read(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".mylogin.cnf").write_bytes(mylogin(MYLOGIN_TEXT))
    assert _scan(engine, tmp_path) == [
        ("mysql-option-file-password", "home/.mylogin.cnf", 3, "pass123", "high"),  # a weak one too: a credential file
        ("mysql-option-file-password", "home/.mylogin.cnf", 6, "Qm7vT2xLp9wK", "high"),
    ]


def test_dbeaver_credentials_are_read(engine: Engine, tmp_path: Path) -> None:
    d = tmp_path / "General" / ".dbeaver"
    d.mkdir(parents=True)
    (d / "credentials-config.json").write_bytes(dbeaver(DBEAVER_OBJ))
    found = _scan(engine, tmp_path)
    assert [(r, s, c) for r, _, _, s, c in found] == [
        ("dbeaver-saved-password", "changeme", "high"), ("dbeaver-saved-password", "Zr8kLq2mVx9T", "high")]
    assert {p for _, p, _, _, _ in found} == {"General/.dbeaver/credentials-config.json"}


def test_no_secret_in_clear_in_output(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / ".mylogin.cnf").write_bytes(mylogin(MYLOGIN_TEXT))
    result = scan_paths(engine, [str(tmp_path)], ScanOptions(jobs=1))
    import io

    from leakguard.reporters import json as json_reporter  # redacted like any other finding
    buf = io.StringIO()
    json_reporter.write(result, buf)
    out = buf.getvalue()
    assert '"mysql-option-file-password"' in out
    assert "Qm7vT2xLp9wK" not in out and "pass123" not in out


@pytest.mark.parametrize("raw", [
    b"", b"\0" * 24, os.urandom(24 + 4 + 32), b"\0\0\0\0" + os.urandom(20) + (16).to_bytes(4, "little") + os.urandom(16),
    b"\0\0\0\0" + os.urandom(20) + (1 << 30).to_bytes(4, "little") + os.urandom(32),  # a length past the end
    mylogin(MYLOGIN_TEXT)[:-5],  # truncated
])
def test_garbage_named_like_a_store_is_not_a_crash(engine: Engine, tmp_path: Path, raw: bytes) -> None:
    assert credstores.open_store(".mylogin.cnf", raw) is None
    assert credstores.open_store("credentials-config.json", raw) is None
    (tmp_path / ".mylogin.cnf").write_bytes(raw)
    (tmp_path / "credentials-config.json").write_bytes(raw)
    assert _scan(engine, tmp_path) == []


def test_only_these_names_and_bounded(engine: Engine, tmp_path: Path) -> None:
    blob = mylogin(MYLOGIN_TEXT)
    (tmp_path / "backup.bin").write_bytes(blob)          # the same bytes under another name: binary, skipped
    (tmp_path / "config.json").write_bytes(dbeaver(DBEAVER_OBJ))
    assert _scan(engine, tmp_path) == []
    assert credstores.open_store("backup.bin", blob) is None
    big = mylogin(MYLOGIN_TEXT + "# padding\n" * 30_000)
    assert len(big) > credstores.MAX_STORE_SIZE and credstores.open_store(".mylogin.cnf", big) is None
    # a plain-text file that happens to have the name is read as text, as before
    assert credstores.open_store(".mylogin.cnf", MYLOGIN_TEXT.encode()) is None


def test_staged_scan_opens_the_stores(engine: Engine, git_repo: Path) -> None:
    """`leakguard scan --staged` (the pre-commit gate) reads the stores as a file scan does."""
    from leakguard.scan import scan_chunks
    from leakguard.sources.staged import staged_chunks
    from tests.conftest import git

    (git_repo / ".mylogin.cnf").write_bytes(mylogin(MYLOGIN_TEXT))
    (git_repo / ".dbeaver").mkdir()
    (git_repo / ".dbeaver" / "credentials-config.json").write_bytes(dbeaver(DBEAVER_OBJ))
    (git_repo / "backup.bin").write_bytes(mylogin(MYLOGIN_TEXT))  # same bytes, another name: binary
    git(git_repo, "add", ".")
    result = scan_chunks(engine, staged_chunks(str(git_repo)))
    found = sorted((f.rule_id, f.path, f.secret, f.confidence) for f in result.findings)
    assert found == [
        ("dbeaver-saved-password", ".dbeaver/credentials-config.json", "Zr8kLq2mVx9T", "high"),
        ("dbeaver-saved-password", ".dbeaver/credentials-config.json", "changeme", "high"),
        ("mysql-option-file-password", ".mylogin.cnf", "Qm7vT2xLp9wK", "high"),
        ("mysql-option-file-password", ".mylogin.cnf", "pass123", "high"),
    ]
    # a later commit that changes the store: every credential in it is read again, not a ciphertext diff
    git(git_repo, "commit", "-q", "-m", "stores")
    (git_repo / ".mylogin.cnf").write_bytes(mylogin(MYLOGIN_TEXT.replace("pass123", "pass124")))
    git(git_repo, "add", ".mylogin.cnf")
    result = scan_chunks(engine, staged_chunks(str(git_repo)))
    assert sorted(f.secret for f in result.findings) == ["Qm7vT2xLp9wK", "pass124"]
