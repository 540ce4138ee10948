"""The stored history walk: reused when refs are unchanged, extended by new commits only, and
never the reason a finding or its attribution differs from a walk afresh."""
from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leakguard.sources import history, walkcache
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(d))
    return d


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The revisions of every log walk made."""
    calls: list[list[str]] = []
    real = history.enumerate_history

    def spy(repo: str, revs: Any) -> history.History:
        calls.append(list(revs))
        return real(repo, revs)

    monkeypatch.setattr(history, "enumerate_history", spy)
    return calls


def audit(run_cli: RunCli, repo: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(["git", str(repo), "-f", "json", "--no-progress", "--no-redact", *extra])
    assert code in (0, 1), err
    rep: dict[str, Any] = json.loads(out)
    return rep


def same_as_afresh(run_cli: RunCli, repo: Path, rep: dict[str, Any]) -> None:
    fresh = audit(run_cli, repo, "--no-cache")
    assert rep["findings"] == fresh["findings"]
    assert rep["stats"]["notes"]["commits walked"] == fresh["stats"]["notes"]["commits walked"]


def history_with_secrets(repo: Path) -> str:
    write(repo, "app/.env", f"DB_PASSWORD={fake_password()}\n")
    write(repo, "README.md", "hello\n")
    commit(repo, "one", 1)
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, "side/.env", f"API_TOKEN_PASSWORD={fake_password()}\n")
    commit(repo, "side work", 2)
    git(repo, "checkout", "-q", "main")
    write(repo, "app/.env", f"DB_PASSWORD={fake_password()}\nDB_USER=app\n")
    commit(repo, "two", 3)
    return git(repo, "rev-parse", "HEAD").strip()


def test_repeated_audit_reuses_the_walk_and_finds_the_same(git_repo: Path, run_cli: RunCli, cache: Path,
                                                            walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    first = audit(run_cli, git_repo)
    assert len(walks) == 1
    second = audit(run_cli, git_repo)
    assert len(walks) == 1  # no second walk
    assert first["findings"] == second["findings"] and len(first["findings"]) == 3
    same_as_afresh(run_cli, git_repo, second)
    # the stored walk holds metadata only
    (stored,) = (cache / "walks").iterdir()
    body = stored.read_bytes()
    assert all(f["secret"].encode() not in body for f in first["findings"])


def test_new_commits_are_walked_alone_and_attributed_as_a_full_walk_would(git_repo: Path, run_cli: RunCli,
                                                                          cache: Path, walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    pw = fake_password()
    write(git_repo, "app/.env", f"DB_PASSWORD={pw}\nDB_USER=app\n")  # a new secret
    write(git_repo, "copy/.env", f"DB_PASSWORD={pw}\nDB_USER=app\n")
    commit(git_repo, "three", 4)
    git(git_repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    (git_repo / "moved").mkdir()
    git(git_repo, "mv", "side/.env", "moved/.env")  # a rename in a new commit
    commit(git_repo, "four", 6)
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # only the new commits were walked
    assert any(pw == f["secret"] for f in rep["findings"])
    same_as_afresh(run_cli, git_repo, rep)
    n = len(walks)
    assert audit(run_cli, git_repo)["findings"] == rep["findings"]
    assert len(walks) == n  # the extended walk was stored: nothing walked again


def test_an_older_commit_fetched_late_is_merged_in_date_order(git_repo: Path, run_cli: RunCli, cache: Path,
                                                               walks: list[list[str]]) -> None:
    """A new commit dated before old ones (another branch's newest) falls between them in a
    full walk: it introduces the secret an old, later commit also holds, so it gets the
    attribution, as afresh."""
    history_with_secrets(git_repo)
    pw = fake_password()
    git(git_repo, "checkout", "-q", "side")
    write(git_repo, "shared/.env", f"DB_PASSWORD={pw}\n")
    commit(git_repo, "on side, late", 9)
    git(git_repo, "checkout", "-q", "main")
    audit(run_cli, git_repo)
    git(git_repo, "checkout", "-q", "-b", "old", "HEAD~1")
    write(git_repo, "shared/.env", f"DB_PASSWORD={pw}\n")  # the same blob, committed earlier
    late = commit(git_repo, "dated before the newest commit", 2)
    git(git_repo, "checkout", "-q", "main")
    rep = audit(run_cli, git_repo)
    assert "--not" in walks[-1]  # only the new commit was walked
    (f,) = [f for f in rep["findings"] if f["secret"] == pw]
    assert f["commit"] == late
    same_as_afresh(run_cli, git_repo, rep)


def _same_walk(a: history.History, b: history.History) -> None:
    assert a.commits == b.commits and a.paths == b.paths and a.path_commit == b.path_commit
    assert list(a.first.items()) == list(b.first.items()) and a.extra == b.extra
    assert a.deleted == b.deleted and a.submodules == b.submodules


@pytest.mark.parametrize("seed", range(6))
def test_a_merged_walk_is_the_full_walk(git_repo: Path, cache: Path, walks: list[list[str]], seed: int) -> None:
    """Random branches whose commits interleave in time, walked in two parts (each branch
    set back a few commits, then moved forward: new commits fall between old ones in
    date order): merged, every commit, path number and blob appearance is what one full
    walk gives."""
    rng = random.Random(seed)
    files = ["a.txt", "b/c.txt", "d.cfg", "b/e.txt", "f.txt"]
    write(git_repo, "a.txt", "0\n")
    commit(git_repo, "root", 0)
    branches = ["main"]
    later: list[tuple[str, str]] = []  # (branch, tip) set back before the first walk
    for i in range(1, 40):
        br = rng.choice(branches)
        if rng.random() < 0.15 and len(branches) < 4:
            new = f"b{i}"
            git(git_repo, "branch", "-q", new, br)
            branches.append(new)
            br = new
        git(git_repo, "checkout", "-q", br)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files) if rng.random() < 0.6 else f"p/{rng.randint(0, 40)}.txt"  # paths come and go
            if rng.random() < 0.2 and (git_repo / path).exists():
                git(git_repo, "rm", "-q", "-f", "--ignore-unmatch", "--", path)
            else:
                write(git_repo, path, f"{rng.randint(0, 6)}\n")  # few values: blobs come back
        commit(git_repo, f"c{i}", i)  # branches interleave in time
    git(git_repo, "checkout", "-q", "main")
    full = history.enumerate_history(str(git_repo), walkcache.ALL_REFS)
    for br in branches:  # the first audit saw each branch some commits back
        back = rng.randint(0, 4)
        tip = git(git_repo, "rev-parse", br).strip()
        if back and int(git(git_repo, "rev-list", "--count", br)) > back:
            later.append((br, tip))
            git(git_repo, "update-ref", f"refs/heads/{br}", f"{tip}~{back}")
    h, sizes, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None
    walkcache.save(str(git_repo), h, sizes, tips)
    for br, tip in later:
        git(git_repo, "update-ref", f"refs/heads/{br}", tip)
    merged, _, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None and (not later or len(merged.commits) > len(h.commits))
    assert not later or "--not" in walks[-1]  # merged, not walked afresh
    _same_walk(merged, full)


def test_rewritten_history_means_a_full_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                             walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    git(git_repo, "reset", "-q", "--hard", "HEAD~1")  # main moved back
    git(git_repo, "branch", "-q", "-D", "side")
    write(git_repo, "new/.env", f"DB_PASSWORD={fake_password()}\n")
    commit(git_repo, "after the rewrite", 10)
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)
    assert not any(f["path"] == "side/.env" for f in rep["findings"])


def test_a_narrower_scope_never_uses_the_stored_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                                     walks: list[list[str]]) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    rep = audit(run_cli, git_repo, "--branch", "main")
    assert walks[-1][-1] == "main"
    assert not any(f["path"] == "side/.env" for f in rep["findings"])


def _stored_walk(git_repo: Path, run_cli: RunCli, cache: Path) -> tuple[Path, bytes]:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    return stored, stored.read_bytes()


def _out_of_range(good: bytes) -> bytes:
    """A well-formed file whose first blob points past the last commit."""
    got = walkcache._decode(good)
    h, sizes, tips = got
    oid = next(iter(h.first))
    h.first[oid] = (len(h.commits), 0)
    return walkcache._encode(h, sizes, tips)


def _option_tip(good: bytes) -> bytes:
    """A well-formed file whose stored ref tip is a git option, not an object id."""
    h, sizes, tips = walkcache._decode(good)
    return walkcache._encode(h, sizes, {**tips, "refs/heads/x": "--output=/tmp/x"})


def _deep_header(good: bytes) -> bytes:
    """A header nested deeper than the JSON parser recurses."""
    head = b"[" * 100_000 + b"]" * 100_000
    return walkcache._MAGIC + len(head).to_bytes(8, "little") + head


@pytest.mark.parametrize("kind", ["garbage", "fifo", "symlink", "truncated", "out-of-range", "option-tip", "json-v2",
                                  "trailing", "deep-header"])
def test_a_broken_stored_walk_means_a_full_walk(git_repo: Path, run_cli: RunCli, cache: Path,
                                                walks: list[list[str]], kind: str, tmp_path: Path) -> None:
    stored, good = _stored_walk(git_repo, run_cli, cache)
    assert walkcache._decode(good) is not None
    stored.unlink()
    if kind == "fifo":
        os.mkfifo(stored)
    elif kind == "symlink":  # only a regular file is read, never through a link
        (tmp_path / "elsewhere").write_bytes(good)
        stored.symlink_to(tmp_path / "elsewhere")
    else:
        stored.write_bytes({
            "garbage": b"{not a walk",
            "truncated": good[:len(good) // 2],
            "out-of-range": _out_of_range(good) if kind == "out-of-range" else b"",
            "option-tip": _option_tip(good) if kind == "option-tip" else b"",
            "json-v2": json.dumps({"v": 2, "tips": {}, "commits": 3}).encode(),
            "trailing": good + b"\0",
            "deep-header": _deep_header(good),
        }[kind])
    if kind not in ("fifo", "symlink"):
        assert _load_file(stored) is None
    rep = audit(run_cli, git_repo)
    assert walks[-1] == walkcache.ALL_REFS
    same_as_afresh(run_cli, git_repo, rep)


def _load_file(path: Path) -> tuple[history.History, dict[str, int], dict[str, str]] | None:
    data = walkcache._read(path)
    return None if data is None else walkcache.load(data)


def _consistent(got: tuple[history.History, dict[str, int], dict[str, str]]) -> None:
    """Every number of a read walk points at something: nothing downstream can fail on it."""
    h, sizes, tips = got
    nc, np_ = len(h.commits), len(h.paths)
    assert len(h.path_commit) == np_ and all(0 <= c < nc for c in h.path_commit)
    for oid in h.first:
        for c, p in h.appearances(oid):
            assert 0 <= c < nc and 0 <= p < np_
    assert set(h.extra) <= set(h.first) and set(sizes) <= set(h.first) and all(n >= 0 for n in sizes.values())
    assert all(0 <= c < nc and all(0 <= p < np_ for p in ps) for c, ps in h.deleted.items())
    assert all(0 <= p < np_ for p in h.submodules)
    assert all(isinstance(t, str) and not t.startswith("-") for t in tips.values())


def _damaged(good: bytes, rng: random.Random, n: int) -> Iterator[bytes]:
    """``n`` copies of ``good``, each with bytes flipped, cut or inserted at one place."""
    for i in range(n):
        data = bytearray(good)
        at = rng.randrange(len(data))
        how = i % 3
        if how == 0:
            data[at] = rng.randrange(256)
        elif how == 1:
            del data[at:at + rng.randint(1, 16)]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        yield bytes(data)


def test_any_damage_to_a_stored_walk_is_refused_or_harmless(git_repo: Path, run_cli: RunCli, cache: Path) -> None:
    """Bytes flipped, cut or inserted anywhere in a stored walk: reading it never raises,
    and whatever it still accepts is a consistent walk."""
    stored, good = _stored_walk(git_repo, run_cli, cache)
    got = walkcache._decode(good)
    _consistent(got)
    for data in _damaged(good, random.Random(7), 3000):
        stored.write_bytes(data)
        back = _load_file(stored)
        if back is not None:
            _consistent(back)


def test_a_stored_walk_reads_back_as_it_was(git_repo: Path, cache: Path) -> None:
    """Every part of a walk survives the stored form: commits (with odd author names), paths
    (non-UTF-8 ones, shown escaped), appearances, deletions, submodules and sizes in order."""
    write(git_repo, "a.txt", "1\n")
    commit(git_repo, "one", 1)
    odd = os.fsencode(str(git_repo)) + b"/caf\xe9.txt"  # not UTF-8
    with open(odd, "w") as f:
        f.write("2\n")
    git(git_repo, "add", "-A")
    write(git_repo, "b.txt", "1\n")  # the same blob at a second path
    commit(git_repo, "two", 2)
    git(git_repo, "rm", "-q", "a.txt")
    commit(git_repo, "three", 3)
    h, sizes, tips = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
    assert tips is not None and h.extra and h.deleted
    h.submodules = {0}
    h.commits[0] = history.Commit(h.commits[0].sha, "Zo\u00eb \U0001f600 \x1f,\n", "", h.commits[0].date)
    back = walkcache._decode(walkcache._encode(h, sizes, tips))
    _same_walk(back[0], h)
    assert list(back[1].items()) == list(sizes.items()) and back[2] == tips
    assert any("\\xe9" in p for p in back[0].paths)


def on_random_branch(repo: Path, rng: random.Random, i: int, branches: list[str], new: float) -> None:
    """Check out one of ``branches`` at random, after branching ``b<i>`` off it with chance
    ``new`` (four branches at most)."""
    br = rng.choice(branches)
    if rng.random() < new and len(branches) < 4:
        git(repo, "branch", "-q", f"b{i}", br)
        branches.append(br := f"b{i}")
    git(repo, "checkout", "-q", br)


def _random_history(repo: Path, rng: random.Random, n: int) -> list[str]:
    """Random branches whose commits interleave in time; returns the branches."""
    files = ["a.txt", "b/c.txt", "d.cfg", "b/e.txt", "f.txt"]
    write(repo, "a.txt", "0\n")
    commit(repo, "root", 0)
    branches = ["main"]
    for i in range(1, n):
        on_random_branch(repo, rng, i, branches, 0.15)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice(files) if rng.random() < 0.6 else f"p/{rng.randint(0, 40)}.txt"
            if rng.random() < 0.2 and (repo / path).exists():
                git(repo, "rm", "-q", "-f", "--ignore-unmatch", "--", path)
            else:
                write(repo, path, f"{rng.randint(0, 6)}\n")
        commit(repo, f"c{i}", i)
    git(repo, "checkout", "-q", "main")
    return branches


@pytest.mark.parametrize("seed", range(3))
def test_walks_extended_again_and_again_are_stored_as_deltas_and_read_as_the_full_walk(
        git_repo: Path, cache: Path, walks: list[list[str]], seed: int) -> None:
    """Each audit after new commits stores only the new commits' walk after the stored one (a
    delta), up to _MAX_DELTAS; read back, the deltas merge into exactly the full walk, and
    past the limit the walk is written whole again."""
    rng = random.Random(seed)
    branches = _random_history(git_repo, rng, 50)
    tips = {br: git(git_repo, "rev-parse", br).strip() for br in branches}
    rounds = walkcache._MAX_DELTAS + 2
    back = {br: rng.randint(0, rounds) for br in branches}  # each branch is set back, then moves forward
    back["main"] = rounds
    stored = cache / "walks"
    for r in range(rounds + 1):
        for br in branches:
            n = max(0, back[br] - r)
            count = int(git(git_repo, "rev-list", "--count", tips[br]))
            git(git_repo, "update-ref", f"refs/heads/{br}", f"{tips[br]}~{min(n, count - 1)}")
        h, sizes, now = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=True, order_from_pack=2000)
        _same_walk(h, history.enumerate_history(str(git_repo), walkcache.ALL_REFS))
        if now is not None:
            walkcache.save(str(git_repo), h, sizes, now)
        (f,) = stored.iterdir()
        head = walkcache._header(f.read_bytes())[0]
        assert len(head.get("deltas", [])) == r % (walkcache._MAX_DELTAS + 1)
        back_h, back_sizes, _ = walkcache._decode(f.read_bytes())
        _same_walk(back_h, h)
        assert back_sizes == sizes
    assert any("--not" in w for w in walks)


def test_any_damage_to_a_walk_with_deltas_is_refused_or_harmless(git_repo: Path, run_cli: RunCli, cache: Path) -> None:
    history_with_secrets(git_repo)
    audit(run_cli, git_repo)
    for i in range(2):
        write(git_repo, f"more/{i}.txt", f"{i}\n")
        commit(git_repo, f"more {i}", 20 + i)
        audit(run_cli, git_repo)
    (stored,) = (cache / "walks").iterdir()
    good = stored.read_bytes()
    assert len(walkcache._header(good)[0]["deltas"]) == 2
    _consistent(walkcache._decode(good))
    for data in _damaged(good, random.Random(11), 1500):
        back = walkcache.load(data)
        if back is not None:
            _consistent(back)
