"""docs/coverage.md is generated from the rule pack and docs/data/peer-coverage.yaml."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_coverage", ROOT / "docs" / "data" / "gen_coverage.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_coverage_doc_is_fresh() -> None:
    gen = _gen()
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == gen.build(), (
        "docs/coverage.md is stale: run python3 docs/data/gen_coverage.py"
    )


def test_readme_totals_are_fresh() -> None:
    gen = _gen()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- coverage-totals -->" in readme
    assert gen.readme_text(gen.build(), readme) == readme, (
        "README coverage totals are stale: run python3 docs/data/gen_coverage.py"
    )


def test_coverage_counts_every_rule_once(tmp_path: Path) -> None:
    gen = _gen()
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
    text = gen.build(rules, data)
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
