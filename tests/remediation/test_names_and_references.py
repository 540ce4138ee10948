"""One secret, one name everywhere; references that run as written; file types by content."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakguard.keypath import key_path
from leakguard.remediation import Settings, suggest, suggest_all
from leakguard.remediation.references import Target, file_type, is_cloudformation, reference

from .conftest import STRIPE_KEY, make_finding


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "config").mkdir(parents=True)
    (root / "src").mkdir()
    (root / ".git").mkdir()
    (root / "config" / "settings.yml").write_text(f'database:\n  password: "Xk9v2LmQp7Rt4Wz"\nstripe:\n  api_key: "{STRIPE_KEY}"\n')
    (root / "src" / "app.py").write_text(f'STRIPE_KEY = "{STRIPE_KEY}"\n')
    (root / "src" / "pay.js").write_text(f'const apiKey = "{STRIPE_KEY}";\n')
    return root


def _scan_names(run_cli, root: Path, *extra: str) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scan", str(root), "-f", "json", "--no-progress", *extra])
    assert code == 1, err
    names: dict[str, set[str]] = {}
    for f in json.loads(out)["findings"]:
        names.setdefault(f["secret_hash"][:12] if f["rule_id"] != "stripe-secret-key" else "stripe", set()).add(
            f["remediation"]["name"])
    return names


def _plan_names(run_cli, root: Path, *extra: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["migrate", str(root), "-f", "json", "--no-progress", *extra])
    assert code == 0, err
    return {e["name"]: sorted(p["path"] for p in e["places"]) for e in json.loads(out)["secrets"]}


@pytest.mark.parametrize("prefer", [[], ["--prefer", "cost"]])
def test_one_secret_gets_one_name_in_scan_and_migrate(run_cli, shop: Path, prefer: list[str]) -> None:  # type: ignore[no-untyped-def]
    names = _scan_names(run_cli, shop, *prefer)
    assert all(len(v) == 1 for v in names.values()), names  # every place of a secret: the same name
    plan = _plan_names(run_cli, shop, *prefer)
    assert {n for v in names.values() for n in v} == set(plan)
    ssm = bool(prefer)
    stripe = "/shop/stripe-key" if ssm else "shop/stripe-key"  # named by its specific variable, not 'api_key'
    assert names["stripe"] == {stripe}
    assert plan[stripe] == ["config/settings.yml", "src/app.py", "src/pay.js"]
    # the generic 'password' is named by its parent key (docs/remediation.md, "Names")
    assert "shop/database-password" in plan or "/shop/database-password" in plan


def test_alternative_name_is_the_same_name_in_the_other_service() -> None:
    f = make_finding("src/app.py", STRIPE_KEY, "STRIPE_KEY", rule="stripe-secret-key")
    r = suggest(f, {"kind": "api-key"}, Settings(project="shop"))
    assert r.name == "shop/stripe-key" and dict(r.extra)["alternative"].endswith(" /shop/stripe-key")


def test_two_secrets_with_one_name_are_numbered_the_same_way_in_scan_and_plan() -> None:
    a = make_finding("a/.env", "Xk9v2LmQp7Rt4Wz1", "DB_PASSWORD")
    b = make_finding("b/.env", "Hq4vN8zLw2Tx6Rb9", "DB_PASSWORD")
    rems = suggest_all([b, a], lambda _: {"kind": "password"}, Settings(project="shop"))
    assert [r.name for r in rems] == ["shop/db-password-2", "shop/db-password"]  # order of places, not of input


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("database:\n  password: 'x'\n", "password", "database.password"),
    ("prod:\n  database:\n    # the primary\n    password: 'x'\n", "password", "prod.database.password"),
    ('{\n  "database": {\n    "password": "x"\n  }\n}\n', "password", "database.password"),
    ("[database]\nhost = 'h'\npassword = 'x'\n", "password", "database.password"),
    ("servers:\n  - host: a\n    password: 'x'\n", "password", "servers.password"),
    ("password = 'x'\n", "password", "password"),
    ("stripe:\n  STRIPE_SECRET_KEY: 'x'\n", "STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY"),  # specific names stand alone
])
def test_key_path_names_the_parent_of_a_generic_key(text: str, key: str, expected: str) -> None:
    data = text.encode()
    last = data.rstrip(b"\n}").rfind(key.encode())
    line_start = data.rfind(b"\n", 0, last) + 1
    assert key_path(data, line_start, key) == expected


def test_key_path_is_bounded_on_hostile_input() -> None:
    data = ("a:\n" + " " * 2 + "b:\n") * 50_000 + "  " * 60_000 + "password: x\n"
    raw = data.encode()
    assert key_path(raw, raw.rfind(b"\n", 0, len(raw) - 1) + 1, "password").count(".") <= 4


@pytest.mark.parametrize("ftype", ["javascript", "typescript"])
def test_js_reference_parses_json_only_for_json_secrets_and_defines_its_client(ftype: str) -> None:
    plain = reference(ftype, Target("secretsmanager", "shop/stripe-key", None, "STRIPE_KEY")).text
    assert "JSON.parse" not in plain and "sm.send" not in plain
    assert "new SecretsManagerClient(" in plain and "@aws-sdk/client-secrets-manager" in plain
    db = reference(ftype, Target("secretsmanager", "shop/database", "password", "DB_PASSWORD")).text
    assert "JSON.parse(" in db and db.split("  //")[0].endswith(".password")
    ssm = reference(ftype, Target("ssm", "/shop/stripe-key", None, "STRIPE_KEY")).text
    assert "new SSMClient(" in ssm and "WithDecryption: true" in ssm


@pytest.mark.parametrize("ftype", ["java", "go", "csharp", "php"])
def test_sdk_references_define_their_client(ftype: str) -> None:
    for svc in ("secretsmanager", "ssm"):
        text = reference(ftype, Target(svc, "shop/x", None, "X")).text
        assert not text.startswith(("sm.", "ssm.Get", "(await sm.", "(await ssm.", "$sm->", "$ssm->")), text


def test_ecs_task_definition_keeps_the_variable_name(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "taskdef.json").write_text(
        '{"containerDefinitions": [{"name": "web", "environment": [\n'
        f'  {{"name": "STRIPE_SECRET", "value": "{STRIPE_KEY}"}}\n]}}]}}\n')
    code, out, err = run_cli(["scan", str(tmp_path), "-f", "json", "--no-progress"])
    assert code == 1, err
    ref = json.loads(out)["findings"][0]["remediation"]["reference"]
    assert '"name": "STRIPE_SECRET"' in ref and "API_KEY" not in ref


CFN_YAML = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n"
SAM_NO_VERSION = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
CDK_JSON = '{\n "Resources": {\n  "Queue4A7E3555": {\n   "Type": "AWS::SQS::Queue"\n  }\n }\n}\n'


@pytest.mark.parametrize(("text", "expected"), [
    (CFN_YAML, True), (SAM_NO_VERSION, True), (CDK_JSON, True), ('{"AWSTemplateFormatVersion": "2010-09-09"}', True),
    ("resources:\n  limits:\n    cpu: 1\n", False), ('{"Resources": {"a": {"Type": "Custom"}}}', False),
])
def test_cloudformation_is_recognised_by_content(text: str, expected: bool) -> None:
    assert is_cloudformation(text) is expected
    assert (file_type("infra/stack.yaml", text) == "cloudformation") is expected
    assert file_type("infra/stack.yaml") == "generic"  # the name alone cannot tell


def test_cdk_template_json_by_name_and_cfn_by_content_in_a_scan(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert file_type("cdk.out/MyStack.template.json") == "cloudformation"
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "stack.yaml").write_text(
        CFN_YAML + f"    Properties:\n      MasterUserPassword: 'Xk9v2LmQp7Rt4Wz1'\n")
    code, out, err = run_cli(["scan", str(tmp_path), "-f", "json", "--no-progress"])
    assert code == 1, err
    rem = json.loads(out)["findings"][0]["remediation"]
    assert dict(rem["extra"])["file_type"] == "cloudformation"
    assert rem["reference"].startswith("'{{resolve:secretsmanager:")
