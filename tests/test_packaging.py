"""`pip install .` must ship the rules: build the wheel and look inside."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_rule_pack(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    (wheel,) = tmp_path.glob("leakguard_scanner-*.whl")  # the distribution name (leakguard on the index is taken)
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("leakguard/_rules/") and n.endswith(".yaml")}
    in_repo = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert shipped == in_repo and len(in_repo) > 5
    assert any(n.endswith("entry_points.txt") for n in names)
