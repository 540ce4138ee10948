"""The parsed-YAML cache of rule files: used when present, harmless when broken."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from leakguard.errors import RuleError
from leakguard.prefilter import cache_dir
from leakguard.ruleset import Ruleset, load_file, load_ruleset

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


# ------------------------------------------------------------- the validated built-in pack

PACK = RULE + """  - id: cache-demo-key
    description: demo key
    severity: high
    keywords: [cdk_]
    pattern: 'cdk_(?P<secret>[a-z0-9]{16})'
    paths: {skip: ['\\.lock$']}
    remediation: {kind: api-key, provider: Demo}
    verify:
      url: https://api.demo.example/v1/me
      headers: {Authorization: 'Bearer {secret}'}
      active: {status: [200]}
      inactive: {status: [401]}
    examples: [{text: 'k = cdk_q8w7e6r5t4y3u2i1', secret: q8w7e6r5t4y3u2i1}]
    negative_examples: ['k = cdk_short']
"""


@pytest.fixture()
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small stand-in for the packaged pack (the code path is the one the 1,200 rules take)."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    d = tmp_path / "packaged"
    d.mkdir()
    (d / "demo.yaml").write_text(PACK)
    monkeypatch.setattr("leakguard.ruleset.default_rules_dir", lambda: d)
    return d


def _packs() -> list[Path]:
    return sorted(cache_dir().glob("pack-*.json"))


def _full(rs: Ruleset) -> list[tuple[object, ...]]:
    return [(r, r.secret_group, r.has_key_group, r.description, r.examples, r.negative_examples, r.remediation,
             r.source, [p.pattern for p in r.paths_skip], r.verify) for r in rs.rules]


def test_the_validated_pack_is_cached_and_read_back_the_same(builtin: Path) -> None:
    first = load_ruleset()
    (pack,) = _packs()
    again = load_ruleset()
    assert _full(again) == _full(first) and again.digest == first.digest
    data = json.loads(pack.read_text())
    data["rules"][0][1] = "read from the cached pack"  # a description: not in the digest
    pack.write_text(json.dumps(data))
    assert load_ruleset().rules[0].description == "read from the cached pack"  # the pack is what was read
    (builtin / "demo.yaml").write_text(PACK.replace("description: demo\n", "description: edited\n"))
    edited = load_ruleset()  # another key: the edit is seen, and cached beside the old pack
    assert edited.rules[0].description == "edited" and len(_packs()) == 2


def _tamper(rec: list[Any], field: int, value: object) -> list[Any]:
    return [*rec[:field], value, *rec[field + 1:]]


@pytest.mark.parametrize("bad", [
    "garbage", "truncated", "not a list", "wrong format", "wrong key", "severity", "keyword case", "pattern changed",
    "no secret group", "record too short", "source outside the pack", "examples not a list", "verify not a mapping", "scope not a flag",
    "duplicate rule",
    "fifo",
])
def test_a_bad_cached_pack_is_ignored_and_rebuilt(builtin: Path, bad: str) -> None:
    good = load_ruleset()
    (pack,) = _packs()
    data = json.loads(pack.read_text())
    recs = data["rules"]
    tampered: object = {
        "not a list": {**data, "rules": {"a": 1}},
        "wrong format": {**data, "format": 99},
        "wrong key": {**data, "key": "0" * 32},
        "severity": {**data, "rules": [_tamper(recs[0], 2, "urgent"), recs[1]]},
        "keyword case": {**data, "rules": [_tamper(recs[0], 3, ["CDT_"]), recs[1]]},
        "pattern changed": {**data, "rules": [_tamper(recs[0], 4, "(?P<secret>.+)"), recs[1]]},  # digest differs
        "no secret group": {**data, "rules": [_tamper(recs[0], 4, "cdt_[a-z0-9]{12}"), recs[1]]},
        "record too short": {**data, "rules": [recs[0][:-1], recs[1]]},
        "source outside the pack": {**data, "rules": [_tamper(recs[0], 21, "../elsewhere.yaml"), recs[1]]},
        "examples not a list": {**data, "rules": [_tamper(recs[0], 19, "text"), recs[1]]},
        "verify not a mapping": {**data, "rules": [recs[0], _tamper(recs[1], 23, ["https://api.demo.example"])]},
        "scope not a flag": {**data, "rules": [recs[0], _tamper(recs[1], 25, 1)]},
        "duplicate rule": {**data, "rules": [recs[0], recs[0]]},
    }.get(bad, data)
    pack.unlink()
    if bad == "fifo":
        os.mkfifo(pack)
    else:
        pack.write_text({"garbage": "{not json", "truncated": pack_text(data)[:500]}.get(bad) or pack_text(tampered))
    got = load_ruleset()
    assert _full(got) == _full(good) and got.digest == good.digest
    assert json.loads(pack.read_text()) == data  # rebuilt from the rule files (a FIFO replaced, never opened)


def test_verify_specs_of_the_cached_pack_are_parsed_on_first_use_and_a_bad_one_comes_from_its_rule_file(
        builtin: Path) -> None:
    """A scan needs no verify spec (--verify does): the cached pack's are parsed when first asked
    for. A record whose spec does not parse was altered since the pack was validated: the rule's
    own file gives it instead, and the altered mapping is never used."""
    good = load_ruleset()
    spec = good.rules[1].verify
    assert spec is not None and spec.url == "https://api.demo.example/v1/me" and good.rules[0].verify is None
    (pack,) = _packs()
    rules = load_ruleset().rules  # from the cached pack
    assert [type(r.verify_spec).__name__ for r in rules] == ["NoneType", "_Unparsed"]
    assert rules[1].verify == spec and type(rules[1].verify_spec).__name__ == "VerifySpec"  # parsed once, kept
    data = json.loads(pack.read_text())
    for altered in ({"url": "http://plain.example/{secret}"}, {"url": "https://evil.example/", "bogus": 1}):
        data["rules"][1][23] = altered
        pack.write_text(json.dumps(data))
        assert load_ruleset().rules[1].verify == spec


def test_examples_of_the_cached_pack_are_decoded_on_first_use_and_bad_ones_come_from_the_rule_file(
        builtin: Path) -> None:
    """A scan reads no example: the cached pack's are decoded when first asked for (the tests and
    `rules check`); records that do not decode were altered, and the rule's own file gives them."""
    good = load_ruleset()
    (pack,) = _packs()
    rules = load_ruleset().rules
    assert type(rules[0].example_data).__name__ == "_Unparsed"
    assert rules[0].examples == good.rules[0].examples and type(rules[0].example_data) is tuple
    data = json.loads(pack.read_text())
    for bad in ([["text", 5, "a.txt", None]], [["too", "short"]], [{"text": "a mapping"}]):
        data["rules"][1][19] = data["rules"][1][20] = bad
        pack.write_text(json.dumps(data))
        got = load_ruleset().rules[1]
        assert got.examples == good.rules[1].examples and got.negative_examples == good.rules[1].negative_examples


def test_a_pack_shipped_beside_the_packaged_rules_is_read_and_checked_as_a_cached_one(builtin: Path) -> None:
    """The wheel carries the validated pack (``write_pack``, at build time): a first run reads it and
    caches nothing; one that is not exactly good is ignored, and the pack is validated and cached."""
    from leakguard.ruleset import PARSED_DIR, write_pack

    (builtin / PARSED_DIR).mkdir()
    shipped = write_pack(builtin, builtin / PARSED_DIR)
    first = load_ruleset()
    assert _packs() == [] and [r.id for r in first.rules] == ["cache-demo-token", "cache-demo-key"]
    data = json.loads(shipped.read_text())
    data["rules"][0][2] = "urgent"  # not a severity
    shipped.write_text(json.dumps(data))
    again = load_ruleset()
    assert _full(again) == _full(first) and again.digest == first.digest and len(_packs()) == 1
    (builtin / "demo.yaml").write_text(PACK.replace("description: demo\n", "description: edited\n"))
    assert load_ruleset().rules[0].description == "edited"  # another key: the shipped pack is not for these files


def pack_text(data: object) -> str:
    return json.dumps(data)


def test_user_rule_files_come_after_the_cached_pack(builtin: Path, tmp_path: Path) -> None:
    load_ruleset()
    user = tmp_path / "user.yaml"
    user.write_text(RULE)
    with pytest.raises(RuleError, match="duplicate id"):
        load_ruleset([user])  # the cached pack still counts for duplicate ids
    user.write_text(RULE.replace("cache-demo-token", "user-token"))
    rs = load_ruleset([user])
    assert [r.id for r in rs.rules] == ["cache-demo-token", "cache-demo-key", "user-token"]
    assert rs.digest != load_ruleset().digest
