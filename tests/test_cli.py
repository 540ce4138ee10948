"""main(argv): exit codes 0/1/2/3/130, one-line errors, output files, stdin."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import RunCli

SECRET = "ghp_" + "q8Lk2vT9xNp4Rw7ZmB3cYh6JfD1sA50nHZn5"  # fake, random-looking (valid checksum)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(f'import os\nGITHUB_TOKEN = "{SECRET}"\n')
    (tmp_path / "clean.py").write_text("print('hello')\n")
    return tmp_path


def test_findings_exit_1_and_redacted(run_cli: RunCli, tree: Path) -> None:
    code, out, err = run_cli(["scan", str(tree)])
    assert code == 1
    assert "app.py:2:" in out and SECRET not in out and SECRET not in err
    assert "2 files scanned" in out


def test_clean_exit_0(run_cli: RunCli, tree: Path) -> None:
    code, out, _ = run_cli(["scan", str(tree / "clean.py")])
    assert code == 0 and "0 findings" in out


def test_json_to_file(run_cli: RunCli, tree: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "report.json"
    code, out, _ = run_cli(["scan", str(tree), "-f", "json", "-o", str(out_file)])
    assert code == 1 and out == ""
    doc = json.loads(out_file.read_text())
    assert doc["version"] and doc["stats"]["files"] == 2
    (f,) = doc["findings"]
    assert f["path"] == "app.py" and f["line"] == 2 and f["column"] == 17 and f["end_line"] == 2
    assert f["rule_id"].startswith("github") and f["severity"] in ("high", "critical")
    assert f["secret"] != SECRET and SECRET not in out_file.read_text()
    assert len(f["fingerprint"]) == 64 and isinstance(f["entropy"], float)


def test_no_redact_shows_secret(run_cli: RunCli, tree: Path) -> None:
    code, out, _ = run_cli(["scan", str(tree), "-f", "json", "--no-redact"])
    assert code == 1 and json.loads(out)["findings"][0]["secret"] == SECRET


def test_stdin(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["scan", "-", "-f", "json"], stdin=f"token = '{SECRET}'\n".encode())
    assert code == 1 and json.loads(out)["findings"][0]["path"] == "-"


def test_several_files_as_pre_commit_passes_them(run_cli: RunCli, tree: Path) -> None:
    code, out, _ = run_cli(["scan", "app.py", "clean.py", "-f", "json"], cwd=tree)
    assert code == 1 and json.loads(out)["stats"]["files"] == 2


@pytest.mark.parametrize("argv", [
    ["scan", "/definitely/not/here"],
    ["scan", "--bogus-flag"],
    ["scan", "--max-file-size", "lots", "."],
    ["scan", "-", "."],
    ["frobnicate"],
])
def test_usage_and_input_errors_exit_2_one_line(run_cli: RunCli, argv: list[str]) -> None:
    code, out, err = run_cli(argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and err.startswith("leakguard")


def test_bad_rule_file_names_file_and_rule(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: broken-rule\n    description: x\n    severity: high\n    keywords: [abc]\n    pattern: '(?P<secret>[a-z'\n")
    code, _, err = run_cli(["scan", "--rules", str(bad), str(tmp_path)])
    assert code == 2 and "bad.yaml" in err and "broken-rule" in err and len(err.strip().splitlines()) == 1


def test_invalid_yaml_rule_file(run_cli: RunCli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    code, _, err = run_cli(["scan", "--rules", str(bad), str(tmp_path)])
    assert code == 2 and "bad.yaml" in err and "invalid YAML" in err


def test_internal_error_exit_3_without_traceback(run_cli: RunCli, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("leakguard.commands.scan.scan_paths", boom)
    code, _, err = run_cli(["scan", str(tree)])
    assert code == 3 and "kaboom" in err and "Traceback" not in err


def test_interrupt_exit_130(run_cli: RunCli, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("leakguard.commands.scan.scan_paths", interrupt)
    code, _, _ = run_cli(["scan", str(tree)])
    assert code == 130


def test_fail_on_threshold(run_cli: RunCli, tree: Path) -> None:
    code, _, _ = run_cli(["scan", str(tree), "--fail-on", "critical"])
    (tree / "k.txt").write_text("")
    assert code in (0, 1)
    code_low, _, _ = run_cli(["scan", str(tree), "--fail-on", "low"])
    assert code_low == 1


def test_parallel_and_serial_agree(run_cli: RunCli, tmp_path: Path) -> None:
    for i in range(150):
        body = f'password = "Wint3r-Harb0r-{i:03d}x"\n' if i % 10 == 0 else f"x = {i}\n"
        (tmp_path / f"m{i:03d}.py").write_text(body)
    _, out1, _ = run_cli(["scan", str(tmp_path), "-f", "json", "-j", "1"])
    _, out2, _ = run_cli(["scan", str(tmp_path), "-f", "json", "-j", "2"])
    f1, f2 = json.loads(out1)["findings"], json.loads(out2)["findings"]
    assert len(f1) == 15 and f1 == f2


def test_version_help_and_module_entry_point() -> None:
    for argv in (["--version"], ["--help"], ["scan", "--help"]):
        p = subprocess.run([sys.executable, "-m", "leakguard", *argv], capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "leakguard", "--version"], capture_output=True, text=True, check=False)
    assert p.stdout.startswith("leakguard ")


def test_the_program_exits_quickly_with_its_code_and_all_its_output(tmp_path: Path) -> None:
    """``python -m leakguard`` (and the ``leakguard`` command, :func:`leakguard.cli.run`) skips
    the interpreter's teardown: the exit code, a large report on a pipe and the stderr
    summary still all arrive."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(300):
        (src / f"m{i:03d}.py").write_text(f'password = "Wint3r-Harb0r-{i:03d}x"\n')
    env = {**os.environ, "LEAKGUARD_CACHE_DIR": str(tmp_path / "cache")}  # (not scanned: it may hold the rule pack)
    p = subprocess.run([sys.executable, "-m", "leakguard", "scan", str(src), "-f", "json", "--no-progress"],
                       capture_output=True, text=True, check=False, env=env)
    assert p.returncode == 1, p.stderr
    assert len(json.loads(p.stdout)["findings"]) == 300
    p = subprocess.run([sys.executable, "-m", "leakguard", "scan", str(src / "nothing-here")],
                       capture_output=True, text=True, check=False, env=env)
    assert p.returncode == 2 and p.stderr.startswith("leakguard: error:")


def test_terminal_output_has_no_colour_when_not_a_tty(run_cli: RunCli, tree: Path) -> None:
    _, out, _ = run_cli(["scan", str(tree)])
    assert "\x1b[" not in out


def test_rules_check_command_passes_on_builtin_rules(run_cli: RunCli) -> None:
    code, out, err = run_cli(["rules", "check"])
    assert code == 0, err
    assert "0 errors" in out


def test_rules_check_asks_a_provider_rule_how_to_revoke(run_cli: RunCli, tmp_path: Path) -> None:
    rule = {"id": "acme-token", "description": "Acme API token (acme_)", "severity": "high",
            "keywords": ["acme_"], "pattern": r"(?P<secret>\bacme_[A-Za-z0-9]{24}\b)",
            "remediation": {"kind": "token", "provider": "Acme"},
            "examples": ["ACME_TOKEN=acme_Xq7Lm2Vv9Rt4Ws8Yz3Kb6Nc1", "token: acme_Pq7Lm2Xv9Rt4Ws8Yz3Kb6NcQ"],
            "negative_examples": ["ACME_TOKEN=acme_short", "ACME_TOKEN=${ACME_TOKEN}"]}
    f = tmp_path / "acme.yaml"
    f.write_text(yaml.safe_dump({"rules": [rule]}), encoding="utf-8")
    code, out, err = run_cli(["rules", "check", "--strict", str(f)])
    assert code == 1 and "revoke" in err and "1 warnings" in out
    rule["remediation"]["no_revoke"] = "ask Acme support to revoke it and issue a new token"
    f.write_text(yaml.safe_dump({"rules": [rule]}), encoding="utf-8")
    code, out, err = run_cli(["rules", "check", "--strict", str(f)])
    assert code == 0, err
    assert "0 warnings" in out
