"""Rule-pack lint: the house standard of docs/rules.md, for every built-in rule."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import regex

from leakguard.redos import redos_risks
from leakguard.rulecheck import duplicate_patterns, lint_rule, revoke_url_problem
from leakguard.remediation.commands import rotate_step
from leakguard.ruleset import Rule, RuleError, compile_rule, load_ruleset

RULES = load_ruleset().rules

# Rules that do not meet the standard yet, each with the reason. Keep this short:
# it is a to-do list, not a way out.
PENDING = {
    # generic.yaml is being reworked by another change (issue 10); one example today
    "generic-powershell-securestring": "one positive example",
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_meets_house_standard(rule: Rule) -> None:
    if rule.id in PENDING:
        pytest.skip(PENDING[rule.id])
    problems = [str(p) for p in lint_rule(rule)]
    # keywords feed the prefilter; only a rule confined to some paths may confirm every line
    if not rule.keywords and not rule.paths_only:
        problems.append("no keywords (allowed only with paths.only)")
    if len(rule.negative_examples) < 2:
        problems.append(f"{len(rule.negative_examples)} negative example(s); at least 2")
    problems += [f"ReDoS risk: {r}" for r in redos_risks(rule.pattern_source)]
    assert not problems, "\n".join(problems)


def test_no_two_rules_share_a_pattern() -> None:
    problems = duplicate_patterns(RULES)
    assert not problems, "\n".join(map(str, problems))


def test_pending_list_names_real_rules() -> None:
    ids = {r.id for r in RULES}
    assert set(PENDING) <= ids


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)+$", r"^(\d+)*$", r"(?x) (?P<secret> (?:[A-Za-z0-9]+ [_-]?)+ ) \s"])
def test_redos_check_flags_nested_repeats(pattern: str) -> None:
    assert redos_risks(pattern)


@pytest.mark.parametrize("pattern", [r"(?:[a-z]+\.)+com", r"(?x) (?P<secret> AKIA [A-Z2-7]{16} )", r"[a-z]{1,5}(?:-[a-z]+)*"])
def test_redos_check_passes_unambiguous_repeats(pattern: str) -> None:
    assert not redos_risks(pattern)


def test_duplicate_patterns_ignore_verbose_whitespace() -> None:
    a = Rule(id="a", description="", severity="low", keywords=("abc",), pattern_source="(?x) abc \\d+")
    b = Rule(id="b", description="", severity="low", keywords=("abc",), pattern_source="(?x)\n  abc\\d+\n")
    c = Rule(id="c", description="", severity="low", keywords=("abc",), pattern_source="(?x) abc \\d{2}")
    assert [p.rule_id for p in duplicate_patterns([a, b, c])] == ["b"]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_prefilter_copy_is_a_whole_pattern(rule: Rule) -> None:
    """The relaxed copy Hyperscan compiles must stay a valid regex: one refused
    expression makes the database build probe every rule on its own (seconds per
    hundred rules). `regex` rejects the same truncations Hyperscan does."""
    from leakguard.prefilter import _trigger, hs_pattern

    regex.compile(hs_pattern(_trigger(rule), bool(rule.multiline)))


def test_prefilter_copy_keeps_hash_inside_a_class() -> None:
    from leakguard.prefilter import hs_pattern

    out = hs_pattern("(?x) code= [^\\s&#]{0,20} & end   # trailing comment\n")
    assert "& end" in out and "trailing" not in out


# --- revoke / rotate URLs (remediation.revoke) --------------------------------------
# The hand-curated provider files: every provider rule in them names the page where its
# credential is revoked or rotated. (The breadth files rules/providers-*.yaml carry one
# where it was confirmed; a wrong URL is worse than none.)
REVOKE_REQUIRED_FILES = {
    "ai.yaml", "atlassian.yaml", "aws.yaml", "azure.yaml", "chat.yaml", "cloud-platforms.yaml",
    "gcp.yaml", "github.yaml", "gitlab.yaml", "hashicorp.yaml", "identity.yaml", "messaging.yaml",
    "observability.yaml", "package-registries.yaml", "payments.yaml", "saas.yaml",
    "secrets-managers.yaml",
}
def _provider_rules() -> list[Rule]:
    return [r for r in RULES if not r.generic and "fallback" not in r.tags]


@pytest.mark.parametrize("url, problem", [
    ("https://app.circleci.com/settings/user/tokens", None),
    ("https://kagi.com/settings?p=api", None),
    ("https://www.pushbullet.com/#settings/account", None),
    ("http://app.circleci.com/settings/user/tokens", "https"),
    ("https://app.circleci.com/settings/user /tokens", "whitespace"),
    ("https://{org}.atlassian.net/settings", "public DNS name"),
    ("https://user:pw@example.org/keys", "credentials"),
    ("https://dash.example.com/keys", "placeholder"),
    ("https://console.acme.io:8443/keys", "port"),
    ("https://console.acme.io/keys/<id>", "template"),
    ("dashboard.stripe.com/apikeys", "https"),
])
def test_revoke_url_check(url: str, problem: str | None) -> None:
    got = revoke_url_problem(url)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


def test_every_revoke_url_is_well_formed() -> None:
    bad = [f"{r.id}: {r.hint['revoke']!r}: {revoke_url_problem(r.hint['revoke'])}"
           for r in RULES if r.hint.get("revoke") and revoke_url_problem(r.hint["revoke"])]
    assert not bad, "\n".join(bad)


def test_every_provider_rule_says_how_to_revoke() -> None:
    """The house standard: a provider rule links the provider's revoke/rotate page, or says in
    `no_revoke` why there is none and what to do instead (never silence)."""
    missing = [f"{Path(r.source).name}: {r.id}" for r in _provider_rules()
               if not r.hint.get("revoke") and not r.hint.get("no_revoke")]
    assert not missing, "provider rules with neither remediation.revoke nor no_revoke:\n" + "\n".join(missing)


def test_curated_provider_files_carry_revoke_urls() -> None:
    missing = [f"{Path(r.source).name}: {r.id}" for r in _provider_rules()
               if Path(r.source).name in REVOKE_REQUIRED_FILES and not r.hint.get("revoke")
               and not r.hint.get("no_revoke")]
    assert not missing, "provider rules without remediation.revoke (or no_revoke):\n" + "\n".join(missing)


def test_a_provider_with_a_revoke_url_has_one_on_every_rule() -> None:
    """Where one rule of a provider links its revoke page, the provider's other rules
    link theirs too (or say in remediation.no_revoke why there is none)."""
    by_provider: dict[str, list[Rule]] = defaultdict(list)
    for r in _provider_rules():
        by_provider[r.hint.get("provider", "")].append(r)
    missing = [f"{prov}: {r.id}" for prov, rules in by_provider.items()
               if any(x.hint.get("revoke") for x in rules)
               for r in rules if not r.hint.get("revoke") and not r.hint.get("no_revoke")]
    assert not missing, (
        "rules of a provider that links a revoke page on another rule (add remediation.revoke, usually the\n"
        "same page, or say in remediation.no_revoke why there is none):\n" + "\n".join(missing))


def test_no_revoke_reasons_are_advice() -> None:
    """`no_revoke` is shown to the user in place of the revoke link: a sentence of advice
    (what to do, or why there is no page), never a URL or a stub."""
    bad = [f"{r.id}: {r.hint['no_revoke']!r}" for r in RULES if "no_revoke" in r.hint
           and (not 20 <= len(r.hint["no_revoke"]) <= 200 or "://" in r.hint["no_revoke"])]
    assert not bad, "\n".join(bad)


def test_revoke_and_no_revoke_exclude_each_other() -> None:
    raw = {"id": "x-token", "description": "x", "severity": "low", "keywords": ["xtk_"],
           "pattern": r"(?P<secret>xtk_[a-z]{8})",
           "remediation": {"kind": "token", "provider": "X", "no_revoke": "ask X's support to rotate it"}}
    assert compile_rule(raw, "t.yaml", 0).hint["no_revoke"] == "ask X's support to rotate it"
    with pytest.raises(RuleError, match="exclude each other"):
        compile_rule({**raw, "remediation": {**raw["remediation"], "revoke": "https://x.example.org/keys"}}, "t.yaml", 0)
    with pytest.raises(RuleError, match="unknown remediation key"):
        compile_rule({**raw, "remediation": {"kind": "token", "no_revoke_url": "x"}}, "t.yaml", 0)


def test_the_rotate_step_carries_the_no_revoke_advice() -> None:
    assert rotate_step("token", "X", "", "ask X's support to rotate it").startswith(
        "rotate or revoke it at X (ask X's support to rotate it):")
    assert "(https://x.example.org/keys)" in rotate_step("token", "X", "https://x.example.org/keys", "")
