"""Blobs already scanned clean, so a repeated history audit reads only new ones.

One file per (rule set digest, leakguard version) under the same cache
directory as the compiled prefilter (``$LEAKGUARD_CACHE_DIR``, else
``$XDG_CACHE_HOME/leakguard`` or ``~/.cache/leakguard``; only regular files
are ever opened there, so a FIFO or device in place of a cache file cannot
block a scan). It holds 20-byte
keys, sha1(blob id NUL path of first appearance), sorted: no secret, no
content, no readable path. The path is part of the key because some rules
apply only to some paths (``.env`` files), so a blob clean under one name may
not be clean under another. Writes are atomic (temp file + ``os.replace``); an
unreadable or malformed cache is treated as empty, never as an error.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from leakguard import __version__
from leakguard.fsio import read_regular, replace_atomic

KEY_SIZE = 20
MAX_ENTRIES = 4_000_000  # about 80 MB on disk; start afresh beyond that
KEEP_FILES = 4  # caches of older rule sets are removed, newest kept


def key(oid: str, path: str) -> bytes:
    return hashlib.sha1(f"{oid}\0{path}".encode("utf-8", "surrogateescape")).digest()


def cache_file(digest: str) -> Path:
    from leakguard.prefilter import cache_dir

    tag = hashlib.sha256(f"{digest}\0{__version__}".encode()).hexdigest()[:32]
    return cache_dir() / "clean-blobs" / f"{tag}.bin"


def load(digest: str) -> set[bytes]:
    try:
        raw = read_regular(cache_file(digest), MAX_ENTRIES * KEY_SIZE + 1)  # never blocks on a FIFO or device
    except OSError:
        return set()
    if len(raw) % KEY_SIZE:
        return set()
    return {raw[i:i + KEY_SIZE] for i in range(0, len(raw), KEY_SIZE)}


def save(digest: str, keys: set[bytes]) -> None:
    """Write the keys atomically; a cache that cannot be written is skipped silently."""
    if len(keys) > MAX_ENTRIES:
        return
    target = cache_file(digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(target, b"".join(sorted(keys)))  # never writes through a FIFO or symlink there
    except OSError:
        return
    _prune(target.parent)


def _prune(directory: Path) -> None:
    """Drop the caches of rule sets no longer in use (all but the newest few)."""
    try:
        files = sorted(directory.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP_FILES:]:
            old.unlink()
    except OSError:
        pass
