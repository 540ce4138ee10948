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


# -- where entry paths are relative to ------------------------------------------
#
# Finding paths are relative to the scan's root (the repository's top, else the
# current directory or the one directory scanned). A baseline must match from
# wherever the next scan runs, so its entry paths are relative to its *frame*:
# the top of the git work tree holding the baseline file, else the baseline
# file's own directory. Inside a repository the two agree and an entry's path
# and fingerprint are the finding's own. An entry matches the same secret hash
# at the same file on disk, its path read against the frame; an entry no file
# matches that way is also read against the baseline's own directory, as
# versions that stored paths relative to where they ran wrote it (their
# baseline went to the directory they ran in). Never both: one entry, one file.


def frame(source: str | os.PathLike[str]) -> str:
    """The directory a baseline file's entry paths are relative to."""
    from leakguard.sources.files import work_tree_top

    d = os.path.dirname(os.path.abspath(source))
    return work_tree_top(d) or d


def _place(base: str, path: str) -> str:
    return os.path.normpath(os.path.join(base, path))


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


class _Index:
    """A baseline's entries by file on disk (with the scan root and the baseline
    file known), else by fingerprint."""

    def __init__(self, baseline: Baseline, source: str | os.PathLike[str] | None, root: str | None) -> None:
        self.by_fp = baseline.by_fingerprint()
        self.root = os.path.abspath(root) if root and source is not None else None
        self.top = ""
        self.current: dict[tuple[str, str], Entry] = {}
        self.legacy: dict[tuple[str, str], Entry] = {}
        if self.root is None or source is None:
            return
        top, own = frame(source), os.path.dirname(os.path.abspath(source))
        self.top = top
        for e in baseline.entries:
            self.current.setdefault((e.secret_hash, _place(top, e.path)), e)
            if own != top:
                self.legacy.setdefault((e.secret_hash, _place(own, e.path)), e)

    def match(self, findings: Iterable[Finding]) -> list[tuple[Finding, Entry | None]]:
        """Each finding with its entry (or None)."""
        out: list[tuple[Finding, Entry | None]] = []
        claimed: set[str] = set()  # entries a file matched as written today
        for f in findings:
            where = self._where(f)
            e = None if where is None else self.current.get((f.secret_hash, where))
            if e is not None:
                claimed.add(e.fingerprint)
            out.append((f, e))
        # then the other readings, for entries no file claimed as written today: a
        # file outside the frame by the finding's own path (how such entries are
        # stored), a file inside it as older versions wrote the path
        for i, (f, e) in enumerate(out):
            if e is not None:
                continue
            where = self._where(f)
            other = self.by_fp.get(f.fingerprint) if where is None else self.legacy.get((f.secret_hash, where))
            if other is not None and other.fingerprint not in claimed:
                out[i] = (f, other)
        return out

    def _where(self, f: Finding) -> str | None:
        if self.root is None or f.origin.kind == "stdin":
            return None
        where = _place(self.root, f.path)
        return where if _inside(where, self.top) else None


def entry_for(f: Finding, *, root: str | None = None, source: str | os.PathLike[str] | None = None) -> Entry:
    """The entry of a finding: its path relative to the baseline's frame (the
    finding's own path when the scan root is the frame, as in a repository)."""
    path, fp = f.path, f.fingerprint
    if root and source is not None and f.origin.kind != "stdin":
        top, where = frame(source), _place(os.path.abspath(root), f.path)
        rel = os.path.relpath(where, top).replace(os.sep, "/") if _inside(where, top) else path
        if rel != path:
            from leakguard.engine import fingerprint

            path, fp = rel, fingerprint(f.secret_hash, rel)
    return Entry(fp, path, f.rule_id, redact(f.secret), f.secret_hash)


def _sorted(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    unique = {e.fingerprint: e for e in entries}
    return tuple(sorted(unique.values(), key=lambda e: (e.path, e.rule_id, e.fingerprint)))


def from_findings(findings: Iterable[Finding], *, root: str | None = None,
                  source: str | os.PathLike[str] | None = None) -> Baseline:
    return Baseline(_sorted(entry_for(f, root=root, source=source) for f in findings))


def _matched(old: Baseline, findings: Iterable[Finding], root: str | None,
             source: str | os.PathLike[str] | None) -> tuple[dict[str, Entry], list[Entry]]:
    """(old entries found again, by fingerprint, rewritten to today's path; entries of
    findings not in the baseline). A found entry keeps its label and reason."""
    found: dict[str, Entry] = {}
    new: list[Entry] = []
    for f, e in _Index(old, source, root).match(findings):
        fresh = entry_for(f, root=root, source=source)
        if e is None:
            new.append(fresh)
        elif e.fingerprint not in found:  # an older path form is stored as today's
            found[e.fingerprint] = replace(e, fingerprint=fresh.fingerprint, path=fresh.path)
    return found, new


def update(old: Baseline, findings: Iterable[Finding], *, root: str | None = None,
           source: str | os.PathLike[str] | None = None) -> Baseline:
    """Add findings not yet in the baseline; keep every existing entry and its label
    (an entry found again under an older path form gets today's path)."""
    found, new = _matched(old, findings, root, source)
    return Baseline(_sorted([*(found.get(e.fingerprint, e) for e in old.entries), *new]))


def prune(old: Baseline, findings: Iterable[Finding], *, root: str | None = None,
          source: str | os.PathLike[str] | None = None) -> tuple[Baseline, int]:
    """Drop entries no longer found. Returns the new baseline and how many went."""
    found, _ = _matched(old, findings, root, source)
    kept = _sorted(found[e.fingerprint] for e in old.entries if e.fingerprint in found)
    return Baseline(kept), len(old.entries) - len(kept)


def matches(baseline: Baseline, findings: Iterable[Finding], *, root: str | None = None,
            source: str | os.PathLike[str] | None = None) -> list[tuple[Finding, Entry | None]]:
    """Each finding with the baseline entry it is (or None), as :func:`apply` matches them."""
    return _Index(baseline, source, root).match(findings)


def locate(baseline: Baseline, findings: Iterable[Finding], *, root: str | None = None,
           source: str | os.PathLike[str] | None = None) -> dict[str, Finding]:
    """Entry fingerprint -> the finding that is that entry today."""
    out: dict[str, Finding] = {}
    for f, e in _Index(baseline, source, root).match(findings):
        if e is not None:
            out.setdefault(e.fingerprint, f)
    return out


def label(old: Baseline, fingerprint: str, status: str | None, reason: str | None) -> Baseline:
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    return Baseline(tuple(replace(e, status=status, reason=reason or None) if e.fingerprint == fingerprint else e
                          for e in old.entries))


def apply(result: ScanResult, baseline: Baseline, *, show: bool = False, root: str | None = None,
          source: str | os.PathLike[str] | None = None) -> ScanResult:
    """Remove (or, with ``show``, label) findings that are in the baseline: by
    fingerprint, or with ``root`` (the directory finding paths are relative to)
    and ``source`` (the baseline file) by the same secret at the same file.

    Shown baselined findings carry ``status`` = their label or 'baselined';
    the command's gate ignores findings with a status.
    """
    kept: list[Finding] = []
    for f, e in _Index(baseline, source, root).match(result.findings):
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
