"""Build-time only (hatchling hook, not shipped): put the parsed form of every built-in rule
file into the wheel, beside the YAML (``leakguard/_rules/.parsed/rules-<hash>.json``).

Parsing the YAML of the whole pack takes about half a second, most of a one-file scan's
start-up; a fresh CI container has no cache to hold the parsed form yet. The loader
(``leakguard.ruleset._parse``) reads a file's parsed form only under the name derived from
the YAML text it has just read, so an edited file is parsed from its YAML again. The YAML
stays the source: this is derived data, like a ``.pyc``.

An editable install (``pip install -e .``) reads the checkout's ``rules/``: the hook writes the
same parsed form to ``rules/.parsed/`` there (git ignores it), so its first scan in a fresh
cache parses no YAML either.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def parsed_name(text: str) -> str:  # the same as leakguard.ruleset.parsed_name (a test checks)
    return f"rules-{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"


def write_parsed(rules_dir: Path, out: Path) -> dict[str, str]:
    """Parse every ``*.yaml`` of ``rules_dir`` into ``out``; returns {file written: its name}.
    A file whose data does not survive a JSON round trip is left out (the loader parses it)."""
    import yaml

    written: dict[str, str] = {}
    for f in sorted(rules_dir.glob("*.yaml")):
        text = f.read_text(encoding="utf-8")  # as the loader reads it (universal newlines)
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        data = json.dumps(doc, ensure_ascii=False)
        if json.loads(data) != doc:
            continue
        name = parsed_name(text)
        (out / name).write_text(data, encoding="utf-8")
        written[str(out / name)] = name
    return written


def write_checkout_parsed(rules_dir: Path) -> None:
    """``rules/.parsed/`` of a checkout (git ignores it), for ``pip install -e .``: the
    editable install's first scan in a fresh cache parses no YAML either. Rewritten on each
    editable install; a rule file edited since then is parsed from its YAML (and cached)."""
    out = rules_dir / ".parsed"
    if out.is_symlink() or out.exists() and not out.is_dir():
        return  # not ours to replace
    out.mkdir(exist_ok=True)
    for old in out.glob("rules-*.json"):
        old.unlink()
    write_parsed(rules_dir, out)


class ParsedRulesHook(BuildHookInterface):  # type: ignore[misc]  # hatchling has no type hints
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        if version == "editable":  # an editable install reads the checkout's rules/: its parsed form goes beside them
            write_checkout_parsed(Path(self.root) / "rules")
            return
        if (Path(self.root) / "rules" / ".parsed").is_dir():  # a checkout with an editable install: the wheel
            try:                                                 # takes rules/ whole, so no stale entry goes in
                write_checkout_parsed(Path(self.root) / "rules")
            except OSError:
                pass
        self._out = out = Path(tempfile.mkdtemp(prefix="leakguard-parsed-rules-"))
        for path, name in write_parsed(Path(self.root) / "rules", out).items():
            build_data["force_include"][path] = f"leakguard/_rules/.parsed/{name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
