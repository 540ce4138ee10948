#!/usr/bin/env python3
"""Directory-scan benchmark: leakguard vs gitleaks / betterleaks (/ kingfisher).

Exact commands (trees built as described in benchmarks/README.md):

    python3 benchmarks/bench_dir.py /work/bench/tree200
    python3 benchmarks/bench_dir.py /work/bench/tree20 --repeats 5
    python3 benchmarks/bench_dir.py /work/bench/tree200 --kingfisher --json-out /work/bench/results/dir-tree200.json
    python3 benchmarks/bench_dir.py /work/bench/tree20 --tools gitleaks,betterleaks   # peers only

Issue 11 (a 200 MB tree of real code read in full; built as in README.md "tree200"), with
leakguard warm (compiled database cached) and cold (no usable cache directory: every run
compiles) side by side:

    python3 benchmarks/bench_dir.py /work/bench/tree200 --cold --max-file-size 0 --no-small

What it runs on TREE (each run a fresh process; report files go to a temp dir):

    leakguard scan TREE --format json --output R.json [--jobs N]
    gitleaks dir TREE --no-banner --report-format json --report-path R.json
    betterleaks fs TREE --no-banner --silent -o R.json           (betterleaks has no `dir`)
    kingfisher scan TREE --no-validate --no-update-check -q -f json -o R.json --git-history none
                                                                  (only with --kingfisher)

Each tool gets --warmup untimed runs (default 1: kingfisher and betterleaks build rule
caches on first use), then --repeats timed runs (default 3), round-robin across tools.
Reported: median/min/max wall time, median user+sys CPU, median peak RSS of the largest
process (ru_maxrss, as /usr/bin/time -v), median sampled peak RSS of the whole process tree,
findings in the last report, and the ratios leakguard/gitleaks and leakguard/betterleaks.

Then the start-up test: `leakguard scan ONE_SMALL_FILE` (and the peers' equivalents), 10 runs
each (--small-runs), median wall time, start-up included.  The small file is a ~20-line
Python file written to the temp dir (or --small-file PATH).

Exit codes 0/1 (findings) are accepted for leakguard, gitleaks and betterleaks; 0/200/205 for
kingfisher.  A tool that fails is reported as FAILED with its stderr tail; the others still run.
Binaries: see _benchlib.py (LEAKGUARD_BENCH_LEAKGUARD / _GITLEAKS / _BETTERLEAKS / _KINGFISHER).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402

SMALL_FILE = '''"""Settings for the example service."""
import os

DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
DATABASE = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "orders",
    "HOST": os.environ.get("DB_HOST", "localhost"),
    "PORT": 5432,
}
CACHE_TTL = 300


def get_timeout(name, default=30):
    return int(os.environ.get(name.upper() + "_TIMEOUT", default))


SLACK_BOT_TOKEN = "%s"
LOG_LEVEL = "INFO"
''' % ("xoxb-" + "482910375561-7720193846612-" + "Qd8xPz3LmN5vR2tYwK7bHcJe")  # fake; built at run time


def main() -> int:
    ap = argparse.ArgumentParser(description="leakguard directory-scan benchmark")
    ap.add_argument("tree")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--tools", default="leakguard,gitleaks,betterleaks",
                    help="comma-separated subset of leakguard,gitleaks,betterleaks,kingfisher")
    ap.add_argument("--kingfisher", action="store_true", help="also run kingfisher")
    ap.add_argument("--jobs", type=int, help="pass --jobs N to leakguard")
    ap.add_argument("--leakguard-args", default="", help="extra arguments for leakguard (one string)")
    ap.add_argument("--cold", action="store_true",
                    help="also 'leakguard-cold': LEAKGUARD_CACHE_DIR unusable, so every run compiles the database")
    ap.add_argument("--max-file-size", help="pass --max-file-size to leakguard (0: read every file)")
    ap.add_argument("--small-file", help="file for the start-up test (default: a generated one)")
    ap.add_argument("--small-runs", type=int, default=10)
    ap.add_argument("--no-small", action="store_true", help="skip the start-up test")
    ap.add_argument("--sample-interval", type=float, default=0.1,
                    help="seconds between tree-RSS samples (0: off)")
    ap.add_argument("--timeout", type=float, default=3600, help="per run, seconds")
    ap.add_argument("--json-out", help="write all numbers to this JSON file")
    a = ap.parse_args()

    tree = os.path.abspath(a.tree)
    if not os.path.isdir(tree):
        ap.error(f"{tree} is not a directory")
    names = [n.strip() for n in a.tools.split(",") if n.strip()]
    if a.kingfisher and "kingfisher" not in names:
        names.append("kingfisher")

    extra = shlex.split(a.leakguard_args) + (["--jobs", str(a.jobs)] if a.jobs else [])
    extra += ["--max-file-size", a.max_file_size] if a.max_file_size is not None else []
    tools: list[bl.Tool] = []
    if "leakguard" in names:
        tools.append(bl.leakguard_tool("dir", extra))
        if a.cold:
            cold = bl.leakguard_tool("dir", extra)
            cold.name = "leakguard-cold"
            # a path that can never be created: the database is compiled and never cached
            cold.env = {**cold.env, "LEAKGUARD_CACHE_DIR": "/proc/leakguard-no-cache"}
            tools.append(cold)
    peers, missing = bl.peer_tools([n for n in names if n != "leakguard"], "dir")
    tools += peers
    for m in missing:
        print(f"warning: {m} not found (set LEAKGUARD_BENCH_{m.upper()})", file=sys.stderr)

    nfiles, nbytes = bl.tree_size(tree)
    print(f"tree: {tree}: {nfiles} files, {nbytes / 1e6:.1f} MB; cores: {os.cpu_count()}; "
          f"repeats: {a.repeats}, warm-up: {a.warmup}; load average: {bl.loadavg()}")
    for t in tools:
        print(f"  {t.name}: {shlex.join(t.argv0)}  ({t.version})")

    work = tempfile.mkdtemp(prefix="leakguard-bench-dir-")
    try:
        t0 = time.time()
        results = bl.run_suite(tools, tree, repeats=a.repeats, warmup=a.warmup, workdir=work,
                               sample_interval=a.sample_interval, timeout=a.timeout)
        print()
        print(bl.fmt_table(results, f"== directory scan of {tree} ({nfiles} files, {nbytes / 1e6:.1f} MB)"))
        print(bl.fmt_ratios(results))
        for r in results:
            print(f"  {r.tool}: {r.command}")
        payload = {"benchmark": "dir", "tree": tree, "files": nfiles, "bytes": nbytes,
                   "started": t0, "cpu_count": os.cpu_count(), "loadavg_before": bl.loadavg(),
                   "results": [r.to_dict() for r in results]}

        if not a.no_small:
            small = a.small_file or os.path.join(work, "settings.py")
            if not a.small_file:
                with open(small, "w") as f:
                    f.write(SMALL_FILE)
            small_results = bl.run_suite(tools, small, repeats=a.small_runs, warmup=1, workdir=work,
                                         sample_interval=0, timeout=a.timeout, label="-small")
            print()
            print(bl.fmt_table(small_results, f"== start-up: scan of one small file ({a.small_runs} runs)"))
            print(bl.fmt_ratios(small_results))
            payload["small_file"] = {"path": small, "results": [r.to_dict() for r in small_results]}
        payload["loadavg_after"] = bl.loadavg()
        print(f"load average after: {payload['loadavg_after']} (other work on the machine skews timings)")
        bl.write_json(a.json_out, payload)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
