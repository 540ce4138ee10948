"""A labelled corpus generator: a small monorepo of realistic files with
planted fake secrets and many decoys (references, placeholders, hashes, ids,
field names). Values are generated from a seed, so no fixture file holds a
secret-looking literal, and every run checks the same labels.

``build(root, seed)`` writes the tree and returns the planted secrets as
(path, secret) pairs. Used by tests/test_accuracy.py and
benchmarks/bench_accuracy.py (which runs the peers on the same tree).
"""
from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

from leakguard import checksums

ALNUM = string.ascii_letters + string.digits
WORDS = ["harbor", "falcon", "orchid", "granite", "velvet", "meadow", "copper", "lantern", "thistle", "summit",
         "willow", "ember", "cobalt", "juniper", "marble", "sparrow", "tundra", "saffron", "quartz", "bramble"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, n: int, alphabet: str = ALNUM) -> str:
        while True:
            v = "".join(self.rng.choice(alphabet) for _ in range(n))
            # keep to what a real token looks like: mixed classes, no placeholder-ish runs
            if (alphabet != ALNUM or (any(c.isdigit() for c in v) and any(c.isupper() for c in v)
                                       and any(c.islower() for c in v))) and "xxxx" not in v.lower():
                return v

    def human_password(self) -> str:
        w = self.rng.choice(WORDS)
        w = w.capitalize() if self.rng.random() < 0.7 else w
        return w + self.rng.choice(["-", "!", "#", ".", "_", "@", ""]) + str(self.rng.randint(10, 9999)) + self.rng.choice(["", "!", "x", "Q", "$"])

    def aws_key_id(self) -> str:
        return "AKIA" + self.s(16, string.ascii_uppercase + "234567")

    def aws_secret(self) -> str:
        return self.s(40, ALNUM + "+/")

    def github(self) -> str:
        return self.crc_token("ghp_")

    def crc_token(self, prefix: str) -> str:
        """GitHub/npm format: 30 random characters, then their CRC32 in base62."""
        body = self.s(30)
        return prefix + body + checksums.base62(checksums.crc32(body))

    def slack_bot(self) -> str:
        return f"xoxb-{self.rng.randint(10**10, 10**12)}-{self.rng.randint(10**10, 10**12)}-{self.s(24)}"

    def stripe(self) -> str:
        return "sk_live_" + self.s(24)

    def hexs(self, n: int) -> str:
        return self.s(n, "0123456789abcdef")


def _pem(g: Gen) -> str:
    body = base64.b64encode(bytes(g.rng.getrandbits(8) for _ in range(900))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"


def build(root: Path, seed: int = 7) -> list[tuple[str, str]]:
    """Write the corpus under root; return the planted (path, secret) pairs."""
    g = Gen(seed)
    planted: list[tuple[str, str]] = []
    files: dict[str, str] = {}

    def plant(path: str, secret: str) -> str:
        planted.append((path, secret))
        return secret

    # --- services/billing: a Python service -----------------------------------
    db_pw = g.human_password()
    files["services/billing/settings.py"] = f'''import os
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "{plant("services/billing/settings.py", g.s(50, ALNUM + "!@#%^&*(-_=+)"))}"
DEBUG = os.environ.get("DEBUG", "0") == "1"
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "billing",
        "USER": "billing_app",
        "PASSWORD": "{plant("services/billing/settings.py", db_pw)}",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }},
    "replica": {{
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": os.environ["REPLICA_PASSWORD"],
    }},
}}
AUTH_PASSWORD_VALIDATORS = [{{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}}]
PASSWORD_RESET_TIMEOUT = 259200
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
SESSION_COOKIE_NAME = "billing_session"
CSRF_COOKIE_NAME = "csrftoken"
STRIPE_PUBLISHABLE_KEY = "pk_live_{g.s(24)}"
STRIPE_API_VERSION = "2023-10-16"
'''
    files["services/billing/payments.py"] = f'''import stripe
import logging

log = logging.getLogger(__name__)
stripe.api_key = "{plant("services/billing/payments.py", g.stripe())}"


def charge(customer_id: str, amount: int, idempotency_key: str) -> str:
    token_type = "bearer"
    request_id = "{uuid.UUID(int=g.rng.getrandbits(128))}"
    log.info("charging %s (request %s)", customer_id, request_id)
    intent = stripe.PaymentIntent.create(customer=customer_id, amount=amount, idempotency_key=idempotency_key)
    return intent.id
'''
    files["services/billing/tests/test_payments.py"] = '''import pytest

from billing.payments import charge


@pytest.fixture
def fake_key(monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_dummy")
    password = "test-password"
    api_key = "fake-api-key"
    return api_key


def test_charge_rejects_negative(fake_key):
    with pytest.raises(ValueError):
        charge("cus_123", -1, idempotency_key="abc")
'''
    files["services/billing/.env.example"] = """# copy to .env and fill in
DATABASE_URL=postgres://billing_app:<password>@localhost:5432/billing
STRIPE_SECRET_KEY=sk_live_your_key_here
SENTRY_DSN=
DB_PASSWORD=changeme
JWT_SECRET=${JWT_SECRET}
"""
    prod_pw = g.human_password()
    files["services/billing/.env.production"] = f"""DATABASE_URL=postgres://billing_app:{plant("services/billing/.env.production", prod_pw)}@db.prod.internal:5432/billing
REDIS_URL=redis://cache.prod.internal:6379/0
JWT_SECRET={plant("services/billing/.env.production", g.s(32))}
LOG_LEVEL=info
FEATURE_FLAGS=checkout,refunds
"""

    # --- web: a TypeScript front end --------------------------------------------
    files["web/src/config.ts"] = f'''export const config = {{
  apiBase: process.env.API_BASE ?? "https://api.shop.internal",
  sentryDsn: process.env.SENTRY_DSN,
  mapsApiKey: process.env.MAPS_API_KEY,
  analyticsToken: "{plant("web/src/config.ts", g.s(32, "0123456789abcdef"))}",
  passwordMinLength: 12,
  passwordField: "password",
}};

export function authHeader(token: string): Record<string, string> {{
  return {{ Authorization: `Bearer ${{token}}` }};
}}
'''
    files["web/src/i18n/en.json"] = """{
  "login.password": "Password",
  "login.password_placeholder": "Enter your password",
  "login.forgot_password": "Forgot your password?",
  "settings.api_key": "API key",
  "settings.api_key_help": "Your API key is shown only once.",
  "errors.token_expired": "Your session token expired, please sign in again."
}
"""
    integrity = base64.b64encode(hashlib.sha512(b"left-pad").digest()).decode()
    files["web/package-lock.json"] = f"""{{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {{
    "node_modules/left-pad": {{
      "version": "1.3.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha512-{integrity}"
    }}
  }}
}}
"""
    files["web/.npmrc"] = f"""registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken={plant("web/.npmrc", g.crc_token("npm_"))}
save-exact=true
"""

    # --- infra -------------------------------------------------------------------
    files["infra/docker-compose.yml"] = f"""services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: {plant("infra/docker-compose.yml", g.human_password())}
      POSTGRES_DB: shop
  api:
    image: shop/api:latest
    environment:
      - DB_PASSWORD=${{DB_PASSWORD}}
      - REDIS_URL=redis://cache:6379
      - SESSION_SECRET=${{SESSION_SECRET:?set it}}
    ports:
      - "8080:8080"
"""
    files["infra/k8s/deployment.yaml"] = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: shop/api:1.4.2
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: api-db
                  key: password
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {name: api-token, key: token}
"""
    files["infra/k8s/secret.yaml"] = f"""apiVersion: v1
kind: Secret
metadata:
  name: api-db
type: Opaque
stringData:
  username: shop
  password: {plant("infra/k8s/secret.yaml", g.human_password())}
"""
    files["infra/terraform/main.tf"] = f'''resource "aws_db_instance" "shop" {{
  identifier        = "shop-prod"
  engine            = "postgres"
  username          = "shop"
  password          = var.db_password
  storage_encrypted = true
}}

resource "aws_iam_access_key" "deploy" {{
  user = aws_iam_user.deploy.name
}}

provider "aws" {{
  region     = "eu-west-1"
  access_key = "{plant("infra/terraform/main.tf", g.aws_key_id())}"
  secret_key = "{plant("infra/terraform/main.tf", g.aws_secret())}"
}}
'''
    files["infra/terraform/variables.tf"] = '''variable "db_password" {
  description = "Master password for the database"
  type        = string
  sensitive   = true
}
'''
    files["infra/cloudformation/db.yaml"] = """Resources:
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUsername: admin
      MasterUserPassword: '{{resolve:secretsmanager:shop/prod/db:SecretString:password}}'
  ApiKeyParam:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /shop/prod/api-key
      Value: !Ref ApiKeyValue
"""
    files["infra/ansible/group_vars/all.yml"] = """db_password: "{{ vault_db_password }}"
api_token: !vault |
          $ANSIBLE_VAULT;1.1;AES256
          62313365396662343061393464336163383764373764613633653634306231386433626436623361
admin_password: "{{ lookup('env', 'ADMIN_PASSWORD') }}"
"""
    files["infra/aws/credentials"] = f"""[default]
aws_access_key_id = {plant("infra/aws/credentials", g.aws_key_id())}
aws_secret_access_key = {plant("infra/aws/credentials", g.aws_secret())}

[docs]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
"""
    files["infra/keys/deploy_rsa"] = _pem(g)
    planted.append(("infra/keys/deploy_rsa", "<private key>"))

    # --- jobs: Java, Go, shell, CI ---------------------------------------------
    files["jobs/exporter/src/main/resources/application.properties"] = f"""spring.application.name=exporter
spring.datasource.url=jdbc:postgresql://db.internal:5432/exporter
spring.datasource.username=exporter
spring.datasource.password={plant("jobs/exporter/src/main/resources/application.properties", g.human_password())}
spring.jpa.hibernate.ddl-auto=validate
management.endpoints.web.exposure.include=health
security.password.min-length=10
"""
    files["jobs/exporter/src/main/java/shop/Exporter.java"] = f'''package shop;

public final class Exporter {{
    private static final String PASSWORD_PROPERTY = "spring.datasource.password";
    private static final String SLACK_WEBHOOK = "{plant("jobs/exporter/src/main/java/shop/Exporter.java", "https://hooks.slack.com/services/T" + g.s(8, string.ascii_uppercase + string.digits) + "/B" + g.s(8, string.ascii_uppercase + string.digits) + "/" + g.s(24))}";
    private final String apiKey = System.getenv("EXPORTER_API_KEY");

    String describe() {{
        return "password=" + mask(PASSWORD_PROPERTY);
    }}
}}
'''
    files["jobs/sync/main.go"] = f'''package main

import (
	"net/http"
	"os"
)

const githubToken = "{plant("jobs/sync/main.go", g.github())}"

var dbPassword = os.Getenv("DB_PASSWORD")

func client() *http.Client {{
	sha := "{g.hexs(40)}" // pinned commit
	_ = sha
	return &http.Client{{}}
}}
'''
    files["jobs/backup.sh"] = f"""#!/usr/bin/env bash
set -euo pipefail
export PGPASSWORD="${{PGPASSWORD:?}}"
mysqldump -h db.internal -u backup -p{plant("jobs/backup.sh", g.human_password())} shop > /backups/shop.sql
curl -fsS -H "Authorization: Bearer $BACKUP_TOKEN" https://backup.internal/api/v1/ping
aws s3 cp /backups/shop.sql s3://shop-backups/ --sse aws:kms
"""
    files[".github/workflows/ci.yml"] = f"""name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      SLACK_TOKEN: {plant(".github/workflows/ci.yml", g.slack_bot())}
      NPM_TOKEN: ${{{{ secrets.NPM_TOKEN }}}}
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""
    files["docs/setup.md"] = """# Setup

Set `DB_PASSWORD` in your environment, for example:

```sh
export DB_PASSWORD=<your-password>
psql "postgres://user:password@localhost/shop"
```

The API key looks like `sk_live_...`; never commit it. Example AWS key: `AKIAIOSFODNN7EXAMPLE`.
"""
    files["README.md"] = "# shop\n\nA monorepo. See docs/setup.md.\n"
    files["services/billing/migrations/0001_initial.sql"] = f"""CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT '{uuid.UUID(int=g.rng.getrandbits(128))}',
    password_hash text NOT NULL,
    api_key_id text
);
INSERT INTO users (id, password_hash) VALUES ('{uuid.UUID(int=g.rng.getrandbits(128))}', '$2b$12${g.s(53, ALNUM + "./")}');
"""
    files["web/src/styles.css"] = ".token { color: #ff5733; }\n.secret-banner { background: #0a0a0a; }\n"
    files["services/billing/fixtures/users.json"] = f"""[
  {{"id": "{uuid.UUID(int=g.rng.getrandbits(128))}", "email": "a@shop.test", "password": "pbkdf2_sha256$600000${g.s(22)}${g.s(43, ALNUM + "+/")}="}},
  {{"id": "{uuid.UUID(int=g.rng.getrandbits(128))}", "session_token_ttl": 3600, "api_key_prefix": "sk_live_"}}
]
"""
    _more(g, files, plant)
    for path, text in files.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return planted


def _more(g: Gen, files: dict[str, str], plant: Callable[[str, str], str]) -> None:
    """More languages and config formats, each with its own decoys."""
    files["dotnet/Api/appsettings.json"] = f"""{{
  "Logging": {{"LogLevel": {{"Default": "Information"}}}},
  "ConnectionStrings": {{
    "Orders": "Server=tcp:orders.database.windows.net,1433;Database=orders;User ID=orders_app;Password={plant("dotnet/Api/appsettings.json", g.human_password())};Encrypt=True;",
    "Reporting": "Server=reporting;Database=rpt;Integrated Security=True;"
  }},
  "Jwt": {{"Issuer": "https://auth.shop.internal", "Audience": "api", "SigningKey": "{plant("dotnet/Api/appsettings.json", g.s(44, ALNUM + "+/"))}"}},
  "FeatureManagement": {{"NewCheckout": true}}
}}
"""
    files["dotnet/Api/appsettings.Development.json"] = """{
  "ConnectionStrings": {"Orders": "Server=localhost;Database=orders;User ID=sa;Password=<YourStrong@Passw0rd>;"},
  "Jwt": {"SigningKey": "${JWT_SIGNING_KEY}"}
}
"""
    files["dotnet/Api/Services/MailService.cs"] = f"""using System.Net;
using System.Net.Mail;

namespace Shop.Api.Services;

public sealed class MailService
{{
    private const string SmtpHost = "smtp.mailgun.org";
    private const string PasswordResetTemplate = "password-reset";
    private readonly string _apiKey = Environment.GetEnvironmentVariable("MAIL_API_KEY");

    public SmtpClient Client() => new(SmtpHost, 587)
    {{
        Credentials = new NetworkCredential("postmaster@mg.shop.example", "{plant("dotnet/Api/Services/MailService.cs", g.human_password())}"),
        EnableSsl = true,
    }};
}}
"""
    files["rails/config/database.yml"] = f"""default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") {{ 5 }} %>

development:
  <<: *default
  database: shop_development

production:
  <<: *default
  database: shop_production
  username: shop
  password: {plant("rails/config/database.yml", g.human_password())}
"""
    files["rails/config/initializers/sidekiq.rb"] = f"""Sidekiq.configure_server do |config|
  config.redis = {{ url: ENV.fetch("REDIS_URL"), password: ENV["REDIS_PASSWORD"] }}
end

GITHUB_CLIENT_SECRET = "{plant("rails/config/initializers/sidekiq.rb", g.s(40, "0123456789abcdef"))}"
SECRET_TOKEN_LENGTH = 32
"""
    files["php/wp-config.php"] = f"""<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp' );
define( 'DB_PASSWORD', '{plant("php/wp-config.php", g.human_password())}' );
define( 'DB_HOST', 'localhost' );
define( 'WP_DEBUG', false );
$table_prefix = 'wp_';
"""
    files["php/src/Payment.php"] = """<?php
namespace Shop;

final class Payment
{
    public function __construct(private string $apiKey = '') {}

    public static function fromEnv(): self
    {
        return new self(getenv('PAYMENT_API_KEY') ?: '');
    }

    public function headers(): array
    {
        return ['Authorization' => 'Bearer ' . $this->apiKey, 'X-Request-Id' => bin2hex(random_bytes(8))];
    }
}
"""
    files["mobile/android/app/src/main/java/shop/ApiClient.kt"] = f"""package shop

object ApiClient {{
    private const val BASE_URL = "https://api.shop.internal"
    private const val MAPS_KEY = "AIza{g.s(35, ALNUM + "_-")}"
    val tokenHeader = "X-Auth-Token"
    fun authHeader(token: String) = "Bearer $token"
}}
"""
    # Android Maps keys ship inside apps, but an unrestricted one still leaks quota: planted
    plant("mobile/android/app/src/main/java/shop/ApiClient.kt", files["mobile/android/app/src/main/java/shop/ApiClient.kt"].split('MAPS_KEY = "')[1].split('"')[0])
    files["helm/shop/values.yaml"] = """replicaCount: 2
image:
  repository: shop/api
  tag: "1.4.2"
database:
  host: db.internal
  user: shop
  existingSecret: shop-db
  passwordKey: password
redis:
  auth:
    enabled: true
    password: ""
ingress:
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
"""
    files["helm/shop/templates/secret.yaml"] = """apiVersion: v1
kind: Secret
metadata:
  name: {{ include "shop.fullname" . }}
stringData:
  password: {{ .Values.database.password | quote }}
  apiKey: {{ required "apiKey is required" .Values.apiKey }}
"""
    files["terraform/envs/prod/terraform.tfvars"] = f"""region         = "eu-west-1"
instance_type  = "t3.large"
db_username    = "shop"
db_password    = "{plant("terraform/envs/prod/terraform.tfvars", g.human_password())}"
datadog_api_key = "{plant("terraform/envs/prod/terraform.tfvars", g.hexs(32))}"
tags = {{ team = "payments", cost_center = "cc-1234" }}
"""
    files["terraform/modules/db/main.tf"] = """data "aws_secretsmanager_secret_version" "db" {
  secret_id = "shop/prod/db"
}

locals {
  db_password = jsondecode(data.aws_secretsmanager_secret_version.db.secret_string)["password"]
}

resource "random_password" "master" {
  length  = 32
  special = true
}
"""
    files["notebooks/exploration.ipynb"] = f"""{{
 "cells": [
  {{
   "cell_type": "code",
   "execution_count": 3,
   "metadata": {{}},
   "outputs": [],
   "source": [
    "import openai\\n",
    "openai.api_key = \\"{plant("notebooks/exploration.ipynb", "sk-proj-" + g.s(74, ALNUM + "_-") + "T3BlbkFJ" + g.s(74, ALNUM + "_-"))}\\"\\n",
    "db_password = \\"{plant("notebooks/exploration.ipynb", g.human_password())}\\"\\n",
    "df = load(\\"s3://shop-data/orders.parquet\\")"
   ]
  }}
 ],
 "metadata": {{"kernelspec": {{"name": "python3", "display_name": "Python 3"}}}},
 "nbformat": 4,
 "nbformat_minor": 5
}}
"""
    files["scripts/seed_users.py"] = "\n".join([
        '"""Create demo users for local development."""',
        "import hashlib",
        "import secrets",
        "",
        "DEMO_PASSWORD_LENGTH = 16",
        'ADMIN_EMAIL = "admin@shop.internal"',
        "",
        "",
        "def make_password() -> str:",
        "    return secrets.token_urlsafe(DEMO_PASSWORD_LENGTH)",
        "",
        "",
        "def main() -> None:",
        f'    salt = "{g.hexs(32)}"',
        "    digest = hashlib.sha256((salt + make_password()).encode()).hexdigest()",
        '    print(f"created admin with password hash {digest}")',
        '    session_key = f"session:{ADMIN_EMAIL}"',
        '    cache_key = "user:%s:token" % ADMIN_EMAIL',
        "",
    ])
    files["scripts/release.sh"] = "\n".join([
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        'VERSION="$1"',
        'git tag "v$VERSION"',
        'twine upload --username __token__ --password "$PYPI_TOKEN" dist/*',
        f'curl -fsS -u "deploy:{plant("scripts/release.sh", g.human_password())}" -X POST https://artifacts.shop.internal/api/release/$VERSION',
        f'echo "released $VERSION (sha {g.hexs(40)})"',
        "",
    ])
    files["config/logging.ini"] = "\n".join([
        "[loggers]",
        "keys = root, shop",
        "",
        "[handler_file]",
        "class = FileHandler",
        "args = ('/var/log/shop/app.log', 'a')",
        "",
        "[formatter_json]",
        'format = {"time": "%(asctime)s", "level": "%(levelname)s", "token": "%(request_token)s"}',
        "",
    ])
    files["config/nginx.conf"] = "\n".join([
        "server {",
        "  listen 443 ssl;",
        "  ssl_certificate     /etc/ssl/certs/shop.crt;",
        "  ssl_certificate_key /etc/ssl/private/shop.key;",
        "  location /api/ {",
        "    proxy_set_header Authorization $http_authorization;",
        "    proxy_pass http://api:8080;",
        "  }",
        "}",
        "",
    ])
    files["web/src/api/client.test.ts"] = "\n".join([
        'import { describe, expect, it } from "vitest";',
        'import { authHeader } from "../config";',
        "",
        'describe("authHeader", () => {',
        '  it("uses the bearer scheme", () => {',
        '    const token = "test-token";',
        '    expect(authHeader(token)).toEqual({ Authorization: "Bearer test-token" });',
        "  });",
        '  it("never logs the password", () => {',
        '    const password = "correct horse battery staple";',
        "    expect(password.length).toBeGreaterThan(8);",
        "  });",
        "});",
        "",
    ])
    files["docs/api.md"] = "\n".join([
        "# API",
        "",
        "Authenticate with a bearer token:",
        "",
        "```http",
        "GET /v1/orders HTTP/1.1",
        "Authorization: Bearer <your-token>",
        "```",
        "",
        "Webhook signatures use HMAC-SHA256 with the `whsec_...` secret from the dashboard.",
        f"Request ids look like `req_{g.s(14)}`; order ids like `ord_{g.s(14)}`.",
        "",
    ])
