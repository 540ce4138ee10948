"""A scanned repository must not command the scanner.

Each test plants commands in the repository's own ``.git/config`` (fsmonitor,
hooks, filter drivers, pagers, external diff, textconv) that append to a
marker file, runs one leakguard command that invokes git, and checks the
marker was never written. One test per invocation path."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from leakguard.sources import git as git_src
from tests.conftest import RunCli, git

AWS_ID = "AKIA" + "QX7RT2MZ5BWPL4KD"
HOOKS = ("pre-commit", "post-commit", "pre-push", "post-checkout", "post-merge", "pre-auto-gc", "reference-transaction",
         "post-index-change", "fsmonitor-watchman", "pre-receive", "post-rewrite", "commit-msg", "prepare-commit-msg")


def _plant(repo: Path, marker: Path) -> None:
    """Arm every repository-controlled way of running a command."""
    script = repo.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\ncat\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    hooks = repo.parent / "evil-hooks"
    hooks.mkdir()
    for name in HOOKS:
        (hooks / name).write_text(script.read_text())
        (hooks / name).chmod(0o755)
    cmd = str(script)
    config = {
        "core.fsmonitor": cmd, "core.hooksPath": str(hooks), "core.pager": cmd, "pager.log": cmd, "pager.diff": cmd,
        "pager.status": cmd, "diff.external": cmd, "core.editor": cmd, "gpg.program": cmd,
        "filter.evil.clean": cmd, "filter.evil.smudge": cmd, "filter.evil.process": cmd, "filter.evil.required": "true",
        "filter.a=b.clean": cmd, "filter.a=b.required": "true",
        "diff.evil.textconv": cmd, "diff.evil.command": cmd, "log.showSignature": "true",
    }
    for key, value in config.items():
        git(repo, "config", key, value)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n*.cfg filter=a=b\n")
    getattr(git_src, "_filters", {}).clear()  # the per-repository driver list is cached per process


@pytest.fixture
def hostile(git_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A repository with a committed secret, a staged one, a dirty work-tree file, then armed."""
    repo = git_repo
    (repo / "app.py").write_text(f'aws_access_key_id = "{AWS_ID}"\n')
    (repo / "settings.cfg").write_text("debug = true\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    git(repo, "checkout", "-qb", "side")
    (repo / "side.py").write_text("x = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "staged.py").write_text(f'key = "{AWS_ID}"\n')
    git(repo, "add", "staged.py")
    with open(repo / "settings.cfg", "a") as f:  # dirty: git status must hash it (and would run the filter)
        f.write("more = 1\n")
    marker = tmp_path / "ran.txt"
    _plant(repo, marker)
    return repo, marker


def _clean(marker: Path) -> None:
    assert not marker.exists(), f"repository-supplied command ran: {marker.read_text()!r}"


@pytest.mark.parametrize("argv", [
    ["scan", "."],
    ["scan", "app.py", "settings.cfg"],
    ["scan", "--staged"],
    ["scan", "--staged", "staged.py", "app.py"],
    ["git", "."],
    ["git", ".", "--branch", "side"],
    ["git", ".", "--range", "main..side"],
    ["git", ".", "--pre-push"],
    ["migrate", "."],
    ["migrate", ".", "--git"],
    ["migrate", ".", "--apply"],
    ["baseline", "create", "."],
], ids=lambda a: " ".join(a))
def test_repository_config_runs_nothing(hostile: tuple[Path, Path], run_cli: RunCli, argv: list[str]) -> None:
    repo, marker = hostile
    code, out, err = run_cli([*argv, "--no-progress"] if argv[0] != "baseline" else argv, cwd=repo)
    assert code in (0, 1), err
    _clean(marker)


def test_migrate_apply_yes_dirty_check_runs_no_filter(hostile: tuple[Path, Path], run_cli: RunCli,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """--apply --yes checks the work tree with git status, which hashes changed files through filters."""
    repo, marker = hostile
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    code, _, err = run_cli(["migrate", ".", "--apply", "--yes", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
                            "--no-progress"], cwd=repo)
    assert code == 2 and "uncommitted changes" in err  # the dirty check ran (and stopped before AWS)
    _clean(marker)


def test_gitpython_calls_are_protected(hostile: tuple[Path, Path]) -> None:
    repo, marker = hostile
    r = git_src.gitpython_repo(str(repo))
    try:
        r.git.status()  # would hash settings.cfg through the filter and ask fsmonitor
        assert r.is_dirty()
        assert r.index.diff(None, create_patch=True)  # GitPython passes --no-ext-diff; filters and textconv are ours
        assert r.head.commit.diff("side", create_patch=True)
        assert r.rev_parse("side").type == "commit"
    finally:
        r.close()
    _clean(marker)


def test_the_plant_is_live(hostile: tuple[Path, Path]) -> None:
    """Without leakguard's protections the same git call runs the planted command (the tests above can fail)."""
    repo, marker = hostile
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    import subprocess

    subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, env=env, check=False)
    assert marker.exists()


@pytest.mark.parametrize("where", ["include", "config", "index"])
def test_fifo_in_the_repository_metadata_never_hangs(git_repo: Path, run_cli: RunCli, where: str) -> None:
    """git and GitPython block forever opening a FIFO named by the repository (a config
    include, .git/config or .git/index itself): refuse with one line instead."""
    (git_repo / "app.py").write_text(f'aws_access_key_id = "{AWS_ID}"\n')
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "x")
    if where == "include":
        os.mkfifo(git_repo / ".git" / "evil")
        git(git_repo, "config", "include.path", "evil")
    else:
        target = git_repo / ".git" / where
        target.unlink()
        os.mkfifo(target)
    getattr(git_src, "_filters", {}).clear()
    for argv in (["git", "."], ["scan", "--staged", "app.py"]):
        code, _, err = run_cli([*argv, "--no-progress"], cwd=git_repo)
        assert code == 2 and "is not a regular file" in err and len(err.splitlines()) == 1, (argv, err)
    code, out, err = run_cli(["scan", ".", "--no-progress", "-f", "json"], cwd=git_repo)  # walks instead of git
    assert code == 1, err


def test_git_runs_only_through_the_wrapper() -> None:
    """One place builds every git command line: no other module spawns processes or imports GitPython."""
    pkg = Path(git_src.__file__).resolve().parents[1]
    offenders = []
    for f in pkg.rglob("*.py"):
        if f.name == "git.py" and f.parent.name == "sources":
            continue
        text = f.read_text(encoding="utf-8")
        if f.name == "_wheel_hook.py" and f.parent == pkg:  # build time only (not shipped): runs the rule loader
            assert "import git" not in text and '"git"' not in text  # in a child Python, never git
            continue
        if re.search(r"^\s*(import (subprocess|git)\b|from (subprocess|git)[ .])|os\.(system|popen)\(", text, re.M):
            offenders.append(str(f.relative_to(pkg)))
    assert offenders == []
