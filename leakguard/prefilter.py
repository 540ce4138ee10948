"""Multi-pattern prefilter: which rules may match, and where.

Two backends with one contract: ``hits(data, scoped) -> {rule_index: offsets}``
where each offset is a byte position on a line that a match of that rule may
touch (unsorted, possibly repeated; one per line is enough). ``scoped=False``
says no path-scoped rule applies to the chunk's path, so their hits may be
left out. The engine confirms each candidate line (or window, for multi-line
rules) with the rule's own regex, so the backend only has to be a superset:

* ``HyperscanPrefilter``: every rule's pattern compiled into Hyperscan
  databases in prefilter mode (a keyed provider rule by the part of its pattern
  that matches the variable name, :func:`key_expression`; a rule whose pattern
  Hyperscan cannot take by its keywords): one for the rules that apply anywhere, one
  for the path-scoped ones (``paths:`` that leave out program source), scanned
  only for paths they may apply to (``generic-secret-unquoted`` skips program
  source, yet its broad pattern fires on most lines of it). Rules without keywords (path-scoped, every line)
  need no prefilter. The compiled databases are cached on disk, keyed by the
  rule set's digest.
* ``HyperscanKeywordPrefilter``: the keywords alone as case-insensitive
  Hyperscan literals, built each time in about 0.1 s.
  ``LEAKGUARD_PREFILTER=keywords`` forces it.
* ``KeywordPrefilter``: pure Python; one ``bytes.find`` loop per keyword over
  the lower-cased bytes (no set-up, about 1 MB/s). Used where the hyperscan
  wheel is missing, or with ``LEAKGUARD_PREFILTER=regex``.
* ``SmallFirstPrefilter``: the small-scan path when the pattern database is
  not cached yet (a fresh CI container, a pre-commit hook): the pure Python
  matcher for the first 64 KB of text, then the keyword database.

The engine also requires a rule's keyword on a line the match touches, which
makes the two backends give identical findings.
"""
from __future__ import annotations

import hashlib
import os
import struct
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import regex

from leakguard.fsio import read_regular, replace_atomic
from leakguard.ruleset import Rule

_hs: Any
try:  # pragma: no cover - depends on the platform's wheel
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None

Hits = dict[int, "Sequence[int]"]  # rule index -> byte offsets (unsorted, may repeat)
_LONG = 16384  # lines longer than this are confirmed in windows around each hit: keep every hit on them


class Prefilter(Protocol):
    name: str

    def hits(self, data: bytes, scoped: bool = True) -> Hits: ...


# Program source, where most of the bytes of a repository are.
_SOURCE_PROBES = ("src/app.py", "src/app.js", "src/app.ts", "main.go", "src/Main.java", "src/lib.rs", "src/main.c",
                  "lib/app.rb", "src/index.php", "src/Program.cs")


def is_scoped(rule: Rule) -> bool:
    """A rule limited to paths that exclude program source (``paths: only: [.pgpass]``, or
    ``skip:`` every source extension): its prefilter database is scanned only for paths where
    such a rule applies. Rules that skip only a few special files count as unscoped."""
    if rule.scoped is not None:  # decided when the built-in pack was cached (leakguard.ruleset, start-up time)
        return rule.scoped
    return bool(rule.paths_only or rule.paths_skip) and not all(rule.applies_to(p) for p in _SOURCE_PROBES)


def hyperscan_available() -> bool:
    return _hs is not None


def cache_dir() -> Path:
    env = os.environ.get("LEAKGUARD_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "leakguard"


_DAY = 86400.0


def touch_if_old(path: Path) -> None:
    """Mark a cache entry as in use (its mtime), at most once a day: :func:`prune` keeps used entries."""
    try:
        if time.time() - path.stat().st_mtime > _DAY:
            os.utime(path)
    except OSError:
        pass


def prune(pattern: str, keep: int, *, spare: Path | None = None, max_age_days: float = 30.0) -> None:
    """Delete cache entries matching ``pattern`` (a glob in :func:`cache_dir`) that were not used
    (see :func:`touch_if_old`) for ``max_age_days``, and all but the ``keep`` most recent ones
    (``spare`` is never deleted). Every entry is derived data: a deleted one is rebuilt when needed."""
    try:
        entries = []
        for p in cache_dir().glob(pattern):
            if p != spare:
                try:
                    entries.append((p.lstat().st_mtime, p))
                except OSError:
                    continue
        entries.sort(reverse=True)
        old = time.time() - max_age_days * _DAY
        for n, (mtime, p) in enumerate(entries):
            if n >= keep or mtime < old:
                try:
                    p.unlink()
                except OSError:
                    pass
    except OSError:
        pass


class KeywordPrefilter:
    """Where each rule's keywords occur, without Hyperscan (platforms without
    its wheels, and tests that pin this backend).

    One ``bytes.find`` loop per distinct keyword over the lower-cased data:
    each find runs in C at memory speed, so the cost is about (keywords x
    bytes) / several GB/s, linear in the data. A single alternation regex over
    the ~2,000 keywords of the full pack ran the regex engine at every byte
    position (about 50 KB/s), which made this backend unusable on large files."""

    name = "regex"

    def __init__(self, rules: Sequence[Rule]) -> None:
        by_kw: dict[str, set[int]] = {}
        for i, r in enumerate(rules):
            for k in r.keywords:
                by_kw.setdefault(k, set()).add(i)
        self._by_kw: tuple[tuple[bytes, tuple[int, ...]], ...] = tuple(
            (k.encode(), tuple(sorted(ids))) for k, ids in sorted(by_kw.items()))

    def hits(self, data: bytes, scoped: bool = True) -> Hits:
        out: dict[int, array[int]] = {}
        low = data.lower()
        for kw, ids in self._by_kw:
            pos = low.find(kw)
            while pos >= 0:
                for i in ids:
                    a = out.get(i)
                    if a is None:
                        a = out[i] = array("q")
                    a.append(pos)
                pos = low.find(kw, pos + 1)
        return out  # type: ignore[return-value]


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(self, rules: Sequence[Rule], digest: str) -> None:
        assert _hs is not None
        self._db, self._db_scoped = _load_or_build(rules, digest)

    def hits(self, data: bytes, scoped: bool = True) -> Hits:
        """Match ends, one per line and rule (every one on lines longer than 16 KB)."""
        return self.hits_and_names(data, scoped)[0]

    def hits_and_names(self, data: bytes, scoped: bool = True) -> tuple[Hits, Hits]:
        """:meth:`hits`, and where the provider names of the rules entered by a key expression
        stand (rule index -> offsets, as hits), for leakguard.context: one scan for both."""
        if not data:
            return {}, {}
        out: dict[int, list[Any]] = {}
        names: dict[int, list[Any]] = {}
        on_match = _collector(data, out, None, names)
        if self._db is not None:
            self._db.scan(data, match_event_handler=on_match)  # type: ignore[attr-defined]
        if scoped and self._db_scoped is not None:
            self._db_scoped.scan(data, match_event_handler=on_match)  # type: ignore[attr-defined]
        return {i: st[2] for i, st in out.items()}, {i: st[2] for i, st in names.items()}


def hits_and_names(prefilter: Prefilter, data: bytes, scoped: bool = True) -> tuple[Hits, Hits | None]:
    """A prefilter's hits, and where provider names stand where its hits do not say it
    (a Hyperscan database with key expressions); None: the hits are keyword hits, which say it."""
    if isinstance(prefilter, HyperscanPrefilter):
        return prefilter.hits_and_names(data, scoped)
    return prefilter.hits(data, scoped), None


def _collector(data: bytes, out: dict[int, list[Any]], rules_for: Sequence[tuple[int, ...]] | None,
               names_out: dict[int, list[Any]] | None = None) -> Any:
    """A Hyperscan match callback filling ``out``: rule -> [line start, line end, offsets].

    Memory stays small whatever the content: offsets go into one ``array('q')``
    per rule that fired, and a rule's further hits on the (short) line it last
    fired on are dropped; on lines over 16 KB (confirmed in windows around each
    hit) every hit is kept. Expression ids carry the rule index in their high
    bits, or index ``rules_for`` (keyword databases). Provider-name expressions
    (ids marked ``_NAME_ID``) fill ``names_out`` the same way (dropped without it)."""
    n = len(data)
    rfind, find = data.rfind, data.find

    def into(dest: dict[int, list[Any]]) -> Any:
        def add(i: int, pos: int) -> None:
            st = dest.get(i)
            if st is None:
                st = dest[i] = [-1, -1, array("q")]
            elif st[0] <= pos < st[1]:  # the line this rule last fired on
                return
            ls = rfind(b"\n", max(0, pos - _LONG), pos) + 1
            if ls or pos <= _LONG:
                le = find(b"\n", pos, pos + _LONG + 1)
                if le < 0 and pos + _LONG + 1 >= n:
                    le = n
                if le >= 0 and le - ls <= _LONG:
                    st[0], st[1] = ls, le  # a short line: one hit stands for it
            st[2].append(pos)
        return add

    add = into(out)
    if rules_for is None:
        add_name = into(names_out if names_out is not None else {})

        def on_match(id_: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            if id_ & _NAME_ID:
                # a provider name where it starts a word or a part of a camelCase name (``Fastly``,
                # ``newFastlyClient``, ``fastly_token``; not ``alchemy`` in ``sqlalchemy``): a superset of
                # what leakguard.context._is_word takes (any non-ASCII byte before it counts as a boundary)
                start = to - (id_ & 0xFF)
                if start > 0:
                    before = data[start - 1]
                    if 97 <= before <= 122:  # a-z
                        if not 65 <= data[start] <= 90:
                            return
                    elif 65 <= before <= 90:  # A-Z
                        return
                add_name((id_ ^ _NAME_ID) >> 8, to - 1)
            else:
                add(id_ >> 8, to - 1 if to else 0)
    else:
        def on_match(id_: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            for i in rules_for[id_]:  # the keyword's last byte: on the keyword's line
                add(i, to - 1)
    return on_match


_MAX_COUNT = 24  # larger counted repeats explode Hyperscan's compile; the prefilter copy relaxes them


def hs_pattern(src: str, multiline: bool = False) -> str:
    """A superset of ``src`` that Hyperscan compiles quickly and reports sparsely.

    Only the prefilter uses it; the rule's exact regex confirms every hit.
    Named groups become non-capturing; a backreference becomes a copy of the
    group it names (what the group matched, the copy matches too), or any run
    of characters within the line where the group is unknown; atomic groups
    become plain groups, and counted repeats ``{m,n}`` / ``{m}`` with a large
    bound become ``{min(m, 24),}``. A trailing open-ended repeat is cut to its
    minimum: a prefix of a match still marks the match's line, and Hyperscan
    then reports one end per match instead of one per character. ``\\G`` (which
    Hyperscan refuses) is dropped.
    """
    out: list[str] = []
    i, n = 0, len(src)
    in_class = False
    verbose = bool(regex.match(r"\s*\(\?[a-zA-Z]*x[a-zA-Z]*\)", src))
    stack: list[tuple[str | None, int]] = []  # open groups: (name, where it starts in out)
    groups: dict[str, str] = {}
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n:
            if not in_class and src[i + 1] == "G":  # an anchor Hyperscan refuses: dropped (a superset)
                i += 2
                continue
            out.append(src[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            # a ']' right after '[' or '[^' is a literal
            j = i + 1
            if j < n and src[j] == "^":
                out.append("^")
                j += 1
            if j < n and src[j] == "]":
                out.append("]")
                j += 1
            i = j
            continue
        if verbose and c == "#":  # a comment: dropped (its parentheses are not groups)
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("(?P<", i):
            end = src.index(">", i)
            stack.append((src[i + 4:end], len(out)))
            out.append("(?:")
            i = end + 1
            continue
        if src.startswith("(?P=", i):
            end = src.index(")", i)
            out.append(groups.get(src[i + 4:end]) or (_ANY_RUN_ML if multiline else _ANY_RUN))
            i = end + 1
            continue
        if src.startswith("(?>", i):
            stack.append((None, len(out)))
            out.append("(?:")
            i += 3
            continue
        if c == "(":
            stack.append((None, len(out)))
        elif c == ")" and stack:
            name, start = stack.pop()
            if name:
                text = "".join(out[start:]) + ")"
                groups[name] = f"(?:{groups[name]}|{text})" if name in groups else text
        if c == "{":
            m = regex.match(r"\{(\d+)(?:(,)(\d*))?\}", src[i:])
            if m:
                lo = int(m.group(1))
                hi = m.group(3)
                big = lo > _MAX_COUNT or (m.group(2) and hi and int(hi) > _MAX_COUNT)
                if big:
                    out.append("{%d,}" % min(lo, _MAX_COUNT))
                else:
                    out.append(m.group(0))
                i += len(m.group(0))
                if i < n and src[i] == "+":  # possessive: drop (superset)
                    i += 1
                continue
        if c in "*+?" and i + 1 < n and src[i + 1] == "+":
            out.append(c)
            i += 2
            continue
        out.append(c)
        i += 1
    return _trim_tail("".join(out))


_ANY_RUN = "(?:[^\\n]*)"
_ANY_RUN_ML = "(?:[\\s\\S]*)"
_TAIL_SPACE = regex.compile(r"(?:\s|(?<![^\s])#[^\n]*)*\Z")  # a comment starts after whitespace: not `[^#]` or `\#`


def _trim_tail(pat: str) -> str:
    """Cut what can only lengthen a match at the very end of the pattern."""
    verbose = "(?x" in pat[:8] or pat.lstrip().startswith("(?") and "x" in pat[2:pat.find(")")]
    body = _TAIL_SPACE.sub("", pat) if verbose else pat.rstrip("\n")
    if verbose and (len(body) - len(body.rstrip("\\"))) % 2 == 1 and body != pat:
        body += pat[len(body)]  # an escaped space ('\ ') at the very end stays whole
    for run in (_ANY_RUN, _ANY_RUN_ML):
        if body.endswith(run):
            return body[: -len(run)]
    m = regex.search(r"(?<!\\)\{(\d+)(?:,\d*)?\}\Z", body)
    if m:
        return body[: m.start()] + "{%s}" % m.group(1)
    if body.endswith("+") and not body.endswith("\\+"):
        return body[:-1]
    return body


def _trigger(rule: Rule) -> str:
    if rule.trigger_source is not None:  # the rule's own (docs/rules.md): a superset of its pattern's matches
        return rule.trigger_source
    if rule.near is not None and not rule.multiline:
        return str(rule.near.pattern)
    return rule.pattern_source


def _keyword_triggered(rule: Rule) -> bool:
    return (bool(rule.keywords) and rule.has_key_group and not rule.generic and not rule.multiline and rule.near is None
            and rule.trigger_source is None)


_LEAD_FLAGS = regex.compile(r"\A\s*\(\?([a-zA-Z]+)\)")
_QUANTIFIER = regex.compile(r"(?:[?*+]|\{(\d*)(?:,(\d*))?\})[?+]?")
_ZERO_WIDTH = ("(?=", "(?!", "(?<=", "(?<!")
_NEG_LOOKBEHIND = regex.compile(r"\(\?<!(\[(?:\\.|[^\]\\])+\]|\\[wds])\)\Z")
_WORDISH = regex.compile(r"\\[wsd]")
_KEY_RELAX = 3  # counted repeats in a key expression with a larger bound become open-ended (compile time)


def _scan_to(src: str, i: int, verbose: bool, close: str) -> int:
    """Index just past the ``)`` (``close='('``) or ``]`` (``close='['``) that closes the
    group or class opening at ``src[i]``; -1 if none."""
    n = len(src)
    if close == "[":
        j = i + 1
        if j < n and src[j] == "^":
            j += 1
        if j < n and src[j] == "]":
            j += 1
        while j < n:
            if src[j] == "\\":
                j += 2
            elif src.startswith("[:", j):  # a POSIX class [:alpha:] inside the set
                k = src.find(":]", j + 2)
                j = k + 2 if k >= 0 else j + 1
            elif src[j] == "]":
                return j + 1
            else:
                j += 1
        return -1
    depth, j = 0, i
    while j < n:
        c = src[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _scan_to(src, j, verbose, "[")
            if j < 0:
                return -1
            continue
        if verbose and c == "#":
            k = src.find("\n", j)
            j = n if k < 0 else k
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def _elements(src: str, i: int, end: int, verbose: bool) -> list[tuple[str, int]] | None:
    """The sequence ``src[i:end]`` as (element source, least repeat count) items, an element being
    an atom and its quantifier; lookarounds and anchors count as repeats of 0 (they consume
    nothing). None where it is not a plain sequence (a top-level ``|``, a backreference, an escape
    whose extent is not read here, an unbalanced group)."""
    out: list[tuple[str, int]] = []
    while i < end:
        c = src[i]
        if verbose and c.isspace():
            i += 1
            continue
        if verbose and c == "#":
            k = src.find("\n", i, end)
            i = end if k < 0 else k
            continue
        least = 1
        if c == "|":
            return None
        if c == "\\":
            if i + 1 >= end or not (src[i + 1] in "wWdDsSbBAZ" or not src[i + 1].isalnum()):
                return None  # \p{..}, \x.., \1 ...: left to the keyword expression
            j = i + 2
            if src[i + 1] in "bBAZ":
                least = 0
        elif c == "[":
            j = _scan_to(src, i, verbose, "[")
        elif c == "(":
            j = _scan_to(src, i, verbose, "(")
            if src.startswith(_ZERO_WIDTH, i) or regex.fullmatch(r"\(\?[a-zA-Z-]+\)", src[i:j]):
                least = 0  # a lookaround, or a flag group
        elif c in "^$":
            j, least = i + 1, 0
        elif c in "?*+{)":
            if c == "{" and not _QUANTIFIER.match(src, i):
                j = i + 1  # a literal brace
            else:
                return None
        else:
            j = i + 1
        if j < 0 or j > end:
            return None
        k = j
        while verbose and k < end and src[k].isspace():
            k += 1
        q = _QUANTIFIER.match(src, k, end)
        if q:
            if q.group(0)[0] in "?*":
                least = 0
            elif q.group(0)[0] == "{":
                least = min(least, int(q.group(1) or 0))
            j = q.end()
        out.append((src[i:j], least))
        i = j
    return out


def key_expression(rule: Rule) -> str | None:
    r"""The Hyperscan expression that wakes the confirm step for a rule entered by its key
    name (see :func:`_keyword_triggered`), derived from the rule's pattern: the elements of its
    ``key`` group from the first to the last one that must match (``[\w.-]{0,40}?`` around
    the name is left out), preceded by the negative lookbehind just before the group, if any,
    as a consuming class (``(?<![A-Za-z0-9])`` becomes ``(?:^|[^A-Za-z0-9])``: Hyperscan has
    no lookbehind, and the pattern needs the keyword at a word start: ``alchemy`` must not
    wake the rule on every ``sqlalchemy``). Any contiguous run of a pattern's elements matches
    wherever the pattern does, ending within the match, so the expression marks every line
    the rule can match (the confirm step works line by line). Counted repeats are relaxed to
    open-ended ones (compile time), and ``\w``, ``\s``, ``\d`` also take the bytes of
    non-ASCII characters (the pattern's are Unicode, Hyperscan's are ASCII). None: the
    pattern is not of that shape (the rule is then entered by its keywords)."""
    src = rule.pattern_source
    lead = _LEAD_FLAGS.match(src)
    flags = lead.group(1) if lead else ""
    if set(flags) - set("imsx"):
        return None
    verbose = "x" in flags
    body = lead.end() if lead else 0
    if regex.search(r"\(\?[a-zA-Z]+\)", src[body:]):  # a global flag past the start applies to all of it
        return None
    top = _elements(src, body, len(src), verbose)
    if not top:
        return None
    k = next((n for n, (e, _) in enumerate(top) if e.startswith("(?P<key>")), -1)
    if k < 0 or top[k][1] == 0 or not top[k][0].endswith(")"):
        return None
    group = top[k][0]
    inner = _elements(group, len("(?P<key>"), len(group) - 1, verbose)
    if not inner:
        return None
    first = next((n for n, (_, least) in enumerate(inner) if least), -1)
    last = max((n for n, (_, least) in enumerate(inner) if least), default=-1)
    if first < 0:
        return None
    parts = [e for e, _ in inner[first:last + 1]]
    if first == 0 and k > 0:
        lb = _NEG_LOOKBEHIND.match(top[k - 1][0])
        if lb:
            cls = lb.group(1)
            if cls.startswith("[^"):
                parts.insert(0, "(?:^|[" + cls[2:] + ")")
            elif cls.startswith("["):
                parts.insert(0, "(?:^|[^" + cls[1:] + ")")
            else:
                parts.insert(0, "(?:^|" + cls.upper() + ")")
    expr = ("(?%s)" % flags if flags else "") + (" " if verbose else "").join(parts)
    expr = regex.sub(r"\{(\d+),(\d+)\}", lambda m: m.group(0) if int(m.group(2)) <= _KEY_RELAX
                     else "{%s,}" % m.group(1) if m.group(1) != "0" else "*", expr)
    return _widen(hs_pattern(expr))


def _widen(expr: str) -> str:
    r"""``\w``, ``\s`` and ``\d`` (outside and inside sets) also match bytes of non-ASCII
    characters, which a Python ``str`` pattern's do; negated sets already take them."""
    out: list[str] = []
    i, n, set_start = 0, len(expr), -1
    while i < n:
        c = expr[i]
        if c == "\\" and i + 1 < n:
            tok = expr[i:i + 2]
            if tok in ("\\w", "\\s", "\\d"):
                out.append(tok if set_start >= 0 else "[%s\\x80-\\xff]" % tok)
                if set_start >= 0 and not expr.startswith("[^", set_start):
                    out.append("\\x80-\\xff")
            else:
                out.append(tok)
            i += 2
            continue
        if set_start < 0 and c == "[":
            set_start = i
            j = i + 1 + (expr.startswith("^", i + 1))
            if expr.startswith("]", j):
                j += 1
            out.append(expr[i:j])
            i = j
            continue
        if set_start >= 0 and c == "]":
            set_start = -1
        out.append(c)
        i += 1
    return "".join(out)


def _rule_expression(rule: Rule) -> str | None:
    """A rule's prefilter expression; None: it is entered by its keywords."""
    if _keyword_triggered(rule):
        return key_expression(rule)
    # A rule that needs a companion within N lines (an AWS secret key next to its key id) is
    # triggered by the companion, which is rare, instead of by its own broad pattern (any
    # 40-character base64 run): the engine confirms the lines around each hit anyway.
    return hs_pattern(_trigger(rule), bool(rule.multiline))


def trigger_within_lines(rule: Rule) -> bool:
    """Whether every hit of ``rule``'s prefilter entry lies within one line, so that its hits
    on a line depend on that line's bytes alone (its expression, or its keywords where
    Hyperscan refuses the expression). False when unsure."""
    if any("\n" in k for k in rule.keywords):
        return False
    expr = _rule_expression(rule)
    return expr is None or not may_span_lines(expr)  # None: entered by its keywords


def may_span_lines(expr: str) -> bool:
    """Whether a match of ``expr`` (Python ``re`` syntax, which the prefilter's expressions
    share with PCRE) may hold a line break, or depend on text beyond the line it is on: a
    line break, a class or escape that admits one (``\\s``, ``[^x]``, ``.`` under ``(?s)``),
    a lookaround that does, ``\\A``/``\\Z``, a back-reference. True when unsure, and for
    anything ``re`` cannot parse (``\\p{...}``, ``regex``-only syntax)."""
    import importlib
    import sys
    import warnings

    try:
        with warnings.catch_warnings():  # the parser of ``re`` itself (sre_parse before 3.11)
            warnings.simplefilter("ignore", DeprecationWarning)
            new = sys.version_info >= (3, 11)
            c: Any = importlib.import_module("re._constants" if new else "sre_constants")
            parser: Any = importlib.import_module("re._parser" if new else "sre_parse")
        tree = parser.parse(expr)
    except Exception:  # a pattern it cannot parse, or a Python without that module
        return True
    try:
        categories_with_break, categories_without, safe_at = _categories(c)
    except AttributeError:
        return True

    def in_set(items: Any) -> bool:  # does the class admit "\n"?
        negate = False
        admits = False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                admits |= av == 10
            elif op is c.RANGE:
                admits |= av[0] <= 10 <= av[1]
            elif op is c.CATEGORY and av in categories_with_break:
                admits = True
            elif not (op is c.CATEGORY and av in categories_without):
                return True  # unsure
        return admits != negate

    def spans(items: Any, dotall: bool) -> bool:
        for op, av in items:
            if op is c.LITERAL:
                if av == 10:
                    return True
            elif op is c.NOT_LITERAL:
                if av != 10:
                    return True
            elif op is c.ANY:
                if dotall:
                    return True
            elif op is c.IN:
                if in_set(av):
                    return True
            elif op is c.AT:
                if av not in safe_at:
                    return True
            elif op is c.SUBPATTERN:
                _, add, remove, sub = av
                if spans(sub, (dotall or bool(add & c.SRE_FLAG_DOTALL)) and not remove & c.SRE_FLAG_DOTALL):
                    return True
            elif op is c.BRANCH:
                if any(spans(sub, dotall) for sub in av[1]):
                    return True
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
                if spans(av[2], dotall):
                    return True
            elif op is getattr(c, "ATOMIC_GROUP", None):
                if spans(av, dotall):
                    return True
            elif op in (c.ASSERT, c.ASSERT_NOT):
                if spans(av[1], dotall):
                    return True
            else:  # back-references, conditionals, anything else
                return True
        return False

    try:
        return spans(tree, bool(tree.state.flags & c.SRE_FLAG_DOTALL))
    except (AttributeError, TypeError, ValueError):  # a parse tree of another shape (another Python)
        return True


def _categories(c: Any) -> tuple[set[Any], set[Any], set[Any]]:
    """(class categories that admit a line break, those that do not, zero-width assertions that
    read no further than the line's own newline) in ``re``'s parse-tree constants ``c``."""
    with_break = {c.CATEGORY_SPACE, c.CATEGORY_NOT_DIGIT, c.CATEGORY_NOT_WORD, c.CATEGORY_LINEBREAK,
                  c.CATEGORY_UNI_SPACE, c.CATEGORY_UNI_NOT_DIGIT, c.CATEGORY_UNI_NOT_WORD, c.CATEGORY_UNI_LINEBREAK}
    without = {c.CATEGORY_NOT_SPACE, c.CATEGORY_DIGIT, c.CATEGORY_WORD, c.CATEGORY_NOT_LINEBREAK,
               c.CATEGORY_UNI_NOT_SPACE, c.CATEGORY_UNI_DIGIT, c.CATEGORY_UNI_WORD, c.CATEGORY_UNI_NOT_LINEBREAK}
    safe_at = {c.AT_BEGINNING, c.AT_END, c.AT_BOUNDARY, c.AT_NON_BOUNDARY, c.AT_LOC_BOUNDARY,
               c.AT_LOC_NON_BOUNDARY, c.AT_UNI_BOUNDARY, c.AT_UNI_NON_BOUNDARY}
    return with_break, without, safe_at


_NAME_ID = 1 << 30  # expression ids of provider-name words (see _name_expressions): not rule triggers


def _name_words(rules: Sequence[tuple[int, Rule]]) -> dict[int, tuple[str, ...]]:
    """Rule index -> the provider-name keywords (leakguard.context) of each rule entered by a key
    expression instead of its keywords: the provider-context step reads where those names stand,
    which the rule's own hits (the key name's shape) no longer say."""
    from leakguard.context import name_keywords

    names = name_keywords([r for _, r in rules])
    return {i: names[n] for n, (i, r) in enumerate(rules) if names.get(n) and _keyword_triggered(r)}


def _hs_expressions(rules: Sequence[tuple[int, Rule]],
                    refused: frozenset[int] = frozenset()) -> tuple[list[bytes], list[int], list[int]]:
    """One expression per (index, rule), or one per keyword for a rule without one (see
    :func:`key_expression`) or one whose expression Hyperscan refuses (``refused``: positions
    in ``rules``). Expression ids carry the rule index in the high bits. A rule entered by a
    key expression also gets one expression per provider-name keyword, its id marked with
    ``_NAME_ID`` and carrying the name's length (reported apart, for leakguard.context)."""
    assert _hs is not None
    pflags = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_MULTILINE | _hs.HS_FLAG_ALLOWEMPTY
    exprs: list[bytes] = []
    ids: list[int] = []
    flags: list[int] = []
    names = _name_words(rules)
    for n, (i, r) in enumerate(rules):
        expr = None if n in refused else _rule_expression(r)
        if expr is not None:
            exprs.append(expr.encode("utf-8"))
            ids.append(i << 8)
            flags.append(pflags)
            for k in names.get(i, ()):  # a literal (a class before it costs seconds of compile per 1,000)
                if len(k) < 256:  # its length in the id: the collector reads the byte before it
                    exprs.append(regex.escape(k.encode()))
                    ids.append(_NAME_ID | (i << 8) | len(k))
                    flags.append(_hs.HS_FLAG_CASELESS)
        else:
            for j, k in enumerate(r.keywords[:255]):
                exprs.append(regex.escape(k.encode()))
                ids.append((i << 8) | j)
                flags.append(_hs.HS_FLAG_CASELESS)
    return exprs, ids, flags


def _refused(rules: Sequence[tuple[int, Rule]]) -> frozenset[int]:
    """Positions of the rules whose prefilter expression Hyperscan will not compile (tried one by one:
    only after the whole database failed, which the built-in pack never does)."""
    assert _hs is not None
    pflags = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_MULTILINE | _hs.HS_FLAG_ALLOWEMPTY
    bad = set()
    for n, (_, r) in enumerate(rules):
        expr = _rule_expression(r)
        if expr is None:
            continue
        try:
            _hs.Database().compile(expressions=[expr.encode("utf-8")], ids=[0], elements=1, flags=[pflags])
        except Exception:
            bad.add(n)
    return frozenset(bad)


def hs_cache_path(digest: str) -> Path:
    version = getattr(_hs, "__version__", "")
    key = hashlib.sha256(f"{digest}|{version}|near-trigger|keyed-by-keyword|scoped-split|verbose-comments-dropped|key-expressions|name-literals"
                         .encode()).hexdigest()[:32]
    return cache_dir() / f"hs-{key}.db"


def _compile(rules: Sequence[tuple[int, Rule]]) -> object | None:
    assert _hs is not None
    if not rules:
        return None
    db: object = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    exprs, ids, flags = _hs_expressions(rules)
    try:  # one compile; a pattern Hyperscan refuses (a user rule) is found and entered by its keywords
        db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)  # type: ignore[attr-defined]
    except Exception:
        exprs, ids, flags = _hs_expressions(rules, _refused(rules))
        db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)  # type: ignore[attr-defined]
    return db


def _load(raw: bytes) -> object | None:
    assert _hs is not None
    if not raw:
        return None
    db: object = _hs.loadb(raw, _hs.HS_MODE_BLOCK)
    db.scratch = _hs.Scratch(db)  # type: ignore[attr-defined]  # a loaded database comes without scratch space
    return db


_KEEP_DATABASES = 8  # besides the one in use: other projects' rule sets (their own rules, enable/disable)


def _load_or_build(rules: Sequence[Rule], digest: str) -> tuple[object | None, object | None]:
    """(database of the rules that apply anywhere, database of the path-scoped ones); None if no such rule."""
    assert _hs is not None
    path = hs_cache_path(digest)
    try:
        raw = read_regular(path)  # never a FIFO or device
        (n,) = struct.unpack_from("<Q", raw)
        if len(raw) >= 8 + n:
            dbs = _load(raw[8:8 + n]), _load(raw[8 + n:])
            touch_if_old(path)
            return dbs
    except Exception:  # missing, unreadable or stale cache: rebuild
        pass
    with_kw = [(i, r) for i, r in enumerate(rules) if r.keywords]  # keywordless rules read every line anyway
    general = _compile([(i, r) for i, r in with_kw if not is_scoped(r)])
    scoped = _compile([(i, r) for i, r in with_kw if is_scoped(r)])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        g = _hs.dumpb(general) if general is not None else b""
        # a failed write (a full disk) leaves no temp file of megabytes behind
        replace_atomic(path, struct.pack("<Q", len(g)) + g + (_hs.dumpb(scoped) if scoped is not None else b""))
    except OSError:
        pass  # a read-only cache dir only costs the next run a compile
    else:  # each rule-pack change (an upgrade, an edited rule file) leaves a database of ~2 MB behind
        prune("hs-*.db", _KEEP_DATABASES, spare=path)
    return general, scoped


class PathPrefilter:
    """Which rules apply to a path (``paths: only/skip``), with one Hyperscan scan of the path
    instead of a regex search per pattern and rule: about 50 distinct path patterns in the
    built-in pack, searched on every file of a directory scan, cost more CPU than the
    Hyperscan scan of the file's text (a ``regex`` search with a timeout costs 10 to 40 us).

    A pattern whose syntax means the same in PCRE (:func:`_pcre_alike`) is compiled as it is
    where Hyperscan takes it: on a path of printable ASCII its answer is the regex's answer
    (no search needed); else in prefilter mode (a superset), and a pattern Hyperscan reports is
    then searched with its regex. So :meth:`applies` is ``rule.applies_to(path)`` exactly. Other
    paths (``\\s`` in a Python ``str`` pattern also matches U+001C..U+001F, PCRE's does not;
    non-ASCII), and the patterns left out of the database, are searched every time."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        assert _hs is not None
        srcs: list[str] = []
        for r in rules:
            for q in (*r.paths_only, *r.paths_skip):
                src = q.pattern
                if (isinstance(src, str) and src not in srcs and _pcre_alike(src)
                        and q.flags == regex.compile(src, regex.VERSION0).flags):
                    srcs.append(src)
        exact, approx = _hs.HS_FLAG_ALLOWEMPTY, _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_ALLOWEMPTY
        kept: list[tuple[str, int]] = []
        for src in srcs:
            for flags in (exact, approx):
                try:
                    _path_db([src], [flags])
                except Exception:  # refused as it is (a lookaround): try the superset; else searched every time
                    continue
                kept.append((src, flags))
                break
        self._ids = {src: n for n, (src, _) in enumerate(kept)}
        self._exact = frozenset(n for n, (_, flags) in enumerate(kept) if flags == exact)
        self._db: Any = _path_db([src for src, _ in kept], [flags for _, flags in kept]) if kept else None

    def candidates(self, path: str) -> frozenset[int] | None:
        """Ids of the patterns that may match ``path``; None: search every pattern."""
        if self._db is None or not (path.isascii() and path.isprintable()):
            return None
        found: set[int] = set()

        def on_match(id_: int, _from: int, _to: int, _flags: int, _ctx: object) -> None:
            found.add(id_)

        self._db.scan(path.encode("ascii"), match_event_handler=on_match)
        return frozenset(found)

    def _matches(self, pat: Any, path: str, cands: frozenset[int]) -> bool:
        n = self._ids.get(pat.pattern)
        if n is None:
            return bool(pat.search(path))
        return n in cands and (n in self._exact or bool(pat.search(path)))

    def applies(self, rule: Rule, path: str, cands: frozenset[int] | None) -> bool:
        """``rule.applies_to(path)``, from the patterns Hyperscan reported in ``cands``."""
        if cands is None:
            return rule.applies_to(path)
        if rule.paths_only and not any(self._matches(p, path, cands) for p in rule.paths_only):
            return False
        return not any(self._matches(p, path, cands) for p in rule.paths_skip)


_PCRE_ESCAPES = frozenset("wWdDsSbBAZ") | frozenset(r"""\.^$*+?()[]{}|/-_#:=,;@!%&~<>'" """)
_PCRE_GROUPS = ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?P<", "(?i:", "(?-i:")


def _pcre_alike(src: str) -> bool:
    """Whether ``src`` keeps its ``regex`` (VERSION0) meaning under Hyperscan's PCRE syntax on
    printable ASCII text, so that Hyperscan's prefilter mode matches a superset of it: ASCII,
    escapes from a short list (no ``\\p{..}``, which ``regex`` makes caseless under ``(?i)`` and
    PCRE does not), groups of the usual kinds, ``(?i)`` only at the start (``regex`` applies a
    global flag to the whole pattern wherever it stands), no ``{,n}`` (a repeat in ``regex``, a
    literal in PCRE) and no ``[[`` (nested sets). Anything else is searched every time."""
    if not src.isascii() or "{," in src or "[[" in src:
        return False
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 >= n or src[i + 1] not in _PCRE_ESCAPES:
                return False
            i += 2
            continue
        if c == "(" and src.startswith("(?", i):
            if not (src.startswith(_PCRE_GROUPS, i) or i == 0 and src.startswith("(?i)")):
                return False
        i += 1
    return True


def _path_db(sources: list[str], flags: list[int]) -> Any:
    assert _hs is not None
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    db.compile(expressions=[s.encode("ascii") for s in sources], ids=list(range(len(sources))),
               elements=len(sources), flags=flags)
    return db


class HyperscanKeywordPrefilter:
    """The keyword prefilter's contract on a Hyperscan database of the keywords
    only (case-insensitive literals): it compiles in well under a second for the
    whole pack, so a small scan in a fresh container (no cached database of the
    rule patterns) still runs at Hyperscan speed. Built each time, never cached."""

    name = "hyperscan-keywords"

    def __init__(self, rules: Sequence[Rule]) -> None:
        assert _hs is not None
        by_kw: dict[str, set[int]] = {}
        for i, r in enumerate(rules):
            for k in r.keywords:
                by_kw.setdefault(k, set()).add(i)
        self._kws = sorted(by_kw)
        if any("\n" in k for k in self._kws):  # its end would sit on another line than its start
            raise ValueError("keyword spans lines")
        self._rules_for = [tuple(sorted(by_kw[k])) for k in self._kws]
        self._db: Any = None
        if self._kws:
            self._db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
            self._db.compile(expressions=[regex.escape(k.encode()) for k in self._kws], ids=list(range(len(self._kws))),
                             elements=len(self._kws), flags=[_hs.HS_FLAG_CASELESS] * len(self._kws))

    def hits(self, data: bytes, scoped: bool = True) -> Hits:
        if not data or self._db is None:
            return {}
        out: dict[int, list[Any]] = {}
        self._db.scan(data, match_event_handler=_collector(data, out, self._rules_for))
        return {i: st[2] for i, st in out.items()}


# What the pure Python keyword prefilter may scan before the keyword database is built: it costs
# about 1 ms per KB of text plus 0.6 ms per chunk (about 2,000 keywords), the database ~0.1 s.
SMALL_SCAN_BYTES = 64_000
_CHUNK_COST = 600  # bytes' worth of per-chunk cost in the pure Python matcher


class SmallFirstPrefilter:
    """The keyword contract for a scan of unknown size: the pure Python matcher (no set-up)
    while the text seen stays under :data:`SMALL_SCAN_BYTES` (a pre-commit hook's few
    files, a one-file scan in a fresh container), then the keyword Hyperscan database,
    built once the work is big enough to repay it. Both report the keywords' lines, so
    findings are the same whichever one served a chunk."""

    name = "keywords-small-first"

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules = rules
        self._small: Prefilter = KeywordPrefilter(rules)
        self._big: Prefilter | None = None
        self._seen = 0

    def hits(self, data: bytes, scoped: bool = True) -> Hits:
        if self._big is None:
            self._seen += len(data) + _CHUNK_COST
            if self._seen <= SMALL_SCAN_BYTES:
                return self._small.hits(data, scoped)
            try:
                self._big = HyperscanKeywordPrefilter(self._rules)
            except Exception:  # pragma: no cover - a keyword Hyperscan refuses: the pure Python matcher takes them all
                self._big = self._small
        return self._big.hits(data, scoped)


def make_prefilter(rules: Sequence[Rule], digest: str, backend: str = "auto") -> Prefilter:
    """``auto`` and ``hyperscan``: Hyperscan where installed (compiled now if
    not cached); ``lazy``: Hyperscan only if already cached, else the keywords:
    pure Python for a small scan, a Hyperscan database of the keywords alone
    (built in ~0.1 s) once the scan is big enough (a small scan should not wait
    for a compile); ``keywords``: that database now; ``regex``: the pure Python one."""
    backend = os.environ.get("LEAKGUARD_PREFILTER", backend)
    if _hs is not None and (backend in ("auto", "hyperscan") or backend == "lazy" and hs_cache_path(digest).is_file()):
        return HyperscanPrefilter(rules, digest)
    if _hs is not None and backend == "lazy":
        return SmallFirstPrefilter(rules)
    if _hs is not None and backend == "keywords":
        try:
            return HyperscanKeywordPrefilter(rules)
        except Exception:  # pragma: no cover - a keyword Hyperscan refuses: the pure Python matcher takes them all
            pass
    return KeywordPrefilter(rules)
