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


def test_wheel_ships_no_stale_parsed_form(wheel: Path) -> None:
    """The wheel takes rules/ whole; rules/.parsed/ of a checkout with an editable install is
    refreshed first, so only the current files' parsed forms go in."""
    from leakguard.ruleset import PARSED_DIR, parsed_name

    names = {n.rsplit("/", 1)[1] for n in zipfile.ZipFile(wheel).namelist() if f"/{PARSED_DIR}/" in n}
    assert names == {parsed_name(f.read_text(encoding="utf-8")) for f in (ROOT / "rules").glob("*.yaml")}


def test_an_editable_install_writes_the_parsed_form_beside_the_checkouts_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pip install -e .`` runs the build hook as "editable": it writes rules/.parsed/ in the
    checkout (git ignores it), so a first scan in a fresh cache parses no YAML either."""
    import types

    from leakguard.ruleset import PARSED_DIR, load_file, parsed_name

    interface = types.ModuleType("hatchling.builders.hooks.plugin.interface")
    interface.BuildHookInterface = object  # type: ignore[attr-defined]  # hatchling is a build-time dependency only
    monkeypatch.setitem(sys.modules, "hatchling.builders.hooks.plugin.interface", interface)
    for parent in ("hatchling", "hatchling.builders", "hatchling.builders.hooks", "hatchling.builders.hooks.plugin"):
        monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))
    import importlib.util

    spec = importlib.util.spec_from_file_location("_wheel_hook_under_test", ROOT / "leakguard" / "_wheel_hook.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (ROOT / "rules" / "ai.yaml").read_text(encoding="utf-8")
    (rules / "ai.yaml").write_text(text, encoding="utf-8")
    (rules / PARSED_DIR).mkdir()
    (rules / PARSED_DIR / "rules-stale.json").write_text("{}")
    hook.write_checkout_parsed(rules)
    assert [p.name for p in (rules / PARSED_DIR).iterdir()] == [parsed_name(text)]  # the stale entry is gone
    parsed = rules / PARSED_DIR / parsed_name(text)
    doc = json.loads(parsed.read_text())
    doc["rules"][0]["description"] = "from the parsed form"
    parsed.write_text(json.dumps(doc))
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("leakguard.ruleset.default_rules_dir", lambda: rules)
    assert load_file(rules / "ai.yaml")[0].description == "from the parsed form"  # what the loader reads
