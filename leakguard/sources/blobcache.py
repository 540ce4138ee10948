"""Blobs already scanned clean, so a repeated history audit reads only new ones.

One file per (rule set digest, leakguard version) under the same cache
directory as the compiled prefilter (``$LEAKGUARD_CACHE_DIR``, else
``$XDG_CACHE_HOME/leakguard`` or ``~/.cache/leakguard``; only regular files
are ever opened there, so a FIFO or device in place of a cache file cannot
block a scan). It holds 20-byte
keys, sha1(blob id NUL path of first appearance): no secret, no
content, no readable path. The path is part of the key because some rules
apply only to some paths (``.env`` files), so a blob clean under one name may
not be clean under another. Writes are atomic (temp file + ``os.replace``),
except that a run which only adds keys to the file it read appends them (an
audit after a few new commits writes a few keys, not 72,000); an unreadable
or malformed cache is treated as empty, never as an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from leakguard import __version__
from leakguard.fsio import paused_gc, read_regular_stat, replace_atomic

if TYPE_CHECKING:
    from leakguard.model import Finding
    from leakguard.ruleset import Rule

KEY_SIZE = 20
MAX_ENTRIES = 4_000_000  # about 80 MB on disk; start afresh beyond that
KEEP_FILES = 4  # caches of older rule sets are removed, newest kept


def key(oid: str, path: str) -> bytes:
    return hashlib.sha1(f"{oid}\0{path}".encode("utf-8", "surrogateescape")).digest()


def cache_file(digest: str) -> Path:
    from leakguard.prefilter import cache_dir

    tag = hashlib.sha256(f"{digest}\0{__version__}".encode()).hexdigest()[:32]
    return cache_dir() / "clean-blobs" / f"{tag}.bin"


# What this process read from each cache file, and the file's identity then: a save that only
# adds to it appends the new part (a few entries after 10 new commits) instead of rewriting
# the file (sqlalchemy: 72,000 clean keys, 9,700 blobs with findings), when the file is still
# the one read. Anything else is written afresh, atomically.
_Ident = tuple[int, int, int, int]
_read_as: dict[Path, tuple[_Ident, object, int]] = {}  # path -> (identity, what it held, appended parts)


def _ident(st: os.stat_result) -> _Ident:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _read(path: Path, limit: int) -> tuple[bytes, _Ident]:
    """The bytes of ``path`` if it is a regular file (never blocks on a FIFO or a device), and
    its identity; OSError otherwise."""
    raw, st = read_regular_stat(path, limit)
    return raw, _ident(st)


def _append(path: Path, data: bytes, held: object) -> bool:
    """Append ``data`` to ``path`` if it is still the regular file this process read (see
    :data:`_read_as`; ``held``: what it holds then); never through a symlink, never blocking on
    a FIFO. A torn append (a crash, a full disk) leaves a file that does not parse: an empty
    cache next time, never a wrong one."""
    seen = _read_as.get(path)
    if seen is None:
        return False
    flags = (os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or _ident(st) != seen[0]:
            return False
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        _read_as[path] = (_ident(os.fstat(fd)), held, seen[2] + 1)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def load(digest: str) -> set[bytes]:
    path = cache_file(digest)
    try:
        raw, ident = _read(path, MAX_ENTRIES * KEY_SIZE + 1)
    except OSError:
        return set()
    if len(raw) % KEY_SIZE or len(raw) > MAX_ENTRIES * KEY_SIZE:
        return set()
    keys = {raw[i:i + KEY_SIZE] for i in range(0, len(raw), KEY_SIZE)}
    _read_as[path] = (ident, keys, 0)
    return keys


def save(digest: str, keys: set[bytes]) -> None:
    """Write the keys (when ``keys`` holds every key :func:`load` gave, only the others are
    appended); a cache that cannot be written is skipped silently."""
    if len(keys) > MAX_ENTRIES:
        return
    target = cache_file(digest)
    seen = _read_as.get(target)
    if seen is not None and isinstance(seen[1], set) and keys.issuperset(seen[1]):
        added = keys - seen[1]
        if not added or _append(target, b"".join(sorted(added)), keys):
            return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(sorted(keys))
        replace_atomic(target, data)  # never writes through a FIFO or symlink there
        _read_as[target] = (_ident(os.stat(target, follow_symlinks=False)), keys, 0)
    except OSError:
        return
    _prune(target.parent)


def _prune(directory: Path, pattern: str = "*.bin") -> None:
    """Drop the caches of rule sets no longer in use (all but the newest few)."""
    try:
        files = sorted(directory.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP_FILES:]:
            old.unlink()
    except OSError:
        pass


# -- blobs with findings ------------------------------------------------------
#
# A repeated audit would otherwise scan again, every time, each blob that holds a
# finding (855 on sqlalchemy). For those the cache keeps where each finding is and
# what the engine concluded, never the secret, its line or its companions: the rule
# id, the byte span of the secret, the confidence, the assigned name, the entropy
# and the first 16 hex digits of ``secret_hash`` (to check the span still holds it).
# A warm run reads the blob again and rebuilds each finding from its bytes
# (:func:`rebuild`), exactly as the engine built it; anything that does not check
# out is scanned afresh. Findings on decoded text are never cached (their secret
# is not a span of the blob), nor blobs whose scan hit a timeout or the cap.

FINDINGS_MAX_BYTES = 64 << 20  # a larger file is ignored (and rewritten smaller)
_HASH_HEX = 16

# per finding: [rule id, start, end, hash prefix, confidence, key, entropy]
# (+ [encoding, key path, start and length of the secret in the decoded text] for a decoded secret)
Entry = list[list[object]]


def engine_tag(ruleset_digest: str, decode_depth: int, demoted: frozenset[str]) -> str:
    """What the engine's verdict on a blob depends on besides its bytes and path: the rules,
    the decoding depth (``--no-decode``) and the config rules ranked below built-ins."""
    return hashlib.sha256(f"{ruleset_digest}\0{decode_depth}\0{sorted(demoted)}".encode()).hexdigest()


def coverage_key(tag: str, max_file_size: int) -> str:
    """The engine a record of coverage (:mod:`leakguard.sources.walkcache`) is kept for: what
    decides whether a blob is scanned and what the scan finds (``engine_tag``) and the size
    above which blobs are skipped unread (0: none)."""
    return hashlib.sha256(f"coverage\0{tag}\0{max_file_size}".encode()).hexdigest()


_FINDINGS_FORMAT = 2  # 2: the notes of reading each blob (invalid UTF-8 replaced, ...) are kept too
# (appended parts, one JSON document a line, came later: a reader that knows only one document
# finds such a file malformed, an empty cache, and writes it whole again)


def findings_file(tag: str) -> Path:
    from leakguard.prefilter import cache_dir

    name = hashlib.sha256(f"{tag}\0{__version__}\0{_FINDINGS_FORMAT}".encode()).hexdigest()[:32]
    return cache_dir() / "blob-findings" / f"{name}.json"


def entry(findings: Sequence[Finding], data: bytes, rules: Mapping[str, Rule], path: str) -> Entry | None:
    """What the cache keeps for a blob's findings, or None if they cannot be rebuilt from
    the blob's bytes alone. A finding on encoded text keeps its encoding, its key path and
    where its secret lies in the decoded text (the secret itself is decoded again). The
    entry is rebuilt at once and kept only if that gives back exactly ``findings``."""
    out: Entry = []
    for f in findings:
        s, e = f.location.start_offset, f.location.end_offset
        if not 0 <= s < e <= len(data):
            return None
        item: list[object] = [f.rule_id, s, e, f.secret_hash[:_HASH_HEX], f.confidence, f.key, f.entropy]
        if f.decoded is None:
            if f.key_path is not None or data[s:e].decode("utf-8", "replace") != f.secret:
                return None
        else:
            text = _decode(f.decoded, data[s:e])
            at = -1 if text is None or f.companions else text.find(f.secret)
            if at < 0:
                return None  # a blob inside a blob, or companions found in the decoded text
            item += [f.decoded, f.key_path, at, len(f.secret)]
        out.append(item)
    return out if rebuild(rules, out, data, path) == list(findings) else None


def _decode(kind: object, raw: bytes) -> str | None:
    from leakguard import decode

    if kind == "base64":
        return decode._b64(raw, strict=True)
    if kind == "hex":
        return decode._hex(raw)
    if kind == "percent":
        return decode._pct(raw)
    return None


_MAX_PARTS = 16  # appended parts before the file is written afresh in one


def load_findings(tag: str) -> tuple[dict[str, Entry], dict[str, list[str]]]:
    """(blob key (hex) -> entry, blob key -> the notes of reading it, when there were any);
    an unreadable or malformed file is an empty cache. The file is one JSON document per
    line, ``{"blobs": ..., "notes": ...}``: the first written whole, each later one what a
    run added (a later line's entry for a blob replaces an earlier one's)."""
    path = findings_file(tag)
    entries: dict[str, Entry] = {}
    notes: dict[str, list[str]] = {}
    try:
        raw, ident = _read(path, FINDINGS_MAX_BYTES + 1)
        if len(raw) > FINDINGS_MAX_BYTES:
            return {}, {}
        parts = raw.split(b"\n")
        for part in parts:
            with paused_gc():  # 150,000 lists and strings on sqlalchemy, all kept
                doc = json.loads(part)
            blobs, more = (doc.get("blobs"), doc.get("notes")) if isinstance(doc, dict) else (None, None)
            if not isinstance(blobs, dict) or not isinstance(more, dict):
                return {}, {}
            entries.update((k, v) for k, v in blobs.items() if isinstance(v, list))
            notes.update((k, v) for k, v in more.items() if isinstance(v, list) and all(isinstance(n, str) for n in v))
    except (OSError, ValueError, RecursionError):
        return {}, {}
    _read_as[path] = (ident, (dict(entries), dict(notes)), len(parts) - 1)
    return entries, notes


_MAX_PROBES = 64  # keys looked for in the file's text; more: it is read (load_findings)


def findings_may_hold(tag: str, keys: Sequence[str]) -> bool:
    """Whether the findings cache may hold an entry for one of ``keys`` (blob keys, hex), told
    without parsing it: False only if none of them appears in its text as an object key (as
    :func:`save_findings` writes them), or it is missing, unreadable or too large (an empty cache
    to :func:`load_findings`). Remembers the file, so that :func:`add_findings` can append to it."""
    path = findings_file(tag)
    try:
        raw, ident = _read(path, FINDINGS_MAX_BYTES + 1)
    except OSError:
        return False
    if len(raw) > FINDINGS_MAX_BYTES:
        return False
    _read_as[path] = (ident, None, raw.count(b"\n"))  # (not what it holds: save_findings writes it whole)
    return len(keys) > _MAX_PROBES or any(f'"{k}":'.encode() in raw for k in keys)


def add_findings(tag: str, entries: dict[str, Entry], notes: dict[str, list[str]]) -> None:
    """Add entries none of which the findings cache holds (:func:`findings_may_hold` said so) without
    reading it: appended as one more part to the file it looked at, if that is still the file
    there; else read, merged and written as :func:`save_findings` does."""
    target = findings_file(tag)
    seen = _read_as.get(target)
    if seen is not None and seen[1] is None and seen[2] < _MAX_PARTS:
        try:
            part = json.dumps({"blobs": entries, "notes": {k: v for k, v in notes.items() if v and k in entries}},
                              separators=(",", ":"), sort_keys=True).encode()
        except (TypeError, ValueError):
            return
        if seen[0][2] + 1 + len(part) <= FINDINGS_MAX_BYTES and _append(target, b"\n" + part, None):
            return
    known, known_notes = load_findings(tag)
    save_findings(tag, {**known, **entries}, {**known_notes, **notes})


def save_findings(tag: str, entries: dict[str, Entry], notes: dict[str, list[str]]) -> None:
    """Write atomically (when ``entries`` and ``notes`` hold everything :func:`load_findings`
    gave, unchanged, only what is new is appended, up to :data:`_MAX_PARTS` times); a cache
    that cannot be written is skipped silently."""
    target = findings_file(tag)
    notes = {k: v for k, v in notes.items() if v and k in entries}
    seen = _read_as.get(target)
    if seen is not None and isinstance(seen[1], tuple) and seen[2] < _MAX_PARTS:
        had, had_notes = seen[1]
        if (all(entries.get(k) == v for k, v in had.items())
                and all(notes.get(k) == v for k, v in had_notes.items() if k in entries)):
            added = {k: v for k, v in entries.items() if k not in had}
            added_notes = {k: v for k, v in notes.items() if k in added}
            if not added:
                return
            try:
                part = json.dumps({"blobs": added, "notes": added_notes}, separators=(",", ":"), sort_keys=True).encode()
            except (TypeError, ValueError):
                return
            if seen[0][2] + 1 + len(part) <= FINDINGS_MAX_BYTES and \
                    _append(target, b"\n" + part, ({**had, **added}, {**had_notes, **added_notes})):
                return
    try:
        payload = json.dumps({"blobs": entries, "notes": notes}, separators=(",", ":"), sort_keys=True).encode()
        if len(payload) > FINDINGS_MAX_BYTES:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(target, payload)
        _read_as[target] = (_ident(os.stat(target, follow_symlinks=False)), (dict(entries), dict(notes)), 0)
    except (OSError, ValueError):
        return
    _prune(target.parent, "*.json")


def rebuild(rules: Mapping[str, Rule], cached: object, data: bytes, path: str) -> list[Finding] | None:
    """The findings the engine reported for ``data`` at ``path``, rebuilt from a cache entry,
    field for field as :meth:`Engine._finding` builds them (the secret, its line and its
    companions come from ``data``); None when the entry does not check out."""
    from leakguard.engine import _companions, _Locator, _mask_neighbours, placed
    from leakguard.model import Finding, Origin

    if not isinstance(cached, list) or not cached:
        return None
    origins = (Origin("commit", path),)
    locate = _Locator(data)
    out: list[Finding] = []
    last = -1
    for item in cached:
        if not (isinstance(item, list) and len(item) in (7, 11)):
            return None
        rid, s, e, hpre, confidence, key, entropy = item[:7]
        rule = rules.get(rid) if isinstance(rid, str) else None
        if (rule is None or not isinstance(s, int) or not isinstance(e, int) or not last <= s < e <= len(data)
                or not isinstance(hpre, str) or confidence not in ("low", "medium", "high")
                or not (key is None or isinstance(key, str)) or not isinstance(entropy, (int, float))):
            return None
        last = s
        decoded = key_path = None
        if len(item) == 11:  # a secret inside encoded text: decode the span again
            decoded, key_path, at, n = item[7:]
            text = _decode(decoded, data[s:e])
            if (text is None or not isinstance(at, int) or not isinstance(n, int) or not 0 <= at < at + n <= len(text)
                    or not (key_path is None or isinstance(key_path, str))):
                return None
            secret = text[at:at + n]
        else:
            try:
                secret = data[s:e].decode("utf-8")
            except UnicodeDecodeError:
                return None
        at = placed(data, s, e, rule.id, secret, path, locate)  # as the engine places its findings
        if at["secret_hash"][:_HASH_HEX] != hpre or len(hpre) != _HASH_HEX:
            return None
        out.append(Finding(
            rule_id=rule.id, description=rule.description, severity=rule.severity, origins=origins, secret=secret,
            **at, entropy=float(entropy), key=key, tags=rule.tags, confidence=str(confidence),
            companions=(_companions(rule, data, s) if decoded is None and rule.verify is not None and rule.verify.pairs
                        else ()),
            decoded=str(decoded) if decoded is not None else None, key_path=key_path,
        ))
    # the line texts, as the engine leaves them: each finding's context with its neighbours masked
    return _mask_neighbours(out, data)


def stubs(rules: Mapping[str, Rule], cached: object, known: dict[tuple[object, ...], Finding]) -> list[Finding] | None:
    """Stand-ins for the findings of a cache entry, made without the blob's bytes: rule,
    confidence, entropy, key and the secret-hash prefix, enough to attribute them
    (:func:`leakguard.sources.history.secret_key`) and judge them against a confidence
    floor. No secret, path, location or line: a stand-in that is reported is rebuilt from
    the blob first (:func:`rebuild`). Equal stand-ins are one object (``known``: shared
    across the entries of a run; a secret lives in many blob versions). None when the
    entry is malformed."""
    from leakguard.model import Finding, Location, Origin

    if not isinstance(cached, list) or not cached:
        return None
    out: list[Finding] = []
    for item in cached:
        if not (isinstance(item, list) and len(item) in (7, 11)):
            return None
        rid, _, _, hpre, confidence, key, entropy = item[:7]
        ident = (rid, hpre, confidence, key, entropy)
        try:
            stub = known.get(ident)
        except TypeError:  # an unhashable value: malformed
            return None
        if stub is None:
            rule = rules.get(rid) if isinstance(rid, str) else None
            if (rule is None or not isinstance(hpre, str) or len(hpre) != _HASH_HEX
                    or confidence not in ("low", "medium", "high") or not (key is None or isinstance(key, str))
                    or not isinstance(entropy, (int, float)) or isinstance(entropy, bool)):
                return None
            stub = known[ident] = Finding(
                rule_id=rule.id, description=rule.description, severity=rule.severity, origins=(Origin("commit", ""),),
                location=Location(0, 0, 0, 0), secret="", secret_hash=hpre, fingerprint="", entropy=float(entropy),
                key=key, tags=rule.tags, confidence=str(confidence))
        out.append(stub)
    return out
