#!/usr/bin/env python3
"""What decoding (base64 / hex / percent blobs, leakguard/decode.py) costs on a directory scan.

Exact commands (run from a leakguard checkout):

    python3 benchmarks/bench_decode.py /usr/lib/python3.11 /usr/lib/python3/dist-packages \\
        /work/bench/sqlalchemy /work/bench/requests --repeats 5
    python3 benchmarks/bench_decode.py /work/bench/tree200 --repeats 3

Two measurements, both back to back so a busy machine slows both sides alike:

1. End to end: `leakguard scan TREES --all-files --no-repo-config --format json --output R`
   with `--decode` and with `--no-decode`, round-robin, --repeats each (after one warm-up
   run that also caches the Hyperscan database). Reported: median wall time and median
   user+sys CPU (the workers included) of each, and decoding's share
   (decode - no-decode) / decode, plus the findings that only decoding gives.
2. In process (--no-inprocess to skip): every text file read once into memory, then
   `Engine.scan` over all of them with decoding off and on (3 rounds, one process),
   so file walking and reading are left out: the engine-only share, an upper bound.

The target is a share of at most 10% of the directory-scan time (issue 10).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402


def end_to_end(trees: list[str], repeats: int, jobs: int) -> dict[str, object]:
    argv0, env = bl.find_leakguard()
    out: dict[str, list[bl.Run]] = {"decode": [], "no-decode": []}
    findings: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def run(mode: str) -> bl.Run:
            report = os.path.join(tmp, f"{mode}.json")
            cmd = [*argv0, "scan", *trees, "--all-files", "--no-repo-config", "--no-progress",
                   "--format", "json", "--output", report, "--min-confidence", "low", f"--{mode}"]
            if jobs:
                cmd += ["--jobs", str(jobs)]
            r = bl.measure(cmd, env=env, sample_interval=0)
            if r.rc not in (0, 1):
                sys.exit(f"leakguard failed ({r.rc}): {r.stderr_tail}")
            with open(report, encoding="utf-8") as f:
                findings[mode] = json.load(f)["findings"]
            return r

        run("decode")  # warm-up: caches the Hyperscan database
        for _ in range(repeats):
            for mode in ("decode", "no-decode"):
                out[mode].append(run(mode))
    wall = {m: statistics.median(r.wall for r in rs) for m, rs in out.items()}
    cpu = {m: statistics.median(r.cpu for r in rs) for m, rs in out.items()}
    only = [f for f in findings["decode"] if f.get("decoded")]
    return {
        "wall": wall, "cpu": cpu,
        "wall_share": (wall["decode"] - wall["no-decode"]) / wall["decode"],
        "cpu_share": (cpu["decode"] - cpu["no-decode"]) / cpu["decode"],
        "decoded_findings": [(f["path"], f["line"], f["rule_id"], f["confidence"], f.get("key_path")) for f in only],
        "findings": {m: len(v) for m, v in findings.items()},
    }


def in_process(trees: list[str]) -> dict[str, float]:
    from leakguard.engine import Engine
    from leakguard.model import Chunk, Origin
    from leakguard.ruleset import load_ruleset
    from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE

    files: list[tuple[str, bytes]] = []
    for top in trees:
        for root, _, names in os.walk(top):
            for name in names:
                p = os.path.join(root, name)
                try:
                    if os.path.islink(p) or os.path.getsize(p) > DEFAULT_MAX_FILE_SIZE:
                        continue
                    with open(p, "rb") as f:
                        b = f.read()
                except OSError:
                    continue
                if b"\0" not in b[:8192]:
                    files.append((p, b))
    rules = load_ruleset()
    engines = {"no-decode": Engine(rules, decode_depth=0), "decode": Engine(rules)}
    times: dict[str, list[float]] = {m: [] for m in engines}
    for _ in range(3):
        for mode, eng in engines.items():
            t = time.perf_counter()
            for p, b in files:
                eng.scan(Chunk(b, (Origin("file", p),)))
            times[mode].append(time.perf_counter() - t)
    med = {m: statistics.median(v) for m, v in times.items()}
    return {**med, "share": (med["decode"] - med["no-decode"]) / med["decode"], "files": len(files),
            "mb": sum(len(b) for _, b in files) / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs="+")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--no-inprocess", action="store_true")
    args = ap.parse_args()
    print(f"load average before: {bl.loadavg()}")
    e2e = end_to_end(args.trees, args.repeats, args.jobs)
    w, c = e2e["wall"], e2e["cpu"]
    print(f"end to end ({args.repeats} runs each, medians): "
          f"decode {w['decode']:.2f} s wall / {c['decode']:.2f} s CPU; "
          f"no-decode {w['no-decode']:.2f} s wall / {c['no-decode']:.2f} s CPU")
    print(f"decoding's share: {e2e['wall_share']:.1%} of wall time, {e2e['cpu_share']:.1%} of CPU time")
    print(f"findings (all confidences): {e2e['findings']}; found only by decoding:")
    for row in e2e["decoded_findings"]:
        print("   ", *row)
    if not args.no_inprocess:
        ip = in_process(args.trees)
        print(f"in process, engine only ({ip['files']} files, {ip['mb']:.0f} MB, median of 3): "
              f"decode {ip['decode']:.2f} s, no-decode {ip['no-decode']:.2f} s, share {ip['share']:.1%}")
    print(f"load average after: {bl.loadavg()}")


if __name__ == "__main__":
    main()
