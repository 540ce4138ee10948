"""User-supplied regexes (rule files, config allowlists) are hostile input:
a pathological one is refused when it is loaded, one line naming file and
key; a search that still times out during a scan is reported and the exit
code says the scan is incomplete (5)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import regex

from leakguard import saferegex
from leakguard.saferegex import SlowRegex, TimedPattern, compile_user
from tests.conftest import RunCli

PATHOLOGICAL = [r"(a|a)+$", r"(\w+\s?)+$", r"^(([a-z])+.)+[A-Z]([a-z])+$", r"(?:[^/]*a){1,20}b"]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_patterns_are_refused(pattern: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(SlowRegex, match="catastrophic backtracking"):
        compile_user(pattern)
    assert time.perf_counter() - t0 < 10  # refused, not hung


@pytest.mark.parametrize("pattern", [r"[=:]", r"^test_", r"(?i)example|dummy", r"\bAKIA[A-Z2-7]{16}\b"])
def test_ordinary_patterns_load(pattern: str) -> None:
    p = compile_user(pattern)
    assert isinstance(p, TimedPattern)
    assert p.pattern == pattern


def test_timed_pattern_applies_its_timeout() -> None:
    p = TimedPattern(regex.compile(r"(a|a)+$"), timeout=0.05)
    with pytest.raises(TimeoutError):
        p.search("a" * 60 + "b")


def _repo_config(tmp_path: Path, toml: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".leakguard.toml").write_text(toml)
    (tmp_path / "app.py").write_text('db_password = "Wint3r-Harb0r-88q"\n')
    return tmp_path


@pytest.mark.parametrize("toml,key", [
    ('[allowlist]\nlines = ["(a|a)+$"]\n', "allowlist.lines[0]"),
    ('[allowlist]\nsecrets = ["x", "(\\\\w+\\\\s?)+$"]\n', "allowlist.secrets[1]"),
    ('[allowlist]\npaths = ["*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"]\n', "allowlist.paths"),
])
def test_config_with_a_pathological_regex_is_a_one_line_error(run_cli: RunCli, tmp_path: Path, toml: str, key: str) -> None:
    root = _repo_config(tmp_path, toml)
    t0 = time.perf_counter()
    code, out, err = run_cli(["scan", str(root)])
    assert time.perf_counter() - t0 < 30
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert ".leakguard.toml" in err and key in err and "catastrophic backtracking" in err


def test_rule_file_with_a_pathological_regex_is_a_one_line_error(run_cli: RunCli, tmp_path: Path) -> None:
    rules = tmp_path / "mine.yaml"
    for field, body in (("pattern", 'pattern: "tok=(?P<secret>(a|a)+)$"'),
                        ("allow.patterns[0]", 'pattern: "tok=(?P<secret>[a-z]{8,})"\n    allow: {patterns: ["(\\\\w+\\\\s?)+$"]}'),
                        ("verify.pair.key_id", 'pattern: "tok=(?P<secret>[a-z]{8,})"\n    verify: {code: aws-sts, '
                                               'pair: {key_id: {pattern: "id=((a|a)+)$", lines: 2}}}')):
        rules.write_text(f"rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                         f"    keywords: [tok=]\n    {body}\n")
        code, _, err = run_cli(["scan", "--rules", str(rules), str(tmp_path)])
        assert code == 2, err
        assert err.count("\n") == 1
        assert "mine.yaml" in err and "my-token" in err and field in err and "catastrophic" in err


def test_a_timeout_during_the_scan_is_reported_and_exits_5(run_cli: RunCli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern slow only on content the load-time probes do not try still
    cannot hang the scan or pass silently."""
    monkeypatch.setattr(saferegex, "probe", lambda *a, **k: None)  # let it through the load-time check
    monkeypatch.setattr(saferegex, "SCAN_TIMEOUT", 0.05)
    root = _repo_config(tmp_path, '[allowlist]\nlines = ["(x|x)+y"]\n')
    (root / "app.py").write_text('db_password = "Wint3r-Harb0r-88q"  # ' + "x" * 80 + "\n")
    for fmt in ("terminal", "json"):
        code, out, err = run_cli(["scan", str(root), "--no-repo-config", "--config", str(root / ".leakguard.toml"),
                                  "-f", fmt])
        assert code == 1, err  # the finding is kept (not allowlisted unchecked); the gate fails
        assert "scan incomplete" in out + err
    (root / "app.py").write_text("x" * 80 + "\n")
    monkeypatch.setattr(saferegex, "SCAN_TIMEOUT", 0.05)
    rules = tmp_path / "slow.yaml"
    rules.write_text("rules:\n  - id: slow-token\n    description: slow\n    severity: high\n"
                     "    keywords: [xxx]\n    pattern: \"(?P<secret>(x|x)+)y\"\n")
    monkeypatch.setattr("leakguard.engine._REGEX_TIMEOUT", 0.05)
    code, out, err = run_cli(["scan", "--no-repo-config", "--rules", str(rules), str(root), "-f", "json"])
    assert code == 5, err
    doc = json.loads(out)
    assert doc["stats"]["timeouts"] == ["app.py: rule slow-token"]
    assert any("scan incomplete" in w for w in doc["warnings"])
    assert "scan incomplete" in err


def test_exit_code_5_is_reserved_in_config(run_cli: RunCli, tmp_path: Path) -> None:
    root = _repo_config(tmp_path, "exit_code = 5\n")
    code, _, err = run_cli(["scan", str(root)])
    assert code == 2 and "reserved" in err


def test_a_long_literal_or_deeply_nested_rule_regex_is_checked_quickly(run_cli: RunCli, tmp_path: Path) -> None:
    """A hostile rule file: a pattern or trigger of 50,000 literal characters loads in seconds (the
    probe puts at most 64 of them before its strings), and 5,000 nested groups are a one-line error."""
    rules = tmp_path / "mine.yaml"
    (tmp_path / "conf.txt").write_text("tok=abcdefghij\n")
    plain = 'pattern: "tok=(?P<secret>[a-z]{8,})"'
    for body in (plain + f'\n    trigger: "{"x" * 50_000}"', f'pattern: "{"x" * 50_000}(?P<secret>[a-z]{{8,}})"'):
        rules.write_text(f"rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                         f"    keywords: [tok=]\n    {body}\n")
        t0 = time.perf_counter()
        code, _, err = run_cli(["scan", "--rules", str(rules), "--no-default-rules", str(tmp_path)])
        assert code in (0, 1), err
        assert time.perf_counter() - t0 < 30  # a hang took minutes (not a timing claim: a bound)
    for said, body in (("bad regex in 'trigger'", plain + f'\n    trigger: "{"(" * 5000}tok{")" * 5000}"'),
                       ("bad regex: ", f'pattern: "{"(" * 5000}tok=(?P<secret>[a-z]{{8,}}){")" * 5000}"')):
        rules.write_text(f"rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                         f"    keywords: [tok=]\n    {body}\n")
        code, _, err = run_cli(["scan", "--rules", str(rules), "--no-default-rules", str(tmp_path)])
        assert code == 2, err
        assert err.count("\n") == 1 and "nested too deeply" in err and said in err and "Traceback" not in err
