#!/usr/bin/env python3
"""What decoding (base64 / hex / percent blobs, leakguard/decode.py) costs on a directory or history scan.

Exact commands (run from a leakguard checkout; session 5 used these, with OLD a checkout of
the previous commit in a venv of its own):

    python3 benchmarks/bench_decode.py /work/bench/tree200 --repeats 3 --jobs 1 \\
        --baseline "OLD/.venv/bin/python -m leakguard"
    .venv/bin/python benchmarks/bench_decode.py /work/bench/tree200 --inprocess-only   # and with
    OLD/.venv/bin/python, alternately (that python imports the old leakguard)
    .venv/bin/python benchmarks/bench_decode.py /work/bench/requests --git --inprocess-only
    python3 benchmarks/bench_decode.py /work/bench/requests --git --repeats 3 --jobs 1 --no-inprocess \\
        --baseline "OLD/.venv/bin/python -m leakguard"
    python3 benchmarks/bench_decode.py /usr/lib/python3.11 /usr/lib/python3/dist-packages \\
        /work/bench/sqlalchemy /work/bench/requests --repeats 5

Two measurements, both back to back so a busy machine slows both sides alike:

1. End to end: `leakguard scan TREES --all-files --no-repo-config --format json --output R`
   (with --git: `leakguard git REPO --no-cache ...`, the history of one repository)
   with `--decode` and with `--no-decode`, round-robin, --repeats each (after one warm-up
   run per leakguard that also caches the Hyperscan databases, each leakguard with a cache
   directory of its own). Reported: median wall time and median user+sys CPU (the workers
   included) of each, and decoding's share (decode - no-decode) / decode, plus the findings
   that only decoding gives. With --baseline CMD, a second leakguard (e.g. a checkout of the
   previous commit) is measured in the same round-robin, and the findings with `decoded` set
   (at --min-confidence low) of the two are compared: they must be the same.
2. In process (--no-inprocess to skip, --inprocess-only for it alone): every
   text file read once into memory, then `Engine.scan` over all of them with decoding off and
   on, and `decode.decoded_findings` alone (what decoding adds to a scan), each with a fresh
   engine (a warm-up round, then 3 rounds, CPU time of the one process; `python3` imports the
   leakguard it is installed with, so run it with each checkout's python to compare), so file
   walking and reading are left out: the engine-only share, an upper bound.
   With --git --inprocess-only: `leakguard git REPO --no-cache -j 1` run in this process after a
   warm-up, with the CPU time inside `Engine._add_decoded` (all that decoding adds) measured apart.

The target is a share of at most 10% of the directory-scan time (issue 10).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402

_MODES = ("decode", "no-decode")


def _decoded_key(f: dict) -> tuple:
    """What identifies a decoded finding (never the secret: its hash)."""
    return (f.get("path"), f.get("commit"), f.get("line"), f.get("column"), f["rule_id"], f.get("confidence"),
            f.get("decoded"), f.get("key_path"), f.get("secret_hash"))


def end_to_end(trees: list[str], repeats: int, jobs: int, git: bool = False,
               baseline: list[str] | None = None) -> dict[str, dict[str, object]]:
    argv0, env = bl.find_leakguard()
    tools = {"leakguard": argv0, **({"baseline": baseline} if baseline else {})}
    out: dict[tuple[str, str], list[bl.Run]] = {(t, m): [] for t in tools for m in _MODES}
    findings: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def run(tool: str, mode: str) -> bl.Run:
            report = os.path.join(tmp, f"{tool}-{mode}.json")
            target = [*trees[:1], "--no-cache"] if git else [*trees, "--all-files", "--no-repo-config"]
            cmd = [*tools[tool], "git" if git else "scan", *target, "--no-progress",
                   "--format", "json", "--output", report, "--min-confidence", "low", f"--{mode}"]
            if jobs:
                cmd += ["--jobs", str(jobs)]
            cache = os.path.join(tmp, f"cache-{tool}")
            r = bl.measure(cmd, env={**env, "LEAKGUARD_CACHE_DIR": cache}, sample_interval=0)
            if r.rc not in (0, 1):
                sys.exit(f"{tool} failed ({r.rc}): {r.stderr_tail}")
            with open(report, encoding="utf-8") as f:
                findings[(tool, mode)] = json.load(f)["findings"]
            return r

        for tool in tools:
            run(tool, "decode")  # warm-up: caches the Hyperscan databases
        for _ in range(repeats):
            for tool in tools:
                for mode in _MODES:
                    out[(tool, mode)].append(run(tool, mode))
    res: dict[str, dict[str, object]] = {}
    for tool in tools:
        wall = {m: statistics.median(r.wall for r in out[(tool, m)]) for m in _MODES}
        cpu = {m: statistics.median(r.cpu for r in out[(tool, m)]) for m in _MODES}
        only = [f for f in findings[(tool, "decode")] if f.get("decoded")]
        res[tool] = {
            "wall": wall, "cpu": cpu, "cpu_runs": {m: [r.cpu for r in out[(tool, m)]] for m in _MODES},
            "wall_share": (wall["decode"] - wall["no-decode"]) / wall["decode"],
            "cpu_share": (cpu["decode"] - cpu["no-decode"]) / cpu["decode"],
            "decoded_findings": [(f["path"], f["line"], f["rule_id"], f["confidence"], f.get("key_path")) for f in only],
            "decoded_keys": sorted(map(_decoded_key, only), key=repr),
            "findings": {m: len(findings[(tool, m)]) for m in _MODES},
        }
    return res


def in_process(trees: list[str]) -> dict[str, float]:
    from leakguard.decode import MAX_DEPTH, decoded_findings
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
    times: dict[str, list[float]] = {m: [] for m in (*_MODES, "decoding alone")}
    for n in range(4):  # round 0 warms up (lazy regexes, the Hyperscan databases); fresh engines each round,
        for mode in times:  # so no verdict remembered from an earlier round serves a later one
            eng = Engine(rules, decode_depth=0 if mode == "no-decode" else MAX_DEPTH)
            chunks = [Chunk(b, (Origin("file", p),)) for p, b in files]
            t = time.process_time()
            if mode == "decoding alone":  # what Engine.scan adds with decoding on: the blobs, decoded and scanned
                for c in chunks:
                    decoded_findings(eng, c)
            else:
                for c in chunks:
                    eng.scan(c)
            if n:
                times[mode].append(time.process_time() - t)
    med = {m: statistics.median(v) for m, v in times.items()}
    return {**med, "share": (med["decode"] - med["no-decode"]) / med["decode"],
            "alone_share": med["decoding alone"] / (med["no-decode"] + med["decoding alone"]), "files": len(files),
            "mb": sum(len(b) for _, b in files) / 2**20}


def git_in_process(repo: str) -> dict[str, float]:
    """`leakguard git REPO --no-cache -j 1` in this process, with the CPU time spent in
    `Engine._add_decoded` (what decoding adds to each blob's scan, the candidate search
    included; nested calls for decoded views counted once) measured apart."""
    from leakguard import cli
    from leakguard.engine import Engine

    inner = Engine._add_decoded
    spent = [0.0, 0]

    def timed(self, *a, **k):  # type: ignore[no-untyped-def]
        spent[1] += 1
        t = time.process_time()
        try:
            return inner(self, *a, **k)
        finally:
            spent[1] -= 1
            if not spent[1]:
                spent[0] += time.process_time() - t

    Engine._add_decoded = timed  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LEAKGUARD_CACHE_DIR"] = os.path.join(tmp, "cache")
            argv = ["git", repo, "--no-cache", "-j", "1", "--no-progress", "--format", "json",
                    "--min-confidence", "low", "--output", os.path.join(tmp, "r.json")]
            cli.main(argv)  # warm-up: the Hyperscan databases
            spent[0] = 0.0
            t = time.process_time()
            cli.main(argv)
            total = time.process_time() - t
    finally:
        Engine._add_decoded = inner  # type: ignore[method-assign]
    return {"total": total, "decoding": spent[0], "share": spent[0] / total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trees", nargs="+")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--git", action="store_true", help="scan the history of the (one) repository given")
    ap.add_argument("--baseline", metavar="CMD", help="a second leakguard command line to measure and compare")
    ap.add_argument("--no-inprocess", action="store_true")
    ap.add_argument("--inprocess-only", action="store_true", help="only the in-process measurement (run it with the "
                    "python of each leakguard to compare, e.g. a checkout of the previous commit)")
    args = ap.parse_args()
    print(f"load average before: {bl.loadavg()}")
    res = {} if args.inprocess_only else end_to_end(args.trees, args.repeats, args.jobs, args.git,
                     shlex.split(args.baseline) if args.baseline else None)
    for tool, e2e in res.items():
        w, c = e2e["wall"], e2e["cpu"]
        print(f"{tool}: end to end ({args.repeats} runs each, medians): "
              f"decode {w['decode']:.2f} s wall / {c['decode']:.2f} s CPU; "
              f"no-decode {w['no-decode']:.2f} s wall / {c['no-decode']:.2f} s CPU")
        print(f"    CPU of each run: " + "; ".join(f"{m} " + ", ".join(f"{x:.2f}" for x in v)
                                                   for m, v in e2e["cpu_runs"].items()))
        print(f"    decoding's share: {e2e['wall_share']:.1%} of wall time, {e2e['cpu_share']:.1%} of CPU time")
        print(f"    findings (all confidences): {e2e['findings']}; found only by decoding:")
        for row in e2e["decoded_findings"]:
            print("       ", *row)
    if "baseline" in res:
        mine, base = res["leakguard"]["decoded_keys"], res["baseline"]["decoded_keys"]
        if mine == base:
            print(f"decoded findings: SAME as the baseline's ({len(mine)})")
        else:
            print(f"decoded findings DIFFER from the baseline's ({len(mine)} against {len(base)}):")
            for k in sorted(set(mine) ^ set(base), key=repr):
                print("   ", "only leakguard:" if k in mine else "only baseline:", *k[:8])
        print(f"CPU with decoding, leakguard / baseline: "
              f"{res['leakguard']['cpu']['decode'] / res['baseline']['cpu']['decode']:.3f}")
    if args.git and args.inprocess_only:
        import leakguard

        print(f"in process: leakguard from {os.path.dirname(leakguard.__file__)}")
        g = git_in_process(args.trees[0])
        print(f"in process, `git --no-cache -j 1` (CPU of the one process): {g['total']:.2f} s, "
              f"of it in Engine._add_decoded {g['decoding']:.2f} s ({g['share']:.1%})")
    if not args.no_inprocess and not args.git:
        import leakguard

        print(f"in process: leakguard from {os.path.dirname(leakguard.__file__)}")
        ip = in_process(args.trees)
        print(f"in process, engine only ({ip['files']} files, {ip['mb']:.0f} MB, median of 3, CPU): "
              f"decode {ip['decode']:.2f} s, no-decode {ip['no-decode']:.2f} s, share {ip['share']:.1%}; "
              f"decoding alone {ip['decoding alone']:.2f} s, {ip['alone_share']:.1%} of no-decode + decoding alone")
    print(f"load average after: {bl.loadavg()}")


if __name__ == "__main__":
    main()
