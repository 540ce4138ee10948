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
from leakguard.sources._text import blob_id, to_scannable

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    abspath: str
    relpath: str  # '/'-separated, relative to the scan root


def work_tree_top(path: str) -> str | None:
    """The nearest directory at or above ``path`` that holds ``.git`` (a work tree's top), or None."""
    d = os.path.abspath(path)
    if not os.path.isdir(d):
        d = os.path.dirname(d)
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def report_root(targets: Sequence[str]) -> str:
    """The directory finding paths are relative to: the top of the git work tree
    holding every target, else the current directory (a single directory
    target outside both: that directory)."""
    real = [os.path.abspath(t) for t in targets if t != "-"]
    top = work_tree_top(real[0]) if real else None
    if top is not None and all(_under(p, top) for p in real):
        return top
    cwd = os.getcwd()
    if len(real) == 1 and not _under(real[0], cwd) and os.path.isdir(real[0]):
        return real[0]
    return cwd


def iter_entries(targets: Sequence[str], *, all_files: bool = False, root: str | None = None) -> Iterator[Entry | Skipped]:
    """Expand targets (files and directories) into entries, in a stable order.

    Paths are relative to ``root`` (default :func:`report_root`): ``scan src``
    in a repository reports ``src/pay.js``, as ``scan .`` does."""
    for t in targets:
        if not os.path.lexists(t):
            raise SourceError(f"{t}: no such file or directory")
    base = report_root(targets) if root is None else root
    for t in targets:
        rel = _rel(t, base)
        if os.path.isdir(t) and not os.path.islink(t):
            yield from _iter_dir(t, "" if rel == "." else rel + "/", all_files)
        else:
            yield Entry(os.path.abspath(t), rel)


def _rel(path: str, base: str) -> str:
    """``path`` relative to ``base``; outside it, relative to the cwd, else absolute."""
    p = os.path.abspath(path)
    for b in (base, os.getcwd()):
        try:
            r = os.path.relpath(p, b)
        except ValueError:  # other drive on Windows
            continue
        if r != os.pardir and not r.startswith(os.pardir + os.sep):
            return r.replace(os.sep, "/")
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
    if not _may_be_in_work_tree(root):
        return None
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


def _may_be_in_work_tree(root: str) -> bool:
    """False when git cannot place ``root`` in a work tree: no ``.git`` (a directory, or the file of a
    linked work tree or submodule) in it or any directory above it, and no GIT_DIR or GIT_WORK_TREE set.
    A scan outside any repository then starts no git process (two of them: a tenth of a second of a
    one-file scan on a loaded machine)."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    # git looks up from the physical path (a symbolic link into a repository is in its work tree)
    return any(work_tree_top(d) is not None for d in {os.path.abspath(root), os.path.realpath(root)})


def _walk(root: str, rel: str, prefix: str) -> Iterator[Entry | Skipped]:
    """Depth-first, in name order, with an explicit stack: a tree thousands of
    levels deep cannot exhaust the recursion limit."""
    stack: list[str | Entry | Skipped] = [rel]  # a str is a directory still to list
    while stack:
        item = stack.pop()
        if not isinstance(item, str):
            yield item
            continue
        d_rel = item
        try:
            with os.scandir(os.path.join(root, d_rel) if d_rel else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            yield Skipped(Origin("file", prefix + d_rel or "."), "unreadable", e.strerror or str(e))
            continue
        todo: list[str | Entry | Skipped] = []
        for d in entries:
            r = f"{d_rel}/{d.name}" if d_rel else d.name
            try:
                if d.is_symlink():
                    todo.append(Skipped(Origin("file", prefix + r), "symlink"))
                elif d.is_dir(follow_symlinks=False):
                    if d.name != ".git":
                        todo.append(r)
                else:
                    todo.append(Entry(d.path, prefix + r))
            except OSError as err:
                todo.append(Skipped(Origin("file", prefix + r), "unreadable", err.strerror or str(err)))
        stack.extend(reversed(todo))


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
    data, notes = to_scannable(origin.path, raw)
    if data is None:
        return Skipped(origin, "binary")
    return Chunk(data, (origin,), blob_id(raw), lines, notes)
