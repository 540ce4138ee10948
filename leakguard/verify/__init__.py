"""Live verification (``--verify``): ask each provider whether a found secret still works.

Off by default and never implied by the hooks. Each distinct credential is
checked once (findings are grouped by verifier and the values it sends), with
a bounded pool, per-host rate limits, timeouts and backoff; answers are cached
on disk by a hash for a short time. See ``docs/verification.md``.

Importing this package is cheap: the HTTP client and botocore load only when a
scan actually verifies something.
"""
from __future__ import annotations
