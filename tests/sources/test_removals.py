"""``history.removals`` (which commit removed a secret no longer at HEAD) gives the same
answers as the straightforward version it replaced, on random histories with edits,
deletions, renames, reverts and secrets shared between files."""
from __future__ import annotations

import dataclasses
import random

import pytest

from leakguard.engine import fingerprint
from leakguard.model import Finding, Location, Origin
from leakguard.sources import git, history


def _finding(secret: str, path: str) -> Finding:
    return Finding(rule_id="r", description="d", severity="high", origins=(Origin("commit", path),),
                   location=Location(1, 1, 1, 2, 0, 1), secret=secret, secret_hash=f"h-{secret}",
                   fingerprint="", entropy=1.0)


def _random_history(seed: int) -> tuple[history.History, dict[str, list[Finding]], set[tuple[str, str, str]]]:
    rng = random.Random(seed)
    h = history.History()
    h.paths = [f"p{i}" for i in range(8)]
    secrets = ["s0", "s1", "s2", "s3"]
    tree: dict[int, tuple[frozenset[str], str]] = {}  # path -> (secrets its current blob holds, blob id)
    contents: dict[tuple[int, frozenset[str], int], str] = {}
    for c in range(rng.randint(5, 60)):
        h.commits.append(history.Commit(f"{c:040x}", "a", "a@example.invalid", "2020-01-01"))
        for _ in range(rng.randint(1, 3)):
            p = rng.randrange(len(h.paths))
            op = rng.random()
            if p in tree and op < 0.15:  # delete
                del tree[p]
                history._record(h, c, "deleted", git.ZERO_OID, p)
                continue
            if p in tree and op < 0.3:  # rename p -> q, same content
                q = rng.randrange(len(h.paths))
                if q != p and q not in tree:
                    moved = tree.pop(p)
                    history._record(h, c, "deleted", git.ZERO_OID, p)
                    tree[q] = moved  # the same blob under another name
                    history._record(h, c, "blob", moved[1], q)
                    continue
            held = frozenset(s for s in secrets if rng.random() < 0.3)
            variant = rng.randrange(3)  # a small number of variants: some versions come back (reverts)
            oid = contents.setdefault((p, held, variant), f"b{len(contents)}")
            tree[p] = (held, oid)
            history._record(h, c, "blob", oid, p)
    held_by = {oid: key[1] for key, oid in contents.items()}
    blob_findings = {oid: [_finding(s, h.paths[h.first[oid][1]]) for s in sorted(held)]
                     for oid, held in held_by.items() if held and oid in h.first}
    head = {("r", f"h-{s}", h.paths[p]) for p, (held, _) in tree.items() for s in held}
    return h, blob_findings, head


def _reference(h: history.History, blob_findings: dict[str, list[Finding]], findings: list[Finding]) -> list[Finding]:
    """The implementation before the per-path event walk (every commit of every path, per finding)."""
    todo = [f for f in findings if f.present_at_head is False]
    if not todo:
        return findings
    holding: dict[tuple[str, str], set[str]] = {}  # (rule, secret) -> blob ids holding it
    for oid, fs in blob_findings.items():
        for f in fs:
            holding.setdefault((f.rule_id, f.secret), set()).add(oid)
    path_id = {p: i for i, p in enumerate(h.paths)}
    wanted = {path_id[f.path] for f in todo if f.path in path_id}
    paths_of: dict[tuple[str, str], set[int]] = {}  # (rule, secret) -> every path a blob holding it appeared at
    for f in todo:
        sid = (f.rule_id, f.secret)
        if sid not in paths_of:
            paths_of[sid] = {p for oid in holding.get(sid, ()) for _, p in h.appearances(oid)}
            wanted |= paths_of[sid]
    changes: dict[int, list[tuple[int, str]]] = {}  # path -> (commit, blob id or '' for deleted), all versions
    for oid, (c, p) in h.first.items():
        if p in wanted:
            changes.setdefault(p, []).append((c, oid))
    for oid, more in h.extra.items():
        for c, p in more:
            if p in wanted:
                changes.setdefault(p, []).append((c, oid))
    for c, ps in h.deleted.items():
        for p in ps:
            if p in wanted:
                changes.setdefault(p, []).append((c, ""))
    deleted_in = {c: set(ps) for c, ps in h.deleted.items()}
    out: dict[int, Finding] = {}
    for f in todo:
        blobs = holding.get((f.rule_id, f.secret), set())
        start = path_id.get(f.path)
        if start is None:
            continue
        paths = {start} | paths_of[(f.rule_id, f.secret)]
        members, state = {start}, {start: False}
        holding_paths = 0  # members whose state is True: any(state.values()) without the scan
        removed: int | None = None
        by_commit: dict[int, list[tuple[int, str]]] = {}
        for p in paths:
            for c, oid in changes.get(p, ()):
                by_commit.setdefault(c, []).append((p, oid))
        for c in sorted(by_commit):
            was = holding_paths > 0
            gone = deleted_in.get(c)
            moved_from = [q for q in gone if q in members and state.get(q)] if gone else []
            for p, oid in by_commit[c]:
                holds = oid in blobs
                if p not in members:
                    if not (holds and moved_from):
                        continue
                    members.add(p)  # a rename: the secret moves to p in the commit that deletes a member path
                if state.get(p, False) != holds:
                    holding_paths += 1 if holds else -1
                state[p] = holds
            now = holding_paths > 0
            if was and not now:
                removed = c
            elif now:
                removed = None
        if removed is not None:
            out[id(f)] = dataclasses.replace(f, removed_in=h.origin(removed, start))
    return [out.get(id(f), f) for f in findings]



@pytest.mark.parametrize("seed", range(200))
def test_removals_match_the_reference(seed: int) -> None:
    h, blob_findings, head = _random_history(seed)
    findings = history.attribute(h, blob_findings, head, fingerprint)
    got = history.removals(h, blob_findings, findings)
    want = _reference(h, blob_findings, findings)
    assert [(f.path, f.secret, f.removed_in) for f in got] == [(f.path, f.secret, f.removed_in) for f in want]


def test_the_random_histories_exercise_removals() -> None:
    """The comparison above is not vacuous: removals, renames and re-adds happen."""
    removed = renamed = 0
    for seed in range(200):
        h, blob_findings, head = _random_history(seed)
        findings = history.attribute(h, blob_findings, head, fingerprint)
        removed += sum(f.removed_in is not None for f in history.removals(h, blob_findings, findings))
        renamed += sum(len({p for _, p in h.appearances(oid)}) > 1 for oid in blob_findings)
    assert removed > 100 and renamed > 20
