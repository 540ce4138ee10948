"""``migrate --apply``, AWS side: create each secret or parameter with boto3.

Idempotent: an existing secret with the same value counts as stored (a rerun
resumes); one with a different value is a conflict and is never overwritten.
Values are compared through GetSecretValue / GetParameter(WithDecryption)
in memory and never printed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leakguard.errors import LeakguardError, UsageError
from leakguard.remediation.plan import Entry


class AwsSetupError(LeakguardError):
    """No boto3, credentials or region: nothing was changed."""


@dataclass(frozen=True, slots=True)
class AwsOptions:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    kms_key_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    entry: Entry
    status: str  # created | exists | conflict | error | skipped
    detail: str = ""

    @property
    def stored(self) -> bool:
        return self.status in ("created", "exists")


def parse_tag(text: str) -> tuple[str, str]:
    k, sep, v = text.partition("=")
    if not sep or not k.strip():
        raise UsageError(f"--tag expects KEY=VALUE, got {text!r}")
    return k.strip(), v.strip()


def connect(opts: AwsOptions) -> tuple[Any, Any]:
    """(secretsmanager, ssm) clients, after checking boto3, region and credentials."""
    try:
        import boto3
        import botocore.exceptions
    except ImportError:
        raise AwsSetupError("--apply needs boto3: pip install boto3 (or the aws extra: pip install '.[aws]' in a leakguard checkout)") from None
    try:
        session = boto3.Session(profile_name=opts.profile, region_name=opts.region)
    except botocore.exceptions.ProfileNotFound:
        raise AwsSetupError(f"AWS profile {opts.profile!r} not found; nothing was changed") from None
    if not session.region_name:
        raise AwsSetupError("no AWS region: pass --region or set AWS_REGION; nothing was changed")
    try:
        creds = session.get_credentials()
    except botocore.exceptions.BotoCoreError as e:
        raise AwsSetupError(f"cannot load AWS credentials ({e}); nothing was changed") from None
    if creds is None:
        raise AwsSetupError("no AWS credentials found (set AWS_PROFILE, run aws sso login, or use a role); nothing was changed")
    kw: dict[str, Any] = {"endpoint_url": opts.endpoint_url} if opts.endpoint_url else {}
    return session.client("secretsmanager", **kw), session.client("ssm", **kw)


def _tags(entry: Entry, opts: AwsOptions) -> list[dict[str, str]]:
    tags = {"managed-by": "leakguard"}
    tags.update(dict(opts.tags))
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _code(e: Exception) -> str:
    return str(getattr(e, "response", {}).get("Error", {}).get("Code", type(e).__name__))


def store(entry: Entry, sm: Any, ssm: Any, opts: AwsOptions) -> Outcome:
    import botocore.exceptions

    if entry.remediation.action != "store":
        return Outcome(entry, "skipped", "nothing to store (" + entry.remediation.action + ")")
    try:
        if entry.service == "secretsmanager":
            return _store_sm(entry, sm, opts)
        return _store_ps(entry, ssm, opts)
    except botocore.exceptions.NoCredentialsError:
        raise AwsSetupError("no AWS credentials found; nothing more was changed") from None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        return Outcome(entry, "error", f"{_code(e)}: {str(e).splitlines()[0][:200]}")


def _store_sm(entry: Entry, sm: Any, opts: AwsOptions) -> Outcome:
    import botocore.exceptions

    name = entry.name
    try:
        current = sm.get_secret_value(SecretId=name).get("SecretString")
    except botocore.exceptions.ClientError as e:
        if _code(e) != "ResourceNotFoundException":
            if _code(e) == "InvalidRequestException":
                return Outcome(entry, "conflict", f"{name} exists but cannot be read (scheduled for deletion?); not overwritten")
            raise
        current = None
    except (KeyError, TypeError):
        current = None
    if current is not None:
        if _same(current, entry.value):
            return Outcome(entry, "exists", "already stored with this value")
        return Outcome(entry, "conflict", f"{name} already exists with a different value; not overwritten")
    kw: dict[str, Any] = {"Name": name, "SecretString": entry.value, "Tags": _tags(entry, opts),
                          "Description": "Migrated by leakguard"}
    if opts.kms_key_id:
        kw["KmsKeyId"] = opts.kms_key_id
    try:
        sm.create_secret(**kw)
    except botocore.exceptions.ClientError as e:
        if _code(e) == "ResourceExistsException":  # created meanwhile: compare again
            return _store_sm_existing(entry, sm)
        raise
    return Outcome(entry, "created", f"created secret {name}")


def _store_sm_existing(entry: Entry, sm: Any) -> Outcome:
    current = sm.get_secret_value(SecretId=entry.name).get("SecretString")
    if current is not None and _same(current, entry.value):
        return Outcome(entry, "exists", "already stored with this value")
    return Outcome(entry, "conflict", f"{entry.name} already exists with a different value; not overwritten")


def _store_ps(entry: Entry, ssm: Any, opts: AwsOptions) -> Outcome:
    import botocore.exceptions

    name = entry.name
    try:
        current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except botocore.exceptions.ClientError as e:
        if _code(e) != "ParameterNotFound":
            raise
        current = None
    if current is not None:
        if _same(current, entry.value):
            return Outcome(entry, "exists", "already stored with this value")
        return Outcome(entry, "conflict", f"{name} already exists with a different value; not overwritten")
    tier = dict(entry.remediation.extra).get("tier") or "Standard"
    kw: dict[str, Any] = {"Name": name, "Value": entry.value, "Type": "SecureString", "Tier": tier,
                          "Overwrite": False, "Tags": _tags(entry, opts), "Description": "Migrated by leakguard"}
    if opts.kms_key_id:
        kw["KeyId"] = opts.kms_key_id
    try:
        ssm.put_parameter(**kw)
    except botocore.exceptions.ClientError as e:
        if _code(e) == "ParameterAlreadyExists":
            cur = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
            if _same(cur, entry.value):
                return Outcome(entry, "exists", "already stored with this value")
            return Outcome(entry, "conflict", f"{name} already exists with a different value; not overwritten")
        raise
    return Outcome(entry, "created", f"created parameter {name} ({tier} tier)")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def managed_index(sm: Any, ssm: Any) -> tuple[dict[tuple[str, str], str], bool]:
    """(service, sha256 of value) -> name, for what an earlier run stored (tag managed-by=leakguard),
    and whether both listings were allowed. Lets a rerun find a value stored under another name
    instead of storing it twice; each service is listed on its own (one denied listing does not
    hide the other)."""
    import botocore.exceptions

    index: dict[tuple[str, str], str] = {}
    complete = True
    try:
        pages = sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "tag-key", "Values": ["managed-by"]}, {"Key": "tag-value", "Values": ["leakguard"]}])
        for page in pages:
            for s in page.get("SecretList", []):
                value = sm.get_secret_value(SecretId=s["Name"]).get("SecretString")
                if value is not None:
                    index.setdefault(("secretsmanager", _digest(value)), s["Name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        complete = False  # no ListSecrets permission: store_all falls back to names (DescribeSecret)
    try:
        pages = ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "tag:managed-by", "Values": ["leakguard"]}])
        for page in pages:
            for prm in page.get("Parameters", []):
                value = ssm.get_parameter(Name=prm["Name"], WithDecryption=True)["Parameter"]["Value"]
                index.setdefault(("ssm", _digest(value)), prm["Name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        complete = False
    return index, complete


MAX_NAME_SUFFIX = 20  # plan names a secret NAME-2, NAME-3 ... when another secret took NAME


def find_by_name(entry: Entry, sm: Any, ssm: Any) -> str | None:
    """Without list permissions: the NAME-k (k = 2, 3, ...) an earlier run stored this value
    under, found with DescribeSecret / GetParameter by name; None if there is none."""
    import botocore.exceptions

    for k in range(2, MAX_NAME_SUFFIX + 1):
        name = f"{entry.name}-{k}"
        try:
            if entry.service == "secretsmanager":
                tags = {t.get("Key"): t.get("Value") for t in sm.describe_secret(SecretId=name).get("Tags", [])}
                if tags.get("managed-by") != "leakguard":
                    continue
                current = sm.get_secret_value(SecretId=name).get("SecretString")
            else:
                current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except botocore.exceptions.ClientError as e:
            if _code(e) in ("ResourceNotFoundException", "ParameterNotFound"):
                return None  # names are taken in order: none further
            continue
        if current is not None and _same(current, entry.value):
            return name
    return None


def store_all(entries: Sequence[Entry], sm: Any, ssm: Any, opts: AwsOptions) -> list[Outcome]:
    index, complete = managed_index(sm, ssm)
    out: list[Outcome] = []
    for e in entries:
        if e.remediation.action == "store":
            known = index.get((e.service, _digest(e.value)))
            if known and known != e.name:  # stored by an earlier run under another name: reuse it
                e.remediation = dataclasses.replace(e.remediation, name=known)
                out.append(Outcome(e, "exists", f"already stored as {known}"))
                continue
        outcome = store(e, sm, ssm, opts)
        if outcome.status == "conflict" and not complete:
            known = find_by_name(e, sm, ssm)
            if known:
                e.remediation = dataclasses.replace(e.remediation, name=known)
                outcome = Outcome(e, "exists", f"already stored as {known} (found by name: listing is not allowed)")
        out.append(outcome)
    return out
