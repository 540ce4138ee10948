"""The confidence model: the rule-schema key, what each rule kind yields, and the --min-confidence floor."""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.confidence import apply_min_confidence
from leakguard.engine import Engine
from leakguard.errors import RuleError
from leakguard.model import Chunk, Origin, ScanResult, Stats
from leakguard.ruleset import load_ruleset

RULES = r"""
rules:
  - id: provider
    description: a prefixed token
    severity: high
    keywords: [tok_]
    pattern: '\b(?P<secret>tok_[A-Za-z0-9]{20})\b'
  - id: generic-pw
    description: a generic password
    severity: medium
    generic: true
    keywords: [password]
    pattern: '(?i)(?P<key>\w*password)\s*=\s*"(?P<secret>[^"]{4,})"'
  - id: cred-file
    description: a password in a credential file
    severity: high
    confidence: high
    keywords: []
    paths: {only: ['(^|/)\.creds$']}
    pattern: '^pw\s+(?P<secret>\S+)'
  - id: conn-auto
    description: a connection-string password judged per value
    severity: high
    confidence: auto
    keywords: ['db://']
    pattern: 'db://\w+:(?P<secret>[^@\s]+)@'
"""


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    d = tmp_path_factory.mktemp("rules")
    (d / "r.yaml").write_text(RULES)
    return Engine(load_ruleset([d], include_default=False), backend="regex")


def scan(eng: Engine, text: str, path: str = "f.py") -> list[tuple[str, str, str]]:
    found = eng.scan(Chunk(text.encode(), (Origin("file", path),))).findings
    return [(f.rule_id, f.secret, f.confidence) for f in found]


def test_provider_rules_are_high_generic_rules_computed(eng: Engine) -> None:
    assert scan(eng, 'x = "tok_q8Lk2vT9xNp4Rw7ZmB3c"') == [("provider", "tok_q8Lk2vT9xNp4Rw7ZmB3c", "high")]
    assert scan(eng, 'password = "Hk7mZq2xVb9L"') == [("generic-pw", "Hk7mZq2xVb9L", "medium")]


def test_explicit_level_vouches_for_the_position(eng: Engine) -> None:
    # a credential file: a weak value is still reported, at the rule's level; a true placeholder is not
    assert scan(eng, "pw Vq8nR2kLw73\n", ".creds") == [("cred-file", "Vq8nR2kLw73", "high")]
    assert scan(eng, "pw changeme\n", ".creds") == []


def test_auto_rule_is_judged_per_value(eng: Engine) -> None:
    assert scan(eng, "u = db://app:Zr8kLq2mVx9T@host/x") == [("conn-auto", "Zr8kLq2mVx9T", "medium")]


def test_schema_rejects_unknown_level(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES.replace("confidence: high", "confidence: certain"))
    with pytest.raises(RuleError, match="confidence must be one of high, medium, low, auto"):
        load_ruleset([tmp_path], include_default=False)


def test_builtin_rules_derive_their_mode() -> None:
    rules = load_ruleset().rules
    assert all(r.confidence_mode == "auto" for r in rules if r.generic and r.confidence is None)
    assert all(r.confidence_mode == "high" for r in rules if not r.generic and r.confidence is None)


def test_min_confidence_keeps_at_or_above_and_counts(eng: Engine) -> None:
    found = eng.scan(Chunk(b'x = "tok_q8Lk2vT9xNp4Rw7ZmB3c"\npassword = "Hk7mZq2xVb9L"\n',
                           (Origin("file", "f.py"),))).findings
    result = apply_min_confidence(ScanResult(list(found), Stats()), "high")
    assert [f.rule_id for f in result.findings] == ["provider"] and result.stats.below_min_confidence == 1
    result = apply_min_confidence(ScanResult(list(found), Stats()), "low")
    assert len(result.findings) == 2 and result.stats.below_min_confidence == 0
