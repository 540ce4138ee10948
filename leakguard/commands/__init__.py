"""Subcommands: each module has ``register(subparsers)`` that sets ``func``
to a ``cmd_*(args) -> int``. Explicit list, no plugin discovery.

A command module is imported when its command runs (or for ``--help``): a
one-file scan does not pay for the history scanner's or the migration's imports."""
from __future__ import annotations

import importlib
from types import ModuleType

NAMES = ("scan", "git", "rules", "baseline", "init", "migrate")  # in the order `leakguard --help` lists them


def load(name: str) -> ModuleType:
    """The module of command ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(name)
    return importlib.import_module(f"leakguard.commands.{name}")
