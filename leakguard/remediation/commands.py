"""Shell commands that create a secret without the value ever reaching argv,
shell history or the report: the value is typed (hidden) by bash builtins into
a 0600 temp file and passed with ``file://`` (the AWS CLI reads the file's
bytes verbatim, so ``printf '%s'`` keeps a trailing newline out)."""
from __future__ import annotations

import shlex
from collections.abc import Sequence

_READ = ("umask 077; f=\"$(mktemp)\"; IFS= read -rs -p 'Value (input hidden): ' v; "
         "printf '%s' \"$v\" > \"$f\"; unset v")
_EDIT = "umask 077; f=\"$(mktemp)\"; \"${EDITOR:-vi}\" \"$f\"  # type the JSON into the editor"
_DONE = "shred -u \"$f\""


def _tags(tags: Sequence[tuple[str, str]]) -> str:
    return " ".join(shlex.quote(f"Key={k},Value={v}") for k, v in tags)


def create_command(service: str, name: str, *, json_secret: bool = False, tier: str = "Standard",
                   kms_key_id: str | None = None, tags: Sequence[tuple[str, str]] = (("managed-by", "leakguard"),),
                   description: str = "") -> str:
    q = shlex.quote(name)
    if service == "secretsmanager":
        cmd = f"aws secretsmanager create-secret --name {q} --secret-string \"file://$f\""
        if description:
            cmd += f" --description {shlex.quote(description)}"
        if kms_key_id:
            cmd += f" --kms-key-id {shlex.quote(kms_key_id)}"
    elif service == "ssm":
        cmd = f"aws ssm put-parameter --name {q} --type SecureString --value \"file://$f\" --tier {tier}"
        if kms_key_id:
            cmd += f" --key-id {shlex.quote(kms_key_id)}"
    else:
        return ""
    if tags:
        cmd += f" --tags {_tags(tags)}"
    return "\n".join((_EDIT if json_secret else _READ, cmd, _DONE))


def store_elsewhere_command(name: str) -> str:
    return "\n".join((_READ, f"aws s3 cp \"$f\" s3://BUCKET/{name} --sse aws:kms  # a private bucket", _DONE))


def rotate_step(kind: str, provider: str, revoke_url: str, no_revoke: str = "") -> str:
    """The step that comes first: storing a leaked value does not unleak it."""
    if kind == "aws-credentials":
        return ("deactivate the key now (aws iam update-access-key --access-key-id <its id> --status Inactive), "
                "check CloudTrail for its use, then delete it; the workload gets a role instead")
    where = f" at {provider}" if provider else " at its source"
    url = f" ({revoke_url})" if revoke_url else f" ({no_revoke})" if no_revoke else ""
    return f"rotate or revoke it{where}{url}: moving a leaked secret does not unleak it, nor does rewriting history"
