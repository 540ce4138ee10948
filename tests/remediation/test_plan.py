from __future__ import annotations

import json
from pathlib import Path

from leakguard.remediation import Settings
from leakguard.remediation.plan import build_plan

from tests.conftest import RunCli

from .conftest import ALL_SECRETS, DB_PASSWORD, STRIPE_KEY, make_finding, write_repo


def test_same_value_in_three_files_is_one_secret() -> None:
    fs = [make_finding(p, STRIPE_KEY, "STRIPE_KEY", rule="stripe-secret-key") for p in (".env.production", "run.sh", "b.py")]
    fs.append(make_finding(".env.production", DB_PASSWORD, "DB_PASSWORD"))
    plan = build_plan(fs, lambda rid: {"kind": "api-key"} if "stripe" in rid else {"kind": "password"}, Settings(project="shop"))
    assert len(plan.entries) == 2
    stripe = next(e for e in plan.entries if e.secret == STRIPE_KEY)
    assert [p.path for p in stripe.places] == [".env.production", "b.py", "run.sh"]
    assert stripe.name == "shop/production/stripe-key"


def test_different_values_same_name_get_suffix() -> None:
    fs = [make_finding("a/.env", DB_PASSWORD, "DB_PASSWORD"), make_finding("b/.env", "Gr33n-Kayak-41", "DB_PASSWORD")]
    names = [e.name for e in build_plan(fs, lambda rid: {"kind": "password"}, Settings(project="shop")).entries]
    assert names == ["shop/db-password", "shop/db-password-2"]


def test_plan_cli_markdown_and_json_hold_no_secret(tmp_path: Path, run_cli: RunCli) -> None:
    write_repo(tmp_path)
    code, md, err = run_cli(["migrate", str(tmp_path), "--no-progress"])
    assert code == 0, err
    assert "# Migration plan" in md and "Secrets Manager" in md and "rotate or revoke" in md
    code, js, err = run_cli(["migrate", str(tmp_path), "--format", "json", "--prefer", "cost", "--no-progress"])
    assert code == 0, err
    doc = json.loads(js)
    assert {e["service"] for e in doc["secrets"]} >= {"ssm", "secretsmanager"}  # the DB URL stays in SM
    generic = [p for e in doc["secrets"] for p in e["places"] if p["path"] == "notes.txt"]
    assert generic and all(p["rewrite"] == "manual" for p in generic)
    for text in (md, js, err):
        for s in ALL_SECRETS:
            assert s not in text


def test_scan_json_has_remediation_and_switch(tmp_path: Path, run_cli: RunCli) -> None:
    write_repo(tmp_path)
    code, out, _ = run_cli(["scan", str(tmp_path / ".env.production"), "-f", "json", "--no-progress"])
    doc = json.loads(out)
    assert all(f["remediation"]["name"] for f in doc["findings"])
    assert all(s not in out for s in ALL_SECRETS)
    code, out, _ = run_cli(["scan", str(tmp_path / ".env.production"), "-f", "json", "--no-remediation", "--no-progress"])
    assert all("remediation" not in f for f in json.loads(out)["findings"])
    code, out, _ = run_cli(["scan", str(tmp_path / ".env.production"), "--no-progress"])
    assert "→ then store it in Secrets Manager as" in out and "first: rotate" in out


def test_managed_references_are_not_findings_and_are_counted(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "template.yaml").write_text(
        "MasterUserPassword: '{{resolve:secretsmanager:shop/prod/db:SecretString:password}}'\n"
        "DB_PASSWORD: '{{resolve:ssm-secure:/shop/prod/db}}'\n"
        '"valueFrom": "arn:aws:ssm:us-east-1:111122223333:parameter/shop/x"\n'
        "  valueFrom:\n    secretKeyRef: {name: x}\n")
    code, out, _ = run_cli(["scan", str(tmp_path), "-f", "json", "--no-progress"])
    doc = json.loads(out)
    assert doc["findings"] == [] and doc["stats"]["managed_references"] == 3
