"""The history walk of the last full audit, so a repeated audit does not walk again.

``leakguard git`` over all refs spends most of a repeated audit walking the
log (every commit's tree changes) and sizing every blob; neither changes
unless the refs do. This cache keeps, per repository, what the walk learnt
(commits, paths, where each blob first appeared and re-appeared, deletions,
blob sizes) with the ref tips it was taken at. It holds no file content and no
secret: commit ids, authors, dates and paths only, the same metadata ``git log``
shows to anyone who can read the repository.

* Refs unchanged: the stored walk is used as is.
* Refs only moved forward (every old tip still reachable) and every new commit
  is newer (committer date) than every old one: only the new commits are
  walked (``--all --not <old tips>``) and appended. In ``--date-order
  --reverse`` such commits come after every old one, so the merged walk is
  the one a full walk gives, and attribution does not change.
* Anything else (a force-push, a deleted branch, an older commit fetched
  late): a full walk, as without the cache.

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

_FORMAT_VERSION = 1
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


def _newest_commit_time(repo: str, revs: Sequence[str]) -> int:
    """The newest committer date of any commit in ``revs`` (0 if none)."""
    out = git.run(repo, "log", "--format=%ct", *revs, check=False).stdout.split()
    return max((int(x) for x in out), default=0)


def _oldest_commit_time(repo: str, revs: Sequence[str]) -> int | None:
    out = git.run(repo, "log", "--format=%ct", *revs, check=False).stdout.split()
    return min(int(x) for x in out) if out else None


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
    sizes = dict(zip(d["size_oid"], d["size_n"]))
    return h, sizes


def _from_history(h: history.History, sizes: dict[str, int], tips: dict[str, str], newest: int) -> dict[str, Any]:
    return {
        "v": _FORMAT_VERSION, "tips": tips, "newest": newest,
        "commits": [[c.sha, c.author, c.email, c.date] for c in h.commits], "paths": h.paths,
        "first_oid": list(h.first), "first_c": [c for c, _ in h.first.values()], "first_p": [p for _, p in h.first.values()],
        "extra": h.extra, "deleted": h.deleted, "submodules": sorted(h.submodules),
        "size_oid": list(sizes), "size_n": list(sizes.values()),
    }


def _append(h: history.History, new: history.History) -> list[str]:
    """Append a walk of newer commits to ``h``; return the blob ids first seen in it."""
    base = len(h.commits)
    h.commits.extend(new.commits)
    path_ids = {p: i for i, p in enumerate(h.paths)}
    remap = []
    for path in new.paths:
        i = path_ids.get(path)
        if i is None:
            i = path_ids[path] = len(h.paths)
            h.paths.append(path)
        remap.append(i)
    fresh = []
    for oid in new.first:  # each blob's appearances in walk order, after the old ones
        ats = [(base + c2, remap[p2]) for c2, p2 in new.appearances(oid)]
        if oid in h.first:
            h.extra.setdefault(oid, []).extend(ats)
        else:
            h.first[oid] = ats[0]
            if len(ats) > 1:
                h.extra[oid] = ats[1:]
            fresh.append(oid)
    for c, ps in new.deleted.items():
        h.deleted.setdefault(base + c, []).extend(remap[p] for p in ps)
    h.submodules |= {remap[p] for p in new.submodules}
    h.warnings.extend(new.warnings)
    return fresh


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
            oldest_new = _oldest_commit_time(repo, ["--all", "--not", *old])
            if gone.returncode == 0 and not gone.stdout.strip() and oldest_new is not None \
                    and oldest_new > int(stored["newest"]) and len(set(h.paths)) == len(h.paths):
                new = history.enumerate_history(repo, ["--all", "--not", *old])
                if not new.warnings:
                    fresh = _append(h, new)
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
    newest = _newest_commit_time(repo, ["--all"])
    target = cache_file(repo)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(target, json.dumps(_from_history(h, sizes, tips, newest), separators=(",", ":")))
    except (OSError, ValueError):
        pass  # no cache: the next run walks afresh
