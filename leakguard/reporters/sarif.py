"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

Rule metadata comes from the ``rules`` option (the command passes the rule set
it scanned with); without it, rules are described from the findings alone.
Results carry a redacted message only, never the secret, and our stable
fingerprint as ``partialFingerprints["leakguard/v1"]`` so alerts survive line moves.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from leakguard import __version__
from leakguard.model import Finding, ScanResult
from leakguard.redact import redact

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/leakguard/leakguard"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
FINGERPRINT_KEY = "leakguard/v1"
# SARIF `rank` (0-100, how likely a result is worth acting on) follows the confidence
RANK = {"high": 90.0, "medium": 60.0, "low": 30.0}
_LEVELS = ("note", "warning", "error")


def result_level(severity: str, confidence: str) -> str:
    """The severity's level, capped by the confidence: a medium-confidence finding is at
    most a warning, a low-confidence one a note."""
    cap = {"high": 2, "medium": 1, "low": 0}.get(confidence, 2)
    return _LEVELS[min(_LEVELS.index(LEVEL.get(severity, "warning")), cap)]


def rule_name(rule_id: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", rule_id) if p)


def help_text(rule: Any) -> str:
    hint = dict(getattr(rule, "remediation", ()) or ())
    where = hint.get("provider") or "its issuer"
    lines = [
        f"{rule.description}.",
        "",
        f"Treat the secret as leaked: rotate or revoke it at {where} first "
        "(removing it from the code or from history does not un-leak it).",
    ]
    if hint.get("revoke"):
        lines.append(f"How to revoke: {hint['revoke']}")
    elif hint.get("no_revoke"):
        lines.append(f"How to revoke: {hint['no_revoke']}")
    lines.append("Then load it at run time from a secret store (AWS Secrets Manager or SSM Parameter Store) "
                 "instead of the literal; `leakguard scan` prints the replacement for each finding.")
    lines.append("If it is not a secret, add `leakguard:allow` in a comment on the line, or baseline it "
                 "(`leakguard baseline update`).")
    refs = list(getattr(rule, "references", ()) or ())
    if refs:
        lines += ["", "References:", *(f"- {r}" for r in refs)]
    return "\n".join(lines)


def _rule(rule: Any) -> dict[str, Any]:
    text = help_text(rule)
    tags = ["security", "secret", *[t for t in getattr(rule, "tags", ()) if t not in ("security", "secret")]]
    d: dict[str, Any] = {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": rule.description[:1000]},
        "fullDescription": {"text": f"{rule.description}. Severity: {rule.severity}."},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": LEVEL.get(rule.severity, "warning")},
        "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
                       "precision": "medium" if getattr(rule, "generic", False) else "high"},
    }
    refs = getattr(rule, "references", ())
    if refs:
        d["helpUri"] = refs[0]
    return d


class _FindingRule:
    """Rule metadata recovered from a finding when no rule set was passed."""

    def __init__(self, f: Finding) -> None:
        self.id, self.description, self.severity, self.tags = f.rule_id, f.description, f.severity, f.tags


def _message(f: Finding, reveal: bool) -> str:
    msg = f"{f.description}: {redact(f.secret, reveal=reveal)}"
    if f.key:
        msg += f" (assigned to {f.key})"
    r = f.remediation
    if r is not None:
        if r.rotate_first:
            msg += f". First: {r.rotate_first}"
        if r.action == "store" and r.name:
            msg += f". Store it in {r.service} as {r.name}"
        if r.reference:
            msg += f" and replace the literal with: {r.reference.splitlines()[0]}"
    return msg


def _result(f: Finding, index: int, reveal: bool) -> dict[str, Any]:
    loc = f.location
    path = f.path.replace("\\", "/")
    # a file name that is not UTF-8 (surrogate escapes) is percent-encoded byte for byte
    encoded = quote(path.encode("utf-8", "surrogateescape"), safe="/")
    artifact: dict[str, str] = {"uri": "stdin" if f.path == "-" else encoded, "uriBaseId": "%SRCROOT%"}
    if path.startswith("/"):  # a file outside the repository / current directory
        artifact = {"uri": "file://" + encoded}
    res: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": result_level(f.severity, f.confidence),
        "rank": RANK.get(f.confidence, 60.0),
        "message": {"text": _message(f, reveal)},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": loc.line, "startColumn": loc.column,
                       "endLine": loc.end_line, "endColumn": max(loc.end_column, 1)},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity, "confidence": f.confidence, "tags": list(f.tags)},
    }
    if f.decoded:
        res["properties"].update(decoded=f.decoded, key_path=f.key_path)
    o = f.origin
    if o.kind == "commit" and o.commit:
        res["properties"].update(commit=o.commit, author=o.author, date=o.date)
    if f.verification is not None:
        res["properties"]["verification"] = f.verification.to_dict()
    if f.status:
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"in the leakguard baseline ({f.status})"}]
        res["baselineState"] = "unchanged"
    return res


def _base_ids(root: str) -> dict[str, Any]:
    """Result URIs are relative to %SRCROOT%, the repository root (else the scan's
    current directory): code scanning places them from the checkout's root;
    ``originalUriBaseIds`` says where that was on this machine."""
    if not root:
        return {}
    uri = Path(root).absolute().as_uri().rstrip("/") + "/"
    return {"originalUriBaseIds": {"%SRCROOT%": {"uri": uri}}}


def to_sarif(result: ScanResult, *, reveal: bool = False, rules: Sequence[Any] = ()) -> dict[str, Any]:
    described: list[Any] = list(rules)
    known = {r.id for r in described}
    for f in result.findings:
        if f.rule_id not in known:
            described.append(_FindingRule(f))
            known.add(f.rule_id)
    index = {r.id: i for i, r in enumerate(described)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leakguard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFO_URI,
                "rules": [_rule(r) for r in described],
            }},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [{"message": {"text": w}, "level": "warning"}
                                                            for w in result.warnings]}],
            **_base_ids(result.root),
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index[f.rule_id], reveal) for f in result.findings],
        }],
    }


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, rules: Sequence[Any] = (), **_: Any) -> None:
    json.dump(to_sarif(result, reveal=reveal, rules=rules), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
