"""For each finding, where the secret belongs in AWS, under which name, what
replaces the literal in its file, how to create it safely and what to revoke
first. :func:`suggest` is pure; ``plan``/``rewrite``/``apply`` build
``leakguard migrate`` on top of it (imported on demand, not here). The public
names are re-exported by the package, ``leakguard.remediation``."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from leakguard.keypath import is_generic
from leakguard.model import Finding, Remediation
from leakguard.remediation.aws import Decision, Settings, classify, decide
from leakguard.remediation.commands import create_command, rotate_step, store_elsewhere_command
from leakguard.remediation.naming import base_name, detect_env, env_var_name, key_from_line, key_slug, ps_name, sm_name
from leakguard.remediation.references import Target, do_not_store_advice, file_type, reference

__all__ = ["Settings", "suggest", "suggest_all", "secret_name", "finding_key"]

_FALLBACK_SLUG = {
    "database": "db", "private-key": "private-key", "api-key": "api-key", "token": "token",
    "password": "password", "webhook": "webhook-url", "certificate": "certificate", "other": "secret",
}


def credential_file_advice(finding: Finding) -> str:
    """For a finding in a file whose whole purpose is to hold credentials
    (rule tags ``credential-file``, ``key-file``, ``password-hash``): the file
    itself leaves the repository, whatever happens to the value."""
    tags = set(finding.tags)
    if not tags & {"credential-file", "key-file", "password-hash"}:
        return ""
    untrack = f"git rm --cached {finding.path} and list it in .gitignore"
    if "password-hash" in tags:
        return (f"the hash is crackable offline: change the password it protects, {untrack}, "
                "and provision the file at deploy time from Secrets Manager")
    if "key-file" in tags:
        return (f"delete the key file from the repository ({untrack}); deploy it from Secrets Manager "
                "or replace it with a role or the platform's key store")
    return (f"this is a credential file: remove it from the repository ({untrack}); the workload reads the "
            "secret from Secrets Manager, or uses an IAM role where the service accepts one")


def finding_key(finding: Finding) -> str | None:
    """The name the secret is assigned to: the rule's key group, else the line's assignment target."""
    if finding.key:
        return finding.key
    return key_from_line(finding.line_text.splitlines()[0] if finding.line_text else "")


def secret_name(finding: Finding, kind: str, service: str, settings: Settings) -> str:
    key = finding_key(finding)
    slug = key_slug(key, finding.path, _FALLBACK_SLUG.get(kind, "secret"))
    if kind == "database":  # one JSON secret per database: drop -url/-password tails
        for tail in ("-connection-string", "-url", "-uri", "-dsn", "-password", "-passwd", "-pass", "-pwd"):
            if slug.endswith(tail) and len(slug) > len(tail):
                slug = slug[: -len(tail)]
                break
    env = settings.env if settings.env is not None else detect_env(finding.path)
    base = base_name(settings.name_template, settings.project, env, slug)
    return ps_name(base) if service == "ssm" else sm_name(base)


@dataclasses.dataclass(frozen=True, slots=True)
class _Forced:
    """The target one secret has everywhere (see :func:`suggest_all`)."""

    service: str
    name: str
    kind: str
    rationale: str


def suggest(finding: Finding, rule_hint: Mapping[str, str], settings: Settings,
            _forced: _Forced | None = None, head: str | None = None) -> Remediation:
    """Where ``finding``'s secret belongs and how to move it. Pure; holds no value.

    One finding alone; :func:`suggest_all` gives every place of one secret the same target.
    ``head``: the start of the file's content, where it is at hand (file types known by content)."""
    hint = dict(rule_hint)
    key = finding_key(finding)
    kind = _forced.kind if _forced else classify(finding.rule_id, hint, key)
    ftype = file_type(finding.path, head)
    size = len(finding.secret.encode("utf-8"))
    d: Decision = decide(kind, size, ftype, key, settings)
    if _forced is not None and d.action == "store":
        tier = d.tier if _forced.service == "ssm" else ""
        d = Decision("store", _forced.service, _forced.rationale, tier=tier,
                     alternative="" if d.service != _forced.service else d.alternative)
    provider, revoke = hint.get("provider", ""), hint.get("revoke", "")
    extra: list[tuple[str, str]] = [("kind", kind), ("file_type", ftype)]
    if provider:
        extra.append(("provider", provider))
    if revoke:
        extra.append(("revoke_url", revoke))
    first = rotate_step(kind, provider, revoke, hint.get("no_revoke", ""))
    file_advice = credential_file_advice(finding)
    if file_advice:
        extra.append(("credential_file", file_advice))
        first = f"{first}; then {file_advice}"
    if d.action == "do-not-store":
        extra.append(("instead", do_not_store_advice(ftype)))
        return Remediation("do-not-store", "none", "", d.rationale,
                           "delete the key from this file; " + do_not_store_advice(ftype), "text", "", first, tuple(extra))
    name = _forced.name if _forced else secret_name(finding, kind, "secretsmanager" if d.service == "none" else d.service, settings)
    if d.action == "store-elsewhere":
        return Remediation("store-elsewhere", "none", name, d.rationale,
                           f"read s3://BUCKET/{name} at runtime (SDK GetObject)", "text",
                           store_elsewhere_command(name), first, tuple(extra))
    json_key = "password" if kind == "database" else None
    env = env_var_name(key if key and kind != "database" else None, name.rsplit("/", 1)[-1]) if kind != "database" or not key else env_var_name(key, "")
    ref = reference(ftype, Target(d.service, name, json_key, env))
    if d.tier:
        extra.append(("tier", d.tier))
    if d.alternative:  # the same name, in the other service's form
        alt_name = ps_name(name) if d.alternative == "ssm" else sm_name(name)
        extra.append(("alternative", f"{'Parameter Store SecureString' if d.alternative == 'ssm' else 'Secrets Manager'} {alt_name}"))
    if json_key:
        extra.append(("json_key", json_key))
    extra.append(("env_var", env))
    if ref.note:
        extra.append(("note", ref.note))
    extra.append(("rewrite", "yes" if ref.rewritable else "manual"))
    cmd = create_command(d.service, name, json_secret=bool(json_key), tier=d.tier or "Standard")
    return Remediation("store", d.service, name, d.rationale, ref.text, ref.language, cmd, first, tuple(extra))  # type: ignore[arg-type]


def merge(rems: Sequence[Remediation]) -> Remediation:
    """One target for every place of a secret: do-not-store wins, then
    store-elsewhere, then Secrets Manager over Parameter Store (e.g. one place
    is a CloudFormation property that ssm-secure cannot serve)."""
    for action in ("do-not-store", "store-elsewhere"):
        for r in rems:
            if r.action == action:
                return r
    services = {r.service for r in rems}
    if len(services) > 1:
        return next(r for r in rems if r.service == "secretsmanager")
    return rems[0]


def suggest_all(findings: Sequence[Finding], hints: Callable[[str], Mapping[str, str]],
                settings: Settings, heads: Callable[[Finding], str | None] | None = None) -> list[Remediation]:
    """One remediation per finding, where every place of one secret value has
    the same target and the same name (``scan``, ``migrate`` and ``--prefer``
    agree), and each place keeps the reference for its own file type.

    The name comes from the first place (by path and line) whose variable or
    key names the secret, else the first place; two different secrets that
    map to one name get ``-2``, ``-3`` in that order. A specific variable name
    (``STRIPE_KEY``) is preferred over a generic one (``api_key``)."""
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].location.line,
                                                         findings[i].location.column, findings[i].rule_id))
    groups: dict[str, list[int]] = {}
    for i in order:
        groups.setdefault(findings[i].secret, []).append(i)
    out: list[Remediation | None] = [None] * len(findings)
    used: dict[str, int] = {}
    for idxs in groups.values():
        head = {i: heads(findings[i]) if heads else None for i in idxs}
        own = [suggest(findings[i], hints(findings[i].rule_id), settings, None, head[i]) for i in idxs]
        merged = merge(own)
        if merged.action == "store":
            same = [(i, r) for i, r in zip(idxs, own) if r.service == merged.service]
            keys = {i: finding_key(findings[i]) for i, _ in same}
            named = ([r for i, r in same if keys[i] and not is_generic(keys[i] or "")]
                     or [r for i, r in same if keys[i]] or [merged])
            name = named[0].name
        else:
            name = merged.name
        if name:
            n = used.get(name, 0) + 1
            used[name] = n
            if n > 1:  # a different secret already took this name
                name = f"{name}-{n}"
                used.setdefault(name, 1)
        kind = dict(merged.extra).get("kind", "other")
        forced = _Forced(merged.service, name, kind, merged.rationale)
        for i, r in zip(idxs, own):
            if merged.action != "store":
                out[i] = r if r.action == merged.action else merged
            elif r.action == "store" and (r.service, r.name, dict(r.extra).get("kind")) == (merged.service, name, kind):
                out[i] = r
            else:
                out[i] = suggest(findings[i], hints(findings[i].rule_id), settings, forced, head[i])
    return [r for r in out if r is not None]
