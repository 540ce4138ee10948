"""bytes -> scannable UTF-8: binary sniff, BOMs, invalid UTF-8; git-style blob ids."""
from __future__ import annotations

import codecs
import hashlib

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF = 8192
_CONTROLS = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b") + b"\x7f"
# Formats whose magic bytes say "binary" even before a NUL shows up.
_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF-", b"PK\x03\x04", b"\x7fELF", b"\x1f\x8b",
          b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"MZ", b"\x00asm",
          b"SQLite format 3", b"RIFF", b"OggS", b"ID3", b"\x28\xb5\x2f\xfd")


def blob_id(raw: bytes) -> str:
    """The SHA-1 git gives this content, so a file and its committed copy match."""
    h = hashlib.sha1(b"blob %d\0" % len(raw))
    h.update(raw)
    return h.hexdigest()


def to_scannable(path: str, raw: bytes) -> tuple[bytes | None, tuple[str, ...]]:
    """:func:`to_utf8`, except that an encrypted credential store with a
    published key (.mylogin.cnf, DBeaver's credentials-config.json; bounded
    in size) is opened: leakguard.credstores."""
    if raw and (path.endswith(".mylogin.cnf") or path.endswith("credentials-config.json")):
        from leakguard.credstores import open_store  # imports the AES library only for these names
        opened = open_store(path, raw)
        if opened is not None:
            return opened[0], (opened[1],)
    return to_utf8(raw)


def to_utf8(raw: bytes) -> tuple[bytes | None, tuple[str, ...]]:
    """Return (utf-8 data, notes), or (None, ()) for binary content."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(enc)
                return text.encode("utf-8"), ()
            except UnicodeDecodeError:
                text = raw[len(bom):].decode(enc, "replace")
                return text.encode("utf-8"), ("invalid text replaced",)
    head = raw[:_SNIFF]
    if b"\0" in head or head.startswith(_MAGIC):
        return None, ()
    if raw.isascii():
        return raw, ()
    try:
        raw.decode("utf-8")
        return raw, ()
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        if text.count("\ufffd") <= max(16, len(text) // 20):
            return text.encode("utf-8"), ("invalid UTF-8 replaced",)
        # Mostly not UTF-8: a legacy 8-bit text encoding (Latin-1, Windows-1252) when it has
        # next to no control characters, else binary in a text-looking wrapper.
        controls = sum(raw.count(bytes([b])) for b in _CONTROLS)
        if controls > len(raw) // 100:
            return None, ()
        return raw.decode("latin-1").encode("utf-8"), ("non-UTF-8 text decoded as Latin-1",)
