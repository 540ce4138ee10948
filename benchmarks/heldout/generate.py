"""Generate the held-out labelled corpus (see README.md in this directory).

    python3 benchmarks/heldout/generate.py OUT_DIR [--seed N]

writes OUT_DIR/corpus/{a_tokens,b_config,c_credfiles,d_decoys}/... and OUT_DIR/manifest.json
(paths relative to OUT_DIR/corpus):

    {"seed": N, "labels": [{"file": "a_tokens/...", "line": 3, "end_line": 3,
                            "part": "a", "kind": "github-classic", "expected": "secret"}, ...]}

``expected`` is ``secret`` (a finding on any line line..end_line is a true positive; no
finding there is a miss), ``not-secret`` (a finding there is a false positive) or ``neutral``
(an identifier that travels with a secret, such as an access key id: ignored either way).
Every line that carries no label is not a secret either: a finding on it is a false positive.

Written without looking at leakguard's rules, filters or corpora (held out on purpose).
The output is deterministic for a given seed; nothing generated is committed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import sys
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokens as T  # noqa: E402
from tokens import ALNUM, DIG, HEX, HEXU, LO, UP, URLSAFE, rs, ruuid  # noqa: E402


# ----------------------------------------------------------------------------- corpus model
@dataclass
class Line:
    text: str  # may hold "\n" (a multi-line value: the label spans all of its lines)
    expected: str | None = None  # secret / not-secret / neutral / None (implicitly not-secret)
    kind: str = ""
    form: str = ""  # the syntax / position the value sits in (part a: the carrier)


@dataclass
class Corpus:
    files: dict[str, tuple[str, list[Line]]] = field(default_factory=dict)

    def add(self, part: str, path: str, lines: list[Line | str]) -> None:
        full = f"{part_dir(part)}/{path}"
        while full in self.files:
            root, ext = os.path.splitext(full)
            full = root + "_2" + ext
        self.files[full] = (part, [x if isinstance(x, Line) else Line(x) for x in lines])

    def write(self, out: str, seed: int) -> dict:
        labels = []
        for path, (part, lines) in sorted(self.files.items()):
            dest = os.path.join(out, "corpus", path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            n = 1
            chunks = []
            for ln in lines:
                k = ln.text.count("\n")
                if ln.expected:
                    labels.append({"file": path, "line": n, "end_line": n + k, "part": part,
                                   "kind": ln.kind, "form": ln.form, "expected": ln.expected})
                chunks.append(ln.text)
                n += k + 1
            with open(dest, "w", encoding="utf-8", newline="\n") as f:
                f.write("\n".join(chunks) + "\n")
        files = {p: {"part": part, "lines": sum(x.text.count("\n") + 1 for x in ls)}
                 for p, (part, ls) in sorted(self.files.items())}
        man = {"seed": seed, "files": files, "labels": labels}
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1)
        return man


def part_dir(part: str) -> str:
    return {"a": "a_tokens", "b": "b_config", "c": "c_credfiles", "d": "d_decoys"}[part]


def S(text: str, kind: str) -> Line:
    return Line(text, "secret", kind)


def NS(text: str, kind: str = "decoy") -> Line:
    return Line(text, "not-secret", kind)


def NEU(text: str, kind: str = "identifier") -> Line:
    return Line(text, "neutral", kind)


def camel(var: str) -> str:
    parts = var.lower().split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


def pascal(var: str) -> str:
    return "".join(p.title() for p in var.lower().split("_"))


# ----------------------------------------------------------------------------- (a) provider tokens
FILLER = [
    ("LOG_LEVEL", lambda r: r.choice(["info", "debug", "warn"])),
    ("PORT", lambda r: str(r.choice([3000, 8080, 8000, 5000]))),
    ("REGION", lambda r: r.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])),
    ("BUILD_SHA", lambda r: rs(r, HEX, 40)),
    ("REQUEST_TIMEOUT_MS", lambda r: str(r.randrange(1000, 30000))),
    ("TENANT_ID", ruuid),
    ("FEATURE_FLAGS", lambda r: ",".join(r.sample(["beta-ui", "fast-path", "audit", "sso"], 2))),
    ("CACHE_KEY_PREFIX", lambda r: "app:" + rs(r, LO, 5) + ":"),
    ("IMAGE_DIGEST", lambda r: "sha256:" + rs(r, HEX, 64)),
    ("PUBLIC_URL", lambda r: f"https://{rs(r, LO, 6)}.example.net"),
    ("TRACE_SAMPLE_RATE", lambda r: "0." + str(r.randrange(1, 99))),
    ("SERVICE_NAME", lambda r: r.choice(["billing", "checkout", "search", "notifier"])),
]


def carrier_lines(carrier: str, var: str, value: str, lab: str, kind: str) -> list[Line]:
    """The line(s) for one assignment in a given file syntax; the labelled line holds the value."""
    mk = (lambda t: Line(t, lab, kind, carrier)) if lab else (lambda t: Line(t))
    low = var.lower()
    if carrier == "env":
        return [mk(f"{var}={value}")]
    if carrier == "yaml":
        return [mk(f"  {low}: {value}" if ":" not in value and "#" not in value else f'  {low}: "{value}"')]
    if carrier == "json":
        return [mk(f'    "{camel(var)}": "{value}",')]
    if carrier == "py":
        return [mk(f'{var} = "{value}"')]
    if carrier == "js":
        return [mk(f"  {camel(var)}: '{value}',")]
    if carrier == "ts":
        return [mk(f'export const {var} = "{value}";')]
    if carrier == "go":
        return [mk(f'\t{camel(var)} = "{value}"')]
    if carrier == "java":
        return [mk(f'    private static final String {var} = "{value}";')]
    if carrier == "rb":
        return [mk(f"  config.{low} = '{value}'")]
    if carrier == "php":
        return [mk(f"    '{low}' => '{value}',")]
    if carrier == "cs":
        return [mk(f'        private const string {pascal(var)} = "{value}";')]
    if carrier == "sh":
        return [mk(f'export {var}="{value}"')]
    if carrier == "gha":
        return [mk(f"      {var}: {value}" if ":" not in value else f"      {var}: '{value}'")]
    if carrier == "gitlab":
        return [mk(f'  {var}: "{value}"')]
    if carrier == "docker":
        return [mk(f"ENV {var}={value}")]
    if carrier == "tf":
        return [mk(f'  {low} = "{value}"')]
    if carrier == "toml":
        return [mk(f'{low} = "{value}"')]
    if carrier == "properties":
        return [mk(f"app.{low.replace('_', '.')}={value}")]
    if carrier == "ipynb":
        return [mk(f'    "os.environ[\\"{var}\\"] = \\"{value}\\"\\n",')]
    if carrier == "log":
        return [mk(f"2024-03-{10 + len(var) % 18:02d}T08:{len(value) % 60:02d}:11.204Z DEBUG client.init "
                   f"provider={var.split('_')[0].lower()} {low}={value} retries=3")]
    if carrier == "curl":
        return [mk(f'curl -sS -H "Authorization: Bearer {value}" https://api.{var.split("_")[0].lower()}.example/v1/me')]
    raise ValueError(carrier)


CARRIER_FILES = {
    # carrier: (path template, header lines, footer lines)
    "env": ("services/{n}/.env", [], []),
    "yaml": ("services/{n}/config/secrets.yaml", ["{n}:", "  enabled: true"], []),
    "json": ("services/{n}/config/credentials.json", ["{", '  "service": {', '    "name": "{n}",'],
             ['    "retries": 3', "  }", "}"]),
    "py": ("services/{n}/settings_local.py", ["import os", "", "DEBUG = False"], []),
    "js": ("web/{n}/src/config.js", ["'use strict';", "", "module.exports = {"], ["  timeoutMs: 5000,", "};"]),
    "ts": ("web/{n}/src/keys.ts", ["// integration settings"], []),
    "go": ("go/{n}/internal/config/keys.go", ["package config", "", "const ("], [")"]),
    "java": ("java/{n}/src/main/java/com/acme/Keys.java", ["package com.acme;", "", "public final class Keys {"], ["}"]),
    "rb": ("ruby/{n}/config/initializers/integrations.rb", ["Rails.application.configure do |config|"], ["end"]),
    "php": ("php/{n}/config/services.php", ["<?php", "", "return ["], ["];"]),
    "cs": ("dotnet/{n}/src/Secrets.cs", ["namespace Acme.Integrations", "{", "    public static class Secrets", "    {"], ["    }", "}"]),
    "sh": ("ops/{n}/deploy.sh", ["#!/usr/bin/env bash", "set -euo pipefail"], ['./bin/deploy --env production "$@"']),
    "gha": (".github/workflows/{n}.yml", ["name: {n}", "on: [push]", "jobs:", "  deploy:", "    runs-on: ubuntu-latest", "    env:"],
            ["    steps:", "      - uses: actions/checkout@v4", "      - run: make deploy"]),
    "gitlab": ("ci/{n}/.gitlab-ci.yml", ["stages: [build, deploy]", "variables:"], ["deploy:", "  stage: deploy", "  script:", "    - make deploy"]),
    "docker": ("docker/{n}/Dockerfile", ["FROM python:3.12-slim", "WORKDIR /app"], ["COPY . .", 'CMD ["python", "-m", "app"]']),
    "tf": ("infra/{n}/providers.tf", ['module "integrations" {', '  source = "./modules/integrations"'], ["}"]),
    "toml": ("services/{n}/config.toml", ["[integrations]"], []),
    "properties": ("java/{n}/src/main/resources/application.properties", ["server.port=8080"], []),
    "ipynb": ("notebooks/{n}.ipynb", ["{", ' "cells": [', "  {", '   "cell_type": "code",', '   "metadata": {},', '   "source": [', '    "import os\\n",'],
              ['    "client = make_client()"', "   ]", "  }", " ],", ' "nbformat": 4,', ' "nbformat_minor": 5', "}"]),
    "log": ("logs/{n}.log", ["2024-03-10T08:00:00.001Z INFO boot: starting worker pid=4121"], ["2024-03-10T08:59:59.999Z INFO shutdown complete"]),
    "curl": ("scripts/{n}-smoke.sh", ["#!/bin/sh", "# smoke test against the live API"], []),
}
NAME_POOL = ["billing", "checkout", "search", "notifier", "ledger", "gateway", "catalog", "auth", "reports",
             "ingest", "media", "scheduler", "export", "crm", "analytics", "payments", "mailer", "webhooks",
             "inventory", "shipping"]


def filler_line(r: random.Random, carrier: str) -> Line:
    var, g = r.choice(FILLER)
    ls = carrier_lines(carrier, var, g(r), "", "")
    return ls[0]


CONTEXT_FILES = {
    "nested-yaml": ("services/{n}/config/integrations.yaml", ["integrations:"], []),
    "nested-json": ("services/{n}/config/integrations.json", ["{", '  "integrations": {'], ['    "_": {}', "  }", "}"]),
    "py-kwarg": ("services/{n}/app/clients.py", ["from acme import clients", ""], []),
    "js-ctor": ("web/{n}/src/clients.js", ["import * as sdk from './sdk';", ""], []),
    "md": ("docs/{n}-runbook.md", ["# {n} runbook", "", "Credentials used by the staging smoke tests:", ""], []),
    "query": ("logs/{n}-http.log", ["2024-03-10T08:00:00.001Z INFO http client ready"], []),
}


def context_group(r: random.Random, carrier: str, prov: str, items: list) -> list[Line]:
    parent = prov.split("-")[0]
    Parent = parent.title()

    def field(var: str) -> str:
        segs = var.lower().split("_")
        return "_".join(segs[1:]) if len(segs) > 1 else segs[0]

    vals = [(field(v), g(r), e) for v, g, e in items]
    L = lambda t, e: Line(t, e, prov, carrier)  # noqa: E731
    if carrier == "nested-yaml":
        return [Line(f"  {parent}:")] + [L(f'    {f}: "{v}"' if ":" in v or "#" in v else f"    {f}: {v}", e) for f, v, e in vals]
    if carrier == "nested-json":
        return ([Line(f'    "{parent}": {{')] + [L(f'      "{camel(f)}": "{v}"' + ("," if i < len(vals) - 1 else ""), e)
                                                  for i, (f, v, e) in enumerate(vals)] + [Line("    },")])
    if carrier == "py-kwarg":
        return ([Line(f"{parent}_client = clients.{Parent}Client(")] + [L(f'    {f}="{v}",', e) for f, v, e in vals]
                + [Line(")"), Line("")])
    if carrier == "js-ctor":
        return ([Line(f"export const {parent}Client = new sdk.{Parent}Client({{")]
                + [L(f"  {camel(f)}: '{v}',", e) for f, v, e in vals] + [Line("});"), Line("")])
    if carrier == "md":
        return [L(f"- {Parent} `{f}` (staging): `{v}`", e) for f, v, e in vals]
    if carrier == "query":
        f, v, e = [x for x in vals if x[2] == "secret"][-1]
        return [L(f"2024-03-10T08:{r.randrange(60):02d}:{r.randrange(60):02d}.{r.randrange(1000):03d}Z INFO GET "
                  f"https://api.{parent}.example.com/v1/export?{f}={urlq(v)}&format=csv status=200", "secret")]
    raise ValueError(carrier)


def part_a(c: Corpus, r: random.Random) -> None:
    carriers = list(CARRIER_FILES)
    weights = {"env": 5, "yaml": 4, "json": 3, "py": 3, "js": 3, "ts": 2, "go": 2, "java": 2, "rb": 2, "php": 2,
               "cs": 2, "sh": 3, "gha": 3, "gitlab": 2, "docker": 2, "tf": 2, "toml": 2, "properties": 2,
               "ipynb": 2, "log": 2, "curl": 1}
    entries: dict[str, list[list[Line]]] = {k: [] for k in carriers}
    for prov, items in T.PROVIDERS:
        used: set[str] = set()
        for _ in range(2):  # two independent instances per provider, in two different syntaxes
            carrier = r.choices(carriers, weights=[weights[k] for k in carriers])[0]
            while carrier in used:
                carrier = r.choices(carriers, weights=[weights[k] for k in carriers])[0]
            used.add(carrier)
            if carrier == "curl":
                # a bearer header only makes sense for a single-value credential
                secret_items = [it for it in items if it[2] == "secret"]
                var, g, _ = secret_items[-1]
                entries[carrier].append(carrier_lines(carrier, var, g(r), "secret", prov))
                continue
            group = []
            for var, g, exp in items:
                group += carrier_lines(carrier, var, g(r), exp, prov)
            entries[carrier].append(group)
        # a third instance where the name alone does not say which provider: a nested key,
        # a client constructor argument, a runbook, a query string
        carrier = r.choice(list(CONTEXT_FILES))
        entries.setdefault(carrier, []).append(context_group(r, carrier, prov, items))
    # bundle ~6 providers per file, with ordinary settings in between
    for carrier, groups in entries.items():
        r.shuffle(groups)
        tmpl, head, foot = CARRIER_FILES.get(carrier) or CONTEXT_FILES[carrier]
        for i in range(0, len(groups), 6):
            name = NAME_POOL[(i // 6) % len(NAME_POOL)] + ("" if i < 6 * len(NAME_POOL) else str(i))
            body: list[Line] = []
            for grp in groups[i:i + 6]:
                if carrier in CARRIER_FILES and carrier not in ("curl", "log", "ipynb") and r.random() < 0.7:
                    body.append(filler_line(r, carrier))
                body += grp
            c.add("a", tmpl.replace("{n}", name), [h.replace("{n}", name) for h in head] + body + [f.replace("{n}", name) for f in foot])
    # private keys and key files in realistic places
    for i, (label_fn, kind, path) in enumerate([
        (T.rsa_pem, "rsa-private-key", "services/github-app/keys/app.private-key.pem"),
        (T.ec_pem, "ec-private-key", "ios/AuthKey_{}.p8"),
        (T.pkcs8_pem, "pkcs8-private-key", "services/auth/certs/server.key"),
        (T.openssh_pem, "openssh-private-key", "deploy/keys/deploy_key"),
    ]):
        key = label_fn(r)
        c.add("a", path.format(rs(r, UP + DIG, 10)), [S(key, kind)])
    # a GCP service-account JSON (private key escaped on one line)
    pk = T.pkcs8_pem(r).replace("\n", "\\n") + "\\n"
    proj = "acme-" + rs(r, LO, 6)
    c.add("a", "services/ingest/gcp-service-account.json", [
        "{", '  "type": "service_account",', f'  "project_id": "{proj}",',
        NEU(f'  "private_key_id": "{rs(r, HEX, 40)}",'), S(f'  "private_key": "{pk}",', "gcp-service-account"),
        f'  "client_email": "ingest@{proj}.iam.gserviceaccount.com",', f'  "client_id": "{rs(r, DIG, 21)}",',
        '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",',
        '  "token_uri": "https://oauth2.googleapis.com/token"', "}"])
    # a PEM in a YAML block scalar and in a Python triple-quoted string
    key = T.rsa_pem(r)
    c.add("a", "deploy/helm/tls-values.yaml", ["tls:", "  enabled: true", "  key: |",
                                                 S("\n".join("    " + x for x in key.splitlines()), "rsa-private-key-yaml"),
                                                 "  secretName: web-tls"])
    key = T.ec_pem(r)
    c.add("a", "services/signer/keys.py", ["SIGNING_KEY = \"\"\"", S(key, "ec-private-key-py"), "\"\"\"", "", "ALGORITHM = \"ES256\""])


# ----------------------------------------------------------------------------- passwords
WORDS = ["summer", "winter", "dragon", "monkey", "sunshine", "shadow", "master", "football", "welcome", "tiger",
         "orange", "purple", "coffee", "rocket", "falcon", "secret", "admin", "jordan", "maple", "silver", "banana",
         "ocean", "thunder", "galaxy", "pepper", "ginger", "hunter", "lemon", "canyon", "harbor"]


def strong_pw(r: random.Random) -> str:
    return rs(r, ALNUM + "!@#%^*-_+=", r.randrange(14, 28))


def weak_pw(r: random.Random) -> tuple[str, str]:
    w = r.choice(WORDS)
    k = r.randrange(9)
    if k == 0:
        return w.title() + str(r.randrange(2015, 2026)) + r.choice("!#$"), "weak-word-year"
    if k == 1:
        return w + str(r.randrange(100, 999)), "weak-word-digits"
    if k == 2:
        return r.choice(["Passw0rd!", "P@ssw0rd1", "pass123", "passw0rd", "Pa55word", "mysecretpass", "letmein1",
                         "qwerty123", "admin123", "root1234", "hunter2", "welcome1"]), "weak-common"
    if k == 3:
        return " ".join(r.sample(WORDS, 4)), "passphrase-spaces"
    if k == 4:
        return f"{w}.{r.choice(WORDS)}-{r.randrange(10, 99)}", "dots-dashes"
    if k == 5:
        return rs(r, UP + LO, r.randrange(12, 20)), "letters-only-random"
    if k == 6:
        return r.choice(WORDS).title() + r.choice(WORDS).title() + r.choice("!?.#"), "two-words"
    if k == 7:
        return "D1fficult" + r.choice(["P@ss", "Pass", "Pwd"]) + str(r.randrange(10, 99)), "contains-pass"
    return str(r.randrange(10**7, 10**9)), "digits-only"


def pw(r: random.Random) -> tuple[str, str]:
    return (strong_pw(r), "strong-random") if r.random() < 0.45 else weak_pw(r)


def urlq(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


def safe_url_pw(r: random.Random) -> tuple[str, str]:
    """A password that is used inside a URL: either URL-safe or percent-encoded."""
    p, k = pw(r)
    if any(ch in p for ch in "@:/?#% "):
        return urlq(p), k + "+percent-encoded"
    return p, k


# ----------------------------------------------------------------------------- (b) monorepo config
PLACEHOLDERS_B = [
    ("${DB_PASSWORD}", "env-reference"), ("{{ .Values.postgresql.password }}", "helm-template"),
    ("changeme", "placeholder"), ("<password>", "placeholder"), ("your_password_here", "placeholder"),
    ("REPLACE_ME", "placeholder"), ("xxxxxxxx", "placeholder"), ("********", "mask"),
    ("{{ vault_db_password }}", "ansible-var"), ("%(db_password)s", "interpolation"),
    ("ENC[AES256_GCM,data:{d},iv:{iv},tag:{t},type:str]", "sops"), ("$__env{PG_PASS}", "grafana-env"),
    ("{{resolve:secretsmanager:prod/app/db:SecretString:password}}", "cfn-dynamic-reference"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", "secrets-manager-arn"),
    ("vault:secret/data/app#db_password", "vault-reference"), ("", "empty"), ("null", "null"),
    ("TODO", "placeholder"), ("${{ secrets.DB_PASSWORD }}", "gha-secret-ref"), ("$(DB_PASSWORD)", "azure-pipelines-var"),
]


def placeholder(r: random.Random) -> tuple[str, str]:
    v, k = r.choice(PLACEHOLDERS_B)
    if k == "sops":
        v = v.format(d=T.b64bytes(r, 18), iv=T.b64bytes(r, 32), t=T.b64bytes(r, 16))
    return v, k


def envq(v: str) -> str:
    """Quote a dotenv value the way people do when it holds spaces or shell characters."""
    return f'"{v}"' if any(ch in v for ch in " #$&*;!?()") else v


def part_b(c: Corpus, r: random.Random) -> None:
    apps = ["orders", "users", "billing", "catalog", "search", "notify", "reporting", "admin", "edge", "worker",
            "ledger", "identity"]
    for app in apps:
        host = f"{app}-db.internal.{r.choice(['acme.io', 'corp.local', 'example.com', 'prod.svc.cluster.local'])}"
        user = app + "_svc"
        # .env.production
        lines: list[Line | str] = [f"APP_NAME={app}", "NODE_ENV=production", f"DB_HOST={host}", f"DB_USER={user}"]
        p, k = pw(r)
        lines.append(S(f"DB_PASSWORD={envq(p)}", "env-" + k))
        p, k = safe_url_pw(r)
        lines.append(S(f"DATABASE_URL=postgres://{user}:{p}@{host}:5432/{app}", "postgres-url-" + k))
        p, k = safe_url_pw(r)
        lines.append(S(f"REDIS_URL=redis://:{p}@{app}-cache:6379/0", "redis-url-" + k))
        v, k = placeholder(r)
        lines.append(NS(f"SMTP_PASSWORD={v}", "placeholder-" + k))
        lines.append(f"SESSION_TTL={r.randrange(600, 86400)}")
        p, k = pw(r)
        lines.append(S(f"ADMIN_PASSWORD={envq(p)}", "env-" + k))
        c.add("b", f"apps/{app}/.env.production", lines)
        # docker-compose
        p1, k1 = pw(r)
        p2, k2 = pw(r)
        v, kv = placeholder(r)
        c.add("b", f"apps/{app}/docker-compose.yml", [
            "services:", "  db:", "    image: postgres:16", "    environment:", f"      POSTGRES_USER: {user}",
            S(f"      POSTGRES_PASSWORD: '{p1}'", "compose-" + k1), f"      POSTGRES_DB: {app}",
            "  cache:", "    image: redis:7", S(f'    command: ["redis-server", "--requirepass", "{p2}"]', "compose-command-" + k2),
            "  app:", f"    build: ./{app}", "    environment:",
            NS(f"      DB_PASSWORD: \"{v}\"", "placeholder-" + kv), "      DB_PASSWORD_FILE: /run/secrets/db_password",
            "    secrets: [db_password]"])
    # Spring Boot
    p, k = pw(r)
    p2, k2 = safe_url_pw(r)
    c.add("b", "apps/orders/src/main/resources/application-prod.yml", [
        "spring:", "  datasource:", "    url: jdbc:postgresql://orders-db:5432/orders", "    username: orders",
        S(f"    password: '{p}'", "spring-yaml-" + k), "  rabbitmq:", "    host: mq", "    username: orders",
        S(f"    password: {strong_pw(r)}", "spring-rabbit-strong-random"),
        "  security:", "    user:", "      name: actuator", NS("      password: ${ACTUATOR_PASSWORD}", "env-reference"),
        "management:", "  endpoints:", "    web:", "      exposure:", "        include: health",
        "security:", "  password-policy:", "    min-length: 12", NS("    password-reset-token-ttl: 3600", "field-name"),
        S(f"app.mongo.uri: mongodb+srv://orders:{p2}@cluster0.{rs(r, LO + DIG, 5)}.mongodb.net/orders?retryWrites=true&w=majority", "mongodb-srv-" + k2)])
    p, k = pw(r)
    c.add("b", "apps/users/src/main/resources/application.properties", [
        "spring.application.name=users", "spring.datasource.url=jdbc:mysql://users-db:3306/users?useSSL=true",
        "spring.datasource.username=users", S(f"spring.datasource.password={p}", "spring-properties-" + k),
        NS("spring.mail.password=${MAIL_PASSWORD}", "env-reference"), "spring.jpa.hibernate.ddl-auto=validate",
        S(f"ldap.bind.password={pw(r)[0]}", "ldap-bind"), "ldap.bind.dn=cn=svc-users,ou=services,dc=acme,dc=io",
        S(f"spring.datasource.reporting.url=jdbc:sqlserver://mssql.acme.io:1433;databaseName=reports;user=rpt;password={strong_pw(r).replace(';', '')};encrypt=true", "jdbc-sqlserver"),
        S(f"legacy.oracle.url=jdbc:oracle:thin:scott/{rs(r, ALNUM, 12)}@//ora.acme.io:1521/ORCL", "jdbc-oracle"),
        S(f"analytics.jdbc=jdbc:postgresql://pg.acme.io:5432/stats?user=stats&password={rs(r, ALNUM, 16)}&ssl=true", "jdbc-postgres-param"),
        NS("password.hash.algorithm=bcrypt", "field-name"), NS("spring.security.oauth2.client.registration.okta.client-secret={cipher}" + rs(r, HEX, 96), "spring-cloud-config-cipher")])
    # Django
    p, k = pw(r)
    c.add("b", "apps/reporting/reporting/settings/production.py", [
        "import os", "", "DEBUG = False", "DATABASES = {", "    'default': {", "        'ENGINE': 'django.db.backends.postgresql',",
        "        'NAME': 'reporting',", "        'USER': 'reporting',", S(f"        'PASSWORD': '{p}',", "django-" + k),
        "        'HOST': 'reporting-db',", "    },", "    'replica': {", "        'ENGINE': 'django.db.backends.postgresql',",
        NS("        'PASSWORD': os.environ['REPLICA_DB_PASSWORD'],", "env-reference"), "    },", "}",
        S(f"SECRET_KEY = '{rs(r, LO + DIG + '!@#$%^&*(-_=+)', 50)}'", "django-secret-key"),
        S(f"EMAIL_HOST_PASSWORD = '{weak_pw(r)[0]}'", "django-email-weak"),
        "AUTH_PASSWORD_VALIDATORS = [", NS("    {'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator'},", "field-name"), "]",
        "PASSWORD_HASHERS = ['django.contrib.auth.hashers.Argon2PasswordHasher']"])
    # Rails
    c.add("b", "apps/admin/config/database.yml", [
        "default: &default", "  adapter: postgresql", "  pool: 5", "", "development:", "  <<: *default", "  database: admin_dev",
        "  username: admin", NS("  password: <%= ENV['DEV_DB_PASSWORD'] %>", "erb-env"), "", "production:", "  <<: *default",
        "  database: admin_prod", "  username: admin_prod", S(f"  password: {weak_pw(r)[0]}", "rails-weak"),
        "  host: admin-db.acme.io"])
    # PHP / WordPress / Laravel
    c.add("b", "apps/edge/wordpress/wp-config.php", [
        "<?php", "define( 'DB_NAME', 'wordpress' );", "define( 'DB_USER', 'wp' );",
        S(f"define( 'DB_PASSWORD', '{pw(r)[0].replace(chr(39), '')}' );", "wp-config"), "define( 'DB_HOST', 'edge-db' );",
        S(f"define( 'AUTH_KEY',         '{rs(r, ALNUM + '!@#%^&*()-_[]{}<>~+=,.;:/?|', 64)}' );", "wp-salt"),
        S(f"define( 'SECURE_AUTH_SALT', '{rs(r, ALNUM + '!@#%^&*()-_[]{}<>~+=,.;:/?|', 64)}' );", "wp-salt"),
        "$table_prefix = 'wp_';"])
    p, k = pw(r)
    c.add("b", "apps/notify/app/Services/Mailer.php", [
        "<?php", "namespace App\\Services;", "", "class Mailer", "{", "    public function connect(): \\PDO", "    {",
        S(f"        return new \\PDO('mysql:host=notify-db;dbname=notify', 'notify', '{p}');", "php-pdo-positional-" + k),
        "    }", "}"])
    # .NET
    p, k = pw(r)
    c.add("b", "apps/billing/src/Billing.Api/appsettings.Production.json", [
        "{", '  "ConnectionStrings": {',
        S(f'    "Billing": "Server=tcp:billing-sql.database.windows.net,1433;Initial Catalog=billing;User ID=billing;Password={p.replace(";", "")};Encrypt=True;",', "adonet-" + k),
        S(f'    "Legacy": "Driver={{ODBC Driver 18 for SQL Server}};Server=legacy;Database=ar;UID=ar;PWD={rs(r, ALNUM, 14)};",', "odbc"),
        S(f'    "Archive": "Provider=SQLOLEDB;Data Source=archive;Initial Catalog=old;User Id=arch;Password={weak_pw(r)[0].replace(" ", "")};"', "oledb"),
        "  },", '  "Logging": { "LogLevel": { "Default": "Warning" } },',
        NS('  "SmtpPassword": "",', "empty"), '  "AllowedHosts": "*"', "}"])
    c.add("b", "apps/billing/src/Billing.Api/Data/LegacyDb.cs", [
        "using System.Data.SqlClient;", "namespace Billing.Api.Data", "{", "    public static class LegacyDb", "    {",
        S(f'        public static SqlConnection Open() => new SqlConnection("Data Source=legacy;User Id=sa;Password={weak_pw(r)[0].replace(" ", "")};");', "csharp-sqlconnection"),
        "    }", "}"])
    # Node / Go / Java / Python / Ruby positional and object forms
    c.add("b", "apps/catalog/src/db.js", [
        "const mysql = require('mysql2/promise');", "", "export const pool = mysql.createPool({", "  host: 'catalog-db',",
        "  user: 'catalog',", S(f"  password: '{pw(r)[0].replace(chr(39), '')}',", "js-object"), "  database: 'catalog',", "});",
        S(f"const mongo = new MongoClient('mongodb://catalog:{safe_url_pw(r)[0]}@mongo-0:27017,mongo-1:27017/catalog?replicaSet=rs0');", "mongodb-multihost"),
        NS("const apiPassword = process.env.CATALOG_API_PASSWORD;", "env-reference")])
    c.add("b", "apps/search/internal/store/store.go", [
        "package store", "", "import \"database/sql\"", "", "func Open() (*sql.DB, error) {",
        S(f'\treturn sql.Open("mysql", "search:{rs(r, ALNUM, 16)}@tcp(search-db:3306)/search?parseTime=true")', "go-mysql-dsn"), "}", "",
        "func Cache() *redis.Client {",
        S(f'\treturn redis.NewClient(&redis.Options{{Addr: "search-cache:6379", Password: "{weak_pw(r)[0]}"}})', "go-redis-options"), "}"])
    c.add("b", "apps/ledger/src/main/java/com/acme/ledger/Db.java", [
        "package com.acme.ledger;", "import java.sql.*;", "public class Db {",
        "    public static Connection open() throws SQLException {",
        S(f'        return DriverManager.getConnection("jdbc:postgresql://ledger-db:5432/ledger", "ledger", "{pw(r)[0].replace(chr(34), "")}");', "java-getconnection-positional"),
        "    }", "}"])
    c.add("b", "apps/worker/worker/db.py", [
        "import psycopg2", "import redis", "",
        S(f"conn = psycopg2.connect(host='worker-db', dbname='jobs', user='worker', password='{weak_pw(r)[0]}')", "py-kwarg"),
        S(f"cache = redis.Redis(host='worker-cache', port=6379, password='{rs(r, ALNUM, 20)}')", "py-redis"),
        S(f"engine = create_engine('mysql+pymysql://worker:{safe_url_pw(r)[0]}@worker-mysql/jobs')", "sqlalchemy-url"),
        NS("password = os.getenv('WORKER_DB_PASSWORD')", "env-reference")])
    c.add("b", "apps/identity/lib/identity/ldap.rb", [
        "require 'net/ldap'", "module Identity", "  def self.ldap", "    Net::LDAP.new(host: 'ldap.acme.io', port: 636,",
        S(f"      auth: {{ method: :simple, username: 'cn=svc,dc=acme,dc=io', password: '{pw(r)[0].replace(chr(39), '')}' }})", "ruby-ldap-bind"),
        "  end", "end"])
    # shell / Makefile / Dockerfile flags
    c.add("b", "ops/scripts/backup.sh", [
        "#!/usr/bin/env bash", "set -e",
        S(f"PGPASSWORD='{weak_pw(r)[0]}' pg_dump -h ledger-db -U ledger ledger > /backup/ledger.sql", "shell-pgpassword"),
        S(f"mysqldump -u root -p{rs(r, ALNUM, 12)} --all-databases > /backup/all.sql", "shell-mysql-p"),
        S(f"redis-cli -h cache -a '{pw(r)[0].replace(chr(39), '')}' BGSAVE", "shell-redis-cli-a"),
        S(f"curl -u deploy:{rs(r, ALNUM, 18)} https://nexus.acme.io/repository/raw/backup.tgz -T /backup/all.tgz", "curl-basic-u"),
        S(f"sshpass -p '{weak_pw(r)[0]}' scp /backup/all.tgz ops@vault-host:/srv/", "sshpass"),
        NS('mysql -u root -p"$MYSQL_ROOT_PASSWORD" -e "select 1"', "env-reference")])
    c.add("b", "ops/Makefile", [
        ".PHONY: migrate seed", "migrate:",
        S(f"\tflyway -url=jdbc:postgresql://db:5432/app -user=app -password={rs(r, ALNUM, 14)} migrate", "makefile-flag"),
        "seed:", S(f"\tpsql \"postgresql://app:{safe_url_pw(r)[0]}@db:5432/app\" -f seed.sql", "makefile-url"),
        "login:", NS("\tdocker login -u ci -p $$REGISTRY_PASSWORD registry.acme.io", "env-reference")])
    c.add("b", "apps/edge/Dockerfile", [
        "FROM nginx:1.27", S(f"ENV BASIC_AUTH_PASSWORD={weak_pw(r)[0].replace(' ', '')}", "dockerfile-env"),
        S(f"RUN htpasswd -bc /etc/nginx/.htpasswd admin {rs(r, ALNUM, 12)}", "dockerfile-htpasswd-b"),
        "COPY nginx.conf /etc/nginx/nginx.conf"])
    # server directives
    c.add("b", "infra/redis/redis.conf", ["bind 0.0.0.0", "port 6379", S(f"requirepass {pw(r)[0].replace(' ', '')}", "redis-requirepass"),
                                          S(f"masterauth {rs(r, ALNUM, 24)}", "redis-masterauth"), "maxmemory 2gb"])
    c.add("b", "infra/rabbitmq/rabbitmq.conf", ["listeners.tcp.default = 5672", "default_user = admin",
                                                S(f"default_pass = {weak_pw(r)[0].replace(' ', '')}", "rabbitmq-default-pass")])
    c.add("b", "infra/haproxy/haproxy.cfg", ["global", "  maxconn 4096", "listen stats", "  bind :8404",
                                             S(f"  stats auth admin:{rs(r, ALNUM, 14)}", "haproxy-stats-auth"),
                                             "userlist ops", S(f"  user ops insecure-password {weak_pw(r)[0].replace(' ', '')}", "haproxy-insecure-password")])
    c.add("b", "infra/kafka/kafka_server_jaas.conf", ["KafkaServer {", "  org.apache.kafka.common.security.plain.PlainLoginModule required",
                                                      '  username="broker"', S(f'  password="{rs(r, ALNUM, 20)}"', "kafka-jaas"),
                                                      S(f'  user_client="{weak_pw(r)[0]}";', "kafka-jaas-user"), "};"])
    c.add("b", "infra/pgbouncer/pgbouncer.ini", ["[databases]",
                                                 S(f"ledger = host=ledger-db dbname=ledger user=ledger password={rs(r, ALNUM, 16)}", "pgbouncer-db-line"),
                                                 "[pgbouncer]", "auth_type = scram-sha-256", "auth_file = /etc/pgbouncer/userlist.txt"])
    # IaC
    p, k = pw(r)
    v, kv = placeholder(r)
    c.add("b", "infra/terraform/envs/prod/terraform.tfvars", [
        'region = "eu-west-1"', 'db_instance_class = "db.r6g.large"', S(f'db_password = "{p}"', "tfvars-" + k),
        NS(f'replica_password = "{v}"', "placeholder-" + kv), 'db_username = "app"'])
    c.add("b", "infra/terraform/modules/db/main.tf", [
        'resource "aws_db_instance" "main" {', '  engine   = "postgres"', '  username = "app"',
        NS("  password = var.db_password", "tf-variable-reference"), "}", 'variable "admin_password" {', "  type      = string",
        "  sensitive = true", S(f'  default   = "{pw(r)[0]}"', "tf-variable-default"), "}"])
    c.add("b", "infra/cloudformation/database.yaml", [
        "AWSTemplateFormatVersion: '2010-09-09'", "Parameters:", "  DBPassword:", "    Type: String", "    NoEcho: true",
        S(f"    Default: {rs(r, ALNUM, 16)}", "cfn-parameter-default"), "Resources:", "  DB:", "    Type: AWS::RDS::DBInstance",
        "    Properties:", NS("      MasterUserPassword: !Ref DBPassword", "cfn-ref"),
        NS("      MasterUsername: '{{resolve:secretsmanager:prod/db:SecretString:username}}'", "cfn-dynamic-reference")])
    c.add("b", "infra/cloudformation/params/prod.json", [
        "[", '  { "ParameterKey": "Environment", "ParameterValue": "prod" },',
        S(f'  {{ "ParameterKey": "DBPassword", "ParameterValue": "{pw(r)[0]}" }}', "cfn-parameter-file"), "]"])
    p, k = pw(r)
    c.add("b", "deploy/helm/orders/values-prod.yaml", [
        "replicaCount: 3", "postgresql:", "  enabled: true", "  auth:", "    username: orders", S(f"    password: \"{p}\"", "helm-values-" + k),
        S(f"    postgresPassword: {rs(r, ALNUM, 20)}", "helm-values-admin"), "redis:", "  auth:", "    enabled: true",
        NS("    existingSecret: orders-redis", "secret-reference"), NS('    password: ""', "empty")])
    c.add("b", "deploy/ansible/group_vars/db.yml", [
        "postgresql_version: 16", S(f"postgresql_admin_password: {weak_pw(r)[0]}", "ansible-groupvar"),
        S(f"ansible_become_password: {rs(r, ALNUM, 12)}", "ansible-become"),
        NS('app_db_password: "{{ vault_app_db_password }}"', "ansible-var")])
    c.add("b", "deploy/ansible/inventory.ini", [
        "[db]", S(f"db1.acme.io ansible_user=deploy ansible_ssh_pass={weak_pw(r)[0].replace(' ', '')}", "ansible-inventory-ssh-pass"),
        "db2.acme.io ansible_user=deploy"])
    # Kubernetes Secret (base64 data and stringData)
    p1 = pw(r)[0]
    p2, k2 = pw(r)
    c.add("b", "deploy/k8s/orders-secret.yaml", [
        "apiVersion: v1", "kind: Secret", "metadata:", "  name: orders-db", "type: Opaque", "data:",
        NEU("  DB_USER: " + base64.b64encode(b"orders").decode(), "username-b64"),
        S("  DB_PASSWORD: " + base64.b64encode(p1.encode()).decode(), "k8s-secret-data-b64"),
        S("  DATABASE_URL: " + base64.b64encode(f"postgres://orders:{urlq(p2)}@orders-db:5432/orders".encode()).decode(), "k8s-secret-data-b64-url"),
        "stringData:", S(f"  SMTP_PASSWORD: '{weak_pw(r)[0]}'", "k8s-stringdata")])
    # CI
    c.add("b", ".gitlab-ci.yml", [
        "stages: [test, deploy]", "variables:", "  POSTGRES_DB: test", "  POSTGRES_USER: runner",
        NEU("  POSTGRES_PASSWORD: postgres", "ci-service-default"),
        "deploy:", "  stage: deploy", "  script:",
        S(f"    - docker login -u deploy -p {rs(r, ALNUM, 20)} registry.acme.io", "ci-docker-login-p"),
        S(f"    - git push https://deploy:{rs(r, ALNUM, 20)}@git.acme.io/platform/infra.git HEAD:main", "git-remote-credentials"),
        NS("    - echo \"$CI_REGISTRY_PASSWORD\" | docker login -u \"$CI_REGISTRY_USER\" --password-stdin \"$CI_REGISTRY\"", "env-reference")])
    # misc URLs / connection strings of many kinds
    conns = [
        ("amqp", lambda p: f"amqps://orders:{p}@mq.acme.io:5671/orders"),
        ("mysql-url", lambda p: f"mysql://app:{p}@mysql.acme.io:3306/app"),
        ("mariadb-url", lambda p: f"mariadb://app:{p}@maria.acme.io/app"),
        ("rediss", lambda p: f"rediss://default:{p}@redis-12345.c1.eu-west-1.ec2.redns.redis-cloud.com:12345"),
        ("snowflake", lambda p: f"snowflake://etl:{p}@xy12345.eu-west-1/analytics/public?warehouse=etl_wh"),
        ("clickhouse", lambda p: f"clickhouse://default:{p}@ch.acme.io:9000/events"),
        ("elasticsearch", lambda p: f"https://elastic:{p}@es.acme.io:9200"),
        ("neo4j", lambda p: f"neo4j+s://neo4j:{p}@a1b2c3d4.databases.neo4j.io"),
        ("smtp", lambda p: f"smtp://alerts%40acme.io:{p}@smtp.acme.io:587"),
        ("imap", lambda p: f"imaps://support:{p}@imap.acme.io:993"),
        ("ftp", lambda p: f"ftp://upload:{p}@ftp.partner.example.com/incoming"),
        ("sftp", lambda p: f"sftp://batch:{p}@sftp.partner.example.com:22/outbox"),
        ("mongodb-encoded", lambda p: f"mongodb://admin:{p}@mongo.acme.io:27017/admin?authSource=admin"),
        ("cassandra", lambda p: f"cassandra://cass:{p}@cass-0.acme.io:9042/ks"),
        ("mssql-url", lambda p: f"mssql://sa:{p}@mssql.acme.io:1433/master"),
        ("ldap-url", lambda p: f"ldaps://cn=admin,dc=acme,dc=io:{p}@ldap.acme.io"),
        ("postgres-example-host", lambda p: f"postgresql://app:{p}@db.example.com:5432/app"),
        ("nats", lambda p: f"nats://svc:{p}@nats.acme.io:4222"),
        ("kafka-sasl", lambda p: f"kafka://svc:{p}@broker.acme.io:9093"),
        ("git-token-remote", lambda p: f"https://x-access-token:{p}@github.com/acme/platform.git"),
    ]
    lines2: list[Line | str] = ["# connection endpoints used by the integration tests against staging", "connections:"]
    for name, fn in conns:
        p, k = safe_url_pw(r)
        lines2.append(S(f"  {name.replace('-', '_')}: {fn(p)}", f"url-{name}-{k}"))
    lines2 += ["  # local only", NS("  local_pg: postgresql://postgres@localhost:5432/dev", "url-no-password"),
               NS("  template_pg: postgresql://${PGUSER}:${PGPASSWORD}@${PGHOST}/app", "url-env-reference")]
    c.add("b", "config/staging/endpoints.yaml", lines2)
    # more key = value in assorted syntaxes, to weight the weak / odd password kinds
    syntaxes = [
        ("config/app/{n}.ini", lambda k, v: f"{k} = {v}", ["[database]"]),
        ("config/app/{n}.toml", lambda k, v: f'{k} = "{v}"', ["[db]"]),
        ("config/app/{n}.yaml", lambda k, v: f"  {k}: '{v}'", ["db:"]),
        ("config/app/{n}.json", lambda k, v: f'  "{k}": "{v}",', ["{"]),
        ("config/app/{n}.conf", lambda k, v: f"{k}={v}", ["# service config"]),
    ]
    names = ["password", "db_password", "passwd", "pwd", "admin_pass", "smtp_password", "redis_password",
             "mq_password", "bind_password", "master_password", "root_password", "ftp_pass", "api_password",
             "service_password", "keystore_password", "truststore_password", "sa_password", "mysql_root_password"]
    for i in range(20):
        tmpl, fmt, head = syntaxes[i % len(syntaxes)]
        body: list[Line | str] = list(head)
        for _ in range(5):
            key = r.choice(names)
            roll = r.random()
            if roll < 0.68:
                p, k = pw(r)
                p = p.replace("'", "").replace('"', "")
                body.append(S(fmt(key, p), "kv-" + k))
            else:
                v, k = placeholder(r)
                body.append(NS(fmt(key, v), "placeholder-" + k))
            if r.random() < 0.5:
                body.append(fmt(*r.choice([("host", "db.acme.io"), ("port", "5432"), ("timeout", "30"),
                                           ("pool_size", "10"), ("user", "app"), ("username", "svc_app")])))
        if tmpl.endswith(".json"):
            body.append('  "port": 5432')
            body.append("}")
        c.add("b", tmpl.format(n=f"svc{i:02d}"), body)
    # non-secret password-ish fields
    c.add("b", "apps/users/src/validation/password_policy.yaml", [
        "password_policy:", NS("  password_min_length: 12", "field-name"), NS("  password_require_symbol: true", "field-name"),
        NS("  password_history: 5", "field-name"), NS("  password_expiry_days: 90", "field-name"),
        NS("  password_reset_url: https://acme.io/account/reset", "field-name"),
        NS('  password_regex: "^(?=.*[A-Z])(?=.*\\\\d).{12,}$"', "field-name"), NS("  auth_method: password", "field-name")])
    c.add("b", "apps/users/src/forms/login.ts", [
        "export const loginForm = {", NS("  passwordField: 'password',", "field-name"), NS("  passwordLabel: 'Password',", "field-name"),
        NS("  passwordPlaceholder: 'Enter your password',", "ui-text"), NS("  forgotPasswordPath: '/forgot-password',", "field-name"), "};",
        NS("const password = req.body.password;", "variable-reference"), NS("user.password = await hash(password, 12);", "variable-reference")])


# ----------------------------------------------------------------------------- (c) credential files
def b64pem(text: str) -> str:
    return base64.b64encode((text + "\n").encode()).decode()


def part_c(c: Corpus, r: random.Random) -> None:
    def user() -> str:
        return r.choice(["deploy", "ci", "jsmith", "ops", "build", "backup", "svc-etl", "admin", "release"])

    homes = ["home/jsmith", "home/ci", "root", "srv/build", "Users/alee"]
    for i, h in enumerate(homes):
        # .netrc (multi-line and one-line)
        lines: list[Line | str] = []
        p, k = pw(r)
        lines += [f"machine git.acme.io", f"  login {user()}", S(f"  password {p.replace(' ', '')}", "netrc-" + k)]
        lines += [S(f"machine api.heroku.com login ops@acme.io password {T.ruuid(r)}", "netrc-oneline")]
        if i % 2:
            lines += [S(f"machine github.com login {user()} password {T.crc32_token(r, 'ghp_')}", "netrc-github")]
        c.add("c", f"{h}/.netrc", lines)
        # .pgpass
        lines = []
        for j in range(3):
            p, k = pw(r)
            p = p.replace(":", "\\:").replace(" ", "")
            lines.append(S(f"db{j}.acme.io:5432:{r.choice(['app', 'ledger', '*'])}:{user()}:{p}", "pgpass-" + k))
        c.add("c", f"{h}/.pgpass", lines)
        # .git-credentials
        c.add("c", f"{h}/.git-credentials", [
            S(f"https://{user()}:{T.crc32_token(r, 'ghp_')}@github.com", "git-credentials-github"),
            S(f"https://oauth2:{rs(r, URLSAFE, 20) if i % 2 else 'glpat-' + rs(r, URLSAFE, 20)}@gitlab.acme.io", "git-credentials-gitlab"),
            S(f"https://{user()}:{urlq(pw(r)[0])}@bitbucket.org", "git-credentials-password")])
    c.add("c", "home/jsmith/_netrc", [S(f"machine ftp.partner.example.com login acme password {weak_pw(r)[0].replace(' ', '')}", "netrc-windows")])
    c.add("c", "ops/db/pgpass.conf", [S(f"*:5432:*:replicator:{rs(r, ALNUM, 18)}", "pgpass-shape-other-name"),
                                      S(f"pg-primary:5432:app:app:{weak_pw(r)[0].replace(' ', '').replace(':', '')}", "pgpass-shape-weak")])
    # htpasswd / shadow / proftpd
    c.add("c", "infra/nginx/.htpasswd", [
        S(f"admin:$apr1${rs(r, ALNUM, 8)}${rs(r, ALNUM + './', 22)}", "htpasswd-apr1"),
        S(f"ops:$2y$05${rs(r, ALNUM + './', 53)}", "htpasswd-bcrypt"),
        S(f"legacy:{{SHA}}{T.b64bytes(r, 20)}", "htpasswd-sha")])
    c.add("c", "infra/backup/etc/shadow", [
        "root:*:19700:0:99999:7:::", "daemon:*:19700:0:99999:7:::",
        S(f"backup:$6${rs(r, ALNUM, 16)}${rs(r, ALNUM + './', 86)}:19701:0:99999:7:::", "shadow-sha512"),
        S(f"deploy:$y$j9T${rs(r, ALNUM + './', 22)}${rs(r, ALNUM + './', 43)}:19702:0:99999:7:::", "shadow-yescrypt"),
        "nobody:!:19700:0:99999:7:::"])
    c.add("c", "infra/ftp/ftpd.passwd", [S(f"upload:$1${rs(r, ALNUM, 8)}${rs(r, ALNUM + './', 22)}:2001:2001::/srv/ftp/upload:/bin/false", "proftpd-passwd")])
    # MySQL client config
    c.add("c", "home/ci/.my.cnf", ["[client]", "user=ci", S(f"password={weak_pw(r)[0].replace(' ', '')}", "my-cnf-weak"), "host=mysql.acme.io"])
    c.add("c", "root/.my.cnf", ["[mysql]", "user = root", S(f'password = "{strong_pw(r)}"', "my-cnf-strong")])
    # s3cfg / boto / aws credentials
    c.add("c", "home/jsmith/.s3cfg", ["[default]", NEU(f"access_key = AKIA{rs(r, T.B32, 16)}"),
                                      S(f"secret_key = {T.aws_secret(r)}", "s3cfg-secret"), "host_base = s3.amazonaws.com",
                                      "use_https = True"])
    c.add("c", "home/ci/.boto", ["[Credentials]", NEU(f"aws_access_key_id = AKIA{rs(r, T.B32, 16)}"),
                                 S(f"aws_secret_access_key = {T.aws_secret(r)}", "boto-secret"),
                                 S(f"gs_oauth2_refresh_token = 1//0{rs(r, URLSAFE, 99)}", "boto-gs-refresh")])
    c.add("c", "home/jsmith/.aws/credentials", ["[default]", NEU(f"aws_access_key_id = AKIA{rs(r, T.B32, 16)}"),
                                                S(f"aws_secret_access_key = {T.aws_secret(r)}", "aws-credentials"), "",
                                                "[prod]", NEU(f"aws_access_key_id=AKIA{rs(r, T.B32, 16)}"),
                                                S(f"aws_secret_access_key={T.aws_secret(r)}", "aws-credentials")])
    # package managers
    c.add("c", "home/ci/.pypirc", ["[distutils]", "index-servers = pypi internal", "", "[pypi]", "username = __token__",
                                   S(f"password = {T.pypi_token(r)}", "pypirc-token"), "", "[internal]",
                                   "repository = https://pypi.acme.io/simple", "username = ci",
                                   S(f"password = {weak_pw(r)[0].replace(' ', '')}", "pypirc-password")])
    c.add("c", "home/ci/.npmrc", ["registry=https://registry.npmjs.org/",
                                  S(f"//registry.npmjs.org/:_authToken={T.crc32_token(r, 'npm_')}", "npmrc-token"),
                                  S(f"//npm.acme.io/:_authToken={T.ruuid(r)}", "npmrc-uuid-token"),
                                  S(f"//nexus.acme.io/repository/npm/:_password={base64.b64encode(pw(r)[0].encode()).decode()}", "npmrc-password-b64"),
                                  "//nexus.acme.io/repository/npm/:username=ci",
                                  S(f"_auth={base64.b64encode(('ci:' + rs(r, ALNUM, 14)).encode()).decode()}", "npmrc-auth-b64"),
                                  "always-auth=true"])
    c.add("c", "web/storefront/.npmrc", ["@acme:registry=https://npm.pkg.github.com",
                                         NS("//npm.pkg.github.com/:_authToken=${NPM_TOKEN}", "env-reference")])
    c.add("c", "web/storefront/.yarnrc.yml", ["nodeLinker: node-modules", "npmScopes:", "  acme:",
                                              "    npmRegistryServer: https://npm.acme.io", S(f"    npmAuthToken: {rs(r, HEX, 40)}", "yarnrc-token")])
    c.add("c", "home/ci/.gem/credentials", ["---", S(f":rubygems_api_key: rubygems_{rs(r, HEX, 48)}", "gem-credentials"),
                                            S(f":acme: Basic {base64.b64encode(('ci:' + rs(r, ALNUM, 16)).encode()).decode()}", "gem-credentials-basic")])
    c.add("c", "home/ci/.m2/settings.xml", [
        "<settings>", "  <servers>", "    <server>", "      <id>acme-releases</id>", "      <username>deployment</username>",
        S(f"      <password>{weak_pw(r)[0].replace(' ', '')}</password>", "maven-settings-password"), "    </server>", "    <server>",
        "      <id>github</id>", "      <username>ci</username>", S(f"      <password>{T.crc32_token(r, 'ghp_')}</password>", "maven-settings-token"),
        "    </server>", "    <server>", "      <id>signing</id>", S(f"      <passphrase>{' '.join(r.sample(T.__dict__.get('WORDS', WORDS), 3))}</passphrase>", "maven-passphrase"),
        "    </server>", "    <server>", "      <id>env</id>", NS("      <password>${env.NEXUS_PASSWORD}</password>", "env-reference"),
        "    </server>", "  </servers>", "</settings>"])
    c.add("c", "home/ci/.gradle/gradle.properties", ["org.gradle.jvmargs=-Xmx2g",
                                                     S(f"nexusPassword={rs(r, ALNUM, 16)}", "gradle-properties"),
                                                     "nexusUsername=ci", S(f"signing.password={weak_pw(r)[0].replace(' ', '')}", "gradle-signing-password"),
                                                     "signing.keyId=" + rs(r, HEX.upper(), 8)])
    c.add("c", "home/ci/.cargo/credentials.toml", ["[registry]", S(f'token = "cio{rs(r, ALNUM, 32)}"', "cargo-credentials")])
    c.add("c", "home/ci/.composer/auth.json", ["{", '  "github-oauth": {', S(f'    "github.com": "{T.crc32_token(r, "gho_")}"', "composer-github-oauth"), "  },",
                                               '  "http-basic": {', '    "repo.acme.io": {', '      "username": "ci",',
                                               S(f'      "password": "{rs(r, ALNUM, 18)}"', "composer-http-basic"), "    }", "  }", "}"])
    c.add("c", "home/ci/.config/pip/pip.conf", ["[global]", S(f"index-url = https://ci:{rs(r, ALNUM, 20)}@pypi.acme.io/simple", "pip-conf-url")])
    c.add("c", "home/ci/.bundle/config", ["---", 'BUNDLE_PATH: "vendor/bundle"', S(f'BUNDLE_GEMS__CONTRIBSYS__COM: "{rs(r, HEX, 8)}:{rs(r, HEX, 8)}"', "bundle-config")])
    c.add("c", "home/jsmith/.config/gh/hosts.yml", ["github.com:", S(f"    oauth_token: {T.crc32_token(r, 'gho_')}", "gh-hosts"),
                                                    "    user: jsmith", "    git_protocol: https"])
    c.add("c", "home/jsmith/.terraform.d/credentials.tfrc.json", ["{", '  "credentials": {', '    "app.terraform.io": {',
                                                                  S(f'      "token": "{rs(r, ALNUM, 14)}.atlasv1.{rs(r, ALNUM, 67)}"', "tfrc-token"), "    }", "  }", "}"])
    # docker
    auth = base64.b64encode(f"ci:{pw(r)[0]}".encode()).decode()
    auth2 = base64.b64encode(f"_json_key:{rs(r, ALNUM, 30)}".encode()).decode()
    c.add("c", "home/ci/.docker/config.json", ["{", '  "auths": {', '    "registry.acme.io": {', S(f'      "auth": "{auth}"', "docker-config-auth"),
                                               "    },", '    "https://index.docker.io/v1/": {', S(f'      "auth": "{auth2}"', "docker-config-auth"),
                                               "    }", "  },", '  "credsStore": "desktop"', "}"])
    c.add("c", "home/jsmith/.dockercfg", ["{", '  "quay.io": {', S(f'    "auth": "{base64.b64encode(("jsmith+robot:" + rs(r, UP + DIG, 64)).encode()).decode()}",', "dockercfg-auth"),
                                          '    "email": ""', "  }", "}"])
    # kubeconfig
    c.add("c", "home/jsmith/.kube/config", [
        "apiVersion: v1", "kind: Config", "clusters:", "- cluster:",
        # the *-data fields hold base64 of the PEM text
        NS(f"    certificate-authority-data: {b64pem(T.pem(r, 'CERTIFICATE', 800))}", "ca-certificate"), "    server: https://k8s.acme.io:6443",
        "  name: prod", "users:", "- name: admin", "  user:", S(f"    client-key-data: {b64pem(T.rsa_pem(r))}", "kubeconfig-client-key"),
        NS(f"    client-certificate-data: {b64pem(T.pem(r, 'CERTIFICATE', 900))}", "client-certificate"), "- name: ci", "  user:",
        S(f"    token: {T.jwt(r, {'iss': 'kubernetes/serviceaccount', 'kubernetes.io/serviceaccount/namespace': 'ci'}, 'RS256')}", "kubeconfig-token"),
        "- name: basic", "  user:", "    username: admin", S(f"    password: {weak_pw(r)[0].replace(' ', '')}", "kubeconfig-password")])
    # FTP / SFTP clients
    c.add("c", "Users/alee/AppData/Roaming/FileZilla/sitemanager.xml", [
        '<?xml version="1.0" encoding="UTF-8"?>', "<FileZilla3>", "  <Servers>", "    <Server>", "      <Host>ftp.partner.example.com</Host>",
        "      <Port>21</Port>", "      <User>acme</User>",
        S(f'      <Pass encoding="base64">{base64.b64encode(pw(r)[0].encode()).decode()}</Pass>', "filezilla-pass-b64"),
        "    </Server>", "  </Servers>", "</FileZilla3>"])
    c.add("c", "Users/alee/AppData/Roaming/FileZilla/recentservers.xml", [
        '<?xml version="1.0" encoding="UTF-8"?>', "<FileZilla3>", "  <RecentServers>", "    <Server>", "      <Host>10.0.4.12</Host>",
        "      <User>upload</User>", S(f"      <Pass>{weak_pw(r)[0].replace(' ', '')}</Pass>", "filezilla-pass-plain"), "    </Server>",
        "  </RecentServers>", "</FileZilla3>"])
    c.add("c", "Users/alee/AppData/Roaming/WinSCP.ini", ["[Sessions\\deploy@web01]", "HostName=web01.acme.io", "UserName=deploy",
                                                          S(f"Password={rs(r, 'ABCDEF0123456789', 72)}", "winscp-password")])
    c.add("c", "Users/alee/.local/share/DBeaverData/workspace6/General/.dbeaver/data-sources.json", [
        "{", '  "connections": {', '    "postgres-jdbc-1": {', '      "provider": "postgresql",', '      "configuration": {',
        '        "host": "pg.acme.io",', '        "user": "analyst",', S(f'        "password": "{pw(r)[0]}",', "dbeaver-password"),
        '        "url": "jdbc:postgresql://pg.acme.io:5432/analytics"', "      }", "    }", "  }", "}"])
    # PuTTY ppk
    c.add("c", "Users/alee/keys/web01.ppk", [S("\n".join([  # the whole file is the key
        "PuTTY-User-Key-File-3: ssh-rsa", "Encryption: none", "Comment: rsa-key-20240101",
        "Public-Lines: 6", *(T.b64bytes(r, 48) for _ in range(6)),
        "Private-Lines: 14", *(T.b64bytes(r, 48) for _ in range(14)),
        f"Private-MAC: {rs(r, HEX, 64)}"]), "putty-ppk")])
    # mail clients
    c.add("c", "home/jsmith/.msmtprc", ["defaults", "auth on", "tls on", "account acme", "host smtp.acme.io", "port 587",
                                        "user jsmith@acme.io", S(f"password {weak_pw(r)[0].replace(' ', '')}", "msmtprc"), "account default : acme"])
    c.add("c", "home/jsmith/.fetchmailrc", [S(f'poll imap.acme.io protocol IMAP user "jsmith" password "{pw(r)[0].replace(chr(34), "")}" ssl', "fetchmailrc")])
    c.add("c", "home/jsmith/.muttrc", ['set imap_user = "jsmith@acme.io"', S(f'set imap_pass = "{rs(r, ALNUM, 16)}"', "muttrc-imap"),
                                       S(f"set smtp_url = \"smtps://jsmith@acme.io:{rs(r, ALNUM, 14)}@smtp.acme.io:465/\"", "muttrc-smtp-url")])
    c.add("c", "home/ops/.esmtprc", ["hostname = smtp.acme.io:587", "username = alerts", S(f"password = {weak_pw(r)[0].replace(' ', '')}", "esmtprc"), "starttls = enabled"])
    # Jenkins / Rails / Ansible vault
    c.add("c", "infra/jenkins/credentials.xml", [
        "<?xml version='1.1' encoding='UTF-8'?>", "<com.cloudbees.plugins.credentials.SystemCredentialsProvider>",
        "  <domainCredentialsMap>", "    <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>",
        "      <id>nexus</id>", "      <username>deploy</username>",
        S(f"      <password>{{AQAAABAAAAAQ{T.b64bytes(r, 48)}}}</password>", "jenkins-encrypted-password"),
        "    </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>",
        "    <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>", "      <id>slack</id>",
        S(f"      <secret>{{AQAAABAAAAAg{T.b64bytes(r, 64)}}}</secret>", "jenkins-encrypted-secret"),
        "    </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>", "  </domainCredentialsMap>",
        "</com.cloudbees.plugins.credentials.SystemCredentialsProvider>"])
    c.add("c", "apps/admin/config/master.key", [S(rs(r, HEX, 32), "rails-master-key")])
    c.add("c", "apps/admin/config/credentials/production.key", [S(rs(r, HEX, 32), "rails-credentials-key")])
    c.add("c", "deploy/ansible/.vault_pass", [S(" ".join(r.sample(WORDS, 3)) if r.random() < .5 else rs(r, ALNUM, 24), "ansible-vault-password-file")])
    c.add("c", "deploy/ansible/vault-password.txt", [S(weak_pw(r)[0], "ansible-vault-password-file")])
    # Akamai .edgerc, kaggle.json, gcloud ADC, hg, wget, curlrc, rclone, odbc, .tnsnames-free
    c.add("c", "home/ops/.edgerc", ["[default]", f"host = akab-{rs(r, LO + DIG, 16)}-{rs(r, LO + DIG, 16)}.luna.akamaiapis.net",
                                    S(f"client_token = akab-{rs(r, LO + DIG, 16)}-{rs(r, LO + DIG, 16)}", "edgerc-client-token"),
                                    S(f"client_secret = {T.b64bytes(r, 32)}", "edgerc-client-secret"),
                                    NEU(f"access_token = akab-{rs(r, LO + DIG, 16)}-{rs(r, LO + DIG, 16)}", "edgerc-access-token")])
    c.add("c", "home/jsmith/.kaggle/kaggle.json", [S(f'{{"username":"jsmith","key":"{rs(r, HEX, 32)}"}}', "kaggle-json")])
    c.add("c", "home/jsmith/.config/gcloud/application_default_credentials.json", [
        "{", NEU(f'  "client_id": "{rs(r, DIG, 12)}-{rs(r, LO + DIG, 32)}.apps.googleusercontent.com",', "oauth-client-id"),
        S(f'  "client_secret": "GOCSPX-{rs(r, URLSAFE, 28)}",', "gcloud-adc-client-secret"),
        S(f'  "refresh_token": "1//0{rs(r, URLSAFE, 99)}",', "gcloud-adc-refresh"), '  "type": "authorized_user"', "}"])
    c.add("c", "home/jsmith/.hgrc", ["[auth]", "acme.prefix = hg.acme.io", "acme.username = jsmith",
                                     S(f"acme.password = {weak_pw(r)[0].replace(' ', '')}", "hgrc-password")])
    c.add("c", "home/ci/.wgetrc", ["user = ci", S(f"password = {rs(r, ALNUM, 16)}", "wgetrc-password")])
    c.add("c", "home/ci/.curlrc", ["--silent", S(f'--user "ci:{rs(r, ALNUM, 18)}"', "curlrc-user")])
    c.add("c", "home/ops/.config/rclone/rclone.conf", ["[backup-sftp]", "type = sftp", "host = sftp.acme.io", "user = backup",
                                                       S(f"pass = {rs(r, URLSAFE, 40)}", "rclone-obscured-pass"), "", "[s3]", "type = s3",
                                                       NEU(f"access_key_id = AKIA{rs(r, T.B32, 16)}"),
                                                       S(f"secret_access_key = {T.aws_secret(r)}", "rclone-s3-secret")])
    c.add("c", "etc/odbc.ini", ["[reporting]", "Driver = PostgreSQL Unicode", "Servername = pg.acme.io", "Database = reporting",
                                "UserName = reports", S(f"Password = {weak_pw(r)[0].replace(' ', '')}", "odbc-ini-password")])
    c.add("c", "etc/pgbouncer/userlist.txt", [S(f'"ledger" "{pw(r)[0].replace(chr(34), "")}"', "pgbouncer-userlist"),
                                              S(f'"reporting" "SCRAM-SHA-256$4096:{T.b64bytes(r, 16)}${T.b64bytes(r, 32)}:{T.b64bytes(r, 32)}"', "pgbouncer-scram")])
    c.add("c", "etc/vsftpd/virtual_users.txt", ["upload", S(weak_pw(r)[0].replace(" ", ""), "vsftpd-virtual-users"), "partner",
                                                S(rs(r, ALNUM, 14), "vsftpd-virtual-users")])
    # SSH private keys in home dirs
    for h in ["home/jsmith", "home/ci"]:
        c.add("c", f"{h}/.ssh/id_ed25519", [S(T.openssh_pem(r), "ssh-private-key")])
    c.add("c", "home/ops/.ssh/id_rsa", [S(T.rsa_pem(r), "ssh-private-key-rsa")])
    # non-secret neighbours of credential files
    c.add("c", "home/jsmith/.ssh/config", ["Host bastion", "  HostName bastion.acme.io", "  User jsmith",
                                           NS("  IdentityFile ~/.ssh/id_ed25519", "path"), "  ForwardAgent no"])
    c.add("c", "home/jsmith/.ssh/id_ed25519.pub", [NS(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rs(r, ALNUM + '+/', 43)} jsmith@laptop", "public-key")])
    c.add("c", "home/ci/.ssh/known_hosts", [NS(f"github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rs(r, ALNUM + '+/', 43)}", "public-key"),
                                            NS(f"|1|{T.b64bytes(r, 20)}|{T.b64bytes(r, 20)} ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB{rs(r, ALNUM + '+/', 90)}=", "public-key")])
    c.add("c", "home/ci/.netrc.example", [NS("machine git.acme.io login YOUR_USER password YOUR_TOKEN", "placeholder")])
    c.add("c", "home/ci/.docker/config.example.json", ["{", '  "auths": {', '    "registry.acme.io": {', NS('      "auth": ""', "empty"), "    }", "  }", "}"])


# ----------------------------------------------------------------------------- (d) decoys
def part_d(c: Corpus, r: random.Random) -> None:
    # lockfiles
    lines: list[Line | str] = ["{", '  "name": "storefront",', '  "lockfileVersion": 3,', '  "packages": {']
    for i in range(40):
        name = rs(r, LO, r.randrange(4, 10))
        lines += [f'    "node_modules/{name}": {{', f'      "version": "{r.randrange(1, 9)}.{r.randrange(20)}.{r.randrange(20)}",',
                  f'      "resolved": "https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",',
                  NS(f'      "integrity": "sha512-{T.b64bytes(r, 64)}"', "sri-hash"), "    },"]
    lines += ['    "": {}', "  }", "}"]
    c.add("d", "web/storefront/package-lock.json", lines)
    lines = []
    for i in range(30):
        name = rs(r, LO, r.randrange(4, 10))
        lines += [f'"{name}@^1.{i}.0":', f'  version "1.{i}.3"', f'  resolved "https://registry.yarnpkg.com/{name}/-/{name}-1.{i}.3.tgz#{rs(r, HEX, 40)}"',
                  NS(f'  integrity sha512-{T.b64bytes(r, 64)}', "sri-hash"), ""]
    c.add("d", "web/admin/yarn.lock", lines)
    lines = []
    for i in range(30):
        name = rs(r, LO, 6)
        lines += [f'[[package]]', f'name = "{name}"', f'version = "2.{i}.0"', "files = [",
                  NS(f'    {{file = "{name}-2.{i}.0-py3-none-any.whl", hash = "sha256:{rs(r, HEX, 64)}"}},', "hash"), "]", ""]
    c.add("d", "services/api/poetry.lock", lines)
    c.add("d", "services/api/requirements.txt", [NS(f"{rs(r, LO, 7)}==1.{i}.0 --hash=sha256:{rs(r, HEX, 64)}", "hash") for i in range(25)])
    c.add("d", "go/gateway/go.sum", [NS(f"github.com/{rs(r, LO, 6)}/{rs(r, LO, 8)} v1.{i}.0 h1:{T.b64bytes(r, 32)}", "hash") for i in range(25)])
    c.add("d", "rust/cli/Cargo.lock", sum([[f'[[package]]', f'name = "{rs(r, LO, 7)}"', f'version = "0.{i}.1"',
                                            'source = "registry+https://github.com/rust-lang/crates.io-index"',
                                            NS(f'checksum = "{rs(r, HEX, 64)}"', "hash"), ""] for i in range(20)], []))
    # minified JS
    ident = lambda: rs(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$", r.randrange(1, 3))  # noqa: E731
    chunks = []
    for i in range(60):
        chunks.append(f'function {ident()}({ident()},{ident()}){{return {ident()}["{rs(r, ALNUM, r.randrange(8, 30))}"]||"{rs(r, ALNUM + "+/", r.randrange(16, 48))}"}}')
    c.add("d", "web/storefront/dist/app.min.js", [NS(";".join(chunks[i:i + 10]), "minified-js") for i in range(0, 60, 10)])
    c.add("d", "web/storefront/dist/app.min.js.map", [NS('{"version":3,"sources":["src/app.ts"],"mappings":"' + rs(r, ALNUM + ";,+/", 3000) + '"}', "sourcemap")])
    # base64 blobs: images, fonts, protobuf descriptors
    c.add("d", "web/storefront/src/assets/icons.css", [NS(f".icon-{i} {{ background-image: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA{T.b64bytes(r, 300)}); }}", "data-uri") for i in range(8)]
          + [NS(f"@font-face {{ font-family: Inter; src: url(data:font/woff2;base64,d09GMgABAAAAA{T.b64bytes(r, 600)}) format('woff2'); }}", "data-uri")])
    c.add("d", "services/api/proto/descriptor_pb2.py", ["from google.protobuf import descriptor_pool",
                                                         NS(f"DESCRIPTOR = descriptor_pool.Default().AddSerializedFile(b'\\n\\x0c{rs(r, ALNUM, 600)}')", "protobuf-descriptor")])
    c.add("d", "notebooks/plots.ipynb", ["{", ' "cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"data": {',
                                         NS(f'   "image/png": "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAYAAAA{T.b64bytes(r, 2000)}"', "notebook-image"),
                                         '  }, "output_type": "display_data"}], "source": ["plt.show()"]}],', ' "nbformat": 4, "nbformat_minor": 5', "}"])
    # UUIDs, commit SHAs, digests
    c.add("d", "dotnet/Acme.sln", [NS(f'Project("{{{str(T.ruuid(r)).upper()}}}") = "Acme.{rs(r, UP, 1)}{rs(r, LO, 6)}", "src\\\\Acme.csproj", "{{{str(T.ruuid(r)).upper()}}}"', "guid") for _ in range(10)])
    c.add("d", "ios/Acme.xcodeproj/project.pbxproj", [NS(f"\t\t{rs(r, HEXU, 24)} /* {rs(r, UP, 1)}{rs(r, LO, 8)}.swift in Sources */ = {{isa = PBXBuildFile; fileRef = {rs(r, HEXU, 24)}; }};", "xcode-id") for _ in range(15)])
    c.add("d", "CHANGELOG.md", ["# Changelog", ""] + [NS(f"- {rs(r, LO, 6)}: fix {rs(r, LO, 8)} handling ([{rs(r, HEX, 7)}](https://github.com/acme/platform/commit/{rs(r, HEX, 40)}))", "commit-sha") for _ in range(20)])
    c.add("d", "deploy/k8s/images.yaml", [NS(f"  - image: registry.acme.io/{rs(r, LO, 6)}@sha256:{rs(r, HEX, 64)}", "image-digest") for _ in range(10)])
    c.add("d", "services/api/fixtures/requests.json", ["["] + [NS(f'  {{"request_id": "{T.ruuid(r)}", "trace_id": "{rs(r, HEX, 32)}", "span_id": "{rs(r, HEX, 16)}", "etag": "W/\\"{rs(r, HEX, 40)}\\""}},', "ids") for _ in range(12)] + ["  {}", "]"])
    c.add("d", "services/api/config/tenants.yaml", ["tenants:"] + [NS(f"  - id: {T.ruuid(r)}\n    azure_tenant_id: {T.ruuid(r)}\n    subscription_id: {T.ruuid(r)}", "uuids") for _ in range(6)])
    # test vectors
    c.add("d", "services/crypto/tests/test_vectors.py", ["# Known-answer tests for our hashing helpers", "VECTORS = ["]
          + [NS(f'    ("{rs(r, LO, r.randrange(3, 12))}", "{hashlib.sha256(rs(r, LO, 8).encode()).hexdigest()}"),', "test-vector-hash") for _ in range(10)]
          + ["]", "MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e'",
             NS(f"HMAC_TEST_KEY = bytes.fromhex('{'0b' * 20}')", "rfc-test-vector"),
             NS(f"NONCE = bytes.fromhex('{rs(r, HEX, 24)}')  # fixed nonce for deterministic AES-GCM test", "test-nonce"),
             NS(f"EXPECTED_TAG = '{rs(r, HEX, 32)}'", "test-vector")])
    c.add("d", "services/crypto/tests/testdata/sha1sums.txt", [NS(f"{rs(r, HEX, 40)}  testdata/{rs(r, LO, 6)}.bin", "checksum") for _ in range(15)])
    # public keys and certificates
    c.add("d", "deploy/keys/release-signing.pub.asc", [NS("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(T.b64bytes(r, 48) for _ in range(12)) + "\n=" + rs(r, ALNUM, 4) + "\n-----END PGP PUBLIC KEY BLOCK-----", "pgp-public-key")])
    c.add("d", "services/auth/certs/ca.crt", [NS(T.pem(r, "CERTIFICATE", 900, b"\x30\x82\x03\x80\x30\x82\x02\x68\xa0\x03\x02\x01\x02"), "certificate")])
    c.add("d", "services/auth/keys/jwt-public.pem", [NS(T.pem(r, "PUBLIC KEY", 290, b"\x30\x82\x01\x22\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00"), "public-key")])
    c.add("d", "deploy/authorized_keys", [NS(f"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ{rs(r, ALNUM + '+/', 540)}= {rs(r, LO, 5)}@acme", "public-key") for _ in range(4)])
    c.add("d", "services/auth/jwks.json", ["{", '  "keys": [', NS(f'    {{"kty": "RSA", "kid": "{rs(r, HEX, 16)}", "use": "sig", "alg": "RS256", "e": "AQAB", "n": "{T.b64bytes(r, 256, urlsafe=True, pad=False)}"}}', "public-jwk"), "  ]", "}"])
    # placeholders and references in provider-shaped positions
    ph = [
        ("OPENAI_API_KEY=<your-openai-key>", "placeholder"), ("STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "placeholder-x"),
        ("GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "placeholder-x"), ("AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}", "env-reference"),
        ("SLACK_BOT_TOKEN=xoxb-your-token-here", "placeholder"), ("SENDGRID_API_KEY=YOUR_SENDGRID_API_KEY", "placeholder"),
        ("DATABASE_URL=postgres://user:password@localhost:5432/mydb", "placeholder-url"),
        ("API_KEY=changeme", "placeholder"), ("API_TOKEN=REPLACE_WITH_YOUR_TOKEN", "placeholder"),
        ("JWT_SECRET=your-256-bit-secret", "placeholder"), ("SECRET_KEY=", "empty"),
        ("NPM_TOKEN={{ secrets.NPM_TOKEN }}", "template"), ("TWILIO_AUTH_TOKEN=your_auth_token", "placeholder"),
        ("ANTHROPIC_API_KEY=sk-ant-...", "placeholder-ellipsis"), ("DD_API_KEY=<DATADOG_API_KEY>", "placeholder"),
        ("HF_TOKEN=hf_xxx", "placeholder-x"), ("GOOGLE_API_KEY=AIza...", "placeholder-ellipsis"),
        ("PASSWORD=$(cat /run/secrets/db_password)", "command-substitution"),
    ]
    c.add("d", ".env.example", [NS(t, k) for t, k in ph])
    c.add("d", "docs/setup.md", ["# Setup", "", "Copy `.env.example` to `.env` and fill in:", "", "```sh",
                                 NS("export OPENAI_API_KEY=sk-...your key...", "docs-placeholder"),
                                 NS('export GITHUB_TOKEN="<paste a token with repo scope>"', "docs-placeholder"),
                                 NS("curl -H 'Authorization: Bearer $API_TOKEN' https://api.acme.io/v1/me", "docs-env-reference"),
                                 NS("psql postgresql://app:${DB_PASSWORD}@localhost/app", "docs-env-reference"), "```"])
    # vendors' documented example values (published in their own docs as non-working examples)
    c.add("d", "docs/aws.md", ["AWS's documentation uses these example values:", "",
                               NS("    aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "vendor-example"),
                               NS("    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "vendor-example")])
    c.add("d", "docs/jwt.md", ["A decoded example token from the JWT introduction:", "",
                               NS("    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "vendor-example")])
    # public-by-design identifiers
    c.add("d", "web/storefront/src/public-config.ts", [
        "export const publicConfig = {",
        NS(f"  stripePublishableKey: 'pk_live_{rs(r, ALNUM, 99)}',", "public-by-design"),
        NS(f"  mapboxToken: 'pk.{T.b64url_json({'u': rs(r, LO, 8), 'a': rs(r, LO + DIG, 25)})}.{rs(r, URLSAFE, 22)}',", "public-by-design"),
        NEU(f"  sentryDsn: 'https://{rs(r, HEX, 32)}@o{rs(r, DIG, 6)}.ingest.sentry.io/{rs(r, DIG, 7)}',", "sentry-dsn"),
        NEU(f"  firebaseApiKey: 'AIza{rs(r, URLSAFE, 35)}',", "firebase-web-key"),
        NS(f"  recaptchaSiteKey: '6L{rs(r, URLSAFE, 38)}',", "public-by-design"),
        NS(f"  algoliaSearchOnlyKey: '{rs(r, HEX, 32)}',", "public-by-design"), "};"])
    # password-looking code that is not a secret
    c.add("d", "services/api/app/auth.py", [
        "from passlib.hash import bcrypt", "",
        NS("PASSWORD_RESET_TEMPLATE = 'emails/password_reset.html'", "field-name"),
        NS("def check(user, password):", "code"), NS("    return bcrypt.verify(password, user.password_hash)", "code"),
        NS(f"ADMIN_PASSWORD_HASH = '$2b$12${rs(r, ALNUM + './', 53)}'", "hash-in-hash-place"),
        NS("TOKEN_URL = 'https://auth.acme.io/oauth/token'", "url"),
        NS("SECRET_NAME = 'prod/api/db'", "secrets-manager-name"),
        NS("password_input = page.locator('input[type=password]')", "code"),
        NS("API_KEY_HEADER = 'X-Api-Key'", "field-name"),
        NS("token = request.headers.get('Authorization', '').removeprefix('Bearer ')", "code")])
    c.add("d", "services/api/tests/test_login.py", [
        "def test_rejects_bad_password(client):", NS("    resp = client.post('/login', json={'user': 'alice', 'password': 'wrong'})", "test-literal"),
        "    assert resp.status_code == 401", NS("    assert 'password' in resp.json()['errors']", "code")])
    # random-looking non-secrets in prose and code
    c.add("d", "services/api/app/constants.py", [
        NS(f"EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'", "well-known-hash"),
        NS(f"DEFAULT_CSS_HASH = '{hashlib.sha1(b'x').hexdigest()}'", "hash"),
        NS(f"ALPHABET = '{ALNUM}'", "alphabet"),
        NS(f"BASE32 = '{T.B32}'", "alphabet"),
        NS(f"SCHEMA_ID = '{T.ruuid(r)}'", "uuid"), NS(f"GA_MEASUREMENT_ID = 'G-{rs(r, UP + DIG, 10)}'", "public-id"),
        NS(f"S3_BUCKET = 'acme-prod-{rs(r, LO + DIG, 12)}'", "resource-name"),
        NS(f"KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/{T.ruuid(r)}'", "arn"),
        NS(f"ROLE_ARN = 'arn:aws:iam::123456789012:role/deploy'", "arn")])
    c.add("d", "web/storefront/src/i18n/de.json", ["{", NS('  "password": "Passwort",', "i18n"), NS('  "password_hint": "Mindestens 12 Zeichen",', "i18n"),
                                                   NS('  "token_expired": "Sitzung abgelaufen",', "i18n"), NS('  "api_key_label": "API-Schlüssel"', "i18n"), "}"])
    c.add("d", "services/api/migrations/0007_add_tokens.sql", [
        "CREATE TABLE api_tokens (", "  id uuid PRIMARY KEY,", NS("  token_hash char(64) NOT NULL,", "schema"), "  created_at timestamptz NOT NULL", ");",
        NS(f"INSERT INTO api_tokens (id, token_hash, created_at) VALUES ('{T.ruuid(r)}', '{rs(r, HEX, 64)}', now());", "hash-in-hash-place")])
    c.add("d", "deploy/terraform/.terraform.lock.hcl", ['provider "registry.terraform.io/hashicorp/aws" {', '  version = "5.40.0"', "  hashes = ["]
          + [NS(f'    "h1:{T.b64bytes(r, 32)}",', "hash") for _ in range(4)] + [NS(f'    "zh:{rs(r, HEX, 64)}",', "hash") for _ in range(6)] + ["  ]", "}"])
    c.add("d", "services/api/app/feature_flags.json", ["{"] + [NS(f'  "{rs(r, LO, 8)}": {{"rollout": 0.{r.randrange(1, 9)}, "salt": "{rs(r, HEX, 16)}"}},', "flag-salt") for _ in range(6)] + ['  "end": {}', "}"])
    # git plumbing output, logs
    c.add("d", "docs/release-notes.txt", [NS(f"{rs(r, HEX, 40)} refs/tags/v1.{i}.0", "commit-sha") for i in range(12)])
    c.add("d", "logs/access.log", [NS(f'10.0.{r.randrange(255)}.{r.randrange(255)} - - [10/Mar/2024:08:{i:02d}:00 +0000] "GET /api/v1/items?page={i}&cursor={T.b64bytes(r, 24, urlsafe=True, pad=False)} HTTP/1.1" 200 {r.randrange(100, 9000)} "-" "Mozilla/5.0" req={T.ruuid(r)}', "log-ids") for i in range(20)])


def part_d_more(c: Corpus, r: random.Random) -> None:
    # provider-shaped strings whose checksum is wrong: cannot be live tokens
    def bad(prefix: str) -> str:
        good = T.crc32_token(r, prefix)
        last = good[-1]
        return good[:-1] + ("0" if last != "0" else "1")
    c.add("d", "services/api/tests/test_token_format.py", [
        "import pytest", "from app.tokens import looks_valid", "", "@pytest.mark.parametrize('tok', ["]
        + [NS(f"    '{bad(pfx)}',", "bad-checksum") for pfx in ("ghp_", "gho_", "npm_", "ghs_")]
        + ["])", "def test_rejects_corrupted(tok):", "    assert not looks_valid(tok)"])
    # git LFS pointers, k8s checksum annotations, configmap binary data, public chain addresses
    c.add("d", "assets/models/classifier.onnx", ["version https://git-lfs.github.com/spec/v1",
                                                 NS(f"oid sha256:{rs(r, HEX, 64)}", "lfs-oid"), f"size {r.randrange(10**6, 10**8)}"])
    c.add("d", "deploy/k8s/web-deployment.yaml", ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web",
                                                   "spec:", "  template:", "    metadata:", "      annotations:",
                                                   NS(f"        checksum/config: {rs(r, HEX, 64)}", "hash"),
                                                   NS(f"        checksum/secret: {rs(r, HEX, 64)}", "hash"),
                                                   "    spec:", "      containers:", "        - name: web",
                                                   NS(f"          image: registry.acme.io/web@sha256:{rs(r, HEX, 64)}", "image-digest")])
    c.add("d", "deploy/k8s/fonts-configmap.yaml", ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: fonts", "binaryData:",
                                                    NS(f"  inter.woff2: d09GMgABAAAAA{T.b64bytes(r, 900)}", "configmap-binary")])
    c.add("d", "contracts/deployments/mainnet.json", ["{"] + [NS(f'  "{rs(r, UP, 1)}{rs(r, LO, 7)}": "0x{rs(r, HEX, 40)}",', "eth-address") for _ in range(6)]
          + [NS(f'  "txHash": "0x{rs(r, HEX, 64)}"', "eth-tx-hash"), "}"])
    c.add("d", "web/storefront/src/icons/logo.svg", ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">',
                                                     NS('  <path d="' + " ".join(f"M{r.randrange(24)}.{r.randrange(99)} {r.randrange(24)}.{r.randrange(99)}l{r.random():.3f}-{r.random():.3f}" for _ in range(40)) + '"/>', "svg-path"),
                                                     "</svg>"])
    c.add("d", "android/app/google-services.json", ["{", '  "project_info": {', f'    "project_number": "{rs(r, DIG, 12)}",',
                                                     f'    "project_id": "acme-{rs(r, LO, 6)}"', "  },", '  "client": [{',
                                                     NEU(f'    "api_key": [{{"current_key": "AIza{rs(r, URLSAFE, 35)}"}}],', "firebase-android-key"),
                                                     f'    "client_info": {{"mobilesdk_app_id": "1:{rs(r, DIG, 12)}:android:{rs(r, HEX, 16)}"}}', "  }]", "}"])
    c.add("d", "services/api/tests/conftest.py", ["import random", "",
                                                  NS(f"RANDOM_SEED = {r.randrange(10**9)}", "seed"),
                                                  NS(f"FIXED_SALT = bytes.fromhex('{rs(r, HEX, 32)}')  # deterministic test salt", "test-salt"),
                                                  NS(f"SNAPSHOT_ID = '{rs(r, ALNUM, 24)}'", "snapshot-id"),
                                                  NS(f"FAKE_USER = {{'id': '{T.ruuid(r)}', 'email': 'alice@example.com'}}", "fixture")])


def generate(out: str, seed: int = 20261203) -> dict:
    r = random.Random(seed)
    c = Corpus()
    part_a(c, r)
    part_b(c, r)
    part_c(c, r)
    part_d(c, r)
    part_d_more(c, r)
    return c.write(out, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261203)
    a = ap.parse_args(argv)
    if os.path.exists(a.out) and os.listdir(a.out):
        print(f"error: {a.out} exists and is not empty", file=sys.stderr)
        return 2
    man = generate(a.out, a.seed)
    by: dict[tuple[str, str], int] = {}
    for lab in man["labels"]:
        by[(lab["part"], lab["expected"])] = by.get((lab["part"], lab["expected"]), 0) + 1
    print(f"{len(man['files'])} files, {len(man['labels'])} labels: "
          + ", ".join(f"{p}/{e}={n}" for (p, e), n in sorted(by.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
