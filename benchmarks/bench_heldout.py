"""Held-out accuracy: leakguard and the peers on a generated, labelled corpus.

    python3 benchmarks/bench_heldout.py [--out DIR] [--seeds 20261203,1,2] [--tools a,b,...]
                                        [--json FILE] [--misses FILE] [--leakguard-root DIR] [--label TEXT]

Generates one corpus per seed (three by default) with benchmarks/heldout/generate.py
into DIR/corpus/s<seed>/ (deterministic for a seed; see
benchmarks/heldout/README.md: it was written without looking at leakguard's rules, filters
or its own corpora), runs every tool over it from inside the corpus directory and scores
line-level findings against the manifest:

* a finding on a line inside a ``secret`` label is a true positive (the label is found);
* a finding on a ``neutral`` line (an identifier travelling with a secret) is ignored;
* any other finding (``not-secret`` label or an unlabelled line) is a false positive.

Recall = secret labels found / secret labels; precision = true-positive lines /
(true-positive lines + false-positive lines), both per part:
(a) provider tokens, (b) monorepo config passwords and connection strings,
(c) credential files, (d) decoys (no secrets: false positives only).

Tools: leakguard (this checkout, ``python -m leakguard scan . --format json``) at its
default settings and at ``--min-confidence low``; gitleaks (the real one, bundled in the
peers venv), betterleaks, kingfisher (``--no-validate``), credsweeper, detect-secrets.
``--misses FILE`` writes leakguard's misses and false positives grouped by class.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "heldout"))
from _benchlib import find_peer  # noqa: E402

import generate  # noqa: E402

REPO_ROOT = HERE.parent
PEERS = Path(os.environ.get("LEAKGUARD_BENCH_PEERS_BIN", "/work/peers/bin"))
PARTS = {"a": "provider tokens", "b": "monorepo config", "c": "credential files", "d": "decoys"}


# ----------------------------------------------------------------------------- tools
LEAKGUARD_ROOT = REPO_ROOT  # --leakguard-root: measure another checkout (e.g. /work/main)


def tool_specs() -> dict[str, tuple[list[str], dict[str, str], str]]:
    """name -> (argv with {R} for the report path, extra env, how the report is written)."""
    lg = [sys.executable, "-m", "leakguard", "scan", ".", "--format", "json", "--output", "{R}", "--no-progress"]
    env = {"PYTHONPATH": str(LEAKGUARD_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    specs: dict[str, tuple[list[str], dict[str, str], str]] = {
        "leakguard": (lg, env, "file"),
        "leakguard-low": (lg + ["--min-confidence", "low"], env, "file"),
    }
    gl = find_peer("gitleaks")
    if gl:
        specs["gitleaks"] = ([gl, "dir", ".", "--no-banner", "--report-format", "json", "--report-path", "{R}"], {}, "file")
    bl = find_peer("betterleaks")
    if bl:
        specs["betterleaks"] = ([bl, "fs", ".", "--no-banner", "--silent", "-o", "{R}"], {}, "file")
    kf = find_peer("kingfisher")
    if kf:
        specs["kingfisher"] = ([kf, "scan", ".", "--no-validate", "--no-update-check", "-q", "-f", "json", "-o", "{R}",
                                "--git-history", "none"], {}, "file")
    cs = PEERS / "credsweeper"
    if cs.exists():
        specs["credsweeper"] = ([str(cs), "--path", ".", "--save-json", "{R}"], {}, "file")
    ds = PEERS / "detect-secrets"
    if ds.exists():
        specs["detect-secrets"] = ([str(ds), "scan", "--all-files", "."], {}, "stdout")
    return specs


def run_tool(name: str, spec: tuple[list[str], dict[str, str], str], cwd: str, workdir: str) -> tuple[str, float, str]:
    argv, env, how = spec
    report = os.path.join(workdir, f"{name}.json")
    argv = [a.replace("{R}", report) for a in argv]
    t0 = time.perf_counter()
    with open(report if how == "stdout" else os.devnull, "w") as out:
        p = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=3600)
    wall = time.perf_counter() - t0
    err = "" if os.path.exists(report) else f"rc={p.returncode}: {p.stderr.decode(errors='replace')[-300:]}"
    return report, wall, err


def norm_path(p: str, root: str) -> str:
    if os.path.isabs(p):
        p = os.path.relpath(p, root)
    p = os.path.normpath(p)
    return p[2:] if p.startswith("./") else p


def flagged_lines(name: str, report: str, root: str) -> set[tuple[str, int, int]]:
    """(path, start line, end line) of every finding in a tool's report."""
    text = Path(report).read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return set()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(x) for x in text.splitlines() if x.strip()]
    out: set[tuple[str, int, int]] = set()

    def add(path: str, start: int, end: int | None = None) -> None:
        out.add((norm_path(path, root), int(start), int(end or start)))

    if name.startswith("leakguard"):
        for f in data["findings"]:
            add(f["path"], f["line"], f.get("end_line"))
    elif name in ("gitleaks", "betterleaks"):
        for f in (data.get("findings", []) if isinstance(data, dict) else data) or []:
            if "location" in f:  # betterleaks 2 schema
                add(f["location"]["path"], f["location"]["start_line"], f["location"].get("end_line"))
            else:
                add(f["File"], f["StartLine"], f.get("EndLine"))
    elif name == "kingfisher":
        for f in data.get("findings", []):
            g = f["finding"]
            add(g["path"], g["line"])
    elif name == "credsweeper":
        for f in data or []:
            for ld in f.get("line_data_list", []):
                add(ld["path"], ld["line_num"])
    elif name == "detect-secrets":
        for path, items in data.get("results", {}).items():
            for it in items:
                add(path, it["line_number"])
    else:
        raise ValueError(name)
    return out


# ----------------------------------------------------------------------------- scoring
def score(manifest: dict, flagged: set[tuple[str, int, int]]) -> dict:
    """Match findings to labels. A finding covers lines start..end (a multi-line match such as a
    whole Kubernetes Secret document is reported at its first line by some tools): it is a true
    positive when a secret label overlaps that range, and it is credited to the secret label(s)
    on its first line, else to the first secret label it overlaps (never to all of them)."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for lab in manifest["labels"]:
        by_file[lab["file"]].append(lab)
    part_of = {p: v["part"] for p, v in manifest["files"].items()}
    found: set[int] = set()
    tp_lines: dict[str, int] = defaultdict(int)
    fps: list[tuple[str, int, dict | None]] = []
    tp_seen: set[tuple[str, int]] = set()
    for path, line, end in sorted(flagged):
        labs = [x for x in by_file.get(path, []) if x["line"] <= end and line <= x["end_line"]]
        part = part_of.get(path, "?")
        sec = [x for x in labs if x["expected"] == "secret"]
        if sec:
            first = [x for x in sec if x["line"] <= line <= x["end_line"]] or sec[:1]
            for x in first:
                found.add(id(x))
            if (path, line) not in tp_seen:
                tp_seen.add((path, line))
                tp_lines[part] += 1
        elif any(x["expected"] == "neutral" for x in labs):
            continue
        elif (path, line) not in tp_seen and not any(p == path and ln == line for p, ln, _ in fps):
            fps.append((path, line, labs[0] if labs else None))
    res: dict = {"parts": {}, "misses": [], "fps": fps}
    for part in PARTS:
        secrets = [x for x in manifest["labels"] if x["part"] == part and x["expected"] == "secret"]
        hit = [x for x in secrets if id(x) in found]
        nfp = sum(1 for p, _, _ in fps if part_of.get(p) == part)
        tp = tp_lines[part]
        res["parts"][part] = {"secrets": len(secrets), "found": len(hit), "tp_lines": tp, "fp_lines": nfp,
                              "recall": len(hit) / len(secrets) if secrets else None,
                              "precision": tp / (tp + nfp) if tp + nfp else None}
        res["misses"] += [x for x in secrets if id(x) not in found]
    all_s = sum(v["secrets"] for v in res["parts"].values())
    all_f = sum(v["found"] for v in res["parts"].values())
    tp = sum(v["tp_lines"] for v in res["parts"].values())
    fp = sum(v["fp_lines"] for v in res["parts"].values())
    res["overall"] = {"secrets": all_s, "found": all_f, "recall": all_f / all_s if all_s else None,
                      "tp_lines": tp, "fp_lines": fp, "precision": tp / (tp + fp) if tp + fp else None}
    return res


def f2(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def table(results: dict[str, dict], walls: dict[str, float]) -> str:
    head = ("| tool | (a) tokens R | (a) P | (b) config R | (b) P | (c) cred files R | (c) P | (d) decoy FPs "
            "| all R | all P | FP lines | wall s |")
    rows = [head, "|" + "---|" * 12]
    for name, r in results.items():
        p = r["parts"]
        rows.append(f"| {name} | {f2(p['a']['recall'])} | {f2(p['a']['precision'])} | {f2(p['b']['recall'])} | "
                    f"{f2(p['b']['precision'])} | {f2(p['c']['recall'])} | {f2(p['c']['precision'])} | "
                    f"{p['d']['fp_lines']} | {f2(r['overall']['recall'])} | {f2(r['overall']['precision'])} | "
                    f"{r['overall']['fp_lines']} | {walls.get(name, 0):.1f} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- misses report
_LONG = re.compile(r"[A-Za-z0-9+/_\-.~!@#%^&*]{12,}")


def shape(text: str) -> str:
    """The line with every long run cut to its first 8 characters (enough to see the format)."""
    text = text.strip()
    return _LONG.sub(lambda m: m.group(0)[:8] + "…", text)[:160]


def misses_report(manifest: dict, root: str, results: dict[str, dict], commit: str) -> str:
    lines_cache: dict[str, list[str]] = {}

    def line_of(path: str, n: int) -> str:
        if path not in lines_cache:
            lines_cache[path] = Path(root, path).read_text(encoding="utf-8").splitlines()
        ls = lines_cache[path]
        return ls[n - 1] if 0 < n <= len(ls) else ""

    out = [f"# leakguard on the held-out corpus: misses and false positives by class",
           "", f"main commit measured: {commit}; seed {manifest['seed']}. Values are cut to their first 8",
           "characters. Fix the class (the form, the provider, the file kind), not the instance: the corpus is",
           "regenerated from a seed and its exact lines are not a target.", ""]
    for name in ("leakguard", "leakguard-low"):
        if name not in results:
            continue
        r = results[name]
        out += [f"## {name}", ""]
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for m in r["misses"]:
            kind = m["kind"]
            if m["part"] in "bc":
                kind = re.sub(r"-(strong-random|weak-.*|passphrase-spaces|dots-dashes|letters-only-random|two-words|"
                              r"contains-pass|digits-only)(\+percent-encoded)?$", "", kind)
            groups[(m["part"], kind)].append(m)
        out.append(f"### misses ({len(r['misses'])})")
        for (part, kind), ms in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0][1])):
            exts = sorted({Path(m['file']).suffix or Path(m['file']).name for m in ms})
            fm = sorted({m.get("form") or "" for m in ms} - {""})
            out.append(f"- ({part}) **{kind}**: {len(ms)} missed, in {', '.join(exts)}"
                       + (f" (forms: {', '.join(fm)})" if fm and part == "a" else ""))
            for m in ms[:3]:
                out.append(f"    - `{m['file']}:{m['line']}` `{shape(line_of(m['file'], m['line']))}`")
        if r["parts"]:
            # password kinds in (b)/(c): which strengths are missed
            strength: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for lab in manifest["labels"]:
                if lab["part"] in "bc" and lab["expected"] == "secret":
                    mm = re.search(r"(strong-random|weak-[a-z-]+|passphrase-spaces|dots-dashes|letters-only-random|"
                                   r"two-words|contains-pass|digits-only)", lab["kind"])
                    if mm:
                        strength[mm.group(1)][1] += 1
                        if any(x is lab for x in r["misses"]):
                            strength[mm.group(1)][0] += 1
            forms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            missed_ids = {id(x) for x in r["misses"]}
            for lab in manifest["labels"]:
                if lab["part"] == "a" and lab["expected"] == "secret":
                    forms[lab.get("form") or "file"][1] += 1
                    forms[lab.get("form") or "file"][0] += id(lab) in missed_ids
            out.append("")
            out.append("forms in (a), missed/total: " + ", ".join(
                f"{k} {v[0]}/{v[1]}" for k, v in sorted(forms.items(), key=lambda kv: -kv[1][0])))
            if strength:
                out.append("")
                out.append("password kinds in (b)+(c), missed/total: " + ", ".join(
                    f"{k} {v[0]}/{v[1]}" for k, v in sorted(strength.items())))
        fpg: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for path, line, lab in r["fps"]:
            fpg[f"({manifest['files'].get(path, {}).get('part', '?')}) " + (lab["kind"] if lab else "unlabelled line")].append((path, line))
        out += ["", f"### false positives ({len(r['fps'])})"]
        for k, v in sorted(fpg.items(), key=lambda kv: -len(kv[1])):
            out.append(f"- **{k}**: {len(v)}")
            for path, line in v[:3]:
                out.append(f"    - `{path}:{line}` `{shape(line_of(path, line))}`")
        out.append("")
    return "\n".join(out)


def git_commit() -> str:
    """HEAD of the measured checkout, and the last commit there that changed leakguard/ or rules/."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(LEAKGUARD_ROOT), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        head = git("log", "-1", "--format=%h")
        code = git("log", "-1", "--format=%h", "--", "leakguard", "rules")
        return f"{head} (leakguard/ and rules/ last changed in {code})"
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="work directory (default: a fresh temporary one)")
    ap.add_argument("--seeds", default="20261203,1,2",
                    help="comma-separated generator seeds; each gives a corpus under corpus/s<seed>/ and all are "
                         "scanned together (default: %(default)s)")
    ap.add_argument("--tools", default=None, help="comma-separated subset of: leakguard,leakguard-low,gitleaks,"
                    "betterleaks,kingfisher,credsweeper,detect-secrets")
    ap.add_argument("--json", default=None, help="write all scores here")
    ap.add_argument("--misses", default=None, help="write leakguard's misses and false positives by class here")
    ap.add_argument("--leakguard-root", default=None,
                    help="the leakguard checkout to measure (default: this one), put first on PYTHONPATH")
    ap.add_argument("--label", default=None, help="describe the measured leakguard (default: its git commit)")
    a = ap.parse_args(argv)
    global LEAKGUARD_ROOT
    if a.leakguard_root:
        LEAKGUARD_ROOT = Path(a.leakguard_root).resolve()
    work = a.out or tempfile.mkdtemp(prefix="leakguard-heldout-")
    root = os.path.join(work, "corpus")
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    seeds = [int(x) for x in a.seeds.split(",") if x.strip()]
    manifest: dict = {"seed": seeds, "files": {}, "labels": []}
    for seed in seeds:
        gen = os.path.join(work, f"gen-{seed}")
        if os.path.exists(gen):
            shutil.rmtree(gen)
        m = generate.generate(gen, seed)
        os.rename(os.path.join(gen, "corpus"), os.path.join(root, f"s{seed}"))
        shutil.rmtree(gen)
        manifest["files"].update({f"s{seed}/{p}": v for p, v in m["files"].items()})
        manifest["labels"] += [{**lab, "file": f"s{seed}/{lab['file']}"} for lab in m["labels"]]
    with open(os.path.join(work, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    reports = os.path.join(work, "reports")
    os.makedirs(reports, exist_ok=True)
    specs = tool_specs()
    names = a.tools.split(",") if a.tools else list(specs)
    results: dict[str, dict] = {}
    walls: dict[str, float] = {}
    for name in names:
        if name not in specs:
            print(f"skipping {name}: not found", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        report, wall, err = run_tool(name, specs[name], root, reports)
        if err:
            print(f"  {name} failed: {err}", file=sys.stderr)
            continue
        walls[name] = wall
        results[name] = score(manifest, flagged_lines(name, report, root))
    commit = a.label or git_commit()
    n_secret = sum(1 for x in manifest["labels"] if x["expected"] == "secret")
    n_files = len(manifest["files"])
    print(f"held-out corpus: seeds {a.seeds}, {n_files} files, {n_secret} labelled secrets "
          f"(a {results and next(iter(results.values()))['parts']['a']['secrets']}, "
          f"b {next(iter(results.values()))['parts']['b']['secrets'] if results else '?'}, "
          f"c {next(iter(results.values()))['parts']['c']['secrets'] if results else '?'}); leakguard at {commit}")
    print()
    print(table(results, walls))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"commit": commit, "seeds": seeds, "walls": walls,
                       "results": {k: {"parts": v["parts"], "overall": v["overall"]} for k, v in results.items()}}, f, indent=1)
    if a.misses:
        Path(a.misses).write_text(misses_report(manifest, root, results, commit) + "\n")
        print(f"\nmisses written to {a.misses}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
