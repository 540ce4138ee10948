"""Exact findings on the generated credential-file and credential-forms corpus
(tests/forms_corpus.py): every planted credential is found by the rule that
names its form, at the expected confidence, and nothing else is reported: the
decoys (lockfiles, minified JS, hashes, UUIDs, test vectors, public keys,
placeholders, references) stay silent. benchmarks/bench_forms.py compares
the peers on the same corpus.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.engine import Engine
from leakguard.scan import ScanOptions, scan_paths
from tests.forms_corpus import build


@pytest.mark.parametrize("seed", [11, 12])
def test_forms_corpus_exact_findings(tmp_path: Path, engine: Engine, seed: int) -> None:
    planted = build(tmp_path, seed)
    result = scan_paths(engine, [str(tmp_path)], ScanOptions(jobs=1))
    # what is reported by default (--min-confidence medium); decoys may still show at low
    got = {(f.path, f.rule_id, f.secret): f.confidence for f in result.findings if f.confidence != "low"}
    want = {(p.path, p.rule_id, p.secret): p.confidence for p in planted}
    missed = sorted((p, r, s[:6] + "…") for p, r, s in set(want) - set(got))
    extra = sorted((p, r, got[(p, r, s)]) for p, r, s in set(got) - set(want))
    assert not missed, f"missed {len(missed)}/{len(want)}: {missed}"
    assert not extra, f"not planted: {extra}"
    wrong = sorted((k[0], k[1], want[k], got[k]) for k in want if want[k] and want[k] != got[k])
    assert not wrong, f"confidence (path, rule, expected, got): {wrong}"


def test_forms_corpus_covers_every_credential_file_rule(tmp_path: Path, engine: Engine) -> None:
    """Each credential-file rule with a file of its own has a planted file here."""
    planted = {p.rule_id for p in build(tmp_path, 11)}
    scoped = {r.id for r in engine.rules if "credential-file" in r.tags and r.paths_only}
    left_out = {"htpasswd-sha1-hash", "htpasswd-bcrypt-hash", "htpasswd-sha-crypt-hash",  # one htpasswd kind is enough
                "smb-credentials-file", "composer-auth-token", "docker-config-identity-token", "npmrc-basic-auth",
                "jenkins-master-key", "ppp-secrets-password"}
    assert scoped - left_out <= planted, sorted(scoped - left_out - planted)
