"""CSV: a header and one row per finding (spreadsheet-safe: cells that a
spreadsheet would run as a formula get a leading apostrophe)."""
from __future__ import annotations

import csv
from typing import IO, Any

from leakguard.model import Finding, ScanResult
from leakguard.redact import redact

COLUMNS = ("rule_id", "severity", "confidence", "path", "line", "column", "end_line", "end_column", "secret", "key",
           "description", "fingerprint", "status", "commit", "decoded",
           "verification")


def _safe(value: object) -> str:
    s = "" if value is None else str(value)
    return "'" + s if s[:1] in ("=", "+", "@", "\t", "\r") or (s[:1] == "-" and len(s) > 1) else s


def _row(f: Finding, reveal: bool) -> list[str]:
    loc = f.location
    values = (f.rule_id, f.severity, f.confidence, f.path, loc.line, loc.column, loc.end_line, loc.end_column,
              redact(f.secret, reveal=reveal), f.key, f.description, f.fingerprint, f.status, f.origin.commit, f.decoded,
              f.verification.summary() if f.verification is not None else "")
    return [_safe(v) for v in values]


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    w = csv.writer(stream, lineterminator="\n")
    w.writerow(COLUMNS)
    for f in result.findings:
        w.writerow(_row(f, reveal))
