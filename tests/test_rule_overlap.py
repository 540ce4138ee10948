"""Provider rules must not claim each other's tokens.

Every positive example of a provider rule (not generic, not a `fallback`
catch-all) is scanned with the full rule pack with overlap resolution turned
off, so every rule that would report the example's secret span shows up. A
second provider rule on the same span is an overlap: the two rules claim one
format, and which one wins would depend on rule order. Each overlap must be
listed below with the reason it is intended; anything else fails. For every
intended pair the test then scans the example with overlap resolution on and
checks that the more specific rule (the example's own) is the one reported.

A second check shows each provider rule's secret bare (`value = "<secret>"`, and
alone on a line), without the provider's name around it: a prefix or structure
rule of another provider that claims it there claims the same format, which the
example's context may hide. Those pairs are listed in BARE_INTENDED.
"""
from __future__ import annotations

from collections import defaultdict

import pytest

from leakguard import engine as engine_mod
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.ruleset import Rule, Ruleset

# (rule whose example it is, other rule that also reports it): why that is intended.
# In every intended pair the second rule is a *form* (a JWT, a credential-file field, a
# connection-string password) that holds any value; the first names the provider's own
# format, and tests/test_rules.py proves it is the one reported (never shadowed).
_JWT = "jwt-bearer-token reports any JWT; the provider rule names whose JWT it is"
_JWT_PAIRS: dict[tuple[str, str], str] = {
    (rule, "jwt-bearer-token"): _JWT
    for rule in ("monday-api-token", "onepassword-connect-token", "supabase-service-role-key",
                 "livestorm-api-token", "web3storage-api-token")
}
INTENDED: dict[tuple[str, str], str] = {
    **_JWT_PAIRS,
    ("npm-access-token", "npmrc-auth-token"): ".npmrc _authToken holds any token; an npm_ token is named precisely",
    ("pypi-upload-token", "pypirc-password"): ".pypirc password holds any password; a pypi- macaroon is named precisely",
    ("planetscale-password", "mysql-url-password"): "a MySQL URL holds any password; pscale_pw_ is PlanetScale's own",
}


# (rule whose example secret it is, other rule that reports the bare secret): why intended.
_FORM = "the other rule is a form (any JWT / any PKCS#8 key); the provider rule names whose it is"
BARE_INTENDED: dict[tuple[str, str], str] = {
    **_JWT_PAIRS,
    ("gcp-service-account-private-key", "private-key-pkcs8"): _FORM,
    # One format, two issuers: the keyed rule names the provider from the variable name; a bare
    # value has no name, so the rule that owns the format without context reports it.
    ("clerk-secret-key", "stripe-secret-key"): "a bare sk_live_ + alphanumerics is Stripe's; CLERK_SECRET_KEY=... is Clerk's",
    ("clerk-secret-key", "stripe-test-secret-key"): "a bare sk_test_ + alphanumerics is Stripe's; CLERK_SECRET_KEY=... is Clerk's",
    ("workos-api-key", "highnote-secret-key"): "a bare sk_live_a2V5Xz... is reported as Highnote's; WORKOS_API_KEY=... is WorkOS's",
    ("vagrant-cloud-token", "hashicorp-terraform-api-token"): "a bare atlasv1 token is HCP Terraform's; VAGRANT_CLOUD_TOKEN=... is Vagrant's",
}


def _is_provider(rule: Rule) -> bool:
    return not rule.generic and "fallback" not in rule.tags


@pytest.fixture(scope="module")
def raw_engine(ruleset: Ruleset) -> Engine:
    return Engine(ruleset, backend="regex")


def test_no_two_provider_rules_claim_one_token(raw_engine: Engine, ruleset: Ruleset,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_resolve_overlaps", lambda matches, demoted=frozenset(): matches)
    providers = {r.id for r in ruleset.rules if _is_provider(r)}
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rule in ruleset.rules:
        if rule.id not in providers:
            continue
        for ex in rule.examples:
            data = ex.text.encode("utf-8")
            found = raw_engine.scan(Chunk(data, (Origin("file", ex.path),))).findings
            own = [f for f in found if f.rule_id == rule.id]
            for f in found:
                if f.rule_id == rule.id or f.rule_id not in providers:
                    continue
                loc = f.location
                if any(loc.start_offset < o.location.end_offset and o.location.start_offset < loc.end_offset for o in own):
                    seen[(rule.id, f.rule_id)].append(ex.text[:80])
    unexpected = {k: v for k, v in seen.items() if k not in INTENDED}
    assert not unexpected, "provider rules claiming the same token:\n" + "\n".join(
        f"  {a} example also reported by {b}: {v[0]!r}" for (a, b), v in sorted(unexpected.items()))
    stale = sorted(set(INTENDED) - set(seen))
    assert not stale, f"INTENDED lists overlaps that no longer happen: {stale}"


def _overlaps(a: object, b: object) -> bool:
    la, lb = a.location, b.location  # type: ignore[attr-defined]
    return bool(la.start_offset < lb.end_offset and lb.start_offset < la.end_offset)


def test_the_more_specific_rule_wins_each_intended_overlap(ruleset: Ruleset) -> None:
    """With overlap resolution on (the real engine), the example of each intended pair
    is reported by its own (more specific) rule, and the other rule's finding on the
    same span is gone."""
    engine = Engine(ruleset, backend="regex")
    by_id = {r.id: r for r in ruleset.rules}
    checked = 0
    for (own, other) in INTENDED:
        for ex in by_id[own].examples:
            found = engine.scan(Chunk(ex.text.encode("utf-8"), (Origin("file", ex.path),))).findings
            mine = [f for f in found if f.rule_id == own]
            assert mine, f"{own}: its example is not reported by it: {ex.text[:80]!r}"
            lost = [f for f in found if f.rule_id == other and any(_overlaps(f, m) for m in mine)]
            assert not lost, f"{other} still reports the span of {own}'s example {ex.text[:80]!r}"
            checked += 1
    assert checked >= len(INTENDED)


def test_no_provider_rule_claims_another_providers_bare_secret(raw_engine: Engine, ruleset: Ruleset,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_resolve_overlaps", lambda matches, demoted=frozenset(): matches)
    providers = {r.id for r in ruleset.rules if _is_provider(r)}
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rule in ruleset.rules:
        if rule.id not in providers:
            continue
        for ex in rule.examples:
            secrets = {ex.secret} if ex.secret else {
                f.secret for f in raw_engine.scan(Chunk(ex.text.encode("utf-8"), (Origin("file", ex.path),))).findings
                if f.rule_id == rule.id}
            for secret, text in ((s, t) for s in secrets if "\n" not in s
                                 for t in (f'value = "{s}"\n', f"{s}\n")):
                found = raw_engine.scan(Chunk(text.encode("utf-8"), (Origin("file", ex.path),))).findings
                for f in found:
                    if f.rule_id != rule.id and f.rule_id in providers:
                        seen[(rule.id, f.rule_id)].append(secret[:12])
    unexpected = {k: v for k, v in seen.items() if k not in BARE_INTENDED}
    assert not unexpected, "provider rules claiming another provider's bare secret:\n" + "\n".join(
        f"  {a} secret {v[0]!r}... also reported by {b}" for (a, b), v in sorted(unexpected.items()))
    stale = sorted(set(BARE_INTENDED) - set(seen))
    assert not stale, f"BARE_INTENDED lists overlaps that no longer happen: {stale}"
