#!/usr/bin/env python3
"""Git-history benchmark: leakguard vs gitleaks / betterleaks (/ kingfisher), with recall.

Exact commands (repositories built as described in benchmarks/README.md):

    python3 benchmarks/bench_git.py /work/bench/repo-planted --truth /work/bench/repo-planted.truth.json --kingfisher
    python3 benchmarks/bench_git.py /work/bench/repo-requests-like
    python3 benchmarks/bench_git.py /work/bench/repo-sqlalchemy --repeats 3 --json-out /work/bench/results/git-sqlalchemy.json
    python3 benchmarks/bench_git.py /work/bench/repo-planted --tools gitleaks,betterleaks,kingfisher --truth /work/bench/repo-planted.truth.json --repeats 1

Real histories (issue 11; clones made with `git clone --no-local` of the fetched snapshots, see
README.md), cold and warm side by side with the peers, findings compared with a stored report of
the reference implementation, the profile of one worker, and the cat-file reading floor:

    python3 benchmarks/bench_git.py /work/bench/requests   --warm --incremental 10 --expect /work/bench/expected/requests.json   --profile --floor
    python3 benchmarks/bench_git.py /work/bench/sqlalchemy --warm --incremental 10 --expect /work/bench/expected/sqlalchemy.json --profile --floor

What it runs on REPO (each run a fresh process; report files go to a temp dir):

    leakguard git REPO --format json --output R.json --no-cache
                                 (+ --no-redact when --truth is given, so findings can be matched
                                 by value; --leakguard-cache drops --no-cache to time re-scans
                                 that reuse leakguard's clean-blob cache)
    gitleaks git REPO --no-banner --report-format json --report-path R.json
    betterleaks git REPO --no-banner --silent -o R.json
    kingfisher scan REPO --no-validate --no-update-check -q -f json -o R.json  (--kingfisher;
                                                        it scans full history by default)

    --warm: also "leakguard-warm", the same command without --no-cache and with a private
            LEAKGUARD_CACHE_DIR, so its warm-up fills the clean-blob cache and the timed runs
            are repeated audits of an unchanged history
    --incremental N: in a scratch mirror whose refs are first set back N commits on the
            default branch: fill the cache, move the refs forward again, time the audit
    --expect REPORT: compare the findings of leakguard's last report with REPORT (a JSON report
            of the reference implementation) by rule, secret hash, path, introducing commit,
            line, occurrences and present_at_head
    --profile: one more run, `-j 1 --no-cache` under cProfile; top 15 functions by own time
    --floor: time `git cat-file --batch` of every blob in the object store (one process)

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
import subprocess
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


def _git(repo: str, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, input=input).stdout.strip()


def finding_keys(path: str) -> list[tuple] | None:
    """What must not change between implementations, one tuple per finding."""
    try:
        data = json.load(open(path))
    except (OSError, ValueError):
        return None
    out = []
    for f in data.get("findings", []):
        o = (f.get("origins") or [{}])[0]
        out.append((f.get("rule_id"), f.get("secret_hash"), f.get("path"), o.get("commit"), f.get("line"),
                    f.get("occurrences"), f.get("present_at_head")))
    return sorted(out, key=repr)


def compare_with(report: str, expected: str) -> str:
    got, want = finding_keys(report), finding_keys(expected)
    if got is None or want is None:
        return f"findings vs {expected}: cannot read {'report' if got is None else 'expected report'}"
    if got == want:
        return f"findings vs {expected}: SAME ({len(got)} findings; rule, secret hash, path, commit, line, occurrences, at HEAD)"
    lines = [f"findings vs {expected}: DIFFERENT ({len(got)} vs {len(want)} expected)"]
    lines += [f"  - {k}" for k in sorted(set(want) - set(got), key=repr)[:10]]
    lines += [f"  + {k}" for k in sorted(set(got) - set(want), key=repr)[:10]]
    return "\n".join(lines)


def floor(repo: str) -> str:
    """Wall time of `git cat-file --batch` over every blob: the cost of just reading them."""
    listing = _git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)", "--unordered")
    blobs = [line.split()[1] for line in listing.splitlines() if line.startswith("blob ")]
    t0 = time.perf_counter()
    p = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=("\n".join(blobs) + "\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    return (f"floor: git cat-file --batch of {len(blobs)} blobs ({len(p.stdout) / 1e6:.0f} MB out, pack order): "
            f"{wall:.2f}s wall, one process")


def profile(tool: bl.Tool, repo: str, work: str) -> str:
    out = os.path.join(work, "profile.out")
    report = os.path.join(work, "profile.json")
    argv = [*tool.argv0[:-2], "-m", "cProfile", "-o", out, "-m", "leakguard"] if tool.argv0[-2:] == ["-m", "leakguard"] \
        else [sys.executable, "-m", "cProfile", "-o", out, "-m", "leakguard"]
    cmd = argv + ["git", repo, "--format", "json", "--output", report, "--no-cache", "-j", "1", "--no-progress"]
    r = bl.measure(cmd, env=tool.env, sample_interval=0)
    if r.rc not in (0, 1) or not os.path.exists(out):
        return f"profile failed (rc={r.rc}): {r.stderr_tail[-300:]}"
    import io
    import pstats
    buf = io.StringIO()
    pstats.Stats(out, stream=buf).sort_stats("tottime").print_stats(15)
    body = buf.getvalue()
    body = body[body.find("ncalls"):] if "ncalls" in body else body
    return f"profile: {shlex.join(cmd)}\n  ({r.wall:.1f}s wall under cProfile)\n{body.rstrip()}"


def incremental(tool: bl.Tool, repo: str, n: int, repeats: int, work: str, expect: str | None = None) -> str:
    """Audit after N new commits: refs set back N commits, cache filled, refs restored, timed."""
    mirror = os.path.join(work, "incremental.git")
    subprocess.run(["git", "clone", "-q", "--mirror", "--no-local", repo, mirror], check=True)
    head = _git(mirror, "symbolic-ref", "HEAD")
    tip = _git(mirror, "rev-parse", head)
    back = _git(mirror, "rev-parse", f"{tip}~{n}")
    refs = _git(mirror, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
    new = set(_git(mirror, "rev-list", f"{back}..{tip}").split())
    moved = [(ref, oid) for ref, oid in (line.split() for line in refs) if oid in new]
    cache = os.path.join(work, "incremental-cache")
    env = {**tool.env, "LEAKGUARD_CACHE_DIR": cache}
    report = os.path.join(work, "incremental.json")
    cmd = tool.cmd(mirror, report)
    walls, cpus, rss = [], [], []
    for _ in range(repeats):
        shutil.rmtree(cache, ignore_errors=True)
        for ref, _oid in moved:
            _git(mirror, "update-ref", ref, back)
        r = bl.measure(cmd, env=env, sample_interval=0)  # fills the clean-blob cache
        for ref, oid in moved:
            _git(mirror, "update-ref", ref, oid)
        r = bl.measure(cmd, env=env, sample_interval=0)
        if r.rc not in tool.ok_codes:
            return f"incremental: failed rc={r.rc} {r.stderr_tail[-300:]}"
        walls.append(r.wall)
        cpus.append(r.cpu)
        rss.append(r.maxrss_kb)
    walls.sort()
    cpus.sort()
    text = (f"incremental audit after {n} new commits ({len(moved)} refs moved; cache filled before): "
            f"median {walls[len(walls) // 2]:.2f}s wall, {cpus[len(cpus) // 2]:.2f}s CPU, min {walls[0]:.2f}s wall, "
            f"peak RSS {max(rss) / 1024:.0f} MB, over {len(walls)} runs\n  {shlex.join(cmd)}")
    if expect:  # the same history once the refs are back: the same findings
        text += "\n  incremental " + compare_with(report, expect)
    return text


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
    ap.add_argument("--warm", action="store_true", help="also time leakguard's repeated audit with a filled cache")
    ap.add_argument("--incremental", type=int, metavar="N", help="time the audit after N new commits (warm cache)")
    ap.add_argument("--expect", metavar="REPORT", help="compare leakguard's findings with this JSON report")
    ap.add_argument("--profile", action="store_true", help="profile one `-j 1 --no-cache` run (cProfile)")
    ap.add_argument("--floor", action="store_true", help="time git cat-file --batch of every blob")
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
    work = tempfile.mkdtemp(prefix="leakguard-bench-git-")
    if "leakguard" in names:
        tools.append(bl.leakguard_tool("git", extra))
        if a.warm or a.incremental:
            warm = bl.leakguard_tool("git", [x for x in extra if x != "--no-cache"])
            warm.name = "leakguard-warm"
            warm.env = {**warm.env, "LEAKGUARD_CACHE_DIR": os.path.join(work, "warm-cache")}
            if a.warm:
                tools.append(warm)
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
        if a.expect and "leakguard" in names:
            text = compare_with(os.path.join(work, "leakguard.json"), a.expect)
            if a.warm:  # the warm run rebuilds findings from the cache: they must not change either
                text += "\nwarm " + compare_with(os.path.join(work, "leakguard-warm.json"), a.expect)
            print(text)
            payload["expect"] = text
        if a.incremental and "leakguard" in names:
            text = incremental(warm, repo, a.incremental, max(1, a.repeats), work, a.expect)
            print(text)
            payload["incremental"] = text
        if a.floor:
            text = floor(repo)
            print(text)
            payload["floor"] = text
        if a.profile and "leakguard" in names:
            text = profile(tools[0], repo, work)
            print(text)
            payload["profile"] = text
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
