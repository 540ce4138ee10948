"""Precision and recall on the generated labelled corpus (tests/corpus.py).

Every planted secret must be found, and nothing else: the decoys are the
references, placeholders, hashes, ids and field names that real code has.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.confidence import DEFAULT_MIN_CONFIDENCE, apply_min_confidence
from leakguard.engine import Engine
from leakguard.model import Finding
from leakguard.scan import ScanOptions, scan_paths
from tests.corpus import build


def _matches(f: Finding, path: str, secret: str) -> bool:
    if f.path != path:
        return False
    if secret == "<private key>":
        return f.rule_id.startswith("private-key") or "private" in f.rule_id
    return secret == f.secret or (len(f.secret) >= 8 and (f.secret in secret or secret in f.secret))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_corpus_precision_and_recall(tmp_path: Path, engine: Engine, seed: int) -> None:
    planted = build(tmp_path, seed)
    # what a default scan reports: weak values in decoys are low-confidence findings, not reported
    result = apply_min_confidence(scan_paths(engine, [str(tmp_path)], ScanOptions(jobs=1)), DEFAULT_MIN_CONFIDENCE)
    missed = [(p, s[:6] + "…") for p, s in planted if not any(_matches(f, p, s) for f in result.findings)]
    false = [(f.rule_id, f.path, f.location.line) for f in result.findings
             if not any(_matches(f, p, s) for p, s in planted)]
    assert not missed, f"missed {len(missed)}/{len(planted)}: {missed}"
    assert not false, f"false positives: {false}"
