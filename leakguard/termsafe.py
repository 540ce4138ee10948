"""Untrusted text made safe to show on a terminal.

File names, matched text, rule names from a repository's rule files, commit
authors and messages all come from the scanned material, which is hostile
input: an escape sequence in a file name could move the cursor, rewrite what
the user reads, set the window title or hide a finding. :func:`safe` turns
every character a terminal could act on into a visible escape (``\\x1b``,
``\\n``, ``\\u202e``) and leaves the rest alone.

Escaped: C0/C1 control characters and DEL (escape sequences, newlines,
carriage returns, backspace, bell), Unicode format characters (bidirectional
overrides and isolates, zero-width characters), line/paragraph separators,
and lone surrogates (undecodable bytes of a non-UTF-8 file name, shown as the
byte ``\\xNN``). Rich markup is a separate concern: terminal output is built
from :class:`rich.text.Text` objects, which never parse markup; where a
string must go through markup, :func:`safe_markup` also escapes ``[``.
"""
from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})


def _escape_char(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # surrogateescape: the raw byte of an undecodable name
        return f"\\x{cp - 0xDC00:02x}"
    if cp <= 0xFF:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def _unsafe(ch: str) -> bool:
    if " " <= ch <= "~":  # printable ASCII: the common case, decided without a table
        return False
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def safe(text: object) -> str:
    """``text`` (any value, str() of it) with every terminal-active character escaped."""
    s = "" if text is None else str(text)
    if s.isascii() and s.isprintable():
        return s
    return "".join(_escape_char(c) if _unsafe(c) else c for c in s)


def safe_markup(text: object) -> str:
    """:func:`safe`, and rich markup escaped, for strings embedded in markup."""
    from rich.markup import escape

    return escape(safe(text))


def safe_lines(text: str) -> str:
    """Multi-line text (a diff) shown line by line: each line's content
    escaped, its newlines and tabs kept."""
    lines = text.split("\n")
    return "\n".join("\t".join(safe(part) for part in line.split("\t")) for line in lines)
