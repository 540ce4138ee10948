"""The parsed-YAML cache of rule files: used when present, harmless when broken."""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.errors import RuleError
from leakguard.prefilter import cache_dir
from leakguard.ruleset import load_file

RULE = """rules:
  - id: cache-demo-token
    description: demo
    severity: low
    keywords: [cdt_]
    pattern: '(?P<secret>cdt_[a-z0-9]{12})'
    examples: ['cdt_q8w7e6r5t4y3']
"""


def _cached() -> set[Path]:
    return set(cache_dir().glob("rules-*.json"))


def test_cache_is_written_then_used_and_a_broken_one_is_ignored(tmp_path: Path) -> None:
    f = tmp_path / "demo.yaml"
    f.write_text(RULE)
    before = _cached()
    (rule,) = load_file(f)
    new = _cached() - before
    assert len(new) == 1 and rule.id == "cache-demo-token"
    (entry,) = new
    entry.write_text(entry.read_text().replace("cache-demo-token", "from-the-cache"))
    assert load_file(f)[0].id == "from-the-cache"  # the cache is what was read
    entry.write_text("{not json")
    assert load_file(f)[0].id == "cache-demo-token"  # a broken entry: parse the YAML again


def test_data_json_cannot_hold_is_not_cached_and_errors_stay_errors(tmp_path: Path) -> None:
    f = tmp_path / "dated.yaml"
    f.write_text(RULE.replace("severity: low", "severity: low\n    references: [2024-01-01]"))
    before = _cached()
    with pytest.raises(RuleError, match="references"):
        load_file(f)  # a date is not a string: the rule is refused, as without a cache
    assert _cached() == before
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(RuleError, match="invalid YAML"):
        load_file(bad)
