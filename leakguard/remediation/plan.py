"""The migration plan: one entry per distinct secret value (the same value in
three files is one secret with three places), rendered as Markdown or JSON.

Neither rendering contains a value: entries carry the value only in memory
(``Entry.value``, ``repr=False``) for ``migrate --apply``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from leakguard.model import Finding, Remediation, Verification
from leakguard.remediation.advice import Settings, finding_key, merge, suggest_all
from leakguard.remediation.references import Target, file_type, reference
from leakguard.remediation.naming import env_var_name
from leakguard.termsafe import safe

PLAN_VERSION = "1"
_URL = regex.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@(?P<host>[^:/?\s@]+)(?::(?P<port>\d+))?(?:/(?P<db>[\w.-]+))?", regex.I)
_ENGINES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mariadb",
            "mongodb": "mongo", "mongodb+srv": "mongo", "redis": "redis", "rediss": "redis", "sqlserver": "sqlserver", "mssql": "sqlserver"}


@dataclass(frozen=True, slots=True)
class Place:
    path: str
    line: int
    file_type: str
    reference: str
    rewritable: bool
    note: str = ""
    commit: str | None = None  # history-only places (not in the work tree)
    env_var: str = ""


@dataclass(slots=True)
class Entry:
    id: str  # a short hash prefix, for cross-referencing; never the value
    kind: str
    rule_ids: list[str]
    remediation: Remediation
    places: list[Place]
    value: str = field(default="", repr=False)  # in memory only, what --apply stores
    secret: str = field(default="", repr=False)  # in memory only, the literal to replace
    verification: Verification | None = None  # with --verify: is the secret still live?

    @property
    def verdict(self) -> str:
        """What verification means for the migration (empty without --verify)."""
        v = self.verification
        if v is None:
            return ""
        if v.status == "active":
            return "active: rotate first, then migrate"
        if v.status == "inactive":
            return "dead: delete the literal, nothing to store"
        return f"unknown ({v.reason}): treat it as live"

    @property
    def name(self) -> str:
        return self.remediation.name

    @property
    def service(self) -> str:
        return self.remediation.service


@dataclass(slots=True)
class Plan:
    project: str
    prefer: str
    entries: list[Entry]
    managed_references: int = 0


_ASSIGN_TAIL = regex.compile(r"(?:=|:|=>)\s*$")
_CLEAN_REST = regex.compile(r"^\s*[,;]?\s*(?:(?:#|//).*)?$")


def literal_shape(line: str, secret: str) -> tuple[str | None, bool]:
    """(the quote around the secret or None, whether it is the whole assigned value)."""
    i = line.find(secret)
    if i < 0 or not secret:
        return None, False
    n = len(secret)
    q = line[i - 1] if i > 0 and i + n < len(line) and line[i - 1] == line[i + n] and line[i - 1] in "\"'`" else None
    start, end = (i - 1, i + n + 1) if q else (i, i + n)
    return q, bool(_ASSIGN_TAIL.search(line[:start])) and bool(_CLEAN_REST.match(line[end:]))


def _secret_id(secret: str) -> str:
    return hashlib.sha256(f"leakguard-plan\0{secret}".encode()).hexdigest()[:12]


def db_secret_value(secret: str, line: str) -> str:
    """The JSON secret for database credentials: the password plus what a
    connection URL on the same line says (engine, host, port, user, dbname)."""
    d: dict[str, str] = {}
    for m in _URL.finditer(line):
        if m.group("pw") == secret or secret in m.group("pw"):
            scheme = m.group("scheme").lower().split("+")[0]
            d["engine"] = _ENGINES.get(m.group("scheme").lower(), _ENGINES.get(scheme, scheme))
            d["host"] = m.group("host")
            if m.group("port"):
                d["port"] = m.group("port")
            if m.group("user"):
                d["username"] = m.group("user")
            if m.group("db"):
                d["dbname"] = m.group("db")
            break
    d["password"] = secret
    return json.dumps(d, sort_keys=True)


def build_plan(findings: Sequence[Finding], hints: Callable[[str], Mapping[str, str]], settings: Settings,
               managed_references: int = 0, heads: Callable[[Finding], str | None] | None = None) -> Plan:
    """One entry per distinct secret; names and targets come from
    :func:`leakguard.remediation.suggest_all`, exactly as ``scan`` shows them."""
    ordered = sorted(findings, key=lambda f: (f.path, f.location.line, f.location.column, f.rule_id))
    groups: dict[str, list[tuple[Finding, Remediation]]] = {}
    for f, r in zip(ordered, suggest_all(ordered, hints, settings, heads)):
        groups.setdefault(f.secret, []).append((f, r))
    entries: list[Entry] = []
    for secret, pairs in groups.items():
        fs = [f for f, _ in pairs]
        rems = [r for _, r in pairs]
        rem = merge(rems)
        extra = dict(rem.extra)
        kind = extra.get("kind", "other")
        value = db_secret_value(secret, fs[0].line_text) if extra.get("json_key") else secret
        places = [_place(f, rem, r) for f, r in pairs]
        verification = next((f.verification for f in fs if f.verification is not None), None)
        entries.append(Entry(_secret_id(secret), kind, sorted({f.rule_id for f in fs}), rem, places, value, secret,
                             verification))
    return Plan(settings.project, settings.prefer, entries, managed_references)


def _place(f: Finding, rem: Remediation, own: Remediation) -> Place:
    ftype = dict(own.extra).get("file_type") or file_type(f.path)
    commit = f.origin.commit if f.origin.kind == "commit" else None
    if rem.action != "store":
        return Place(f.path, f.location.line, ftype, rem.reference, False, "nothing to store: remove the literal by hand", commit)
    extra = dict(rem.extra)
    own_extra = dict(own.extra)
    env = own_extra.get("env_var") or env_var_name(finding_key(f), rem.name.rsplit("/", 1)[-1])
    ref = reference(ftype, Target(rem.service, rem.name, extra.get("json_key"), env))
    note = ref.note
    rewritable = ref.rewritable
    q, whole = literal_shape(f.line_text.splitlines()[0] if f.line_text else "", f.secret)
    if rewritable and ftype not in ("cloudformation", "serverless") and not whole and not (ftype == "python" and q):
        rewritable, note = False, "the secret is part of a larger value (e.g. a URL): build that value at runtime from the stored secret"
    if commit is not None:  # a history place: the commit cannot be edited, only the value revoked
        rewritable = False
        note = ("history only (removed since): nothing to rewrite; revoke it" if f.present_at_head is False
                else "introduced in history, still at HEAD: run `leakguard migrate` (without --git) to rewrite the work tree")
    elif f.origin.kind not in ("file", "commit"):
        rewritable, note = False, f"from {f.origin.kind}: nothing to rewrite on disk"
    return Place(f.path, f.location.line, ftype, ref.text, rewritable, note, commit, env)


# ---------------------------------------------------------------- rendering

def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "version": PLAN_VERSION,
        "project": plan.project,
        "prefer": plan.prefer,
        "managed_references": plan.managed_references,
        "secrets": [_entry_dict(e) for e in plan.entries],
    }


def _entry_dict(e: Entry) -> dict[str, Any]:
    r = e.remediation
    extra = dict(r.extra)
    return {
        "id": e.id,
        "kind": e.kind,
        "rules": e.rule_ids,
        "action": r.action,
        "service": r.service,
        "name": r.name,
        "tier": extra.get("tier"),
        "rationale": r.rationale,
        "alternative": extra.get("alternative"),
        "json_key": extra.get("json_key"),
        "create_command": r.create_command,
        "rotate_first": r.rotate_first,
        "instead": extra.get("instead"),
        **({"verification": e.verification.to_dict(), "verdict": e.verdict} if e.verification is not None else {}),
        "places": [{"path": p.path, "line": p.line, "file_type": p.file_type, "reference": p.reference,
                    "rewrite": "yes" if p.rewritable else "manual", "note": p.note, "commit": p.commit}
                   for p in e.places],
    }


_TARGET = {"secretsmanager": "Secrets Manager", "ssm": "Parameter Store SecureString"}


def render_markdown(plan: Plan) -> str:
    out = [f"# Migration plan for `{plan.project}`", ""]
    n = len(plan.entries)
    places = sum(len(e.places) for e in plan.entries)
    out.append(f"{n} secret{'s' if n != 1 else ''} in {places} place{'s' if places != 1 else ''}; "
               f"preference: {plan.prefer}. No secret value appears in this plan.")
    if plan.managed_references:
        out.append(f"Already migrated: {plan.managed_references} reference(s) to Secrets Manager / Parameter Store.")
    out.append("")
    for i, e in enumerate(plan.entries, 1):
        r = e.remediation
        if r.action == "do-not-store":
            title = "do not store: use IAM roles"
        elif r.action == "store-elsewhere":
            title = f"S3 (SSE-KMS) `{r.name}`"
        else:
            title = f"{_TARGET.get(r.service, r.service)} `{r.name}`"
        out += [f"## {i}. {title}", "",
                f"- secret `{e.id}` ({e.kind}; rule {', '.join(e.rule_ids)}), {len(e.places)} place(s)",
                f"- why: {r.rationale}"]
        extra = dict(r.extra)
        if extra.get("alternative"):
            out.append(f"- alternative: {extra['alternative']}")
        if extra.get("instead"):
            out.append(f"- instead: {extra['instead']}")
        if e.verification is not None:
            out.append(f"- **verified {e.verification.summary()}**: {e.verdict}")
        out += [f"- **first**: {r.rotate_first}", ""]
        if r.create_command:
            out += ["Create it (the value is typed hidden into a 0600 temp file, never in argv or history):", "",
                    "```sh", r.create_command, "```", ""]
        out.append("Places:")
        out.append("")
        for p in e.places:  # paths and keys come from the scanned tree: no control characters reach a terminal
            where = f"`{safe(p.path)}:{p.line}`" + (f" (commit {p.commit[:12]})" if p.commit else "")
            how = "rewritten by `migrate --apply`" if p.rewritable else "edit by hand"
            ref = safe(p.reference)
            out.append(f"- {where} [{p.file_type}, {how}]: `{ref}`" if "`" not in ref
                       else f"- {where} [{p.file_type}, {how}]: {ref}")
            if p.note:
                out.append(f"  - {safe(p.note)}")
        out.append("")
    if not plan.entries:
        out.append("Nothing to migrate.")
    return "\n".join(out).rstrip() + "\n"
