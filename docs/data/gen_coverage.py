#!/usr/bin/env python3
"""Generate docs/coverage.md from the rule pack and docs/data/peer-coverage.yaml.

    python3 docs/data/gen_coverage.py            # rewrite docs/coverage.md
    python3 docs/data/gen_coverage.py --check    # exit 1 if docs/coverage.md is stale

One row per provider key of the peer data file, plus one per provider that only
leakguard covers.  A leakguard rule belongs to a row when the row's key equals
the compact slug of the rule's remediation provider, or of a leading part of the
rule id (`azure-devops-pat` -> `azure`, `azuredevops`, ...), or one of the row's
`leakguard` names; a row's `covered_by` rule ids (rules of another row that find this
row's credential too) count for it as well.  A provider listed in
docs/data/credential-types.yaml is followed by one row per credential type (GitHub
classic / fine-grained PAT, OAuth, app tokens; Slack bot / user / webhook; ...), with
the rules and peer ids of that type.  tests/test_coverage.py fails when the file is stale.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml


def _yaml(text: str) -> Any:
    """yaml.safe_load, with libyaml's parser where installed (the same data, ~6x faster on the pack)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "data" / "peer-coverage.yaml"
TYPES = ROOT / "docs" / "data" / "credential-types.yaml"
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
        data = _yaml(f.read_text(encoding="utf-8")) or {}
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


def build(rules_dir: Path = ROOT / "rules", data_file: Path = DATA, types_file: Path | None = TYPES) -> str:
    data = _yaml(data_file.read_text(encoding="utf-8"))
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
    split = split_types(types_file, rows, ours, all_ids)
    # one credential type per unsplit row, the type rows of a split one
    type_rows: list[tuple[str, list[str], dict[str, list[str]]]] = []
    for k in keys:
        if k in split:
            type_rows.extend(split[k])
        else:
            type_rows.append((k, ours.get(k, []), {p: list(rows.get(k, {}).get(p) or []) for p in PEERS}))
    type_peer_total = {p: sum(1 for t in type_rows if t[2].get(p)) for p in PEERS}
    type_peer_covered = {p: sum(1 for t in type_rows if t[2].get(p) and t[1]) for p in PEERS}
    type_any = [t for t in type_rows if any(t[2].get(p) for p in PEERS)]
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
        "A provider that issues several kinds of secret is followed by one row per credential type",
        "(`provider › type`, from `docs/data/credential-types.yaml`): there a peer is ticked only",
        "for the types its rules find, so a gap in one type shows even when the provider is covered.",
        "\"verifiable\" means at least one of leakguard's rules for it carries a `verify:` block",
        "(`--verify`, docs/verification.md).",
        "",
        "## Totals",
        "",
        f"- leakguard rules: {n_rules}",
        f"- providers any peer detects: {len(any_peer)}; leakguard covers {any_covered} of them",
        f"- providers only leakguard covers: {len(only_ours)}",
        f"- credential types (a row per type for the {len(split)} providers split in"
        f" `docs/data/credential-types.yaml`, one per other provider): {len(type_rows)};"
        f" any peer detects {len(type_any)}, leakguard covers {sum(1 for t in type_any if t[1])} of them",
        f"- providers whose secrets `--verify` can check: {sum(1 for k in ours if verifiable & set(ours[k]))}"
        f" ({len(verifiable)} rules carry a verifier)",
        "",
        "| peer | providers it detects | of those, leakguard covers | credential types it detects"
        " | of those, leakguard covers |",
        "|---|---|---|---|---|",
    ]
    for p in PEERS:
        lines.append(f"| {PEER_TITLES[p]} | {peer_total[p]} | {peer_covered[p]} | {type_peer_total[p]}"
                     f" | {type_peer_covered[p]} |")
    lines += [
        "",
        "## Providers",
        "",
        "| provider | leakguard rules | verifiable | " + " | ".join(PEER_TITLES[p] for p in PEERS) + " |",
        "|---|---|---|" + "---|" * len(PEERS),
    ]
    for k in keys:
        title = display.get(k, k)
        cell = ", ".join(f"`{i}`" for i in sorted(ours.get(k, [])))
        ticks = " | ".join("yes" if rows.get(k, {}).get(p) else "" for p in PEERS)
        ver = "yes" if verifiable & set(ours.get(k, [])) else ""
        lines.append(f"| {title} | {cell} | {ver} | {ticks} |")
        for name, tids, tpeers in split.get(k, []):
            cell = ", ".join(f"`{i}`" for i in sorted(tids))
            ticks = " | ".join("yes" if tpeers.get(p) else "" for p in PEERS)
            ver = "yes" if verifiable & set(tids) else ""
            lines.append(f"| {title} › {name} | {cell} | {ver} | {ticks} |")
    lines.append("")
    return "\n".join(lines)


def split_types(types_file: Path | None, rows: dict[str, dict[str, Any]], ours: dict[str, list[str]],
                all_ids: set[str]) -> dict[str, list[tuple[str, list[str], dict[str, list[str]]]]]:
    """Provider key -> [(type name, leakguard rule ids, {peer: ids})] from the types file.

    Rules and peer ids of the provider that no type lists land in an "other types"
    row; an id that the provider's row does not have is an error (a typo or a
    peer catalog that moved on), as is a rule id that no rule has.
    """
    if types_file is None or not types_file.exists():
        return {}
    data = _yaml(types_file.read_text(encoding="utf-8")) or {}
    out: dict[str, list[tuple[str, list[str], dict[str, list[str]]]]] = {}
    for key, types in (data.get("providers") or {}).items():
        key = str(key)
        if key not in rows and key not in ours:
            raise ValueError(f"{types_file.name}: no coverage row {key!r}")
        entries: list[tuple[str, list[str], dict[str, list[str]]]] = []
        used_rules: set[str] = set()
        used_peer: dict[str, set[str]] = defaultdict(set)
        for t in types:
            unknown = set(t) - {"type", "leakguard", *PEERS}
            if unknown or not t.get("type"):
                raise ValueError(f"{types_file.name}: {key}: a type needs `type`; unknown keys {sorted(unknown)}")
            tids = [str(i) for i in t.get("leakguard") or []]
            for i in tids:
                if i not in all_ids:
                    raise ValueError(f"{types_file.name}: {key}: no rule {i!r}")
            peers: dict[str, list[str]] = {}
            for p in PEERS:
                ids = [str(i) for i in t.get(p) or []]
                have = set(rows.get(key, {}).get(p) or [])
                for i in ids:
                    if i not in have:
                        raise ValueError(f"{types_file.name}: {key}: {p} id {i!r} is not in the provider's row of"
                                         f" peer-coverage.yaml (moved or renamed? fix {types_file.name})")
                peers[p] = ids
                used_peer[p].update(ids)
            used_rules.update(tids)
            entries.append((str(t["type"]), tids, peers))
        rest_rules = [i for i in ours.get(key, []) if i not in used_rules]
        rest_peer = {p: [i for i in rows.get(key, {}).get(p) or [] if i not in used_peer[p]] for p in PEERS}
        if rest_rules or any(rest_peer.values()):
            entries.append(("other types", rest_rules, rest_peer))
        out[key] = entries
    return out


TOTALS = re.compile(r"<!-- coverage-totals -->.*?<!-- /coverage-totals -->", re.S)


def readme_text(coverage: str, readme: str) -> str:
    """README.md with its totals sentence rewritten from the generated table."""
    n_rules = re.search(r"- leakguard rules: (\d+)", coverage)
    peers = re.search(r"- providers any peer detects: (\d+); leakguard covers (\d+)", coverage)
    types = re.search(r"any peer detects (\d+), leakguard covers (\d+) of them", coverage)
    assert n_rules and peers and types
    sentence = (
        f"<!-- coverage-totals -->Today: {n_rules.group(1)} rules; of the {peers.group(1)} providers"
        f" any of those peers\ndetects, leakguard covers {peers.group(2)}; counted by credential type,"
        f" {types.group(2)} of {types.group(1)}.<!-- /coverage-totals -->"
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
