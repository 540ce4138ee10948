"""`leakguard scan --staged`: the index, not the disk; only lines the commit adds."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leakguard.model import Chunk
from leakguard.sources.staged import staged_chunks
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write


def staged(run_cli: RunCli, repo: Path, *paths: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["scan", "--staged", "-f", "json", "--no-progress", *paths], cwd=repo)
    assert code in (0, 1), err
    return code, json.loads(out), err


def test_index_is_scanned_not_the_working_tree(git_repo: Path, run_cli: RunCli) -> None:
    pw = fake_password()
    write(git_repo, "app.env", f"DB_PASSWORD={pw}\n")
    (git_repo / "app.env").write_text("DB_PASSWORD=\n")  # disk is clean, the index is not
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 1 and [(f["path"], f["line"]) for f in rep["findings"]] == [("app.env", 1)]
    assert pw not in json.dumps(rep)
    write(git_repo, "app.env", "DB_PASSWORD=\n")
    (git_repo / "app.env").write_text(f"DB_PASSWORD={pw}\n")  # now the reverse: only the disk has it
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 0 and rep["findings"] == []


def test_existing_secret_in_an_edited_file_does_not_block(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "settings.env", f"MODE=dev\nDB_PASSWORD={fake_password()}\nDEBUG=0\n")
    commit(git_repo, "accepted long ago", 1)
    write(git_repo, "settings.env", "MODE=prod\n" + (git_repo / "settings.env").read_text().split("\n", 1)[1])
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 0 and rep["findings"] == []
    # the same edit plus a new secret: blocked, and only the new line is reported
    text = (git_repo / "settings.env").read_text() + f"API_SECRET={fake_password()}\n"
    write(git_repo, "settings.env", text)
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 1 and [f["line"] for f in rep["findings"]] == [4]


def test_changed_secret_line_blocks(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "db.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "one", 1)
    write(git_repo, "db.env", f"DB_PASSWORD={fake_password()}\n")  # rotated in place: a new secret
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 1 and rep["findings"][0]["line"] == 1


def test_first_commit_every_line_is_new(git_repo: Path) -> None:
    write(git_repo, "a.env", "X=1\nY=2\n")
    [chunk] = list(staged_chunks(str(git_repo)))
    assert isinstance(chunk, Chunk) and chunk.lines == frozenset({1, 2}) and chunk.origin.kind == "staged"


def test_file_names_limit_the_scan(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "a.env", f"DB_PASSWORD={fake_password()}\n")
    write(git_repo, "b.env", f"DB_PASSWORD={fake_password()}\n")
    code, rep, _ = staged(run_cli, git_repo, "b.env")
    assert code == 1 and [f["path"] for f in rep["findings"]] == ["b.env"]
    code, rep, _ = staged(run_cli, git_repo)
    assert [f["path"] for f in rep["findings"]] == ["a.env", "b.env"]


def test_deletions_binary_and_mode_changes_are_not_scanned(git_repo: Path, run_cli: RunCli) -> None:
    write(git_repo, "old.env", f"DB_PASSWORD={fake_password()}\n")
    write(git_repo, "run.sh", f"export DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "one", 1)
    git(git_repo, "rm", "-q", "old.env")
    (git_repo / "run.sh").chmod(0o755)
    git(git_repo, "add", "run.sh")
    (git_repo / "blob.bin").write_bytes(b"\0\1" + f"DB_PASSWORD={fake_password()}".encode())
    git(git_repo, "add", "blob.bin")
    code, rep, _ = staged(run_cli, git_repo)
    assert code == 0 and rep["findings"] == [] and rep["stats"]["skipped"] == {"binary": 1}


def test_staged_outside_a_repository_is_one_line_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    code, out, err = run_cli(["scan", "--staged"], cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1 and "not a git repository" in err


@pytest.mark.parametrize("argv", [["scan", "--staged", "-"], ["scan", "--staged", "/"]])
def test_staged_bad_paths_are_usage_errors(git_repo: Path, run_cli: RunCli, argv: list[str]) -> None:
    code, _, err = run_cli(argv, cwd=git_repo)
    assert code == 2 and err.count("\n") == 1


def test_named_files_with_nothing_staged_are_scanned_whole(git_repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """`pre-commit run --all-files` names committed files with nothing staged: they are read
    (from the index), so a committed live-format key fails the run. Untracked named files are read
    from disk. Without names, --staged still reports only what the commit adds."""
    import json
    import secrets
    import string

    from tests.conftest import git as g

    key = "sk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    (git_repo / "pay.js").write_text(f'const stripe = "{key}";\n')
    (git_repo / "ok.txt").write_text("nothing\n")
    g(git_repo, "add", ".")
    g(git_repo, "commit", "-qm", "committed key")
    code, out, err = run_cli(["scan", "--staged", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 0, err  # nothing staged, no names: nothing to judge
    code, out, err = run_cli(["scan", "--staged", "pay.js", "ok.txt", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 1, err
    assert [f["path"] for f in json.loads(out)["findings"]] == ["pay.js"]
    (git_repo / "new.js").write_text(f'const k = "{key}";\n')  # untracked, named (pre-commit run --files)
    code, out, _ = run_cli(["scan", "--staged", "new.js", "ok.txt", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 1 and [f["path"] for f in json.loads(out)["findings"]] == ["new.js"]
    # a staged edit elsewhere in the file still counts only the lines it adds
    (git_repo / "pay.js").write_text(f'const stripe = "{key}";\nconst x = 1;\n')
    g(git_repo, "add", "pay.js")
    code, out, err = run_cli(["scan", "--staged", "pay.js", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 0, out


def test_an_edited_utf16_file_does_not_cut_short_the_other_staged_files(git_repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """git sees UTF-16 as binary, so its added lines come from a second blob read (the old
    version); that read must not disturb the stream the other staged files are read from."""
    import json
    import secrets
    import string

    from tests.conftest import git as g

    def pw() -> str:
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20))

    (git_repo / "a16.txt").write_bytes("x = 1\n".encode("utf-16"))
    g(git_repo, "add", ".")
    g(git_repo, "commit", "-qm", "utf-16")
    (git_repo / "a16.txt").write_bytes(f"x = 1\nDB_PASSWORD={pw()}\n".encode("utf-16"))
    for i in range(6):
        (git_repo / f"z{i}.env").write_text(f"DB_PASSWORD={pw()}\n")
    g(git_repo, "add", ".")
    code, out, err = run_cli(["scan", "--staged", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 1, err
    assert sorted(f["path"] for f in json.loads(out)["findings"]) == ["a16.txt", *(f"z{i}.env" for i in range(6))]
