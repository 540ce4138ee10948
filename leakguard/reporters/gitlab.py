"""GitLab secret-detection report (security report schema 15.x,
``secret-detection-report-format.json``) for ``artifacts:reports:secret_detection``.

Each vulnerability: a stable ``id`` (a UUID derived from our fingerprint),
``name``, ``description``, ``severity`` (Critical/High/Medium/Low),
``identifiers`` (the leakguard rule), and a ``location`` with ``file``,
``start_line``/``end_line`` and ``commit.sha`` (the commit for history scans;
GitLab's own analyzer uses ``0000000`` for working-tree files, as we do).
No secret value is written: ``raw_source_code_extract`` is left out.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import IO, Any

from leakguard import __version__
from leakguard.model import Finding, ScanResult
from leakguard.redact import redact

SCHEMA_VERSION = "15.0.7"
_NS = uuid.UUID("4f6b1c5e-2d43-4a8e-9b7e-6c1d2a3b4c5d")  # leakguard's namespace for report ids
_TIME = "%Y-%m-%dT%H:%M:%S"
_VENDOR = {"name": "leakguard"}


def _vulnerability(f: Finding, reveal: bool) -> dict[str, Any]:
    loc = f.location
    desc = f"{f.description}: {redact(f.secret, reveal=reveal)} in {f.path} line {loc.line}"
    if f.verification is not None:
        desc += f" (verified {f.verification.summary()})"
    if f.key:
        desc += f" (assigned to {f.key})"
    desc += f"; confidence: {f.confidence}"  # schema 15 has no confidence field
    v: dict[str, Any] = {
        "id": str(uuid.uuid5(_NS, f.fingerprint)),
        "name": f.description[:255],
        "description": desc,
        "severity": f.severity.capitalize(),
        "identifiers": [{"type": "leakguard_rule_id", "name": f"leakguard rule {f.rule_id}", "value": f.rule_id}],
        "location": {"file": f.path, "start_line": loc.line, "end_line": loc.end_line,
                     "commit": {"sha": f.origin.commit or "0000000"}},
    }
    r = f.remediation
    if r is not None:
        v["solution"] = " ".join(x for x in (r.rotate_first, r.rationale) if x)[:7000]
    else:
        v["solution"] = "Rotate or revoke the secret, then load it at run time from a secret store."
    o = f.origin
    if o.kind == "commit":
        v["location"]["commit"].update({k: val for k, val in (("author", o.author), ("date", o.date)) if val})
    return v


def to_report(result: ScanResult, *, reveal: bool = False, now: dt.datetime | None = None) -> dict[str, Any]:
    end = now or dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(seconds=result.stats.seconds)
    tool = {"id": "leakguard", "name": "leakguard", "version": __version__, "vendor": _VENDOR}
    return {
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": dict(tool),
            "scanner": {**tool, "url": "https://github.com/leakguard/leakguard"},
            "type": "secret_detection",
            "start_time": start.strftime(_TIME),
            "end_time": end.strftime(_TIME),
            "status": "success",
        },
        "vulnerabilities": [_vulnerability(f, reveal) for f in result.findings if f.status is None],
    }


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    json.dump(to_report(result, reveal=reveal), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
