"""Count references that already point at Secrets Manager / Parameter Store
("already migrated"), including those no rule matched (``valueFrom`` items,
Terraform data sources, Spring imports). A cheap pass: it runs only when the
text mentions one of the services."""
from __future__ import annotations

import functools
from typing import Any

_REF = (
    rb"""(?x)
      \{\{resolve:(?:secretsmanager|ssm-secure|ssm):[^}\s]+\}\}
    | \$\{(?:[\w-]+:)?ssm:[^}\s]+\}
    | ["']?valueFrom["']?[ \t]*[:=][ \t]*["']?(?:arn:aws[\w-]*:(?:secretsmanager|ssm):)?[\w/.:@+=-]+
    | arn:aws[\w-]*:secretsmanager:[\w-]*:\d*:secret:[\w/+=.@-]+
    | arn:aws[\w-]*:ssm:[\w-]*:\d*:parameter/[\w/.-]+
    | /aws/reference/secretsmanager/[\w/+=.@-]+
    | (?:data|ephemeral)\s+"aws_(?:secretsmanager_secret_version|ssm_parameter)"
    | aws-(?:secretsmanager|parameterstore):[\w/.;?=-]+
    """
)


@functools.cache
def _references() -> Any:  # regex.Pattern[bytes]: compiled for the first text that names a service
    import regex

    return regex.compile(_REF, regex.I)


def count_managed_references(data: bytes) -> int:
    """Every scanned file goes through here: the trigger words are the cheap check, and
    only a text that names one of the services is searched (and this module stays cheap
    to import: ``leakguard.remediation`` imports nothing)."""
    if not (b"secretsmanager" in data or b"parameterstore" in data or _has_ssm(data)):
        return 0
    return sum(1 for _ in _references().finditer(data))


def _has_ssm(data: bytes) -> bool:
    """'ssm' not inside a word: 'classmethod' must not wake the (slow) regex pass."""
    i = data.find(b"ssm")
    while i >= 0:
        if i == 0 or not data[i - 1:i].isalpha():
            return True
        i = data.find(b"ssm", i + 3)
    return False
