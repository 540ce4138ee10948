"""``history.attribute_kept`` gives what the straightforward version it replaced gave (every
finding of every event, one by one), on random histories with edits, deletions, renames,
reverts, secrets shared between files, a secret twice in one blob, findings shared between
blobs (as the findings cache's stand-ins are) and a confidence floor."""
from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import pytest

from leakguard.engine import fingerprint
from leakguard.model import Finding, Location
from leakguard.sources import history

from tests.sources.test_removals import _random_history


def _reference(h: history.History, blob_findings: dict[str, list[Finding]], head_secrets: set[tuple[str, str, str]],
               keep: Callable[[Finding], bool] | None) -> tuple[list[Finding], int, list[tuple[str, Finding]]]:
    """The implementation before events were grouped by blob."""
    events: list[tuple[int, int, str]] = []
    for oid in blob_findings:
        events.extend((c, p, oid) for c, p in h.appearances(oid))
    events.sort()
    canon: dict[tuple[str, str, int], tuple[str, str, int]] = {}
    first: dict[tuple[str, str, int], tuple[int, int, Finding, str]] = {}
    places: dict[tuple[str, str], set[tuple[int, int]]] = {}
    paths_of: dict[tuple[str, str], list[int]] = {}
    members: dict[tuple[str, str, int], set[int]] = {}
    for c, p, oid in events:
        deleted = set(h.deleted.get(c, ()))
        for f in blob_findings[oid]:
            sid = history.secret_key(f)
            key = (*sid, p)
            if key not in canon:
                renamed_from = next((q for q in paths_of.get(sid, ()) if q in deleted), None)
                canon[key] = canon[(*sid, renamed_from)] if renamed_from is not None else key
                paths_of.setdefault(sid, []).append(p)
            ck = canon[key]
            members.setdefault(ck, set()).add(p)
            if ck not in first:
                first[ck] = (c, p, f, oid)
            places.setdefault(sid, set()).add((c, p))
    out: list[Finding] = []
    sources: list[tuple[str, Finding]] = []
    dropped = 0
    for ck, (c, p, f, oid) in first.items():
        if keep is not None and not keep(f):
            dropped += 1
            continue
        rule_id, secret, _ = ck
        at_head = any((rule_id, secret, h.paths[q]) in head_secrets for q in members[ck])
        where = sorted(places[(rule_id, secret)])
        origins = [h.origin(c, p)] + [h.origin(c2, p2) for c2, p2 in where if (c2, p2) != (c, p)]
        out.append(dataclasses.replace(
            f, origins=tuple(origins[:history.MAX_ORIGINS]), fingerprint=fingerprint(f.secret_hash, h.paths[p]),
            occurrences=len(where), present_at_head=at_head))
        sources.append((oid, f))
    return out, dropped, sources


def _vary(seed: int, blob_findings: dict[str, list[Finding]]) -> dict[str, list[Finding]]:
    """The same blobs with more varied findings: a second finding of a secret in the same blob
    (another confidence, so which one is first matters), a second rule on the same secret, and
    for odd seeds equal findings shared between blobs as one object (the findings cache's stand-ins)."""
    rng = random.Random(seed)
    shared: dict[tuple[str, str, int], Finding] = {}
    out: dict[str, list[Finding]] = {}
    for oid, fs in blob_findings.items():
        more: list[Finding] = []
        for f in fs:
            f = dataclasses.replace(f, confidence=rng.choice(("low", "medium", "high")))
            if seed % 2:
                f = shared.setdefault((f.secret, f.confidence, len(more)), f)
            more.append(f)
            if rng.random() < 0.3:
                more.append(dataclasses.replace(f, confidence=rng.choice(("low", "medium", "high")),
                                                location=Location(2, 1, 2, 2, 3, 4)))
            if rng.random() < 0.2:
                more.append(dataclasses.replace(f, rule_id="r2"))
        rng.shuffle(more)
        out[oid] = more
    return out


@pytest.mark.parametrize("seed", range(200))
def test_attribution_matches_the_reference(seed: int) -> None:
    h, blob_findings, head = _random_history(seed)
    blob_findings = _vary(seed, blob_findings)
    floor: Callable[[Finding], bool] | None = None if seed % 3 == 0 else (lambda f: f.confidence != "low")
    got = history.attribute_kept(h, blob_findings, head, fingerprint, floor)
    want = _reference(h, blob_findings, head, floor)
    assert got[1] == want[1]
    assert got[0] == want[0]
    assert [(oid, id(f)) for oid, f in got[2]] == [(oid, id(f)) for oid, f in want[2]]


def test_the_random_histories_exercise_attribution() -> None:
    """The comparison above is not vacuous: renames (a secret at fewer findings than paths),
    secrets twice in a blob, findings below the floor and more than MAX_ORIGINS places all happen."""
    renamed = doubled = dropped = crowded = 0
    for seed in range(200):
        h, blob_findings, head = _random_history(seed)
        varied = _vary(seed, blob_findings)
        got, below, _ = history.attribute_kept(h, varied, head, fingerprint)
        dropped += history.attribute_kept(h, varied, head, fingerprint, lambda f: f.confidence != "low")[1]
        doubled += sum(len(fs) > len({history.secret_key(f) for f in fs}) for fs in varied.values())
        crowded += sum(f.occurrences > history.MAX_ORIGINS for f in got)
        paths: dict[tuple[str, str], set[int]] = {}
        for oid, fs in varied.items():
            for f in fs:
                paths.setdefault(history.secret_key(f), set()).update(p for _, p in h.appearances(oid))
        renamed += sum(len(ps) > sum(history.secret_key(f) == sid for f in got) for sid, ps in paths.items())
    assert dropped > 100 and doubled > 100 and renamed > 20 and crowded > 5, (dropped, doubled, renamed, crowded)
