"""Remediation: for each finding, where the secret belongs in AWS, under which
name, what replaces the literal in its file, how to create it safely and what
to revoke first. :func:`suggest` is pure; ``plan``/``rewrite``/``apply`` build
``leakguard migrate`` on top of it (imported on demand, not here)."""
from __future__ import annotations

from collections.abc import Mapping

from leakguard.model import Finding, Remediation
from leakguard.remediation.aws import Decision, Settings, classify, decide
from leakguard.remediation.commands import create_command, rotate_step, store_elsewhere_command
from leakguard.remediation.naming import base_name, detect_env, env_var_name, key_from_line, key_slug, ps_name, sm_name
from leakguard.remediation.references import Target, do_not_store_advice, file_type, reference

__all__ = ["Settings", "suggest", "secret_name", "finding_key"]

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


def suggest(finding: Finding, rule_hint: Mapping[str, str], settings: Settings) -> Remediation:
    """Where ``finding``'s secret belongs and how to move it. Pure; holds no value."""
    hint = dict(rule_hint)
    key = finding_key(finding)
    kind = classify(finding.rule_id, hint, key)
    ftype = file_type(finding.path)
    size = len(finding.secret.encode("utf-8"))
    d: Decision = decide(kind, size, ftype, key, settings)
    provider, revoke = hint.get("provider", ""), hint.get("revoke", "")
    extra: list[tuple[str, str]] = [("kind", kind), ("file_type", ftype)]
    if provider:
        extra.append(("provider", provider))
    if revoke:
        extra.append(("revoke_url", revoke))
    first = rotate_step(kind, provider, revoke)
    file_advice = credential_file_advice(finding)
    if file_advice:
        extra.append(("credential_file", file_advice))
        first = f"{first}; then {file_advice}"
    if d.action == "do-not-store":
        extra.append(("instead", do_not_store_advice(ftype)))
        return Remediation("do-not-store", "none", "", d.rationale,
                           "delete the key from this file; " + do_not_store_advice(ftype), "text", "", first, tuple(extra))
    name = secret_name(finding, kind, "secretsmanager" if d.service == "none" else d.service, settings)
    if d.action == "store-elsewhere":
        return Remediation("store-elsewhere", "none", name, d.rationale,
                           f"read s3://BUCKET/{name} at runtime (SDK GetObject)", "text",
                           store_elsewhere_command(name), first, tuple(extra))
    json_key = "password" if kind == "database" else None
    env = env_var_name(key if key and kind != "database" else None, name.rsplit("/", 1)[-1]) if kind != "database" or not key else env_var_name(key, "")
    ref = reference(ftype, Target(d.service, name, json_key, env))
    if d.tier:
        extra.append(("tier", d.tier))
    if d.alternative:
        alt_name = secret_name(finding, kind, d.alternative, settings)
        extra.append(("alternative", f"{'Parameter Store SecureString' if d.alternative == 'ssm' else 'Secrets Manager'} {alt_name}"))
    if json_key:
        extra.append(("json_key", json_key))
    extra.append(("env_var", env))
    if ref.note:
        extra.append(("note", ref.note))
    extra.append(("rewrite", "yes" if ref.rewritable else "manual"))
    cmd = create_command(d.service, name, json_secret=bool(json_key), tier=d.tier or "Standard")
    return Remediation("store", d.service, name, d.rationale, ref.text, ref.language, cmd, first, tuple(extra))  # type: ignore[arg-type]
