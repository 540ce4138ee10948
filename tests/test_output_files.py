"""Where leakguard writes: reports (-o), plans, baselines, caches. A regular
file is replaced atomically; a device, FIFO or symlink is written through
(never replaced by a regular file); -o - is stdout. Caches open only regular
files; -j is capped and nonsense is refused."""
from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from leakguard import fsio
from leakguard.prefilter import cache_dir
from leakguard.sources import blobcache
from tests.conftest import RunCli

SECRET_LINE = 'db_password = "Wint3r-Harb0r-88q"\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    d = tmp_path / "proj"
    d.mkdir()
    (d / "app.py").write_text(SECRET_LINE)
    return d


def test_output_to_a_symlink_writes_through_it(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    real = tmp_path / "reports" / "report.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    code, _, err = run_cli(["scan", str(project / "app.py"), "-f", "json", "-o", str(link)])
    assert code == 1, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["findings"]


def test_output_to_a_fifo_writes_through_it(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(Path(fifo).read_bytes()))
    reader.start()
    code, _, _ = run_cli(["scan", str(project / "app.py"), "-f", "json", "-o", str(fifo)])
    reader.join(timeout=60)
    assert code == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert json.loads(got[0])["findings"]


def test_output_to_a_device_keeps_the_device(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    """-o /dev/null run as root replaced the device node with a regular file. Tested on a
    null device of our own (never on the machine's /dev/null)."""
    dev = tmp_path / "null"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root")
    code, _, _ = run_cli(["scan", str(project / "app.py"), "-f", "json", "-o", str(dev)])
    assert code == 1
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_write_file_through_a_symlinked_dev_stdout_like_path(tmp_path: Path) -> None:
    """/dev/stdout is a symlink (to /proc/self/fd/1): what it points at is written, the link stays."""
    target = tmp_path / "captured"
    target.write_text("")
    link = tmp_path / "stdout"
    link.symlink_to(target)
    fsio.write_file(link, "hello\n")
    assert link.is_symlink() and target.read_text() == "hello\n"


def test_output_dash_is_stdout(run_cli: RunCli, project: Path) -> None:
    code, out, _ = run_cli(["scan", str(project / "app.py"), "-f", "json", "-o", "-"])
    assert code == 1
    assert json.loads(out)["findings"]
    assert not (Path.cwd() / "-").exists()


def test_regular_file_is_replaced_atomically_keeping_its_mode(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text("old")
    f.chmod(0o640)
    ino = f.stat().st_ino
    fsio.write_file(f, "new")
    assert f.read_text() == "new" and stat.S_IMODE(f.stat().st_mode) == 0o640
    assert f.stat().st_ino != ino  # a new file renamed over the old one
    assert not list(tmp_path.glob("*.tmp"))


def test_hard_linked_file_is_written_in_place(tmp_path: Path) -> None:
    f = tmp_path / "a"
    f.write_text("old")
    (tmp_path / "b").hardlink_to(f)
    fsio.write_file(f, "new")
    assert (tmp_path / "b").read_text() == "new"


def test_migrate_plan_output_to_a_symlink(run_cli: RunCli, project: Path, tmp_path: Path) -> None:
    real = tmp_path / "plan-real.md"
    real.write_text("")
    link = tmp_path / "plan.md"
    link.symlink_to(real)
    code, _, err = run_cli(["migrate", str(project), "-o", str(link), "--no-repo-config"])
    assert code == 0, err
    assert link.is_symlink() and "leakguard" in real.read_text().lower()


# -- caches ---------------------------------------------------------------------


def test_xdg_cache_home_means_a_leakguard_directory_in_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LEAKGUARD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "leakguard"


def test_a_fifo_in_place_of_a_cache_file_does_not_hang(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    target = blobcache.cache_file("digest")
    target.parent.mkdir(parents=True)
    os.mkfifo(target)
    result: list[set[bytes]] = []
    t = threading.Thread(target=lambda: result.append(blobcache.load("digest")), daemon=True)
    t.start()
    t.join(timeout=10)
    assert result == [set()], "reading the cache blocked on a FIFO"


def _in_thread(fn: Callable[[], object], timeout: float = 20) -> None:
    done: list[object] = []
    t = threading.Thread(target=lambda: done.append(fn()), daemon=True)
    t.start()
    t.join(timeout=timeout)
    assert len(done) == 1, "blocked on what was in place of the file"


@pytest.mark.parametrize("kind", ["fifo", "symlink", "file"])
def test_replace_atomic_replaces_whatever_is_there_and_never_writes_through(tmp_path: Path, kind: str) -> None:
    """The cache writer: a FIFO there cannot block it, a symlink cannot redirect it."""
    target, outside = tmp_path / "cache.bin", tmp_path / "outside.txt"
    outside.write_text("precious\n")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        target.symlink_to(outside)
    else:
        target.write_text("old")
    _in_thread(lambda: fsio.replace_atomic(target, b"new"))
    assert stat.S_ISREG(os.lstat(target).st_mode) and target.read_bytes() == b"new"
    assert stat.S_IMODE(os.lstat(target).st_mode) == 0o600  # private unless told otherwise
    assert outside.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.bin", "outside.txt"]  # no temp file left


def test_replace_atomic_leaves_no_temp_file_when_it_fails(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("")  # os.replace of a file over a non-empty directory fails
    with pytest.raises(OSError):
        fsio.replace_atomic(tmp_path / "d", "data")
    assert sorted(p.name for p in (tmp_path / "d").parent.iterdir()) == ["d"]


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_cache_writers_replace_a_fifo_or_symlink_in_place_of_their_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str) -> None:
    """The blob cache and the verify cache save through fsio.replace_atomic: neither
    blocks on a FIFO nor writes through a symlink put where their file belongs."""
    from leakguard.verify.cache import VerifyCache
    from leakguard.model import Verification

    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    blob, verify = blobcache.cache_file("digest"), tmp_path / "cache" / "verify.json"
    blob.parent.mkdir(parents=True)
    verify.parent.mkdir(parents=True, exist_ok=True)
    for target in (blob, verify):
        if kind == "fifo":
            os.mkfifo(target)
        else:
            target.symlink_to(outside)
    key = b"k" * blobcache.KEY_SIZE
    _in_thread(lambda: blobcache.save("digest", {key}))
    assert blobcache.load("digest") == {key}
    made: list[VerifyCache] = []
    _in_thread(lambda: made.append(VerifyCache(ttl=60, path=verify)))  # reading past a FIFO must not block either
    vc = made[0]
    vc.put("x", Verification("inactive", "revoked", (), "test"))
    _in_thread(vc.save)
    assert VerifyCache(ttl=60, path=verify).get("x") is not None
    for target in (blob, verify):
        assert stat.S_ISREG(os.lstat(target).st_mode)
    assert outside.read_text() == "precious\n"


def test_a_fifo_in_place_of_the_prefilter_database_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard.prefilter import hs_cache_path, hyperscan_available, make_prefilter
    from leakguard.ruleset import Ruleset, _digest, load_ruleset

    if not hyperscan_available():
        pytest.skip("no hyperscan wheel here")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LEAKGUARD_PREFILTER", raising=False)
    rules = load_ruleset().rules[:3]  # a small database compiles in a moment
    digest = _digest(rules)
    path = hs_cache_path(digest)
    path.parent.mkdir(parents=True, exist_ok=True)  # loading the rules may have cached them there
    os.mkfifo(path)
    done: list[str] = []
    t = threading.Thread(target=lambda: done.append(make_prefilter(Ruleset(rules, digest).rules, digest, "hyperscan").name),
                         daemon=True)
    t.start()
    t.join(timeout=120)
    assert done == ["hyperscan"], "loading the database blocked on a FIFO in the cache"


# -- -j -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-3", "lots", "1.5"])
def test_nonsense_jobs_is_a_usage_error(run_cli: RunCli, project: Path, value: str) -> None:
    for cmd in (["scan", str(project)], ["baseline", "create", str(project)], ["migrate", str(project)]):
        code, _, err = run_cli([*cmd, "-j", value])
        assert code == 2, (cmd, err)
        assert err.count("\n") == 1 and "-j" in err


def test_jobs_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard import scan
    from leakguard.commands._common import parse_jobs

    monkeypatch.setattr(scan, "default_jobs", lambda: 2)
    assert parse_jobs("100000") == 2 * scan.MAX_JOBS_PER_CORE
    assert parse_jobs("3") == 3
    started: list[int] = []

    class FakePool:
        def __init__(self, n: int) -> None:
            started.append(n)

    class Ctx:
        def Pool(self, n: int) -> FakePool:  # noqa: N802 - multiprocessing's name
            FakePool(n)
            raise RuntimeError("stop here")

    import multiprocessing  # scan.py imports it only when it starts workers

    monkeypatch.setattr(multiprocessing, "get_context", lambda _: Ctx())
    entries = [scan.Entry(f"/nonexistent/{i}", str(i)) for i in range(100)]
    monkeypatch.setattr(scan, "iter_entries", lambda *a, **k: iter(entries))

    class E:
        def prepare(self, n: int) -> None:
            pass

    with pytest.raises(RuntimeError):
        scan.scan_paths(E(), ["x"], scan.ScanOptions(jobs=100000))  # type: ignore[arg-type]
    assert started == [2 * scan.MAX_JOBS_PER_CORE]


def test_a_deeply_nested_verify_cache_is_treated_as_empty(tmp_path: Path) -> None:
    from leakguard.verify.cache import VerifyCache

    path = tmp_path / "verify.json"
    path.write_text("[" * 100000 + "]" * 100000)
    assert VerifyCache(3600, path).entries == {}


def test_a_fifo_in_place_of_the_rule_cache_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from leakguard.ruleset import load_file

    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "mine.yaml"
    text = ("rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
            "    keywords: [tok=]\n    pattern: \"tok=(?P<secret>[a-z]{8,})\"\n")
    rules.write_text(text)
    (tmp_path / "cache").mkdir()
    os.mkfifo(tmp_path / "cache" / f"rules-{hashlib.sha256(text.encode()).hexdigest()[:32]}.json")
    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(len(load_file(rules))), daemon=True)
    t.start()
    t.join(timeout=60)
    assert done == [1], "loading rules blocked on a FIFO in the cache"


def test_a_failed_cache_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache writer goes through fsio.replace_atomic: a write that fails (a full
    disk) removes its temp file instead of leaving it in the cache directory forever."""
    from leakguard.ruleset import load_file

    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    rules = tmp_path / "mine.yaml"
    rules.write_text("rules:\n  - id: my-token\n    description: mine\n    severity: high\n"
                     "    keywords: [tok=]\n    pattern: \"tok=(?P<secret>[a-z]{8,})\"\n")
    real_fdopen = os.fdopen

    def full_disk(fd: int, *a, **k):  # type: ignore[no-untyped-def]
        f = real_fdopen(fd, *a, **k)

        def write(data: object) -> int:
            raise OSError(28, "No space left on device")

        f.write = write  # type: ignore[method-assign]
        return f

    monkeypatch.setattr(os, "fdopen", full_disk)
    assert len(load_file(rules)) == 1  # no cache: the rules still load
    monkeypatch.setattr(os, "fdopen", real_fdopen)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []
