"""One JSON document: {"version", "tool", "findings": [...], "stats": {...}}.

The schema is documented in docs/json-schema.md and versioned by
SCHEMA_VERSION; fields are only ever added within a major version.
"""
from __future__ import annotations

import json
from typing import IO, Any

from leakguard import __version__
from leakguard.model import Finding, ScanResult
from leakguard.redact import redact, snippet

SCHEMA_VERSION = "1.0"


def finding_to_dict(f: Finding, *, reveal: bool = False) -> dict[str, Any]:
    loc = f.location
    o = f.origin
    d: dict[str, Any] = {
        "rule_id": f.rule_id,
        "description": f.description,
        "severity": f.severity,
        "confidence": f.confidence,
        "path": o.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "secret": redact(f.secret, reveal=reveal),
        "redacted": not reveal,
        "line_text": snippet(f.line_text, f.secret, reveal=reveal, width=500),
        "key": f.key,
        "fingerprint": f.fingerprint,
        "secret_hash": f.secret_hash,
        "entropy": f.entropy,
        "tags": list(f.tags),
    }
    if f.decoded:
        d.update(decoded=f.decoded, key_path=f.key_path)
    if o.kind == "commit":
        d.update(commit=o.commit, author=o.author, email=o.email, date=o.date,
                 present_at_head=f.present_at_head, occurrences=f.occurrences)
        if f.removed_in is not None:
            r = f.removed_in
            d["removed_in"] = {"commit": r.commit, "author": r.author, "email": r.email, "date": r.date}
    if f.status:
        d["status"] = f.status
    if f.verification is not None:
        d["verification"] = f.verification.to_dict()
    if f.remediation is not None:
        d["remediation"] = f.remediation.to_dict()
    return d


def result_to_dict(result: ScanResult, *, reveal: bool = False) -> dict[str, Any]:
    st = result.stats
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "leakguard", "version": __version__},
        "findings": [finding_to_dict(f, reveal=reveal) for f in result.findings],
        "stats": {
            "files": st.files,
            "bytes": st.bytes,
            "seconds": round(st.seconds, 3),
            "findings": len(result.findings),
            "skipped": dict(sorted(st.skipped.items())),
            "allowed_inline": st.allowed_inline,
            "suppressed_baseline": st.suppressed_baseline,
            "managed_references": st.managed_references,
            "below_min_confidence": st.below_min_confidence,
            "notes": dict(sorted(st.notes.items())),
            "timeouts": list(st.timeouts),
        },
        "skipped": [{"path": s.origin.path, "reason": s.reason, "detail": s.detail} for s in result.skipped],
        "warnings": list(result.warnings),
        "ruleset_digest": result.ruleset_digest,
    }


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    json.dump(result_to_dict(result, reveal=reveal), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
