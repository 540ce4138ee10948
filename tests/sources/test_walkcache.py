"""The stored history walk: reused when refs are unchanged, extended by new commits only, and
never the reason a finding or its attribution differs from a walk afresh."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import history, walkcache
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(d))
    return d


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The revisions of every log walk made."""
    calls: list[list[str]] = []
    real = history.enumerate_history

    def spy(repo: str, revs: Any) -> history.History:
        calls.append(list(revs))
        return real(repo, revs)

    monkeypatch.setattr(history, "enumerate_history", spy)
    return calls


def audit(run_cli: RunCli, repo: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(["git", str(repo), "-f", "json", "--no-progress", "--no-redact", *extra])
    assert code in (0, 1), err
    rep: dict[str, Any] = json.loads(out)
    return rep


def same_as_afresh(run_cli: RunCli, repo: Path, rep: dict[str, Any]) -> None:
    fresh = audit(run_cli, repo, "--no-cache")
    assert rep["findings"] == fresh["findings"]
    assert rep["stats"]["notes"]["commits walked"] == fresh["stats"]["notes"]["commits walked"]


def history_with_secrets(repo: Path) -> str:
    write(repo, "app/.env", f"DB_PASSWORD={fake_password()}\n")
    write(repo, "README.md", "hello\n")
    commit(repo, "one", 1)
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, "side/.env", f"API_TOKEN_PASSWORD={fake_password()}\n")
    commit(repo, "side work", 2)
    git(repo, "checkout", "-q", "main")
    write(repo, "app/.env", f"DB_PASSWORD={fake_password()}\nDB_USER=app\n")
    commit(repo, "two", 3)
    return git(repo, "rev-parse", "HEAD").strip()


def test_repeated_audit_reuses_the_walk_and_finds_the_same(git_repo: Path, run_cli: RunCli, cache: Path,
                                                            walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    first = audit(run_cli, git_repo)
    assert len(walks) == 1
    second = audit(run_cli, git_repo)
    assert len(walks) == 1  # no second walk
    assert first["findings"] == second["findings"] and len(first["findings"]) == 3
    same_as_afresh(run_cli, git_repo, second)
    # the stored walk holds metadata only
    (stored,) = (cache / "walks").iterdir()
    body = stored.read_bytes()
    assert all(f["secret"].encode() not in body for f in first["findings"])


def test_new_commits_are_walked_alone_and_attributed_as_a_full_walk_would(git_repo: Path, run_cli: RunCli,
                                                                          cache: Path, walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    pw = fake_password()
    write(git_repo, "app/.env", f"DB_PASSWORD={pw}\nDB_USER=app\n")  # a new secret
    write(git_repo, "copy/.env", f"DB_PASSWORD={pw}\nDB_USER=app\n")
    commit(git_repo, "three", 4)
    git(git_repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    (git_repo / "moved").mkdir()
    git(git_repo, "mv", "side/.env", "moved/.env")  # a rename in a new commit
    commit(git_repo, "four", 6)
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # only the new commits were walked
    assert any(pw == f["secret"] for f in rep["findings"])
    same_as_afresh(run_cli, git_repo, rep)
    n = len(walks)
    assert audit(run_cli, git_repo)["findings"] == rep["findings"]
    assert len(walks) == n  # the extended walk was stored: nothing walked again


def test_an_older_commit_fetched_late_means_a_full_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                                         walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    git(git_repo, "checkout", "-q", "-b", "old", "HEAD~1")
    write(git_repo, "late/.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "dated before the newest commit", 2)
    git(git_repo, "checkout", "-q", "main")
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)


def test_rewritten_history_means_a_full_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                             walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    git(git_repo, "reset", "-q", "--hard", "HEAD~1")  # main moved back
    git(git_repo, "branch", "-q", "-D", "side")
    write(git_repo, "new/.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "after the rewrite", 10)
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)
    assert not any(f["path"] == "side/.env" for f in rep["findings"])


def test_a_narrower_scope_never_uses_the_stored_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                                     walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    rep = audit(run_cli, git_repo, "--branch", "main")
    assert walks[-1][-1] == "main"
    assert not any(f["path"] == "side/.env" for f in rep["findings"])


@pytest.mark.parametrize("kind", ["garbage", "fifo", "wrong-shape"])
def test_a_broken_stored_walk_means_a_full_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                                walks: list[list[str]], kind: str) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    stored.unlink()
    if kind == "fifo":
        os.mkfifo(stored)
    else:
        stored.write_text("{not json" if kind == "garbage" else json.dumps({"v": 1, "tips": {}, "commits": 3}))
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)
