"""The key path of an assignment in structured text: ``password`` under
``database:`` is ``database.password``.

Remediation names a secret after its key, and a generic key (``password``,
``token``) says little on its own: its parent does (docs/remediation.md,
"Names"). Looked up only for findings, from the lines above the match:
indentation (YAML), an opening brace (JSON) or a ``[section]`` header
(TOML, INI). Bounded: at most ``MAX_LINES`` lines back and ``MAX_DEPTH``
parents, so hostile content cannot make it expensive.
"""
from __future__ import annotations

import regex

# Keys that say nothing about what the secret is for: they get their parent.
GENERIC_KEYS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "token", "key", "api-key", "apikey",
    "auth", "credentials", "credential", "secret-key", "access-token", "private-key", "value",
})
MAX_LINES = 200
MAX_DEPTH = 4
_OPENER = regex.compile(r"""^(\s*)(?:-\s+)?["']?([A-Za-z_$][\w$.-]{0,80})["']?\s*(?::|=)\s*(?:[{\[]\s*)?(?:[#;].*)?$""")
_SECTION = regex.compile(r"""^\s*\[\[?\s*["']?([A-Za-z_][\w.-]{0,80})["']?\s*\]\]?\s*(?:[#;].*)?$""")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def is_generic(key: str) -> bool:
    return regex.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") in GENERIC_KEYS


def key_path(data: bytes, line_start: int, key: str) -> str:
    """A generic ``key`` prefixed with the keys of the blocks that enclose the
    line at ``line_start`` (byte offset of its first character); any other
    key as it is (``STRIPE_SECRET_KEY`` names itself)."""
    if not is_generic(key):
        return key
    end = data.find(b"\n", line_start)
    current = data[line_start:end if end >= 0 else len(data)].decode("utf-8", "replace")
    indent = _indent(current)
    parents: list[str] = []
    pos = line_start
    for _ in range(MAX_LINES):
        if pos <= 0 or len(parents) >= MAX_DEPTH:
            break
        start = data.rfind(b"\n", 0, pos - 1) + 1
        line = data[start:pos - 1].decode("utf-8", "replace").rstrip("\r")
        pos = start
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", ";")):
            continue
        if indent == 0:  # top level: a [section] header above names the table
            m = _SECTION.match(line)
            if m:
                parents.append(m.group(1))
                break
            continue
        if _indent(line) >= indent:
            continue
        m = _OPENER.match(line)
        if m is None:
            if stripped in ("{", "[", "-") or stripped.startswith("- "):  # an anonymous object or list item
                indent = _indent(line)
                continue
            break
        parents.append(m.group(2))
        indent = _indent(line)
        if indent == 0:
            break
    if not parents:
        return key
    return ".".join([*reversed(parents), key])
