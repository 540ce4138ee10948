"""JSON lines, CSV, JUnit XML, GitLab secret detection, Markdown: structure and no clear secret."""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from leakguard.reporters import REPORTERS

PASSWORD = "pR7#vKq29!xLm"
PG_PASSWORD = "Zr8kLq2mVx9T"


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "proj"
    r.mkdir()
    (r / "settings.py").write_text(f'DATABASE_PASSWORD = "{PASSWORD}"\n')
    (r / "db.py").write_text(f'url = "postgres://app:{PG_PASSWORD}@db.internal:5432/shop"\n')
    return r


def run(run_cli, root: Path, fmt: str, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scan", str(root), "-f", fmt, "--no-progress", "--all-files", *extra])
    assert code in (0, 1), err
    return code, out


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_clear_secret_without_reveal(run_cli, root: Path, fmt: str) -> None:
    code, out = run(run_cli, root, fmt)
    assert code == 1 and out.strip()
    assert PASSWORD not in out and PG_PASSWORD not in out


def test_jsonl_one_finding_per_line(run_cli, root: Path) -> None:
    _, out = run(run_cli, root, "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["path"] for r in rows] == ["db.py", "settings.py"]
    assert all(len(r["fingerprint"]) == 64 for r in rows)
    code, out = run(run_cli, root, "jsonl", "--no-redact")
    assert PASSWORD in out


def test_csv_header_and_rows(run_cli, root: Path) -> None:
    _, out = run(run_cli, root, "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["rule_id"] for r in rows] == ["postgres-url-password", "generic-secret-quoted"]
    assert rows[1]["line"] == "1" and rows[1]["key"] == "DATABASE_PASSWORD"


def test_csv_cells_cannot_become_formulas() -> None:
    from leakguard.reporters.csv import _safe

    assert _safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _safe("+1") == "'+1" and _safe("-") == "-"


def test_junit_one_testcase_per_finding_and_passing_when_clean(run_cli, root: Path, tmp_path: Path) -> None:
    _, out = run(run_cli, root, "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 2 and all(c.find("failure") is not None for c in cases)
    assert suite.get("failures") == "2"
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("x = 1\n")
    code, out = run(run_cli, clean, "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert code == 0 and suite is not None and suite.get("failures") == "0"
    (case,) = suite.findall("testcase")
    assert case.find("failure") is None


def test_gitlab_secret_detection_report(run_cli, root: Path) -> None:
    _, out = run(run_cli, root, "gitlab")
    doc = json.loads(out)
    assert doc["version"].startswith("15.")
    scan = doc["scan"]
    assert scan["type"] == "secret_detection" and scan["status"] == "success"
    for part in ("analyzer", "scanner"):
        assert {"id", "name", "version", "vendor"} <= set(scan[part])
    import re

    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", scan[k]) for k in ("start_time", "end_time"))
    vulns = doc["vulnerabilities"]
    assert len(vulns) == 2 and len({v["id"] for v in vulns}) == 2
    for v in vulns:
        assert v["severity"] in ("Critical", "High", "Medium", "Low", "Info", "Unknown")
        assert v["identifiers"] and v["identifiers"][0]["value"]
        loc = v["location"]
        assert loc["file"] in ("db.py", "settings.py") and loc["start_line"] == 1 and loc["commit"]["sha"]
    _, again = run(run_cli, root, "gitlab")
    assert [v["id"] for v in json.loads(again)["vulnerabilities"]] == [v["id"] for v in vulns]  # stable ids


def test_markdown_summary(run_cli, root: Path, tmp_path: Path) -> None:
    _, out = run(run_cli, root, "markdown")
    assert out.startswith("### ") and "2 potential secrets" in out
    assert "| Severity | Confidence | Rule | Location | Secret | Status |" in out and "`db.py:1`" in out
    assert "leakguard:allow" in out
    clean = tmp_path / "clean"
    clean.mkdir()
    code, out = run(run_cli, clean, "markdown")
    assert code == 0 and "no new secrets" in out


def _confidences(fmt: str, out: str) -> list[str]:
    """The confidence of each finding as the format tells it."""
    if fmt == "json":
        return [f["confidence"] for f in json.loads(out)["findings"]]
    if fmt == "jsonl":
        return [json.loads(line)["confidence"] for line in out.splitlines()]
    if fmt == "csv":
        return [r["confidence"] for r in csv.DictReader(io.StringIO(out))]
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        return [r["properties"]["confidence"] for r in results]
    if fmt == "gitlab":
        return [v["description"].rsplit("confidence: ", 1)[1] for v in json.loads(out)["vulnerabilities"]]
    if fmt == "junit":
        return [line.split(": ", 1)[1] for case in ET.fromstring(out).iter("failure")
                for line in (case.text or "").splitlines() if line.startswith("confidence: ")]
    if fmt == "markdown":
        return [row.split("|")[2].strip() for row in out.splitlines() if row.startswith("| ") and "Severity" not in row]
    if fmt == "html":
        return re.findall(r'<details class="secret" [^>]*data-conf="(\w+)"', out)
    assert fmt == "terminal"
    # one head line per secret ends in "confidence: X"; the counts line ("by confidence: ...") is not a finding
    return [line.rsplit("confidence: ", 1)[1].strip() for line in out.splitlines()
            if "confidence: " in line and "by confidence: " not in line]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_confidence_in_every_format(run_cli, root: Path, fmt: str) -> None:
    # a provider token format is high; a connection-string password and a generic assignment are
    # judged per value (medium for these random ones)
    _provider_token(root)
    _, out = run(run_cli, root, fmt, "--min-confidence", "low")
    assert sorted(_confidences(fmt, out)) == ["high", "medium", "medium"], out


def _provider_token(root: Path) -> None:
    """A provider-format token (high confidence) next to the fixture's two medium findings."""
    (root / "billing.py").write_text('stripe.api_key = "sk_live_' + "Qm7vT2xLp9wKr4ZnHk2vQ9mL" + '"\n')


def test_min_confidence_hides_and_counts(run_cli, root: Path) -> None:
    _provider_token(root)
    _, out = run(run_cli, root, "json", "--min-confidence", "high")
    doc = json.loads(out)
    assert [f["rule_id"] for f in doc["findings"]] == ["stripe-secret-key"]
    assert doc["stats"]["below_min_confidence"] == 2
    sarif = json.loads(run(run_cli, root, "sarif")[1])["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in sarif}
    assert by_rule["stripe-secret-key"]["rank"] > by_rule["generic-secret-quoted"]["rank"]
    assert by_rule["generic-secret-quoted"]["level"] == "warning"  # a high-severity finding at medium confidence
