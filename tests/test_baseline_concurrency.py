"""Concurrent `baseline update` runs on one file keep every entry (they merge under a lock)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leakguard import baseline as bl


def _tree(root: Path, tag: str, n: int) -> None:
    import random
    import string

    rnd = random.Random(tag)
    alphabet = string.ascii_letters + string.digits
    root.mkdir()
    names = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase][:n]
    lines = [f'svc_{name}_api_key = "{"".join(rnd.choice(alphabet) for _ in range(28))}"' for name in names]
    (root / "settings.py").write_text("\n".join(lines) + "\n")


def test_concurrent_updates_lose_nothing(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "shared-baseline.json"
    target.write_text(bl.dumps(bl.Baseline()))
    dirs = []
    for tag in ("Amber", "Birch", "Cedar"):
        d = tmp_path / tag.lower()
        _tree(d, tag, 60)
        dirs.append(d)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-m", "leakguard", "baseline", "update", str(d), "-b", str(target),
                               "--no-repo-config", "-j", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for d in dirs]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    entries = json.loads(target.read_text())["entries"]
    expected = sum(json.loads(run_cli(["scan", str(d), "-f", "json", "--no-repo-config"])[1])["stats"]["findings"]
                   for d in dirs)
    assert expected > 150
    assert len(entries) == expected, f"{expected - len(entries)} entries lost"


@pytest.mark.parametrize("text,problem", [
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ('{"leakguard_baseline": 1' + "0" * 5000 + ', "entries": []}', "digits"),
    ('{"leakguard_baseline": 1, "entries": [' + "[" * 50000 + "]" * 50000 + "]}", "nested too deeply"),
])
def test_malformed_baseline_is_a_one_line_error(run_cli, tmp_path: Path, text: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "b.json"
    f.write_text(text)
    (tmp_path / "app.py").write_text("x = 1\n")
    code, _, err = run_cli(["scan", str(tmp_path / "app.py"), "--baseline", str(f), "--no-repo-config"])
    assert code == 2, err
    assert err.count("\n") == 1 and problem in err and "Traceback" not in err


def test_baseline_fifo_does_not_hang(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "b.json"
    os.mkfifo(fifo)
    (tmp_path / "app.py").write_text("x = 1\n")
    code, _, err = run_cli(["scan", str(tmp_path / "app.py"), "--baseline", str(fifo), "--no-repo-config"])
    assert code == 2 and "not a regular file" in err


def test_baseline_symlink_is_written_through(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    real = tmp_path / "shared" / "baseline.json"
    real.parent.mkdir()
    real.write_text(bl.dumps(bl.Baseline()))
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "app.py").write_text('db_password = "Wint3r-Harb0r-88q"\n')
    link = proj / ".leakguard-baseline.json"
    link.symlink_to(real)
    code, _, err = run_cli(["baseline", "update", str(proj), "--no-repo-config"])
    assert code == 0, err
    assert link.is_symlink()
    assert len(json.loads(real.read_text())["entries"]) == 1
