"""Reading and writing files the way Unix tools do, for every place leakguard
writes (reports, plans, baselines, config, caches, rewritten sources).

* :func:`write_file` replaces a plain regular file atomically (a temp file in
  the same directory, then ``os.replace``), keeping its mode. Anything else
  is written *through*: a device (``/dev/null``), a FIFO, ``/dev/stdout`` or
  any symlink, and a file with several hard links, is opened and written in
  place, never replaced by a new regular file. ``-`` means standard output.
* :func:`replace_atomic` always replaces ``path`` with a new regular file (a
  temp file in the same directory, then ``os.replace``): it never opens,
  follows or writes through what is there, so a FIFO, device or symlink put
  where a cache file belongs can neither block the write nor redirect it.
  For caches; user-named outputs go through :func:`write_file`.
* :func:`read_regular` opens a file only if it is a regular file: a FIFO or a
  device put where a cache or baseline file should be cannot block the read.
"""
from __future__ import annotations

import contextlib
import gc
import os
import stat
import sys
import tempfile
from collections.abc import Iterator

TEMP_SUFFIX = ".leakguard.tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_file(path: str | os.PathLike[str], data: str | bytes, *, fsync: bool = False,
               temp_suffix: str = TEMP_SUFFIX) -> None:
    """Write ``data`` to ``path`` (``-``: stdout). Raises OSError."""
    # a non-UTF-8 file name (surrogate escapes) is written as \udcXX text: the file stays valid UTF-8
    raw = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
    p = os.fspath(path)
    if p == "-":
        sys.stdout.flush()
        out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        if out is None:  # a text-only stream (tests): write the text
            sys.stdout.write(raw.decode("utf-8"))
        else:
            out.write(raw)
        sys.stdout.flush()
        return
    try:
        lst = os.lstat(p)
    except FileNotFoundError:
        lst = None
    if lst is not None and (not stat.S_ISREG(lst.st_mode) or lst.st_nlink > 1):
        _write_through(p, raw, fsync)  # symlink, device, FIFO, hard-linked file: never replace it
        return
    try:
        replace_atomic(p, raw, fsync=fsync, mode=stat.S_IMODE(lst.st_mode) if lst is not None else 0o666 & ~_umask(),
                       temp_suffix=temp_suffix)
    except PermissionError:
        if lst is None or not os.access(p, os.W_OK):
            raise
        _write_through(p, raw, fsync)  # a writable file in a directory we may not create files in


def _write_through(path: str, raw: bytes, fsync: bool) -> None:
    st = os.stat(path) if os.path.exists(path) else None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", path)
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    if st is None or stat.S_ISREG(st.st_mode):
        flags |= os.O_TRUNC
    fd = os.open(path, flags, 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
        f.flush()
        if fsync and stat.S_ISREG(os.fstat(fd).st_mode):
            os.fsync(fd)


def replace_atomic(path: str | os.PathLike[str], data: str | bytes, *, fsync: bool = False,
                   mode: int | None = None, temp_suffix: str = TEMP_SUFFIX) -> None:
    """Replace ``path`` with a new regular file holding ``data``: written to a temp
    file in the same directory, then renamed over ``path``. Whatever was at ``path``
    (a FIFO, a device, a symlink) is replaced, never opened, followed or written
    through; a reader sees the old file or the new one, never half of one. The
    new file is private (0600) unless ``mode`` says otherwise. Raises OSError
    (the temp file is removed)."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    p = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(p))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(p)}.", suffix=temp_suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_regular(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file; OSError otherwise (never blocks on a FIFO)."""
    return read_regular_stat(path, limit)[0]


def read_regular_stat(path: str | os.PathLike[str], limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """:func:`read_regular`, and the file's status as it was opened (its identity: device,
    inode, size, modification time)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(22, "not a regular file", os.fspath(path))
        with os.fdopen(fd, "rb", closefd=False) as f:
            return (f.read() if limit is None else f.read(limit)), st
    finally:
        os.close(fd)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a block builds many objects that all stay
    (a stored walk, a blob cache, the rule pack): collecting meanwhile walks the growing heap
    again and again for nothing (a fifth of loading sqlalchemy's stored walk)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
