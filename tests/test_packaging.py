"""`pip install .` must ship the rules: build the wheel and look inside."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    (built,) = out.glob("leakguard_scanner-*.whl")  # the distribution name (leakguard on the index is taken)
    return built


def test_wheel_contains_rule_pack(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("leakguard/_rules/") and n.endswith(".yaml")}
    in_repo = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert shipped == in_repo and len(in_repo) > 5
    assert any(n.endswith("entry_points.txt") for n in names)
    assert not any(n.endswith("_wheel_hook.py") for n in names)  # build time only


def test_wheel_carries_the_parsed_rule_pack_under_the_names_the_loader_reads(wheel: Path) -> None:
    """A fresh install parses no YAML: each rule file's parsed form is in the wheel, named by
    the file's content as leakguard.ruleset looks it up, and equal to what the YAML says."""
    import yaml

    from leakguard.ruleset import PARSED_DIR, parsed_name

    z = zipfile.ZipFile(wheel)
    for f in sorted((ROOT / "rules").glob("*.yaml")):
        text = f.read_text(encoding="utf-8")
        shipped = json.loads(z.read(f"leakguard/_rules/{PARSED_DIR}/{parsed_name(text)}"))
        assert shipped == yaml.safe_load(text), f.name
