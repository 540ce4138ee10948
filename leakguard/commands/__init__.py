"""Subcommands: each module has ``register(subparsers)`` that sets ``func``
to a ``cmd_*(args) -> int``. Explicit list, no plugin discovery."""
from __future__ import annotations

from types import ModuleType

from leakguard.commands import baseline, git, init, migrate, rules, scan

COMMANDS: list[ModuleType] = [scan, git, rules, baseline, init, migrate]
