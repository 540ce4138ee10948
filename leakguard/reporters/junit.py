"""JUnit XML: one failing test case per finding; one passing case when clean,
so CI test dashboards show the secret scan either way."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import IO, Any

from leakguard.model import ScanResult
from leakguard.redact import redact, snippet

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(s: str) -> str:
    return _INVALID_XML.sub("\ufffd", s)


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    gate = [f for f in result.findings if f.status is None]
    n = max(len(result.findings), 1)
    suites = ET.Element("testsuites", name="leakguard", tests=str(n), failures=str(len(gate)))
    suite = ET.SubElement(suites, "testsuite", name="leakguard secret scan", tests=str(n),
                          failures=str(len(gate)), errors="0", skipped=str(len(result.findings) - len(gate)),
                          time=f"{result.stats.seconds:.3f}")
    if not result.findings:
        ET.SubElement(suite, "testcase", classname="leakguard", name="no secrets found", time="0")
    for f in result.findings:
        loc = f.location
        case = ET.SubElement(suite, "testcase", classname=_clean(f.path),
                             name=_clean(f"{f.rule_id} at {f.path}:{loc.line}:{loc.column}"), time="0")
        secret = redact(f.secret, reveal=reveal)
        if f.status:
            ET.SubElement(case, "skipped", message=_clean(f"baselined ({f.status})"))
            continue
        body = [f"{f.description}", f"location: {f.path}:{loc.line}:{loc.column}", f"severity: {f.severity}", f"confidence: {f.confidence}",
                f"secret: {secret}", f"line: {snippet(f.line_text, f.secret, reveal=reveal).strip()}",
                f"fingerprint: {f.fingerprint}"]
        if f.verification is not None:
            body.append(f"verification: {f.verification.summary()}")
        if f.remediation is not None and f.remediation.rotate_first:
            body.append(f"fix: {f.remediation.rotate_first}")
        fail = ET.SubElement(case, "failure", message=_clean(f"{f.severity}: {f.description}: {secret}"),
                             type=f.severity)
        fail.text = _clean("\n".join(body))
    ET.indent(suites)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")
