from __future__ import annotations

from leakguard.cli import run

run()
