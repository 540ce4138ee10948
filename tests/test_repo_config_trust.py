"""A repository cannot hide findings without a word, nor reach outside itself.

Each repository-config trick from issue 8 is judged by what it actually hides on
this scan (a default run, without the repository's config, is the yardstick),
and leakguard says so on stderr with counts; --no-repo-config shows everything."""
from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from tests.conftest import RunCli, git

_ALNUM = string.ascii_letters + string.digits


def ghp() -> str:
    """A random fake GitHub token whose checksum verifies (as tests/fake_tokens.py makes them)."""
    from leakguard import checksums

    body = "".join(secrets.choice(_ALNUM) for _ in range(30))
    return "ghp_" + body + checksums.base62(checksums.crc32(body))


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """Ten files, each with a live-format GitHub token."""
    for i in range(10):
        d = git_repo / "src" / f"m{i}"
        d.mkdir(parents=True)
        (d / "config.py").write_text(f'GITHUB_TOKEN = "{ghp()}"\n')
    return git_repo


def scan(run_cli: RunCli, repo: Path, *extra: str) -> tuple[int, list[dict], str]:
    code, out, err = run_cli(["scan", ".", "-f", "json", "--no-progress", *extra], cwd=repo)
    assert code in (0, 1), err
    return code, json.loads(out)["findings"], err


@pytest.mark.parametrize("toml, key", [
    ('[allowlist]\nlines = ["[=:]"]\n', "allowlist.lines"),
    ('[allowlist]\nsecrets = ["[A-Za-z0-9_]{6}"]\n', "allowlist.secrets"),
    ('[allowlist]\nstopwords = ["ghp_"]\n', "allowlist.stopwords"),
    ('[allowlist]\npaths = ["?*"]\n', "allowlist.paths"),
], ids=["lines", "secrets", "stopwords", "paths"])
def test_allowlist_that_hides_findings_is_named_with_counts(run_cli: RunCli, repo: Path, toml: str, key: str) -> None:
    code, found, err = scan(run_cli, repo)
    assert code == 1 and len(found) == 10
    (repo / ".leakguard.toml").write_text(toml)
    code, found, err = scan(run_cli, repo)
    assert code == 0 and found == []
    assert f"hides 10 finding(s) a default run would report (10 by {key})" in err and "--no-repo-config" in err
    code, found, _ = scan(run_cli, repo, "--no-repo-config")
    assert code == 1 and len(found) == 10


def test_severity_downgrade_below_fail_on_is_named(run_cli: RunCli, repo: Path) -> None:
    code, found, _ = scan(run_cli, repo, "--fail-on", "high")
    assert code == 1
    rule = found[0]["rule_id"]
    (repo / ".leakguard.toml").write_text(f'[rules.severity]\n"{rule}" = "low"\n')
    code, found, err = scan(run_cli, repo, "--fail-on", "high")
    assert code == 0 and len(found) == 10  # still reported, but no longer failing
    assert "lets 10 finding(s) that would fail a default run pass the gate (10 by rules.severity)" in err
    mine = repo.parent / "mine.toml"  # your own config says medium; the repository raises fail_on above it
    mine.write_text(f'[rules.severity]\n"{rule}" = "medium"\n')
    (repo / ".leakguard.toml").write_text('fail_on = "high"\n')
    code, _, err = scan(run_cli, repo, "--config", str(mine))
    assert code == 0 and "(10 by fail_on)" in err


def test_exit_code_zero_and_min_confidence_are_judged_too(run_cli: RunCli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text("exit_code = 0\n")
    code, found, err = scan(run_cli, repo)
    assert code == 0 and len(found) == 10 and "(10 by exit_code = 0)" in err
    (repo / "db.py").write_text('DATABASE_PASSWORD = "pR7#vKq29!xLm"\n')  # a medium-confidence finding
    (repo / ".leakguard.toml").write_text('min_confidence = "high"\n')
    code, found, err = scan(run_cli, repo)
    assert len(found) == 10 and "hides 1 finding(s) a default run would report (1 by min_confidence)" in err


def test_a_harmless_repository_config_is_silent(run_cli: RunCli, repo: Path) -> None:
    (repo / ".leakguard.toml").write_text('[allowlist]\nlines = ["EXAMPLE_ONLY"]\npaths = ["docs/**"]\n'
                                          'stopwords = ["placeholder"]\n')
    code, found, err = scan(run_cli, repo)
    assert code == 1 and len(found) == 10 and "warning" not in err


def test_your_own_config_file_is_not_warned_about(run_cli: RunCli, repo: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "ci.toml"
    cfg.write_text('[allowlist]\nstopwords = ["ghp_"]\n')
    code, found, err = scan(run_cli, repo, "--config", str(cfg))
    assert code == 0 and found == [] and "warning" not in err


def test_only_the_baseline_in_use_is_skipped(run_cli: RunCli, repo: Path) -> None:
    """A token in src/deep/.leakguard-baseline.json is a finding like any other file's."""
    deep = repo / "src" / "deep"
    deep.mkdir()
    (deep / ".leakguard-baseline.json").write_text(json.dumps({"token": ghp()}) + "\n")
    code, found, _ = scan(run_cli, repo)
    assert code == 1 and "src/deep/.leakguard-baseline.json" in {f["path"] for f in found}
    code, out, err = run_cli(["baseline", "create", "."], cwd=repo)
    assert code == 0, err
    code, found, _ = scan(run_cli, repo, "--baseline", ".leakguard-baseline.json")
    assert code == 0 and found == []  # the baseline in use (and every finding it accepts) is skipped


def test_repository_baseline_path_stays_inside(run_cli: RunCli, repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (repo / ".leakguard.toml").write_text(f'baseline = "{victim}"\n')
    code, _, err = run_cli(["baseline", "create", ".", "--force"], cwd=repo)
    assert code == 2 and "must stay inside the repository" in err and len(err.splitlines()) == 1
    assert victim.read_text() == "precious\n"
    (repo / ".leakguard.toml").write_text('baseline = "../victim.txt"\n')
    code, _, err = run_cli(["scan", ".", "--no-progress"], cwd=repo)
    assert code == 2 and "must stay inside the repository" in err
    (repo / "link.json").symlink_to(victim)  # a symlink inside pointing out is outside too
    (repo / ".leakguard.toml").write_text('baseline = "link.json"\n')
    code, _, err = run_cli(["baseline", "create", ".", "--force"], cwd=repo)
    assert code == 2 and victim.read_text() == "precious\n"
    (repo / ".leakguard.toml").write_text('[rules]\npaths = ["/etc"]\n')
    code, _, err = run_cli(["scan", ".", "--no-progress"], cwd=repo)
    assert code == 2 and "'rules.paths' must stay inside the repository" in err
    (repo / ".leakguard.toml").write_text('baseline = "ci/baseline.json"\n')  # inside: fine
    (repo / "ci").mkdir()
    code, _, err = run_cli(["baseline", "create", "."], cwd=repo)
    assert code == 0 and (repo / "ci" / "baseline.json").is_file(), err
    code, _, err = run_cli(["baseline", "create", ".", "--force", "--baseline", str(tmp_path / "mine.json")], cwd=repo)
    assert code == 0 and (tmp_path / "mine.json").is_file()  # your own command line may point anywhere
    git(repo, "status")


@pytest.mark.parametrize("action", ["create", "update", "prune"])
def test_baseline_commands_warn_about_what_the_repository_config_hides(run_cli: RunCli, repo: Path, action: str) -> None:
    """A baseline built under a hostile repository config must not silently absorb
    or drop findings: create, update and prune print the warning scan prints."""
    bl = repo / ".leakguard-baseline.json"
    if action != "create":  # a baseline of all ten, as a run without the repository config sees them
        code, _, err = run_cli(["baseline", "create", ".", "--no-repo-config"], cwd=repo)
        assert code == 0 and len(json.loads(bl.read_text())["entries"]) == 10, err
    (repo / ".leakguard.toml").write_text('[allowlist]\nstopwords = ["ghp_"]\n')
    code, _, err = run_cli(["baseline", action, ".", "--force"] if action == "create" else ["baseline", action, "."],
                           cwd=repo)
    assert code == 0, err
    assert "hides 10 finding(s) a default run would report (10 by allowlist.stopwords)" in err, err
    assert "--no-repo-config" in err and "pass the gate" not in err  # a baseline has no gate
    if action == "prune":
        assert json.loads(bl.read_text())["entries"] == []  # what it did, now said out loud
    (repo / ".leakguard.toml").write_text('[allowlist]\nstopwords = ["placeholder"]\n')  # hides nothing
    code, _, err = run_cli(["baseline", "update", "."], cwd=repo)
    assert code == 0 and "warning" not in err, err


@pytest.mark.parametrize("toml, key", [
    ('[rules]\ndisable = ["{rule}"]\n', "rules.disable"),
    ('[rules]\nenable = ["aws-access-key-id"]\n', "rules.enable"),
    ('[rules]\ndefault = false\npaths = ["mine.yaml"]\n', "rules.default = false"),
    ('max_file_size = "20B"\n', "max_file_size"),
], ids=["disable", "enable", "default", "max_file_size"])
def test_rule_selection_and_size_limit_are_judged_by_effect(run_cli: RunCli, repo: Path, toml: str, key: str) -> None:
    """rules.enable / disable / default = false and max_file_size say nothing for being
    there; they are named, with counts, when they hide findings a default run reports."""
    code, found, _ = scan(run_cli, repo)
    assert code == 1 and len(found) == 10
    rules: list[str] = []  # every rule that reports these tokens once the one before is off
    while found:
        rules.append(found[0]["rule_id"])
        _, found, _ = scan(run_cli, repo, *(f"--disable-rule={r}" for r in rules))
    (repo / "mine.yaml").write_text("rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                                    "    keywords: [tok=]\n    pattern: \"tok=(?P<secret>[a-z]{8,})\"\n")
    (repo / ".leakguard.toml").write_text(toml.replace('"{rule}"', ", ".join(f'"{r}"' for r in rules)))
    code, found, err = scan(run_cli, repo)
    assert code == 0 and found == []
    assert f"hides 10 finding(s) a default run would report (10 by {key})" in err, err
    code, found, _ = scan(run_cli, repo, "--no-repo-config")
    assert code == 1 and len(found) == 10
    for cmd in (["git", ".", "--no-cache"], ["baseline", "create", ".", "--force"]):
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "x", "--allow-empty")
        code, _, err = run_cli([*cmd, "--no-progress"], cwd=repo)
        assert code == 0 and f"(10 by {key})" in err, (cmd, err)


@pytest.mark.parametrize("toml", [
    '[rules]\ndisable = ["aws-access-key-id", "slack-webhook-url"]\n',
    '[rules]\nenable = ["{rule}"]\n',
    'max_file_size = "1KB"\n',
], ids=["disable", "enable", "max_file_size"])
def test_rule_selection_and_size_limit_that_hide_nothing_are_silent(run_cli: RunCli, repo: Path, toml: str) -> None:
    code, found, _ = scan(run_cli, repo)
    rule = found[0]["rule_id"]
    (repo / ".leakguard.toml").write_text(toml.replace("{rule}", rule))
    code, found, err = scan(run_cli, repo)
    assert code == 1 and len(found) == 10 and "warning" not in err, err


def test_a_baseline_the_repository_config_names_is_judged_like_an_allowlist(run_cli: RunCli, repo: Path) -> None:
    """`baseline = "..."` in a repository's config accepts findings as surely as
    allowlist.hashes: what it hides is counted; your own --baseline is not warned about."""
    code, _, err = run_cli(["baseline", "create", ".", "--baseline", "fixtures.json"], cwd=repo)
    assert code == 0, err
    (repo / ".leakguard.toml").write_text('baseline = "fixtures.json"\n')
    code, found, err = scan(run_cli, repo)
    assert code == 0 and found == []
    assert "hides 10 finding(s) a default run would report (10 by baseline)" in err, err
    code, found, err = scan(run_cli, repo, "--baseline", "fixtures.json")
    assert code == 0 and found == [] and "warning" not in err, err
    (repo / ".leakguard.toml").unlink()
    code, found, err = scan(run_cli, repo)
    assert code == 1 and len(found) == 10


def test_a_repository_rule_cannot_take_a_built_in_finding_s_span(run_cli: RunCli, repo: Path) -> None:
    """A rule file the repository's config adds may add findings, but never wins a span a
    built-in rule claims: a 'critical', 'confidence: low' rule over the whole assignment
    would otherwise outrank the GitHub rule and then fall below --min-confidence."""
    (repo / "lg").mkdir()
    (repo / "lg" / "house.yaml").write_text(
        "rules:\n"
        "  - id: house-token-format\n"
        "    description: our own token format\n"
        "    severity: critical\n"
        "    confidence: low\n"
        "    keywords: [ghp_]\n"
        "    pattern: '(?P<secret>(?:GITHUB_TOKEN = )?\"ghp_[A-Za-z0-9]{36}\")'\n"
        "    remediation: {kind: token}\n")
    (repo / ".leakguard.toml").write_text('[rules]\npaths = ["lg"]\n')
    code, found, _ = scan(run_cli, repo)
    assert code == 1
    assert sorted(f["rule_id"] for f in found if f["path"].startswith("src/")) == ["github-personal-access-token"] * 10
    # where no built-in rule claims the span, the repository's rule still reports
    (repo / "src" / "m0" / "config.py").write_text('print("ghp_' + "A1" * 18 + '")\n')  # no checksum, no name
    code, found, _ = scan(run_cli, repo, "--min-confidence", "low")
    assert [f["rule_id"] for f in found if f["path"] == "src/m0/config.py"] == ["house-token-format"]
