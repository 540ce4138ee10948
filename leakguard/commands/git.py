"""`leakguard git [REPO]`: every blob in the history, scanned once, attributed
to the commit that introduced it.

REPO is a work tree, a bare or ``--mirror`` clone, or a URL (https://,
ssh://, git://, file://, user@host:path), which is cloned into a temporary
bare mirror (every ref) and deleted afterwards.

Scope: all refs (branches, tags, remote-tracking refs, HEAD) by default;
``--branch NAME``, ``--since-commit REV`` or ``--range A..B`` narrow it;
``--pre-push`` scans only the commits a push is about to publish.

An empty repository (no commits) is not an error: exit 0, nothing scanned,
and a warning says why. A shallow clone is scanned as far as it goes, with a
warning that history is truncated.
"""
from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import time
from itertools import chain
from typing import Any

from leakguard.commands._common import (add_engine_args, add_output_args, add_verify_args, build_engine, emit, exit_status, parse_size,
                                        postprocess, progress_display, step)
from leakguard.confidence import at_least
from leakguard.engine import Engine, fingerprint
from leakguard.model import Finding, ScanResult, Skipped, Stats
from leakguard.ruleset import Rule
from leakguard.scan import finish, scan_blobs
from leakguard.sources import blobcache, git, history, walkcache
from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE

_ORDER_FROM_PACK = 2_000  # above this many blobs, size them from one listing of the object store
# Scan the versions of each file one after another, in history order: each is diffed against the one
# before it (engine incremental mode) and git's delta bases stay hot. False: reading order (tests).
_BY_PATH = True


def register(sub: Any) -> None:
    p = sub.add_parser(
        "git", help="scan git history: every blob ever committed, once",
        description="Scan every unique blob reachable from all refs (or the chosen revisions) once, and "
                    "attribute each finding to the commit that first introduced it. An empty repository "
                    "is not an error (exit 0, nothing scanned).")
    p.add_argument("repo", nargs="?", default=".", metavar="REPO",
                   help="repository: a work tree, a bare or --mirror clone, or a URL (cloned into a temporary "
                        "mirror, deleted afterwards) (default: .)")
    g = p.add_argument_group("what to scan").add_mutually_exclusive_group()
    g.add_argument("--branch", metavar="NAME", help="only the history of this branch (or any revision)")
    g.add_argument("--range", dest="rev_range", metavar="A..B", help="only commits in this revision range")
    g.add_argument("--pre-push", action="store_true",
                   help="only the commits being pushed (git pre-push stdin, or pre-commit's "
                        "PRE_COMMIT_FROM_REF/TO_REF); exit 1 blocks the push")
    p.add_argument("--since-commit", metavar="REV", help="only commits after REV (combines with --branch)")
    p.add_argument("--max-file-size", type=parse_size, default=None, metavar="SIZE",
                   help=f"skip blobs larger than this (default: config, else {DEFAULT_MAX_FILE_SIZE // 2**20}MB; 0 = no limit)")
    p.add_argument("--no-cache", action="store_true",
                   help="rescan blobs already found clean by an earlier run with the same rules")
    add_engine_args(p)
    add_output_args(p)
    add_verify_args(p)
    p.set_defaults(func=cmd_git)


def cmd_git(args: argparse.Namespace) -> int:
    if git.is_remote(args.repo):
        if args.pre_push:
            from leakguard.errors import UsageError

            raise UsageError("--pre-push scans a local repository, not a URL")
        if not args.no_progress and sys.stderr.isatty():
            print(f"leakguard: cloning {args.repo} into a temporary mirror…", file=sys.stderr)
        with git.mirror_clone(args.repo) as mirror:
            return _cmd_git(args, git.open_repo(mirror))
    return _cmd_git(args, git.open_repo(args.repo))


def _cmd_git(args: argparse.Namespace, repo: str) -> int:
    if args.since_commit and (args.rev_range or args.pre_push):
        from leakguard.errors import UsageError

        raise UsageError("--since-commit combines with --branch only")
    args.paths = [repo]  # config, allowlists and remediation are relative to the repository
    args.root = repo
    t0 = time.perf_counter()
    if not git.has_refs(repo):
        result = ScanResult([], Stats(), [], build_engine(args, backend="lazy").ruleset.digest, repo,
                            ["empty repository (no commits): nothing to scan"])
        return _report(result, args)
    if args.pre_push:
        lines = [] if os.environ.get("PRE_COMMIT") or sys.stdin is None or sys.stdin.isatty() else sys.stdin.read().splitlines()
        revs = history.pre_push_revs(repo, lines, dict(os.environ))
        if not revs:
            return _report(ScanResult([], Stats(), [], build_engine(args, backend="lazy").ruleset.digest, repo), args)
    else:
        revs = history.rev_args(repo, branch=args.branch, since_commit=args.since_commit, rev_range=args.rev_range)
    warnings: list[str] = []
    if git.is_shallow(repo):
        warnings.append("shallow clone: history is truncated, commits before the shallow boundary were not "
                        "scanned (git fetch --unshallow to scan everything)")
    # walk the history (mostly git's own work) while the rule set loads
    # (a first run compiles the rule database: seconds, shown as a step rather than silence)
    with step(args, "reading the history and compiling rules…"):
        walk = walkcache.start(repo, revs, use_cache=not args.no_cache, order_from_pack=_ORDER_FROM_PACK)
        try:
            engine = build_engine(args)
            # git lists HEAD's tree and the clean-blob cache is read while the walk ends (its git commands)
            head = git.head_tree_blobs(repo)
            clean_keys = None if args.no_cache else blobcache.load(
                blobcache.engine_tag(engine.ruleset.digest, engine.decode_depth, engine.demoted))
        except BaseException:
            walk.close()  # (its outcome does not matter any more)
            raise
        h, sizes, tips = walk.result()
    gc.freeze()  # the walk, the rules and the engine stay to the end: the scan's collections need not walk them
    try:
        covered = walkcache.coverage(repo)  # how far earlier runs covered the stored walk (all refs only)
        copies = walkcache.found(repo)  # and the findings-cache entries of the blobs they did not cover
        result = _scan(engine, repo, h, args, sizes, floor=_floor(args), covered=covered, copies=copies,
                       head=head, clean_keys=clean_keys)
        _rescans(args, engine, repo, h, sizes)
        # a new or extended walk of all refs, or new coverage of the stored one: the next audit starts from it
        walkcache.save(repo, h, sizes, tips, covered, copies)
    finally:
        gc.unfreeze()  # back in the collector's care: a process that goes on (tests, a caller) keeps no garbage
    result.warnings[:0] = warnings + h.warnings
    result.stats.seconds = time.perf_counter() - t0
    return _report(result, args)


def _floor(args: argparse.Namespace) -> str | None:
    """The confidence below which no finding of this run is looked at after the scan: its
    --min-confidence, unless the repository's config is in force (judging what that config
    hides compares with a run at the default floor, see _common.repo_config_effect)."""
    if getattr(args, "user_settings", None) is not None:
        return None
    return getattr(args, "min_confidence", None)


def _rescans(args: argparse.Namespace, engine: Engine, repo: str, h: history.History,
             sizes: dict[str, int] | None) -> None:
    """Scans of the same history for what the repository's config turned off (rules, a
    lower max_file_size), run only when it did (commands/_common.py, repo_config_effect)."""
    quiet = argparse.Namespace(**{**vars(args), "no_progress": True, "no_cache": True})

    def rules(other: Engine) -> tuple[list[Finding], str]:
        return _scan(other, repo, h, quiet, sizes).findings, repo

    def large(limit: int) -> tuple[list[Finding], str]:
        big = {o: n for o, n in (sizes or {}).items() if args.max_file_size and n > args.max_file_size}
        if not big:
            return [], repo
        return _scan(engine, repo, h, argparse.Namespace(**{**vars(quiet), "max_file_size": limit}), big).findings, repo

    args.rescan_rules, args.rescan_large = rules, large


def _report(result: ScanResult, args: argparse.Namespace) -> int:
    result.unit = "blob"
    result = postprocess(result, args)
    code = exit_status(result, args)
    emit(result, args, blocked="push" if args.pre_push and code else None)  # says how to mark a false positive
    return code


def _scan(engine: Engine, repo: str, h: history.History, args: argparse.Namespace,
          sizes: dict[str, int] | None = None, floor: str | None = None,
          distrust: frozenset[str] = frozenset(), covered: dict[str, walkcache.Record] | None = None,
          copies: dict[str, walkcache.Found] | None = None, head: dict[str, list[bytes]] | None = None,
          clean_keys: set[bytes] | None = None) -> ScanResult:
    """Scan the blobs of a walk; ``sizes`` (blob id -> size, in reading order) leaves out missing blobs.

    With a confidence ``floor`` (the run's --min-confidence, when nothing else looks at the
    findings below it), a finding below it is counted in ``below_min_confidence`` and not
    built, and blobs the findings cache knows are not read at all: their findings are
    attributed from stand-ins (:func:`blobcache.stubs`), and only the blob a reported
    finding was introduced in is read, to rebuild it. ``distrust``: findings-cache keys
    to ignore (entries that did not check out on such a run).

    ``covered``: the coverage records of the stored walk ``h`` (:func:`walkcache.coverage`):
    the blobs this engine is on record as having found clean are counted as cached without
    a key looked up each; the record is then updated to what this run covered. ``copies``:
    the findings-cache entries kept beside them (:func:`walkcache.found`): with a floor, the
    blobs they hold get their stand-ins from there, without a key or the findings cache
    (which is then read only if a new blob may be in it); updated to this run's. ``head`` and
    ``clean_keys``: :func:`git.head_tree_blobs` and :func:`blobcache.load`, if read already."""
    oids = list(h.first)
    if sizes is None:
        sizes = walkcache.blob_sizes(repo, h, _ORDER_FROM_PACK)
    tag = blobcache.engine_tag(engine.ruleset.digest, engine.decode_depth, engine.demoted)
    cache = set() if args.no_cache else clean_keys if clean_keys is not None else blobcache.load(tag)
    head = git.head_tree_blobs(repo) if head is None else head
    if floor is not None and any(oid not in h.first for oid in head):
        floor = None  # HEAD holds blobs outside the scanned revisions: _head_secrets needs every secret's text
    rules = {r.id: r for r in engine.ruleset.rules}
    stats = Stats()
    skipped: list[Skipped] = []
    items: list[tuple[str, str, int]] = []
    binary = cached = 0
    binary_path: dict[int, bool] = {}  # by path index: far fewer paths than blobs
    first, paths, max_size = h.first, h.paths, args.max_file_size
    # blobs found clean by runs of this engine (rules, decoding, size limit): no key to look up
    cover = None if covered is None or args.no_cache or distrust else blobcache.coverage_key(tag, max_size or 0)
    was = covered.get(cover) if covered is not None and cover is not None else None
    todo = _uncovered(oids, sizes, was)  # the others, in a set; None: the record covers none of them
    if todo is None:
        was = None
    # the findings-cache entries kept beside that record: stand-ins without keys (floor only)
    copied = copies.get(cover) if copies is not None and cover is not None and was is not None else None
    shared: dict[tuple[object, ...], Finding] = {}  # equal stand-ins are one object
    from_copy = _copy(rules, oids, copied, shared) if copied is not None and floor is not None else None
    if from_copy is None and floor is not None:
        copied = None  # (malformed: not kept either)
    # blobs with findings, rebuilt unscanned: the findings cache, read now unless the blobs it
    # could answer for have their entries copied above (then only if a blob to scan may be in it)
    lazy = from_copy is not None
    copy_has = from_copy.row if from_copy is not None else {}
    known: dict[str, blobcache.Entry] = {}
    known_notes: dict[str, list[str]] = {}
    if not (args.no_cache or lazy):
        known, known_notes = blobcache.load_findings(tag)
    for bad in distrust:
        known.pop(bad, None)
    pending = sizes.items() if todo is None else [(o, n) for o, n in sizes.items() if o in todo]

    def select() -> tuple[list[str], list[tuple[str, str, int]], dict[str, str], list[str]]:
        """Sort the blobs to look at: (clean in the cache, known to the findings cache or its copy
        (in reading order), their findings-cache keys, and with the findings cache unread, the
        keys of the blobs to scan (``items``) to look for in it). Counts binary blobs and skips
        the too large ones."""
        nonlocal binary
        hits: list[str] = []
        again: list[tuple[str, str, int]] = []
        again_key: dict[str, str] = {}
        probe: list[str] = []
        for oid, size in pending:
            c, p = first[oid]
            path = paths[p]
            is_binary = binary_path.get(p)
            if is_binary is None:
                is_binary = binary_path[p] = history.looks_binary(path)
            if max_size and size > max_size:
                skipped.append(Skipped(h.origin(c, p), "too-large", f"{size} bytes, blob {oid[:12]}"))
            elif is_binary:
                binary += 1
            elif oid in copy_has:
                again.append((oid, path, size))
            elif not (cache or known or lazy):
                items.append((oid, path, size))
            else:
                k = blobcache.key(oid, path)
                if k in cache:
                    hits.append(oid)
                elif known and (hk := k.hex()) in known:
                    again.append((oid, path, size))
                    again_key[oid] = hk
                else:
                    items.append((oid, path, size))
                    if lazy:
                        probe.append(k.hex())
        return hits, again, again_key, probe

    hits, again, again_key, probe = select()
    if probe and blobcache.findings_may_hold(tag, probe):
        # a blob to scan may be in the findings cache: read it after all, and sort again as a run without the copy
        known, known_notes = blobcache.load_findings(tag)
        for bad in distrust:
            known.pop(bad, None)
        lazy = False
        skipped.clear()
        items.clear()
        binary = 0
        hits, again, again_key, probe = select()
    cached = (len(oids) - len(todo) if todo is not None else 0) + len(hits)
    missing = [oid for oid in oids if oid not in sizes] if len(sizes) != len(oids) else []  # (sizes: of walk blobs)
    if floor is not None:
        rebuilt, more_items = _stand_ins(rules, again, again_key, known, known_notes, stats, from_copy, shared)
    else:
        rebuilt, more_items = _rebuild(rules, repo, again, known, stats)
    items += more_items
    if _BY_PATH:
        items = by_path(items, h)
    total = sum(n for _, _, n in items)
    engine.incremental = True  # versions of a file: rescan only what changed since the last one (see Engine)
    with progress_display(args, "scanning history", total, unit="blob") as progress:
        found, clean, more_missing, st, entries = scan_blobs(engine, repo, items, args.jobs, progress,
                                                             keep_entries=not args.no_cache)
    stats.add(st)
    found += rebuilt
    missing += more_missing
    if binary:
        stats.skipped["binary"] = stats.skipped.get("binary", 0) + binary
    stats.notes.update(history.summary_notes(h))
    stats.notes["commits walked"] = len(h.commits)
    if cached:
        stats.notes["blobs already scanned clean (cache)"] = cached
    for oid in missing:
        skipped.append(Skipped(h.origin(*h.first[oid]), "unreadable", f"missing or corrupt object {oid[:12]}"))
    blob_findings = dict(found)
    ok = at_least(floor) if floor is not None else None
    findings, below, sources = history.attribute_kept(
        h, blob_findings, _head_secrets(repo, h, blob_findings, head), fingerprint,
        keep=(lambda f: ok(f.confidence)) if ok is not None else None)
    findings = history.removals(h, blob_findings, findings)
    if rebuilt and floor is not None:
        stand_in = {oid for oid, _ in rebuilt}
        made = _materialize(rules, repo, h, findings, sources, stand_in, known, blob_findings, from_copy)
        if isinstance(made, frozenset):  # an entry did not check out: the file is damaged, trust none of it
            if copies is not None and cover is not None:
                copies.pop(cover, None)  # nor its copy
            if lazy:
                known = blobcache.load_findings(tag)[0]
            return _scan(engine, repo, h, args, sizes, floor, distrust | made | frozenset(known))
        findings = made
    stats.below_min_confidence += below
    result = finish(findings, skipped, stats, engine)
    result.root = "" if git.repository(repo).bare else repo  # a bare repository has no files to point at
    if missing:
        result.warnings.append(f"{len(missing)} blob(s) missing or corrupt in the object store were skipped "
                               f"(first: {missing[0][:12]} {h.paths[h.first[missing[0]][1]]})")
    if covered is not None and cover is not None:
        others = {k: v for k, v in covered.items() if k != cover}
        covered.clear()  # this engine's record first: the oldest are dropped (walkcache._MAX_RECORDS)
        covered[cover] = record = _record(oids, hits, clean, was)
        covered.update(others)
        if copies is not None:  # the entries of its exceptions: copied before, from the findings cache, or new
            more = {oid: (known[k], known_notes.get(k, [])) for oid, k in again_key.items() if k in known}
            more.update((oid, e) for oid, e in entries.items() if e is not None)
            copies[cover] = walkcache.copy_found(record[1], copied, lambda i: more.get(oids[i]))
    if not args.no_cache and clean:
        new = {blobcache.key(oid, h.paths[h.first[oid][1]]) for oid in clean}
        if not new <= cache:
            blobcache.save(tag, cache | new if len(cache) + len(new) <= blobcache.MAX_ENTRIES else new)
    if not args.no_cache:
        fresh = {blobcache.key(oid, h.paths[h.first[oid][1]]).hex(): e for oid, e in entries.items() if e is not None}
        if lazy:  # none of them is in the findings cache (findings_may_hold): added to it unread
            if fresh:
                blobcache.add_findings(tag, {k: e for k, (e, _) in fresh.items()}, {k: n for k, (_, n) in fresh.items()})
        elif any(known.get(k) != e for k, (e, _) in fresh.items()):
            blobcache.save_findings(tag, {**known, **{k: e for k, (e, _) in fresh.items()}},
                                    {**known_notes, **{k: n for k, (_, n) in fresh.items()}})
    return result


def _uncovered(oids: list[str], sizes: dict[str, int], record: walkcache.Record | None) -> set[str] | None:
    """The blobs a coverage record does not hold clean (its exceptions and the blobs after its
    first ``n``), or None if it holds none clean, or one of those has no size (not in the object
    store now: every blob is looked at one by one)."""
    if record is None:
        return None
    n, exceptions = record
    todo = set(map(oids.__getitem__, chain(exceptions, range(n, len(oids)))))
    if len(todo) == len(oids):
        return None
    if len(sizes) != len(oids) and not all(oid in sizes for oid in oids if oid not in todo):
        return None
    return todo


def _record(oids: list[str], hits: list[str], clean: list[str], was: walkcache.Record | None) -> walkcache.Record:
    """The coverage record after a run: every blob of the walk (``oids``) but those neither
    covered before (by the record ``was``), nor clean in the cache (``hits``), nor found clean
    now (``clean``)."""
    good = set(hits).union(clean)
    if was is None:
        return len(oids), [i for i, oid in enumerate(oids) if oid not in good]
    n, exceptions = was  # only its exceptions and the blobs after it are not covered
    return len(oids), [i for i in chain(exceptions, range(n, len(oids))) if oids[i] not in good]


def by_path(items: list[tuple[str, str, int]], h: history.History) -> list[tuple[str, str, int]]:
    """``items`` (blob id, path, size) grouped by path, each path's versions in the order the
    history introduced them, paths in the order of their first version. A worker then scans
    a file's versions one after another (:func:`leakguard.scan.scan_blobs` keeps a path's
    versions in one batch), and each version is compared with the one before it."""
    first = h.first  # blob id -> (commit index, path index) where the walk met it first: history order
    groups: dict[str, list[tuple[tuple[int, int], tuple[str, str, int]]]] = {}
    for item in items:
        groups.setdefault(item[1], []).append((first[item[0]], item))
    ordered = sorted(groups.values(), key=lambda g: min(r for r, _ in g))
    return [item for g in ordered for _, item in sorted(g, key=lambda x: x[0])]


class _Copy:
    """The findings-cache entries a coverage record keeps (:class:`walkcache.Found`) for the blobs
    of this walk: their stand-ins, made once per distinct list of findings."""

    def __init__(self, found: walkcache.Found, oids: list[str], lists: list[list[Finding]]) -> None:
        self.found, self.lists = found, lists
        self.row = {oids[i]: n for n, i in enumerate(found.at)}  # blob id -> its row

    def __contains__(self, oid: str) -> bool:
        return oid in self.row

    def stand_ins(self, oid: str) -> tuple[list[Finding], list[str]]:
        row = self.found.rows[self.row[oid]]
        return list(self.lists[row[0]]), (self.found.notes[row[1]] if row[1] >= 0 else [])

    def entry(self, oid: str) -> blobcache.Entry:
        return self.found.entry(self.row[oid])[0]


def _copy(rules: dict[str, Rule], oids: list[str], found: walkcache.Found,
          shared: dict[tuple[object, ...], Finding]) -> _Copy | None:
    """The stand-ins of a record's copied entries, or None if one of them is malformed (then
    none is used: those blobs take the findings cache's path)."""
    lists: list[list[Finding]] = []
    for shapes in found.lists:
        fs = blobcache.stubs(rules, [[rid, 0, 1, hpre, conf, key, entropy] for rid, hpre, conf, key, entropy
                                     in map(found.shapes.__getitem__, shapes)], shared)
        if fs is None:
            return None
        lists.append(fs)
    return _Copy(found, oids, lists)


def _stand_ins(rules: dict[str, Rule], again: list[tuple[str, str, int]], keys: dict[str, str],
               known: dict[str, blobcache.Entry], notes: dict[str, list[str]], stats: Stats,
               copy: _Copy | None = None, shared: dict[tuple[object, ...], Finding] | None = None
               ) -> tuple[list[tuple[str, list[Finding]]], list[tuple[str, str, int]]]:
    """Stand-ins for the findings of blobs the findings cache (or the ``copy`` of its entries)
    knows, without reading them (:func:`blobcache.stubs`); a malformed entry's blob goes back
    to be scanned."""
    found: list[tuple[str, list[Finding]]] = []
    rescan: list[tuple[str, str, int]] = []
    shared = {} if shared is None else shared
    for oid, path, size in again:
        if copy is not None and oid in copy:
            fs, read_notes = copy.stand_ins(oid)
            found.append((oid, fs))
        else:
            k = keys[oid]
            made = blobcache.stubs(rules, known.get(k), shared)
            if made is None:
                rescan.append((oid, path, size))
                continue
            found.append((oid, made))
            read_notes = notes.get(k, [])
        for note in read_notes:
            stats.notes[note] = stats.notes.get(note, 0) + 1
    if found:
        stats.notes["blobs with findings rebuilt from the cache"] = len(found)
    return found, rescan


def _materialize(rules: dict[str, Rule], repo: str, h: history.History, findings: list[Finding],
                 sources: list[tuple[str, Finding]], stand_in: set[str], known: dict[str, blobcache.Entry],
                 blob_findings: dict[str, list[Finding]], copy: _Copy | None = None) -> list[Finding] | frozenset[str]:
    """Attributed findings made from stand-ins, rebuilt from the blob each was introduced in
    (the only blobs read): field for field what attributing the rebuilt blob gives. Returns
    the keys of the cache entries that did not check out instead, if any did."""
    from leakguard.sources._text import to_scannable

    wanted = {oid for oid, _ in sources if oid in stand_in}
    if not wanted:
        return findings
    path_of = {oid: h.paths[h.first[oid][1]] for oid in wanted}
    full: dict[str, list[Finding]] = {}
    bad: set[str] = set()
    reader = git.BlobReader(repo)
    try:
        for oid, raw in reader.read(sorted(wanted)):
            path = path_of[oid]
            k = blobcache.key(oid, path).hex()
            data = to_scannable(path, raw)[0] if raw is not None else None
            entry = copy.entry(oid) if copy is not None and oid in copy else known.get(k)
            fs = None if data is None else blobcache.rebuild(rules, entry, data, path)
            if fs is None or len(fs) != len(blob_findings[oid]):
                bad.add(k)
            else:
                full[oid] = fs
    finally:
        reader.close()
    out: list[Finding] = []
    for f, (oid, made_from) in zip(findings, sources):
        if oid not in stand_in:
            out.append(f)
            continue
        if oid not in full:
            continue
        i = next(i for i, g in enumerate(blob_findings[oid]) if g is made_from)
        g = full[oid][i]
        if (g.rule_id, g.secret_hash[:history.SECRET_KEY_HEX], g.confidence, g.key) != \
                (made_from.rule_id, made_from.secret_hash, made_from.confidence, made_from.key):
            bad.add(blobcache.key(oid, path_of[oid]).hex())
            continue
        out.append(dataclasses.replace(
            g, origins=f.origins, fingerprint=fingerprint(g.secret_hash, f.path), occurrences=f.occurrences,
            present_at_head=f.present_at_head, removed_in=f.removed_in))
    return frozenset(bad) if bad else out


def _rebuild(rules: dict[str, Rule], repo: str, again: list[tuple[str, str, int]], known: dict[str, blobcache.Entry],
             stats: Stats) -> tuple[list[tuple[str, list[Finding]]], list[tuple[str, str, int]]]:
    """Findings of blobs the findings cache knows, rebuilt from their bytes without a scan;
    the blobs whose entry does not check out go back to be scanned."""
    if not again:
        return [], []
    from leakguard.sources._text import to_scannable

    by_oid = {oid: (path, size) for oid, path, size in again}
    found: list[tuple[str, list[Finding]]] = []
    rescan: list[tuple[str, str, int]] = []
    reader = git.BlobReader(repo)
    try:
        for oid, raw in reader.read(list(by_oid)):
            path, size = by_oid[oid]
            data, notes = to_scannable(path, raw) if raw is not None else (None, ())
            fs = None if data is None else blobcache.rebuild(rules, known.get(blobcache.key(oid, path).hex()), data, path)
            if fs is None:
                rescan.append((oid, path, size))
                continue
            found.append((oid, fs))
            for note in notes:
                stats.notes[note] = stats.notes.get(note, 0) + 1
    finally:
        reader.close()
    if found:
        stats.notes["blobs with findings rebuilt from the cache"] = len(found)
    return found, rescan


def _head_secrets(repo: str, h: history.History, blob_findings: dict[str, list[Finding]],
                  head: dict[str, list[bytes]]) -> set[tuple[str, str, str]]:
    """(rule, secret key, path) triples still present in HEAD's tree (``head``: blob id ->
    paths, :func:`git.head_tree_blobs`): per location, so a secret only on an unmerged
    branch, or only in another file, is not "at HEAD"."""
    if not blob_findings:
        return set()
    present = {(*history.secret_key(f), history.display_path(p))
               for oid, ps in head.items() if oid in blob_findings for f in blob_findings[oid] for p in ps}
    # HEAD blobs outside the scanned revisions (--range, --pre-push): look for the secret text itself
    paths = {h.paths[p] for oid in blob_findings for _, p in h.appearances(oid)}
    unseen = {oid: [history.display_path(p) for p in ps if history.display_path(p) in paths]
              for oid, ps in head.items() if oid not in h.first}
    unseen = {oid: ps for oid, ps in unseen.items() if ps}
    if unseen:
        wanted = {(f.secret, history.secret_key(f)) for fs in blob_findings.values() for f in fs}
        reader = git.BlobReader(repo)
        try:
            for oid, raw in reader.read(list(unseen)):
                if raw is not None:
                    present |= {(*sk, p) for s, sk in wanted if s.encode() in raw for p in unseen[oid]}
        finally:
            reader.close()
    return present
