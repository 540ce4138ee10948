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


def _pack_name(rules: Path) -> str:
    from leakguard.ruleset import pack_key, pack_name, rule_files

    return pack_name(pack_key([(f.name, f.read_text(encoding="utf-8")) for f in rule_files([rules])]))


def test_wheel_ships_no_stale_parsed_form(wheel: Path) -> None:
    """The wheel takes rules/ whole; rules/.parsed/ of a checkout with an editable install is
    refreshed first, so only the current files' parsed forms go in, and the one validated pack."""
    from leakguard.ruleset import PARSED_DIR, parsed_name

    names = {n.rsplit("/", 1)[1] for n in zipfile.ZipFile(wheel).namelist() if f"/{PARSED_DIR}/" in n}
    parsed = {parsed_name(f.read_text(encoding="utf-8")) for f in (ROOT / "rules").glob("*.yaml")}
    assert names == parsed | {_pack_name(ROOT / "rules")}


def test_a_fresh_install_reads_the_validated_pack_from_the_wheel(
        wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel carries the validated pack under the name the loader computes for the rules it
    ships: a first scan in an empty cache validates no rule and writes no cache, and reads the
    same rules (the same digest) as a validation of the rule files does."""
    from leakguard import ruleset

    with zipfile.ZipFile(wheel) as z:
        for n in z.namelist():
            if n.startswith("leakguard/_rules/"):
                z.extract(n, tmp_path)
    shipped = tmp_path / "leakguard" / "_rules"
    monkeypatch.setattr("leakguard.ruleset.default_rules_dir", lambda: shipped)
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ruleset, "compile_rule", lambda *a, **k: pytest.fail("a rule was validated"))
    rs = ruleset.load_ruleset()
    assert not (tmp_path / "cache").exists()
    monkeypatch.undo()
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "other-cache"))
    assert rs.digest == ruleset.load_ruleset().digest and len(rs.rules) > 1000


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
    (rules / PARSED_DIR / "pack-stale.json").write_text("{}")
    hook.write_checkout_parsed(rules)
    names = sorted(p.name for p in (rules / PARSED_DIR).iterdir())
    assert names == sorted([parsed_name(text), _pack_name(rules)])  # the stale entries are gone
    parsed = rules / PARSED_DIR / parsed_name(text)
    doc = json.loads(parsed.read_text())
    doc["rules"][0]["description"] = "from the parsed form"
    parsed.write_text(json.dumps(doc))
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("leakguard.ruleset.default_rules_dir", lambda: rules)
    assert load_file(rules / "ai.yaml")[0].description == "from the parsed form"  # what the loader reads
    from leakguard.ruleset import load_ruleset

    assert len(load_ruleset().rules) > 5 and not list((tmp_path / "cache").glob("pack-*.json"))  # the pack beside
