"""A rule's ``trigger:``: the regex that wakes it instead of its pattern (docs/rules.md)."""
from __future__ import annotations

from typing import Any

import pytest

from leakguard.engine import Engine
from leakguard.errors import RuleError
from leakguard.model import Chunk, Origin
from leakguard.prefilter import hyperscan_available
from leakguard.ruleset import Ruleset, compile_rule

_BLOCK = {
    "id": "block-token", "description": "A token on the line after its key", "severity": "high",
    "keywords": ["blocktoken"], "multiline": 1,
    "pattern": r"(?m)^blocktoken:[ \t]*\r?\n[ \t]+(?P<secret>[A-Za-z0-9]{20})$",
}


@pytest.mark.parametrize("trigger, message", [
    (["blocktoken"], "'trigger' must be a regex"),
    ("  ", "'trigger' must be a regex"),
    ("blocktoken(", "bad regex"),
    ("(a+)+$", "trigger"),  # checked on adversarial text, as a user rule's other regexes are
])
def test_a_bad_trigger_is_a_one_line_rule_error(trigger: Any, message: str) -> None:
    with pytest.raises(RuleError, match=message) as e:
        compile_rule({**_BLOCK, "trigger": trigger}, "mine.yaml", 0)
    assert "\n" not in str(e.value) and "block-token" in str(e.value)


def test_a_trigger_needs_keywords() -> None:
    raw = {**_BLOCK, "keywords": [], "paths": {"only": [r"\.tok$"]}, "trigger": "^blocktoken:"}
    with pytest.raises(RuleError, match="'trigger' needs keywords"):
        compile_rule(raw, "mine.yaml", 0)


@pytest.mark.skipif(not hyperscan_available(), reason="only the Hyperscan prefilter reads triggers")
def test_the_trigger_wakes_the_rule_and_a_one_line_trigger_moves_its_hits() -> None:
    text = b"x = 1\nblocktoken:\n  Q7vLm2Xk9RtB4nWz8PcA\n"
    chunk = Chunk(text, (Origin("file", "conf.yaml"),))
    found = Engine(Ruleset((compile_rule({**_BLOCK, "trigger": r"(?m)^blocktoken:"}, "mine.yaml", 0),), "t"),
                   backend="hyperscan")
    assert [f.secret for f in found.scan(chunk).findings] == ["Q7vLm2Xk9RtB4nWz8PcA"]
    found._sort_nonlocal()
    assert found._line_hits == [True] and found._nonlocal_ids == []  # a one-line trigger: hits within a line
    # the trigger, not the pattern, is what the prefilter looks for: one that never matches wakes nothing
    asleep = Engine(Ruleset((compile_rule({**_BLOCK, "trigger": "nevermatches"}, "mine.yaml", 0),), "u"),
                    backend="hyperscan")
    assert asleep.scan(chunk).findings == []
    # without a trigger, the multi-line pattern is the entry: its hits come from the whole text
    whole = Engine(Ruleset((compile_rule(_BLOCK, "mine.yaml", 0),), "v"), backend="hyperscan")
    assert [f.secret for f in whole.scan(chunk).findings] == ["Q7vLm2Xk9RtB4nWz8PcA"]
    whole._sort_nonlocal()
    assert whole._line_hits == [False] and whole._nonlocal_ids == [0]


@pytest.mark.skipif(not hyperscan_available(), reason="only the Hyperscan prefilter reads triggers")
def test_rules_check_runs_the_examples_through_the_trigger() -> None:
    from leakguard.rulecheck import check_ruleset

    raw = {**_BLOCK, "examples": ["blocktoken:\n  Q7vLm2Xk9RtB4nWz8PcA\n"],
           "negative_examples": ["blocktoken:\n  short\n"]}
    good = compile_rule({**raw, "trigger": r"(?m)^blocktoken:"}, "mine.yaml", 0)
    assert [p for p in check_ruleset(Ruleset((good,), "g")) if p.level == "error"] == []
    missing = compile_rule({**raw, "trigger": r"(?m)^blocktokens:"}, "mine.yaml", 0)  # never matches
    errors = [str(p) for p in check_ruleset(Ruleset((missing,), "m")) if p.level == "error"]
    assert errors == ["mine.yaml: block-token: error: with its trigger: examples[0]: expected exactly one finding, got 0"]
