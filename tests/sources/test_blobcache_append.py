"""The blob caches grow by appending what a run adds to the file it read, and are written
afresh (atomically) whenever that is not exactly the case: never a lost or wrong entry,
never a write through what was put in the file's place."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leakguard.sources import blobcache


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(d))
    monkeypatch.setattr(blobcache, "_read_as", {})
    return d


def keys(*names: str) -> set[bytes]:
    return {blobcache.key(n * 40, "p") for n in names}


def test_clean_keys_added_to_what_was_read_are_appended() -> None:
    blobcache.save("d", keys("a", "b"))
    path = blobcache.cache_file("d")
    before, ino = path.read_bytes(), path.stat().st_ino
    got = blobcache.load("d")
    assert got == keys("a", "b")
    blobcache.save("d", got | keys("c"))
    assert path.read_bytes() == before + b"".join(sorted(keys("c")))  # only the new key written
    assert path.stat().st_ino == ino  # appended, not replaced
    blobcache.save("d", got | keys("c", "e"))  # again in the same run: only "e"
    assert path.read_bytes() == before + b"".join(sorted(keys("c"))) + b"".join(sorted(keys("e")))
    blobcache._read_as.clear()
    assert blobcache.load("d") == keys("a", "b", "c", "e")


def test_clean_keys_are_written_afresh_when_the_file_changed_or_keys_went() -> None:
    from leakguard.fsio import replace_atomic

    blobcache.save("d", keys("a", "b"))
    path = blobcache.cache_file("d")
    got = blobcache.load("d")
    replace_atomic(path, b"".join(sorted(keys("x"))))  # another run rewrote it meanwhile
    blobcache.save("d", got | keys("c"))
    blobcache._read_as.clear()
    assert blobcache.load("d") == keys("a", "b", "c")  # written whole: nothing appended to x's file
    got = blobcache.load("d")
    blobcache.save("d", keys("a", "e"))  # keys went: not an addition
    blobcache._read_as.clear()
    assert blobcache.load("d") == keys("a", "e")


def test_a_symlink_put_in_place_of_a_read_file_is_never_appended_through(tmp_path: Path) -> None:
    blobcache.save("d", keys("a"))
    got = blobcache.load("d")
    path = blobcache.cache_file("d")
    outside = tmp_path / "outside"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    blobcache.save("d", got | keys("b"))
    assert outside.read_bytes() == b"".join(sorted(keys("a")))
    assert not path.is_symlink()
    blobcache._read_as.clear()
    assert blobcache.load("d") == keys("a", "b")


def entry(n: int) -> blobcache.Entry:
    return [["generic-password", n, n + 8, "0123456789abcdef", "low", None, 3.0]]


def test_findings_added_to_what_was_read_are_appended_and_read_back() -> None:
    blobcache.save_findings("t", {"k1": entry(1)}, {"k1": ["invalid UTF-8 replaced"]})
    path = blobcache.findings_file("t")
    e, n = blobcache.load_findings("t")
    ino = path.stat().st_ino
    blobcache.save_findings("t", {**e, "k2": entry(2)}, {**n, "k2": ["x"]})
    assert path.stat().st_ino == ino
    lines = path.read_bytes().split(b"\n")
    assert len(lines) == 2 and json.loads(lines[1]) == {"blobs": {"k2": entry(2)}, "notes": {"k2": ["x"]}}
    blobcache._read_as.clear()
    assert blobcache.load_findings("t") == ({"k1": entry(1), "k2": entry(2)},
                                           {"k1": ["invalid UTF-8 replaced"], "k2": ["x"]})


def test_findings_are_written_afresh_when_an_entry_changed_or_went() -> None:
    blobcache.save_findings("t", {"k1": entry(1), "k2": entry(2)}, {})
    path = blobcache.findings_file("t")
    e, n = blobcache.load_findings("t")
    del e["k2"]  # distrusted: must not come back from the file
    blobcache.save_findings("t", {**e, "k3": entry(3)}, n)
    assert len(path.read_bytes().split(b"\n")) == 1
    blobcache._read_as.clear()
    assert blobcache.load_findings("t")[0] == {"k1": entry(1), "k3": entry(3)}
    e, n = blobcache.load_findings("t")
    blobcache.save_findings("t", {**e, "k1": entry(9)}, n)  # a changed entry
    blobcache._read_as.clear()
    assert blobcache.load_findings("t")[0] == {"k1": entry(9), "k3": entry(3)}


def test_findings_file_is_compacted_after_many_appends() -> None:
    blobcache.save_findings("t", {"k0": entry(0)}, {})
    path = blobcache.findings_file("t")
    e, n = blobcache.load_findings("t")
    for i in range(1, blobcache._MAX_PARTS + 3):
        e = {**e, f"k{i}": entry(i)}
        blobcache.save_findings("t", e, n)
        assert len(path.read_bytes().split(b"\n")) <= blobcache._MAX_PARTS + 1
    blobcache._read_as.clear()
    assert blobcache.load_findings("t")[0] == e


@pytest.mark.parametrize("damage", ["torn", "garbage-line", "not-a-doc"])
def test_a_damaged_appended_part_means_an_empty_findings_cache(damage: str) -> None:
    blobcache.save_findings("t", {"k1": entry(1)}, {})
    path = blobcache.findings_file("t")
    e, n = blobcache.load_findings("t")
    blobcache.save_findings("t", {**e, "k2": entry(2)}, n)
    raw = path.read_bytes()
    path.write_bytes({"torn": raw[:-5], "garbage-line": raw + b"\n{", "not-a-doc": raw + b"\n[1]"}[damage])
    blobcache._read_as.clear()
    assert blobcache.load_findings("t") == ({}, {})


def test_appending_stops_short_of_the_size_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    blobcache.save_findings("t", {"k1": entry(1)}, {})
    path = blobcache.findings_file("t")
    e, n = blobcache.load_findings("t")
    monkeypatch.setattr(blobcache, "FINDINGS_MAX_BYTES", path.stat().st_size + 10)
    blobcache.save_findings("t", {**e, "k2": entry(2)}, n)  # would not fit: written whole, or not at all
    blobcache._read_as.clear()
    assert blobcache.load_findings("t")[0] == {"k1": entry(1)}  # the whole would not fit either: left as it was
    assert os.path.getsize(path) <= blobcache.FINDINGS_MAX_BYTES
