"""A static ReDoS check for rule patterns.

Flags an unbounded repeat whose body holds another unbounded repeat that can eat
every character the body must consume, like ``(a+)+`` or ``(\\w+\\s?)+``: the
input then splits between iterations in exponentially many ways. ``(?:[a-z]+\\.)+``
passes (each iteration must consume a '.', which the inner repeat cannot).
`rulecheck` also times every pattern on adversarial input; this check catches the
shape before a slow input is found.
"""
from __future__ import annotations

import importlib
import re
import string
from typing import Any
def _sre() -> tuple[Any, Any]:
    try:  # Python 3.11+
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:  # Python 3.10
        return importlib.import_module("sre_parse"), importlib.import_module("sre_constants")


sp, sc = _sre()

ALL = frozenset(chr(i) for i in range(32, 127)) | {"\t", "\n", "\x80"}
CATS = {
    sc.CATEGORY_DIGIT: frozenset(string.digits),
    sc.CATEGORY_WORD: frozenset(string.ascii_letters + string.digits + "_") | {"\x80"},
    sc.CATEGORY_SPACE: frozenset(" \t\n\r\f\v"),
}
CATS[sc.CATEGORY_NOT_DIGIT] = ALL - CATS[sc.CATEGORY_DIGIT]
CATS[sc.CATEGORY_NOT_WORD] = ALL - CATS[sc.CATEGORY_WORD]
CATS[sc.CATEGORY_NOT_SPACE] = ALL - CATS[sc.CATEGORY_SPACE]
REPEATS = {sc.MAX_REPEAT, sc.MIN_REPEAT}
BIG = 64


def _clean(p: str) -> str:
    p = re.sub(r"\(\?P<\w+>", "(?:", p)
    return re.sub(r"\(\?P=\w+\)", "x", p)


def _charset(op: Any, av: Any) -> frozenset[str] | None:
    if op == sc.LITERAL:
        c = chr(av)
        return frozenset({c, c.lower(), c.upper()})
    if op == sc.NOT_LITERAL:
        return ALL - {chr(av)}
    if op == sc.ANY:
        return ALL
    if op == sc.IN:
        s: set[str] = set()
        neg = False
        for o, a in av:
            if o == sc.NEGATE:
                neg = True
            elif o == sc.LITERAL:
                s.add(chr(a))
            elif o == sc.RANGE:
                s.update(chr(i) for i in range(a[0], min(a[1], 127) + 1))
            elif o == sc.CATEGORY:
                s |= CATS.get(a, ALL)
        return frozenset(ALL - s) if neg else frozenset(s)
    return None


def _first_chars(items: Any) -> set[str]:
    """Characters an item sequence can consume (over-approximation)."""
    out: set[str] = set()
    for op, av in items:
        cs = _charset(op, av)
        if cs is not None:
            out |= cs
        elif op in REPEATS:
            out |= _first_chars(av[2])
        elif op == sc.SUBPATTERN:
            out |= _first_chars(av[-1])
        elif op == sc.BRANCH:
            for b in av[1]:
                out |= _first_chars(b)
    return out


def _mandatory_sets(items: Any) -> list[frozenset[str]]:
    """Char sets of the elements a sequence must consume at least once."""
    out: list[frozenset[str]] = []
    for op, av in items:
        cs = _charset(op, av)
        if cs is not None:
            out.append(cs)
        elif op in REPEATS and av[0] > 0:
            out.append(frozenset(_first_chars(av[2])))
        elif op == sc.SUBPATTERN:
            out.extend(_mandatory_sets(av[-1]))
        elif op == sc.BRANCH:
            out.append(frozenset(_first_chars([(op, av)])))
    return out


def _risks(items: Any, out: list[str]) -> None:
    for op, av in items:
        if op in REPEATS:
            lo, hi, body = av
            if hi == sc.MAXREPEAT or hi >= BIG:
                inner: list[frozenset[str]] = []
                _inner_unbounded(body, inner)
                for cs in inner:
                    # every character the loop body must consume can also be eaten by the
                    # inner repeat: the input splits between iterations in exponentially many ways
                    if all(m <= cs for m in _mandatory_sets(body)):
                        out.append("nested unbounded repeats over the same characters")
                        break
            _risks(body, out)
        elif op == sc.SUBPATTERN:
            _risks(av[-1], out)
        elif op == sc.BRANCH:
            for b in av[1]:
                _risks(b, out)
        elif op in (sc.ASSERT, sc.ASSERT_NOT):
            _risks(av[1], out)


def _inner_unbounded(items: Any, out: list[frozenset[str]]) -> None:
    for op, av in items:
        if op in REPEATS:
            if av[1] == sc.MAXREPEAT or av[1] >= BIG:
                out.append(frozenset(_first_chars(av[2])))
            _inner_unbounded(av[2], out)
        elif op == sc.SUBPATTERN:
            _inner_unbounded(av[-1], out)
        elif op == sc.BRANCH:
            for b in av[1]:
                _inner_unbounded(b, out)


def redos_risks(pattern: str) -> list[str]:
    flags = sp.SRE_FLAG_VERBOSE if re.match(r"\s*\(\?[a-z]*x", pattern) else 0
    try:
        tree = sp.parse(_clean(pattern), flags)
    except Exception:  # syntax only the `regex` module knows: the runtime check still applies
        return []
    out: list[str] = []
    _risks(tree, out)
    return sorted(set(out))
