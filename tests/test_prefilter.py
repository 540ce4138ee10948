"""Prefilter expressions: what wakes a rule's confirm step (leakguard.prefilter)."""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.prefilter import (HyperscanPrefilter, _compile, _hs_expressions, _keyword_triggered, hs_pattern,
                                 hyperscan_available, is_scoped, key_expression)
from leakguard.ruleset import Ruleset, load_ruleset

KEYED = r"""
rules:
  - id: acme-key
    description: an Acme key under a name that mentions Acme
    severity: high
    keywords: [acme]
    pattern: |
      (?x)
      (?<![A-Za-z0-9])
      (?P<key> (?i: acme ) (?-i:(?![a-z])) [\w.-]{0,20}? (?i: key | token ) (?i:s)? )
      ["']? \s{0,5} [:=] \s{0,5} ["']?
      (?P<secret> [a-z0-9]{24} )
      (?![a-z0-9])
  - id: zeta-key
    description: a Zeta key, the name anywhere in the variable name
    severity: high
    keywords: [zeta]
    pattern: |
      (?x)
      (?<![\w.-])
      (?P<key> [\w.-]{0,40}? (?i:(?:zeta)[\w.-]{0,20}?(?:key|secret)) [\w.-]{0,40}? )
      [ \t]{0,5} = [ \t]{0,5}
      (?P<secret> zz[A-Za-z0-9]{20} )
  - id: alt-key
    description: a top-level alternation (entered by its keywords)
    severity: high
    keywords: [altco]
    pattern: '(?P<key>altco_key)\s*=\s*(?P<secret>[a-z]{20})|altco:(?P<secret>[A-Z]{20})'
  - id: opt-key
    description: an optional key group (entered by its keywords)
    severity: high
    keywords: [optco]
    pattern: '(?:(?P<key>optco_key)\s*=\s*)?(?P<secret>optco_[a-z]{20})'
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("rules")
    (d / "r.yaml").write_text(KEYED)
    return load_ruleset([d], include_default=False).by_id()


def test_key_expression_carries_the_patterns_left_boundary(rules: dict) -> None:
    expr = key_expression(rules["acme-key"])
    assert expr is not None and expr.startswith("(?x)(?:^|[^A-Za-z0-9]) (?i: acme )")
    assert "(?i: key | token )" in expr  # the required name suffix; `(?i:s)?` and what follows are left out
    # the name runs around the provider name are optional: left out, and the lookbehind with them
    expr = key_expression(rules["zeta-key"])
    assert expr is not None and expr.startswith("(?x)(?i:(?:zeta)") and "^|" not in expr
    assert "[\\w\\x80-\\xff.-]*?" in expr  # relaxed repeat, taking the bytes of non-ASCII letters too


def test_shapes_without_a_safe_key_expression_use_their_keywords(rules: dict) -> None:
    assert key_expression(rules["alt-key"]) is None  # a top-level | : the key group is not in every match
    assert key_expression(rules["opt-key"]) is None  # an optional key group


def test_every_keyed_rule_of_the_pack_has_an_expression_or_its_keywords() -> None:
    rs = load_ruleset()
    keyed = [r for r in rs.rules if _keyword_triggered(r)]
    with_expr = [r for r in keyed if key_expression(r) is not None]
    assert len(with_expr) > 0.95 * len(keyed)


def test_hs_pattern_drops_the_G_anchor() -> None:
    assert hs_pattern(r"(?<=x)\G[ \t]+(?P<secret>\w+)") == r"(?<=x)[ \t]+(?:\w+)"
    assert hs_pattern(r"[\G]x") == r"[\G]x"


def _keyed_prefilter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Ruleset, HyperscanPrefilter]:
    """The KEYED rules and a Hyperscan prefilter built for them in a private cache."""
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    d = tmp_path / "rules"
    d.mkdir()
    (d / "r.yaml").write_text(KEYED)
    rs = load_ruleset([d], include_default=False)
    return rs, HyperscanPrefilter(rs.rules, rs.digest)


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_keyword_inside_a_longer_word_does_not_wake_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rs, pf = _keyed_prefilter(tmp_path, monkeypatch)

    def woken(text: str) -> set[str]:
        return {rs.rules[i].id for i in pf.hits(text.encode())}

    assert woken("from pyacme import client\nacmeimport = 1\nacme.run()\n") == set()
    assert woken("ACME_API_KEY = 'x'\n") == {"acme-key"}
    assert woken("é_acme_tokens: 1\n") == {"acme-key"}  # a non-ASCII character before the name is a boundary
    assert woken("my_zeta_secret = 2\n") == {"zeta-key"}
    assert woken("zeta = 1\n") == set()
    assert woken("café_zetaé_key = 1\n") == {"zeta-key"}  # \w in the rule takes non-ASCII letters
    assert woken("altco\noptco\n") == {"alt-key", "opt-key"}  # entered by their keywords


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


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_provider_names_are_reported_apart_where_they_start_a_word(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """leakguard.context reads where a provider's name stands (``- Acme `api_key`: ...``); a rule
    woken by its key name's shape no longer says it, so the database reports those places apart,
    without waking the rule's confirm step."""
    rs, pf = _keyed_prefilter(tmp_path, monkeypatch)

    def named(text: str) -> tuple[set[str], set[str]]:
        hits, names = pf.hits_and_names(text.encode())
        return {rs.rules[i].id for i in hits}, {rs.rules[i].id for i in names}

    assert named("- Acme `api_key`: `x`\n") == (set(), {"acme-key"})
    assert named("c = newAcmeClient({ token: 'x' })\n") == (set(), {"acme-key"})
    assert named("acme:\n  token: x\n") == (set(), {"acme-key"})
    assert named("from pyacme import client\nPYACME = 1\n") == (set(), set())  # not a word start
    assert named("import pyAcme\n") == (set(), {"acme-key"})  # a part of a camelCase name
    assert named("ACME_API_KEY = 'x'\n") == ({"acme-key"}, {"acme-key"})
    assert named("altco and optco\n") == ({"alt-key", "opt-key"}, set())  # their hits are keyword hits already
    hits, names = pf.hits_and_names(b"x = 1\n  Zeta: 2\n")
    assert not hits and [rs.rules[i].id for i in names] == ["zeta-key"] and list(names.values())[0][0] == 11



@pytest.mark.parametrize("backend", ["regex", "hyperscan"] if hyperscan_available() else ["regex"])
@pytest.mark.parametrize("name", ["column.api_key", "COLUMN_ACCESS_KEY", "column-client-secret", "columnPrivateToken"])
def test_a_keyed_rules_keywords_cover_every_spelling_its_key_group_takes(backend: str, name: str) -> None:
    """The engine confirms a match only on a line holding one of the rule's keywords: Column's
    keywords covered ``column-key`` spellings while its key group also takes ``.`` and role words."""
    from leakguard.engine import Engine
    from leakguard.model import Chunk, Origin

    value = "live_Qm4ZrT8pLx2NcV7bW1yK9dHs3aF"  # 27 random characters after live_ (generated for this test)
    engine = Engine(load_ruleset(), backend=backend)
    found = engine.scan(Chunk(f"{name}: '{value}'\n".encode(), (Origin("file", "config/bank.yml"),))).findings
    assert [(f.rule_id, f.secret) for f in found] == [("column-api-key", value)]


def _dotted_spellings() -> list[tuple[str, str, str]]:
    """(rule id, a dotted upper-case key name, the rule's first example secret) for each keyed rule
    built on the template ``NAME [_.\\s-]? NAME ...`` whose keywords join a two-word name with '-'."""
    out = []
    for r in load_ruleset().rules:
        if "[_.\\s-]" not in r.pattern_source or not r.examples:
            continue
        two = sorted(k for k in r.keywords if "-" in k and k.replace("-", "_") in r.keywords
                     and len(r.keywords) <= 6)  # the name's own spellings (not name + credential word)
        if two:
            out.append((r.id, two[0].replace("-", ".").upper() + ".API.KEY", r.examples[0].secret))
    return out


@pytest.mark.parametrize("rule_id, name, secret", _dotted_spellings())
def test_a_dotted_upper_case_name_is_a_keyword_hit(rule_id: str, name: str, secret: str) -> None:
    """``HELP.SCOUT.API.KEY=...``: the key group takes '.', so the keywords must too (the pure-Python
    prefilter of small scans and pre-commit runs confirms only lines holding a keyword)."""
    from leakguard.engine import Engine
    from leakguard.model import Chunk, Origin

    engine = Engine(load_ruleset().select(enable=[rule_id]), backend="regex")
    found = engine.scan(Chunk(f"{name}={secret}\n".encode(), (Origin("file", "config/app.properties"),))).findings
    assert [f.secret for f in found if f.rule_id == rule_id] == [secret], name


@pytest.mark.parametrize("expr, spans", [
    (r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", False),
    (r'"[^"\r\n]*"[ \t]*:', False),
    (r"(?i)(?<![a-z])(?:wif|btc)(?![a-z])|priv(?:ate)?[_ .-]?key", False),
    (r"^[ \t]*secret$", False),  # line anchors: the line's own newline decides them
    (r"[\w-]+\S\d++(?>ab)", False),
    (r"a.b", False),  # "." takes no line break without (?s)
    (r'"[^"]*"', True),  # a negated class without \n
    (r"key\s*=", True),
    (r"a\Wb", True),
    (r"a\Db", True),
    (r"(?s)a.b", True),
    (r"(?s:a.)b", True),
    (r"(?x) a \n b", True),
    (r"a(?=\s)", True),  # a lookaround that reads past the line
    (r"\Asecret", True),  # the start of the text is not the start of a line
    (r"secret\Z", True),
    (r"(a)\1", True),  # unsure: a back-reference
    (r"\p{L}+", True),  # regex-only syntax: unsure
])
def test_may_span_lines_is_true_for_whatever_may_hold_or_read_past_a_line_break(expr: str, spans: bool) -> None:
    from leakguard.prefilter import may_span_lines

    assert may_span_lines(expr) is spans


def test_companion_rules_of_the_pack_are_triggered_within_a_line() -> None:
    from leakguard.prefilter import trigger_within_lines

    rules = {r.id: r for r in load_ruleset().rules}
    assert trigger_within_lines(rules["aws-secret-access-key-paired"])
    assert not trigger_within_lines(rules["private-key-rsa"])  # a multi-line rule
