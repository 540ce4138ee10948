"""``migrate --apply``, file side: replace each literal with its reference.

Only exact, local edits are made: a literal that is not where the scan saw it,
or that is part of a larger value, is left alone and reported. Writes are
atomic (temp file beside the target, then ``os.replace``) and keep the mode.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

from leakguard.fsio import TEMP_SUFFIX, write_file
from leakguard.redact import redact_line
from leakguard.remediation.plan import Entry, Place, literal_shape
from leakguard.remediation.references import Target, cfn_ref, python_expr, reference

_SHELL_ASSIGN = regex.compile(r"^\s*(?:export\s+)?[A-Za-z_]\w*=$")
_DOTENV = regex.compile(r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][\w.-]*)\s*=")
_HAS_IMPORT = {m: regex.compile(rf"(?m)^\s*(?:import\s+{m}\b|import\s+[\w\s,]*\b{m}\b|from\s+{m}\s+import)") for m in ("boto3", "json")}


@dataclass(slots=True)
class FileChange:
    path: str  # as in the plan (relative to the scan root)
    old: str
    new: str
    done: list[tuple[Entry, Place]] = field(default_factory=list)


@dataclass(slots=True)
class Skip:
    entry: Entry
    place: Place
    reason: str


def rewrite_line(line: str, entry: Entry, place: Place) -> tuple[str, str | None] | str:
    """(new line, line to insert above or None), or the reason it cannot be done."""
    secret = entry.secret
    i = line.find(secret)
    if i < 0 or not secret:
        return "the secret is no longer on that line (file changed since the scan?)"
    r = entry.remediation
    t = Target(r.service, r.name, dict(r.extra).get("json_key"), place.env_var)
    q, whole = literal_shape(line, secret)
    start, end = (i - 1, i + len(secret) + 1) if q else (i, i + len(secret))
    before, after = line[:start], line[end:]
    ft = place.file_type
    if ft in ("cloudformation", "serverless"):
        raw = cfn_ref(t) if ft == "cloudformation" else reference(ft, t).text
        if not q and whole and not place.path.endswith(".json"):
            return f"{before}'{raw}'{after}", None
        return line[:i] + raw + line[i + len(secret):], None
    if not whole and not (ft == "python" and q):
        return "the secret is part of a larger value (e.g. a URL): build that value at runtime from the stored secret"
    if ft == "python":
        if not q or (start > 0 and line[start - 1].isalnum()):
            return "not a plain string literal"
        return before + python_expr(t) + after, None
    if ft == "dotenv":
        m = _DOTENV.match(line)
        if not m:
            return "not a KEY=value line"
        svc = "Secrets Manager" if t.service == "secretsmanager" else "Parameter Store"
        return f"{m.group('lead')}{m.group('key')}=", f"# leakguard: value moved to {svc} {t.name}; inject it at runtime"
    if ft == "shell":
        if not _SHELL_ASSIGN.match(before):
            return "not a plain VAR=value assignment"
        return before + reference(ft, t).text + after, None
    if ft == "docker-compose":
        return before + ("${%s}" % t.env_var) + after, None
    return "file type not rewritten automatically: edit by hand"


def _insert_imports(text: str, modules: Iterable[str]) -> str:
    needed = [m for m in modules if not _HAS_IMPORT[m].search(text)]
    if not needed:
        return text
    lines = text.splitlines(keepends=True)
    nl = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    if i < len(lines) and regex.match(r"\s*[rRuU]?(\"\"\"|''')", lines[i]):  # module docstring
        quote = regex.match(r"\s*[rRuU]?(\"\"\"|''')", lines[i]).group(1)  # type: ignore[union-attr]
        rest = lines[i].split(quote, 1)[1]
        if quote not in rest:
            i += 1
            while i < len(lines) and quote not in lines[i]:
                i += 1
        i += 1
    j = i
    while j < len(lines) and (lines[j].startswith("from __future__") or not lines[j].strip()):
        if lines[j].startswith("from __future__"):
            i = j + 1
        j += 1
    return "".join(lines[:i]) + "".join(f"import {m}{nl}" for m in needed) + "".join(lines[i:])


def plan_changes(root: str, entries: Iterable[Entry]) -> tuple[list[FileChange], list[Skip]]:
    """What ``--apply`` would change, file by file; nothing is written."""
    by_file: dict[str, list[tuple[Entry, Place]]] = {}
    skips: list[Skip] = []
    for e in entries:
        for p in e.places:
            if not p.rewritable:
                skips.append(Skip(e, p, p.note or "edit by hand"))
            else:
                by_file.setdefault(p.path, []).append((e, p))
    changes: list[FileChange] = []
    for path, items in sorted(by_file.items()):
        full = os.path.join(root, path)
        try:
            with open(full, "rb") as fh:
                old = fh.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            skips.extend(Skip(e, p, f"cannot read the file: {exc.__class__.__name__}") for e, p in items)
            continue
        lines = old.splitlines(keepends=True)
        change = FileChange(path, old, old)
        imports: set[str] = set()
        for e, p in sorted(items, key=lambda ep: -ep[1].line):
            if not 1 <= p.line <= len(lines):
                skips.append(Skip(e, p, "line out of range (file changed since the scan?)"))
                continue
            raw = lines[p.line - 1]
            body = raw.rstrip("\r\n")
            ending = raw[len(body):]
            res = rewrite_line(body, e, p)
            if isinstance(res, str):
                skips.append(Skip(e, p, res))
                continue
            new_line, above = res
            lines[p.line - 1] = new_line + ending
            if above is not None:
                indent = body[: len(body) - len(body.lstrip())]
                lines.insert(p.line - 1, indent + above + (ending or "\n"))
            if p.file_type == "python":
                imports.add("boto3")
                if e.remediation.service == "secretsmanager" and dict(e.remediation.extra).get("json_key"):
                    imports.add("json")
            change.done.append((e, p))
        new = "".join(lines)
        if imports:
            new = _insert_imports(new, sorted(imports))
        change.new = new
        if change.done:
            changes.append(change)
    return changes, skips


def unified_diff(change: FileChange, secrets: Iterable[str] = ()) -> str:
    """The diff with every known secret redacted (removed and context lines hold them)."""
    old, new = change.old, change.new
    # mask before diffing: a secret spanning lines (a private key) is cut apart by the diff's line prefixes
    for secret in sorted({*secrets, *(e.secret for e, _ in change.done)}, key=len, reverse=True):
        old, new = redact_line(old, secret), redact_line(new, secret)
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{change.path}", f"b/{change.path}"))


def write_atomic(path: str, text: str) -> None:
    """Temp file in the same directory (``.NAME.XXXX.leakguard.tmp``, which a later run cleans up
    if this one is killed), same mode, fsync, then os.replace; a symlink or hard-linked file is
    written through (leakguard.fsio)."""
    write_file(path, text.encode("utf-8"), fsync=True, temp_suffix=TEMP_SUFFIX)


def dirty_paths(root: str) -> list[str] | None:
    """Tracked files with uncommitted changes, or None outside a git work tree.

    ``git status`` hashes changed work-tree files, which runs the repository's
    filter drivers: git runs through :mod:`leakguard.sources.git`, which
    empties them (and fsmonitor, hooks)."""
    from leakguard.errors import SourceError
    from leakguard.sources import git

    try:
        inside = git.run(root, "rev-parse", "--is-inside-work-tree", check=False, timeout=60)
        if inside.returncode != 0 or inside.stdout.strip() != b"true":
            return None
        out = git.run(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=all",
                      check=False, timeout=300)
    except SourceError:
        return None
    return [rec[3:].decode("utf-8", "replace") for rec in out.stdout.split(b"\0") if len(rec) > 3]
