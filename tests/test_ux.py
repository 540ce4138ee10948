"""What a user sees: --debug anywhere, --version, warnings on stderr, init's
starter config, untrusted text escaped in every human-facing output."""
from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RunCli

SECRET = "ghp_" + "q8Lk2vT9xNp4Rw7ZmB3cYh6JfD1sA5gE0uWo"  # fake, random-looking


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.mark.parametrize("argv", [["--debug", "scan"], ["scan", "--debug"], ["baseline", "create", "--debug"],
                                  ["rules", "list", "--debug"]])
def test_debug_is_accepted_before_and_after_the_subcommand(run_cli: RunCli, tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = run_cli([*argv, *([str(tmp_path)] if "scan" in argv or "create" in argv else [])], cwd=tmp_path)
    assert code == 0, err


def test_debug_after_the_subcommand_raises_internal_errors(run_cli: RunCli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("leakguard.commands.scan.scan_paths", boom)
    code, _, err = run_cli(["scan", str(tmp_path)])
    assert code == 3 and "--debug" in err
    with pytest.raises(RuntimeError):
        run_cli(["scan", str(tmp_path), "--debug"])


def test_version_names_the_rule_pack_digest() -> None:
    from leakguard import __version__
    from leakguard.ruleset import load_ruleset

    p = subprocess.run([sys.executable, "-m", "leakguard", "--version"], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"leakguard {__version__}")
    assert load_ruleset().digest[:12] in p.stdout


def test_config_warnings_go_to_stderr_in_terminal_format(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".leakguard.toml").write_text('[allowlist]\npaths = ["a.py"]\n')  # hides a finding: warned
    (tmp_path / "a.py").write_text(f'GITHUB_TOKEN = "{SECRET}"\n')
    code, out, err = run_cli(["scan", str(tmp_path), "--no-progress"])
    assert code == 0
    assert "warning: repository config" in err and "allowlist.paths" in err
    assert "repository config" not in out
    # written to a file, the report carries them too; stderr still has them once
    report = tmp_path / "report.txt"
    code, out, err = run_cli(["scan", str(tmp_path), "--no-progress", "-o", str(report)])
    assert err.count("warning: repository config") == 1 and "repository config" in report.read_text()
    code, out, err = run_cli(["scan", str(tmp_path), "--no-progress", "-f", "json"])
    assert err.count("warning: repository config") == 1 and json.loads(out)["warnings"]


def test_init_starter_config_scans_when_its_examples_are_uncommented(run_cli: RunCli, tmp_path: Path) -> None:
    tmp_path = tmp_path / "test_init_starter_config_scans0"
    (tmp_path / ".git").mkdir(parents=True)
    (tmp_path / "settings.py").write_text(f'GITHUB_TOKEN = "{SECRET}"\n')
    assert run_cli(["init", str(tmp_path)])[0] == 0
    cfg = tmp_path / ".leakguard.toml"
    lines = cfg.read_text().splitlines()
    # uncomment every example in the [remediation] table (the one that crashed the next scan)
    start = lines.index("[remediation]")
    for i in range(start, len(lines)):
        if lines[i].startswith("# ") and " = " in lines[i] and not lines[i].startswith("# e.g."):
            lines[i] = lines[i][2:]
    cfg.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["scan", str(tmp_path), "-f", "json", "--no-progress"])
    assert code == 1, err
    name = json.loads(out)["findings"][0]["remediation"]["name"]
    assert name == "test-init-starter-config-scans0/github-token"  # {project}/{env}/{key}, no env in the path


# -- terminal injection: nothing from the scanned material reaches the terminal raw

EVIL = "ev\x1b]0;pwned\x07il\x1b[2J[bold red]x\u202e\n.py"  # no "/": a file name


def test_termsafe_escapes_controls_bidi_and_undecodable_bytes() -> None:
    from leakguard.termsafe import safe

    assert safe("a\x1b[31mb\nc\td\x7f\x9b") == "a\\x1b[31mb\\nc\\td\\x7f\\x9b"
    assert safe("x\u202ey\u200bz\u2028") == "x\\u202ey\\u200bz\\u2028"
    assert safe("caf\udce9.py") == "caf\\xe9.py"  # surrogateescape byte of a Latin-1 name
    assert safe("plain/path-ü.py [bold]") == "plain/path-ü.py [bold]"


def _raw_controls(text: str) -> list[str]:
    import unicodedata

    return [c for c in text if c not in "\n" and unicodedata.category(c) in ("Cc", "Cf")]


@pytest.mark.parametrize("extra", [[], ["--summary"], ["--show-baselined"]])
def test_hostile_file_name_is_escaped_in_the_terminal_report(run_cli: RunCli, tmp_path: Path,
                                                             extra: list[str]) -> None:
    (tmp_path / EVIL).write_text(f'GITHUB_TOKEN = "{SECRET}"\n')
    code, out, err = run_cli(["scan", str(tmp_path), "--no-progress", *extra])
    assert code == 1, err
    assert _raw_controls(out) == [] and _raw_controls(err) == []
    assert "\\x1b]0;pwned\\x07" in out and "\\u202e\\n.py" in out
    assert "[bold red]x" in out  # shown as written, not interpreted as markup


def test_hostile_rule_description_and_commit_author_are_escaped(run_cli: RunCli, tmp_path: Path) -> None:
    from tests.conftest import git

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'rules:\n- id: corp-token\n  description: "Corp \\e[2J token [blink]x[/blink]"\n  severity: high\n'
        '  pattern: "(?P<secret>corp_[a-z0-9]{20})"\n  keywords: [corp_]\n  examples: ["corp_abcdefghij0123456789"]\n'
        '  negative_examples: ["corp_short"]\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("T = 'corp_q8lk2vt9xnp4rw7zmb3c'\n")
    git(repo, "add", "a.py")
    env = {**os.environ, "GIT_AUTHOR_NAME": "ev\x1b[31mil", "GIT_AUTHOR_EMAIL": "x@example.invalid",
           "GIT_COMMITTER_NAME": "c", "GIT_COMMITTER_EMAIL": "c@example.invalid"}
    subprocess.run(["git", "-c", "commit.gpgsign=false", "commit", "-qm", "add"], cwd=repo, env=env, check=True)
    code, out, err = run_cli(["git", str(repo), "--rules", str(rules), "--no-default-rules", "--no-progress"])
    assert code == 1, err
    assert _raw_controls(out) == [] and _raw_controls(err) == []
    assert "Corp \\x1b[2J token [blink]x[/blink]" in out and "ev\\x1b[31mil" in out


def test_error_messages_escape_the_path_they_name(run_cli: RunCli, tmp_path: Path) -> None:
    code, out, err = run_cli(["scan", str(tmp_path / "no\x1b[2Jsuch"), "--no-progress"])
    assert code == 2 and "\x1b" not in err and "no\\x1b[2Jsuch" in err


def test_markdown_report_escapes_control_characters(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / EVIL).write_text(f'GITHUB_TOKEN = "{SECRET}"\n')
    code, out, _ = run_cli(["scan", str(tmp_path), "-f", "markdown", "--no-progress"])
    assert code == 1 and _raw_controls(out) == []


# -- the audit report: grouped per secret, what to do first, counts, --summary

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcXa"  # fake


@pytest.fixture
def audit_tree(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "config").mkdir(parents=True)
    (root / "src").mkdir()
    (root / ".git").mkdir()
    (root / "config" / "settings.yml").write_text(f'database:\n  password: "Xk9v2LmQp7Rt4Wz"\nstripe:\n  api_key: "{STRIPE}"\n')
    (root / "src" / "app.py").write_text(f'STRIPE_KEY = "{STRIPE}"\n')
    (root / "src" / "pay.js").write_text(f'const apiKey = "{STRIPE}";\n')
    return root


def test_terminal_groups_one_secret_and_leads_with_what_to_do(run_cli: RunCli, audit_tree: Path) -> None:
    code, out, _ = run_cli(["scan", str(audit_tree), "--no-progress"])
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("leakguard: 2 secrets in 4 places")
    assert "Revoke or rotate" in out.split("CRITICAL")[0]  # the first step comes before any finding
    assert out.count("Stripe live secret API key") == 1  # one block for the secret, three places under it
    block = out.split("CRITICAL", 1)[1].split("\n\n", 1)[0]
    assert "3 places:" in block
    assert all(p in block for p in ("config/settings.yml:4:", "src/app.py:1:", "src/pay.js:1:"))
    assert "2 secrets by severity: 1 critical · 1 high" in out
    assert lines[-1].endswith("4 findings (2 secrets)") or "4 findings (2 secrets)" in lines[-1]


def test_terminal_shows_confidence_counts_when_findings_carry_one() -> None:
    import dataclasses
    import io

    from leakguard.model import Finding, Location, Origin, ScanResult, Stats
    from leakguard.reporters import terminal

    base = Finding("r", "Token", "high", (Origin("file", "a.py"),), Location(1, 1, 1, 5), "s3cr3tValue1",
                   "h", "fp", 3.0)
    fields = {f.name for f in dataclasses.fields(Finding)}
    if "confidence" not in fields:
        pytest.skip("Finding has no confidence field yet")
    fs = [dataclasses.replace(base, confidence="high"),  # type: ignore[call-arg]
          dataclasses.replace(base, secret="another1234", confidence="low")]  # type: ignore[call-arg]
    buf = io.StringIO()
    terminal.write(ScanResult(fs, Stats()), buf)
    assert "by confidence: 1 high · 1 low" in buf.getvalue()
    assert "confidence: low" in buf.getvalue()


def test_summary_is_one_line_per_secret(run_cli: RunCli, audit_tree: Path) -> None:
    code, out, _ = run_cli(["scan", str(audit_tree), "--no-progress", "--summary"])
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 + 2  # two secrets, the counts, the summary line
    assert "(+2 more)" in lines[0] and "first:" not in out
    code, _, err = run_cli(["scan", str(audit_tree), "--summary", "-f", "json"])
    assert code == 2 and "--summary" in err


def test_blocked_commit_says_how_to_mark_a_false_positive(run_cli: RunCli, git_repo: Path) -> None:
    from tests.conftest import git

    (git_repo / "a.py").write_text(f'GITHUB_TOKEN = "{SECRET}"\n')
    git(git_repo, "add", "a.py")
    code, out, _ = run_cli(["scan", "--staged", "--no-progress"], cwd=git_repo)
    assert code == 1
    assert "commit blocked" in out
    assert "leakguard:allow" in out and "leakguard baseline update" in out


def test_migrate_plan_and_dry_run_escape_hostile_names(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "x\x1b[2J.env").write_text(f"GITHUB_TOKEN={SECRET}\n")
    code, out, err = run_cli(["migrate", str(tmp_path), "--no-progress"])
    assert code == 0, err
    assert _raw_controls(out) == [] and "x\\x1b[2J.env" in out
    code, out, err = run_cli(["migrate", str(tmp_path), "--no-progress", "--apply"], cwd=tmp_path)
    assert _raw_controls(out) == [] and _raw_controls(err) == []


def test_rules_list_escapes_descriptions_from_rule_files(run_cli: RunCli, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('rules:\n- id: corp-token\n  description: "Corp \\e[2J token"\n  severity: high\n'
                     '  pattern: "(?P<secret>corp_[a-z0-9]{20})"\n  keywords: [corp_]\n'
                     '  examples: ["corp_abcdefghij0123456789"]\n  negative_examples: ["corp_short"]\n')
    code, out, _ = run_cli(["rules", "list", "--rules", str(rules)])
    assert code == 0 and _raw_controls(out) == [] and "Corp \\x1b[2J token" in out


def test_progress_bar_labels_bytes_and_fits_80_columns() -> None:
    import io

    from rich.console import Console
    from rich.progress import Progress

    from leakguard.commands._common import progress_columns, progress_label

    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system=None, legacy_windows=False)
    with Progress(*progress_columns(), console=console, auto_refresh=False) as bar:
        task = bar.add_task("x", total=3 * 2**30)
        bar.update(task, completed=123 * 2**20, description=progress_label("scanning history", 1234567, "blob"))
        bar.refresh()
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())  # cursor movement, not content
    lines = [ln for ln in text.replace("\r", "\n").split("\n") if ln.strip()]
    last = lines[-1]
    assert len(last) <= 80 and "done" not in last
    assert "1,234,567 blobs" in last or "…" in last
    assert "GB" in last or "MB" in last  # bytes shown as bytes
    assert len(progress_label("scanning history", 10**12, "blob")) <= 34


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_history_scan_shows_the_rule_compile_as_a_step(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard.cli import main
    from tests.conftest import git

    (git_repo / "a.py").write_text("x = 1\n")
    git(git_repo, "add", "a.py")
    git(git_repo, "commit", "-qm", "a")
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["git", str(git_repo), "--no-cache"]) == 0
    assert "compiling rules…" in err.getvalue()
    err2 = _Tty()
    monkeypatch.setattr("sys.stderr", err2)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["git", str(git_repo), "--no-cache", "--no-progress"]) == 0
    assert "compiling" not in err2.getvalue()


def test_plain_scan_of_a_big_tree_shows_the_first_compile_as_a_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first scan of 200+ files compiles the rule database for seconds: the progress
    bar names that step on a terminal; never with --no-progress, never on stdout."""
    from rich.console import Console

    from leakguard.cli import main
    from leakguard.commands import _common
    from leakguard.engine import LAZY_COMPILE_ITEMS
    from leakguard.prefilter import hyperscan_available

    if not hyperscan_available():
        pytest.skip("no hyperscan wheel here: nothing is compiled")
    monkeypatch.delenv("LEAKGUARD_PREFILTER", raising=False)
    rules = tmp_path / "mine.yaml"
    rules.write_text("rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                     "    keywords: [tok=]\n    pattern: \"tok=(?P<secret>[a-z]{8,})\"\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(LAZY_COMPILE_ITEMS + 5):
        (tree / f"m{i}.py").write_text(f"x = {i}\n")
    argv = ["scan", str(tree), "-f", "json", "--no-default-rules", "--rules", str(rules), "-j", "1"]

    def run(cache: str, *extra: str) -> str:
        monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / cache))
        err = _Tty()
        monkeypatch.setattr("sys.stderr", err)
        monkeypatch.setattr(_common, "_stderr_console",
                            lambda: Console(file=err, force_terminal=True, width=80, color_system=None))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*argv, *extra]) == 0
        assert json.loads(out.getvalue())["findings"] == []  # stdout stays the report alone
        return err.getvalue()

    assert _common.COMPILING in run("cold")
    assert _common.COMPILING not in run("cold")  # cached now: nothing to compile
    assert _common.COMPILING not in run("cold2", "--no-progress")
