"""Files on disk: a directory walk (honouring .gitignore inside a git work
tree), an explicit list of files (as pre-commit passes them), or stdin.

Listing (cheap, in the main process) and reading (in the workers) are split:
:func:`iter_entries` yields :class:`Entry` values and :func:`read_entry`
turns one into a Chunk or a Skipped.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from leakguard.errors import SourceError
from leakguard.model import Chunk, Origin, Skipped
from leakguard.sources._text import blob_id, to_utf8

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    abspath: str
    relpath: str  # '/'-separated, relative to the scan root


def iter_entries(targets: Sequence[str], *, all_files: bool = False) -> Iterator[Entry | Skipped]:
    """Expand targets (files and directories) into entries, in a stable order."""
    for t in targets:
        if not os.path.lexists(t):
            raise SourceError(f"{t}: no such file or directory")
    multi = len(targets) > 1
    for t in targets:
        if os.path.isdir(t) and not os.path.islink(t):
            prefix = _rel(t) + "/" if multi else ""
            yield from _iter_dir(t, prefix, all_files)
        else:
            yield Entry(os.path.abspath(t), _rel(t))


def _rel(path: str) -> str:
    p = os.path.normpath(path)
    if os.path.isabs(p):
        try:
            r = os.path.relpath(p)
            if not r.startswith(".."):
                p = r
        except ValueError:  # other drive on Windows
            pass
    return p.replace(os.sep, "/")


def _iter_dir(root: str, prefix: str, all_files: bool) -> Iterator[Entry | Skipped]:
    listed = None if all_files else _git_listing(root)
    if listed is not None:
        for rel in sorted(listed):
            yield Entry(os.path.join(root, rel), prefix + rel.replace(os.sep, "/"))
        return
    yield from _walk(root, "", prefix)


def _git_listing(root: str) -> list[str] | None:
    """Tracked and untracked-not-ignored files below root, or None outside a work tree.

    git runs through :mod:`leakguard.sources.git`, so the repository's own
    config (fsmonitor, hooks, filters) runs nothing."""
    from leakguard.sources import git

    try:
        inside = git.run(root, "rev-parse", "--is-inside-work-tree", check=False, timeout=30)
        if inside.returncode != 0 or inside.stdout.strip() != b"true":
            return None
        # A directory the user names explicitly but git ignores (a venv, build
        # output) is scanned in full: .gitignore rules apply below the target.
        if git.run(root, "check-ignore", "-q", ".", check=False, timeout=30).returncode == 0:
            return None
        out = git.run(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate",
                      check=False, timeout=300)
    except SourceError:
        return None  # git missing or stuck: walk instead
    if out.returncode != 0:
        return None
    return [os.fsdecode(p) for p in out.stdout.split(b"\0") if p]


def _walk(root: str, rel: str, prefix: str) -> Iterator[Entry | Skipped]:
    try:
        with os.scandir(os.path.join(root, rel) if rel else root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield Skipped(Origin("file", prefix + rel or "."), "unreadable", e.strerror or str(e))
        return
    for d in entries:
        r = f"{rel}/{d.name}" if rel else d.name
        try:
            if d.is_symlink():
                yield Skipped(Origin("file", prefix + r), "symlink")
            elif d.is_dir(follow_symlinks=False):
                if d.name != ".git":
                    yield from _walk(root, r, prefix)
            else:
                yield Entry(d.path, prefix + r)
        except OSError as err:
            yield Skipped(Origin("file", prefix + r), "unreadable", err.strerror or str(err))


def read_entry(entry: Entry, max_size: int = DEFAULT_MAX_FILE_SIZE) -> Chunk | Skipped:
    origin = Origin("file", entry.relpath)
    try:
        st = os.lstat(entry.abspath)
        if stat.S_ISLNK(st.st_mode):
            return Skipped(origin, "symlink")
        if stat.S_ISDIR(st.st_mode):
            return Skipped(origin, "special", "directory (submodule?)")
        if not stat.S_ISREG(st.st_mode):
            return Skipped(origin, "special", "not a regular file")
        if max_size and st.st_size > max_size:
            return Skipped(origin, "too-large", f"{st.st_size} bytes")
        with open(entry.abspath, "rb") as f:
            raw = f.read(max_size + 1 if max_size else -1)
    except FileNotFoundError:
        return Skipped(origin, "not-found", "vanished during the scan")
    except PermissionError:
        return Skipped(origin, "unreadable", "permission denied")
    except OSError as e:
        return Skipped(origin, "unreadable", e.strerror or str(e))
    if max_size and len(raw) > max_size:
        return Skipped(origin, "too-large", f"over {max_size} bytes")
    return chunk_from_bytes(raw, origin)


def chunk_from_bytes(raw: bytes, origin: Origin, *, lines: frozenset[int] | None = None) -> Chunk | Skipped:
    data, notes = to_utf8(raw)
    if data is None:
        return Skipped(origin, "binary")
    return Chunk(data, (origin,), blob_id(raw), lines, notes)
