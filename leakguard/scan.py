"""The pipeline: sources -> engine -> ScanResult, in parallel across cores.

This is the one module that wires stages together. Workers are forked after
the engine is built, so the compiled rule set and the Hyperscan database are
shared copy-on-write instead of rebuilt per process.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leakguard.engine import CAPPED_NOTE, Detection, Engine
from leakguard.filters import MANAGED_REFERENCE
from leakguard.model import Chunk, Finding, Origin, ScanResult, Skipped, Stats
from leakguard.remediation.managed import count_managed_references
from leakguard.ruleset import Rule
from leakguard.sources import blobcache
from leakguard.sources._text import to_scannable
from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE, Entry, iter_entries, read_entry

if TYPE_CHECKING:
    from leakguard.sources.git import BlobReader

Progress = Callable[[int, int], None]  # (items done, bytes done)

_ENGINE: Engine | None = None  # set in the parent before forking workers
_MAX_SIZE = DEFAULT_MAX_FILE_SIZE


@dataclass(frozen=True, slots=True)
class ScanOptions:
    jobs: int = 0  # 0: all cores
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    all_files: bool = False
    # abspath -> True to not read the file at all (config path allowlists, our own baseline)
    exclude: Callable[[str], bool] | None = None
    # entered around a first run's compile of the rule database (a progress display names the step)
    compiling: Callable[[], AbstractContextManager[object]] | None = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


MAX_JOBS_PER_CORE = 4


def max_jobs() -> int:
    """The most worker processes a scan starts, whatever -j says: more only costs memory."""
    return default_jobs() * MAX_JOBS_PER_CORE


def scan_chunk(engine: Engine, chunk: Chunk, stats: Stats) -> list[Finding]:
    det: Detection = engine.scan(chunk)
    stats.files += 1
    stats.bytes += len(chunk.data)
    stats.allowed_inline += det.allowed_inline
    # already in AWS: what the rules dropped as references, or what a cheap pass counts (a superset)
    stats.managed_references += max(det.dropped.get(MANAGED_REFERENCE, 0),
                                    0 if det.names_service is False else count_managed_references(chunk.data))
    for note in chunk.notes:
        stats.notes[note] = stats.notes.get(note, 0) + 1
    for rid in dict.fromkeys(det.timeouts):
        stats.timeouts.append(f"{chunk.origin.path}: rule {rid}")
    if det.capped:
        stats.notes[CAPPED_NOTE] = stats.notes.get(CAPPED_NOTE, 0) + 1
    return det.findings


def _work(batch: list[Entry]) -> tuple[list[Finding], list[Skipped], Stats]:
    assert _ENGINE is not None
    stats = Stats()
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    for entry in batch:
        item = read_entry(entry, _MAX_SIZE)
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        findings.extend(scan_chunk(_ENGINE, item, stats))
    return findings, skipped, stats


def _batches(entries: Iterable[Entry], size: int = 32) -> Iterator[list[Entry]]:
    batch: list[Entry] = []
    for e in entries:
        batch.append(e)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_paths(
    engine: Engine,
    targets: Sequence[str],
    options: ScanOptions = ScanOptions(),
    progress: Progress | None = None,
) -> ScanResult:
    global _ENGINE, _MAX_SIZE
    t0 = time.perf_counter()
    entries: list[Entry] = []
    skipped: list[Skipped] = []
    stats = Stats()
    for item in iter_entries(targets, all_files=options.all_files):
        if isinstance(item, Skipped):
            skipped.append(item)
        elif options.exclude is not None and options.exclude(os.path.abspath(item.abspath)):
            stats.skipped["allowlisted"] = stats.skipped.get("allowlisted", 0) + 1
        else:
            entries.append(item)
    findings: list[Finding] = []
    with (options.compiling() if options.compiling is not None and engine.compiles_for(len(entries))
          else contextlib.nullcontext()):
        engine.prepare(len(entries))
    jobs = min(options.jobs or default_jobs(), max_jobs())
    _ENGINE, _MAX_SIZE = engine, options.max_file_size
    try:
        if jobs <= 1 or len(entries) < 64 or sys.platform == "win32":
            results: Iterable[tuple[list[Finding], list[Skipped], Stats]] = map(_work, _batches(entries))
            _collect(results, findings, skipped, stats, progress)
        else:
            import multiprocessing  # only for -j > 1 and enough files: a one-file scan does not pay for it

            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs) as pool:
                _collect(pool.imap_unordered(_work, _batches(entries)), findings, skipped, stats, progress)
    finally:
        _ENGINE = None
    stats.seconds = time.perf_counter() - t0
    return finish(findings, skipped, stats, engine)


def scan_chunks(engine: Engine, chunks: Iterable[Chunk | Skipped], progress: Progress | None = None) -> ScanResult:
    """In-process scan of ready-made chunks (stdin, staged blobs, tests)."""
    t0 = time.perf_counter()
    stats = Stats()
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    for c in chunks:
        if isinstance(c, Skipped):
            skipped.append(c)
            continue
        findings.extend(scan_chunk(engine, c, stats))
        if progress:
            progress(stats.files, stats.bytes)
    stats.seconds = time.perf_counter() - t0
    return finish(findings, skipped, stats, engine)


def _collect(
    results: Iterable[tuple[list[Finding], list[Skipped], Stats]],
    findings: list[Finding],
    skipped: list[Skipped],
    stats: Stats,
    progress: Progress | None,
) -> None:
    for f, s, st in results:
        findings.extend(f)
        skipped.extend(s)
        stats.add(st)
        if progress:
            progress(stats.files + len(skipped), stats.bytes)


def finish(findings: list[Finding], skipped: list[Skipped], stats: Stats, engine: Engine) -> ScanResult:
    for s in skipped:
        stats.skipped[s.reason] = stats.skipped.get(s.reason, 0) + 1
    findings.sort(key=lambda f: (f.path, f.location.line, f.location.column, f.rule_id))
    skipped.sort(key=lambda s: s.origin.path)
    return ScanResult(findings, stats, skipped, engine.ruleset.digest)


# -- git blobs (leakguard git) ------------------------------------------------

_GIT_REPO = ""
_KEEP_ENTRIES = True  # build findings-cache entries (not for a run that keeps no cache)
_BLOB_READER: BlobReader | None = None  # one `git cat-file --batch` per worker process

# (findings per blob that has any, clean blob ids, missing blob ids, stats,
#  blob id -> what the findings cache keeps for it: (blobcache.entry, the notes of reading it), None if nothing)
CacheEntry = tuple["blobcache.Entry", list[str]]
BlobBatchResult = tuple[list[tuple[str, list[Finding]]], list[str], list[str], Stats, dict[str, "CacheEntry | None"]]


def _work_blobs(batch: list[tuple[str, str]]) -> BlobBatchResult:
    """Read a batch of (blob id, path) with this process's cat-file and scan each."""
    global _BLOB_READER
    assert _ENGINE is not None
    if _BLOB_READER is None:
        from leakguard.sources.git import BlobReader  # not at import: a file scan starts no git process

        _BLOB_READER = BlobReader(_GIT_REPO)
    paths = dict(batch)
    stats = Stats()
    found: list[tuple[str, list[Finding]]] = []
    clean: list[str] = []
    missing: list[str] = []
    entries: dict[str, CacheEntry | None] = {}
    for oid, raw in _BLOB_READER.read([oid for oid, _ in batch]):
        if raw is None:
            missing.append(oid)
            continue
        data, notes = to_scannable(paths[oid], raw)
        if data is None:
            stats.skipped["binary"] = stats.skipped.get("binary", 0) + 1
            clean.append(oid)
            continue
        timeouts, capped = len(stats.timeouts), stats.notes.get(CAPPED_NOTE, 0)
        fs = scan_chunk(_ENGINE, Chunk(data, (Origin("commit", paths[oid]),), oid, None, notes), stats)
        if fs:
            found.append((oid, fs))
            if _KEEP_ENTRIES:
                complete = len(stats.timeouts) == timeouts and stats.notes.get(CAPPED_NOTE, 0) == capped
                kept = blobcache.entry(fs, data, _rules_by_id(_ENGINE), paths[oid]) if complete else None
                entries[oid] = (kept, list(notes)) if kept is not None else None
        else:
            clean.append(oid)
    return found, clean, missing, stats, entries


_RULES_BY_ID: tuple[Engine, dict[str, Rule]] | None = None


def _rules_by_id(engine: Engine) -> dict[str, Rule]:
    global _RULES_BY_ID
    if _RULES_BY_ID is None or _RULES_BY_ID[0] is not engine:
        _RULES_BY_ID = engine, {r.id: r for r in engine.rules}
    return _RULES_BY_ID[1]


def _blob_batches(items: Sequence[tuple[str, str, int]], max_bytes: int = 4 << 20, max_items: int = 512,
                  most_bytes: int = 8 << 20) -> Iterator[list[tuple[str, str]]]:
    """Batches of about ``max_bytes`` or ``max_items``, cut between paths: the versions of a
    file (consecutive items, :func:`leakguard.commands.git.by_path`) go to one worker, which
    diffs each against the one before it. A file's versions are cut every ``most_bytes``
    (the first version after a cut is scanned whole), so that no batch holds up the others."""
    batch: list[tuple[str, str]] = []
    size = whole = 0
    last = None
    for oid, path, n in items:
        if batch and (size >= max_bytes or len(batch) >= max_items) and (path != last or whole >= most_bytes):
            yield batch
            batch, size, whole = [], 0, 0
        if path != last:
            whole = 0
        batch.append((oid, path))
        size += n
        whole += n
        last = path
    if batch:
        yield batch


def scan_blobs(
    engine: Engine,
    repo: str,
    items: Sequence[tuple[str, str, int]],
    jobs: int = 0,
    progress: Progress | None = None,
    keep_entries: bool = True,
) -> BlobBatchResult:
    """Scan git blobs (id, path, size) once each, across cores.

    Each worker streams its batches through its own ``git cat-file --batch``
    (disjoint blob lists), so reading and decompressing blobs is spread over
    the cores too. Nothing but findings and blob ids comes back (and, with ``keep_entries``,
    what the findings cache keeps of each blob with findings)."""
    global _ENGINE, _GIT_REPO, _BLOB_READER, _KEEP_ENTRIES
    found: list[tuple[str, list[Finding]]] = []
    clean: list[str] = []
    missing: list[str] = []
    entries: dict[str, CacheEntry | None] = {}
    stats = Stats()
    jobs = min(jobs or default_jobs(), max_jobs())
    _ENGINE, _GIT_REPO, _BLOB_READER, _KEEP_ENTRIES = engine, repo, None, keep_entries
    done = nbytes = 0
    size_of = {oid: n for oid, _, n in items} if progress else {}
    try:
        if jobs <= 1 or len(items) < 256 or sys.platform == "win32":
            results: Iterable[BlobBatchResult] = map(_work_blobs, _blob_batches(items))
            pool = None
        else:
            import multiprocessing

            # the largest batches first, so that the last ones to finish are small (items keep
            # their order within a batch: a file's versions one after another)
            size_of_oid = {oid: n for oid, _, n in items}
            batches = sorted(_blob_batches(items), key=lambda b: -sum(size_of_oid[o] for o, _ in b))
            pool = multiprocessing.get_context("fork").Pool(jobs)
            results = pool.imap_unordered(_work_blobs, batches)
        try:
            for f, c, m, st, e in results:
                entries.update(e)
                found.extend(f)
                clean.extend(c)
                missing.extend(m)
                stats.add(st)
                done += len(f) + len(c) + len(m)
                if progress:
                    nbytes += sum(size_of.get(o, 0) for o in (*(o for o, _ in f), *c, *m))
                    progress(done, nbytes)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    finally:
        if _BLOB_READER is not None:
            _BLOB_READER.close()
        _ENGINE, _GIT_REPO, _BLOB_READER = None, "", None
    return found, clean, missing, stats, entries
