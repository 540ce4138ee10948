"""The fast history path finds exactly what the plain one finds.

Reference path: the pure-Python keyword prefilter (one hit per keyword, no
path-scoped databases) and every hit window confirmed afresh. Fast path:
Hyperscan databases split by path scope, one hit per line and rule, and the
per-rule verdict cache that confirms a line living in many blob versions once.
Both run on a generated history with planted secrets (merges, an evil merge,
renames, deletions, an unmerged branch) plus files whose secret lines survive
many edits, and must give the same findings and attribution.
"""
from __future__ import annotations

import importlib.util
import json
import os
import random
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest

from leakguard import engine as engine_mod
from leakguard import prefilter
from leakguard.commands import git as git_command
from tests.conftest import RunCli

ROOT = Path(__file__).resolve().parents[2]


def _planted_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_planted_repo", ROOT / "benchmarks" / "make_planted_repo.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fake(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_AUTHOR_DATE": "1700000000 +0000", "GIT_COMMITTER_DATE": "1700000000 +0000"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("planted") / "repo"
    truth = _planted_module().build(out, 300, 4242)
    # Files that keep their secret lines through many versions, moved around by edits above them,
    # plus a long minified line with several secrets: the verdict cache replays these.
    rng = random.Random(7)
    alnum = string.ascii_letters + string.digits
    key_id = "AKIA" + _fake(rng, string.ascii_uppercase + "234567", 16)
    lines = [f'aws_access_key_id = "{key_id}"', f'aws_secret_access_key = "{_fake(rng, alnum + "/+", 40)}"',
             f"DB_PASSWORD={_fake(rng, alnum, 18)}", f"token = 'ghp_{_fake(rng, alnum, 36)}'",
             "password = 'changeme'", f"url = 'postgresql://app:{_fake(rng, alnum, 14)}@db.internal:5432/app'"]
    minified = ";".join(f"var a{i}='{_fake(rng, alnum, 30)}'" for i in range(3000))
    minified += f";var k='sk_live_{_fake(rng, alnum, 24)}';" + ";".join(f"var b{i}=1" for i in range(2000))
    # A file large enough for incremental scanning: secrets above, between and below two hunks
    # that change in every version (lines inserted and removed, so the tail shifts), encoded
    # blobs (decode candidates), a private key block (multi-line rule) and an AWS pair (a rule
    # that needs its companion nearby) across the hunks.
    import base64
    b64 = base64.b64encode(f"password={_fake(rng, alnum, 20)}".encode()).decode()
    b64_tail = base64.b64encode(f"secret_key={_fake(rng, alnum, 24)}".encode()).decode()
    pem = ["-----BEGIN RSA PRIVATE KEY-----", *(_fake(rng, alnum + "+/", 64) for _ in range(8)),
           "-----END RSA PRIVATE KEY-----"]
    filler = [f"value_{i} = compute({i}, 'some text that is not a secret')" for i in range(120)]
    for version in range(12):
        head = [f"# revision {version}", *(f"x{i} = {i}" for i in range(version))]
        big = [lines[0], f"token = 'ghp_{_fake(rng, alnum, 36)}'" if version % 4 == 0 else lines[3],
               *filler[:30], *(f"hunk_a_{version}_{i} = {i}" for i in range(version % 3 + 1)),
               *filler[30:60], f"blob = '{b64}'", lines[1], *filler[60:90],
               *(f"hunk_b_{version}_{i} = {i}" for i in range(3 - version % 3)),
               *(pem if version % 2 else []), *filler[90:], lines[2], lines[5], f"enc = '{b64_tail}'"]
        (out / "conf").mkdir(exist_ok=True)
        (out / "conf" / "app_config.py").write_text("\n".join(big) + "\n")
        (out / "conf").mkdir(exist_ok=True)
        (out / "conf" / "settings.py").write_text("\n".join(head + lines[: 2 + version % 5]) + "\n")
        (out / "conf" / ".env").write_text("\n".join(head[: version % 3] + [lines[2]]) + "\n")
        (out / "conf" / "bundle.min.js").write_text(f"/*v{version}*/" + minified + "\n")
        _git(out, "add", "-A")
        _git(out, "commit", "-q", "-m", f"settings v{version}")
    return out, truth


def _scan(run_cli: RunCli, repo: Path, jobs: str) -> dict[str, Any]:
    code, out, err = run_cli(["git", str(repo), "-f", "json", "--no-cache", "--no-progress", "--no-redact", "-j", jobs])
    assert code in (0, 1), err
    data: dict[str, Any] = json.loads(out)
    data["stats"].pop("seconds", None)
    return data


@pytest.mark.parametrize("by_path", [True, False])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_fast_history_path_finds_what_the_reference_path_finds(planted: tuple[Path, dict[str, Any]], run_cli: RunCli,
                                                               monkeypatch: pytest.MonkeyPatch, jobs: str,
                                                               by_path: bool) -> None:
    if not prefilter.hyperscan_available():
        pytest.skip("hyperscan wheel not installed: only the reference path exists")
    repo, truth = planted
    diffs: list[tuple[int, int, int]] = []
    blocks: list[int] = []
    unchanged, diff = engine_mod._unchanged, engine_mod._diff

    def counting(old: bytes, new: bytes) -> tuple[int, int]:
        ps, ss = unchanged(old, new)
        diffs.append((ps, ss, len(new)))
        return ps, ss

    def counting_blocks(old: bytes, new: bytes) -> list[tuple[int, int, int]]:
        found = diff(old, new)
        blocks.append(len(found))
        return found

    monkeypatch.setattr(engine_mod, "_unchanged", counting)
    monkeypatch.setattr(engine_mod, "_diff", counting_blocks)
    monkeypatch.setattr(engine_mod, "_SPLIT_MIN", 1024)  # the planted files are small: split them anyway
    # by_path: each file's versions one after another in history order (the default);
    # else blobs in object-store order (by id here: loose objects), not history order, so that a
    # version is often scanned after a later one and its first findings come from replayed verdicts
    monkeypatch.setattr(git_command, "_ORDER_FROM_PACK", 0)
    monkeypatch.setattr(git_command, "_BY_PATH", by_path)
    fast = _scan(run_cli, repo, jobs)
    if jobs == "1":  # in this process: versions of a file were scanned incrementally, above and below a change
        assert any(0 < ps and ss < n for ps, ss, n in diffs)
        assert max(blocks) >= 3  # and lines between two changes were taken from the earlier version
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")
    monkeypatch.setattr(engine_mod, "VERDICT_CACHE", False)
    ref = _scan(run_cli, repo, jobs)
    assert fast["findings"] == ref["findings"]
    assert fast["stats"] == ref["stats"]
    # the comparison is not vacuous: planted secrets on every kind of path are there, with their commits
    found = json.dumps(fast["findings"])
    planted_found = [s for s in truth["secrets"] if s["match"] in found]
    assert len(planted_found) >= len(truth["secrets"]) * 3 // 4
    assert {s["scenario"] for s in planted_found} >= {"plain", "merge-commit", "unmerged-branch"}
    assert {f["path"] for f in fast["findings"]} >= {"conf/settings.py", "conf/.env", "conf/bundle.min.js",
                                                     "conf/app_config.py"}
    rules = {f["rule_id"] for f in fast["findings"] if f["path"] == "conf/app_config.py"}
    assert len(rules) >= 4, rules
    assert sum(1 for f in fast["findings"] if f["path"] == "conf/app_config.py" and f.get("decoded")) >= 2
