#!/usr/bin/env python3
"""Build a git history from successive released sdists of a PyPI package.

Used to make realistic, large histories for the ``leakguard git`` benchmark
(see benchmarks/README.md).  Each selected release's sdist is downloaded with
pip, unpacked, and committed on top of the previous one (one commit per
version, tagged ``v<version>``), so the history contains the real churn
between releases.

Exact commands used for the benchmark repositories:

    python3 benchmarks/make_history_repo.py requests 40 /work/bench/repo-requests-like --since 2.0.0
    python3 benchmarks/make_history_repo.py sqlalchemy 25 /work/bench/repo-sqlalchemy --since 1.0.0

Usage: make_history_repo.py PACKAGE N_VERSIONS OUTPUT_DIR
           [--since VERSION] [--select spread|latest] [--cache-dir DIR]
           [--fallback-python PYTHON ...]

* ``--select spread`` (default) picks N versions evenly spaced between
  ``--since`` (default: the oldest release) and the newest release, always
  including both ends; ``--select latest`` takes the newest N releases.
* Pre-releases are ignored.  pip prepares an sdist's metadata (runs its
  setup.py) before saving it; old setup.py files often fail on a new Python,
  so a failed download is retried with python3.9/python3.8 from PATH (or the
  ``--fallback-python`` given).  A version that still fails is replaced by its
  nearest neighbour that works.
* sdists are cached in ``--cache-dir`` (default ``/work/bench/sdists/PACKAGE``)
  so re-running is cheap.  Only pip (``python -m pip download --no-deps
  --no-binary PACKAGE``) talks to the registry.
* Author/committer dates are the newest file mtime inside each sdist (i.e.
  roughly the release date); author is "PACKAGE release <release@example.invalid>".
* OUTPUT_DIR must not exist or must be empty; it must be outside the leakguard
  work tree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

try:  # packaging is vendored by pip; prefer a real install if present
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover
    from pip._vendor.packaging.version import InvalidVersion, Version  # type: ignore

SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")


def list_versions(package: str) -> list[Version]:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package],
        check=True, capture_output=True, text=True,
    ).stdout
    m = re.search(r"Available versions:\s*(.+)", out)
    if not m:
        raise SystemExit(f"could not parse `pip index versions {package}` output:\n{out}")
    versions = []
    for v in m.group(1).split(","):
        try:
            ver = Version(v.strip())
        except InvalidVersion:
            continue
        if not ver.is_prerelease:
            versions.append(ver)
    return sorted(set(versions))


def select(versions: list[Version], n: int, mode: str) -> list[int]:
    """Return indices into *versions* (sorted ascending)."""
    if n >= len(versions):
        return list(range(len(versions)))
    if mode == "latest":
        return list(range(len(versions) - n, len(versions)))
    if n == 1:
        return [len(versions) - 1]
    step = (len(versions) - 1) / (n - 1)
    return sorted({round(i * step) for i in range(n)})


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_sdist(cache: Path, package: str, version: Version) -> Path | None:
    for f in cache.iterdir():
        suffix = next((s for s in SDIST_SUFFIXES if f.name.endswith(s)), None)
        if not suffix:
            continue
        name, _, ver = f.name[: -len(suffix)].rpartition("-")
        try:
            if _norm(name) == _norm(package) and Version(ver) == version:
                return f
        except InvalidVersion:
            continue
    return None


def pip_pythons(extra: list[str]) -> list[str]:
    """Interpreters to run `pip download` with, in order of preference.

    Old sdists often import their own package from setup.py, which breaks on
    new Pythons (e.g. requests < 2.6 needs collections.Mapping, gone in 3.10),
    so a failed download is retried with older interpreters if available.
    """
    import glob

    out = [sys.executable]
    for name in extra or ["python3.9", "python3.8"]:
        cands = [shutil.which(name) or ""]
        # pyenv shims refuse to run a version that is not selected: use the real binary
        cands += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/*/bin/{name}")))
        for path in cands:
            if not path or path in out:
                continue
            if subprocess.run([path, "-m", "pip", "--version"], capture_output=True).returncode == 0:
                out.append(path)
                break
    return out


def download(package: str, version: Version, cache: Path, pythons: list[str]) -> Path | None:
    hit = find_sdist(cache, package, version)
    if hit:
        return hit
    for py in pythons:
        cmd = [py, "-m", "pip", "download", "--no-deps", "--no-binary", package,
               "-d", str(cache), "--disable-pip-version-check", "-q", f"{package}=={version}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            hit = find_sdist(cache, package, version)
            if hit:
                return hit
        lines = [l for l in r.stderr.strip().splitlines() if "Location" not in l and l.strip()]
        err = next((l for l in reversed(lines) if "Error" in l), lines[-1] if lines else "?")
        print(f"  ! {package}=={version} with {py}: {err.strip()[:160]}", file=sys.stderr)
    return None


def unpack(archive: Path, dest: Path) -> tuple[Path, float]:
    """Unpack *archive* into *dest*; return (top dir, newest member mtime)."""
    newest = 0.0
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                import datetime as _dt
                try:
                    newest = max(newest, _dt.datetime(*info.date_time).timestamp())
                except ValueError:
                    pass
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            members = []
            for m in tf.getmembers():
                if not (m.isfile() or m.isdir() or m.issym()):
                    continue
                if m.issym() and (os.path.isabs(m.linkname) or ".." in m.linkname.split("/")):
                    continue
                newest = max(newest, float(m.mtime))
                members.append(m)
            try:
                tf.extractall(dest, members=members, filter="data")  # py>=3.11.4
            except TypeError:
                tf.extractall(dest, members=members)
    entries = [p for p in dest.iterdir()]
    top = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    return top, newest


def git(repo: Path, *args: str, env: dict | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True,
                          capture_output=True, text=True, env=env).stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package")
    ap.add_argument("n_versions", type=int)
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("--since", help="oldest version to consider (inclusive)")
    ap.add_argument("--select", choices=["spread", "latest"], default="spread")
    ap.add_argument("--cache-dir", type=Path)
    ap.add_argument("--fallback-python", action="append", default=[],
                    help="older interpreter(s) to retry `pip download` with "
                         "(default: python3.9 and python3.8 from PATH)")
    a = ap.parse_args()

    out = a.output_dir.resolve()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    cache = (a.cache_dir or Path("/work/bench/sdists") / a.package).resolve()
    cache.mkdir(parents=True, exist_ok=True)

    versions = list_versions(a.package)
    if a.since:
        versions = [v for v in versions if v >= Version(a.since)]
    if not versions:
        raise SystemExit("no versions to use")
    pythons = pip_pythons(a.fallback_python)
    wanted = select(versions, a.n_versions, a.select)
    print(f"{a.package}: {len(versions)} candidate releases, selecting {len(wanted)}")

    # Download, replacing failures with the nearest unused neighbour.
    chosen: dict[int, Path] = {}
    tried: set[int] = set()
    for idx in wanted:
        for delta in range(0, len(versions)):
            ok = False
            for cand in ([idx] if delta == 0 else [idx + delta, idx - delta]):
                if not (0 <= cand < len(versions)) or cand in tried or cand in chosen:
                    continue
                tried.add(cand)
                p = download(a.package, versions[cand], cache, pythons)
                if p:
                    chosen[cand] = p
                    ok = True
                    break
            if ok or delta > 5:
                break
    order = sorted(chosen)
    print(f"{a.package}: got {len(order)} sdists: {', '.join(str(versions[i]) for i in order)}")

    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    git(out, "config", "core.autocrlf", "false")
    git(out, "config", "user.name", f"{a.package} release")
    git(out, "config", "user.email", "release@example.invalid")
    git(out, "config", "commit.gpgsign", "false")

    for i in order:
        ver, archive = versions[i], chosen[i]
        for entry in out.iterdir():
            if entry.name == ".git":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        with tempfile.TemporaryDirectory(dir=out.parent) as td:
            top, newest = unpack(archive, Path(td))
            for entry in top.iterdir():
                if entry.name == ".git":
                    continue
                shutil.move(str(entry), str(out / entry.name))
        stamp = f"@{int(newest)} +0000" if newest > 0 else None
        env = dict(os.environ)
        env.update({
            "GIT_AUTHOR_NAME": f"{a.package} release", "GIT_AUTHOR_EMAIL": "release@example.invalid",
            "GIT_COMMITTER_NAME": f"{a.package} release", "GIT_COMMITTER_EMAIL": "release@example.invalid",
        })
        if stamp:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = stamp
        git(out, "add", "-A", "--force", ".", env=env)
        git(out, "commit", "-q", "--allow-empty", "-m", f"{a.package} {ver}", env=env)
        git(out, "tag", f"v{ver}", env=env)
        print(f"  committed {a.package} {ver} ({archive.name})")

    git(out, "gc", "-q")
    n = git(out, "rev-list", "--count", "HEAD").strip()
    print(f"done: {out} with {n} commits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
