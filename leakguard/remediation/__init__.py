"""Remediation: for each finding, where the secret belongs in AWS, under which
name, what replaces the literal in its file, how to create it safely and what
to revoke first (:mod:`leakguard.remediation.advice`); ``plan``/``rewrite``/``apply``
build ``leakguard migrate`` on top of it; :mod:`leakguard.remediation.managed`
counts references already in AWS.

The package itself imports nothing: every scan imports ``managed`` (one cheap
count per file), and a clean scan must not pay for the rest. The public names
below come from ``advice`` on first use."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leakguard.remediation.advice import Settings, finding_key, merge, secret_name, suggest, suggest_all

__all__ = ["Settings", "suggest", "suggest_all", "secret_name", "finding_key", "merge"]


def __getattr__(name: str) -> Any:  # PEP 562: ``from leakguard.remediation import suggest`` imports advice then
    if name in __all__:
        from leakguard.remediation import advice

        return getattr(advice, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
