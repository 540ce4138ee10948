"""The baseline: findings a team has already seen, keyed by stable fingerprints.

File format (``.leakguard-baseline.json`` by default; see docs/baseline.md)::

    {
      "leakguard_baseline": 1,
      "entries": [
        {"fingerprint": "...", "path": "app/settings.py", "rule_id": "...", "secret": "pR7*****", "secret_hash": "..."},
        ...
      ]
    }

- one entry per line, sorted by (path, rule_id, fingerprint); keys sorted;
  no line numbers, no timestamps: a rescan of unchanged code rewrites the
  same bytes, and two branches adding entries rarely touch the same line;
- the secret is stored only redacted, plus ``secret_hash`` (sha256 of rule id
  and secret, the one in reports);
- optional ``status`` (true-positive | false-positive | accepted) and
  ``reason`` come from ``leakguard baseline audit``;
- written atomically (temp file in the same directory, fsync, rename), so a
  reader or a concurrent writer never sees a half-written file; commands that
  change it re-read and merge under a lock (:func:`locked`), so concurrent
  runs lose nothing.
"""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from leakguard.errors import ConfigError
from leakguard.fsio import read_regular, write_file
from leakguard.model import Finding, ScanResult
from leakguard.redact import redact

FORMAT_VERSION = 1
DEFAULT_NAME = ".leakguard-baseline.json"
STATUSES = ("true-positive", "false-positive", "accepted")
_KEYS = {"fingerprint", "path", "rule_id", "secret", "secret_hash", "status", "reason"}
_HEX64 = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    path: str
    rule_id: str
    secret: str  # redacted
    secret_hash: str
    status: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, str]:
        d = {"fingerprint": self.fingerprint, "path": self.path, "rule_id": self.rule_id,
             "secret": self.secret, "secret_hash": self.secret_hash}
        if self.status:
            d["status"] = self.status
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[Entry, ...] = ()

    def by_fingerprint(self) -> dict[str, Entry]:
        return {e.fingerprint: e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)


def entry_for(f: Finding) -> Entry:
    return Entry(f.fingerprint, f.path, f.rule_id, redact(f.secret), f.secret_hash)


def _sorted(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    unique = {e.fingerprint: e for e in entries}
    return tuple(sorted(unique.values(), key=lambda e: (e.path, e.rule_id, e.fingerprint)))


def from_findings(findings: Iterable[Finding]) -> Baseline:
    return Baseline(_sorted(entry_for(f) for f in findings))


def update(old: Baseline, findings: Iterable[Finding]) -> Baseline:
    """Add findings not yet in the baseline; keep every existing entry and its label."""
    known = old.by_fingerprint()
    new = [entry_for(f) for f in findings if f.fingerprint not in known]
    return Baseline(_sorted([*old.entries, *new]))


def prune(old: Baseline, findings: Iterable[Finding]) -> tuple[Baseline, int]:
    """Drop entries no longer found. Returns the new baseline and how many went."""
    seen = {f.fingerprint for f in findings}
    kept = tuple(e for e in old.entries if e.fingerprint in seen)
    return Baseline(kept), len(old.entries) - len(kept)


def label(old: Baseline, fingerprint: str, status: str | None, reason: str | None) -> Baseline:
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    return Baseline(tuple(replace(e, status=status, reason=reason or None) if e.fingerprint == fingerprint else e
                          for e in old.entries))


def apply(result: ScanResult, baseline: Baseline, *, show: bool = False) -> ScanResult:
    """Remove (or, with ``show``, label) findings whose fingerprint is in the baseline.

    Shown baselined findings carry ``status`` = their label or 'baselined';
    the command's gate ignores findings with a status.
    """
    known = baseline.by_fingerprint()
    kept: list[Finding] = []
    for f in result.findings:
        e = known.get(f.fingerprint)
        if e is None:
            kept.append(f)
            continue
        result.stats.suppressed_baseline += 1
        if show:
            kept.append(replace(f, status=e.status or "baselined"))
    result.findings = kept
    return result


# -- reading and writing ------------------------------------------------------


def dumps(baseline: Baseline) -> str:
    lines = [json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False) for e in _sorted(baseline.entries)]
    body = ",\n".join(f"    {line}" for line in lines)
    entries = f"[\n{body}\n  ]" if lines else "[]"
    return f'{{\n  "leakguard_baseline": {FORMAT_VERSION},\n  "entries": {entries}\n}}\n'


def loads(text: str, source: str) -> Baseline:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{source}: not a leakguard baseline: invalid JSON at line {e.lineno}: {e.msg}") from None
    except RecursionError:
        raise ConfigError(f"{source}: not a leakguard baseline: JSON nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"{source}: not a leakguard baseline: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict) or "leakguard_baseline" not in doc:
        raise ConfigError(f"{source}: not a leakguard baseline (no 'leakguard_baseline' version)")
    version = doc["leakguard_baseline"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"{source}: unknown baseline format version {version!r}")
    if version > FORMAT_VERSION:
        raise ConfigError(f"{source}: written by a newer leakguard (baseline format {version}; this version "
                          f"reads format {FORMAT_VERSION}): upgrade leakguard")
    if set(doc) - {"leakguard_baseline", "entries"}:
        raise ConfigError(f"{source}: unknown key '{sorted(set(doc) - {'leakguard_baseline', 'entries'})[0]}'")
    raw = doc.get("entries")
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: 'entries' must be a list")
    return Baseline(_sorted(_entry(source, i, item) for i, item in enumerate(raw)))


def _entry(source: str, i: int, item: object) -> Entry:
    if not isinstance(item, dict):
        raise ConfigError(f"{source}: entries[{i}] must be an object")
    extra = set(item) - _KEYS
    if extra:
        raise ConfigError(f"{source}: entries[{i}]: unknown key '{sorted(extra)[0]}'")
    for k in ("fingerprint", "path", "rule_id", "secret_hash"):
        if not isinstance(item.get(k), str) or not item[k]:
            raise ConfigError(f"{source}: entries[{i}]: '{k}' must be a non-empty string")
    for k in ("fingerprint", "secret_hash"):
        if len(item[k]) != 64 or not set(item[k]) <= _HEX64:
            raise ConfigError(f"{source}: entries[{i}]: '{k}' must be a sha256 hex digest")
    for k in ("secret", "status", "reason"):
        if k in item and not isinstance(item[k], str):
            raise ConfigError(f"{source}: entries[{i}]: '{k}' must be a string")
    status = item.get("status") or None
    if status is not None and status not in STATUSES:
        raise ConfigError(f"{source}: entries[{i}]: 'status' must be one of {', '.join(STATUSES)} (got {status!r})")
    return Entry(item["fingerprint"], item["path"], item["rule_id"], item.get("secret", ""),
                 item["secret_hash"], status, item.get("reason") or None)


def load(path: str | os.PathLike[str]) -> Baseline:
    try:
        text = read_regular(path).decode("utf-8")  # a FIFO or device in its place cannot block
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (create it with 'leakguard baseline create')") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: cannot read baseline: not UTF-8 text") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read baseline: {e.strerror or e}") from None
    return loads(text, str(path))


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of the baseline at ``path``.

    The file itself is replaced atomically (a new inode each time), so the
    lock is taken on its directory, which every writer shares. Commands that
    change the baseline scan first, then lock, re-read the file, merge and
    save: concurrent ``baseline update`` runs all keep their entries."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        yield
        return
    directory = os.path.dirname(os.path.realpath(path)) or "."
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as e:
        raise ConfigError(f"{path}: cannot lock the baseline's directory: {e.strerror or e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def save(path: str | os.PathLike[str], baseline: Baseline) -> None:
    """Atomic: temp file beside the target, fsync, os.replace. Concurrent writers
    each replace the whole file; the last one wins and the file is always valid."""
    try:
        write_file(path, dumps(baseline), fsync=True)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write baseline: {e.strerror or e}") from None


def counts(baseline: Baseline) -> Mapping[str, int]:
    out: dict[str, int] = {s: 0 for s in (*STATUSES, "unreviewed")}
    for e in baseline.entries:
        out[e.status or "unreviewed"] += 1
    return out


def summary(baseline: Baseline) -> dict[str, Any]:
    return {"entries": len(baseline), **counts(baseline)}
