#!/usr/bin/env python3
"""Hostile content (issue 8): cost linear in findings, memory bounded whatever the content.

    python3 benchmarks/bench_hostile.py

Generates, in a temp dir (fake values, random characters in each token's alphabet):

    tokens16k.txt     16,000 GitHub-token-shaped values, one per line (and tokens32k.txt, twice
                      as many: linear cost means about twice the time, not four times)
    akia-line.txt     one 1 MB line of 50,000 AWS-access-key-id-shaped values
    password-x.env    11 MB of `password=x` lines
    big-5mb.env       a 5 MB config file of varied assignments (at the default size cap)

and runs `leakguard scan FILE --format json --output R --max-file-size 20MB` on each (fresh
process, start-up included): wall, CPU, peak RSS, findings reported and the per-file cap note.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import string
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as bl  # noqa: E402


def generate(d: str) -> list[str]:
    rng = random.Random(3)
    an = string.ascii_letters + string.digits
    up = string.ascii_uppercase + "234567"

    def tok(n: int) -> str:
        return "".join(f"token = ghp_{''.join(rng.choice(an) for _ in range(36))}\n" for _ in range(n))

    files = {"tokens16k.txt": tok(16000), "tokens32k.txt": tok(32000),
             "akia-line.txt": " ".join("AKIA" + "".join(rng.choice(up) for _ in range(16)) for _ in range(50000)) + "\n",
             "password-x.env": "password=x\n" * 1_000_000}
    lines, size = [], 0
    while size < 5 * 2**20 - 200:
        line = f"{rng.choice(['db', 'api', 'svc', 'app'])}_{rng.choice(['user', 'host', 'password', 'token', 'port'])}_{rng.randint(0, 99999)}=" \
               + "".join(rng.choice(an) for _ in range(rng.randint(4, 40))) + "\n"
        lines.append(line)
        size += len(line)
    files["big-5mb.env"] = "".join(lines)
    out = []
    for name, text in files.items():
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        out.append(p)
    return out


def main() -> int:
    work = tempfile.mkdtemp(prefix="leakguard-bench-hostile-")
    try:
        lg = bl.leakguard_tool("dir", ["--max-file-size", "20MB", "--no-progress"])
        print(f"leakguard: {' '.join(lg.argv0)} ({lg.version}); load average {bl.loadavg()}")
        print(f"{'file':<16} {'MB':>5} {'wall':>8} {'cpu':>8} {'maxRSS':>8} {'findings':>8}  notes")
        for p in generate(work):
            report = p + ".json"
            r = bl.measure(lg.cmd(p, report), env=lg.env, sample_interval=0.05)
            try:
                rep = json.load(open(report))
                n, notes = len(rep["findings"]), rep["stats"].get("notes", {})
            except (OSError, ValueError, KeyError):
                n, notes = -1, {"rc": r.rc, "stderr": r.stderr_tail[-200:]}
            print(f"{os.path.basename(p):<16} {os.path.getsize(p) / 1e6:>5.1f} {r.wall:>7.2f}s {r.cpu:>7.2f}s "
                  f"{r.maxrss_kb / 1024:>6.0f}MB {n:>8}  {notes}")
        print(f"load average after {bl.loadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
