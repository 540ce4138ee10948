"""The history walk of the last full audit, so a repeated audit does not walk again.

``leakguard git`` over all refs spends most of a repeated audit walking the
log (every commit's tree changes) and sizing every blob; neither changes
unless the refs do. This cache keeps, per repository, what the walk learnt
(commits, paths, where each blob first appeared and re-appeared, deletions,
blob sizes) with the ref tips it was taken at. It holds no file content and no
secret: commit ids, authors, dates and paths only, the same metadata ``git log``
shows to anyone who can read the repository.

* Refs unchanged: the stored walk is used as is.
* Refs only moved forward (every old tip still reachable): only the new
  commits are walked (``--all --not <old tips>``), and the two walks are
  merged in the order a full walk takes (``git rev-list --all --date-order
  --reverse``, commit ids only: no trees are compared). New commits may fall
  between old ones (a branch whose commits are older than another branch's
  newest): commits, paths and every blob's appearances are renumbered in that
  order, so the merged walk is the one a full walk gives (first appearances,
  path numbering and all), and attribution does not change. Only what lies
  after the first new commit is renumbered (on sqlalchemy, whose ``rel_2_0``
  interleaves with ``main``, the last 15 of 24,000 commits); git orders the
  commits while the new ones are walked. If the old or the new commits do not
  keep their own order in the full one, a full walk.
* Anything else (a force-push, a deleted branch): a full walk, as without the
  cache.

Only the default scope (all refs) is cached, in a compact binary file (see
``_decode``: strings joined by NUL, numbers as machine arrays; about 0.1 s to
load sqlalchemy's walk, where its JSON took twice that) under the same cache
directory as the compiled prefilter. An extended walk is stored as the walk
read plus the new commits' own walk and where they fall in the full walk (a
delta, merged again on loading), up to ``_MAX_DELTAS`` of them, then whole
again; the header also keeps how far runs of each engine covered the walk
and a copy of the findings-cache entries of the blobs they did not find clean
(see "what runs covered" below). :func:`start` begins a walk: git orders the
commits and walks the new ones while the caller loads its rules, and the
stored walk is decoded after that, in the caller's thread (two threads of
Python work only take turns). Only a regular file is ever read, never
through a symlink, at most 512 MB; every number is checked to point inside the
walk and the stored ref tips to be object ids, and anything unreadable or
malformed means a full walk.
"""
from __future__ import annotations

import base64
import bisect
import dataclasses
import hashlib
import json
import operator
import os
import re
import stat
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeGuard

from leakguard import __version__
from leakguard.errors import SourceError
from leakguard.fsio import paused_gc, replace_atomic
from leakguard.sources import git, history

_MAX_BYTES = 512 << 20
ALL_REFS = ["--all", "--end-of-options"]


def cache_file(repo: str) -> Path:
    from leakguard.prefilter import cache_dir

    tag = hashlib.sha256(f"{os.path.realpath(repo)}\0{__version__}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache_dir() / "walks" / f"{tag}.walk"


def ref_tips(repo: str) -> dict[str, str]:
    """refname -> object id of every ref, plus HEAD (what ``--all`` starts from)."""
    out = git.run(repo, "for-each-ref", "--format=%(objectname) %(refname)", check=False).stdout
    tips = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        oid, _, name = line.partition(" ")
        if name:
            tips[name] = oid
    head = git.run(repo, "rev-parse", "--verify", "-q", "HEAD", check=False)
    if head.returncode == 0:
        tips["HEAD"] = head.stdout.decode().strip()
    return tips


def _read(path: Path) -> bytes | None:
    """The bytes stored at ``path``, or None if it is missing, not a regular file (never read
    through a symlink, never blocking on a FIFO) or too large."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_BYTES:
            return None
        with os.fdopen(fd, "rb") as f:
            fd = -1
            return f.read(_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


# -- what runs covered -----------------------------------------------------------
#
# The stored walk also says, per engine (blobcache.coverage_key: the rules, decoding, the
# size limit), how far runs with that engine have covered it: a record (n, exceptions) means
# every blob among the walk's first n (in ``History.first`` order) was found clean, or read
# from the clean-blob cache as clean, under that engine at the path it was first seen at,
# except the blobs at the listed positions (findings, too large, unreadable, binary by name,
# ...). An incremental audit then looks up keys only for the exceptions and for the blobs
# added since, not for all 82,000 of sqlalchemy's. Extending a walk keeps the positions of
# the blobs first seen before the first new commit only (:func:`_merge`): a record is cut
# there. A record is checked as strictly as the walk (types, order, range) and anything
# malformed is dropped: those blobs are looked up one by one, as without it.
Record = tuple[int, list[int]]
_MAX_RECORDS = 4
# An extended walk is stored as the walk read plus the new commits' own walk (a delta: its
# sections, and where its commits fall in the full walk), merged again on loading (about
# 0.02 s each on sqlalchemy) instead of encoding the whole walk again (0.13 s); from this
# many on, the whole walk is written afresh.
_MAX_DELTAS = 8
Delta = tuple[history.History, list[int], dict[str, int]]  # (the new commits' walk, their positions, new blob sizes)
_KEY = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass
class _Stored:
    """The stored walk as this process read it for a repository: the ref tips, its coverage
    records (cut to what the walk returned keeps in place), and when the walk returned is the
    stored one, the file's header and bytes (a run that only changes coverage rewrites the
    header, not the walk), and the delta that extended it, if it was extended."""
    tips: dict[str, str]
    covered: dict[str, Record]
    head: dict[str, Any] | None = None
    data: bytes = b""
    at: int = 0
    delta: Delta | None = None
    found: dict[str, Found] = dataclasses.field(default_factory=dict)


_state: dict[Path, _Stored] = {}


def _records(head: dict[str, Any], n_blobs: int) -> dict[str, Record]:
    """The well-formed coverage records of a header (see above); the others are dropped."""
    raw = head.get("covered", {})
    out: dict[str, Record] = {}
    if not isinstance(raw, dict) or len(raw) > _MAX_RECORDS:
        return out
    for k, v in raw.items():
        if not (isinstance(k, str) and _KEY.fullmatch(k) and type(v) is list and len(v) == 2):
            continue
        n, exc = v
        if type(n) is not int or not 0 <= n <= n_blobs or not _positions(exc, n):
            continue
        out[k] = (n, exc)
    return out


def _cut(records: dict[str, Record], kept: int) -> dict[str, Record]:
    """Records of a walk whose first ``kept`` blobs keep their positions (the rest moved)."""
    out: dict[str, Record] = {}
    for k, (n, exc) in records.items():
        n = min(n, kept)
        out[k] = (n, [i for i in exc if i < n])
    return out


# Per record, the findings-cache entries of the blobs it lists as exceptions that have one
# (``Found``): a copy of those entries by position, so that an incremental audit makes the
# stand-ins of 9,700 blobs with findings (sqlalchemy) from a few hundred distinct lists, and
# rebuilds the reported ones, without computing each blob's cache key or parsing the findings
# cache (blobcache.load_findings). Like that cache it holds no secret: rule ids, byte spans,
# the first 16 hex digits of secret hashes, confidences, key names, entropies, and the notes of
# reading each blob. A position kept by an extension (see :func:`_cut`) is the same blob at the
# same first path, and the record's key names the same engine: the entry still holds. Entries of
# decoded secrets are not copied (those blobs take the findings cache's path).
@dataclasses.dataclass
class Found:
    """The entries of the blobs at positions ``at`` (increasing, each an exception of the record
    of the same engine): ``rows[i]`` is ``[list, notes, start, end, start, end, ...]``, where
    ``lists[list]`` gives the indices into ``shapes`` of its findings (``[rule id, hash prefix,
    confidence, key, entropy]``, a spans pair each) and ``notes`` indexes ``notes`` (-1: none)."""
    at: list[int]
    rows: list[list[int]]
    lists: list[list[int]]
    shapes: list[list[Any]]
    notes: list[list[str]]

    def entry(self, i: int) -> tuple[list[list[object]], list[str]]:
        """The findings-cache entry (blobcache.Entry) and notes of ``at[i]``."""
        row = self.rows[i]
        spans = row[2:]
        entry: list[list[object]] = [[rid, spans[2 * j], spans[2 * j + 1], hpre, conf, key, entropy]
                                     for j, (rid, hpre, conf, key, entropy) in enumerate(map(self.shapes.__getitem__,
                                                                                            self.lists[row[0]]))]
        return entry, (list(self.notes[row[1]]) if row[1] >= 0 else [])

    def to_json(self) -> dict[str, Any]:
        """The header's form: positions and rows (one run of numbers) as machine arrays in base64
        (JSON numbers took 0.03 s to parse and 0.04 s to write for sqlalchemy's 9,700 rows)."""
        return {"at": _ints_text(self.at), "rows": _ints_text(chain.from_iterable(self.rows)), "lists": self.lists,
                "shapes": self.shapes, "notes": self.notes}


def _ints_text(values: Iterable[int]) -> str:
    return base64.b64encode(array(_SIZE, values).tobytes()).decode("ascii")


def _text_ints(text: object) -> array[int]:
    """The numbers of :func:`_ints_text`; ValueError if ``text`` is not such a text."""
    if type(text) is not str:
        raise ValueError("not a text")
    out = array(_SIZE)
    out.frombytes(base64.b64decode(text, validate=True))  # (binascii.Error is a ValueError)
    return out


def _is_shape(v: object) -> bool:
    return (type(v) is list and len(v) == 5 and type(v[0]) is str and type(v[1]) is str and type(v[2]) is str
            and (v[3] is None or type(v[3]) is str) and type(v[4]) in (int, float))


def copy_found(positions: Iterable[int], copied: Found | None,
               entry_at: Callable[[int], tuple[object, list[str]] | None]) -> Found:
    """The entries to keep beside a new coverage record: for each position it lists as an
    exception (``positions``), the copied entry (``copied``, of the same walk positions) or this
    run's (``entry_at(position)``: (findings-cache entry, notes), from the findings cache or a
    scan, or None); entries of decoded secrets are left out."""
    shapes: list[list[Any]] = list(copied.shapes) if copied is not None else []
    lists: list[list[int]] = list(copied.lists) if copied is not None else []
    notes: list[list[str]] = list(copied.notes) if copied is not None else []
    shape_at = {tuple(x): i for i, x in enumerate(shapes)}
    list_at = {tuple(x): i for i, x in enumerate(lists)}
    notes_at = {tuple(x): i for i, x in enumerate(notes)}
    old = dict(zip(copied.at, copied.rows)) if copied is not None else {}
    at: list[int] = []
    rows: list[list[int]] = []
    for i in positions:
        row = old.get(i)
        if row is None:
            got = entry_at(i)
            row = None if got is None else _row(got[0], got[1], shapes, shape_at, lists, list_at, notes, notes_at)
            if row is None:
                continue
        at.append(i)
        rows.append(row)
    return Found(at, rows, lists, shapes, notes)


def _row(entry: object, notes: list[str], shapes: list[list[Any]], shape_at: dict[tuple[Any, ...], int],
         lists: list[list[int]], list_at: dict[tuple[int, ...], int], all_notes: list[list[str]],
         notes_at: dict[tuple[str, ...], int]) -> list[int] | None:
    """The row of :class:`Found` for a findings-cache entry (adding to its tables), or
    None if it is not an entry of plain (not decoded) findings."""
    if not isinstance(entry, list) or not entry:
        return None
    idx: list[int] = []
    spans: list[int] = []
    for item in entry:
        if not (isinstance(item, list) and len(item) == 7):
            return None
        rid, start, end, hpre, conf, key, entropy = item
        shape = [rid, hpre, conf, key, entropy]
        if type(start) is not int or type(end) is not int or not _is_shape(shape):
            return None
        t = tuple(shape)
        n = shape_at.get(t)
        if n is None:
            n = shape_at[t] = len(shapes)
            shapes.append(shape)
        idx.append(n)
        spans += (start, end)
    li = list_at.get(tuple(idx))
    if li is None:
        li = list_at[tuple(idx)] = len(lists)
        lists.append(idx)
    ni = -1
    if notes:
        if not all(isinstance(x, str) for x in notes):
            return None
        ni = notes_at.get(tuple(notes), -1)
        if ni < 0:
            ni = notes_at[tuple(notes)] = len(all_notes)
            all_notes.append(list(notes))
    return [li, ni, *spans]


def _found(head: dict[str, Any], records: dict[str, Record]) -> dict[str, Found]:
    """The well-formed ``Found`` of a header, each for a record it has (checked as strictly as
    the records, but for the spans, which :func:`leakguard.sources.blobcache.rebuild` checks
    where they are used); the others are dropped."""
    raw = head.get("found", {})
    out: dict[str, Found] = {}
    if not isinstance(raw, dict):
        return out
    for k, v in raw.items():
        record = records.get(k) if isinstance(k, str) else None
        if record is None or not isinstance(v, dict):
            continue
        lists, shapes, notes = v.get("lists"), v.get("shapes"), v.get("notes")
        try:
            at, flat = _text_ints(v.get("at")).tolist(), _text_ints(v.get("rows"))
        except ValueError:
            continue
        if not (_positions(at, record[0]) and type(lists) is list and type(shapes) is list and type(notes) is list
                and set(at).issubset(record[1])):
            continue
        n_shapes, n_notes = len(shapes), len(notes)
        if not (all(map(_is_shape, shapes))
                and all(type(x) is list and x and all(type(i) is int and 0 <= i < n_shapes for i in x) for x in lists)
                and all(type(x) is list and all(type(n) is str for n in x) for x in notes)):
            continue
        rows = _rows(flat, len(at), [2 + 2 * len(x) for x in lists], n_notes)
        if rows is not None:
            out[k] = Found(at, rows, lists, shapes, notes)
    return out


def _rows(flat: array[int], n: int, sizes: list[int], n_notes: int) -> list[list[int]] | None:
    """``n`` rows of :class:`Found` from one run of numbers, each as long as its list says
    (``sizes``), with a list and notes index in range; None if they do not fill it exactly."""
    rows: list[list[int]] = []
    at, end = 0, len(flat)
    n_lists = len(sizes)
    for _ in range(n):
        if at + 2 > end or not (0 <= flat[at] < n_lists and -1 <= flat[at + 1] < n_notes):
            return None
        to = at + sizes[flat[at]]
        if to > end:
            return None
        rows.append(flat[at:to].tolist())
        at = to
    return rows if at == end else None


def _cut_found(found: dict[str, Found], kept: int, moved: dict[int, int]) -> dict[str, Found]:
    """``found`` of a walk whose first ``kept`` blobs keep their positions, and of the others
    those in ``moved`` (old position -> new) their first appearance: each entry follows its
    blob, and those of the rest are dropped."""
    out: dict[str, Found] = {}
    for k, f in found.items():
        n = bisect.bisect_left(f.at, kept)
        later = sorted((moved[i], row) for i, row in zip(f.at[n:], f.rows[n:]) if i in moved)
        out[k] = Found([*f.at[:n], *(i for i, _ in later)], [*f.rows[:n], *(row for _, row in later)],
                       f.lists, f.shapes, f.notes)
    return out


def found(repo: str) -> dict[str, Found] | None:
    """The entries copied beside the coverage records of the walk :func:`walk` last returned for
    ``repo`` (see :class:`Found`; a copy of the mapping, to be updated and given to :func:`save`),
    or None, as :func:`coverage`."""
    st = _state.get(cache_file(repo))
    return None if st is None else dict(st.found)


def coverage(repo: str) -> dict[str, Record] | None:
    """The coverage records of the walk :func:`walk` last returned for ``repo`` in this process
    (a copy, to be updated and given to :func:`save`), or None if that walk is not one that
    is stored (a narrower scope, ``--no-cache``)."""
    st = _state.get(cache_file(repo))
    return None if st is None else dict(st.covered)


def load(data: bytes, header: tuple[dict[str, Any], dict[str, str], int] | None = None
         ) -> tuple[history.History, dict[str, int], dict[str, str]] | None:
    """The walk ``data`` holds (:func:`_encode`), or None if it is anything but exactly a walk
    this version wrote. ``header``: what :func:`_header` gave for ``data``, if it was read."""
    try:
        with paused_gc():  # 400,000 new objects, none of them garbage: collecting meanwhile is pure cost
            return _decode(data, header)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, MemoryError, RecursionError):
        return None  # malformed: walk afresh


# The stored walk, version 3: MAGIC, the header's length (8 bytes, little-endian), the header
# (JSON: the ref tips, the byte order and the length of each section), then the sections in
# the header's order. Strings are joined by NUL (git paths and the log's fields never hold
# one), numbers are machine arrays: loading is a few C-level splits and array copies, not
# the parse of 11.7 MB of JSON that version 2 was (sqlalchemy: 82,000 blobs, 24,000 commits).
_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_MAGIC = b"leakguard-walk\x00\x03"
_INT = "i"  # indices: commits, paths, blobs
_SIZE = "q"  # blob sizes
_SECTIONS = (
    ("commits", None), ("paths", None), ("path_commit", _INT), ("oids", None), ("first_c", _INT), ("first_p", _INT),
    ("extra_blob", _INT), ("extra_n", _INT), ("extra_c", _INT), ("extra_p", _INT),
    ("deleted_c", _INT), ("deleted_n", _INT), ("deleted_p", _INT), ("submodules", _INT),
    ("size_blob", _INT), ("size_n", _SIZE),
)


def _strings(raw: bytes, n: int) -> list[str]:
    if n == 0:
        if raw:
            raise ValueError("strings")
        return []
    out = raw.decode("utf-8").split("\0")
    if len(out) != n:
        raise ValueError("strings")
    return out


def _positions(values: object, n: int) -> TypeGuard[list[int]]:
    """Whether ``values`` (read from a stored walk's header) is a list of positions among ``n``:
    ints, strictly increasing, each in ``range(n)``."""
    return (type(values) is list and all(type(i) is int for i in values)
            and all(a < b for a, b in zip(values, islice(values, 1, None)))
            and (not values or (values[0] >= 0 and values[-1] < n)))


def _in_range(values: array[int], n: int) -> None:
    if values and (min(values) < 0 or max(values) >= n):
        raise ValueError("index out of range")


def _split(flat: list[tuple[int, int]] | list[int], counts: array[int]) -> Iterator[Any]:
    if sum(counts) != len(flat) or (counts and min(counts) < 1):
        raise ValueError("counts")
    at = 0
    for n in counts:
        yield flat[at:at + n]
        at += n


def _header(data: bytes) -> tuple[dict[str, Any], dict[str, str], int]:
    """(the header, the stored ref tips, where the sections start); ValueError if malformed."""
    if not data.startswith(_MAGIC):
        raise ValueError("not a stored walk")
    at = len(_MAGIC) + 8
    n = int.from_bytes(data[len(_MAGIC):at], "little")
    head = json.loads(data[at:at + n])
    if not isinstance(head, dict) or head.get("byteorder") != sys.byteorder:
        raise ValueError("header")
    tips = head["tips"]
    if not isinstance(tips, dict) or not all(isinstance(k, str) and isinstance(v, str) and _OID.fullmatch(v)
                                             for k, v in tips.items()):  # they become git arguments
        raise ValueError("tips")
    return head, tips, at + n


def _decode(data: bytes, header: tuple[dict[str, Any], dict[str, str], int] | None = None
            ) -> tuple[history.History, dict[str, int], dict[str, str]]:
    head, tips, at = header if header is not None else _header(data)
    h, sizes, at = _decode_walk(data, at, head["sections"], head["commits"])
    deltas = head.get("deltas", [])
    if not isinstance(deltas, list) or len(deltas) > _MAX_DELTAS:
        raise ValueError("deltas")
    for d in deltas:  # the commits later audits added, merged as those audits merged them
        if not isinstance(d, dict):
            raise ValueError("delta")
        new, new_sizes, at = _decode_walk(data, at, d["sections"], d["commits"])
        merged = _merge(h, new, _order(h.commits, new.commits, d["at"]))
        if merged is None:
            raise ValueError("delta does not merge")
        h = merged[0]
        sizes.update(new_sizes)
    if at != len(data):
        raise ValueError("trailing bytes")
    return h, sizes, tips


def _order(old: Sequence[history.Commit], new: Sequence[history.Commit], at: object) -> list[str]:
    """The commit ids of a full walk, given those of two walks and where the second's commits
    fall in it (``at``: their positions, increasing)."""
    total = len(old) + len(new)
    if not _positions(at, total) or len(at) != len(new):
        raise ValueError("delta positions")
    order: list[str | None] = [None] * total
    for i, c in zip(at, new):
        order[i] = c.sha
    rest = iter(old)
    return [sha if sha is not None else next(rest).sha for sha in order]


def _decode_walk(data: bytes, at: int, lengths: object,
                 n_commits: object) -> tuple[history.History, dict[str, int], int]:
    """The walk whose sections start at ``at``, its blob sizes, and where it ends."""
    if (not isinstance(lengths, list) or len(lengths) != len(_SECTIONS)
            or not isinstance(n_commits, int) or n_commits < 0):
        raise ValueError("header")
    raw: dict[str, bytes] = {}
    arrays: dict[str, array[int]] = {}
    for (name, code), n in zip(_SECTIONS, lengths):
        if not isinstance(n, int) or n < 0 or at + n > len(data):
            raise ValueError("section")
        if code is None:
            raw[name] = data[at:at + n]
        else:
            arrays[name] = arr = array(code)
            arr.frombytes(data[at:at + n])
        at += n
    a = arrays
    n_paths = len(a["path_commit"])
    fields = _strings(raw["commits"], 4 * n_commits)
    paths = _strings(raw["paths"], n_paths)
    oids = _strings(raw["oids"], len(a["first_c"]))
    n_blobs = len(oids)
    if len(a["first_p"]) != n_blobs or len(a["extra_blob"]) != len(a["extra_n"]) or len(a["extra_c"]) != len(a["extra_p"]) \
            or len(a["deleted_c"]) != len(a["deleted_n"]) or len(a["size_blob"]) != len(a["size_n"]):
        raise ValueError("lengths")
    for name, n in (("path_commit", n_commits), ("first_c", n_commits), ("first_p", n_paths), ("extra_blob", n_blobs),
                    ("extra_c", n_commits), ("extra_p", n_paths), ("deleted_c", n_commits), ("deleted_p", n_paths),
                    ("submodules", n_paths), ("size_blob", n_blobs)):
        _in_range(a[name], n)
    if a["size_n"] and min(a["size_n"]) < 0:
        raise ValueError("size")
    for name in ("first_c", "path_commit"):  # in commit order, as every walk lists them (_merge relies on it)
        if not all(map(operator.le, a[name], islice(a[name], 1, None))):
            raise ValueError("not in commit order")
    h = history.History()
    h.commits = list(map(history.Commit, fields[0::4], fields[1::4], fields[2::4], fields[3::4]))
    h.paths = paths
    h.path_commit = a["path_commit"].tolist()
    h.first = dict(zip(oids, zip(a["first_c"], a["first_p"])))
    extra_blob = a["extra_blob"].tolist()
    h.extra = dict(zip(map(oids.__getitem__, extra_blob),
                       _split(list(zip(a["extra_c"], a["extra_p"])), a["extra_n"])))
    h.deleted = dict(zip(a["deleted_c"].tolist(), _split(a["deleted_p"].tolist(), a["deleted_n"])))
    h.submodules = set(a["submodules"])
    sizes = dict(zip(map(oids.__getitem__, a["size_blob"]), a["size_n"]))
    if (len(h.first) != n_blobs or len(h.extra) != len(extra_blob) or len(h.deleted) != len(a["deleted_c"])
            or len(sizes) != len(a["size_n"]) or len(set(paths)) != n_paths):
        raise ValueError("duplicates")
    return h, sizes, at


def _encode(h: history.History, sizes: dict[str, int], tips: dict[str, str],
            covered: dict[str, Record] | None = None, found: dict[str, Found] | None = None) -> bytes:
    """The stored form of a walk (read back by :func:`_decode`); ValueError or OverflowError if
    it cannot be stored (a string holding NUL)."""
    parts = _sections(h, sizes)
    head: dict[str, Any] = {"tips": tips, "byteorder": sys.byteorder, "commits": len(h.commits),
                            "sections": [len(p) for p in parts]}
    _put_records(head, covered, found)
    return b"".join([*_head_bytes(head), *parts])


def _put_records(head: dict[str, Any], covered: dict[str, Record] | None, found: dict[str, Found] | None) -> None:
    """The coverage records, and the entries copied beside them (of records kept only), into a header."""
    head.pop("covered", None)
    head.pop("found", None)
    if covered:
        head["covered"] = {k: [n, exc] for k, (n, exc) in covered.items()}
        kept = {k: f.to_json() for k, f in (found or {}).items() if k in covered}
        if kept:
            head["found"] = kept


def _sections(h: history.History, sizes: dict[str, int]) -> list[bytes]:
    """The sections of a stored walk (see :data:`_SECTIONS`)."""
    oids = list(h.first)
    index = dict(zip(oids, range(len(oids))))
    fields = list(chain.from_iterable(map(attrgetter("sha", "author", "email", "date"), h.commits)))
    strings = {"commits": fields, "paths": h.paths, "oids": oids}
    first_c, first_p = zip(*h.first.values()) if oids else ((), ())
    extra = list(h.extra.items())
    deleted = list(h.deleted.items())
    values: dict[str, Iterable[int]] = {
        "path_commit": h.path_commit, "first_c": first_c, "first_p": first_p,
        "extra_blob": [index[oid] for oid, _ in extra], "extra_n": [len(v) for _, v in extra],
        "extra_c": [c for _, v in extra for c, _ in v], "extra_p": [p for _, v in extra for _, p in v],
        "deleted_c": [c for c, _ in deleted], "deleted_n": [len(v) for _, v in deleted],
        "deleted_p": [p for _, v in deleted for p in v], "submodules": sorted(h.submodules),
        "size_blob": map(index.__getitem__, sizes), "size_n": sizes.values(),
    }
    joined = {name: "\0".join(xs) for name, xs in strings.items()}
    if any(joined[name].count("\0") != max(len(xs) - 1, 0) for name, xs in strings.items()):
        raise ValueError("NUL in a stored string")
    return [(joined[name].encode("utf-8") if code is None else array(code, values[name]).tobytes())
            for name, code in _SECTIONS]


def _head_bytes(head: dict[str, Any]) -> tuple[bytes, bytes, bytes]:
    text = json.dumps(head, separators=(",", ":")).encode("utf-8")
    return _MAGIC, len(text).to_bytes(8, "little"), text


def _merge(h: history.History, new: history.History,
           order: Sequence[str]) -> tuple[history.History, list[str], int, list[int], dict[int, int]] | None:
    """The walk of all of ``order`` (commit ids in full-walk order) from ``h`` (a walk of the
    older commits) and ``new`` (a walk of the rest): every commit index becomes its
    position in ``order``, paths are numbered in the order a full walk first sees them,
    and each blob's appearances are merged by position (within one commit they come
    from one walk, in that walk's order). Returns it with the blob ids ``h`` did not
    have, how many of ``h``'s first blobs keep their position (and first appearance),
    where ``new``'s commits fall in ``order``, and where each of ``h``'s later blobs whose first
    appearance did not change is now (its old position -> its position), or None if the walks
    do not fit ``order``."""
    pos = {sha: i for i, sha in enumerate(order)}
    if len(pos) != len(order) or len(order) != len(h.commits) + len(new.commits):
        return None
    old_pos = [pos.get(c.sha, -1) for c in h.commits]
    new_pos = [pos.get(c.sha, -1) for c in new.commits]
    for seq in (old_pos, new_pos):  # each walk keeps its own order in the full one
        if any(b <= a for a, b in zip(seq, seq[1:])) or (seq and seq[0] < 0):
            return None
    if len(set(old_pos) | set(new_pos)) != len(order):
        return None
    m = history.History()
    commits: list[history.Commit | None] = [None] * len(order)
    for i, commit in zip(old_pos, h.commits):
        commits[i] = commit
    for i, commit in zip(new_pos, new.commits):
        commits[i] = commit
    m.commits = [x for x in commits if x is not None]
    # paths: numbered by (commit first seen in, order within that commit's walk)
    first_seen: dict[str, tuple[int, int, int]] = {}
    for i, (path, c) in enumerate(zip(h.paths, h.path_commit)):
        first_seen[path] = (old_pos[c], 0, i)
    for i, (path, c) in enumerate(zip(new.paths, new.path_commit)):
        rank = (new_pos[c], 1, i)
        seen = first_seen.get(path)
        if seen is None or rank < seen:
            first_seen[path] = rank
    m.paths = sorted(first_seen, key=first_seen.__getitem__)
    pid = {p: i for i, p in enumerate(m.paths)}
    m.path_commit = [first_seen[p][0] for p in m.paths]
    old_map = [pid[p] for p in h.paths]
    new_map = [pid[p] for p in new.paths]
    # Commits before the first new one keep their index, and so do the paths first seen there:
    # the blobs seen only there keep their place (most of a long history).
    k = next((i for i, at in enumerate(old_pos) if at != i), len(old_pos))
    head, tail, extra, renumbered = _renumber_tail(h, old_pos, old_map, k)
    kept = len(head) - len(tail)
    fresh: list[str] = []
    for i, oid in enumerate(new.first):
        ats = [(new_pos[c], new_map[p]) for c, p in new.appearances(oid)]
        was = head.get(oid)
        if was is None:
            fresh.append(oid)
            tail.append(((ats[0][0], 1, i), oid))
            head[oid] = ats[0]
            if len(ats) > 1:
                extra[oid] = ats[1:]
            continue
        both = [was, *extra.get(oid, ()), *ats]
        both.sort(key=lambda cp: cp[0])  # stable: one commit's appearances keep their walk's order
        head[oid] = both[0]
        extra[oid] = both[1:]
        if both[0] != was:  # first seen in a new commit now (never before commit k: those are all old)
            tail.append(((both[0][0], 1, i), oid))
    tail.sort()
    placed: dict[str, tuple[int, int]] = {}
    for _, oid in tail:
        if oid not in placed:
            placed[oid] = head.pop(oid)
    head.update(placed)  # after the blobs first seen before commit k, in full-walk order
    moved: dict[int, int] = {}
    for j, (oid, at) in enumerate(placed.items(), len(head) - len(placed)):
        was_at = renumbered.get(oid)
        if was_at is not None and was_at[1] == at:  # the same commit and path: only renumbered
            moved[was_at[0]] = j
    m.first, m.extra = head, extra
    for walk, where, remap in ((h, old_pos, old_map), (new, new_pos, new_map)):
        for c, ps in walk.deleted.items():
            m.deleted[where[c]] = [remap[p] for p in ps]
        m.submodules |= {remap[p] for p in walk.submodules}
    m.deleted = dict(sorted(m.deleted.items()))
    return m, fresh, kept, new_pos, moved


def _renumber_tail(h: history.History, old_pos: list[int], old_map: list[int], k: int) -> tuple[
        dict[str, tuple[int, int]], list[tuple[tuple[int, int, int], str]], dict[str, list[tuple[int, int]]],
        dict[str, tuple[int, tuple[int, int]]]]:
    """The old walk's blobs for :func:`_merge`: an appearance before commit ``k`` keeps its
    commit and its path number (a path seen there is numbered before anything new), so
    ``h``'s tables are kept (``h`` is consumed) and only what lies from ``k`` on is
    renumbered: the blobs first seen there (a suffix of the table, which is in commit order:
    see :func:`_decode`), to be placed by the caller (with their old position and first
    appearance, renumbered), and later appearances."""
    head, extra = h.first, h.extra
    moved: list[str] = []
    for oid in reversed(head):
        if head[oid][0] < k:
            break
        moved.append(oid)
    tail: list[tuple[tuple[int, int, int], str]] = []
    renumbered: dict[str, tuple[int, tuple[int, int]]] = {}
    for i, oid in enumerate(reversed(moved), len(head) - len(moved)):
        c, p = head[oid]
        head[oid] = at = (old_pos[c], old_map[p])
        renumbered[oid] = (i, at)
        tail.append(((old_pos[c], 0, i), oid))
    if k < len(old_pos):
        for oid, more in extra.items():
            if more[-1][0] >= k:  # (in commit order)
                extra[oid] = [(c, p) if c < k else (old_pos[c], old_map[p]) for c, p in more]
    return head, tail, extra, renumbered


def blob_sizes(repo: str, h: history.History, order_from_pack: int,
               listing: git.ObjectListing | None = None) -> dict[str, int]:
    """Size of every blob of the walk that the object store has; from ``order_from_pack``
    blobs up, from one listing of the object store (``listing``: taken meanwhile)."""
    oids = list(h.first)
    if len(oids) > order_from_pack:
        wanted = h.first
        return {oid: n for oid, n in (listing.sizes() if listing is not None else git.object_sizes(repo)) if oid in wanted}
    return git.blob_sizes(repo, oids)


def _walk_afresh(repo: str, revs: Sequence[str], order_from_pack: int) -> tuple[history.History, dict[str, int]]:
    """A full walk and its blob sizes. Over all refs, where the walk covers about every blob
    the object store holds, git lists the store's objects while the walk runs."""
    listing = git.ObjectListing(repo) if list(revs) == ALL_REFS else None
    try:
        h = history.enumerate_history(repo, revs)
        return h, blob_sizes(repo, h, order_from_pack, listing)
    finally:
        if listing is not None:
            listing.close()


Walked = tuple[history.History, dict[str, int], dict[str, str] | None]


class Background(threading.Thread):
    """A call run in a thread; :meth:`result` waits for it and returns or raises what it did
    (what ``concurrent.futures`` would do, without its start-up cost: it imports logging)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(daemon=True)
        self._call = (fn, args, kwargs)
        self._out: tuple[bool, Any] = (False, None)
        self.start()

    def run(self) -> None:
        fn, args, kwargs = self._call
        try:
            self._out = (True, fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to result(), in the caller's thread
            self._out = (False, e)

    def result(self) -> Any:
        self.join()
        ok, value = self._out
        if not ok:
            raise value
        return value


class Walking:
    """A walk under way (:func:`start`): git works meanwhile; :meth:`result` gives what
    :func:`walk` gives, :meth:`close` stops it (when the caller gives up)."""

    def __init__(self, finish: Callable[[], Walked], procs: Sequence[git.Process] = (),
                 threads: Sequence[Background] = ()) -> None:
        self._finish, self._procs, self._threads = finish, procs, threads

    def result(self) -> Walked:
        try:
            return self._finish()
        finally:
            self.close()

    def close(self) -> None:
        _stop(self._procs, self._threads)


def _stop(procs: Sequence[git.Process], threads: Sequence[Background]) -> None:
    for proc in procs:
        if proc.returncode is None:  # not read to the end: stopped
            proc.kill()
            proc.communicate()
    for t in threads:
        t.join()


def walk(repo: str, revs: Sequence[str], *, use_cache: bool, order_from_pack: int) -> Walked:
    """(history, blob sizes in scan order, the ref tips to store it under or None: the stored
    walk unchanged). Over all refs with the cache, :func:`coverage` then gives its coverage."""
    return start(repo, revs, use_cache=use_cache, order_from_pack=order_from_pack).result()


def start(repo: str, revs: Sequence[str], *, use_cache: bool, order_from_pack: int) -> Walking:
    """:func:`walk`, begun: a walk afresh runs in a thread (mostly git's work, and the parse of its
    output); with a stored walk, git lists what it needs meanwhile (the order of all commits, the
    new commits' walk) and the stored walk is read by :meth:`Walking.result`, in the caller's
    thread, after the caller's own work (two threads of Python work only take turns)."""
    path = cache_file(repo)
    _state.pop(path, None)
    if not use_cache or list(revs) != ALL_REFS:
        fresh = Background(_walk_afresh, repo, revs, order_from_pack)
        return Walking(lambda: (*fresh.result(), None), threads=[fresh])
    tips = ref_tips(repo)
    data = _read(path)
    try:
        head, old_tips, at = _header(data) if data is not None else ({}, None, 0)
    except (ValueError, TypeError, KeyError, RecursionError):
        head, old_tips, at = {}, None, 0  # malformed: walk afresh
    if data is None or old_tips is None:
        anew = Background(_walk_anew, repo, revs, order_from_pack, path, tips)
        return Walking(anew.result, threads=[anew])
    # refs moved: git orders every commit (its own CPU, most of extending a walk), checks that the
    # old tips no ref points at any more are still reachable (not rewritten), and walks the new commits
    procs: list[git.Process] = []
    threads: list[Background] = []
    if old_tips != tips:
        procs.append(git.start(repo, "rev-list", "--all", "--date-order", "--reverse"))
        left = sorted(set(old_tips.values()) - set(tips.values()))  # (a tip a ref still points at is reachable)
        if left:
            procs.append(git.start(repo, "rev-list", "--max-count=1", *left, "--not", "--all"))
        if old_tips:
            threads.append(Background(history.enumerate_history, repo, ["--all", "--not", *sorted(set(old_tips.values()))]))

    def finish() -> Walked:
        assert old_tips is not None and data is not None
        stored = load(data, (head, old_tips, at))
        if stored is not None:
            h, sizes, _ = stored
            covered = _records(head, len(h.first))
            kept_found = _found(head, covered)
            if old_tips == tips:
                _state[path] = _Stored(tips, covered, head, data, at, found=kept_found)
                return h, sizes, None
            try:
                extended = _extend(repo, h, sizes, procs, threads) if threads else None
            except SourceError:
                extended = None  # a failed step: walk afresh
            if extended is not None:
                m, sizes, kept, delta, moved = extended
                _state[path] = _Stored(tips, _cut(covered, kept), head, data, at, delta,
                                       _cut_found(kept_found, kept, moved))
                return m, sizes, tips
        _stop(procs, threads)
        return _walk_anew(repo, revs, order_from_pack, path, tips)

    return Walking(finish, procs, threads)


def _walk_anew(repo: str, revs: Sequence[str], order_from_pack: int, path: Path, tips: dict[str, str]) -> Walked:
    """A full walk of all refs, to be stored under ``tips`` (unless it has warnings)."""
    h, sizes = _walk_afresh(repo, revs, order_from_pack)
    if h.warnings:
        return h, sizes, None
    _state[path] = _Stored(tips, {})
    return h, sizes, tips


def _extend(repo: str, h: history.History, sizes: dict[str, int], procs: Sequence[git.Process],
            threads: Sequence[Background]) -> tuple[history.History, dict[str, int], int, Delta, dict[int, int]] | None:
    """The stored walk ``h`` extended by the commits added since (``h`` is consumed) with its
    blob sizes, how many of its first blobs keep their position, the delta to store and where
    its later blobs that kept their first appearance are now (see :func:`_merge`), or None if
    the refs did not only move forward. Started by :func:`start`: ``procs``, ``git rev-list
    --all --date-order --reverse`` and (if any old tip is no ref's now) ``git rev-list
    --max-count=1 <those old tips> --not --all``; ``threads``, the walk of ``--all --not <the
    old tips>``."""
    order, *gone = procs
    for check in gone:
        out = check.communicate()[0]
        if check.returncode != 0 or out.strip():
            return None  # an old tip is no longer reachable: rewritten or deleted
    new: history.History = threads[0].result()
    listed = order.communicate()[0]
    if new.warnings or order.returncode != 0 or len(set(new.paths)) != len(new.paths):
        return None
    merged = _merge(h, new, listed.decode("ascii", "replace").split())
    if merged is None:
        return None
    m, fresh, kept, at, moved = merged
    fresh_sizes = git.blob_sizes(repo, fresh)
    sizes.update(fresh_sizes)
    return m, sizes, kept, (new, at, fresh_sizes), moved


def save(repo: str, h: history.History, sizes: dict[str, int], tips: dict[str, str] | None,
         covered: dict[str, Record] | None = None, found: dict[str, Found] | None = None) -> None:
    """Store the walk under the ref tips it was taken at, with the coverage records ``covered``
    (from :func:`coverage`, updated; the most recently updated first) and the entries copied
    beside them (``found``, from :func:`found`, updated). ``tips`` None: the stored walk as
    :func:`walk` returned it, unchanged; only a change of coverage is written (the header, not
    the walk). Skipped if the refs moved since, or the cache cannot be written."""
    target = cache_file(repo)
    st = _state.get(target)
    if covered is not None:
        n_blobs = len(h.first)
        covered = dict(islice(((k, v) for k, v in covered.items() if v[0] <= n_blobs), _MAX_RECORDS))
    if found is None and st is not None:
        found = st.found
    if tips is None:
        if (st is None or st.head is None or st.delta is not None or covered is None
                or (covered == st.covered and (found is None or found == st.found))):
            return
        tips = st.tips
    if h.warnings or ref_tips(repo) != tips:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        deltas = st.head.get("deltas", []) if st is not None and st.head is not None and st.tips == tips else None
        if st is not None and deltas is not None and (st.delta is None or len(deltas) < _MAX_DELTAS):
            # the walk read, as it was (only the coverage changed) or with the new commits' walk after it
            head = dict(st.head) if st.head is not None else {}
            head["tips"] = tips
            _put_records(head, covered, found)
            more: list[bytes] = []
            if st.delta is not None:
                new, at, new_sizes = st.delta
                more = _sections(new, new_sizes)
                head["deltas"] = [*deltas, {"commits": len(new.commits), "sections": [len(p) for p in more], "at": at}]
            data = b"".join([*_head_bytes(head), memoryview(st.data)[st.at:], *more])
        else:
            with paused_gc():
                data = _encode(h, sizes, tips, covered, found)
        replace_atomic(target, data)
        _state.pop(target, None)  # (written: what this process read is no longer what is stored)
        target.with_suffix(".json").unlink(missing_ok=True)  # the JSON form earlier versions wrote
    except (OSError, ValueError, OverflowError):
        pass  # no cache: the next run walks afresh
