"""A baseline matches from wherever the next scan runs: created in a subdirectory
(or with ``baseline create sub``), it matches a scan from the same place and from
the root; a baseline written by an older version with paths relative to where it
ran still matches, and update/prune move it to today's paths. The same secret in
another file is never taken for a baselined one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakguard.engine import fingerprint
from tests.conftest import RunCli, git

PASSWORD = "pR7#vKq29!xLm"
LINE = f'DATABASE_PASSWORD = "{PASSWORD}"\n'


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


def found(run_cli: RunCli, cwd: Path, *argv: str) -> list[str]:
    code, out, err = run_cli(["scan", *argv, "-f", "json", "--no-progress"], cwd=cwd)
    assert code in (0, 1), err
    return [f["path"] for f in json.loads(out)["findings"]]


def create(run_cli: RunCli, cwd: Path, *argv: str) -> dict:  # type: ignore[type-arg]
    code, _, err = run_cli(["baseline", "create", *argv], cwd=cwd)
    assert code == 0, err
    return {}


@pytest.fixture(params=["plain", "git"])
def proj(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.py").write_text(LINE)
    if request.param == "git":
        git(root, "init", "-q", "-b", "main")
    return root


def test_created_in_a_subdirectory_matches_there_and_from_the_root(run_cli: RunCli, proj: Path) -> None:
    sub = proj / "sub"
    assert found(run_cli, sub, ".") != []
    create(run_cli, sub)  # cd sub && leakguard baseline create
    assert found(run_cli, sub, ".", "--baseline", ".leakguard-baseline.json") == []
    assert found(run_cli, proj, ".", "--baseline", "sub/.leakguard-baseline.json") == []
    assert found(run_cli, proj, "sub", "--baseline", "sub/.leakguard-baseline.json") == []
    (proj / "b.py").write_text(LINE)  # the same secret in another file is new
    assert found(run_cli, proj, ".", "--baseline", "sub/.leakguard-baseline.json") == ["b.py"]


def test_created_for_a_subdirectory_from_the_root_matches_inside_it(run_cli: RunCli, proj: Path) -> None:
    sub = proj / "sub"
    create(run_cli, proj, "sub")  # writes sub/.leakguard-baseline.json
    assert found(run_cli, sub, ".", "--baseline", ".leakguard-baseline.json") == []
    assert found(run_cli, proj, "sub", "--baseline", "sub/.leakguard-baseline.json") == []
    code, _, err = run_cli(["baseline", "prune", "."], cwd=sub)  # from inside: nothing is gone
    assert code == 0 and "pruned 0, 1 entries left" in err, err


def test_a_baseline_with_cwd_relative_paths_still_matches_and_is_moved_on(run_cli: RunCli, proj: Path) -> None:
    """What versions before root-relative paths wrote when run in a subdirectory."""
    sub = proj / "sub"
    code, out, _ = run_cli(["scan", ".", "-f", "json", "--no-progress"], cwd=sub)
    (f,) = json.loads(out)["findings"]
    old = {"fingerprint": fingerprint(f["secret_hash"], "a.py"), "path": "a.py", "rule_id": f["rule_id"],
           "secret": "pR*********", "secret_hash": f["secret_hash"], "status": "accepted", "reason": "rotated"}
    bl = sub / ".leakguard-baseline.json"
    bl.write_text(json.dumps({"leakguard_baseline": 1, "entries": [old]}))
    assert found(run_cli, sub, ".", "--baseline", ".leakguard-baseline.json") == []
    assert found(run_cli, proj, ".", "--baseline", "sub/.leakguard-baseline.json") == []
    (proj / "a.py").write_text(LINE)  # same secret, same name, another directory: one entry, one file
    reported = found(run_cli, proj, ".", "--baseline", "sub/.leakguard-baseline.json")
    # outside a repository the entry can only mean sub/a.py; inside one, "a.py" is also how
    # today's baselines name the file at the top, which then wins: never both hidden
    assert reported == (["sub/a.py"] if (proj / ".git").exists() else ["a.py"])
    (proj / "a.py").unlink()
    code, _, err = run_cli(["baseline", "prune", "."], cwd=sub)
    assert code == 0 and "pruned 0, 1 entries left" in err, err
    code, _, err = run_cli(["baseline", "update", "."], cwd=sub)
    assert code == 0 and "0 new, 1 entries" in err, err
    (entry,) = json.loads(bl.read_text())["entries"]
    assert entry["status"] == "accepted" and entry["reason"] == "rotated"  # the label stays
    assert entry["path"] == ("sub/a.py" if (proj / ".git").exists() else "a.py")  # relative to its frame
    assert entry["fingerprint"] == fingerprint(f["secret_hash"], entry["path"])
    assert found(run_cli, proj, ".", "--baseline", "sub/.leakguard-baseline.json") == []


def test_a_baseline_outside_the_scanned_tree_still_matches(run_cli: RunCli, proj: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "ci" / "baseline.json"
    elsewhere.parent.mkdir()
    create(run_cli, proj, ".", "--baseline", str(elsewhere))
    assert found(run_cli, proj, ".", "--baseline", str(elsewhere)) == []
    assert found(run_cli, proj / "sub", ".", "--baseline", str(elsewhere)) == ([] if (proj / ".git").exists()
                                                                              else ["a.py"])
