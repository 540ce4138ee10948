"""Recall and precision of leakguard and its peers on the credential-file and
credential-forms corpus (tests/forms_corpus.py).

    python3 benchmarks/bench_forms.py [--seeds 11,12] [--by-group]
    LEAKGUARD_BENCH_PEERS=/path/to/peers-venv python3 benchmarks/bench_forms.py

Builds the corpus for each seed in a temp dir, runs every tool found on it and
matches findings to the planted credentials by file and line, as
bench_accuracy.py does (detect-secrets reports no values, so line matching is
the one measure every tool supports): a finding on a planted line is a true
positive (several findings on one planted line count once), any other finding
is a false positive. leakguard runs with its default --min-confidence
(medium) and again with --min-confidence low. --by-group prints recall per
form (credential files, positional arguments, command lines, ...).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "LEAKGUARD_BENCH_PEERS" not in os.environ and not Path("/work/bench/peers").exists() and Path("/work/peers").exists():
    os.environ["LEAKGUARD_BENCH_PEERS"] = "/work/peers"
from benchmarks._benchlib import find_peer  # noqa: E402
from benchmarks.bench_accuracy import (  # noqa: E402
    Hit, run_credsweeper, run_detect_secrets, run_gitleaks, run_kingfisher)
from tests.forms_corpus import Planted, build  # noqa: E402

GROUPS = (  # rule-id prefixes -> the form they stand for
    ("positional", ("positional-", "ldap-bind")),
    ("command line", ("cli-", "jvm-")),
    ("server directive", ("redis-config", "haproxy", "ldap-client", "proftpd", "snmp", "squid", "tsig")),
    ("IaC parameter", ("cloudformation", "terraform", "helm", "arm-", "ansible-inventory")),
    ("key encoding", ("private-key-split", "private-key-base64", "jwk-", "nats-", "wireguard", "openvpn")),
    ("HTTP header / YAML block", ("http-", "yaml-block")),
    ("connection string", ("-url-", "jdbc-", "adonet", "oracle-ezconnect", "git-remote")),
)


def group_of(rule_id: str) -> str:
    for name, prefixes in GROUPS:
        if any(rule_id.startswith(p) or p in rule_id for p in prefixes):
            return name
    return "credential file"


def lines_of(root: Path, p: Planted) -> set[tuple[str, int]]:
    lines = (root / p.path).read_text().splitlines()
    first = p.secret.splitlines()[0]
    return {(p.path, i + 1) for i, line in enumerate(lines) if first in line}


def run_leakguard(min_confidence: str) -> Callable[[Path, Path], list[Hit]]:
    def run(root: Path, out: Path) -> list[Hit]:
        subprocess.run([sys.executable, "-m", "leakguard", "scan", str(root), "--no-progress", "--min-confidence",
                        min_confidence, "-f", "json", "-o", str(out)], capture_output=True, check=False)
        return [(f["path"], f["line"], f["end_line"]) for f in json.loads(out.read_text())["findings"]]
    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="11,12")
    ap.add_argument("--by-group", action="store_true")
    args = ap.parse_args()
    tools: dict[str, Callable[[Path, Path], list[Hit]]] = {
        "leakguard": run_leakguard("medium"), "leakguard (low)": run_leakguard("low")}
    for name, factory in (("gitleaks", run_gitleaks), ("betterleaks", run_gitleaks), ("kingfisher", run_kingfisher),
                          ("detect-secrets", run_detect_secrets), ("credsweeper", run_credsweeper)):
        exe = find_peer(name) if name in ("gitleaks", "betterleaks", "kingfisher") else (
            shutil.which(name, path=str(Path(os.environ.get("LEAKGUARD_BENCH_PEERS", "/work/bench/peers")) / "bin"))
            or shutil.which(name))
        if exe:
            tools[name] = factory(exe)
    totals = {t: [0, 0, 0] for t in tools}
    by_group: dict[str, dict[str, list[int]]] = {t: defaultdict(lambda: [0, 0]) for t in tools}
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "corpus"
            planted = build(root, seed)
            items = [(p, lines_of(root, p)) for p in planted]
            truth = set().union(*(lines for _, lines in items))
            for name, run in tools.items():
                hits = run(root, Path(tmp) / f"{name.split()[0]}.json")
                hit_lines = {(h[0], ln) for h in hits for ln in range(h[1], h[2] + 1)}
                tp = 0
                for p, lines in items:
                    ok = bool(lines & hit_lines)
                    tp += ok
                    g = by_group[name][group_of(p.rule_id)]
                    g[0] += ok
                    g[1] += 1
                fp = sum(1 for h in set(hits) if not any((h[0], ln) in truth for ln in range(h[1], h[2] + 1)))
                for i, v in enumerate((tp, fp, len(items))):
                    totals[name][i] += v
    print(f"{'tool':16} {'found':>7} {'planted':>8} {'false+':>7} {'recall':>7} {'precision':>9}")
    for name, (tp, fp, n) in totals.items():
        prec = tp / (tp + fp) if tp + fp else 0.0
        print(f"{name:16} {tp:7} {n:8} {fp:7} {tp / n:7.2f} {prec:9.2f}")
    if args.by_group:
        groups = [g for g, _ in GROUPS] + ["credential file"]
        print("\nrecall by form")
        print(f"{'tool':16} " + " ".join(f"{g[:12]:>12}" for g in groups))
        for name in tools:
            cells = [by_group[name].get(g, [0, 0]) for g in groups]
            print(f"{name:16} " + " ".join(f"{(c[0] / c[1] if c[1] else 0):12.2f}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
