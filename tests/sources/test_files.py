"""The file source: what is read, what is skipped and why, never a crash."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from leakguard.model import Chunk, Skipped
from leakguard.sources.files import Entry, iter_entries, read_entry
from tests.conftest import git


def _listing(*targets: str, all_files: bool = False) -> dict[str, str]:
    out = {}
    for item in iter_entries(list(targets), all_files=all_files):
        if isinstance(item, Skipped):
            out[item.origin.path] = item.reason
        else:
            out[item.relpath] = "entry"
    return out


def test_walk_outside_git_skips_dot_git_and_symlinks(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("y")
    (tmp_path / "loop").symlink_to(tmp_path)  # a loop, never followed
    (tmp_path / "out").symlink_to("/etc/passwd")  # out of the tree, never followed
    assert _listing(str(tmp_path)) == {"a/x.py": "entry", "loop": "symlink", "out": "symlink"}


def test_gitignore_honoured_in_a_work_tree(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text("ignored.env\nbuild/\n")
    (git_repo / "ignored.env").write_text("x")
    (git_repo / "build").mkdir()
    (git_repo / "build" / "out.js").write_text("x")
    (git_repo / "kept.py").write_text("x")
    git(git_repo, "add", ".gitignore")
    got = _listing(str(git_repo))
    assert got == {".gitignore": "entry", "kept.py": "entry"}
    got_all = _listing(str(git_repo), all_files=True)
    assert {"ignored.env", "build/out.js", "kept.py"} <= set(got_all)


def test_an_ignored_directory_named_explicitly_is_scanned(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text("venv/\n")
    (git_repo / "venv" / "lib").mkdir(parents=True)
    (git_repo / "venv" / "lib" / "site.py").write_text("x")
    (git_repo / "venv" / ".gitignore").write_text("*.pyc\n")
    (git_repo / "venv" / "lib" / "site.pyc").write_text("x")
    assert _listing(str(git_repo)) == {".gitignore": "entry"}
    assert "venv/lib/site.py" in _listing(str(git_repo / "venv"))  # paths from the repository root


def test_explicit_files_keep_given_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text("x")
    (tmp_path / "b.py").write_text("x")
    assert _listing("sub/a.py", "b.py") == {"sub/a.py": "entry", "b.py": "entry"}


@pytest.mark.parametrize(("content", "expect"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary"),
    (b"ELF\x00\x01\x02 text with a NUL", "binary"),
])
def test_binary_skipped(tmp_path: Path, content: bytes, expect: str) -> None:
    p = tmp_path / "f"
    p.write_bytes(content)
    got = read_entry(Entry(str(p), "f"))
    assert isinstance(got, Skipped) and got.reason == expect


def test_too_large_skipped(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_bytes(b"a" * 2000)
    got = read_entry(Entry(str(p), "big.txt"), max_size=1000)
    assert isinstance(got, Skipped) and got.reason == "too-large"
    assert isinstance(read_entry(Entry(str(p), "big.txt"), max_size=0), Chunk)


def test_invalid_utf8_is_replaced_not_skipped(tmp_path: Path) -> None:
    p = tmp_path / "latin1.py"
    p.write_bytes("caf\xe9 = 1\npassword = 'x'\n".encode("latin-1"))
    got = read_entry(Entry(str(p), "latin1.py"))
    assert isinstance(got, Chunk)
    assert got.notes == ("invalid UTF-8 replaced",)
    assert "\ufffd" in got.data.decode()


def test_utf16_with_bom_decoded(tmp_path: Path) -> None:
    p = tmp_path / "win.ps1"
    p.write_bytes("\ufeff$password = 'Hk7mZq2xVb9L'\r\n".encode("utf-16-le"))
    got = read_entry(Entry(str(p), "win.ps1"))
    assert isinstance(got, Chunk)
    assert got.data.decode() == "$password = 'Hk7mZq2xVb9L'\r\n"


def test_vanished_and_unreadable_and_special(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = read_entry(Entry(str(tmp_path / "gone"), "gone"))
    assert isinstance(got, Skipped) and got.reason == "not-found"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = read_entry(Entry(str(fifo), "pipe"))  # would block forever if opened
    assert isinstance(got, Skipped) and got.reason == "special"
    p = tmp_path / "locked"
    p.write_text("x")

    def deny(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    got = read_entry(Entry(str(p), "locked"))
    assert isinstance(got, Skipped) and got.reason == "unreadable"


def test_unreadable_directory_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d").mkdir()
    real = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("/d"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert _listing(str(tmp_path)) == {"d": "unreadable"}


def test_paths_are_relative_to_the_repository_root(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`scan src` reports src/pay.js (as `scan .` does), also from a subdirectory; outside a
    repository, paths are relative to the current directory."""
    (git_repo / "src" / "lib").mkdir(parents=True)
    (git_repo / "src" / "pay.js").write_text("x")
    (git_repo / "src" / "lib" / "util.js").write_text("x")
    monkeypatch.chdir(git_repo)
    assert _listing("src") == {"src/lib/util.js": "entry", "src/pay.js": "entry"}
    assert _listing("src/pay.js") == {"src/pay.js": "entry"}
    monkeypatch.chdir(git_repo / "src" / "lib")
    assert _listing(".") == {"src/lib/util.js": "entry"}
    assert _listing("../pay.js", ".") == {"src/pay.js": "entry", "src/lib/util.js": "entry"}
    plain = git_repo.parent / "plain"
    (plain / "src").mkdir(parents=True)
    (plain / "src" / "pay.js").write_text("x")
    monkeypatch.chdir(plain)
    assert _listing("src") == {"src/pay.js": "entry"}


def test_scan_src_reports_src_paths(git_repo: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import json

    (git_repo / "src").mkdir()
    (git_repo / "src" / "pay.js").write_text('const stripeKey = "sk_live_' + "Qw0PXgLLZNSVUR39i4anWuiv" + '";\n')
    code, out, err = run_cli(["scan", "src", "-f", "json", "--no-progress"], cwd=git_repo)
    assert code == 1, err
    assert [f["path"] for f in json.loads(out)["findings"]] == ["src/pay.js"]
