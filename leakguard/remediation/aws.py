"""Where a secret belongs: the decision rules (docs/remediation.md, "Decision").

    0. AWS access keys / session tokens      -> do not store (IAM roles), deactivate the key
    1. > 64 KiB                              -> neither service: a KMS-encrypted S3 object
    2. > 8 KiB                               -> Secrets Manager (too large for Parameter Store)
    3. database credentials, rotation or
       cross-account needs                   -> Secrets Manager
    4. CloudFormation property outside the
       ssm-secure list                       -> Secrets Manager
    5. otherwise                             -> prefer=features: Secrets Manager
                                                prefer=cost:     Parameter Store SecureString
"""
from __future__ import annotations

from dataclasses import dataclass

import regex

from leakguard.remediation.naming import DEFAULT_TEMPLATE
from leakguard.remediation.references import SSM_SECURE_PROPERTIES

SM_MAX_BYTES = 65536
PS_ADVANCED_MAX_BYTES = 8192
PS_STANDARD_MAX_BYTES = 4096
KINDS = ("aws-credentials", "database", "private-key", "api-key", "token", "password", "webhook", "certificate", "other")
_AWS_KEY_NAME = regex.compile(r"(?i)aws_?(?:secret_?access_?key|access_?key(?:_?id)?|session_?token|secret_?key)")


@dataclass(frozen=True, slots=True)
class Settings:
    prefer: str = "features"  # features | cost
    name_template: str = DEFAULT_TEMPLATE
    project: str = "app"
    env: str | None = None  # overrides the environment found in the path
    needs_rotation: bool = False
    cross_account: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # store | do-not-store | store-elsewhere
    service: str  # secretsmanager | ssm | none
    rationale: str
    tier: str = ""  # Parameter Store tier
    alternative: str = ""


def classify(rule_id: str, hint: dict[str, str], key: str | None) -> str:
    """The remediation kind: the rule's hint, sharpened by the key name."""
    kind = hint.get("kind", "")
    if kind == "aws-credentials" or (key and _AWS_KEY_NAME.search(key)) or regex.match(r"aws-(access|secret|session)", rule_id):
        return "aws-credentials"
    if kind in KINDS:
        return kind
    rid = rule_id.lower()
    for word, k in (("private-key", "private-key"), ("webhook", "webhook"), ("password", "password"),
                    ("token", "token"), ("api-key", "api-key"), ("certificate", "certificate")):
        if word in rid:
            return k
    return "other"


def decide(kind: str, size: int, file_type: str, key: str | None, settings: Settings) -> Decision:
    if kind == "aws-credentials":
        return Decision("do-not-store", "none",
                        "AWS access keys are not stored anywhere: workloads get temporary credentials from an IAM role; deactivate this key")
    if size > SM_MAX_BYTES:
        return Decision("store-elsewhere", "none",
                        f"{size} bytes is over the 64 KiB Secrets Manager limit: store it as an S3 object encrypted with KMS (SSE-KMS)")
    if size > PS_ADVANCED_MAX_BYTES:
        return Decision("store", "secretsmanager", f"{size} bytes is too large for Parameter Store (8 KiB at most); Secrets Manager takes 64 KiB")
    if kind == "database":
        return Decision("store", "secretsmanager",
                        "database credentials: one JSON secret (engine, host, port, username, password, dbname) so Secrets Manager can rotate them")
    if settings.needs_rotation:
        return Decision("store", "secretsmanager", "rotation is built into Secrets Manager, not Parameter Store")
    if settings.cross_account:
        return Decision("store", "secretsmanager", "cross-account access: a Secrets Manager resource policy and a customer managed KMS key")
    if file_type == "cloudformation" and not (key and key.rsplit(".", 1)[-1].lower() in SSM_SECURE_PROPERTIES):
        return Decision("store", "secretsmanager",
                        "CloudFormation resolves ssm-secure only for a few properties (e.g. MasterUserPassword); secretsmanager works in any property")
    tier = "Standard" if size <= PS_STANDARD_MAX_BYTES else "Advanced"
    extra = {
        "private-key": "; if it terminates TLS on ALB, CloudFront or API Gateway, ACM is the better home",
        "certificate": "; if it terminates TLS on ALB, CloudFront or API Gateway, ACM is the better home",
        "webhook": "; it cannot be rotated automatically: revoke it at the provider",
    }.get(kind, "")
    if settings.prefer == "cost":
        return Decision("store", "ssm",
                        f"prefer=cost: {tier.lower()}-tier SecureString, no per-parameter charge (KMS charges apply){extra}",
                        tier=tier, alternative="secretsmanager")
    return Decision("store", "secretsmanager",
                    f"built-in rotation, versioning, resource policies; $0.40/secret/month{extra}",
                    alternative="ssm")
