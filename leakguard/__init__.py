"""leakguard: find leaked secrets and move them into AWS.

Data flows one way::

    sources (files, stdin, staged blobs, git history)  -> Chunk
      -> engine (prefilter -> regex -> entropy/filters) -> Finding
      -> baseline / allowlists                         -> ScanResult
      -> remediation (where the secret belongs in AWS)
      -> reporters (terminal, JSON, SARIF, ...)
"""
from __future__ import annotations

__version__ = "0.1.0"
