"""`leakguard git` on every way a repository is held: work tree, bare and --mirror clones,
linked worktrees, submodules, and a URL (cloned into a temporary mirror; a local file:// URL
here, no network)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import git as git_src
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write


@pytest.fixture
def origin(git_repo: Path) -> tuple[Path, str]:
    pw = fake_password()
    write(git_repo, "deploy/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "secret", 1)
    git(git_repo, "checkout", "-q", "-b", "feature")
    write(git_repo, "feature/.env", f"API_PASSWORD={fake_password()}\n")
    commit(git_repo, "feature", 2)
    git(git_repo, "checkout", "-q", "main")
    return git_repo, pw


def _scan(run_cli: RunCli, target: str, cwd: Path | None = None) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["git", target, "-f", "json", "--no-cache", "--no-progress"], cwd=cwd)
    assert code in (0, 1), err
    return code, json.loads(out), err


def _paths(rep: dict[str, Any]) -> set[str]:
    return {f["path"] for f in rep["findings"]}


@pytest.mark.parametrize("how", ["--bare", "--mirror"])
def test_bare_and_mirror_clones(origin: tuple[Path, str], tmp_path: Path, run_cli: RunCli, how: str) -> None:
    repo, _ = origin
    clone = tmp_path / f"clone{how}.git"
    git(tmp_path, "clone", "-q", how, str(repo), str(clone))
    code, rep, _ = _scan(run_cli, str(clone))
    expected = {"deploy/.env", "feature/.env"}  # --bare keeps every branch too (as refs/heads)
    assert code == 1 and _paths(rep) == expected
    at_head = {f["path"]: f["present_at_head"] for f in rep["findings"]}
    assert at_head == {"deploy/.env": True, "feature/.env": False}
    code, rep, _ = _scan(run_cli, ".", cwd=clone)  # from inside the bare repository
    assert code == 1 and _paths(rep) == expected


def test_sarif_of_a_bare_repository_is_relative(origin: tuple[Path, str], tmp_path: Path, run_cli: RunCli) -> None:
    repo, _ = origin
    clone = tmp_path / "m.git"
    git(tmp_path, "clone", "-q", "--mirror", str(repo), str(clone))
    code, out, err = run_cli(["git", str(clone), "-f", "sarif", "--no-cache", "--no-progress"])
    assert code == 1, err
    run = json.loads(out)["runs"][0]
    assert "originalUriBaseIds" not in run  # no work tree to point at
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == \
        {"deploy/.env", "feature/.env"}


def test_url_is_cloned_to_a_temporary_mirror_and_removed(origin: tuple[Path, str], tmp_path: Path,
                                                         run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = origin
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, rep, _ = _scan(run_cli, repo.as_uri())
    assert code == 1 and _paths(rep) == {"deploy/.env", "feature/.env"}
    assert list(scratch.iterdir()) == []  # the mirror is gone


def test_bad_url_is_one_line_exit_2(tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code, out, err = run_cli(["git", (tmp_path / "nowhere").as_uri(), "--no-progress"])
    assert code == 2 and err.startswith("leakguard: error: cannot clone") and len(err.splitlines()) == 1
    assert list(scratch.iterdir()) == []
    code, _, err = run_cli(["git", "ext::sh -c touch% /tmp/pwned", "--no-progress"])
    assert code == 2 and "not a repository URL" in err


def test_linked_worktree_and_submodule(origin: tuple[Path, str], tmp_path: Path, run_cli: RunCli) -> None:
    repo, _ = origin
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "feature")
    info = git_src.repository(str(wt))
    assert info.top == str(wt.resolve()) and not info.bare and info.common_dir == str((repo / ".git").resolve())
    code, rep, _ = _scan(run_cli, str(wt))
    assert code == 1 and _paths(rep) == {"deploy/.env", "feature/.env"}
    at_head = {f["path"]: f["present_at_head"] for f in rep["findings"]}
    assert at_head == {"deploy/.env": True, "feature/.env": True}  # the worktree's HEAD is feature
    sup = tmp_path / "super"
    sup.mkdir()
    git(sup, "init", "-q", "-b", "main")
    git(sup, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(repo), "sub")
    info = git_src.repository(str(sup / "sub"))
    assert info.top == str((sup / "sub").resolve()) and info.git_dir.startswith(str((sup / ".git").resolve()))
    code, rep, _ = _scan(run_cli, str(sup / "sub"))
    assert code == 1 and "deploy/.env" in _paths(rep)


def test_not_a_repository_and_missing_path(tmp_path: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli(["git", str(tmp_path)])
    assert code == 2 and err.strip().endswith("not a git repository")
    code, _, err = run_cli(["git", str(tmp_path / "nope")])
    assert code == 2 and "no such file or directory" in err


def test_revisions_resolve_through_gitpython_and_git(origin: tuple[Path, str]) -> None:
    repo, _ = origin
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git_src.resolve(str(repo), "main") == head
    assert git_src.resolve(str(repo), "feature~1") == head
    assert git_src.resolve(str(repo), ":/secret") == head  # syntax GitPython lacks: git answers
    git(repo, "tag", "-a", "-m", "v", "v1", "main")
    assert git_src.resolve(str(repo), "v1") == head  # an annotated tag peels to its commit
    with pytest.raises(Exception, match="unknown revision"):
        git_src.resolve(str(repo), "nope")
    with pytest.raises(Exception, match="unknown revision"):
        git_src.resolve(str(repo), "main:deploy/.env")  # a blob is not a commit
    assert os.path.isdir(git_src.repository(str(repo)).common_dir)


@pytest.mark.parametrize("setup", [[], ["--index-version", "4"], ["--split-index"]], ids=["v2", "v4", "split"])
def test_index_entries_match_git_for_every_index_format(origin: tuple[Path, str], setup: list[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = origin
    for i in range(5):
        write(repo, f"dir/f{i}.txt", f"{i}\n")
    if setup:
        git(repo, "update-index", *setup)
    write(repo, "late.txt", "late\n")  # after the split: lives in the shared or split part
    expected = {}
    for line in git(repo, "ls-files", "-s").splitlines():
        meta, path = line.split("\t")
        mode, oid, _ = meta.split()
        expected[path] = (mode, oid)
    assert git_src.index_entries(str(repo)) == expected
    other = repo.parent / "other-index"  # a hook's GIT_INDEX_FILE (git commit <paths>) is honoured
    env_index = {**os.environ, "GIT_INDEX_FILE": str(other)}
    import subprocess

    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo, env=env_index, check=True)
    monkeypatch.setenv("GIT_INDEX_FILE", str(other))
    assert set(git_src.index_entries(str(repo))) == {"deploy/.env"}
