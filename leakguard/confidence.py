"""Confidence: how sure leakguard is that a match is a live secret.

The engine asks :func:`judge` about every candidate a rule's regex confirmed.
The answer is either a reason to drop it (only true non-secrets: empty
values, templates and references, well-known placeholders, vendors' example
keys, field names, hashes where hashes belong) or a confidence level:

- ``high``: a provider format or checksum, or a credential file;
- ``medium``: a value in a credential position that looks like a real secret;
- ``low``: a weak or dictionary-like value in a credential position.

What is reported is then decided by ``--min-confidence`` (default
``medium``), after detection: the engine always returns every level, so
caches of clean blobs do not depend on the setting. The rules of the model
are written up in docs/confidence.md.
"""
from __future__ import annotations

from collections.abc import Callable

from leakguard import filters
from leakguard.model import CONFIDENCES, ScanResult, confidence_rank
from leakguard.ruleset import Rule

DEFAULT_MIN_CONFIDENCE = "medium"


def judge(rule: Rule, secret: str, key: str | None, line: str) -> tuple[str | None, str]:
    """(reason to drop, None) or (None, confidence) for one candidate secret.

    The rule's own allowlists and entropy gate have already run."""
    mode = rule.confidence_mode
    if rule.filters and is_credential_file_rule(rule):
        reason = filters.credential_file_reason(secret)
        return (reason, "") if reason else (None, mode)
    if rule.filters:
        reason = filters.placeholder_reason(secret)
        if reason:
            return reason, ""
        if mode == "high" and rule.confidence is None:
            # a provider format whose value is a sample, a sequence or a password-ish word
            # is a documentation stand-in, not a token
            reason = filters.stand_in_reason(secret)
            if reason:
                return reason, ""
    if rule.generic:
        reason = filters.generic_reason(secret, key, line)
        if reason:
            return reason, ""
    if mode != "auto":
        return None, mode
    return None, value_confidence(secret, key, generic=rule.generic, filtered=rule.filters)


def is_credential_file_rule(rule: Rule) -> bool:
    """A rule that fires only inside files whose whole purpose is to hold
    credentials (tagged ``credential-file``, scoped by ``paths: only:``, with
    a level written in the rule file): every value there is reported at that
    level unless it holds no secret at all (filters.credential_file_reason).
    Credential-file syntax matched anywhere (an `echo ... > ~/.netrc` in a
    Dockerfile, a README) is judged like any other position with a level."""
    return rule.confidence is not None and rule.confidence != "auto" and bool(rule.paths_only) \
        and "credential-file" in rule.tags


def value_confidence(secret: str, key: str | None, *, generic: bool = True, filtered: bool = True) -> str:
    """'medium' for a value that looks like a real secret, 'low' for a weak one."""
    if filtered and filters.weak_reason(secret):
        return "low"
    if generic and filters.generic_weak_reason(secret, key):
        return "low"
    return "medium"


def why_low(secret: str, key: str | None) -> str | None:
    """Why a value in a credential position counts as weak (for docs and tests)."""
    return filters.weak_reason(secret) or filters.generic_weak_reason(secret, key)


def check_level(value: str) -> str:
    if value not in CONFIDENCES:
        raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}")
    return value


def at_least(min_confidence: str) -> Callable[[str], bool]:
    bar = confidence_rank(min_confidence)
    return lambda c: confidence_rank(c) >= bar


def apply_min_confidence(result: ScanResult, min_confidence: str) -> ScanResult:
    """Keep findings at or above ``min_confidence``; count the rest in the stats."""
    ok = at_least(min_confidence)
    kept = [f for f in result.findings if ok(f.confidence)]
    result.stats.below_min_confidence += len(result.findings) - len(kept)
    result.findings = kept
    return result
