"""SARIF 2.1.0: the official schema (when jsonschema is installed) and GitHub code scanning's requirements."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakguard.reporters.sarif import FINGERPRINT_KEY

# The official OASIS schema, copied from the project's shared/data so the test never depends on a sibling folder.
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
PASSWORD = "pR7#vKq29!xLm"
PG_PASSWORD = "Zr8kLq2mVx9T"


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def sarif(run_cli, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def]
    root = tmp_path / "proj"
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "settings.py").write_text(f'\n\nDATABASE_PASSWORD = "{PASSWORD}"\n')
    (root / "db.py").write_text(f'url = "postgres://app:{PG_PASSWORD}@db.internal:5432/shop"\n')
    code, out, err = run_cli(["scan", str(root), "-f", "sarif", "--no-progress", "--all-files"])
    assert code == 1, err
    assert PASSWORD not in out and PG_PASSWORD not in out
    return json.loads(out)


def test_validates_against_official_schema(sarif: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.exists():
        pytest.skip("SARIF schema not available")
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))


def test_github_required_structure(sarif: dict) -> None:
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "leakguard" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and len(rules) > 10  # the whole rule set, not just the hits
    for r in rules:
        assert r["name"] and r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert "rotate" in r["help"]["text"] and r["help"]["markdown"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert "security" in r["properties"]["tags"]
        assert 0 < float(r["properties"]["security-severity"]) <= 10
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"generic-secret-quoted", "postgres-url-password"}
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "\\" not in uri and ":" not in uri
        reg = loc["region"]
        assert reg["startLine"] >= 1 and reg["startColumn"] >= 1
        assert reg["endLine"] >= reg["startLine"] and reg["endColumn"] >= 1
        assert len(res["partialFingerprints"][FINGERPRINT_KEY]) == 64
    by_rule = {r["ruleId"]: r for r in results}
    region = by_rule["generic-secret-quoted"]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "src/app/settings.py"
    assert region["region"]["startLine"] == 3 and region["region"]["startColumn"] == 22


def test_fingerprint_matches_json_report(run_cli, tmp_path: Path, sarif: dict) -> None:
    root = tmp_path / "proj"
    code, out, _ = run_cli(["scan", str(root), "-f", "json", "--no-progress", "--all-files"])
    fps = {f["fingerprint"] for f in json.loads(out)["findings"]}
    assert fps == {r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif["runs"][0]["results"]}


def test_remediation_in_message_and_baselined_suppression(run_cli, tmp_path: Path, sarif: dict) -> None:
    from leakguard.model import Finding, Location, Origin, Remediation, ScanResult, Stats
    from leakguard.reporters.sarif import to_sarif

    rem = Remediation("store", "secretsmanager", "shop/db", "why", 'os.environ["X"]', "python",
                      "aws secretsmanager create-secret --name shop/db", "revoke the old key")
    f = Finding("r-1", "A token", "high", (Origin("file", "a.py"),), Location(1, 1, 1, 9), PASSWORD,
                "a" * 64, "b" * 64, 3.5, remediation=rem, status="accepted")
    doc = to_sarif(ScanResult([f], Stats()))
    (res,) = doc["runs"][0]["results"]
    assert "revoke the old key" in res["message"]["text"] and "shop/db" in res["message"]["text"]
    assert res["suppressions"][0]["kind"] == "external" and PASSWORD not in json.dumps(doc)
    assert doc["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "r-1"  # described from the finding


def test_clean_scan_is_valid_sarif(run_cli, tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("print('hello')\n")
    code, out, _ = run_cli(["scan", str(tmp_path), "-f", "sarif", "--no-progress"])
    doc = json.loads(out)
    assert code == 0 and doc["runs"][0]["results"] == []


def test_uris_resolve_from_the_repository_root(run_cli, git_repo: Path, tmp_path: Path) -> None:
    """`scan src` inside a repository: URIs are repository-relative under %SRCROOT%, which
    originalUriBaseIds places at the repository root (what code scanning needs); odd names are percent-encoded."""
    (git_repo / "src" / "my app").mkdir(parents=True)
    (git_repo / "src" / "my app" / "pay.py").write_text(f'DATABASE_PASSWORD = "{PASSWORD}"\n')
    code, out, err = run_cli(["scan", "src", "-f", "sarif", "--no-progress"], cwd=git_repo)
    assert code == 1, err
    run = json.loads(out)["runs"][0]
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "src/my%20app/pay.py", "uriBaseId": "%SRCROOT%"}
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == git_repo.resolve().as_uri() + "/" or base == git_repo.as_uri() + "/"
    if SCHEMA.exists():
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(json.loads(out), json.loads(SCHEMA.read_text()))
