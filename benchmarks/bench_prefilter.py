#!/usr/bin/env python3
"""Prefilter cost of every rule on real code, and the Hyperscan compile time of the pack.

    python3 benchmarks/bench_prefilter.py /usr/lib/python3.11 /work/peers/lib/python3.11/site-packages
    python3 benchmarks/bench_prefilter.py TREE --top 40 --json-out /tmp/prefilter.json
    python3 benchmarks/bench_prefilter.py /work/bench/sqlalchemy/lib --sort hs   # what wakes the confirm step

A rule's confirm step (its full regex, run on the lines around a prefilter hit) is the
expensive part of a scan, so a rule whose keywords occur on ordinary lines of code is
a slow rule.  For every rule this reports, per MB of text read:

  kw lines  lines holding one of its keywords (what wakes the confirm step with the
            pure-`regex` keyword prefilter, and what a Hyperscan hit must also have)
  hs hits   hits of its relaxed pattern in the Hyperscan database (the default backend);
            a keyed provider rule's is its key expression (prefilter.key_expression); a
            path-scoped rule's only in files it applies to (as the engine confirms them)

then the rules with the most keyword lines (``--sort hs``: the most Hyperscan hit lines,
which is what the default backend confirms), and the totals of the keyed provider rules
(hit lines that wake their confirm step) and of the provider-name lines the database
reports apart for leakguard.context (never confirmed).  It also times a cold Hyperscan compile
of the whole pack (fresh cache directory) and the load of the cached database.
Files: every regular file under the given directories that has no NUL byte in its first
8 kB, up to 4 MB each (leakguard's own defaults skip binaries and large files too).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leakguard import prefilter as pf  # noqa: E402
from leakguard.ruleset import load_ruleset  # noqa: E402

MAX_FILE = 4 << 20


def files(roots: list[str]) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        for dp, _dn, fn in os.walk(root):
            for f in fn:
                p = Path(dp) / f
                try:
                    if p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_FILE:
                        continue
                except OSError:
                    continue
                out.append(p)
    return out


def line_keys(data: bytes, hits: Mapping[int, Iterable[int]]) -> set[tuple[int, int]]:
    """(rule, line start) for each prefilter hit: ``Prefilter.hits`` maps a rule index to its positions."""
    return {(rule, data.rfind(b"\n", 0, pos)) for rule, found in hits.items() for pos in found}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="+")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--json-out")
    ap.add_argument("--sort", choices=("kw", "hs"), default="kw", help="rank rules by keyword lines or Hyperscan hit lines")
    ap.add_argument("--hs-only", action="store_true", help="skip the (slow, pure Python) keyword lines")
    args = ap.parse_args()

    ruleset = load_ruleset()
    rules = ruleset.rules
    result: dict[str, object] = {"rules": len(rules)}

    if pf.hyperscan_available():
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LEAKGUARD_CACHE_DIR"] = tmp
            t0, c0 = time.perf_counter(), time.process_time()
            hs = pf.HyperscanPrefilter(rules, ruleset.digest)
            compile_s, compile_cpu = time.perf_counter() - t0, time.process_time() - c0
            t0 = time.perf_counter()
            hs = pf.HyperscanPrefilter(rules, ruleset.digest)
            load_s = time.perf_counter() - t0
        result["hyperscan_compile_s"] = round(compile_s, 2)
        result["hyperscan_compile_cpu_s"] = round(compile_cpu, 2)
        result["hyperscan_cached_load_s"] = round(load_s, 3)
        print(f"{len(rules)} rules: Hyperscan compile {compile_s:.2f} s wall ({compile_cpu:.2f} s CPU) cold,"
              f" cached load {load_s:.3f} s")
    else:
        hs = None
        print("hyperscan not installed: keyword prefilter only")
    kw = pf.KeywordPrefilter(rules)
    # the path-scoped rules' database is scanned only for paths one of them applies to, as in a scan
    scoped_rules = [r for r in rules if r.keywords and pf.is_scoped(r)]

    kw_lines: Counter[int] = Counter()
    hs_hits: Counter[int] = Counter()
    name_lines = 0
    both = getattr(pf, "hits_and_names", None)  # (absent before provider names were reported apart)
    nbytes = nfiles = 0
    t0 = time.perf_counter()
    for p in files(args.roots):
        try:
            data = p.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        nbytes += len(data)
        nfiles += 1
        if not args.hs_only:
            for rule, _line in line_keys(data, kw.hits(data)):
                kw_lines[rule] += 1
        if hs is not None:
            scoped = any(r.applies_to(str(p)) for r in scoped_rules)
            hits, names = both(hs, data, scoped) if both is not None else (hs.hits(data, scoped), None)
            for rule, _line in line_keys(data, hits):
                r = rules[rule]
                if not (r.paths_only or r.paths_skip) or r.applies_to(str(p)):  # else the engine leaves the hit
                    hs_hits[rule] += 1
            name_lines += len({line for _rule, line in line_keys(data, names or {})})
    elapsed = time.perf_counter() - t0
    mb = nbytes / 1e6 or 1.0
    print(f"{nfiles} files, {mb:.1f} MB read in {elapsed:.1f} s")
    print(f"all rules: {sum(kw_lines.values()) / mb:.1f} keyword lines/MB, "
          f"{sum(hs_hits.values()) / mb:.1f} Hyperscan hit lines/MB")
    print(f"all rules: {sum(kw_lines.values())} keyword lines, {sum(hs_hits.values())} Hyperscan hit lines")
    keyed = [i for i, r in enumerate(rules) if pf._keyword_triggered(r)]
    print(f"keyed provider rules ({len(keyed)}): {sum(kw_lines[i] for i in keyed)} keyword lines,"
          f" {sum(hs_hits[i] for i in keyed)} Hyperscan hit lines; provider-name lines for context: {name_lines}")
    print(f"\n{'rule':45} {'kw lines/MB':>12} {'hs lines/MB':>12} {'hs lines':>9}  keywords")
    if args.sort == "hs":
        ranked = sorted(range(len(rules)), key=lambda i: (-hs_hits[i], -kw_lines[i], rules[i].id))
    else:
        ranked = sorted(range(len(rules)), key=lambda i: (-kw_lines[i], -hs_hits[i], rules[i].id))
    for i in ranked[: args.top]:
        r = rules[i]
        print(f"{r.id:45} {kw_lines[i] / mb:12.2f} {hs_hits[i] / mb:12.2f} {hs_hits[i]:9}  {', '.join(r.keywords)[:60]}")
    result.update({
        "files": nfiles, "mb": round(mb, 1),
        "kw_lines_per_mb_total": round(sum(kw_lines.values()) / mb, 2),
        "hs_lines_per_mb_total": round(sum(hs_hits.values()) / mb, 2),
        "keyed_rules": len(keyed), "keyed_kw_lines": sum(kw_lines[i] for i in keyed),
        "keyed_hs_lines": sum(hs_hits[i] for i in keyed), "provider_name_lines": name_lines,
        "per_rule": {rules[i].id: {"kw_lines_per_mb": round(kw_lines[i] / mb, 3),
                                   "hs_lines_per_mb": round(hs_hits[i] / mb, 3)} for i in ranked},
    })
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
