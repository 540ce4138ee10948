"""Config files: discovery, merging, validation (one line naming file and key), CI-safety warnings."""
from __future__ import annotations

import dataclasses

import json
import os
from pathlib import Path

import pytest

from leakguard.config import glob_to_regex, is_broad_glob, load_settings

PASSWORD_LINE = 'DATABASE_PASSWORD = "pR7#vKq29!xLm"\n'
PG_LINE = 'url = "postgres://app:Zr8kLq2mVx9T@db.internal:5432/shop"\n'


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    # identical findings by contract; avoids compiling a Hyperscan database per test session
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)  # a repository root for discovery (no git needed)
    (root / "app").mkdir()
    (root / "app" / "settings.py").write_text(PASSWORD_LINE)
    (root / "tests" / "fixtures").mkdir(parents=True)
    (root / "tests" / "fixtures" / "db.py").write_text(PG_LINE)
    return root


def scan_json(run_cli, root: Path, *extra: str) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scan", str(root), "-f", "json", "--no-progress", "--all-files", *extra])
    return code, (json.loads(out) if out.strip() else {}), err


def rules_of(doc: dict) -> set[str]:
    return {f["rule_id"] for f in doc["findings"]}


def test_no_config_reports_both(run_cli, repo: Path) -> None:
    code, doc, _ = scan_json(run_cli, repo)
    assert code == 1
    assert rules_of(doc) == {"generic-secret-quoted", "postgres-url-password"}


def test_path_glob_prunes_and_warns(run_cli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text('[allowlist]\npaths = ["tests/**"]\n')
    code, doc, err = scan_json(run_cli, repo)
    assert rules_of(doc) == {"generic-secret-quoted"}
    assert "hides 1 finding(s) a default run would report (1 by allowlist.paths)" in err
    assert "--no-repo-config" in err and doc["warnings"]


def test_allowlist_that_hides_nothing_does_not_warn(run_cli, repo: Path) -> None:
    """Judged by effect: a glob, even a broad one, that hides nothing on this scan is silent."""
    (repo / ".leakguard.toml").write_text('[allowlist]\npaths = ["docs/**", "*.md"]\n')
    code, doc, err = scan_json(run_cli, repo)
    assert rules_of(doc) == {"generic-secret-quoted", "postgres-url-password"}
    assert doc["warnings"] == [] and "warning" not in err
    (repo / ".leakguard.toml").write_text('[allowlist]\npaths = ["tests/fixtures/db.py"]\n')  # narrow, but hides one
    code, doc, err = scan_json(run_cli, repo)
    assert rules_of(doc) == {"generic-secret-quoted"} and "1 by allowlist.paths" in err


def test_no_repo_config_ignores_repository_config(run_cli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text('exit_code = 0\n[rules]\ndisable = ["generic-secret-quoted"]\n')
    code, doc, _ = scan_json(run_cli, repo)
    assert code == 0 and rules_of(doc) == {"postgres-url-password"}
    code, doc, _ = scan_json(run_cli, repo, "--no-repo-config")
    assert code == 1 and rules_of(doc) == {"generic-secret-quoted", "postgres-url-password"}


def test_explicit_config_applies_without_repo_warning(run_cli, repo: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "ci.toml"
    cfg.write_text('[rules]\ndisable = ["postgres-url-password"]\n')
    code, doc, err = scan_json(run_cli, repo, "--no-repo-config", "--config", str(cfg))
    assert rules_of(doc) == {"generic-secret-quoted"} and "warning" not in err


def test_pyproject_and_nested_configs_compose(run_cli, repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.leakguard.rules.severity]\n'
                                         '"generic-secret-quoted" = "low"\n')
    (repo / "app" / ".leakguard.toml").write_text('fail_on = "medium"\n')
    code, doc, _ = scan_json(run_cli, repo / "app")
    assert [f["severity"] for f in doc["findings"]] == ["low"]
    assert code == 0  # low < medium (nested config) -> reported, exit 0


def test_config_above_repository_root_is_ignored(tmp_path: Path, repo: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text("exit_code = 0\n")
    assert load_settings(repo).exit_code is None


@pytest.mark.parametrize(("secret_hash_kind"), ["value", "finding"])
def test_allowlist_by_hash(run_cli, repo: Path, secret_hash_kind: str) -> None:
    import hashlib

    if secret_hash_kind == "value":
        h = hashlib.sha256(b"pR7#vKq29!xLm").hexdigest()
    else:
        h = scan_json(run_cli, repo)[1]["findings"][0]["secret_hash"]
    (repo / ".leakguard.toml").write_text(f'[allowlist]\nhashes = ["{h}"]\n')
    _, doc, _ = scan_json(run_cli, repo)
    assert rules_of(doc) == {"postgres-url-password"}
    assert doc["stats"]["notes"]["findings allowlisted by config"] == 1


@pytest.mark.parametrize("allow", ['secrets = ["^Zr8k"]', 'lines = ["db\\\\.internal"]', 'stopwords = ["zr8klq"]'])
def test_allowlist_secret_line_stopword(run_cli, repo: Path, allow: str) -> None:
    (repo / ".leakguard.toml").write_text(f"[allowlist]\n{allow}\n")
    _, doc, _ = scan_json(run_cli, repo)
    assert rules_of(doc) == {"generic-secret-quoted"}


def test_max_file_size_and_cli_override(run_cli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text('max_file_size = "10B"\n')
    _, doc, err = scan_json(run_cli, repo)
    assert doc["findings"] == [] and "max_file_size" in err
    _, doc, _ = scan_json(run_cli, repo, "--max-file-size", "1MB")
    assert len(doc["findings"]) == 2


def test_fail_on_and_exit_code_from_config_and_cli(run_cli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text('exit_code = 9\n')
    assert scan_json(run_cli, repo)[0] == 9
    assert scan_json(run_cli, repo, "--exit-code", "6")[0] == 6
    assert scan_json(run_cli, repo, "--fail-on", "critical")[0] == 0
    (repo / ".leakguard.toml").write_text('fail_on = "critical"\n')
    assert scan_json(run_cli, repo)[0] == 0
    assert scan_json(run_cli, repo, "--fail-on", "high")[0] == 1


def test_rules_paths_relative_to_config(run_cli, repo: Path) -> None:
    rules = repo / "lg-rules"
    rules.mkdir()
    (rules / "corp.yaml").write_text(
        "rules:\n  - id: corp-token\n    description: Corp token\n    severity: critical\n"
        "    keywords: [corptok_]\n    pattern: '(?P<secret>corptok_[A-Za-z0-9]{20})'\n")
    (repo / "app" / "t.py").write_text("T = 'corptok_Ab3dE5gH7jK9mN1pQ3rS'\n")
    (repo / ".leakguard.toml").write_text('[rules]\npaths = ["lg-rules"]\ndefault = false\n')
    _, doc, err = scan_json(run_cli, repo)
    assert rules_of(doc) == {"corp-token"} and "by rules.default = false" in err


def test_remediation_table_exposed(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('[remediation]\nprefer = "cost"\nname_template = "{project}/{key}"\n')
    s = load_settings(tmp_path)
    assert (s.prefer, s.name_template) == ("cost", "{project}/{key}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.prefer = "features"  # type: ignore[misc]  # frozen


BAD = [
    ("colour = 1\n", "unknown key 'colour'"),
    ("[allowlist]\npath = []\n", "unknown key 'allowlist.path'"),
    ("[rules]\ndisable = \"generic-secret-quoted\"\n", "'rules.disable' must be a list of strings"),
    ("[allowlist]\nsecrets = [\"(unclosed\"]\n", "'allowlist.secrets[0]': bad regex"),
    ("fail_on = \"severe\"\n", "'fail_on' must be one of low, medium, high, critical"),
    ("min_confidence = \"sure\"\n", "'min_confidence' must be one of low, medium, high"),
    ("exit_code = \"1\"\n", "'exit_code' must be a whole number"),
    ("exit_code = 2\n", "reserved"),
    ("max_file_size = \"big\"\n", "'max_file_size' must be a size"),
    ("[remediation]\nprefer = \"cheap\"\n", "'remediation.prefer' must be one of features, cost"),
    ("[allowlist]\nhashes = [\"abc\"]\n", "not a sha256 hex digest"),
    ("[rules]\ndisable = [\"no-such-rule\"]\n", "unknown rule id 'no-such-rule'"),
    ("[rules.severity]\n\"generic-secret-quoted\" = \"huge\"\n", "'rules.severity.generic-secret-quoted'"),
    ("this is not toml\n", "invalid TOML"),
    # templates are checked when the config loads, not when the first secret is named (was exit 3)
    ("[remediation]\nname_template = \"{repo}/{name}\"\n", "unknown placeholder {repo}"),
    ("[remediation]\nname_template = \"{project}/{key\"\n", "not a valid template"),
    ("[remediation]\nname_template = \"{project}/{key!r}\"\n", "no format spec or conversion"),
    ("[remediation]\nname_template = \"{project}/{env}\"\n", "must contain {key}"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_config_is_one_line_exit_2(run_cli, repo: Path, text: str, message: str) -> None:
    cfg = repo / ".leakguard.toml"
    cfg.write_text(text)
    code, out, err = run_cli(["scan", str(repo), "--no-progress"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(cfg) in err and message in err


def test_missing_config_file(run_cli, repo: Path) -> None:
    code, _, err = run_cli(["scan", str(repo), "--config", str(repo / "nope.toml")])
    assert code == 2 and "nope.toml: config file not found" in err


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("tests/**", "tests/a/b.py", True), ("tests/**", "src/tests/a.py", False),
    ("*.env", "a/b/prod.env", True), ("docs/", "docs/x/y.md", True),
    ("src/*.py", "src/a.py", True), ("src/*.py", "src/a/b.py", False),
    ("**/fixtures/*", "a/b/fixtures/x", True), ("secrets.txt", "deep/secrets.txt", True),
    ("/secrets.txt", "deep/secrets.txt", False),
])
def test_glob(pattern: str, path: str, hit: bool) -> None:
    assert bool(glob_to_regex(pattern).match(path)) is hit


@pytest.mark.parametrize(("pattern", "broad"), [
    ("**", True), ("*", True), ("src/**", True), ("*.py", True), ("**/*.py", True), ("docs/", True),
    ("tests/fixtures/**", False), ("tests/fixtures/*.json", False), ("config/dev.env", False),
])
def test_broad_glob(pattern: str, broad: bool) -> None:
    assert is_broad_glob(pattern) is broad


def test_init_writes_parsable_starter_and_refuses_overwrite(run_cli, tmp_path: Path) -> None:
    assert run_cli(["init", str(tmp_path)])[0] == 0
    s = load_settings(tmp_path)
    assert s.files and not s.warnings and s.fail_on is None  # everything commented out
    code, _, err = run_cli(["init", str(tmp_path)])
    assert code == 2 and "already exists" in err
    assert run_cli(["init", str(tmp_path), "--force"])[0] == 0


def test_settings_hold_no_global_state(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d, code in ((a, 7), (b, 8)):
        d.mkdir()
        (d / ".leakguard.toml").write_text(f"exit_code = {code}\n")
    assert (load_settings(a).exit_code, load_settings(b).exit_code, load_settings(a).exit_code) == (7, 8, 7)
    assert os.getcwd()
