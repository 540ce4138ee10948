#!/usr/bin/env python3
"""Small scans without a cached database: a fresh CI container (issue 8), and one-file scans (issue 9).

Part 1, one file (the pre-commit case): `leakguard scan DIR` on a directory holding one real
source file (terminal format, as a user runs it), and `leakguard scan --staged FILE` in a
throw-away git repository with that file staged (the pre-commit hook's command), each:

    cold   a new empty LEAKGUARD_CACHE_DIR and XDG_CACHE_HOME every run (a fresh CI container:
           no Hyperscan database, nothing cached; what the install ships is read: the parsed rule
           files and the validated pack, written by the build hook into the wheel, or into
           rules/.parsed/ of an editable install. A one-file scan compiles no Hyperscan database:
           the keyword prefilter in pure Python finds the rules to confirm)
    warm   the cache filled by earlier runs, Hyperscan database included (a developer machine)

Target (issue 9): under 0.5 s wall, cold and warm, start-up included. Measure what users run:

    python3 benchmarks/bench_small.py /work/bench/tree200 --part one --install

(--install builds this checkout's wheel into a new venv, for both parts; LEAKGUARD_BENCH_LEAKGUARD="PY -m leakguard"
runs another install, e.g. an older version's, for a before/after comparison.)

Part 2, a small tree:
A scan of fewer than 200 files does not compile the rule patterns' Hyperscan database (a few
seconds) when it is not cached yet. This measures that path on real code against the others:

    python3 benchmarks/bench_small.py /work/bench/tree200            # picks 199 files, ~20 MB

It copies up to --files (199) of the largest text files of TREE, up to --mb (20) MB, into a
temp dir, then times `leakguard scan DIR --format json --output R` (fresh process each, start-up
included) with each prefilter, every run with a new empty LEAKGUARD_CACHE_DIR (the container):

    cold, default       nothing cached: the keywords (pure Python for the first 64 KB, then a
                        Hyperscan database of the keywords alone, built each run)
    cold, regex         LEAKGUARD_PREFILTER=regex: the pure-Python keyword prefilter (the old path)
    cold, hyperscan     LEAKGUARD_PREFILTER=hyperscan: compile the full database first
    warm                the full database already cached (what a developer machine has)

It also times building each database on its own (in-process): the full pattern databases
(must stay under 10 s with the whole rule pack) and the keyword database. Findings of all
runs must be equal; the script says so.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402


def pick(tree: str, n: int, mb: float, dest: str) -> tuple[int, int]:
    files = []
    for dp, dns, fns in os.walk(tree):
        dns[:] = [d for d in dns if d not in ("__pycache__", ".git")]
        for f in fns:
            p = os.path.join(dp, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                head = fh.read(4096)
            if b"\0" in head:
                continue
            files.append((os.path.getsize(p), p))
    files.sort(reverse=True)
    total = count = 0
    for size, p in files:
        if count >= n or total + size > mb * 1e6:
            continue
        rel = os.path.relpath(p, tree)
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(p, os.path.join(dest, rel))
        total += size
        count += 1
    return count, total


def pick_one(tree: str) -> str:
    """A real source file of ordinary size: the first .py of 4-16 KB in path order."""
    for dp, dns, fns in os.walk(tree):
        dns[:] = sorted(d for d in dns if d not in ("__pycache__", ".git"))
        for f in sorted(fns):
            p = os.path.join(dp, f)
            if f.endswith(".py") and not os.path.islink(p) and 4096 <= os.path.getsize(p) <= 16384:
                return p
    raise SystemExit(f"no .py file of 4-16 KB under {tree}")


def install_wheel(work: str) -> list[str]:
    """Build this checkout's wheel and install it (no dependencies: they come from the running
    Python's site-packages) into a new venv, as `pip install` in a CI container does; returns the
    command that runs it. A checkout run with `python -m leakguard` reads rules/ and so parses the
    YAML when nothing is cached; an installed wheel carries the parsed form."""
    wheels, venv = os.path.join(work, "wheel"), os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(bl.REPO_ROOT), "--no-deps", "-q", "-w", wheels], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    py = os.path.join(venv, "bin", "python")
    whl = [os.path.join(wheels, f) for f in os.listdir(wheels) if f.endswith(".whl")]
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", *whl], check=True)
    return [py, "-m", "leakguard"]


def one_file(src: str, work: str, repeats: int) -> None:
    """Part 1: one file, `scan DIR` and `scan --staged`, cold and warm (medians of ``repeats``)."""
    argv0, env0 = bl.find_leakguard()
    d = os.path.join(work, "one")
    os.makedirs(d)
    shutil.copy2(src, os.path.join(d, os.path.basename(src)))
    repo = os.path.join(work, "repo")
    os.makedirs(repo)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "Bench")
    git("config", "user.email", "bench@example.invalid")
    with open(os.path.join(repo, "README.md"), "w") as f:
        f.write("bench\n")
    git("add", "README.md")
    git("commit", "-q", "-m", "init")
    name = os.path.basename(src)
    shutil.copy2(src, os.path.join(repo, name))
    git("add", name)
    warm = os.path.join(work, "one-warm-cache")
    # an untimed first run in a throw-away cache: a checkout writes its bytecode (__pycache__) here
    bl.measure(argv0 + ["scan", d, "--no-progress"], cwd=work, env={**env0, "LEAKGUARD_CACHE_DIR": warm + "-first"},
               sample_interval=0)
    # run outside any checkout: `python -m leakguard` would import this checkout from the working directory
    cases = [("scan DIR (1 file)", argv0 + ["scan", d, "--no-progress"], work),
             ("scan --staged FILE", argv0 + ["scan", "--staged", "--no-progress", name], repo)]
    # fill the warm cache as a developer machine has it: parsed rules and the full database
    bl.measure(argv0 + ["scan", d, "--no-progress"], cwd=work, env={**env0, "LEAKGUARD_CACHE_DIR": warm,
                                                                    "LEAKGUARD_PREFILTER": "hyperscan"}, sample_interval=0)
    print(f"one file: {src} ({os.path.getsize(src)} bytes) with {' '.join(argv0)}; load average {bl.loadavg()}")
    print(f"{'case':<24} {'cold wall':>10} {'cpu':>6} {'warm wall':>10} {'cpu':>6}   (medians of {repeats})")
    for label, cmd, cwd in cases:
        res = {}
        for mode in ("cold", "warm"):
            walls, cpus = [], []
            for i in range(repeats):
                cache = warm if mode == "warm" else os.path.join(work, f"one-cold-{label[:4]}-{i}")
                env = {**env0, "LEAKGUARD_CACHE_DIR": cache, "XDG_CACHE_HOME": cache + "-xdg"}
                r = bl.measure(cmd, cwd=cwd, env=env, sample_interval=0)
                if r.rc not in (0, 1):
                    print(f"{label} {mode}: failed rc={r.rc} {r.stderr_tail[-300:]}")
                    return
                walls.append(r.wall)
                cpus.append(r.cpu)
            res[mode] = (statistics.median(walls), statistics.median(cpus))
        print(f"{label:<24} {res['cold'][0]:>9.3f}s {res['cold'][1]:>5.2f}s {res['warm'][0]:>9.3f}s {res['warm'][1]:>5.2f}s")
    print(f"commands: {' '.join(cases[0][1])} | (in the repo) {' '.join(cases[1][1])}; "
          f"load average after {bl.loadavg()}")


def compile_times() -> str:
    from leakguard import prefilter
    from leakguard.ruleset import load_ruleset

    rs = load_ruleset()
    if not prefilter.hyperscan_available():
        return "hyperscan not installed"
    with tempfile.TemporaryDirectory() as d:
        os.environ["LEAKGUARD_CACHE_DIR"] = d
        t, c = time.perf_counter(), time.process_time()
        prefilter.HyperscanPrefilter(rs.rules, rs.digest)
        full, full_cpu = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        prefilter.HyperscanPrefilter(rs.rules, rs.digest)  # now from the cache
        cached, cached_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    prefilter.HyperscanKeywordPrefilter(rs.rules)
    kw, kw_cpu = time.perf_counter() - t, time.process_time() - c
    return (f"database build, {len(rs.rules)} rules (in-process; CPU is what carries over on a shared machine):\n"
            f"  full pattern databases {full:.2f}s wall, {full_cpu:.2f}s CPU (target < 10 s); "
            f"loaded from the cache {cached * 1e3:.0f} ms wall, {cached_cpu * 1e3:.0f} ms CPU\n"
            f"  keyword database {kw:.3f}s wall, {kw_cpu:.3f}s CPU")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree")
    ap.add_argument("--files", type=int, default=199)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one-repeats", type=int, default=7, help="repeats of each one-file case (default 7)")
    ap.add_argument("--one-file", help="the file of part 1 (default: picked from TREE)")
    ap.add_argument("--part", choices=("one", "tree", "all"), default="all")
    ap.add_argument("--install", action="store_true",
                    help="run this checkout's wheel installed in a new venv (what a CI container runs)")
    a = ap.parse_args()
    # what users run has its bytecode cached (pip compiles an install; a checkout writes __pycache__ on
    # its first run): with PYTHONDONTWRITEBYTECODE set, every run would compile leakguard's sources again
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        print("note: PYTHONDONTWRITEBYTECODE unset for the measured runs (an install has its bytecode)")
    work = tempfile.mkdtemp(prefix="leakguard-bench-small-")
    try:
        if a.install:  # both parts run the installed wheel (bl.find_leakguard reads this variable)
            os.environ["LEAKGUARD_BENCH_LEAKGUARD"] = shlex.join(install_wheel(work))
        if a.part in ("one", "all"):
            one_file(a.one_file or pick_one(os.path.abspath(a.tree)), work, a.one_repeats)
            if a.part == "one":
                return 0
        target = os.path.join(work, "tree")
        n, size = pick(os.path.abspath(a.tree), a.files, a.mb, target)
        print(f"{n} files, {size / 1e6:.1f} MB of real code from {a.tree}; load average {bl.loadavg()}")
        print(compile_times())
        lg = bl.leakguard_tool("dir", ["--no-progress"])
        warm_cache = os.path.join(work, "warm-cache")
        # fill the warm cache: a forced compile
        bl.measure(lg.cmd(target, os.path.join(work, "fill.json")), cwd=work,
                   env={**lg.env, "LEAKGUARD_CACHE_DIR": warm_cache, "LEAKGUARD_PREFILTER": "hyperscan"},
                   sample_interval=0)
        modes = [("cold, default (keywords)", {}), ("cold, regex (old path)", {"LEAKGUARD_PREFILTER": "regex"}),
                 ("cold, hyperscan (compile)", {"LEAKGUARD_PREFILTER": "hyperscan"}), ("warm (database cached)", None)]
        rows, reports = [], {}
        for name, env in modes:
            walls, cpus = [], []
            for i in range(a.repeats):
                cache = warm_cache if env is None else os.path.join(work, f"cold-{len(rows)}-{i}")
                report = os.path.join(work, f"r-{len(rows)}.json")
                r = bl.measure(lg.cmd(target, report), cwd=work, env={**lg.env, **(env or {}), "LEAKGUARD_CACHE_DIR": cache},
                               sample_interval=0)
                if r.rc not in (0, 1):
                    print(f"{name}: failed rc={r.rc} {r.stderr_tail[-300:]}")
                    break
                walls.append(r.wall)
                cpus.append(r.cpu)
            reports[name] = sorted(json.dumps(f, sort_keys=True) for f in (bl.load_findings(report) or []))
            rows.append((name, statistics.median(walls) if walls else float("nan"),
                         statistics.median(cpus) if cpus else float("nan"), len(reports[name])))
        print(f"{'mode':<36} {'wall med':>9} {'cpu med':>8} {'findings':>8}")
        for name, w, c, f in rows:
            print(f"{name:<36} {w:>8.2f}s {c:>7.2f}s {f:>8}")
        same = len({tuple(v) for v in reports.values()}) == 1
        print("findings identical across modes" if same else "FINDINGS DIFFER between modes")
        print(f"command: {' '.join(lg.cmd(target, 'R.json'))}; load average after {bl.loadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
