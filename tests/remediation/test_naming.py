from __future__ import annotations

import pytest

from leakguard.remediation import Settings, secret_name
from leakguard.remediation.naming import detect_env, key_slug, ps_name, sm_name

from .conftest import make_finding


@pytest.mark.parametrize(("path", "env"), [
    (".env.production", "production"), ("deploy/prod/app.yaml", "production"), ("config/staging/db.yml", "staging"),
    ("charts/api/values-stg.yaml", "staging"), ("application-dev.yml", "development"), ("envs/eu1/main.tf", "eu1"),
    ("src/app/settings.py", None), ("product/x.py", None),
])
def test_detect_env(path: str, env: str | None) -> None:
    assert detect_env(path) == env


@pytest.mark.parametrize(("key", "path", "slug"), [
    ("DB_PASSWORD", ".env", "db-password"), ("STRIPE_SECRET_KEY", "x.py", "stripe-secret-key"),
    ("password", "config/db.yml", "db-password"), ("database.password", "config/app.yml", "database-password"),
    ("clientSecret", "a.ts", "clientsecret"), (None, "a.py", "fallback"),
])
def test_key_slug(key: str | None, path: str, slug: str) -> None:
    assert key_slug(key, path, "fallback") == slug


def test_issue_example_names() -> None:
    f = make_finding(".env.production", "Wint3r-Harb0r-88", "DB_PASSWORD")
    s = Settings(project="shop")
    assert secret_name(f, "password", "secretsmanager", s) == "shop/production/db-password"
    assert secret_name(f, "password", "ssm", s) == "/shop/production/db-password"


def test_name_template_and_env_override() -> None:
    f = make_finding("app/.env", "Wint3r-Harb0r-88", "DB_PASSWORD")
    s = Settings(project="shop", name_template="{env}/{project}/{key}", env="qa")
    assert secret_name(f, "password", "secretsmanager", s) == "qa/shop/db-password"
    assert secret_name(f, "password", "secretsmanager", Settings(project="shop")) == "shop/db-password"  # no env: none invented


@pytest.mark.parametrize(("base", "name"), [
    ("shop/production/db-passwd", "shop/production/db_passwd"),  # never ends like the random -abc123 suffix
    ("a b/c$d", "a-b/c-d"), ("/lead/slash/", "lead/slash"),
])
def test_sm_name_rules(base: str, name: str) -> None:
    assert sm_name(base) == name


def test_ps_name_rules() -> None:
    assert ps_name("aws-tools/x") == "/app-aws-tools/x"
    assert ps_name("SSM/x") == "/app-SSM/x"
    deep = ps_name("/".join(f"l{i}" for i in range(20)))
    assert deep.count("/") == 15
    long = ps_name("a/" + "x" * 2000)
    assert len(long) < 1011 and long.startswith("/a/")
