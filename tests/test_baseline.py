"""Baseline: stable, sorted, line-free, hashed; --baseline on scans; audit with scripted stdin."""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from leakguard import baseline as bl
from leakguard.errors import ConfigError

PASSWORD = "pR7#vKq29!xLm"
PG_PASSWORD = "Zr8kLq2mVx9T"
PASSWORD_LINE = f'DATABASE_PASSWORD = "{PASSWORD}"\n'
PG_LINE = f'url = "postgres://app:{PG_PASSWORD}@db.internal:5432/shop"\n'


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "settings.py").write_text("import os\n\n" + PASSWORD_LINE)
    (root / "db.py").write_text(PG_LINE)
    return root


def scan(run_cli, root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scan", str(root), "-f", "json", "--no-progress", "--all-files", *extra])
    assert code in (0, 1), err
    return code, json.loads(out)


def create(run_cli, root: Path, *extra: str) -> Path:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["baseline", "create", str(root), "--all-files", *extra])
    assert code == 0, err
    return root / bl.DEFAULT_NAME


def test_create_is_sorted_one_entry_per_line_no_secret_no_lines(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    text = path.read_text()
    assert PASSWORD not in text and PG_PASSWORD not in text
    doc = json.loads(text)
    assert doc["leakguard_baseline"] == 1
    entries = doc["entries"]
    assert [e["path"] for e in entries] == ["app/settings.py", "db.py"]
    assert all(set(e) == {"fingerprint", "path", "rule_id", "secret", "secret_hash"} for e in entries)
    lines = text.splitlines()
    assert sum(1 for line in lines if '"fingerprint"' in line) == 2  # one entry per line
    assert "line" not in json.dumps(entries) and "time" not in text


def test_round_trip_and_stable_bytes(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    first = path.read_bytes()
    assert bl.dumps(bl.load(path)).encode() == first
    assert run_cli(["baseline", "update", str(tree), "--all-files"])[0] == 0
    assert path.read_bytes() == first  # nothing new: byte-identical


def test_scan_with_baseline_reports_only_new(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    code, doc = scan(run_cli, tree, "--baseline", str(path))
    assert code == 0 and doc["findings"] == [] and doc["stats"]["suppressed_baseline"] == 2
    (tree / "new.env").write_text("API_SECRET=Hq4vN8zLw2Tx6Rb9\n")
    code, doc = scan(run_cli, tree, "--baseline", str(path))
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["new.env"]


def test_moving_lines_and_reformatting_keeps_it_baselined(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    (tree / "app" / "settings.py").write_text(
        '"""Settings."""\n\nDEBUG = False\n\n\n# database\nDATABASE_PASSWORD   =   "' + PASSWORD + '"  \n')
    code, doc = scan(run_cli, tree, "--baseline", str(path))
    assert code == 0 and doc["findings"] == []


def test_same_secret_in_another_file_is_new(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    (tree / "app" / "other.py").write_text(PASSWORD_LINE)
    code, doc = scan(run_cli, tree, "--baseline", str(path))
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["app/other.py"]


def test_show_baselined_labels_but_does_not_fail(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    doc = json.loads(path.read_text())
    doc["entries"][0]["status"], doc["entries"][0]["reason"] = "false-positive", "test fixture"
    path.write_text(json.dumps(doc))
    code, out = scan(run_cli, tree, "--baseline", str(path), "--show-baselined")
    assert code == 0
    assert sorted(f["status"] for f in out["findings"]) == ["baselined", "false-positive"]


def test_update_keeps_labels_prune_drops_gone(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    base = bl.load(path)
    fp = base.entries[0].fingerprint
    bl.save(path, bl.label(base, fp, "accepted", "rotated already"))
    (tree / "new.env").write_text("API_SECRET=Hq4vN8zLw2Tx6Rb9\n")
    assert run_cli(["baseline", "update", str(tree), "--all-files"])[0] == 0
    after = bl.load(path)
    assert len(after) == 3 and after.by_fingerprint()[fp].status == "accepted"
    (tree / "db.py").write_text("url = os.environ['DATABASE_URL']\n")
    assert run_cli(["baseline", "prune", str(tree), "--all-files"])[0] == 0
    assert {e.path for e in bl.load(path).entries} == {"app/settings.py", "new.env"}


def test_create_refuses_overwrite(run_cli, tree: Path) -> None:
    create(run_cli, tree)
    code, _, err = run_cli(["baseline", "create", str(tree)])
    assert code == 2 and "baseline exists" in err
    create(run_cli, tree, "--force")


def test_scanner_never_reports_its_baseline(run_cli, tree: Path) -> None:
    custom = tree / "custom-baseline.json"
    assert run_cli(["baseline", "create", str(tree), "--all-files", "-b", str(custom)])[0] == 0
    code, doc = scan(run_cli, tree, "--baseline", str(custom))
    assert doc["stats"]["files"] == 2 and doc["stats"]["skipped"] == {"allowlisted": 1}  # never read
    (tree / bl.DEFAULT_NAME).write_text(PASSWORD_LINE)  # a file merely named like a baseline, not in use: scanned
    code, doc = scan(run_cli, tree)
    assert any(f["path"] == bl.DEFAULT_NAME for f in doc["findings"])


@pytest.mark.parametrize(("text", "message"), [
    ("{", "invalid JSON"),
    ("[]", "not a leakguard baseline"),
    ('{"leakguard_baseline": "one", "entries": []}', "unknown baseline format version"),
    ('{"leakguard_baseline": 99, "entries": []}', "written by a newer leakguard (baseline format 99"),
    ('{"leakguard_baseline": 1, "entries": {}}', "'entries' must be a list"),
    ('{"leakguard_baseline": 1, "entries": [{"fingerprint": "x"}]}', "entries[0]: 'path'"),
    ('{"leakguard_baseline": 1, "entries": [], "extra": 1}', "unknown key 'extra'"),
])
def test_bad_baseline_is_one_line_exit_2(run_cli, tree: Path, text: str, message: str) -> None:
    bad = tree / "bad.json"
    bad.write_text(text)
    code, out, err = run_cli(["scan", str(tree), "--baseline", str(bad), "--no-progress"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert str(bad) in err and message in err


def test_bad_status_and_missing_file(tree: Path) -> None:
    e = {"fingerprint": "a" * 64, "path": "x", "rule_id": "r", "secret_hash": "b" * 64, "status": "maybe"}
    with pytest.raises(ConfigError, match="'status' must be one of"):
        bl.loads(json.dumps({"leakguard_baseline": 1, "entries": [e]}), "b.json")
    with pytest.raises(ConfigError, match="baseline file not found"):
        bl.load(tree / "missing.json")


def _writer(args: tuple[str, int]) -> None:
    path, n = args
    entries = [bl.Entry(f"{i:064x}", f"f{n}-{i}.py", "r", "ab**", f"{n:064x}") for i in range(300)]
    for _ in range(20):
        bl.save(path, bl.Baseline(tuple(entries)))


def test_concurrent_writers_leave_a_valid_file(tmp_path: Path) -> None:
    path = str(tmp_path / bl.DEFAULT_NAME)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_writer, [(path, n) for n in range(8)])
    assert len(bl.load(path)) == 300
    assert [p.name for p in tmp_path.iterdir()] == [bl.DEFAULT_NAME]  # no temp files left


def test_audit_with_scripted_stdin(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    # entry 1 (app/settings.py): accepted, empty reason refused, then a reason; entry 2 (db.py): false positive
    script = b"a\n\nrotated in March\nf\nnot used\n"
    code, out, err = run_cli(["baseline", "audit", str(tree), "--all-files"], stdin=script)
    assert code == 0, err
    assert "needs a reason" in out and "line 3" in out and PASSWORD not in out
    labels = {e.path: (e.status, e.reason) for e in bl.load(path).entries}
    assert labels == {"app/settings.py": ("accepted", "rotated in March"), "db.py": ("false-positive", "not used")}
    code, out, _ = run_cli(["baseline", "audit", str(tree)], stdin=b"")
    assert code == 0 and "all labelled" in out


def test_audit_quit_and_eof_keep_progress(run_cli, tree: Path) -> None:
    path = create(run_cli, tree)
    code, _, _ = run_cli(["baseline", "audit", str(tree), "--no-scan"], stdin=b"t\n\nq\n")
    assert code == 0
    assert [e.status for e in bl.load(path).entries] == ["true-positive", None]
    code, _, _ = run_cli(["baseline", "audit", str(tree), "--no-scan"], stdin=b"")  # EOF: stop, no crash
    assert code == 0 and [e.status for e in bl.load(path).entries] == ["true-positive", None]
