"""docs/coverage.md is generated from the rule pack and docs/data/peer-coverage.yaml."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_coverage", ROOT / "docs" / "data" / "gen_coverage.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return _gen()


@pytest.fixture(scope="module")
def built(gen) -> str:  # type: ignore[no-untyped-def]
    """The table of the real pack, built once for the tests that read it (it reads every rule file)."""
    text: str = gen.build()
    return text


def test_coverage_doc_is_fresh(built: str) -> None:
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == built, (
        "docs/coverage.md is stale: run python3 docs/data/gen_coverage.py"
    )


def test_readme_totals_are_fresh(gen, built: str) -> None:  # type: ignore[no-untyped-def]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- coverage-totals -->" in readme
    assert gen.readme_text(built, readme) == readme, (
        "README coverage totals are stale: run python3 docs/data/gen_coverage.py"
    )


def test_coverage_counts_every_rule_once(tmp_path: Path, gen) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n"
        "  - {id: acme-api-key, remediation: {provider: Acme}, verify: {url: 'https://api.acme.dev/me'}}\n"
        "  - {id: acme-webhook-secret, remediation: {provider: Acme Corp}}\n"
        "  - {id: zeta-token, remediation: {provider: Zeta}}\n"
        "  - {id: generic-thing, generic: true}\n",
        encoding="utf-8",
    )
    data = tmp_path / "peers.yaml"
    data.write_text(
        "sources: {}\nproviders:\n"
        "  - {key: acme, gitleaks: [acme-key], trufflehog: [acme]}\n"
        "  - {key: beta, noseyparker: [np.beta.1]}\n"
        "  - {key: acmeinsights, covered_by: [acme-api-key, no-such-rule], trufflehog: [acmeinsightskey]}\n"
        "  - {key: zetacloud, leakguard: [Zeta], kingfisher: [kingfisher.zeta.1]}\n",
        encoding="utf-8",
    )
    text = gen.build(rules, data, None)
    assert "- leakguard rules: 4" in text
    assert "- providers any peer detects: 4; leakguard covers 3 of them" in text
    assert "| acme | `acme-api-key`, `acme-webhook-secret` | yes | yes |  |  | yes |  |" in text
    assert "| beta |  |  |  |  |  |  | yes |" in text
    assert "- providers whose secrets `--verify` can check: 2 (1 rules carry a verifier)" in text
    # covered_by: a rule of another row counts for this row too (and stays on its own row)
    assert "| acmeinsights | `acme-api-key` | yes |  |  |  | yes |  |" in text
    # leakguard: a provider name that maps our rules to a row with another key
    assert "| zetacloud | `zeta-token` |" in text and "| Zeta |" not in text
    assert "| gitleaks | 1 | 1 |" in text


def _split_fixture(tmp_path: Path, types: str) -> tuple[Path, Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").write_text(
        "rules:\n"
        "  - {id: acme-user-token, remediation: {provider: Acme}}\n"
        "  - {id: acme-bot-token, remediation: {provider: Acme}}\n"
        "  - {id: acme-webhook-url, remediation: {provider: Acme}}\n",
        encoding="utf-8",
    )
    data = tmp_path / "peers.yaml"
    data.write_text(
        "sources: {}\nproviders:\n"
        "  - {key: acme, gitleaks: [acme-user, acme-bot], trufflehog: [acme, acmeoauth]}\n",
        encoding="utf-8",
    )
    tf = tmp_path / "types.yaml"
    tf.write_text(types, encoding="utf-8")
    return rules, data, tf


def test_credential_types_split_a_provider_into_rows(tmp_path: Path, gen) -> None:  # type: ignore[no-untyped-def]
    rules, data, tf = _split_fixture(tmp_path, (
        "providers:\n"
        "  acme:\n"
        "    - {type: user token, leakguard: [acme-user-token], gitleaks: [acme-user], trufflehog: [acme]}\n"
        "    - {type: bot token, leakguard: [acme-bot-token], gitleaks: [acme-bot]}\n"
        "    - {type: OAuth client secret, trufflehog: [acmeoauth]}\n"
    ))
    text = gen.build(rules, data, tf)
    # the provider row keeps the totals by provider
    assert "| acme | `acme-bot-token`, `acme-user-token`, `acme-webhook-url` |  | yes |  |  | yes |  |" in text
    assert "| acme › user token | `acme-user-token` |  | yes |  |  | yes |  |" in text
    # trufflehog's acme detector does not find bot tokens: no tick there
    assert "| acme › bot token | `acme-bot-token` |  | yes |  |  |  |  |" in text
    # a type only a peer finds is a visible gap
    assert "| acme › OAuth client secret |  |  |  |  |  | yes |  |" in text
    # a rule no type lists is not dropped
    assert "| acme › other types | `acme-webhook-url` |" in text
    assert "one per other provider): 4; any peer detects 3, leakguard covers 2 of them" in text
    assert "| trufflehog | 1 | 1 | 2 | 1 |" in text


@pytest.mark.parametrize("types, message", [
    ("providers:\n  acme:\n    - {type: t, gitleaks: [acme-usr]}\n", "acme-usr"),
    ("providers:\n  acme:\n    - {type: t, leakguard: [acme-usr-token]}\n", "acme-usr-token"),
    ("providers:\n  nope:\n    - {type: t}\n", "nope"),
    ("providers:\n  acme:\n    - {type: t, gitleak: [acme-user]}\n", "gitleak"),
])
def test_credential_types_reject_unknown_ids(tmp_path: Path, types: str, message: str, gen) -> None:  # type: ignore[no-untyped-def]
    rules, data, tf = _split_fixture(tmp_path, types)
    with pytest.raises(ValueError, match=message):
        gen.build(rules, data, tf)


def test_every_type_row_lists_a_rule_or_a_peer(built: str) -> None:
    for line in built.splitlines():
        if line.startswith("| ") and " › " in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[1] or "yes" in cells[3:], line
