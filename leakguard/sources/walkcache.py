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
  path numbering and all), and attribution does not change. If the old or the
  new commits do not keep their own order in the full one, a full walk.
* Anything else (a force-push, a deleted branch): a full walk, as without the
  cache.

Only the default scope (all refs) is cached. The file is JSON under the same
cache directory as the compiled prefilter; only a regular file is ever read,
and anything unreadable or malformed means a full walk.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leakguard import __version__
from leakguard.errors import SourceError
from leakguard.fsio import replace_atomic
from leakguard.sources import git, history

_FORMAT_VERSION = 2  # 2: the commit each path was first seen in (path_commit)
_MAX_BYTES = 512 << 20
ALL_REFS = ["--all", "--end-of-options"]


def cache_file(repo: str) -> Path:
    from leakguard.prefilter import cache_dir

    tag = hashlib.sha256(f"{os.path.realpath(repo)}\0{__version__}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return cache_dir() / "walks" / f"{tag}.json"


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


def _read(path: Path) -> dict[str, Any] | None:
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
            data = json.loads(f.read())
    except (OSError, ValueError):
        return None
    finally:
        if fd >= 0:
            os.close(fd)
    return data if isinstance(data, dict) and data.get("v") == _FORMAT_VERSION else None


def _to_history(d: dict[str, Any]) -> tuple[history.History, dict[str, int]]:
    h = history.History()
    h.commits = [history.Commit(*c) for c in d["commits"]]
    h.paths = list(d["paths"])
    h.first = {oid: (c, p) for oid, c, p in zip(d["first_oid"], d["first_c"], d["first_p"])}
    h.extra = {oid: [(c, p) for c, p in v] for oid, v in d["extra"].items()}
    h.deleted = {int(c): list(v) for c, v in d["deleted"].items()}
    h.submodules = set(d["submodules"])
    h.path_commit = list(d["path_commit"])
    if len(h.path_commit) != len(h.paths):
        raise ValueError("path_commit")
    sizes = dict(zip(d["size_oid"], d["size_n"]))
    return h, sizes


def _from_history(h: history.History, sizes: dict[str, int], tips: dict[str, str]) -> dict[str, Any]:
    return {
        "v": _FORMAT_VERSION, "tips": tips,
        "commits": [[c.sha, c.author, c.email, c.date] for c in h.commits], "paths": h.paths,
        "path_commit": h.path_commit,
        "first_oid": list(h.first), "first_c": [c for c, _ in h.first.values()], "first_p": [p for _, p in h.first.values()],
        "extra": h.extra, "deleted": h.deleted, "submodules": sorted(h.submodules),
        "size_oid": list(sizes), "size_n": list(sizes.values()),
    }


def _merge(h: history.History, new: history.History, order: Sequence[str]) -> tuple[history.History, list[str]] | None:
    """The walk of all of ``order`` (commit ids in full-walk order) from ``h`` (a walk of the
    older commits) and ``new`` (a walk of the rest): every commit index becomes its
    position in ``order``, paths are numbered in the order a full walk first sees them,
    and each blob's appearances are merged by position (within one commit they come
    from one walk, in that walk's order). Returns it with the blob ids ``h`` did not
    have, or None if the walks do not fit ``order``."""
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
    # Commits before the first new one keep their index; with unchanged path numbers, the
    # blobs seen only there are copied as they are (most of a long history).
    k = next((i for i, at in enumerate(old_pos) if at != i), len(old_pos))
    same_paths = old_map == list(range(len(old_map)))
    head: dict[str, tuple[int, int]] = {}  # first appearances before commit k, in the old walk's order
    tail: list[tuple[tuple[int, int, int], str]] = []  # the rest, sorted below
    extra: dict[str, list[tuple[int, int]]] = {}
    for i, (oid, (c, p)) in enumerate(h.first.items()):
        more = h.extra.get(oid)
        if same_paths and c < k:
            head[oid] = (c, p)
            if more:
                extra[oid] = more if more[-1][0] < k else [(old_pos[c2], old_map[p2]) for c2, p2 in more]
            continue
        at = (old_pos[c], old_map[p])
        tail.append(((at[0], 0, i), oid))
        head[oid] = at  # placed below
        if more:
            extra[oid] = [(old_pos[c2], old_map[p2]) for c2, p2 in more]
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
    moved = {oid for _, oid in tail}
    m.first = {oid: at for oid, at in head.items() if oid not in moved}
    for _, oid in tail:
        m.first[oid] = head[oid]
    m.extra = extra
    for walk, where, remap in ((h, old_pos, old_map), (new, new_pos, new_map)):
        for c, ps in walk.deleted.items():
            m.deleted[where[c]] = [remap[p] for p in ps]
        m.submodules |= {remap[p] for p in walk.submodules}
    m.deleted = dict(sorted(m.deleted.items()))
    return m, fresh


def blob_sizes(repo: str, h: history.History, order_from_pack: int) -> dict[str, int]:
    """Size of every blob of the walk that the object store has; in pack order from
    ``order_from_pack`` blobs up (delta bases stay hot in git's reader)."""
    oids = list(h.first)
    if len(oids) > order_from_pack:
        wanted = h.first
        return {oid: n for oid, n in git.object_sizes(repo) if oid in wanted}
    return git.blob_sizes(repo, oids)


def walk(repo: str, revs: Sequence[str], *, use_cache: bool,
         order_from_pack: int) -> tuple[history.History, dict[str, int], dict[str, str] | None]:
    """(history, blob sizes in scan order, the ref tips to store it under or None)."""
    if not use_cache or list(revs) != ALL_REFS:
        h = history.enumerate_history(repo, revs)
        return h, blob_sizes(repo, h, order_from_pack), None
    tips = ref_tips(repo)
    stored = _read(cache_file(repo))
    if stored is not None:
        try:
            h, sizes = _to_history(stored)
            if stored["tips"] == tips:
                return h, sizes, None
            old = sorted(set(stored["tips"].values()))
            gone = git.run(repo, "rev-list", "--max-count=1", *old, "--not", "--all", check=False)
            if gone.returncode == 0 and not gone.stdout.strip() and len(set(h.paths)) == len(h.paths):
                new = history.enumerate_history(repo, ["--all", "--not", *old])
                order = git.run(repo, "rev-list", "--all", "--date-order", "--reverse", check=False)
                merged = None
                if not new.warnings and order.returncode == 0 and len(set(new.paths)) == len(new.paths):
                    merged = _merge(h, new, order.stdout.decode("ascii", "replace").split())
                if merged is not None:
                    h, fresh = merged
                    sizes.update(git.blob_sizes(repo, fresh))
                    return h, sizes, tips
        except (KeyError, TypeError, ValueError, SourceError):
            pass  # malformed cache or a failed step: walk afresh
    h = history.enumerate_history(repo, revs)
    return h, blob_sizes(repo, h, order_from_pack), None if h.warnings else tips


def save(repo: str, h: history.History, sizes: dict[str, int], tips: dict[str, str]) -> None:
    """Store the walk under the ref tips it was taken at (skipped if the refs moved since, or
    the cache cannot be written)."""
    if h.warnings or ref_tips(repo) != tips:
        return
    target = cache_file(repo)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(target, json.dumps(_from_history(h, sizes, tips), separators=(",", ":")))
    except (OSError, ValueError):
        pass  # no cache: the next run walks afresh
