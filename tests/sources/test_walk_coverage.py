"""How far runs covered the stored walk (walkcache coverage records): an audit looks up a key
only for the blobs no run of the same engine found clean, and a record never makes a blob
count as scanned when it was not: not after new commits fall between old ones, not under
other rules, decoding or size limit, not when the record is damaged."""
from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import blobcache, history, walkcache
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write
from tests.sources.test_walkcache import audit, cache, history_with_secrets, same_as_afresh, walks  # noqa: F401

__all__ = ["cache", "walks"]  # fixtures


def _head(stored: Path) -> tuple[dict[str, Any], int]:
    data = stored.read_bytes()
    head, _, at = walkcache._header(data)
    return head, at


def _records(cache_dir: Path) -> tuple[dict[str, walkcache.Record], history.History]:
    (stored,) = (cache_dir / "walks").iterdir()
    data = stored.read_bytes()
    h, _, _ = walkcache._decode(data)
    head, _, _ = walkcache._header(data)
    return walkcache._records(head, len(h.first)), h


def _clean_keys(cache_dir: Path) -> set[bytes]:
    keys: set[bytes] = set()
    for f in (cache_dir / "clean-blobs").iterdir():
        raw = f.read_bytes()
        keys |= {raw[i:i + blobcache.KEY_SIZE] for i in range(0, len(raw), blobcache.KEY_SIZE)}
    return keys


def _covered_are_clean(cache_dir: Path) -> int:
    """Every blob a record holds covered was stored clean by the run that wrote it; returns how
    many blobs the records hold."""
    records, h = _records(cache_dir)
    clean = _clean_keys(cache_dir)
    oids = list(h.first)
    n_covered = 0
    for n, exc in records.values():
        skip = set(exc)
        for i in range(n):
            if i not in skip:
                oid = oids[i]
                assert blobcache.key(oid, h.paths[h.first[oid][1]]) in clean, (i, oid)
                n_covered += 1
    return n_covered


def _keys_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real = blobcache.key

    def spy(oid: str, path: str) -> bytes:
        made.append(oid)
        return real(oid, path)

    monkeypatch.setattr(blobcache, "key", spy)
    return made


def _some_history(repo: Path, n: int, start: int = 10) -> None:
    for i in range(n):
        write(repo, f"src/m{i % 4}.py", f"x = {i}\n")
        write(repo, f"docs/p{i}.txt", f"page {i}\n")
        commit(repo, f"c{i}", start + i)


def test_an_audit_after_new_commits_looks_up_only_what_is_new(git_repo: Path, run_cli: RunCli, cache: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    history_with_secrets(git_repo)
    _some_history(git_repo, 12)
    audit(run_cli, git_repo)
    assert _covered_are_clean(cache) > 20
    real = blobcache.key
    made = _keys_made(monkeypatch)
    write(git_repo, "new/.env", f"DB_PASSWORD={fake_password()}\n")
    write(git_repo, "new/ok.txt", "fine\n")
    commit(git_repo, "new", 50)
    rep = audit(run_cli, git_repo)
    looked_up = set(made)
    monkeypatch.setattr(blobcache, "key", real)
    records, h = _records(cache)
    (n, exc), = records.values()
    assert n == len(h.first)
    # keys for the blobs with findings (cached) and the two new blobs, not for the clean ones covered
    findings_blobs = len(h.first) - _covered_are_clean(cache)
    assert len(looked_up) <= findings_blobs + 2 < len(h.first)
    same_as_afresh(run_cli, git_repo, rep)
    warm = audit(run_cli, git_repo)
    assert warm["stats"]["notes"]["blobs already scanned clean (cache)"] == _covered_are_clean(cache)


def test_a_new_commit_dated_among_old_ones_is_never_taken_for_a_covered_blob(
        git_repo: Path, run_cli: RunCli, cache: Path, walks: list[list[str]]) -> None:
    """New commits that fall between old ones in a full walk renumber the blobs after them:
    a record is cut where the first new commit falls. Uncut, the new blob holding a secret
    would sit where a clean old blob was, and be counted clean."""
    write(git_repo, "a.txt", "root\n")
    commit(git_repo, "root", 1)
    git(git_repo, "checkout", "-q", "-b", "side")
    for i in range(6):  # clean blobs first seen late
        write(git_repo, f"late/{i}.txt", f"late {i}\n")
    commit(git_repo, "late on side", 20)
    git(git_repo, "checkout", "-q", "main")
    audit(run_cli, git_repo)
    records, h = _records(cache)
    assert [n for n, _ in records.values()] == [len(h.first)]
    pw = fake_password()
    git(git_repo, "checkout", "-q", "-b", "early", "main")
    write(git_repo, "early/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "dated before the late commit", 5)
    git(git_repo, "checkout", "-q", "main")
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # merged, not walked afresh
    assert any(f["secret"] == pw for f in rep["findings"])
    same_as_afresh(run_cli, git_repo, rep)
    _covered_are_clean(cache)


@pytest.mark.parametrize("first, then", [
    (["--disable-rule", "RULE"], []),  # other rules
    (["--no-decode"], []),  # other decoding
    ([], ["--max-file-size", "30"]),  # a lower size limit: covered blobs are now too large
    (["--max-file-size", "30"], []),  # a higher one: blobs skipped before are scanned now
])
def test_a_record_is_kept_per_engine(git_repo: Path, run_cli: RunCli, cache: Path,
                                     first: list[str], then: list[str]) -> None:
    history_with_secrets(git_repo)
    write(git_repo, "cfg/settings.yaml", "note: " + "x" * 40 + "\n")
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))  # made up
    write(git_repo, "cfg/blob.txt", "blob: " + base64.b64encode(key_id.encode()).decode() + "\n")  # found decoded only
    _some_history(git_repo, 4)
    fresh = audit(run_cli, git_repo, "--no-cache")
    rule = fresh["findings"][0]["rule_id"]
    first = [rule if a == "RULE" else a for a in first]
    audit(run_cli, git_repo, *first)
    _covered_are_clean(cache)
    rep = audit(run_cli, git_repo, *then)
    want = audit(run_cli, git_repo, "--no-cache", *then)
    assert rep["findings"] == want["findings"] and rep["skipped"] == want["skipped"]
    assert rep["stats"]["skipped"] == want["stats"]["skipped"]
    records, _ = _records(cache)
    assert len(records) == 2  # one per engine
    _covered_are_clean(cache)
    again = audit(run_cli, git_repo, *first)  # the first engine's record is still there
    assert again["findings"] == audit(run_cli, git_repo, "--no-cache", *first)["findings"]


def _claim_all(head: dict[str, Any]) -> list[Any]:
    (k, (n, _)), = head["covered"].items()
    return [k, n]


@pytest.mark.parametrize("damage", ["past-the-end", "unsorted", "negative", "bool", "strings", "bad-key", "not-a-list",
                                    "too-many"])
def test_a_malformed_record_is_dropped(git_repo: Path, run_cli: RunCli, cache: Path, damage: str) -> None:
    history_with_secrets(git_repo)
    _some_history(git_repo, 3)
    audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    data = stored.read_bytes()
    head, _, at = walkcache._header(data)
    h, _, _ = walkcache._decode(data)
    (k, (n, exc)), = head["covered"].items()
    assert exc  # the blobs holding findings
    bad: Any = {
        "past-the-end": {k: [n + 1, exc]},
        "unsorted": {k: [n, exc[::-1] if len(exc) > 1 else [exc[0], exc[0]]]},
        "negative": {k: [n, [-1, *exc]]},
        "bool": {k: [True, exc]},
        "strings": {k: [n, [str(i) for i in exc]]},
        "bad-key": {k.upper(): [n, exc]},
        "not-a-list": {k: {"n": n}},
        "too-many": {f"{i:064x}": [n, exc] for i in range(walkcache._MAX_RECORDS + 1)} | {k: [n, []]},
    }[damage]
    assert walkcache._records({"covered": bad}, len(h.first)) == {}
    head["covered"] = bad
    stored.write_bytes(b"".join([*walkcache._head_bytes(head), data[at:]]))
    rep = audit(run_cli, git_repo)
    assert len(rep["findings"]) == 3
    same_as_afresh(run_cli, git_repo, rep)


def test_an_empty_exception_list_is_what_makes_a_blob_count_clean(git_repo: Path, run_cli: RunCli,
                                                                  cache: Path) -> None:
    """The record is trusted as the clean-blob cache is (the cache directory is the user's own):
    a record claiming every blob clean hides the findings of a warm audit. This checks the
    test above damages what matters, and that findings rest on the exceptions."""
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    data = stored.read_bytes()
    head, _, at = walkcache._header(data)
    k, n = _claim_all(head)
    head["covered"] = {k: [n, []]}
    stored.write_bytes(b"".join([*walkcache._head_bytes(head), data[at:]]))
    assert audit(run_cli, git_repo)["findings"] == []


def test_a_header_only_rewrite_keeps_the_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                              walks: list[list[str]]) -> None:
    """A warm audit under a new engine records its coverage by rewriting the header only."""
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    before = stored.read_bytes()
    audit(run_cli, git_repo, "--no-decode")
    after = stored.read_bytes()
    assert len(walks) == 1
    (h0, s0, t0), (h1, s1, t1) = walkcache._decode(before), walkcache._decode(after)
    assert list(h0.first.items()) == list(h1.first.items()) and s0 == s1 and t0 == t1
    assert len(json.loads(json.dumps(walkcache._header(after)[0]["covered"]))) == 2
    assert after[walkcache._header(after)[2]:] == before[walkcache._header(before)[2]:]
