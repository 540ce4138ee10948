"""A gate must never pass without scanning, and hostile input gets a one-line
error (exit 2) or is scanned: unreadable files and directories, file names
that are not UTF-8, very deep trees, Latin-1 sources, bad sizes and configs."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leakguard.reporters import REPORTERS
from tests.conftest import RunCli

SECRET_LINE = b'db_password = "Wint3r-Harb0r-88q"\n'


def _deny_open(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Reading `name` fails as it does for a file of another user (tests may run as root)."""
    real = open

    def fake_open(file: object, *a: object, **k: object) -> object:
        if str(file).endswith(name):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *a, **k)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", fake_open)


def test_a_named_file_that_cannot_be_read_is_an_error(run_cli: RunCli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "secret.env"
    f.write_bytes(SECRET_LINE)
    _deny_open(monkeypatch, "secret.env")
    code, out, err = run_cli(["scan", str(f), "--no-repo-config"])
    assert code == 2, out + err
    assert err.count("\n") == 1 and "secret.env" in err and "--skip-unreadable" in err
    code, out, err = run_cli(["scan", str(f), "--no-repo-config", "--skip-unreadable", "-f", "json"])
    assert code == 0, err
    assert json.loads(out)["stats"]["skipped"] == {"unreadable": 1}


def test_a_directory_that_cannot_be_read_is_an_error(run_cli: RunCli, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "locked"
    d.mkdir()
    (d / "app.py").write_bytes(SECRET_LINE)
    real = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).rstrip("/").endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    for cmd in (["scan", str(d)], ["scan", str(tmp_path)], ["baseline", "create", str(d)]):
        code, _, err = run_cli([*cmd, "--no-repo-config"])
        assert code == 2, (cmd, err)
        assert err.count("\n") == 1 and "Permission denied" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_a_real_unreadable_directory_is_exit_2_not_3(run_cli: RunCli, tmp_path: Path) -> None:
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        code, _, err = run_cli(["scan", str(d), "--no-repo-config"])
    finally:
        d.chmod(0o755)
    assert code == 2 and err.count("\n") == 1


def test_unreadable_scan_root_in_config_discovery_is_not_an_internal_error(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard.config import discover

    real_stat = os.stat

    def stat(path, *a, **k):  # type: ignore[no-untyped-def]
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied")
        return real_stat(path, *a, **k)

    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(os, "stat", stat)
    assert discover(tmp_path / "locked") == []


def test_non_utf8_file_names_in_every_format(run_cli: RunCli, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / os.fsdecode(b"caf\xe9-settings.py")).write_bytes(SECRET_LINE)
    for fmt in sorted(REPORTERS):
        out_file = tmp_path / f"out.{fmt}"
        code, out, err = run_cli(["scan", str(root), "--no-repo-config", "-f", fmt, "-o", str(out_file)])
        assert code == 1, (fmt, err)
        text = out_file.read_bytes().decode("utf-8")  # the report stays valid UTF-8
        assert "caf" in text, fmt
    code, out, _ = run_cli(["scan", str(root), "--no-repo-config", "-f", "json"])
    assert json.loads(out)["findings"][0]["path"].startswith("caf")
    code, _, err = run_cli(["baseline", "create", str(root), "--no-repo-config"])
    assert code == 0, err
    code, _, err = run_cli(["scan", str(root), "--no-repo-config", "--baseline",
                            str(root / ".leakguard-baseline.json")])
    assert code == 0, err  # the baselined finding matches again: fingerprints are stable


def test_a_very_deep_tree_is_walked(run_cli: RunCli, tmp_path: Path) -> None:
    d = tmp_path / "deep"
    d.mkdir()
    cur = os.open(d, os.O_RDONLY)
    try:
        for _ in range(1100):  # built relative to a directory fd (shorter than PATH_MAX: 2,200 characters)
            os.mkdir("d", dir_fd=cur)
            nxt = os.open("d", os.O_RDONLY, dir_fd=cur)
            os.close(cur)
            cur = nxt
        fd = os.open("k.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=cur)
        os.write(fd, SECRET_LINE)
        os.close(fd)
    finally:
        os.close(cur)
    try:
        code, out, err = run_cli(["scan", str(d), "--no-repo-config", "-f", "json"])
        assert code == 1, err  # found at depth 1,100; no RecursionError (internal error, exit 3)
        assert json.loads(out)["findings"][0]["path"] == "d/" * 1100 + "k.py"
    finally:  # remove it here, bottom up: pytest's own clean-up (shutil.rmtree) recurses and would fail on it
        os.unlink(os.path.join(d, "d/" * 1100 + "k.py"))
        for depth in range(1100, 0, -1):
            os.rmdir(os.path.join(d, "d/" * depth))


def test_a_latin1_source_file_is_scanned(run_cli: RunCli, tmp_path: Path) -> None:
    body = "# Paramètres: très générale, façon élève, déjà vérifiée, où ça?\n" * 30
    f = tmp_path / "config.py"
    f.write_bytes(body.encode("latin-1") + SECRET_LINE)
    code, out, err = run_cli(["scan", str(f), "--no-repo-config", "-f", "json"])
    assert code == 1, err
    doc = json.loads(out)
    assert doc["stats"]["files"] == 1 and not doc["stats"]["skipped"]
    assert doc["stats"]["notes"] == {"non-UTF-8 text decoded as Latin-1": 1}


@pytest.mark.parametrize("toml,key", [
    ('max_file_size = "inf"\n', "max_file_size"),
    ('max_file_size = "1e400"\n', "max_file_size"),
    ('max_file_size = "nan"\n', "max_file_size"),
    ("max_file_size = 1" + "0" * 30 + "\n", "max_file_size"),
    ("x = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
    ("exit_code = 1" + "0" * 5000 + "\n", "invalid TOML"),
])
def test_bad_config_values_are_one_line_errors(run_cli: RunCli, tmp_path: Path, toml: str, key: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".leakguard.toml").write_text(toml)
    (tmp_path / "app.py").write_bytes(SECRET_LINE)
    code, _, err = run_cli(["scan", str(tmp_path)])
    assert code == 2, err
    assert err.count("\n") == 1 and key in err and "Traceback" not in err


def test_config_that_is_not_utf8_is_a_one_line_error(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".leakguard.toml").write_bytes(b'fail_on = "h\xe9gh"\n')
    code, _, err = run_cli(["scan", str(tmp_path)])
    assert code == 2 and err.count("\n") == 1 and "not UTF-8" in err


@pytest.mark.parametrize("size", ["1e400", "inf", "nan", "-1", "9" * 400])
def test_bad_max_file_size_flag_is_a_usage_error(run_cli: RunCli, tmp_path: Path, size: str) -> None:
    (tmp_path / "app.py").write_bytes(SECRET_LINE)
    code, _, err = run_cli(["scan", str(tmp_path), "--no-repo-config", "--max-file-size", size])
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
