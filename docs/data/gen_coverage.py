#!/usr/bin/env python3
"""Generate docs/coverage.md from the rule pack and docs/data/peer-coverage.yaml.

    python3 docs/data/gen_coverage.py            # rewrite docs/coverage.md
    python3 docs/data/gen_coverage.py --check    # exit 1 if docs/coverage.md is stale

One row per provider key of the peer data file, plus one per provider that only
leakguard covers.  A leakguard rule belongs to a row when the row's key equals
the compact slug of the rule's remediation provider, or of a leading part of the
rule id (`azure-devops-pat` -> `azure`, `azuredevops`, ...), or one of the row's
`leakguard` names; a row's `covered_by` rule ids (rules of another row that find this
row's credential too) count for it as well.  tests/test_coverage.py fails when the file is stale.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "data" / "peer-coverage.yaml"
OUT = ROOT / "docs" / "coverage.md"
PEERS = ["gitleaks", "betterleaks", "kingfisher", "trufflehog", "noseyparker"]
PEER_TITLES = {
    "gitleaks": "gitleaks", "betterleaks": "betterleaks", "kingfisher": "Kingfisher",
    "trufflehog": "trufflehog", "noseyparker": "Nosey Parker",
}
# leakguard provider slugs / rule-id prefixes whose peer row has another key
ALIASES = {
    "firebase": "google", "gcp": "google", "vonage": "nexmo", "mailjet": "mailjet",
    "microsoftsqlserver": "sqlserver", "mssql": "sqlserver", "postgresql": "postgres",
    "docker": "dockerhub", "thecontainerregistry": "dockerhub", "jfrogplatform": "artifactory",
    "jfrog": "artifactory", "pgpass": "postgres", "8x8": "eightxeight", "chatfuel": "chatfule",
    "cockroachdbcloud": "cockroachlabscloud", "d7networks": "d7network",
    "datastaxastra": "datastaxastraapplication", "flowlu": "flowflu", "ipqualityscore": "ipquality",
    "gcnotify": "canadiandigitalservicenotify", "42intra": "intra42", "dependencytrack": "dependencytrack",
    "elasticcloud": "elasticcloud",
}
# rows whose credential is found by a rule of another row (the token is that format)
COVERED_BY = {
    "blogger": ["gcp-api-key"],           # Blogger keys are Google API keys (AIza...)
    "formio": ["jwt-bearer-token"],        # form.io tokens are JWTs
    "graphcms": ["jwt-bearer-token"],      # GraphCMS/Hygraph permanent tokens are JWTs
    "edenai": ["jwt-bearer-token"],        # Eden AI keys are JWTs
    "calendly": ["jwt-bearer-token"],      # Calendly personal access tokens are JWTs
    "cloudconvert": ["jwt-bearer-token"],  # CloudConvert API keys are JWTs
}
# leakguard rules that are not one provider's credential: grouped under one row each
GENERIC_TAGS = ("generic", "fallback")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def load_rules(rules_dir: Path) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for f in sorted(rules_dir.glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for r in data.get("rules") or []:
            rules.append(r)
    return rules


def candidates(rule: dict[str, Any]) -> list[str]:
    """Provider keys a rule may belong to, most specific first."""
    out: list[str] = []
    provider = (rule.get("remediation") or {}).get("provider")
    words = str(rule["id"]).split("-")
    for k in range(len(words), 0, -1):
        out.append(slug("".join(words[:k])))
    if provider:
        out.insert(0, slug(str(provider)))
        # "Microsoft Azure" -> also "azure"
        out.extend(slug(w) for w in str(provider).split())
    return [c for c in out if c]


def build(rules_dir: Path = ROOT / "rules", data_file: Path = DATA) -> str:
    data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    rows: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for entry in data["providers"]:
        key = str(entry["key"])
        rows[key] = entry
        names[key] = key
    for alias, key in ALIASES.items():
        if key in rows:
            names.setdefault(alias, key)
    for key, entry in rows.items():
        for alias in entry.get("leakguard") or []:
            names[slug(str(alias))] = key
    ours: dict[str, list[str]] = defaultdict(list)
    display: dict[str, str] = {}
    for rule in load_rules(rules_dir):
        tags = rule.get("tags") or []
        if rule.get("generic") or any(t in GENERIC_TAGS for t in tags):
            ours["(generic)"].append(rule["id"])
            continue
        for cand in candidates(rule):
            if cand in names:
                ours[names[cand]].append(rule["id"])
                break
        else:
            provider = (rule.get("remediation") or {}).get("provider") or rule["id"]
            key = slug(str(provider))
            ours[key].append(rule["id"])
            display.setdefault(key, str(provider))
    all_ids = {r["id"] for r in load_rules(rules_dir)}
    verifiable = {r["id"] for r in load_rules(rules_dir) if r.get("verify")}
    for key, ids in COVERED_BY.items():
        if key in rows:
            ours[key].extend(i for i in ids if i in all_ids)
    for key, entry in rows.items():  # `covered_by`: rules of another row that find this row's credential
        ours[key].extend(i for i in entry.get("covered_by") or [] if i in all_ids and i not in ours[key])
    keys = sorted(set(rows) | set(ours))
    peer_total = {p: sum(1 for k in rows if rows[k].get(p)) for p in PEERS}
    peer_covered = {p: sum(1 for k in rows if rows[k].get(p) and ours.get(k)) for p in PEERS}
    any_peer = [k for k in rows if any(rows[k].get(p) for p in PEERS)]
    any_covered = sum(1 for k in any_peer if ours.get(k))
    only_ours = sorted(k for k in ours if k not in rows)
    n_rules = len(all_ids)

    lines = [
        "# Detection coverage compared with other scanners",
        "",
        "Generated by `python3 docs/data/gen_coverage.py` from the rule pack (`rules/*.yaml`) and",
        "`docs/data/peer-coverage.yaml` (which providers each peer detects by default, with the",
        "source commit of each peer's catalog). Do not edit by hand: `tests/test_coverage.py`",
        "fails when this file is stale.",
        "",
        "A row is a provider (or a credential family such as private keys or JWTs); a peer's",
        "column is ticked when that peer ships at least one default rule or detector for it.",
        "\"verifiable\" means at least one of leakguard's rules for it carries a `verify:` block",
        "(`--verify`, docs/verification.md).",
        "",
        "## Totals",
        "",
        f"- leakguard rules: {n_rules}",
        f"- providers any peer detects: {len(any_peer)}; leakguard covers {any_covered} of them",
        f"- providers only leakguard covers: {len(only_ours)}",
        f"- providers whose secrets `--verify` can check: {sum(1 for k in ours if verifiable & set(ours[k]))}"
        f" ({len(verifiable)} rules carry a verifier)",
        "",
        "| peer | providers it detects | of those, leakguard covers |",
        "|---|---|---|",
    ]
    for p in PEERS:
        lines.append(f"| {PEER_TITLES[p]} | {peer_total[p]} | {peer_covered[p]} |")
    lines += [
        "",
        "## Providers",
        "",
        "| provider | leakguard rules | verifiable | " + " | ".join(PEER_TITLES[p] for p in PEERS) + " |",
        "|---|---|---|" + "---|" * len(PEERS),
    ]
    for k in keys:
        title = display.get(k, k)
        ids = ", ".join(f"`{i}`" for i in sorted(ours.get(k, [])))
        ticks = " | ".join("yes" if rows.get(k, {}).get(p) else "" for p in PEERS)
        ver = "yes" if verifiable & set(ours.get(k, [])) else ""
        lines.append(f"| {title} | {ids} | {ver} | {ticks} |")
    lines.append("")
    return "\n".join(lines)


TOTALS = re.compile(r"<!-- coverage-totals -->.*?<!-- /coverage-totals -->", re.S)


def readme_text(coverage: str, readme: str) -> str:
    """README.md with its totals sentence rewritten from the generated table."""
    n_rules = re.search(r"- leakguard rules: (\d+)", coverage)
    peers = re.search(r"- providers any peer detects: (\d+); leakguard covers (\d+)", coverage)
    assert n_rules and peers
    sentence = (
        f"<!-- coverage-totals -->Today: {n_rules.group(1)} rules; of the {peers.group(1)} providers"
        f" any of those peers\ndetects, leakguard covers {peers.group(2)}.<!-- /coverage-totals -->"
    )
    return TOTALS.sub(lambda _m: sentence, readme)


def main(argv: list[str]) -> int:
    text = build()
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    new_readme = readme_text(text, readme)
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text or readme != new_readme:
            print("docs/coverage.md or README totals are stale: run python3 docs/data/gen_coverage.py",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    readme_path.write_text(new_readme, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} and README totals")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
