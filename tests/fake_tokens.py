"""Generate random FAKE tokens whose checksum or structure verifies, for rule
examples (never live keys: every character is random).

    python tests/fake_tokens.py github ghp_      # ghp_ + 30 random + base62 CRC32
    python tests/fake_tokens.py npm
    python tests/fake_tokens.py pypi [test]
    python tests/fake_tokens.py grafana
    python tests/fake_tokens.py atlassian
    python tests/fake_tokens.py age
    python tests/fake_tokens.py nostr
"""
from __future__ import annotations

import base64
import json
import secrets
import string
import sys
import uuid

from leakguard import checksums

ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def github(prefix: str = "ghp_") -> str:
    body = rand(30)
    return prefix + body + checksums.base62(checksums.crc32(body))


def grafana() -> str:
    head = "glsa_" + rand(32)
    return head + "_" + checksums.crc32(head).to_bytes(4, "little").hex()


def atlassian() -> str:
    head = "ATATT3xFfGF0" + rand(170, ALNUM + "_-") + "="
    return head + format(checksums.crc32(head), "08X")


def _field(ftype: int, data: bytes) -> bytes:
    assert len(data) < 128
    return bytes([ftype, len(data)]) + data


def pypi(test: bool = False) -> str:
    loc = b"test.pypi.org" if test else b"pypi.org"
    caveat = json.dumps({"version": 1, "permissions": "user"}).encode()
    raw = (b"\x02" + _field(1, loc) + _field(2, str(uuid.uuid4()).encode()) + b"\x00"
           + _field(2, caveat) + b"\x00" + b"\x00" + bytes([6, 32]) + secrets.token_bytes(32))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bech32(hrp: str, nbytes: int = 32) -> str:
    data = [secrets.randbelow(32) for _ in range((nbytes * 8 + 4) // 5)]
    words = data + checksums.bech32_create_checksum(hrp, data)
    return hrp + "1" + "".join(checksums._BECH32[w] for w in words)


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else "github"
    if kind == "github":
        print(github(argv[1] if len(argv) > 1 else "ghp_"))
    elif kind == "npm":
        print(github("npm_"))
    elif kind == "pypi":
        print(pypi(len(argv) > 1 and argv[1] == "test"))
    elif kind == "grafana":
        print(grafana())
    elif kind == "atlassian":
        print(atlassian())
    elif kind == "age":
        print(bech32("age-secret-key-").upper())
    elif kind == "nostr":
        print(bech32("nsec"))
    else:
        sys.exit(f"unknown kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
