"""Thin wrappers around git plumbing: NUL-separated output, one-line errors.

Nothing here parses output meant for humans. Every failure that stops a scan
becomes a :class:`SourceError` with one line (not a git repository, git not
installed, ...); per-object problems (a missing blob) are reported by the
callers as skipped items and warnings.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence

from leakguard.errors import SourceError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_OID = "0" * 40
# Config that would change plumbing output or make it slower; forced off.
_CONFIG = ("-c", "core.quotepath=off", "-c", "log.showSignature=false", "-c", "diff.renames=false",
           "-c", "core.fsmonitor=false", "-c", "color.ui=false")


def git_exe() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise SourceError("git is not installed (or not on PATH)")
    return exe


def git_cmd(repo: str, *args: str) -> list[str]:
    return [git_exe(), "-C", repo, *_CONFIG, *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)  # GIT_DIR / GIT_INDEX_FILE set by a hook are honoured
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def first_line(err: bytes) -> str:
    for line in err.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


def run(repo: str, *args: str, check: bool = True, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        if input is not None:
            proc = subprocess.run(git_cmd(repo, *args), capture_output=True, input=input, check=False, env=_env())
        else:
            proc = subprocess.run(git_cmd(repo, *args), capture_output=True, stdin=subprocess.DEVNULL, check=False, env=_env())
    except OSError as e:
        raise SourceError(f"cannot run git: {e.strerror or e}") from None
    if check and proc.returncode != 0:
        raise SourceError(f"git {args[0]}: {first_line(proc.stderr)}")
    return proc


def open_repo(path: str) -> str:
    """Return the work-tree top level (or the git dir of a bare repository)."""
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file or directory")
    if not os.path.isdir(path):
        raise SourceError(f"{path}: not a directory")
    proc = run(path, "rev-parse", "--is-bare-repository", "--show-toplevel", "--absolute-git-dir", check=False)
    if proc.returncode != 0:
        msg = first_line(proc.stderr)
        if "not a git repository" in msg:
            raise SourceError(f"{path}: not a git repository")
        raise SourceError(f"{path}: {msg}")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if lines and lines[0] == "true":
        return lines[-1]
    return lines[1] if len(lines) >= 2 else path


def is_shallow(repo: str) -> bool:
    out = run(repo, "rev-parse", "--is-shallow-repository", check=False).stdout.strip()
    return out == b"true"


def has_refs(repo: str) -> bool:
    """True if the repository has at least one commit reachable from a ref or HEAD."""
    if run(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).returncode == 0:
        return True
    out = run(repo, "for-each-ref", "--count=1", "--format=%(objectname)", check=False).stdout
    return bool(out.strip())


def resolve(repo: str, rev: str) -> str:
    proc = run(repo, "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0:
        raise SourceError(f"{rev}: unknown revision")
    return proc.stdout.decode().strip()


def exists(repo: str, rev: str) -> bool:
    return run(repo, "cat-file", "-e", f"{rev}^{{commit}}", check=False).returncode == 0


def blob_sizes(repo: str, oids: Sequence[str]) -> dict[str, int]:
    """Sizes of the given blobs (missing ones left out), one batch-check call."""
    if not oids:
        return {}
    fmt = "--batch-check=%(objecttype) %(objectname) %(objectsize)"
    proc = run(repo, "cat-file", fmt, check=False, input=("\n".join(oids) + "\n").encode())
    out: dict[str, int] = {}
    for line in proc.stdout.split(b"\n"):
        if line.startswith(b"blob "):
            _, oid, size = line.split(b" ")
            out[oid.decode()] = int(size)
    return out


def head_tree_blobs(repo: str) -> dict[str, list[bytes]]:
    """Blob id -> paths in HEAD's tree ({} when HEAD has no commit)."""
    proc = run(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD", check=False)
    out: dict[str, list[bytes]] = {}
    if proc.returncode != 0:
        return out
    for rec in proc.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            out.setdefault(parts[2].decode(), []).append(path)
    return out


def stream(repo: str, args: Sequence[str], block: int = 1 << 20) -> Iterator[bytes]:
    """Yield NUL-separated records of a git command's stdout as they arrive.

    On a non-zero exit, raises SourceError after the records already produced
    (callers that want to keep going catch it)."""
    try:
        proc = subprocess.Popen(git_cmd(repo, *args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=_env())
    except OSError as e:
        raise SourceError(f"cannot run git: {e.strerror or e}") from None
    assert proc.stdout is not None and proc.stderr is not None
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    rest = b""
    try:
        while True:
            buf = proc.stdout.read(block)
            if not buf:
                break
            parts = (rest + buf).split(b"\0")
            rest = parts.pop()
            yield from parts
        if rest:
            yield rest
    finally:
        proc.stdout.close()
        code = proc.wait()
        reader.join()
        proc.stderr.close()
    if code != 0:
        raise SourceError(f"git {args[0]}: {first_line(b''.join(err))}")


def object_sizes(repo: str) -> Iterator[tuple[str, int]]:
    """(blob id, size) for every blob in the object store, in pack order."""
    fmt = "--batch-check=%(objecttype) %(objectname) %(objectsize)"
    proc = run(repo, "cat-file", fmt, "--batch-all-objects", "--unordered", check=False)
    for line in proc.stdout.split(b"\n"):
        if line.startswith(b"blob "):
            _, oid, size = line.split(b" ")
            yield oid.decode(), int(size)


class BlobReader:
    """A long-lived ``git cat-file --batch``: ``read(oids)`` streams (oid, content).

    Content is None for a missing or corrupt object (the scan goes on). A
    writer thread feeds the ids, so neither pipe can fill up and deadlock. One
    reader per worker process; it is restarted if git dies."""

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            self._proc = subprocess.Popen(git_cmd(self.repo, "cat-file", "--batch"), stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env())
        except OSError as e:
            raise SourceError(f"cannot run git: {e.strerror or e}") from None
        return self._proc

    def read(self, oids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        proc = self._proc or self._start()
        assert proc.stdin is not None and proc.stdout is not None
        stdin, out = proc.stdin, proc.stdout
        payload = ("\n".join(oids) + "\n").encode() if oids else b""

        def feed() -> None:
            try:
                stdin.write(payload)
                stdin.flush()
            except (OSError, ValueError):  # git died, or closed under us
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        done = 0
        alive = True
        try:
            for oid in oids:
                header = out.readline() if alive else b""
                parts = header.split()
                if not parts or parts[0].decode("ascii", "replace") != oid:
                    # git died (corrupt pack?) or answered something else: the rest is unreadable
                    alive = False
                    yield oid, None
                elif len(parts) != 3:  # "<oid> missing" / "<oid> ambiguous"
                    yield oid, None
                else:
                    size = int(parts[2])
                    data = out.read(size)
                    out.read(1)  # the newline after the content
                    yield oid, (data if parts[1] == b"blob" and len(data) == size else None)
                done += 1
        finally:
            if done < len(oids) or not alive:  # abandoned midway or dead: start afresh next time
                self.close()
            writer.join()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream_ in (proc.stdin, proc.stdout):
            try:
                if stream_ is not None:
                    stream_.close()
            except OSError:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait()
