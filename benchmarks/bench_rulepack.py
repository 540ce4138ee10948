"""What the size of the rule pack costs: loading it, compiling its Hyperscan database, and
how often its keywords wake the confirm step on real code.

    python3 benchmarks/bench_rulepack.py [--checkout DIR] [--code DIR ...] [--repeats N]

--checkout: the leakguard checkout to measure (default: this one); run it once for main and
once for a branch, back to back, and compare the ratios (absolute times on a shared machine
are noisy). --code: trees of real code for the keyword hit rates (default: the Python
standard library of the running interpreter).

Reports (medians over the repeats, each in a fresh process with an empty cache dir):
  rules            number of rules
  load_cold_s      load_ruleset() with no parsed-YAML cache
  load_warm_s      load_ruleset() again in a new process (cache filled)
  hs_compile_s     Hyperscan database for the whole pack, no cached database
  one_file_s       `leakguard scan FILE` on a one-line file, warm caches, start-up included
  kw_hits_per_mb   keyword hits per MB of --code (each hit is a line the engine confirms)
and the 15 keywords with the most hits.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

_LOAD = """
import json, sys, time
t = time.perf_counter()
from leakguard.ruleset import load_ruleset
rs = load_ruleset()
print(json.dumps({"rules": len(rs), "s": time.perf_counter() - t}))
"""
_HS = """
import json, time
from leakguard.ruleset import load_ruleset
from leakguard.prefilter import make_prefilter
rs = load_ruleset()
t = time.perf_counter()
p = make_prefilter(rs.rules, rs.digest, "hyperscan")
print(json.dumps({"backend": p.name, "s": time.perf_counter() - t}))
"""
_KW = """
import json, os, re, sys
from collections import Counter
from leakguard.ruleset import load_ruleset
kws = sorted({k for r in load_ruleset().rules for k in r.keywords}, key=len, reverse=True)
alt = re.compile("|".join(re.escape(k) for k in kws).encode())
hits, total = Counter(), 0
for root in sys.argv[1:]:
    for dp, _, fns in os.walk(root):
        for fn in fns:
            try:
                b = open(os.path.join(dp, fn), "rb").read()
            except OSError:
                continue
            total += len(b)
            for line in b.lower().splitlines():
                for k in {m.group().decode() for m in alt.finditer(line)}:
                    hits[k] += 1
print(json.dumps({"mb": total / 1e6, "hits": sum(hits.values()), "top": hits.most_common(15)}))
"""


def _run(checkout: Path, code: str, args: list[str], cache: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout), LEAKGUARD_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True,
                         cwd=checkout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkout", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--code", nargs="*", default=[sysconfig.get_paths()["stdlib"]])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    cold, warm, hs, one = [], [], [], []
    rules = 0
    for _ in range(a.repeats):
        with tempfile.TemporaryDirectory() as cache:
            r = _run(a.checkout, _LOAD, [], cache)
            rules, _ = r["rules"], cold.append(r["s"])
            warm.append(_run(a.checkout, _LOAD, [], cache)["s"])
            hs.append(_run(a.checkout, _HS, [], cache)["s"])
            with tempfile.TemporaryDirectory() as d:
                f = Path(d) / "app.py"
                f.write_text("x = 1\n")
                env = dict(os.environ, PYTHONPATH=str(a.checkout), LEAKGUARD_CACHE_DIR=cache)
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "leakguard", "scan", str(f), "--no-repo-config"], env=env,
                               capture_output=True, cwd=d)
                one.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as cache:
        kw = _run(a.checkout, _KW, a.code, cache)
    med = statistics.median
    print(json.dumps({"checkout": str(a.checkout), "rules": rules, "load_cold_s": round(med(cold), 3),
                      "load_warm_s": round(med(warm), 3), "hs_compile_s": round(med(hs), 2),
                      "one_file_s": round(med(one), 3), "code_mb": round(kw["mb"], 1),
                      "kw_hits_per_mb": round(kw["hits"] / max(kw["mb"], 1e-9), 1), "top_keywords": kw["top"]}, indent=1))


if __name__ == "__main__":
    main()
