#!/usr/bin/env python3
"""Pre-commit latency benchmark: `leakguard scan --staged` on a typical staged commit.

Exact command:

    python3 benchmarks/bench_precommit.py
    python3 benchmarks/bench_precommit.py --runs 20 --with-secret --json-out /work/bench/results/precommit.json

It builds a throw-away repository in a temp dir (or --keep DIR): 150 code-like files
(~40 lines each) in one initial commit, then stages a typical change: 4 files modified
(+30..60 lines each) and 3 new files (60..100 lines), a few hundred added lines in all
(--with-secret adds one fake Slack token line to one of them).  Content is generated with
a fixed seed, so the repo is the same every time.  Then, with the repo as working directory:

    leakguard scan --staged --format json --output R.json
    gitleaks git . --staged --no-banner --report-format json --report-path R.json   (reference)
    betterleaks git . --staged --no-banner --silent -o R.json                        (reference)

1 warm-up + --runs (default 10) timed runs each, round-robin; prints median/min/max wall time
(process start-up included: that is what a pre-commit hook costs), CPU and peak RSS.
Needs git; leakguard as described in _benchlib.py; peers optional (--tools leakguard).
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402
from make_planted_repo import WORDS, Fakes, Noise  # noqa: E402


def build_repo(path: str, seed: int, with_secret: bool) -> dict:
    rng = random.Random(seed)
    nz = Noise(rng)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", path, *args], check=True, capture_output=True)

    os.makedirs(path, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    git("config", "user.name", "Bench")
    git("config", "user.email", "bench@example.invalid")
    git("config", "commit.gpgsign", "false")
    paths = []
    for i in range(150):
        d = rng.choice(["src/app", "src/core", "src/api", "tests", "docs", "config"])
        ext = {"docs": ".md", "config": ".yaml"}.get(d, ".py")
        paths.append(f"{d}/{rng.choice(WORDS)}_{i}{ext}")
    for p in paths:
        os.makedirs(os.path.join(path, os.path.dirname(p)), exist_ok=True)
        with open(os.path.join(path, p), "w") as f:
            f.write("\n".join(nz.file(p, rng.randint(25, 55))) + "\n")
    git("add", "-A")
    git("commit", "-q", "-m", "Initial import")

    added = 0
    changed = []
    for p in rng.sample([p for p in paths if p.endswith(".py")], 4):
        full = os.path.join(path, p)
        lines = open(full).read().splitlines()
        n = rng.randint(30, 60)
        at = rng.randint(0, len(lines))
        lines[at:at] = nz.file(p, n)
        with open(full, "w") as f:
            f.write("\n".join(lines) + "\n")
        added += n
        changed.append(p)
    for i in range(3):
        p = f"src/app/{rng.choice(WORDS)}_new{i}.py"
        n = rng.randint(60, 100)
        lines = nz.file(p, n)
        if with_secret and i == 0:
            lines.insert(n // 2, f'SLACK_BOT_TOKEN = "{Fakes(rng).slack_bot()}"')
            n += 1
        with open(os.path.join(path, p), "w") as f:
            f.write("\n".join(lines) + "\n")
        added += n
        changed.append(p)
    git("add", "-A")
    return {"files_in_repo": len(paths) + 3, "staged_files": len(changed), "added_lines": added}


def main() -> int:
    ap = argparse.ArgumentParser(description="leakguard pre-commit (--staged) latency benchmark")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--tools", default="leakguard,gitleaks,betterleaks",
                    help="comma-separated subset of leakguard,gitleaks,betterleaks")
    ap.add_argument("--with-secret", action="store_true", help="stage one fake Slack token too")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", metavar="DIR", help="build the repo in DIR (must not exist) and keep it")
    ap.add_argument("--leakguard-args", default="", help="extra arguments for leakguard (one string)")
    ap.add_argument("--json-out", help="write all numbers to this JSON file")
    a = ap.parse_args()

    names = [n.strip() for n in a.tools.split(",") if n.strip()]
    tools: list[bl.Tool] = []
    if "leakguard" in names:
        tools.append(bl.leakguard_tool("staged", shlex.split(a.leakguard_args)))
    peers, missing = bl.peer_tools([n for n in names if n != "leakguard"], "staged")
    tools += peers
    for m in missing:
        print(f"warning: {m} not found (set LEAKGUARD_BENCH_{m.upper()})", file=sys.stderr)

    work = tempfile.mkdtemp(prefix="leakguard-bench-precommit-")
    repo = os.path.abspath(a.keep) if a.keep else os.path.join(work, "repo")
    if a.keep and os.path.exists(repo):
        ap.error(f"{repo} exists")
    try:
        info = build_repo(repo, a.seed, a.with_secret)
        print(f"repo: {repo}: {info['files_in_repo']} files; staged: {info['staged_files']} files, "
              f"{info['added_lines']} added lines{' (+1 fake secret)' if a.with_secret else ''}; "
              f"cores: {os.cpu_count()}; load average: {bl.loadavg()}")
        for t in tools:
            print(f"  {t.name}: {shlex.join(t.argv0)}  ({t.version})")
        results = bl.run_suite(tools, ".", repeats=a.runs, warmup=a.warmup, workdir=work, cwd=repo,
                               sample_interval=0)
        print()
        print(bl.fmt_table(results, f"== staged scan ({a.runs} runs, start-up included)"))
        print(bl.fmt_ratios(results))
        for r in results:
            print(f"  {r.tool} (cwd={repo}): {r.command}")
        print(f"load average after: {bl.loadavg()}")
        bl.write_json(a.json_out, {"benchmark": "precommit", **info, "with_secret": a.with_secret,
                                   "cpu_count": os.cpu_count(), "loadavg_after": bl.loadavg(),
                                   "results": [r.to_dict() for r in results]})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
