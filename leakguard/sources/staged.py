"""Staged changes: what the next commit will contain, read from the index.

The text scanned is the index blob (not the working-tree copy, which may
hold unstaged edits). Each chunk carries ``lines``, the line numbers the
commit adds or changes, so a commit is blocked only by secrets it adds: an
already-committed secret elsewhere in an edited file does not block the edit.

One ``git diff --cached --raw -p -U0 -z`` call gives both the list of staged
blobs (NUL-separated raw records) and, after them, the zero-context patch
whose hunk headers ``@@ -a,b +c,d @@`` give the added line ranges. The two
parts list files in the same order.
"""
from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from leakguard.errors import SourceError, UsageError
from leakguard.model import Chunk, Origin, Skipped
from leakguard.sources import git
from leakguard.sources._text import to_scannable, to_utf8
from leakguard.sources.files import Entry, read_entry
from leakguard.sources.history import display_path

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True, slots=True)
class StagedFile:
    path: str
    old_oid: str  # zeros for an added file
    oid: str  # the index blob
    lines: frozenset[int] | None  # None: git showed no text patch (binary to git)


def staged_files(repo: str, pathspecs: Sequence[str] = ()) -> list[StagedFile]:
    base = "HEAD" if git.run(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).returncode == 0 else git.EMPTY_TREE
    proc = git.run(repo, "--literal-pathspecs", "diff", "--cached", "--raw", "-p", "-U0", "-z", "--no-abbrev",
                   "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "--ignore-submodules=all",
                   "--diff-filter=ACMRT", base, "--", *pathspecs)
    out = proc.stdout
    records: list[tuple[str, str, str, str]] = []  # (mode, old oid, oid, path)
    pos = 0
    while pos < len(out) and out.startswith(b":", pos):
        end = out.index(b"\0", pos)
        fields = out[pos + 1:end].split(b" ")
        pend = out.index(b"\0", end + 1)
        records.append((fields[1].decode(), fields[2].decode(), fields[3].decode(), display_path(out[end + 1:pend])))
        pos = pend + 1
    patches = _added_lines(out[pos:].lstrip(b"\0"))
    if len(patches) != len(records):  # should not happen; never under-report
        patches = [None] * len(records)
    return [StagedFile(path, old, oid, lines) for (mode, old, oid, path), lines in zip(records, patches)
            if mode.startswith("100")]


def _added_lines(patch: bytes) -> list[frozenset[int] | None]:
    """Per file section of a -U0 patch: the added line numbers (None: binary to git).

    Hunk bodies are skipped by the counts in their headers, so no content
    line can ever be taken for a header."""
    out: list[frozenset[int] | None] = []
    cur: set[int] | None = None
    started = False
    skip = 0
    for line in patch.split(b"\n"):
        if skip:
            if not line.startswith(b"\\"):  # "\ No newline at end of file" is not counted
                skip -= 1
            continue
        if line.startswith(b"diff --git "):
            if started:
                out.append(frozenset(cur) if cur is not None else None)
            started, cur = True, set()
        elif not started:
            continue
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            cur = None
        elif cur is not None and (m := _HUNK.match(line)):
            old = int(m.group(2)) if m.group(2) is not None else 1
            start, count = int(m.group(3)), int(m.group(4)) if m.group(4) is not None else 1
            cur.update(range(start, start + count))
            skip = old + count
    if started:
        out.append(frozenset(cur) if cur is not None else None)
    return out


def pathspecs_for(repo: str, paths: Sequence[str]) -> list[str]:
    """Paths given on the command line (relative to the cwd) as repo-relative pathspecs."""
    specs: list[str] = []
    top = os.path.realpath(repo)
    for p in paths:
        if p == "-":
            raise UsageError("--staged scans the index: '-' (stdin) cannot be combined with it")
        rel = os.path.relpath(os.path.realpath(p), top)
        if rel == os.curdir:
            return []
        if rel.startswith(os.pardir):
            raise UsageError(f"{p}: outside the repository {repo}")
        specs.append(rel.replace(os.sep, "/"))
    return specs


def _work_tree(path: str) -> str:
    """The top of the work tree holding ``path``, as :func:`git.repository` finds it, asking git
    itself (``rev-parse``) instead of GitPython: importing GitPython (and its ``git version``
    check) was a tenth of a second of every pre-commit run. The repository's files are checked
    first (a FIFO for a config never blocks git) and git runs with the same protections."""
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file or directory")
    if not os.path.isdir(path):
        raise SourceError(f"{path}: not a directory")
    git.check_repo_files(path)
    # the common case in one process: a work tree (inside the git dir, --show-toplevel fails: asked apart below)
    p = git.run(path, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-toplevel", check=False)
    lines = p.stdout.split(b"\n")  # (a path holding a newline: asked apart, as before)
    if p.returncode == 0 and len(lines) == 4 and lines[0] == b"false" and lines[2] and not lines[3]:
        work = os.fsdecode(lines[2])
        if not os.path.isdir(work):
            raise SourceError(f"{path}: the repository's work tree {work} does not exist")
        return os.path.realpath(work)
    p = git.run(path, "rev-parse", "--is-bare-repository", "--absolute-git-dir", check=False)
    if p.returncode != 0:
        if b"not a git repository" in p.stderr:
            raise SourceError(f"{path}: not a git repository")
        raise SourceError(f"{path}: cannot open the repository: {git.first_line(p.stderr)}")
    bare, _, git_dir = p.stdout.decode("utf-8", "surrogateescape").partition("\n")
    if bare.strip() == "true":
        raise SourceError(f"{path}: a bare repository has no index (--staged needs a work tree)")
    top = git.run(path, "rev-parse", "--show-toplevel", check=False)
    work = os.fsdecode(top.stdout.rstrip(b"\n"))
    if top.returncode != 0 or not work:  # run inside the git dir: its work tree holds it
        git_dir = git_dir.rstrip("\n")
        if os.path.basename(git_dir) != ".git":
            raise SourceError(f"{path}: not in a work tree (--staged needs a work tree)")
        work = os.path.dirname(git_dir)
    if not os.path.isdir(work):
        raise SourceError(f"{path}: the repository's work tree {work} does not exist")
    return os.path.realpath(work)


def staged_chunks(path: str = ".", paths: Sequence[str] = (), max_size: int = 0) -> Iterator[Chunk | Skipped]:
    """Chunks of the staged blobs, each limited to the lines the commit adds.

    A file named in ``paths`` that the commit does not change is scanned whole
    from the index, and a named file git does not track is read from disk:
    ``pre-commit run --all-files`` (or ``--files``) names files with nothing
    staged, and a gate run over them must read them. A commit names only
    staged files, so a commit is still judged by the lines it adds."""
    repo = _work_tree(path)
    specs = pathspecs_for(repo, paths) if paths else []
    files = staged_files(repo, specs)
    whole: set[str] = set()
    staged = {f.path for f in files}
    named = [(p, spec) for p, spec in zip(paths, specs) if spec not in staged]
    if named:  # a commit names only staged files: the index is read only for a run over files
        index = git.index_entries(repo)
        for p, spec in named:
            if spec in index:
                mode, oid = index[spec]
                if mode.startswith("100"):
                    files.append(StagedFile(spec, git.ZERO_OID, oid, None))
                    whole.add(spec)
            elif os.path.isfile(p) and not any(k.startswith(spec + "/") for k in index):
                yield read_entry(Entry(os.path.abspath(p), spec), max_size)  # untracked: from disk
    sizes = git.blob_sizes(repo, [f.oid for f in files])
    readable: dict[str, list[StagedFile]] = {}  # one read per blob, however many files hold it
    for f in files:
        origin = Origin("staged", f.path)
        if f.oid not in sizes:
            yield Skipped(origin, "unreadable", f"missing index blob {f.oid[:12]}")
        elif max_size and sizes[f.oid] > max_size:
            yield Skipped(origin, "too-large", f"{sizes[f.oid]} bytes")
        else:
            readable.setdefault(f.oid, []).append(f)
    reader = git.BlobReader(repo)
    try:
        for oid, raw in reader.read(list(readable)):
            for f in readable[oid]:
                origin = Origin("staged", f.path)
                if raw is None:
                    yield Skipped(origin, "unreadable", f"missing index blob {oid[:12]}")
                    continue
                data, notes = to_scannable(f.path, raw)  # an encrypted credential store is opened (credstores)
                if data is None:
                    yield Skipped(origin, "binary")
                    continue
                if f.path in whole or any(n.startswith("decrypted:") for n in notes):
                    # a decrypted store is read whole: its diff is of ciphertext, not of these lines
                    yield Chunk(data, (origin,), oid, None, notes)
                    continue
                lines = f.lines if f.lines is not None else _diff_lines(repo, f.old_oid, data)
                if lines:
                    yield Chunk(data, (origin,), oid, lines, notes)
    finally:
        reader.close()


def _diff_lines(repo: str, old_oid: str, new: bytes) -> frozenset[int]:
    """Added lines of a file git treats as binary but we decode (UTF-16 with a BOM).

    The old version is read by a reader of its own: the caller is in the middle
    of streaming the other staged blobs from its reader."""
    old_text: list[str] = []
    if old_oid != git.ZERO_OID:
        reader = git.BlobReader(repo)
        try:
            for _, raw in reader.read([old_oid]):
                data = to_utf8(raw)[0] if raw is not None else None
                old_text = data.decode("utf-8", "replace").splitlines() if data is not None else []
        finally:
            reader.close()
    new_text = new.decode("utf-8", "replace").splitlines()
    added: set[int] = set()
    sm = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
    for tag, _, _, j1, j2 in sm.get_opcodes():
        if tag in ("replace", "insert"):
            added.update(range(j1 + 1, j2 + 1))
    return frozenset(added)
