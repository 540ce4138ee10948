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
    if not mentions_service(data):
        return 0
    return sum(1 for _ in _references().finditer(data))


def mentions_service(data: bytes) -> bool:
    """``secretsmanager``, ``parameterstore``, or ``ssm`` not inside a word.

    It runs on every file and on every blob version of a history, so where Hyperscan is
    installed it is one pass of a three-pattern database that stops at the first match:
    three ``bytes.find`` passes plus a Python walk over every ``classmethod`` (which holds
    "ssm") cost 24.6 s of a 397 s profile of sqlalchemy's history."""
    trigger = _trigger()
    if trigger is None:
        return b"secretsmanager" in data or b"parameterstore" in data or _has_ssm(data)
    db, terminated = trigger
    try:
        db.scan(data, match_event_handler=_stop)
    except terminated:  # the first match stopped the scan
        return True
    return False


@functools.cache
def _trigger() -> Any:  # (hyperscan.Database, hyperscan.ScanTerminated), or None without Hyperscan
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the platform's wheel
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    exprs = [rb"secretsmanager", rb"parameterstore", rb"(?:^|[^A-Za-z])ssm"]
    db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs),
               flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(exprs))
    return db, hyperscan.ScanTerminated


def _stop(*_: object) -> bool:
    return True  # one match is enough: stop the scan


def _has_ssm(data: bytes) -> bool:
    """'ssm' not inside a word: 'classmethod' must not wake the (slow) regex pass."""
    i = data.find(b"ssm")
    while i >= 0:
        if i == 0 or not data[i - 1:i].isalpha():
            return True
        i = data.find(b"ssm", i + 3)
    return False
