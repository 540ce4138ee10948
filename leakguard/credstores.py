"""Credential stores that hide their contents behind a published key.

Two client tools keep saved passwords "encrypted" with a key anyone can read:

- MySQL's login path file ``.mylogin.cnf`` (``mysql_config_editor``): 4
  unused bytes, a 20-byte key stored in the file itself, then each line of an
  option file as a 4-byte little-endian length and that many bytes of
  AES-128-ECB ciphertext (PKCS#7 padding); the AES key is the 20 bytes folded
  into 16 by XOR.
- DBeaver's ``credentials-config.json``: AES-128-CBC under a fixed key shipped
  with DBeaver; the first 16 bytes of the file are the IV.

Both are binary on disk, so the text sources would skip them. For these file
names only, and only up to :data:`MAX_STORE_SIZE` bytes, :func:`open_store`
returns the plain text, which the credential-file rules then read like any
option file or JSON (the finding's line is the line of the decrypted text).
Anything that does not decrypt cleanly is left to the normal text path.

The AES itself is the ``cryptography`` package's; nothing here implements a cipher.
"""
from __future__ import annotations

import json
import posixpath

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAX_STORE_SIZE = 256 * 1024  # a login path file or a DBeaver credential file is a few KiB
_MAX_LINES = 10_000
MYLOGIN_NOTE = "decrypted: MySQL login path file (.mylogin.cnf)"
DBEAVER_NOTE = "decrypted: DBeaver credentials-config.json"
# DBeaver's published default key for credentials-config.json (not a secret: it ships in every install)
_DBEAVER_KEY = bytes.fromhex("babb4a9f774ab853c96c2d653dfe544a")


def _unpad(data: bytes) -> bytes | None:
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError:
        return None


def _text(plain: bytes) -> str | None:
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if all(c.isprintable() or c in "\t\r\n" for c in text) else None


def mylogin_key(folded_from: bytes) -> bytes:
    """The AES-128 key of a login path file: its 20 stored bytes XOR-folded into 16."""
    key = bytearray(16)
    for i, b in enumerate(folded_from):
        key[i % 16] ^= b
    return bytes(key)


def decrypt_mylogin(raw: bytes) -> str | None:
    """The option-file text of a ``.mylogin.cnf``, or None when it is not one."""
    if len(raw) < 24 + 4 + 16 or len(raw) > MAX_STORE_SIZE:
        return None
    decryptor = Cipher(algorithms.AES(mylogin_key(raw[4:24])), modes.ECB())
    pos, lines = 24, list[str]()
    while pos < len(raw):
        if pos + 4 > len(raw) or len(lines) >= _MAX_LINES:
            return None
        n = int.from_bytes(raw[pos:pos + 4], "little")
        pos += 4
        if n <= 0 or n % 16 or pos + n > len(raw):
            return None
        d = decryptor.decryptor()
        line = _unpad(d.update(raw[pos:pos + n]) + d.finalize())
        text = _text(line) if line is not None else None
        if text is None:
            return None
        lines.append(text)
        pos += n
    return "".join(lines) or None


def decrypt_dbeaver(raw: bytes) -> str | None:
    """The JSON text of a DBeaver ``credentials-config.json`` (one field per
    line), or None when it is not one."""
    if len(raw) < 32 or len(raw) % 16 or len(raw) > MAX_STORE_SIZE:
        return None
    d = Cipher(algorithms.AES(_DBEAVER_KEY), modes.CBC(raw[:16])).decryptor()
    plain = _unpad(d.update(raw[16:]) + d.finalize())
    text = _text(plain) if plain is not None else None
    if text is None:
        return None
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"
    except (ValueError, RecursionError):
        return None


def open_store(path: str, raw: bytes) -> tuple[bytes, str] | None:
    """(UTF-8 plain text, note) for an encrypted credential store named ``path``, else None."""
    if len(raw) > MAX_STORE_SIZE:
        return None
    name = posixpath.basename(path.replace("\\", "/"))
    if name == ".mylogin.cnf":
        text, note = decrypt_mylogin(raw), MYLOGIN_NOTE
    elif name == "credentials-config.json":
        text, note = decrypt_dbeaver(raw), DBEAVER_NOTE
    else:
        return None
    return (text.encode("utf-8"), note) if text else None
