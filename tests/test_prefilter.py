"""Prefilter expressions: what wakes a rule's confirm step (leakguard.prefilter)."""
from __future__ import annotations

import pytest

from leakguard.prefilter import _compile, _hs_expressions, hs_pattern, hyperscan_available, is_scoped
from leakguard.ruleset import load_ruleset


def test_hs_pattern_drops_the_G_anchor() -> None:
    assert hs_pattern(r"(?<=x)\G[ \t]+(?P<secret>\w+)") == r"(?<=x)[ \t]+(?:\w+)"
    assert hs_pattern(r"[\G]x") == r"[\G]x"


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_the_packs_databases_compile_in_one_go() -> None:
    """A pattern Hyperscan refuses makes the whole build fall back to compiling every rule on its
    own (seconds): the built-in pack must not need that (``\\G`` did)."""
    import hyperscan

    rules = [(i, r) for i, r in enumerate(load_ruleset().rules) if r.keywords]
    for part in ([(i, r) for i, r in rules if not is_scoped(r)], [(i, r) for i, r in rules if is_scoped(r)]):
        exprs, ids, flags = _hs_expressions(part)
        hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(expressions=exprs, ids=ids, elements=len(exprs),
                                                                  flags=flags)
        assert _compile(part) is not None
