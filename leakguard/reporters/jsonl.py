"""JSON lines: one finding per line, the same objects as the JSON report's findings."""
from __future__ import annotations

import json
from typing import IO, Any

from leakguard.model import ScanResult
from leakguard.reporters.json import finding_to_dict


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    for f in result.findings:
        stream.write(json.dumps(finding_to_dict(f, reveal=reveal), ensure_ascii=False, sort_keys=True))
        stream.write("\n")
