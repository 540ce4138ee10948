"""`leakguard git`: every blob once, each secret attributed to the commit that introduced it."""
from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import history
from tests.conftest import RunCli, git

_ALNUM = string.ascii_letters + string.digits


def fake_password() -> str:
    """A random, realistic-looking fake password (never a real one): 22
    letters and digits with at least one digit, one upper and one lower-case
    letter (an all-letter draw can look like prose to the filters: a flaky test)."""
    body = [secrets.choice(_ALNUM) for _ in range(19)]
    body += [secrets.choice(string.digits), secrets.choice(string.ascii_uppercase), secrets.choice(string.ascii_lowercase)]
    secrets.SystemRandom().shuffle(body)
    return "".join(body)


def commit(repo: Path, message: str, when: int, author: str = "Test <test@example.invalid>") -> str:
    """Commit what is staged at a fixed time (so date order is deterministic); return the sha."""
    stamp = f"{1_600_000_000 + when * 3600} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message, f"--author={author}"],
                   cwd=repo, check=True, capture_output=True, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def write(repo: Path, rel: str, text: str) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    git(repo, "add", "--", rel)


def scan(run_cli: RunCli, repo: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["git", str(repo), "-f", "json", "--no-cache", "--no-progress", *extra])
    assert code in (0, 1), err
    return code, json.loads(out), err


def unique_blobs(repo: Path) -> int:
    objs = git(repo, "rev-list", "--objects", "--all").split("\n")
    oids = [line.split(" ")[0] for line in objs if line]
    kinds = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype)"], cwd=repo, input="\n".join(oids) + "\n",
                           capture_output=True, text=True, check=True).stdout.split()
    return kinds.count("blob")


def test_blob_in_many_commits_is_scanned_once_and_attributed_to_its_first(git_repo: Path, run_cli: RunCli) -> None:
    pw = fake_password()
    write(git_repo, "README.md", "hello\n")
    c0 = commit(git_repo, "init", 0)
    write(git_repo, ".env", f"APP_ENV=prod\nDB_PASSWORD={pw}\n")
    c1 = commit(git_repo, "add env", 1, "Alice Example <alice@example.invalid>")
    for i in range(2, 5):  # three more commits carry the same .env blob unchanged
        write(git_repo, "README.md", f"hello {i}\n")
        commit(git_repo, f"readme {i}", i)
    code, rep, _ = scan(run_cli, git_repo)
    assert code == 1
    assert rep["stats"]["files"] == unique_blobs(git_repo) == 5  # 4 READMEs + 1 .env
    [f] = rep["findings"]
    assert (f["commit"], f["author"], f["email"], f["path"], f["line"]) == (c1, "Alice Example", "alice@example.invalid", ".env", 2)
    assert f["date"].startswith("2020-09-13T")
    assert f["present_at_head"] is True and f["occurrences"] == 1
    assert c0 != c1
    assert pw not in json.dumps(rep)  # redacted by default


def test_added_then_deleted_is_found_and_not_at_head(git_repo: Path, run_cli: RunCli) -> None:
    pw = fake_password()
    write(git_repo, "config/.env", f"DB_PASSWORD={pw}\n")
    c1 = commit(git_repo, "oops", 1)
    git(git_repo, "rm", "-q", "config/.env")
    commit(git_repo, "remove secret", 2)
    code, rep, _ = scan(run_cli, git_repo)
    [f] = rep["findings"]
    assert code == 1 and f["commit"] == c1 and f["path"] == "config/.env"
    assert f["present_at_head"] is False


def test_reverted_blob_is_one_finding_with_occurrences(git_repo: Path, run_cli: RunCli) -> None:
    pw = fake_password()
    write(git_repo, ".env", f"DB_PASSWORD={pw}\n")
    c1 = commit(git_repo, "add", 1)
    write(git_repo, ".env", "DB_PASSWORD=\n")
    commit(git_repo, "blank", 2)
    write(git_repo, ".env", f"DB_PASSWORD={pw}\n")  # the very same blob comes back
    c3 = commit(git_repo, "revert", 3)
    _, rep, _ = scan(run_cli, git_repo)
    [f] = rep["findings"]
    assert f["commit"] == c1 and f["occurrences"] == 2 and f["present_at_head"] is True
    assert c3 != c1


@pytest.mark.parametrize("edit", [False, True], ids=["pure-rename", "rename-and-edit"])
def test_renamed_file_keeps_the_original_introduction(git_repo: Path, run_cli: RunCli, edit: bool) -> None:
    pw = fake_password()
    write(git_repo, "old/settings.env", f"A=1\nDB_PASSWORD={pw}\n")
    c1 = commit(git_repo, "add", 1)
    (git_repo / "new").mkdir()
    git(git_repo, "mv", "old/settings.env", "new/settings.env")
    if edit:
        write(git_repo, "new/settings.env", f"A=2\nDB_PASSWORD={pw}\n")
    commit(git_repo, "move", 2)
    _, rep, _ = scan(run_cli, git_repo)
    [f] = rep["findings"]
    assert (f["commit"], f["path"]) == (c1, "old/settings.env")
    assert f["present_at_head"] is True and f["occurrences"] == 2


def test_secret_first_added_in_a_merge_commit(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "app.env", "MODE=base\n")
    commit(git_repo, "base", 1)
    git(git_repo, "checkout", "-q", "-b", "feature")
    write(git_repo, "app.env", "MODE=feature\n")
    commit(git_repo, "feature", 2)
    git(git_repo, "checkout", "-q", "main")
    write(git_repo, "app.env", "MODE=main\n")
    commit(git_repo, "main", 3)
    subprocess.run(["git", "merge", "-q", "feature"], cwd=git_repo, capture_output=True)  # conflicts
    pw = fake_password()
    write(git_repo, "app.env", f"MODE=merged\nDB_PASSWORD={pw}\n")  # an "evil merge": in neither parent
    merge = commit(git_repo, "merge feature", 4)
    assert len(git(git_repo, "rev-parse", "HEAD^@").split()) == 2
    _, rep, _ = scan(run_cli, git_repo)
    [f] = rep["findings"]
    assert f["commit"] == merge and f["path"] == "app.env" and f["present_at_head"] is True


def test_unmerged_branch_is_scanned_by_default_and_not_with_branch(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "README.md", "x\n")
    commit(git_repo, "init", 1)
    git(git_repo, "checkout", "-q", "-b", "experiment")
    pw = fake_password()
    write(git_repo, "deploy/.env", f"DB_PASSWORD={pw}\n")
    c2 = commit(git_repo, "experiment", 2)
    git(git_repo, "checkout", "-q", "main")
    _, rep, _ = scan(run_cli, git_repo)
    [f] = rep["findings"]
    assert f["commit"] == c2 and f["present_at_head"] is False
    code, rep, _ = scan(run_cli, git_repo, "--branch", "main")
    assert code == 0 and rep["findings"] == []


def test_range_and_since_commit_narrow_the_scan(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "a.env", f"DB_PASSWORD={fake_password()}\n")
    c1 = commit(git_repo, "one", 1)
    write(git_repo, "b.env", f"DB_PASSWORD={fake_password()}\n")
    c2 = commit(git_repo, "two", 2)
    _, rep, _ = scan(run_cli, git_repo, "--since-commit", c1)
    assert [f["commit"] for f in rep["findings"]] == [c2]
    _, rep, _ = scan(run_cli, git_repo, "--range", f"{c1}..{c2}")
    assert [f["path"] for f in rep["findings"]] == ["b.env"]
    assert rep["findings"][0]["present_at_head"] is True
    code, out, err = run_cli(["git", str(git_repo), "--range", "nope..HEAD"])
    assert code == 2 and err.count("\n") == 1 and "unknown revision" in err


def test_detached_head_commits_are_scanned(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "README.md", "x\n")
    c1 = commit(git_repo, "init", 1)
    git(git_repo, "checkout", "-q", "--detach", c1)
    write(git_repo, "x.env", f"DB_PASSWORD={fake_password()}\n")
    c2 = commit(git_repo, "detached", 2)
    _, rep, _ = scan(run_cli, git_repo)
    assert [f["commit"] for f in rep["findings"]] == [c2]


def test_shallow_clone_scans_what_is_there_and_warns(git_repo: Path, run_cli: RunCli, tmp_path: Path) -> None:
    write(git_repo, "old.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "old", 1)
    git(git_repo, "rm", "-q", "old.env")
    commit(git_repo, "rm", 2)
    write(git_repo, "new.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "new", 3)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{git_repo}", str(clone))
    code, rep, _ = scan(run_cli, clone)
    assert code == 1 and [f["path"] for f in rep["findings"]] == ["new.env"]
    assert any("shallow" in w and "truncated" in w for w in rep["warnings"])


def test_not_a_repository_is_one_line_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli(["git", str(tmp_path)])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "not a git repository" in err and "Traceback" not in err
    code, _, err = run_cli(["git", str(tmp_path / "missing")])
    assert code == 2 and "no such file or directory" in err


def test_git_not_installed_is_one_line_exit_2(git_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, _, err = run_cli(["git", str(git_repo)])
    assert code == 2 and err.count("\n") == 1 and "git is not installed" in err


def test_empty_repository_exits_0_and_says_so(git_repo: Path, run_cli: RunCli) -> None:
    code, rep, _ = scan(run_cli, git_repo)
    assert code == 0 and rep["findings"] == [] and rep["stats"]["files"] == 0
    assert any("empty repository" in w for w in rep["warnings"])


def test_binary_and_huge_blobs_are_skipped_and_counted(git_repo: Path, run_cli: RunCli) -> None:
    pw = fake_password()
    (git_repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    (git_repo / "data.bin.dat").write_bytes(b"\0\1\2" + f"DB_PASSWORD={pw}\n".encode())
    (git_repo / "big.env").write_text("A=1\n" * 600 + f"DB_PASSWORD={pw}\n")
    (git_repo / "ok.txt").write_text("fine\n")
    git(git_repo, "add", ".")
    commit(git_repo, "assets", 1)
    code, rep, _ = scan(run_cli, git_repo, "--max-file-size", "1KB")
    assert code == 0 and rep["findings"] == []
    assert rep["stats"]["skipped"] == {"binary": 2, "too-large": 1}
    assert [s["path"] for s in rep["skipped"]] == ["big.env"]
    code, rep, _ = scan(run_cli, git_repo)  # default limit: the big one is scanned
    assert code == 1 and [f["path"] for f in rep["findings"]] == ["big.env"]


def test_non_utf8_path_is_reported_with_escapes(git_repo: Path, run_cli: RunCli) -> None:
    name = b"caf\xe9.env"
    with open(os.path.join(os.fsencode(git_repo), name), "wb") as f:
        f.write(f"DB_PASSWORD={fake_password()}\n".encode())
    git(git_repo, "add", ".")
    commit(git_repo, "latin-1 name", 1)
    code, out, err = run_cli(["git", str(git_repo), "--no-cache"])  # terminal report: must not crash
    assert code == 1 and "caf\\xe9.env" in out
    _, rep, _ = scan(run_cli, git_repo)
    assert [f["path"] for f in rep["findings"]] == ["caf\\xe9.env"]


def test_missing_blob_is_skipped_with_a_warning(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "a.env", f"DB_PASSWORD={fake_password()}\n")
    write(git_repo, "b.txt", "plain\n")
    commit(git_repo, "one", 1)
    oid = git(git_repo, "rev-parse", "HEAD:b.txt").strip()
    obj = git_repo / ".git" / "objects" / oid[:2] / oid[2:]
    obj.chmod(0o644)
    obj.unlink()  # a corrupt repository: the blob is gone
    code, rep, _ = scan(run_cli, git_repo)
    assert code == 1 and [f["path"] for f in rep["findings"]] == ["a.env"]
    assert rep["stats"]["skipped"] == {"unreadable": 1}
    assert any("missing or corrupt" in w for w in rep["warnings"])


def test_submodules_are_not_entered_and_said_so(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "README.md", "x\n")
    c1 = commit(git_repo, "init", 1)
    git(git_repo, "update-index", "--add", "--cacheinfo", f"160000,{c1},vendor/lib")
    commit(git_repo, "add submodule", 2)
    code, rep, _ = scan(run_cli, git_repo)
    assert code == 0 and rep["stats"]["notes"]["submodules (gitlinks) not entered"] == 1
    code, out, _ = run_cli(["git", str(git_repo), "--no-cache"])
    assert "1 submodules (gitlinks) not entered" in out


def test_clean_blob_cache_skips_known_blobs_and_holds_no_secret(git_repo: Path, run_cli: RunCli, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    pw = fake_password()
    write(git_repo, "a.env", f"DB_PASSWORD={pw}\n")
    write(git_repo, "b.txt", "plain\n")
    commit(git_repo, "one", 1)
    first = run_cli(["git", str(git_repo), "-f", "json"])
    second = run_cli(["git", str(git_repo), "-f", "json"])
    r1, r2 = json.loads(first[1]), json.loads(second[1])
    assert first[0] == second[0] == 1 and r1["findings"] == r2["findings"]
    assert r1["stats"]["files"] == 2 and r2["stats"]["files"] == 0  # neither blob was scanned again
    assert r2["stats"]["notes"]["blobs already scanned clean (cache)"] == 1
    assert r2["stats"]["notes"]["blobs with findings rebuilt from the cache"] == 1  # a.env: tests/sources/test_findings_cache.py
    files = list((tmp_path / "cache" / "clean-blobs").iterdir())
    assert len(files) == 1 and pw.encode() not in files[0].read_bytes() and files[0].stat().st_size == 20


def test_pre_push_scans_only_commits_not_yet_pushed(git_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PRE_COMMIT", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_LOCAL_BRANCH"):
        monkeypatch.delenv(var, raising=False)
    write(git_repo, "old.env", f"DB_PASSWORD={fake_password()}\n")
    c1 = commit(git_repo, "already pushed", 1)
    write(git_repo, "new.env", f"DB_PASSWORD={fake_password()}\n")
    c2 = commit(git_repo, "to push", 2)
    line = f"refs/heads/main {c2} refs/heads/main {c1}\n"
    code, out, err = run_cli(["git", str(git_repo), "--pre-push", "-f", "json", "--no-cache"], stdin=line.encode())
    rep = json.loads(out)
    assert code == 1 and [f["path"] for f in rep["findings"]] == ["new.env"], err
    monkeypatch.setenv("PRE_COMMIT", "1")
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", c1)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", c1)
    code, out, _ = run_cli(["git", str(git_repo), "--pre-push", "-f", "json", "--no-cache"])
    assert code == 0 and json.loads(out)["findings"] == []
    deletion = f"(delete) {'0' * 40} refs/heads/old {c1}\n"
    for var in ("PRE_COMMIT", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"):
        monkeypatch.delenv(var)
    code, out, _ = run_cli(["git", str(git_repo), "--pre-push", "-f", "json"], stdin=deletion.encode())
    assert code == 0 and json.loads(out)["stats"]["files"] == 0


def test_added_lines_parser_skips_hunk_bodies() -> None:
    from leakguard.sources.staged import _added_lines

    patch = (b"diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -2 +2,2 @@\n-old\n+diff --git fake\n+@@ -1 +9 @@\n"
             b"@@ -9,0 +11 @@ ctx\n+tail\n\\ No newline at end of file\n"
             b"diff --git a/y b/y\nBinary files a/y and b/y differ\n"
             b"diff --git a/z b/z\nold mode 100644\nnew mode 100755\n")
    assert _added_lines(patch) == [frozenset({2, 3, 11}), None, frozenset()]


def test_display_path_escapes_non_utf8() -> None:
    assert history.display_path(b"caf\xe9/x") == "caf\\xe9/x"
    assert history.display_path("naïve".encode()) == "naïve"


def test_many_blobs_in_pack_order_across_workers(git_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    import leakguard.commands.git as git_command

    monkeypatch.setattr(git_command, "_ORDER_FROM_PACK", 0)  # sizes from listing the whole object store
    for i in range(300):
        (git_repo / f"mod{i:03}.py").write_text(f"VALUE_{i} = {i}\n")
    (git_repo / "svc" / ".env").parent.mkdir()
    (git_repo / "svc" / ".env").write_text(f"DB_PASSWORD={fake_password()}\n")
    git(git_repo, "add", ".")
    c1 = commit(git_repo, "many", 1)
    code, rep, _ = scan(run_cli, git_repo, "--jobs", "2")
    assert code == 1 and rep["stats"]["files"] == 301
    assert [(f["path"], f["commit"]) for f in rep["findings"]] == [("svc/.env", c1)]


def test_present_at_head_is_per_location(git_repo: Path, run_cli: RunCli) -> None:
    """The same secret at HEAD in one file and only on an unmerged branch in another: only the
    HEAD file's finding is "present at HEAD"."""
    pw = fake_password()
    write(git_repo, "app/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "init", 1)
    git(git_repo, "checkout", "-q", "-b", "experiment")
    write(git_repo, "deploy/.env", f"DB_PASSWORD={pw}\nX=1\n")
    commit(git_repo, "experiment", 2)
    git(git_repo, "checkout", "-q", "main")
    _, rep, _ = scan(run_cli, git_repo)
    at_head = {f["path"]: f["present_at_head"] for f in rep["findings"]}
    assert at_head == {"app/.env": True, "deploy/.env": False}
    # removed from HEAD's file while another file still holds it: that one is no longer at HEAD
    write(git_repo, "app/.env", "DB_PASSWORD=\n")
    write(git_repo, "other/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "move", 3)
    _, rep, _ = scan(run_cli, git_repo)
    at_head = {f["path"]: f["present_at_head"] for f in rep["findings"]}
    assert at_head == {"app/.env": False, "deploy/.env": False, "other/.env": True}


def test_removed_in_follows_renames_and_readds(tmp_path: Path, run_cli: RunCli) -> None:
    """removed_in: the commit after which the path (followed through a rename) no longer holds the secret."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    pw, other = fake_password(), fake_password()
    write(repo, "conf/app.env", f"DB_PASSWORD={pw}\n")
    commit(repo, "add", 1)
    write(repo, "conf/app.env", f"DB_PASSWORD={pw}\nLOG_LEVEL=debug\n")
    commit(repo, "edit, secret stays", 2)
    git(repo, "mv", "conf/app.env", "conf/prod.env")
    commit(repo, "rename", 3)
    write(repo, "conf/prod.env", "DB_PASSWORD=${DB_PASSWORD}\nLOG_LEVEL=debug\n")
    removal = commit(repo, "remove the secret", 4)
    write(repo, "other.env", f"API_SECRET={other}\n")
    commit(repo, "another secret, still at HEAD", 5)
    code, out, _ = run_cli(["git", str(repo), "-f", "json", "--no-cache", "--no-progress"])
    by_path = {f["path"]: f for f in json.loads(out)["findings"]}
    gone = by_path["conf/app.env"]
    assert gone["present_at_head"] is False and gone["removed_in"]["commit"] == removal
    assert "removed_in" not in by_path["other.env"]
