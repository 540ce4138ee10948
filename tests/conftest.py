from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from leakguard.cli import main
from leakguard.engine import Engine
from leakguard.ruleset import Ruleset, load_ruleset

RunCli = Callable[..., "tuple[int, str, str]"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never touch the user's cache; tests share one compiled database."""
    old = os.environ.get("LEAKGUARD_CACHE_DIR")
    os.environ["LEAKGUARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("LEAKGUARD_CACHE_DIR", None)
    else:
        os.environ["LEAKGUARD_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset()


@pytest.fixture(scope="session")
def engine(ruleset: Ruleset) -> Engine:
    return Engine(ruleset)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    def run(argv: Sequence[str], stdin: bytes = b"", cwd: Path | None = None) -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        out, err = io.StringIO(), io.StringIO()
        stdin_buf = io.TextIOWrapper(io.BytesIO(stdin))
        monkeypatch.setattr("sys.stdin", stdin_buf)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
        return code, out.getvalue(), err.getvalue()

    return run


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    return repo
