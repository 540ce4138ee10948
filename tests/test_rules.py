"""Every rule's examples, through the real engine (both prefilter backends)."""
from __future__ import annotations

import pytest

from leakguard.engine import Engine
from leakguard.prefilter import hyperscan_available
from leakguard.rulecheck import check_rule, run_example
from leakguard.ruleset import Rule, Ruleset, load_ruleset

RULES = load_ruleset().rules
BACKENDS = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]


def test_rule_pack_is_large_and_unique() -> None:
    assert len(RULES) >= 150
    assert len({r.id for r in RULES}) == len(RULES)


@pytest.fixture(scope="module", params=BACKENDS)
def full_engine(request: pytest.FixtureRequest, ruleset: Ruleset) -> Engine:
    return Engine(ruleset, backend=request.param)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_examples(rule: Rule, full_engine: Engine) -> None:
    # the timing checks do not depend on the backend: run them once
    timing = full_engine.backend == BACKENDS[0]
    problems = [p for p in check_rule(rule, full_engine, timing=timing) if p.level == "error"]
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_negative_examples(rule: Rule) -> None:
    assert rule.negative_examples, f"{rule.id} has no negative examples"


def test_backends_agree_on_every_example(ruleset: Ruleset) -> None:
    if len(BACKENDS) < 2:
        pytest.skip("hyperscan not installed")
    # "keywords": Hyperscan on the keywords alone, the small-scan path without a cached database
    engines = [Engine(ruleset, backend=b) for b in [*BACKENDS, "keywords"]]
    for rule in ruleset.rules:
        for ex in rule.examples + rule.negative_examples:
            got = [sorted((f.rule_id, f.secret, f.location.line, f.location.column) for f in run_example(e, ex)) for e in engines]
            assert got[0] == got[1] == got[2], f"{rule.id}: backends disagree on {ex.text!r}"
