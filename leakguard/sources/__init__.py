"""Where text comes from. Each source yields Chunk or Skipped values."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from leakguard.model import Chunk, Skipped


class Source(Protocol):
    def chunks(self) -> Iterator[Chunk | Skipped]: ...
