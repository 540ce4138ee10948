#!/usr/bin/env python3
"""Git-history benchmark: leakguard vs gitleaks / betterleaks (/ kingfisher), with recall.

Exact commands (repositories built as described in benchmarks/README.md):

    python3 benchmarks/bench_git.py /work/bench/repo-planted --truth /work/bench/repo-planted.truth.json --kingfisher
    python3 benchmarks/bench_git.py /work/bench/repo-requests-like
    python3 benchmarks/bench_git.py /work/bench/repo-sqlalchemy --repeats 3 --json-out /work/bench/results/git-sqlalchemy.json
    python3 benchmarks/bench_git.py /work/bench/repo-planted --tools gitleaks,betterleaks,kingfisher --truth /work/bench/repo-planted.truth.json --repeats 1

What it runs on REPO (each run a fresh process; report files go to a temp dir):

    leakguard git REPO --format json --output R.json --no-cache
                                 (+ --no-redact when --truth is given, so findings can be matched
                                 by value; --leakguard-cache drops --no-cache to time re-scans
                                 that reuse leakguard's clean-blob cache)
    gitleaks git REPO --no-banner --report-format json --report-path R.json
    betterleaks git REPO --no-banner --silent -o R.json
    kingfisher scan REPO --no-validate --no-update-check -q -f json -o R.json  (--kingfisher;
                                                        it scans full history by default)

Warm-up (default 1) and --repeats (default 3) timed runs per tool, round-robin; the table
shows median/min/max wall time, median CPU, median peak RSS (largest process, ru_maxrss, as
/usr/bin/time -v) and sampled peak RSS of the process tree, findings, and ratios
leakguard/gitleaks and leakguard/betterleaks.

With --truth MANIFEST (written by make_planted_repo.py) it also counts, for each tool, how
many distinct planted secrets its last report covers (matching rules: _benchlib.match_truth),
broken down by scenario and by kind, lists the ones missed, and counts findings that match no
planted secret ("other findings": noise, or real-looking strings in the repo's filler text).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402


def recall_report(results: list[bl.Result], reports: dict[str, str], truth: dict) -> tuple[str, dict]:
    secrets = truth["secrets"]
    scenarios = sorted({s["scenario"] for s in secrets})
    kinds = sorted({s["kind"] for s in secrets})
    lines = [f"== planted secrets found ({len(secrets)} planted; scenarios: {', '.join(scenarios)})"]
    head = f"{'tool':<12} {'found':>7} {'other':>6}  " + " ".join(f"{s[:14]:>14}" for s in scenarios)
    lines.append(head)
    out: dict = {}
    per_kind_rows = []
    for r in results:
        findings = bl.load_findings(reports[r.tool])
        if findings is None:
            lines.append(f"{r.tool:<12} no readable report")
            continue
        found, other = bl.match_truth(findings, secrets)
        by_sc = {sc: (sum(1 for s in secrets if s["scenario"] == sc and s["id"] in found),
                      sum(1 for s in secrets if s["scenario"] == sc)) for sc in scenarios}
        by_kind = {k: (sum(1 for s in secrets if s["kind"] == k and s["id"] in found),
                       sum(1 for s in secrets if s["kind"] == k)) for k in kinds}
        missed = [s["id"] for s in secrets if s["id"] not in found]
        lines.append(f"{r.tool:<12} {len(found):>3}/{len(secrets):<3} {other:>6}  "
                     + " ".join(f"{f'{a}/{b}':>14}" for a, b in by_sc.values()))
        per_kind_rows.append(f"{r.tool:<12} " + " ".join(f"{f'{a}/{b}':>12}" for a, b in by_kind.values()))
        out[r.tool] = {"found": len(found), "planted": len(secrets), "other_findings": other,
                       "by_scenario": by_sc, "by_kind": by_kind, "missed": missed,
                       "missed_detail": [f"{s['id']} {s['kind']} {s['scenario']} {s['path']}"
                                         for s in secrets if s["id"] in missed]}
    lines.append("")
    lines.append(f"{'by kind':<12} " + " ".join(f"{k[:12]:>12}" for k in kinds))
    lines += per_kind_rows
    lines.append("")
    for tool, d in out.items():
        lines.append(f"{tool} missed: " + (", ".join(d["missed_detail"]) or "none"))
    return "\n".join(lines), out


def main() -> int:
    ap = argparse.ArgumentParser(description="leakguard git-history benchmark")
    ap.add_argument("repo")
    ap.add_argument("--truth", help="truth manifest from make_planted_repo.py")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--tools", default="leakguard,gitleaks,betterleaks",
                    help="comma-separated subset of leakguard,gitleaks,betterleaks,kingfisher")
    ap.add_argument("--kingfisher", action="store_true", help="also run kingfisher")
    ap.add_argument("--jobs", type=int, help="pass --jobs N to leakguard")
    ap.add_argument("--leakguard-args", default="", help="extra arguments for leakguard (one string)")
    ap.add_argument("--leakguard-cache", action="store_true",
                    help="let leakguard use its clean-blob cache (default: --no-cache, so every "
                         "run is a cold full scan like the peers'; with the cache, runs after the "
                         "warm-up measure the incremental re-scan)")
    ap.add_argument("--sample-interval", type=float, default=0.1)
    ap.add_argument("--timeout", type=float, default=3600, help="per run, seconds")
    ap.add_argument("--json-out", help="write all numbers to this JSON file")
    a = ap.parse_args()

    repo = os.path.abspath(a.repo)
    if not os.path.isdir(os.path.join(repo, ".git")) and not os.path.isfile(os.path.join(repo, "HEAD")):
        ap.error(f"{repo} is not a git repository")
    truth = json.load(open(a.truth)) if a.truth else None
    names = [n.strip() for n in a.tools.split(",") if n.strip()]
    if a.kingfisher and "kingfisher" not in names:
        names.append("kingfisher")

    extra = ([] if a.leakguard_cache else ["--no-cache"]) + (["--no-redact"] if truth else [])
    extra += shlex.split(a.leakguard_args) + (["--jobs", str(a.jobs)] if a.jobs else [])
    tools: list[bl.Tool] = []
    if "leakguard" in names:
        tools.append(bl.leakguard_tool("git", extra))
    peers, missing = bl.peer_tools([n for n in names if n != "leakguard"], "git")
    tools += peers
    for m in missing:
        print(f"warning: {m} not found (set LEAKGUARD_BENCH_{m.upper()})", file=sys.stderr)

    def git(*args: str) -> str:
        import subprocess
        return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True).stdout.strip()

    n_commits = git("rev-list", "--all", "--count")
    n_branches = len(git("for-each-ref", "refs/heads").splitlines())
    pack_kb = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(repo, ".git"))
                  for f in fs) // 1024
    print(f"repo: {repo}: {n_commits} commits, {n_branches} branches, .git {pack_kb / 1024:.1f} MB; "
          f"cores: {os.cpu_count()}; repeats: {a.repeats}, warm-up: {a.warmup}; load average: {bl.loadavg()}")
    for t in tools:
        print(f"  {t.name}: {shlex.join(t.argv0)}  ({t.version})")

    work = tempfile.mkdtemp(prefix="leakguard-bench-git-")
    try:
        t0 = time.time()
        results = bl.run_suite(tools, repo, repeats=a.repeats, warmup=a.warmup, workdir=work,
                               sample_interval=a.sample_interval, timeout=a.timeout)
        print()
        print(bl.fmt_table(results, f"== history scan of {repo} ({n_commits} commits)"))
        print(bl.fmt_ratios(results))
        for r in results:
            print(f"  {r.tool}: {r.command}")
        payload = {"benchmark": "git", "repo": repo, "commits": int(n_commits or 0), "started": t0,
                   "cpu_count": os.cpu_count(), "results": [r.to_dict() for r in results]}
        if truth:
            reports = {t.name: os.path.join(work, f"{t.name}.json") for t in tools}
            text, rec = recall_report(results, reports, truth)
            print()
            print(text)
            payload["recall"] = rec
        payload["loadavg_after"] = bl.loadavg()
        print(f"load average after: {payload['loadavg_after']} (other work on the machine skews timings)")
        bl.write_json(a.json_out, payload)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
