from __future__ import annotations

import pytest

from leakguard.remediation import Settings, suggest
from leakguard.remediation.aws import decide
from leakguard.remediation.references import Target, file_type, reference

from .conftest import AWS_SECRET, DB_PASSWORD, PG_PASSWORD, STRIPE_KEY, make_finding

S = Settings(project="shop")


@pytest.mark.parametrize(("kind", "size", "ftype", "key", "prefer", "expected"), [
    ("aws-credentials", 40, "python", None, "cost", ("do-not-store", "none")),
    ("api-key", 70_000, "python", None, "features", ("store-elsewhere", "none")),
    ("api-key", 9000, "python", None, "cost", ("store", "secretsmanager")),      # too large for Parameter Store
    ("database", 20, "dotenv", None, "cost", ("store", "secretsmanager")),       # rotation: always SM
    ("api-key", 30, "cloudformation", "ApiKey", "cost", ("store", "secretsmanager")),  # ssm-secure not allowed there
    ("password", 30, "cloudformation", "MasterUserPassword", "cost", ("store", "ssm")),
    ("api-key", 30, "python", None, "features", ("store", "secretsmanager")),
    ("api-key", 30, "python", None, "cost", ("store", "ssm")),
    ("webhook", 90, "shell", None, "cost", ("store", "ssm")),
])
def test_decision_table(kind: str, size: int, ftype: str, key: str | None, prefer: str, expected: tuple[str, str]) -> None:
    d = decide(kind, size, ftype, key, Settings(prefer=prefer))
    assert (d.action, d.service) == expected
    assert d.rationale and "\n" not in d.rationale


def test_advanced_tier_over_4k() -> None:
    assert decide("private-key", 5000, "generic", None, Settings(prefer="cost")).tier == "Advanced"


def test_aws_key_by_name_is_do_not_store() -> None:
    f = make_finding("deploy/.env", AWS_SECRET, "AWS_SECRET_ACCESS_KEY", rule="generic-secret-unquoted")
    r = suggest(f, {"kind": "password"}, S)
    assert r.action == "do-not-store" and r.service == "none" and r.create_command == ""
    assert "update-access-key" in r.rotate_first and "--status Inactive" in r.rotate_first
    assert "aws sso login" in r.reference


def test_suggest_has_every_part_and_no_value() -> None:
    f = make_finding("app/.env.production", STRIPE_KEY, "STRIPE_KEY", rule="stripe-secret-key")
    r = suggest(f, {"kind": "api-key", "provider": "Stripe", "revoke": "https://dashboard.stripe.com/apikeys"}, S)
    assert (r.action, r.service, r.name) == ("store", "secretsmanager", "shop/production/stripe-key")
    assert "file://$f" in r.create_command and "read -rs" in r.create_command and "shred -u" in r.create_command
    assert "dashboard.stripe.com" in r.rotate_first
    assert STRIPE_KEY not in repr(r.to_dict())


def test_database_url_is_one_json_secret() -> None:
    line = f"DATABASE_URL=postgres://billing:{PG_PASSWORD}@db.internal:5432/billing"
    f = make_finding(".env.staging", PG_PASSWORD, None, rule="postgres-url-password", line=line)
    r = suggest(f, {"kind": "database", "provider": "PostgreSQL"}, Settings(project="shop", prefer="cost"))
    assert r.service == "secretsmanager" and r.name == "shop/staging/database"
    assert dict(r.extra)["json_key"] == "password"


@pytest.mark.parametrize(("path", "needle"), [
    ("a.py", 'get_secret_value(SecretId="N")'), ("a.ts", "GetSecretValueCommand"), ("A.java", "GetSecretValueRequest.builder()"),
    ("a.go", "secretsmanager.GetSecretValueInput"), ("A.cs", "GetSecretValueAsync"), ("a.rb", "Aws::SecretsManager::Client"),
    ("a.php", "getSecretValue(['SecretId' => 'N'])"), (".env", "X="), ("docker-compose.yml", "X: ${X}"),
    ("k8s/deploy.yaml", "ExternalSecret"), ("charts/a/values.yaml", "ExternalSecret"),
    ("template.yaml", "{{resolve:secretsmanager:N:SecretString}}"), ("main.tf", 'ephemeral "aws_secretsmanager_secret_version"'),
    ("serverless.yml", "${ssm:/aws/reference/secretsmanager/N}"), ("taskdef.json", '"valueFrom"'),
    (".github/workflows/ci.yml", "aws-secretsmanager-get-secrets@v2"), ("run.sh", "get-secret-value --secret-id N"),
    ("Dockerfile", "--mount=type=secret"), ("nb.ipynb", "boto3"), ("application-prod.yml", "aws-secretsmanager:N"),
    ("README.txt", "read N from Secrets Manager"),
])
def test_reference_table_sm(path: str, needle: str) -> None:
    assert needle in reference(file_type(path), Target("secretsmanager", "N", None, "X")).text


@pytest.mark.parametrize(("path", "needle"), [
    ("a.py", 'get_parameter(Name="/P", WithDecryption=True)'), ("template.yaml", "{{resolve:ssm-secure:/P}}"),
    ("serverless.yml", "${ssm:/P}"), ("main.tf", 'ephemeral "aws_ssm_parameter"'), ("run.sh", "--with-decryption"),
    ("k8s/x.yaml", "ParameterStore"), (".github/workflows/x.yml", "::add-mask::"),
])
def test_reference_table_ps(path: str, needle: str) -> None:
    assert needle in reference(file_type(path), Target("ssm", "/P", None, "X")).text


def test_unknown_file_type_is_generic_and_manual() -> None:
    ref = reference(file_type("data/blob.xyz"), Target("secretsmanager", "N", None, "X"))
    assert not ref.rewritable and "by hand" in ref.note


def test_large_secret_never_ps() -> None:
    big = "k" + "Zq9" * 3000
    r = suggest(make_finding("x.py", big, "PRIVATE_KEY", rule="x"), {"kind": "private-key"}, Settings(project="p", prefer="cost"))
    assert r.service == "secretsmanager"
    assert DB_PASSWORD not in r.reference


@pytest.mark.parametrize(("tags", "expected"), [
    (("credential-file",), "this is a credential file"),
    (("credential-file", "key-file"), "delete the key file"),
    (("credential-file", "password-hash"), "crackable offline"),
])
def test_credential_files_leave_the_repository(tags: tuple[str, ...], expected: str) -> None:
    import dataclasses
    f = dataclasses.replace(make_finding("deploy/.netrc", DB_PASSWORD, None, rule="netrc-password",
                                         line=f"machine h login u password {DB_PASSWORD}"), tags=tags)
    r = suggest(f, {"kind": "password"}, S)
    assert expected in r.rotate_first and "git rm --cached deploy/.netrc" in r.rotate_first
    assert dict(r.extra)["credential_file"] in r.rotate_first
    assert DB_PASSWORD not in r.rotate_first


def test_ordinary_findings_get_no_file_advice() -> None:
    r = suggest(make_finding("app/.env", DB_PASSWORD, "DB_PASSWORD"), {"kind": "password"}, S)
    assert "credential_file" not in dict(r.extra) and "git rm" not in r.rotate_first
