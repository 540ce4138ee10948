"""The stored history walk: reused when refs are unchanged, extended by new commits only, and
never the reason a finding or its attribution differs from a walk afresh."""
from __future__ import annotations

import json
import os
import random
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


def test_an_older_commit_fetched_late_is_merged_in_date_order(git_repo: Path, run_cli: RunCli, cache: Path,
                                                               walks: list[list[str]]) -> None:
    """A new commit dated before old ones (another branch's newest) falls between them in a
    full walk: it introduces the secret an old, later commit also holds, so it gets the
    attribution, as afresh."""
    history_with_secrets(git_repo)
    pw = fake_password()
    git(git_repo, "checkout", "-q", "side")
    write(git_repo, "shared/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "on side, late", 9)
    git(git_repo, "checkout", "-q", "main")
    audit(run_cli, git_repo)
    git(git_repo, "checkout", "-q", "-b", "old", "HEAD~1")
    write(git_repo, "shared/.env", f"DB_PASSWORD={pw}\n")  # the same blob, committed earlier
    late = commit(git_repo, "dated before the newest commit", 2)
    git(git_repo, "checkout", "-q", "main")
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # only the new commit was walked
    (f,) = [f for f in rep["findings"] if f["secret"] == pw]
    assert f["commit"] == late
    same_as_afresh(run_cli, git_repo, rep)


def _same_walk(a: history.History, b: history.History) -> None:
    assert a.commits == b.commits and a.paths == b.paths and a.path_commit == b.path_commit
    assert list(a.first.items()) == list(b.first.items()) and a.extra == b.extra
    assert a.deleted == b.deleted and a.submodules == b.submodules


@pytest.mark.parametrize("seed", range(6))
def test_a_merged_walk_is_the_full_walk(git_repo: Path, cache: Path, walks: list[list[str]], seed: int) -> None:
    """Random branches whose commits interleave in time, walked in two parts (each branch
    set back a few commits, then moved forward: new commits fall between old ones in
    date order): merged, every commit, path number and blob appearance is what one full
    walk gives."""
    rng = random.Random(seed)
    files = ["a.txt", "b/c.txt", "d.cfg", "b/e.txt", "f.txt"]
    write(git_repo, "a.txt", "0\n")
    commit(git_repo, "root", 0)
    branches = ["main"]
    later: list[tuple[str, str]] = []  # (branch, tip) set back before the first walk
    for i in range(1, 40):
        br = rng.choice(branches)
        if rng.random() < 0.15 and len(branches) < 4:
            new = f"b{i}"
            git(git_repo, "branch", "-q", new, br)
            branches.append(new)
            br = new
        git(git_repo, "checkout", "-q", br)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files) if rng.random() < 0.6 else f"p/{rng.randint(0, 40)}.txt"  # paths come and go
            if rng.random() < 0.2 and (git_repo / path).exists():
                git(git_repo, "rm", "-q", "-f", "--ignore-unmatch", "--", path)
            else:
                write(git_repo, path, f"{rng.randint(0, 6)}\n")  # few values: blobs come back
        commit(git_repo, f"c{i}", i)  # branches interleave in time
    git(git_repo, "checkout", "-q", "main")
    full = history.enumerate_history(str(git_repo), walkcache.ALL_REFS)
    for br in branches:  # the first audit saw each branch some commits back
        back = rng.randint(0, 4)
        tip = git(git_repo, "rev-parse", br).strip()
        if back and int(git(git_repo, "rev-list", "--count", br)) > back:
            later.append((br, tip))
            git(git_repo, "update-ref", f"refs/heads/{br}", f"{tip}~{back}")
    h, sizes, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None
    walkcache.save(str(git_repo), h, sizes, tips)
    for br, tip in later:
        git(git_repo, "update-ref", f"refs/heads/{br}", tip)
    merged, _, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None and (not later or len(merged.commits) > len(h.commits))
    assert not later or "--not" in walks[-1]  # merged, not walked afresh
    _same_walk(merged, full)


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
        stored.write_text("{not json" if kind == "garbage"
                          else json.dumps({"v": walkcache._FORMAT_VERSION, "tips": {}, "commits": 3}))
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)
