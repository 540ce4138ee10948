"""The findings cache of ``leakguard git``: a repeated audit rebuilds the findings of
blobs it already scanned from their bytes, identical to a scan, and the cache file holds
no secret, no line and no path."""
from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.sources import blobcache
from tests.conftest import RunCli, git

rng = random.Random(11)
ALNUM = string.ascii_letters + string.digits


def _fake(n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


KEY_ID = "AKIA" + _fake(16, string.ascii_uppercase + "234567")
SECRET_KEY = _fake(40, ALNUM + "/+")
GH = "ghp_" + _fake(36)
PW = _fake(18)
TEXTS = {
    # two secrets on one line (each masks the other in its line text), a companion pair
    "deploy/settings.py": f'GH = "{GH}"; DB_PASSWORD = "{PW}"\n'
                          f'aws_access_key_id = "{KEY_ID}"\naws_secret_access_key = "{SECRET_KEY}"\n',
    "app/.env": f"# configuration, ünïcode above the secret\nDB_PASSWORD={PW}\nLOG=debug\n",
    "conf/db.yaml": "database:\n  password: " + _fake(20) + "\n",
}


@pytest.mark.parametrize("path", sorted(TEXTS))
def test_rebuild_gives_back_what_the_scan_found(engine: Engine, path: str) -> None:
    data = TEXTS[path].encode()
    found = engine.scan(Chunk(data, (Origin("commit", path),))).findings
    assert found
    rules = {r.id: r for r in engine.ruleset.rules}
    entry = blobcache.entry(found, data, rules, path)
    assert entry is not None
    stored = json.loads(json.dumps(entry))  # what the file gives back
    rebuilt = blobcache.rebuild(rules, stored, data, path)
    assert rebuilt == found  # every field: secret, line text (neighbours masked), companions, location
    assert all(s not in json.dumps(entry) for s in (GH, PW, KEY_ID, SECRET_KEY))


def test_entries_that_do_not_check_out_are_refused(engine: Engine) -> None:
    path = "deploy/settings.py"
    data = TEXTS[path].encode()
    found = engine.scan(Chunk(data, (Origin("commit", path),))).findings
    rules = {r.id: r for r in engine.ruleset.rules}
    entry = blobcache.entry(found, data, rules, path)
    assert entry is not None
    shifted = [[rid, s + 1, e + 1, *rest] for rid, s, e, *rest in entry]
    assert blobcache.rebuild(rules, shifted, data, path) is None  # the span no longer holds the secret
    assert blobcache.rebuild(rules, [["no-such-rule", *entry[0][1:]]], data, path) is None
    assert blobcache.rebuild(rules, [[entry[0][0], -5, 3, *entry[0][3:]]], data, path) is None
    assert blobcache.rebuild(rules, "garbage", data, path) is None
    assert blobcache.rebuild(rules, entry, data[:10], path) is None


K8S = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n"
       f"  DB_PASSWORD: {base64.b64encode(PW.encode()).decode()}\n"
       f"  API_TOKEN: {base64.b64encode(GH.encode()).decode()}\n")
DECODED = {
    "k8s/secret.yaml": K8S,
    "tests/test_auth.py": f"headers = {{'Authorization': 'Basic {base64.b64encode(f'admin:{PW}'.encode()).decode()}'}}\n"
                          f'GH = "{GH}"\n',
    "blob.py": f"blob = '{base64.b64encode(f'password={PW}'.encode()).decode()}'  # and ghp: {GH}\n",
}


@pytest.mark.parametrize("path", sorted(DECODED))
def test_decoded_findings_are_rebuilt_by_decoding_again(engine: Engine, path: str) -> None:
    data = DECODED[path].encode()
    found = engine.scan(Chunk(data, (Origin("commit", path),))).findings
    assert any(f.decoded for f in found)
    rules = {r.id: r for r in engine.ruleset.rules}
    entry = blobcache.entry(found, data, rules, path)
    assert entry is not None
    raw = json.dumps(entry)
    assert PW not in raw and GH not in raw
    assert blobcache.rebuild(rules, json.loads(raw), data, path) == found


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_warm_audit_rebuilds_the_same_findings_and_keeps_no_secret(git_repo: Path, run_cli: RunCli, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(cache))
    for i, (path, text) in enumerate(sorted(TEXTS.items())):
        (git_repo / path).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / path).write_text(text)
        _commit(git_repo, f"c{i}")
    (git_repo / "app/.env").write_text(TEXTS["app/.env"] + "EXTRA=1\n")  # a second version, same secret
    _commit(git_repo, "edit")
    argv = ["git", str(git_repo), "-f", "json", "--no-redact", "--min-confidence", "low", "--no-progress"]
    cold = run_cli([*argv, "--no-cache"])
    first = run_cli(argv)
    second = run_cli(argv)
    r0, r1, r2 = (json.loads(r[1]) for r in (cold, first, second))
    assert r0["findings"] and r0["findings"] == r1["findings"] == r2["findings"]
    assert cold[0] == first[0] == second[0] == 1
    assert r2["stats"]["notes"]["blobs with findings rebuilt from the cache"] == 4
    assert r2["stats"]["files"] == 0  # nothing scanned
    files = list((cache / "blob-findings").iterdir())
    assert len(files) == 1
    raw = files[0].read_text()
    for secret in (GH, PW, KEY_ID, SECRET_KEY, *(TEXTS["conf/db.yaml"].split()[-1:])):
        assert secret not in raw
    assert "settings.py" not in raw and ".env" not in raw
    # a damaged cache is rescanned, never trusted
    doc = json.loads(raw)
    doc["blobs"] = {k: [[rid, s + 2, e + 2, *rest] for rid, s, e, *rest in v] for k, v in doc["blobs"].items()}
    files[0].write_text(json.dumps(doc))
    third = run_cli(argv)
    r3 = json.loads(third[1])
    assert r3["findings"] == r0["findings"] and r3["stats"]["files"] == 4
    files[0].write_text("{not json")
    assert json.loads(run_cli(argv)[1])["findings"] == r0["findings"]


def test_a_run_without_decoding_does_not_hide_decoded_findings_later(git_repo: Path, run_cli: RunCli, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The caches are keyed by what the verdict depends on: a blob clean under --no-decode
    is not 'clean' for a run that decodes."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    (git_repo / "blob.py").write_text(f"blob = '{base64.b64encode(f'password={PW}'.encode()).decode()}'\n")
    _commit(git_repo, "an encoded secret")
    argv = ["git", str(git_repo), "-f", "json", "--no-progress", "--min-confidence", "low"]
    assert json.loads(run_cli([*argv, "--no-decode"])[1])["findings"] == []
    assert [f["decoded"] for f in json.loads(run_cli(argv)[1])["findings"]] == ["base64"]


def test_a_warm_audit_reads_only_the_blobs_of_reported_findings(git_repo: Path, run_cli: RunCli, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Below --min-confidence a cached finding is attributed and counted from the cache alone:
    the count and the reported findings are those of a cold scan, and a blob holding only
    such findings is never read (its damaged byte span goes unnoticed, as nothing uses it)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(cache))
    low = 'engine = create_engine("postgresql://scott:tiger@localhost/test")\n'
    for i, (path, text) in enumerate(sorted({**TEXTS, "lib/engine.py": low, "test/conn.py": "# x\n" + low}.items())):
        (git_repo / path).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / path).write_text(text)
        _commit(git_repo, f"c{i}")
    (git_repo / "lib/engine.py").write_text("# moved down\n" + low)  # a second version: the same low finding
    _commit(git_repo, "edit")
    argv = ["git", str(git_repo), "-f", "json", "--no-redact", "--no-progress"]
    cold = json.loads(run_cli([*argv, "--no-cache"])[1])
    everything = json.loads(run_cli([*argv, "--no-cache", "--min-confidence", "low"])[1])
    assert cold["stats"]["below_min_confidence"] >= 2
    assert len(everything["findings"]) == len(cold["findings"]) + cold["stats"]["below_min_confidence"]
    run_cli(argv)  # fills the caches
    (f,) = (cache / "blob-findings").iterdir()
    doc = json.loads(f.read_text())
    lows = [k for k, v in doc["blobs"].items() if all(item[4] == "low" for item in v)]
    assert len(lows) >= 2
    for k in lows:  # spans no longer checked out: a rebuild would fail and rescan the blob
        doc["blobs"][k] = [[rid, s + 1, e + 1, *rest] for rid, s, e, *rest in doc["blobs"][k]]
    f.write_text(json.dumps(doc))
    warm = json.loads(run_cli(argv)[1])
    assert warm["findings"] == cold["findings"]
    assert warm["stats"]["below_min_confidence"] == cold["stats"]["below_min_confidence"]
    assert warm["stats"]["files"] == 0  # nothing scanned, the damaged low-only entries were not read
    # at --min-confidence low they are reported, so read: the damage is found and everything rescanned
    low_run = json.loads(run_cli([*argv, "--min-confidence", "low"])[1])
    assert low_run["findings"] == everything["findings"] and low_run["stats"]["files"] > 0
