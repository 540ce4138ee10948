"""Build-time only (hatchling hook, not shipped): put the parsed form of every built-in rule
file into the wheel, beside the YAML (``leakguard/_rules/.parsed/rules-<hash>.json``).

Parsing the YAML of the whole pack takes about half a second, most of a one-file scan's
start-up; a fresh CI container has no cache to hold the parsed form yet. The loader
(``leakguard.ruleset._parse``) reads a file's parsed form only under the name derived from
the YAML text it has just read, so an edited file is parsed from its YAML again. The YAML
stays the source: this is derived data, like a ``.pyc``.

Beside them goes the validated pack (``pack-<key>.json``, :func:`leakguard.ruleset.write_pack`):
validating the 1,200 rules is most of what a first scan in a fresh cache does after parsing. It is
written by leakguard's own loader, run from the source tree in a subprocess (the build environment
has ``regex``: pyproject's build requirements); the key covers the version, the loader's code and
every rule file, so an installed copy reads it only where all of them are the same.

An editable install (``pip install -e .``) reads the checkout's ``rules/``: the hook writes the
same parsed form and pack to ``rules/.parsed/`` there (git ignores it), so its first scan in a
fresh cache parses no YAML and validates no rule either (until the code or a rule file is edited).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
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


_WRITE_PACK = ("import sys; from pathlib import Path; from leakguard.ruleset import write_pack; "
               "print(write_pack(Path(sys.argv[1]), Path(sys.argv[2])).name)")


def write_pack(root: Path, rules_dir: Path, out: Path) -> str | None:
    """Write the validated pack of ``rules_dir`` into ``out`` with the loader of the source tree
    ``root``; returns the file name, or None (said on stderr) if it could not: the pack is derived
    data, an install without it validates the rules on its first run and caches them."""
    with tempfile.TemporaryDirectory(prefix="leakguard-pack-build-") as cache:
        env = {**os.environ, "LEAKGUARD_CACHE_DIR": cache,  # the build leaves nothing in the user's cache
               "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
        p = subprocess.run([sys.executable, "-c", _WRITE_PACK, str(rules_dir), str(out)], cwd=str(root), env=env,
                           capture_output=True, text=True, check=False)
    name = p.stdout.strip()
    if p.returncode != 0 or not name.startswith("pack-"):
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"leakguard build hook: the validated rule pack is not shipped ({tail})", file=sys.stderr)
        return None
    return name


def write_checkout_parsed(rules_dir: Path) -> None:
    """``rules/.parsed/`` of a checkout (git ignores it), for ``pip install -e .``: the
    editable install's first scan in a fresh cache parses no YAML either. Rewritten on each
    editable install; a rule file edited since then is parsed from its YAML (and cached)."""
    out = rules_dir / ".parsed"
    if out.is_symlink() or out.exists() and not out.is_dir():
        return  # not ours to replace
    out.mkdir(exist_ok=True)
    for old in (*out.glob("rules-*.json"), *out.glob("pack-*.json")):
        old.unlink()
    write_parsed(rules_dir, out)
    write_pack(rules_dir.parent, rules_dir, out)


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
        pack = write_pack(Path(self.root), Path(self.root) / "rules", out)
        if pack is not None:
            build_data["force_include"][str(out / pack)] = f"leakguard/_rules/.parsed/{pack}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
