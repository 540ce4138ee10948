"""The real `pre-commit` tool runs our .pre-commit-hooks.yaml in a throwaway repository.

pre-commit clones a hook repository at a committed revision, so the hooks
come from this checkout's HEAD (in CI: the commit under test). The hook
environment is installed once per module into a temporary PRE_COMMIT_HOME.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.test_history import fake_password

ROOT = Path(__file__).resolve().parents[1]


def _pre_commit() -> list[str] | None:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    exe = shutil.which("pre-commit")
    return [exe] if exe else None


PRE_COMMIT = _pre_commit()
pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="the pre-commit tool is not installed (pip install '.[test]')")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and not k.startswith("PRE_COMMIT")}
    env.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1",
               GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.invalid",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.invalid")
    return env


def _run(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def hooked_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    assert PRE_COMMIT is not None
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not running from a git checkout: pre-commit needs a committed revision of the hooks")
    rev = head.stdout.strip()
    shown = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:.pre-commit-hooks.yaml"])
    assert shown.returncode == 0, f".pre-commit-hooks.yaml is not committed at {rev}"
    base = tmp_path_factory.mktemp("precommit")
    env = _env(base / "home")
    repo = base / "work"
    repo.mkdir()
    _run(repo, env, "git", "init", "-q", "-b", "main")
    _run(repo, env, "git", "config", "commit.gpgsign", "false")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {rev}\n  hooks:\n  - id: leakguard\n  - id: leakguard-pre-push\n")
    r = _run(repo, env, *PRE_COMMIT, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _run(repo, env, *PRE_COMMIT, "install-hooks")  # the slow part: a venv with leakguard from HEAD
    assert r.returncode == 0, r.stdout + r.stderr
    _run(repo, env, "git", "add", ".pre-commit-config.yaml")
    r = _run(repo, env, "git", "commit", "-q", "-m", "hooks")
    assert r.returncode == 0, r.stdout + r.stderr
    yield repo, env


def test_commit_with_a_secret_is_rejected_and_a_clean_one_passes(hooked_repo: tuple[Path, dict[str, str]]) -> None:
    repo, env = hooked_repo
    pw = fake_password()
    (repo / "app.env").write_text(f"APP_MODE=prod\nDB_PASSWORD={pw}\n")
    _run(repo, env, "git", "add", "app.env")
    r = _run(repo, env, "git", "commit", "-m", "add config")
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "leakguard" in out and "Failed" in out and "app.env:2" in out and "DB_PASSWORD" in out
    assert pw not in out  # the hook shows the finding, redacted
    assert _run(repo, env, "git", "rev-parse", "--verify", "-q", "HEAD:app.env").returncode != 0  # not committed

    _run(repo, env, "git", "rm", "-q", "--cached", "app.env")
    (repo / "app.env").unlink()
    (repo / "notes.txt").write_text("nothing secret here\n")
    _run(repo, env, "git", "add", "notes.txt")
    r = _run(repo, env, "git", "commit", "-m", "notes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout + r.stderr


def test_push_of_a_commit_with_a_secret_is_rejected(hooked_repo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, env = hooked_repo
    remote = tmp_path / "remote.git"
    _run(tmp_path, env, "git", "init", "-q", "--bare", str(remote))
    _run(repo, env, "git", "remote", "add", "origin", str(remote))
    r = _run(repo, env, "git", "push", "-q", "origin", "main")  # clean history: the first push passes
    assert r.returncode == 0, r.stdout + r.stderr
    (repo / "deploy.env").write_text(f"DB_PASSWORD={fake_password()}\n")
    _run(repo, env, "git", "add", "deploy.env")
    _run(repo, env, "git", "commit", "-q", "--no-verify", "-m", "skip the commit hook")
    (repo / "deploy.env").write_text("DB_PASSWORD=\n")  # removed again: still in the pushed history
    _run(repo, env, "git", "commit", "-q", "--no-verify", "-am", "remove it")
    r = _run(repo, env, "git", "push", "origin", "main")
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "deploy.env" in out and "removed since" in out


def test_run_all_files_fails_on_a_committed_key(hooked_repo: tuple[Path, dict[str, str]]) -> None:
    """`pre-commit run --all-files` names every tracked file with nothing staged: the hook must
    read them, not pass because the commit adds nothing."""
    repo, env = hooked_repo
    pw = fake_password()
    (repo / "legacy.env").write_text(f"DB_PASSWORD={pw}\n")
    _run(repo, env, "git", "add", "legacy.env")
    r = _run(repo, env, "git", "commit", "-q", "--no-verify", "-m", "committed before the hook existed")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _run(repo, env, *PRE_COMMIT, "run", "--all-files", "leakguard")
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "legacy.env" in out and "Failed" in out, out
    assert pw not in out
    r = _run(repo, env, *PRE_COMMIT, "run", "--files", "legacy.env", "leakguard")
    assert r.returncode != 0, r.stdout + r.stderr
    _run(repo, env, "git", "rm", "-q", "legacy.env")
    _run(repo, env, "git", "commit", "-q", "--no-verify", "-m", "drop it")
    r = _run(repo, env, *PRE_COMMIT, "run", "--all-files", "leakguard")
    assert r.returncode == 0, r.stdout + r.stderr


def _readme_local_hooks() -> str:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- pre-commit:start -->"):text.index("<!-- pre-commit:end -->")]
    (yml,) = re.findall(r"```yaml\n(.*?)```", block, flags=re.S)
    return yml


def test_readme_local_hook_snippet_runs_through_pre_commit(tmp_path: Path) -> None:
    """The README's `repo: local` snippet, as written, with leakguard installed (as
    `pip install .` leaves it on PATH): offline, no hook environment to build."""
    assert PRE_COMMIT is not None
    bindir = Path(sys.executable).parent
    if not (bindir / "leakguard").exists() and shutil.which("leakguard") is None:
        pytest.skip("the leakguard command is not installed (pip install .)")
    env = _env(tmp_path / "home")
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    repo = tmp_path / "work"
    repo.mkdir()
    _run(repo, env, "git", "init", "-q", "-b", "main")
    _run(repo, env, "git", "config", "commit.gpgsign", "false")
    (repo / ".pre-commit-config.yaml").write_text(_readme_local_hooks())
    r = _run(repo, env, *PRE_COMMIT, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push")
    assert r.returncode == 0, r.stdout + r.stderr
    _run(repo, env, "git", "add", ".pre-commit-config.yaml")
    r = _run(repo, env, "git", "commit", "-q", "-m", "hooks")
    assert r.returncode == 0, r.stdout + r.stderr
    pw = fake_password()
    (repo / "app.env").write_text(f"APP_MODE=prod\nDB_PASSWORD={pw}\n")
    _run(repo, env, "git", "add", "app.env")
    r = _run(repo, env, "git", "commit", "-m", "add config")
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "app.env:2" in out and "Failed" in out, out
    assert pw not in out
    r = _run(repo, env, "git", "commit", "-q", "--no-verify", "-m", "committed anyway")
    r = _run(repo, env, *PRE_COMMIT, "run", "--all-files", "leakguard")
    assert r.returncode != 0 and "app.env" in r.stdout + r.stderr, r.stdout + r.stderr
    remote = tmp_path / "remote.git"
    _run(tmp_path, env, "git", "init", "-q", "--bare", str(remote))
    _run(repo, env, "git", "remote", "add", "origin", str(remote))
    r = _run(repo, env, "git", "push", "origin", "main")
    assert r.returncode != 0 and "app.env" in r.stdout + r.stderr, r.stdout + r.stderr
