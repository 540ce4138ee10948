"""Start-up work of a small scan: what is compiled, parsed and cached, and what is pruned.

(The timings themselves are in benchmarks/bench_small.py, never in tests.)"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from leakguard import prefilter
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.prefilter import cache_dir, hyperscan_available, prune, touch_if_old
from leakguard.ruleset import PARSED_DIR, load_file, load_ruleset, parsed_name

REFUSED = r"""
rules:
  - id: plain-token
    description: a token Hyperscan takes
    severity: high
    keywords: [plnt_]
    pattern: '(?P<secret>plnt_[a-z0-9]{16})'
  - id: branch-reset-token
    description: a token whose pattern Hyperscan refuses (branch reset)
    severity: high
    keywords: [brst_]
    pattern: 'brst_(?|(?P<secret>[a-z0-9]{16}))'
"""


def test_a_pattern_hyperscan_refuses_is_entered_by_its_keywords_and_the_database_compiles_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r.yaml").write_text(REFUSED)
    rs = load_ruleset([tmp_path], include_default=False)
    tried: list[int] = []
    real = prefilter._refused
    monkeypatch.setattr(prefilter, "_refused", lambda rules: tried.append(len(rules)) or real(rules))
    text = "a = 'plnt_q8w7e6r5t4y3u2i1'\nb = 'brst_z9x8c7v6b5n4m3l2'\n"
    chunk = Chunk(text.encode(), (Origin("file", "a.py"),))
    got = {b: sorted(f.secret for f in Engine(rs, backend=b).scan(chunk).findings) for b in ("hyperscan", "regex")}
    assert got["hyperscan"] == got["regex"] == ["plnt_q8w7e6r5t4y3u2i1", "z9x8c7v6b5n4m3l2"]
    assert tried == [2]  # the one-by-one search ran once, after the whole database was refused
    tried.clear()
    (tmp_path / "r.yaml").write_text(REFUSED.split("  - id: branch-reset-token")[0])
    Engine(load_ruleset([tmp_path], include_default=False), backend="hyperscan")
    assert tried == []  # a pack Hyperscan takes whole: one compile, no search


def test_prune_keeps_the_recent_and_the_spared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    now = time.time()
    for n in range(12):  # hs-00 newest ... hs-11 oldest, a day apart
        p = tmp_path / f"hs-{n:02d}.db"
        p.write_bytes(b"x")
        os.utime(p, (now - n * 86400, now - n * 86400))
    ancient = tmp_path / "hs-ancient.db"
    ancient.write_bytes(b"x")
    os.utime(ancient, (now - 90 * 86400, now - 90 * 86400))
    (tmp_path / "rules-keep.json").write_text("{}")  # another kind of entry: not this pattern
    prune("hs-*.db", 8, spare=ancient)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["hs-ancient.db", *[f"hs-{n:02d}.db" for n in range(8)], "rules-keep.json"])
    prune("hs-*.db", 8, max_age_days=3.5)
    assert sorted(p.name for p in tmp_path.glob("hs-*")) == [f"hs-{n:02d}.db" for n in range(4)]


def test_a_used_cache_entry_is_touched_so_pruning_keeps_it(tmp_path: Path) -> None:
    p = tmp_path / "rules-x.json"
    p.write_text("{}")
    old = time.time() - 40 * 86400
    os.utime(p, (old, old))
    touch_if_old(p)
    assert time.time() - p.stat().st_mtime < 3600


def test_parsed_rule_files_are_cached_and_stale_entries_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("leakguard.ruleset._pruned", False)
    stale = tmp_path / "cache" / "rules-stale.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    os.utime(stale, (time.time() - 60 * 86400,) * 2)
    f = tmp_path / "r.yaml"
    f.write_text(REFUSED)
    assert [r.id for r in load_file(f)] == ["plain-token", "branch-reset-token"]
    assert (cache_dir() / parsed_name(f.read_text())).is_file()
    assert not stale.exists()


def test_only_the_packaged_pack_reads_a_parsed_form_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel ships rules/*.yaml with their parsed form; beside a user's (or a scanned
    repository's) rule file, a JSON file is never read instead of the YAML."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    packaged, user = tmp_path / "packaged", tmp_path / "user"
    for d in (packaged, user):
        (d / PARSED_DIR).mkdir(parents=True)
        (d / "r.yaml").write_text(REFUSED)
        doc = {"rules": [{"id": "from-the-parsed-form", "description": "d", "severity": "low", "keywords": ["abcd"],
                          "pattern": "(?P<secret>abcd[0-9]{8})"}]}
        (d / PARSED_DIR / parsed_name(REFUSED)).write_text(json.dumps(doc))
    monkeypatch.setattr("leakguard.ruleset.default_rules_dir", lambda: packaged)
    assert [r.id for r in load_file(packaged / "r.yaml")] == ["from-the-parsed-form"]
    assert [r.id for r in load_file(user / "r.yaml")] == ["plain-token", "branch-reset-token"]
    (packaged / "r.yaml").write_text(REFUSED + "\n")  # edited: its parsed form no longer applies
    assert [r.id for r in load_file(packaged / "r.yaml")] == ["plain-token", "branch-reset-token"]


def test_every_built_in_pattern_compiles() -> None:
    """The built-in pack's path, allow and near patterns are compiled on first use (start-up
    time): this compiles every one of them, as loading a user's rule file does at once."""
    for r in load_ruleset().rules:
        assert r.pattern.groups >= 1, r.id
        for p in (*r.paths_only, *r.paths_skip, *r.allow_patterns, *([r.near] if r.near is not None else [])):
            assert isinstance(p.groups, int), r.id  # compiles it: a bad pattern raises regex.error


def test_a_clean_scan_imports_neither_rich_nor_the_remediation_advice(tmp_path: Path) -> None:
    """A clean one-file scan (the pre-commit case) prints one summary line: it does without
    rich (~40 ms of imports) and without the remediation advice (only the count of references
    already in AWS, leakguard.remediation.managed, runs on every file). A scan with findings
    draws its report with rich and suggests what to do, as before."""
    import subprocess
    import sys

    (tmp_path / "clean.py").write_text("x = 1\nparam = 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db'\n")
    (tmp_path / "leak.py").write_text("token = 'ghp_q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3j2k1'\n")
    probe = ("import sys; from leakguard.cli import main; code = main(sys.argv[1:]); "
             "print('rich imported' if 'rich' in sys.modules else 'no rich', "
             "'advice imported' if 'leakguard.remediation.advice' in sys.modules else 'no advice', code, file=sys.stderr)")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["LEAKGUARD_CACHE_DIR"] = str(tmp_path / "cache")
    for name, expect in (("clean.py", "no rich no advice 0"), ("leak.py", "rich imported advice imported 1")):
        r = subprocess.run([sys.executable, "-c", probe, "scan", str(tmp_path / name), "--no-progress"],
                           capture_output=True, text=True, env=env, timeout=300)
        assert r.stderr.strip().endswith(expect), r.stderr


def test_the_plain_report_of_a_clean_scan_equals_riches(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from leakguard.model import ScanResult, Stats
    from leakguard.reporters import terminal

    for env in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(env, raising=False)
    stats = Stats()
    stats.files, stats.bytes, stats.skipped = 3, 123_456, {"binary": 2}
    long = "x" * 300
    results = [ScanResult([], Stats()),
               ScanResult([], stats, warnings=[f"config hides 2 findings\x1b[2J in {long}", "ünïcödé \u202e name\tz"])]
    for result in results:
        for shown in (False, True):
            plain = io.StringIO()
            terminal.write(result, plain, warnings_shown=shown)
            with monkeypatch.context() as m:
                m.setattr(terminal, "_styled", lambda stream: True)  # rich draws it (unstyled: not a terminal)
                drawn = io.StringIO()
                terminal.write(result, drawn, warnings_shown=shown)
            assert plain.getvalue() == drawn.getvalue() and "0 findings" in plain.getvalue().splitlines()[-1]
    monkeypatch.setenv("FORCE_COLOR", "1")  # styled: rich draws it, with colour
    styled = io.StringIO()
    terminal.write(results[0], styled)
    assert "\x1b[" in styled.getvalue()


def test_a_staged_scan_does_without_gitpython(tmp_path: Path) -> None:
    """The pre-commit path asks git itself where the work tree is (importing GitPython was a
    tenth of a second of each run); from inside the git dir it still finds the work tree."""
    import subprocess
    import sys

    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q"], ["config", "user.email", "t@example.invalid"], ["config", "user.name", "T"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    (repo / "app.py").write_text("token = 'ghp_q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3j2k1'\n")
    subprocess.run(["git", "-C", str(repo), "add", "app.py"], check=True)
    probe = ("import sys; from leakguard.cli import main; code = main(sys.argv[1:]); "
             "print('gitpython imported' if 'git' in sys.modules else 'no gitpython', code, file=sys.stderr)")
    env = {**os.environ, "LEAKGUARD_CACHE_DIR": str(tmp_path / "cache")}
    for cwd in (repo, repo / ".git"):
        r = subprocess.run([sys.executable, "-c", probe, "scan", "--staged", "--no-progress", "-f", "json"],
                           capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
        assert r.stderr.strip().endswith("no gitpython 1"), r.stderr
        assert json.loads(r.stdout)["findings"][0]["path"] == "app.py"


_PLAIN_SCAN_PROBE = r"""
import json, sys
from leakguard.cli import main
code = main(sys.argv[1:])
from leakguard import ruleset
from leakguard.saferegex import TimedPattern

def compiled(p):
    try:
        TimedPattern._p.__get__(p)
    except AttributeError:
        return False
    return True

rules = ruleset.load_ruleset().rules  # read from the cache again: the path patterns are shared by source
text = open(sys.argv[2], encoding="utf-8").read().lower()
may = {p.pattern for r in rules if not r.keywords or any(k in text for k in r.keywords)
       for p in (*r.paths_only, *r.paths_skip)}
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.startswith(("leakguard", "git", "yaml", "rich"))),
                  "compiled": sorted(s for s, p in ruleset._AUX.items() if compiled(p)), "may": sorted(may),
                  "paths": len({p.pattern for r in rules for p in (*r.paths_only, *r.paths_skip)})}), file=sys.stderr)
"""


def test_a_plain_scan_imports_parses_and_compiles_only_what_it_needs(tmp_path: Path) -> None:
    """Start-up of a one-file scan once the pack is cached (issue 9: under 0.5 s): no other command's
    module (history scanning, baselines, migration), no verify spec parsed (their module is not even
    imported: only --verify and the findings of rules with companions need one), no YAML, and no
    path pattern compiled but those of the rules the file's words wake and of the keywordless
    (path-only) rules: the cached pack says which rules are path-scoped."""
    import subprocess
    import sys

    f = tmp_path / "settings.py"
    f.write_text("DEBUG = False\nTIMEOUT = 30\nfor key in secrets:\n    token = None  # set later\n")
    env = {**os.environ, "LEAKGUARD_CACHE_DIR": str(tmp_path / "cache")}
    for run in ("pack built", "pack read"):
        r = subprocess.run([sys.executable, "-c", _PLAIN_SCAN_PROBE, "scan", str(f), "--no-progress"],
                           capture_output=True, text=True, env=env, timeout=300)
        got = json.loads(r.stderr.strip().splitlines()[-1])
        assert got["code"] == 0, r.stderr
    mods = set(got["modules"])
    for name in ("leakguard.verify", "leakguard.verify.spec", "leakguard.baseline", "leakguard.sources.git",
                 "leakguard.sources.history", "leakguard.sources.walkcache", "leakguard.commands.git",
                 "leakguard.commands.baseline", "leakguard.commands.migrate", "leakguard.commands.rules",
                 "leakguard.commands.init", "leakguard.remediation.advice", "git", "yaml", "rich"):
        assert name not in mods, name
    assert {"leakguard.engine", "leakguard.commands.scan"} <= mods  # (the probe sees the scan's modules)
    compiled, may = set(got["compiled"]), set(got["may"])
    assert compiled <= may and len(may) < got["paths"] / 2, (sorted(compiled - may), len(may), got["paths"])


def test_the_cached_pack_knows_which_rules_are_path_scoped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Rule.scoped`` read from the cached pack is what :func:`prefilter.is_scoped` computes from the
    rule's paths (which the pack does not compile at start-up)."""
    import dataclasses

    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    load_ruleset()  # built and cached
    rules = load_ruleset().rules
    assert all(r.scoped is not None for r in rules)
    assert sum(r.scoped for r in rules) > 10  # (the pack has path-scoped rules: the comparison means something)
    for r in rules:
        assert r.scoped == prefilter.is_scoped(dataclasses.replace(r, scoped=None)), r.id


def test_a_directory_outside_any_repository_is_walked_without_starting_git(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``.git`` in the directory or above it (and no GIT_DIR): git cannot place it in a work
    tree, so no git process is started to ask. Inside a repository, or through a symbolic link
    into one, git is asked as before."""
    import subprocess

    from leakguard.sources import files, git

    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "a.txt").write_text("a\n")
    if files._may_be_in_work_tree(str(outside)):
        pytest.skip("the temporary directory is inside a git repository")
    calls: list[tuple[str, ...]] = []
    real = git.run
    monkeypatch.setattr(git, "run", lambda repo, *a, **k: calls.append(a) or real(repo, *a, **k))
    assert [e.relpath for e in files.iter_entries([str(outside)]) if isinstance(e, files.Entry)] == ["sub/a.txt"]
    assert calls == []
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "sub" / "tracked.txt").write_text("t\n")
    (repo / ".gitignore").write_text("ignored.txt\n")
    (repo / "sub" / "ignored.txt").write_text("i\n")
    (outside / "link").symlink_to(repo / "sub")
    listed = [os.path.basename(e.abspath) for e in files.iter_entries([str(repo / "sub")]) if isinstance(e, files.Entry)]
    assert listed == ["tracked.txt"] and ("rev-parse", "--is-inside-work-tree") in calls  # git's listing
    calls.clear()
    assert files._git_listing(str(outside / "link")) == ["tracked.txt"] and calls  # through the link, too
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert files._may_be_in_work_tree(str(outside))
