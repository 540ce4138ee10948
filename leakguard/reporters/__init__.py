"""How findings are told. Each reporter is a module with
``write(result, stream, *, reveal=False, **options) -> None``; REPORTERS maps
``--format`` names to them (an explicit dict, no plugin discovery)."""
from __future__ import annotations

from typing import IO, Any, Protocol

from leakguard.model import ScanResult
from leakguard.reporters import csv as csv_reporter
from leakguard.reporters import gitlab, html, jsonl, junit, markdown, sarif, terminal
from leakguard.reporters import json as json_reporter


class Reporter(Protocol):
    def __call__(self, result: ScanResult, stream: IO[str], *, reveal: bool = False, **options: Any) -> None: ...


REPORTERS: dict[str, Reporter] = {
    "terminal": terminal.write,
    "json": json_reporter.write,
    "jsonl": jsonl.write,
    "sarif": sarif.write,
    "csv": csv_reporter.write,
    "junit": junit.write,
    "gitlab": gitlab.write,
    "markdown": markdown.write,
    "html": html.write,
}
