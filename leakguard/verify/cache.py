"""Verification answers cached on disk for a short time, keyed by a hash.

One JSON file, ``verify.json`` in the cache directory. A key is
sha256(verifier digest NUL the values sent), so the file holds no secret; a
value is the status, the reason, the identity (account ids, ARNs, logins) and
an expiry time. Only definite answers (active, inactive) are kept: an
``unknown`` (timeout, rate limit) is asked again next time. Only a regular
file is ever opened; an unreadable or malformed cache is treated as empty.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from leakguard.fsio import read_regular, replace_atomic
from leakguard.model import Verification

MAX_ENTRIES = 50_000
_MAX_BYTES = 64 << 20


def cache_path() -> Path:
    from leakguard.prefilter import cache_dir

    return cache_dir() / "verify.json"


def key(digest: str, values: Iterable[tuple[str, str]]) -> str:
    h = hashlib.sha256(digest.encode())
    for name, value in sorted(values):
        h.update(b"\0" + name.encode() + b"\0" + value.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class VerifyCache:
    def __init__(self, ttl: float, path: Path | None = None) -> None:
        self.ttl = ttl
        self.path = path or cache_path()
        self.entries: dict[str, list[Any]] = {}
        self.dirty = False
        if ttl > 0:
            try:
                raw = read_regular(self.path, _MAX_BYTES + 1)  # never blocks on a FIFO or device
            except OSError:
                raw = b""
            if len(raw) > _MAX_BYTES:
                raw = b""
            try:
                doc = json.loads(raw) if raw else {}
            except (ValueError, RecursionError):  # malformed, huge integers, nested too deeply: empty
                doc = {}
            now = time.time()
            if isinstance(doc, dict):
                self.entries = {k: v for k, v in doc.items()
                                if isinstance(v, list) and len(v) == 5 and isinstance(v[4], (int, float)) and v[4] > now}

    def get(self, k: str) -> Verification | None:
        v = self.entries.get(k)
        if v is None:
            return None
        status, reason, identity, verifier, _ = v
        if status not in ("active", "inactive") or not isinstance(identity, list):
            return None
        return Verification(status, f"{reason} (cached)", tuple((str(a), str(b)) for a, b in identity), str(verifier))

    def put(self, k: str, v: Verification) -> None:
        if self.ttl <= 0 or v.status == "unknown":
            return
        self.entries[k] = [v.status, v.reason, [list(x) for x in v.identity], v.verifier, time.time() + self.ttl]
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        entries = dict(sorted(self.entries.items(), key=lambda kv: float(kv[1][4]))[-MAX_ENTRIES:])
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomic(self.path, json.dumps(entries))  # never writes through a FIFO or symlink there
