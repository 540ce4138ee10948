"""The findings-cache entries kept beside a coverage record (walkcache.Found): an incremental
audit makes the stand-ins of the blobs with findings from them, without a key per blob or
reading the findings cache, and a copy never makes a finding or its attribution differ from an
audit afresh: not after new commits renumber old blobs, not when a blob's first path changes,
not when the copy is damaged or does not check out."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import blobcache, history, walkcache
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write
from tests.sources.test_walk_coverage import _keys_made, _records, _some_history
from tests.sources.test_walkcache import (audit, cache, history_with_secrets, on_random_branch, same_as_afresh,  # noqa: F401
                                          walks)

__all__ = ["cache", "walks"]  # fixtures


def _stored(cache_dir: Path) -> tuple[Path, bytes, dict[str, Any], int]:
    (stored,) = (cache_dir / "walks").iterdir()
    data = stored.read_bytes()
    head, _, at = walkcache._header(data)
    return stored, data, head, at


def _copies(cache_dir: Path) -> tuple[dict[str, walkcache.Found], history.History]:
    records, h = _records(cache_dir)
    return walkcache._found(_stored(cache_dir)[2], records), h


def _copies_are_the_entries(cache_dir: Path) -> int:
    """Every copied entry is the findings cache's entry of the blob at its position (the same
    blob id at the same first path), notes and all; returns how many there are."""
    copies, h = _copies(cache_dir)
    oids = list(h.first)
    known: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for f in (cache_dir / "blob-findings").iterdir():
        tag_entries, tag_notes = _read_findings(f)
        known.update(tag_entries)
        notes.update(tag_notes)
    n = 0
    for found in copies.values():
        for i, pos in enumerate(found.at):
            oid = oids[pos]
            k = blobcache.key(oid, h.paths[h.first[oid][1]]).hex()
            assert found.entry(i) == (known[k], notes.get(k, [])), (pos, oid)
            n += 1
    return n


def _read_findings(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    import json

    entries: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    for part in path.read_bytes().split(b"\n"):
        doc = json.loads(part)
        entries.update(doc["blobs"])
        notes.update(doc["notes"])
    return entries, notes


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = blobcache.load_findings

    def spy(tag: str) -> tuple[dict[str, blobcache.Entry], dict[str, list[str]]]:
        calls.append(tag)
        return real(tag)

    monkeypatch.setattr(blobcache, "load_findings", spy)
    return calls


def test_an_audit_after_new_commits_takes_stand_ins_from_the_copy(git_repo: Path, run_cli: RunCli, cache: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    history_with_secrets(git_repo)
    _some_history(git_repo, 10)
    audit(run_cli, git_repo)  # a first audit scans everything: the copy is made from the scan's entries
    assert _copies_are_the_entries(cache) == 3
    loads = _loads(monkeypatch)
    made = _keys_made(monkeypatch)
    pw = fake_password()
    write(git_repo, "new/.env", f"DB_PASSWORD={pw}\n")
    write(git_repo, "new/ok.txt", "fine\n")
    commit(git_repo, "new", 50)
    rep = audit(run_cli, git_repo)
    assert loads == []  # the findings cache was not read
    new_blobs = {git(git_repo, "rev-parse", f"HEAD:new/{f}").strip() for f in (".env", "ok.txt")}
    reported = {git(git_repo, "rev-parse", f"{f['commit']}:{f['path']}").strip() for f in rep["findings"]}
    assert new_blobs <= set(made) <= new_blobs | reported  # no key for the other blobs with findings
    assert any(f["secret"] == pw for f in rep["findings"])
    assert rep["stats"]["notes"]["blobs with findings rebuilt from the cache"] == 3
    assert _copies_are_the_entries(cache) == 4  # the new blob's entry: appended to the findings cache, and copied
    monkeypatch.undo()
    same_as_afresh(run_cli, git_repo, rep)
    assert audit(run_cli, git_repo)["findings"] == rep["findings"]


def test_the_copy_follows_old_blobs_renumbered_by_a_commit_fetched_late(git_repo: Path, run_cli: RunCli, cache: Path,
                                                                        walks: list[list[str]]) -> None:
    """A new commit dated before old ones renumbers the blobs first seen after it: their copied
    entries move with them, except a blob the new commit holds at another path (its first path,
    part of its findings-cache key, is then the new one: the copy is dropped)."""
    write(git_repo, "a.txt", "root\n")
    commit(git_repo, "root", 1)
    git(git_repo, "checkout", "-q", "-b", "side")
    late = [f"DB_PASSWORD={fake_password()}\n" for _ in range(4)]
    for i, text in enumerate(late):  # blobs with findings, first seen late
        write(git_repo, f"late/{i}/.env", text)
    commit(git_repo, "late on side", 20)
    git(git_repo, "checkout", "-q", "main")
    audit(run_cli, git_repo)
    before, h = _copies(cache)
    assert [len(f.at) for f in before.values()] == [4]
    git(git_repo, "checkout", "-q", "-b", "early", "main")
    write(git_repo, "early/.env", f"DB_PASSWORD={fake_password()}\n")
    write(git_repo, "early/settings.txt", late[0])  # an old blob, at another path, now first seen here
    commit(git_repo, "dated before the late commit", 5)
    git(git_repo, "checkout", "-q", "main")
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # merged, not walked afresh
    assert _copies_are_the_entries(cache) >= 4
    same_as_afresh(run_cli, git_repo, rep)


def test_the_renumbered_copy_is_what_the_merge_says(git_repo: Path, cache: Path) -> None:
    """walkcache moves each copied entry to its blob's new position (``_cut_found``): a blob whose
    first appearance changed loses its entry, the others keep theirs."""
    write(git_repo, "a.txt", "root\n")
    commit(git_repo, "root", 1)
    git(git_repo, "checkout", "-q", "-b", "side")
    for i in range(5):
        write(git_repo, f"late/{i}.txt", f"late {i}\n")
    commit(git_repo, "late", 20)
    git(git_repo, "checkout", "-q", "main")
    h, sizes, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None
    oids = list(h.first)
    late = [i for i, oid in enumerate(oids) if h.paths[h.first[oid][1]].startswith("late/")]
    key = "0" * 64
    record = (len(oids), late)
    copied = walkcache.Found(late, [[0, -1, 0, 1]] * len(late), [[0]], [["r", "0" * 16, "low", None, 1.0]], [])
    walkcache.save(str(git_repo), h, sizes, tips, {key: record}, {key: copied})
    git(git_repo, "checkout", "-q", "-b", "early", "main")
    write(git_repo, "early/x.txt", "late 0\n")  # the blob of late/0.txt, first seen here now
    write(git_repo, "early/y.txt", "new\n")
    commit(git_repo, "early", 5)
    git(git_repo, "checkout", "-q", "main")
    m, _, _ = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    found = walkcache.found(str(git_repo))
    assert found is not None
    moved = found[key]
    now = list(m.first)
    kept = {now[i] for i in moved.at}
    assert kept == {oids[i] for i in late} - {oids[late[0]]}  # every late blob but the one first seen early now
    assert all(h.paths[h.first[oid][1]] == m.paths[m.first[oid][1]] for oid in kept)
    assert moved.at == list(range(len(now) - 4, len(now)))  # the four after the early commit's blobs


def _rows(f: dict[str, Any]) -> list[list[int]]:
    flat = walkcache._text_ints(f["rows"]).tolist()
    rows = []
    while flat:
        n = 2 + 2 * len(f["lists"][flat[0]])
        rows.append(flat[:n])
        flat = flat[n:]
    return rows


def _damage(head: dict[str, Any], how: str) -> None:
    (k, f), = head["found"].items()
    rows = _rows(f)
    assert len(rows) == len(walkcache._text_ints(f["at"]))
    if how == "not-a-dict":
        head["found"] = {k: [f["at"], f["rows"]]}
    elif how == "other-engine":
        head["found"] = {"f" * 64: f}
    elif how == "not-an-exception":
        f["at"] = walkcache._ints_text(i + 1 for i in walkcache._text_ints(f["at"]))
    elif how == "not-base64":
        f["rows"] = f["rows"][:-4] + "!!!!"
    elif how == "cut-short":
        f["at"] = walkcache._ints_text(walkcache._text_ints(f["at"])[:-1])
    elif how == "list-index":
        rows[0][0] = len(f["lists"])
    elif how == "notes-index":
        rows[0][1] = len(f["notes"])
    elif how == "row-length":
        rows[0].append(7)
    elif how == "shape":
        f["shapes"][0][2] = 3
    elif how == "unknown-rule":
        f["shapes"][0][0] = "no-such-rule"
    elif how == "short-hash":
        f["shapes"][0][1] = "abc"
    elif how == "bool-index":
        f["lists"][0][0] = False
    elif how == "spans":  # well-formed, but the rebuilt finding does not check out: trusted no more
        for row in rows:
            row[2:] = [x + 1 for x in row[2:]]
    elif how == "secret-hash":  # the stand-ins attribute, the rebuild refuses
        for shape in f["shapes"]:
            shape[1] = "0" * 16
    else:
        raise AssertionError(how)
    if how in ("list-index", "notes-index", "row-length", "spans"):
        f["rows"] = walkcache._ints_text(x for row in rows for x in row)


@pytest.mark.parametrize("how", ["not-a-dict", "other-engine", "not-an-exception", "not-base64", "cut-short",
                                 "list-index", "notes-index",
                                 "row-length", "shape", "unknown-rule", "short-hash", "bool-index", "spans",
                                 "secret-hash"])
def test_a_damaged_copy_is_dropped_or_refused(git_repo: Path, run_cli: RunCli, cache: Path, how: str) -> None:
    history_with_secrets(git_repo)
    _some_history(git_repo, 3)
    audit(run_cli, git_repo)
    stored, data, head, at = _stored(cache)
    _damage(head, how)
    stored.write_bytes(b"".join([*walkcache._head_bytes(head), data[at:]]))
    write(git_repo, "more.txt", "more\n")
    commit(git_repo, "more", 40)
    rep = audit(run_cli, git_repo)
    assert len(rep["findings"]) == 3
    same_as_afresh(run_cli, git_repo, rep)
    again = audit(run_cli, git_repo)
    assert again["findings"] == rep["findings"]
    assert _copies_are_the_entries(cache) == 3  # written afresh, as it should be


def test_a_new_blob_the_findings_cache_knows_is_taken_from_it(tmp_path: Path, git_repo: Path, run_cli: RunCli,
                                                              cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A blob new to this walk that the findings cache holds (from another repository's audit
    with the same rules) is not scanned: the findings cache is read after all."""
    history_with_secrets(git_repo)
    _some_history(git_repo, 3)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(git_repo), str(other))
    pw = fake_password()
    write(git_repo, "shared/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "a secret", 30)
    audit(run_cli, git_repo)  # its entry is in the findings cache
    audit(run_cli, other)
    git(other, "pull", "-q", "--ff-only")
    loads = _loads(monkeypatch)
    rep = audit(run_cli, other)
    assert loads  # read after all
    assert rep["stats"]["notes"]["blobs with findings rebuilt from the cache"] == 4
    assert any(f["secret"] == pw for f in rep["findings"])
    monkeypatch.undo()
    same_as_afresh(run_cli, other, rep)


def _grow(repo: Path, rng: random.Random, start: int, n: int, branches: list[str], pool: list[str]) -> None:
    """``n`` random commits on random branches: secrets added, copied to other files, moved,
    deleted and restored; clean edits; commits dated among earlier ones."""
    files = ["a/.env", "b/.env", "c/config.env", "d/.env", "notes.txt", "e/settings.txt"]
    for i in range(start, start + n):
        on_random_branch(repo, rng, i, branches, 0.2)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files)
            op = rng.random()
            if op < 0.15 and (repo / path).exists():
                git(repo, "rm", "-q", "-f", "--", path)
            elif op < 0.3 and (repo / path).exists():
                to = rng.choice(files)
                if to != path and not (repo / to).exists():
                    (repo / to).parent.mkdir(parents=True, exist_ok=True)
                    git(repo, "mv", "--", path, to)
            elif op < 0.7:
                if rng.random() < 0.4 or not pool:
                    pool.append(fake_password())
                write(repo, path, f"DB_PASSWORD={rng.choice(pool)}\nDB_USER=u{rng.randint(0, 3)}\n")
            else:
                write(repo, path, f"plain {rng.randint(0, 5)}\n")
        commit(repo, f"c{i}", rng.randint(max(1, i - 8), i))  # sometimes dated among earlier commits
    git(repo, "checkout", "-q", "main")


@pytest.mark.parametrize("seed", range(4))
def test_audits_after_random_new_commits_find_what_an_audit_afresh_finds(git_repo: Path, run_cli: RunCli, cache: Path,
                                                                        seed: int) -> None:
    rng = random.Random(seed)
    write(git_repo, "a.txt", "0\n")
    commit(git_repo, "root", 0)
    branches, pool = ["main"], []
    _grow(git_repo, rng, 1, 12, branches, pool)
    audit(run_cli, git_repo)
    at = 13
    for _ in range(5):
        n = rng.randint(1, 6)
        _grow(git_repo, rng, at, n, branches, pool)
        at += n
        rep = audit(run_cli, git_repo)
        same_as_afresh(run_cli, git_repo, rep)
        _copies_are_the_entries(cache)
    assert _copies_are_the_entries(cache) > 5
