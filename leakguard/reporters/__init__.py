"""How findings are told. Each reporter is a module with
``write(result, stream, *, reveal=False, **options) -> None``; REPORTERS maps
``--format`` names to them (an explicit table, no plugin discovery). A reporter's
module is imported when its format is first asked for: a scan loads only the one
it writes (start-up time of a one-file scan)."""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from leakguard.model import ScanResult


class Reporter(Protocol):
    def __call__(self, result: ScanResult, stream: IO[str], *, reveal: bool = False, **options: Any) -> None: ...


_MODULES = {  # --format name -> module in this package whose ``write`` it is
    "terminal": "terminal",
    "json": "json",
    "jsonl": "jsonl",
    "sarif": "sarif",
    "csv": "csv",
    "junit": "junit",
    "gitlab": "gitlab",
    "markdown": "markdown",
    "html": "html",
}


class _Reporters(Mapping[str, Reporter]):
    """``--format`` name -> reporter, importing the reporter's module on first use."""

    def __getitem__(self, name: str) -> Reporter:
        module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
        write: Reporter = module.write
        return write

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Reporter] = _Reporters()
