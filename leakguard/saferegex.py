"""Regexes from config and rule files: hostile input, so every one of them
runs with a timeout and is tried on adversarial text when it is loaded.

A pattern such as ``(a|a)+$`` backtracks exponentially: one search on 40
characters never returns. :func:`compile_user` compiles a pattern, runs it
on strings built to trigger catastrophic backtracking (runs of each
character the pattern names, and of the usual token alphabets) and raises
:class:`SlowRegex` if any probe takes longer than :data:`PROBE_TIMEOUT`; the
caller turns that into a one-line error naming the file and key.

What comes back is a :class:`TimedPattern`: the compiled pattern whose
``search``/``match``/``fullmatch``/``finditer``/``findall``/``sub`` apply
:data:`SCAN_TIMEOUT` unless the caller passes another ``timeout``. A search
that still times out during a scan raises ``TimeoutError``; the scan counts
it, reports it and exits with the "incomplete" code (docs/config.md).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import regex

SCAN_TIMEOUT = 2.0  # seconds per search during a scan
PROBE_TIMEOUT = 0.25  # seconds per adversarial probe at load time
_PROBE_LEN = 1024
_LEAD_MAX = 64  # characters of a literal run of the pattern put before a probe string
_GENERIC = ("a", "0", " ", "=", "/", "aA0")
_END = ("!", "\n")


class SlowRegex(ValueError):
    """The pattern backtracks catastrophically on some input."""


class TimedPattern:
    """A compiled ``regex`` pattern whose searches time out by default."""

    __slots__ = ("_p", "timeout")

    def __init__(self, compiled: Any, timeout: float | None = None) -> None:
        self._p = compiled
        self.timeout = timeout or SCAN_TIMEOUT

    @property
    def pattern(self) -> Any:
        return self._p.pattern

    @property
    def groupindex(self) -> Any:
        return self._p.groupindex

    @property
    def groups(self) -> int:
        return int(self._p.groups)

    @property
    def flags(self) -> int:
        return int(self._p.flags)

    def search(self, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return self._p.search(string, *args, timeout=timeout or self.timeout, **kw)

    def match(self, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return self._p.match(string, *args, timeout=timeout or self.timeout, **kw)

    def fullmatch(self, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return self._p.fullmatch(string, *args, timeout=timeout or self.timeout, **kw)

    def finditer(self, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> Iterator[Any]:
        it: Iterator[Any] = self._p.finditer(string, *args, timeout=timeout or self.timeout, **kw)
        return it

    def findall(self, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> list[Any]:
        return list(self._p.findall(string, *args, timeout=timeout or self.timeout, **kw))

    def sub(self, repl: Any, string: Any, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return self._p.sub(repl, string, *args, timeout=timeout or self.timeout, **kw)

    def __repr__(self) -> str:
        return f"TimedPattern({self._p.pattern!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (worker processes)
        return (_rebuild, (self._p.pattern, self._p.flags, self.timeout))


class _LazyPattern(TimedPattern):
    """A :class:`TimedPattern` compiled on first use (trusted built-in rule files: most of
    their path and allow patterns are never needed by a small scan). Once compiled, ``_p``
    is a plain slot again: no cost on later searches."""

    __slots__ = ("_source", "_flags")

    def __init__(self, source: str, flags: int) -> None:  # noqa: D107 - _p stays unset until used
        self._source, self._flags = source, flags
        self.timeout = SCAN_TIMEOUT

    @property
    def pattern(self) -> Any:  # the rule-set digest reads every source: no compile for that
        return self._source

    def __getattr__(self, name: str) -> Any:  # only for unset slots: the first use of _p
        if name != "_p":
            raise AttributeError(name)
        compiled = self._p = regex.compile(self._source, self._flags)
        return compiled


def lazy(source: str, flags: int = regex.VERSION0) -> TimedPattern:
    """A pattern from a trusted (tested) rule file, compiled when first used."""
    return _LazyPattern(source, flags)


def _rebuild(pattern: str, flags: int, timeout: float) -> TimedPattern:
    return TimedPattern(regex.compile(pattern, flags), timeout)


def _probe_strings(source: str, length: int = _PROBE_LEN) -> Iterator[str]:
    chars = [c for c in dict.fromkeys(source) if c.isprintable() and c not in "()[]{}|?*+^$"]
    seeds = list(dict.fromkeys([*_GENERIC, *chars[:12]]))
    # literal runs of the pattern (``tok=`` in ``tok=(a|a)+``) lead into the slow part
    # (at most _LEAD_MAX characters each: a search for a long literal in text that repeats it does
    # not heed the timeout, and a 20,000-character literal pattern kept the probe busy for minutes)
    leads = ["", *list(dict.fromkeys(m[:_LEAD_MAX] for m in regex.findall(r"(?<!\\)[A-Za-z0-9_=:.-]{2,}", source)))[:3]]
    for lead in leads:
        for seed in seeds if not lead else seeds[:8]:
            body = seed * (length // len(seed))
            for end in _END:
                yield lead + body + end


def probe(compiled: Any, source: str | None = None, *, anchored: bool = False, length: int = _PROBE_LEN) -> None:
    """Raise :class:`SlowRegex` if the pattern takes too long on an adversarial string
    (``anchored``: the caller only ever uses ``match``, as path globs do)."""
    src = source if source is not None else compiled.pattern
    if isinstance(src, bytes):
        return
    run = compiled.match if anchored else compiled.search
    for text in _probe_strings(src, length):
        t0 = time.perf_counter()
        try:
            run(text, timeout=PROBE_TIMEOUT)
            slow = time.perf_counter() - t0 > PROBE_TIMEOUT  # the timeout is checked coarsely
        except TimeoutError:
            slow = True
        if slow:
            raise SlowRegex(f"takes over {PROBE_TIMEOUT:g}s on a {len(text)}-character test string "
                            f"starting {text[:8]!r} (catastrophic backtracking): simplify it") from None


def compile_user(source: str, flags: int = regex.VERSION0, *, check: bool = True, anchored: bool = False,
                 length: int = _PROBE_LEN) -> TimedPattern:
    """Compile a pattern from a config or rule file. Raises ``regex.error`` or :class:`SlowRegex`."""
    try:
        compiled = regex.compile(source, flags)
    except RecursionError:  # the regex module parses groups recursively: thousands nested
        raise regex.error("groups nested too deeply") from None
    if check:
        probe(compiled, source, anchored=anchored, length=length)
    return TimedPattern(compiled)
