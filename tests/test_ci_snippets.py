"""The README's CI snippets (between <!-- ci:start --> and <!-- ci:end -->) run as written."""
from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_CMD = re.compile(r"^\s*(?:-\s+|run:\s+)?(leakguard\s.+?)\s*$")


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


def ci_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    start, end = text.index("<!-- ci:start -->"), text.index("<!-- ci:end -->")
    section = text[start:end]
    cmds: list[list[str]] = []
    for block in re.findall(r"```(?:sh|yaml)\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            m = _CMD.match(line)
            if m:
                cmds.append(shlex.split(m.group(1))[1:])
    return cmds


def test_snippets_have_the_expected_commands() -> None:
    cmds = ci_commands()
    assert cmds[0][:2] == ["baseline", "create"]
    formats = {c[c.index("--format") + 1] for c in cmds if "--format" in c}
    assert {"sarif", "gitlab", "junit"} <= formats
    assert all("--no-repo-config" in c for c in cmds if c[0] == "scan")


def test_snippets_run_against_a_fixture_tree(run_cli, tmp_path: Path) -> None:
    tree = tmp_path / "repo"
    (tree / "app").mkdir(parents=True)
    (tree / "app" / "settings.py").write_text('DATABASE_PASSWORD = "pR7#vKq29!xLm"\n')
    (tree / "README.md").write_text("demo\n")
    for argv in ci_commands():
        code, out, err = run_cli(argv, cwd=tree, stdin=b"a\nlegacy demo credential, rotated\n")
        assert code == 0, (argv, err)  # everything is baselined: every gate passes
    sarif = json.loads((tree / "leakguard.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert json.loads((tree / "gl-secret-detection-report.json").read_text())["scan"]["type"] == "secret_detection"
    assert ET.parse(tree / "leakguard-junit.xml").getroot().tag == "testsuites"
    # a new secret fails the gates as written
    (tree / "app" / "new.env").write_text("API_SECRET=Hq4vN8zLw2Tx6Rb9\n")
    gates = [c for c in ci_commands() if c[0] == "scan" and "--exit-code" not in c]
    codes = {run_cli(argv, cwd=tree)[0] for argv in gates}
    assert codes == {1}


def _project() -> dict:  # type: ignore[type-arg]
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib.loads((README.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_install_line_works_without_the_package_index() -> None:
    """`leakguard` on the package index is an unrelated project and `leakguard-scanner`
    is not published yet: every install line installs this checkout or what the team
    names in LEAKGUARD_PIP (a wheel or git requirement, documented with this version)."""
    from leakguard import __version__

    project = _project()
    name, version = project["name"], project["version"]
    assert name != "leakguard" and version == __version__
    assert project["scripts"]["leakguard"] == "leakguard.cli:run"  # the command keeps its name
    text = README.read_text(encoding="utf-8") + (README.parent / "docs" / "remediation.md").read_text(encoding="utf-8")
    lines = re.findall(r"pip install\s+(\S+)", text)
    assert lines
    for arg in lines:
        target = arg.strip("'\"`")
        assert target.startswith(".") or target == "$LEAKGUARD_PIP", arg  # this checkout, or the team's source
    assert f"{name}=={version}" not in text and "pip install leakguard" not in text  # nothing from the index
    wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    assert wheel in text and f"{name} @ git+" in text and f"@v{version}" in text


def test_pre_commit_local_snippet_matches_the_hook_definitions() -> None:
    """The README's `repo: local` hooks run what .pre-commit-hooks.yaml runs."""
    import yaml

    text = README.read_text(encoding="utf-8")
    block = text[text.index("<!-- pre-commit:start -->"):text.index("<!-- pre-commit:end -->")]
    (yml,) = re.findall(r"```yaml\n(.*?)```", block, flags=re.S)
    (repo,) = yaml.safe_load(yml)["repos"]
    assert repo["repo"] == "local"
    ours = {h["id"]: h for h in yaml.safe_load((README.parent / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in repo["hooks"]} == set(ours)
    for hook in repo["hooks"]:
        assert hook["language"] == "system"
        for key in ("entry", "pass_filenames", "always_run", "require_serial", "stages"):
            assert hook.get(key) == ours[hook["id"]].get(key), (hook["id"], key)


def test_pre_commit_snippet_pins_the_release_tag() -> None:
    text = README.read_text(encoding="utf-8")
    (rev,) = re.findall(r"^\s*rev:\s*(\S+)", text, flags=re.M)
    assert rev == f"v{_project()['version']}"  # releases are tagged v<version> (annotated, on main)
