"""A labelled corpus of credential files and the credential forms that are not
`name = value` (issue 10): credential files, positional arguments of client
calls, command-line flags, server directives, IaC parameters, private keys in
other encodings, HTTP headers in cassettes and connection strings; plus many
decoys that hold no secret (hashes, UUIDs, base64 blobs, minified JS,
lockfiles, test vectors, public keys, placeholders, references).

Every value is generated from a seed, so no file in this repository holds a
secret-looking literal. ``build(root, seed)`` writes the tree and returns what
must be found, exactly: one :class:`Planted` (path, rule id, secret,
confidence) per finding. Used by tests/test_forms_corpus.py and
benchmarks/bench_forms.py (which runs the peers on the same tree).
"""
from __future__ import annotations

import base64
import hashlib
import json
import string
import uuid
from dataclasses import dataclass
from pathlib import Path

from leakguard.checksums import crc16_xmodem

from tests import corpus
from tests.corpus import ALNUM, WORDS

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CRYPT = "./" + string.digits + string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class Planted:
    path: str
    rule_id: str
    secret: str
    confidence: str = ""  # '' = not checked


class Gen(corpus.Gen):
    """tests/corpus.py's generator (random tokens of mixed classes, seeded) plus the shapes this corpus needs."""

    def pw(self) -> str:
        """A random password with a symbol (no quote, backslash, '$', '#', ':' or '@')."""
        return self.s(6) + self.rng.choice("!%^*-_.+=") + self.s(6)

    def human(self) -> str:
        w = self.rng.choice(WORDS).capitalize()
        return w + self.rng.choice(["-", "!", ".", "_"]) + str(self.rng.randint(100, 9999)) + self.rng.choice(["x", "Q", "z"])

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(bytes(self.rng.getrandbits(8) for _ in range(nbytes))).decode()

    def b64url(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(bytes(self.rng.getrandbits(8) for _ in range(nbytes))).decode().rstrip("=")

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def pem_lines(self, kind: str = "RSA PRIVATE KEY", nbytes: int = 600) -> list[str]:
        body = self.b64(nbytes)
        return [f"-----BEGIN {kind}-----", *[body[i:i + 64] for i in range(0, len(body), 64)], f"-----END {kind}-----"]


def build(root: Path, seed: int = 11) -> list[Planted]:
    """Write the corpus under root; return the findings that must come out of it."""
    g = Gen(seed)
    planted: list[Planted] = []
    files: dict[str, str] = {}

    def plant(path: str, rule: str, secret: str, confidence: str = "") -> str:
        planted.append(Planted(path, rule, secret, confidence))
        return secret

    # ------------------------------------------------------------ credential files
    p = "home/ops/.netrc"
    files[p] = (f"machine api.heroku.com login ops@acme.io password {plant(p, 'netrc-password', g.pw(), 'high')}\n"
                "machine github.com login x-access-token password ${GITHUB_TOKEN}\n")
    p = "home/postgres/.pgpass"
    files[p] = ("# hostname:port:database:username:password\n"
                f"pg-main.internal:5432:billing:billing_rw:{plant(p, 'pgpass-password', g.human(), 'high')}\n")
    p = "docker/backup/Dockerfile"
    files[p] = ("FROM postgres:16-alpine\n"
                f'RUN echo "pg-main.internal:5432:*:backup:{plant(p, "pgpass-line", g.pw(), "high")}" > /root/.pgpass '
                "&& chmod 600 /root/.pgpass\nCOPY backup.sh /usr/local/bin/\n")
    p = "home/ci/.git-credentials"
    files[p] = f"https://ci-bot:{plant(p, 'git-credentials-password', g.s(24), 'high')}@git.acme.internal\n"
    p = "deploy/nginx/.htpasswd"
    h = "$apr1$" + g.s(8, CRYPT) + "$" + g.s(22, CRYPT)
    files[p] = f"grafana:{plant(p, 'htpasswd-md5-hash', h)}\n"
    p = "backup/etc/shadow"
    h = "$6$" + g.s(16, CRYPT) + "$" + g.s(86, CRYPT)
    files[p] = (f"root:{plant(p, 'shadow-password-hash', h, 'high')}:19720:0:99999:7:::\n"
                "daemon:*:19720:0:99999:7:::\nnobody:!:19720:0:99999:7:::\n")
    p = "home/backup/.my.cnf"
    files[p] = f"[client]\nuser=backup\npassword=\"{plant(p, 'mysql-option-file-password', g.pw(), 'high')}\"\nhost=db-replica\n"
    p = "home/ops/.s3cfg"
    # the access key id is reported too: an id/secret pair's half, as the AWS rules do for AKIA ids
    files[p] = (f"[default]\naccess_key = {plant(p, 'generic-secret-unquoted', 'DO00' + g.s(16, string.ascii_uppercase + string.digits), 'medium')}\n"
                f"host_base = fra1.digitaloceanspaces.com\nsecret_key = {plant(p, 's3cfg-secret-key', g.s(43, ALNUM + '/+'), 'high')}\n")
    p = "home/ops/.boto"
    files[p] = f"[Credentials]\ngs_oauth2_refresh_token = {plant(p, 'boto-config-secret', '1//0' + g.s(60, ALNUM + '-_'), 'high')}\n"
    p = "home/ci/.pypirc"
    files[p] = ("[distutils]\nindex-servers =\n    internal\n\n[internal]\nrepository = https://nexus.acme.io/repository/pypi/\n"
                f"username = deploy\npassword = {plant(p, 'pypirc-password', g.human(), 'high')}\n")
    p = "web/.npmrc"
    files[p] = f"registry=https://npm.acme.io/\n//npm.acme.io/:_authToken={plant(p, 'npmrc-auth-token', g.s(40), 'high')}\n"
    p = "home/deploy/.gem/credentials"
    files[p] = f"---\n:rubygems_api_key: {plant(p, 'gem-credentials-key', g.hexs(32), 'high')}\n"
    p = "home/ci/.m2/settings.xml"
    files[p] = (f"<settings>\n  <servers>\n    <server>\n      <id>releases</id>\n      <username>deploy</username>\n"
                f"      <password>{plant(p, 'maven-settings-password', g.pw(), 'high')}</password>\n"
                "    </server>\n    <server>\n      <id>snapshots</id>\n      <password>${env.NEXUS_PASSWORD}</password>\n"
                "    </server>\n  </servers>\n</settings>\n")
    p = "android/gradle.properties"
    files[p] = (f"org.gradle.jvmargs=-Xmx4g\nsigning.keyId={g.hexs(8).upper()}\n"
                f"signing.password={plant(p, 'gradle-properties-password', g.pw(), 'high')}\n")
    p = "home/ci/.docker/config.json"
    auth = base64.b64encode(f"gl-ci:{g.pw()}".encode()).decode()
    files[p] = json.dumps({"auths": {"registry.gitlab.com": {"auth": plant(p, "docker-config-auth", auth, "high")},
                                     "123456789012.dkr.ecr.eu-west-1.amazonaws.com": {"auth": ""}},
                           "credsStore": "ecr-login"}, indent=2) + "\n"
    p = "home/ci/.kube/config"
    key_b64 = base64.b64encode("\n".join(g.pem_lines("EC PRIVATE KEY", 120)).encode()).decode()
    files[p] = ("apiVersion: v1\nkind: Config\nusers:\n- name: ci-deployer\n  user:\n"
                f"    token: {plant(p, 'kubeconfig-user-token', g.s(40), 'high')}\n"
                "- name: admin\n  user:\n"
                f"    client-certificate-data: {base64.b64encode(b'-----BEGIN CERTIFICATE-----').decode()}\n"
                f"    client-key-data: {plant(p, 'kubeconfig-client-key-data', key_b64)}\n")
    p = "AppData/Roaming/FileZilla/sitemanager.xml"
    fz = base64.b64encode(g.pw().encode()).decode()
    files[p] = ("<?xml version=\"1.0\"?>\n<FileZilla3>\n  <Servers>\n    <Server>\n      <Host>ftp.hosting.acme.net</Host>\n"
                f"      <User>deploy</User>\n      <Pass encoding=\"base64\">{plant(p, 'filezilla-saved-password', fz, 'high')}</Pass>\n"
                "    </Server>\n  </Servers>\n</FileZilla3>\n")
    p = "tools/WinSCP.ini"
    files[p] = ("[Sessions\\deploy@sftp.acme.io]\nHostName=sftp.acme.io\nUserName=deploy\n"
                f"Password={plant(p, 'winscp-saved-password', 'A35C' + g.hexs(44).upper(), 'high')}\nPasswordDialogsShown=1\n")
    p = "workspace/.dbeaver/data-sources.json"
    files[p] = json.dumps({"connections": {"postgres-1": {"provider": "postgresql", "configuration": {
        "host": "pg-main.internal", "database": "billing", "user": "analyst",
        "password": plant(p, "dbeaver-saved-password", g.pw(), "high")}}}}, indent=2) + "\n"
    p = "etc/vsftpd/virtual_users.txt"
    files[p] = (f"uploader\n{plant(p, 'vsftpd-virtual-users-password', g.pw(), 'high')}\n"
                f"partner-edi\n{plant(p, 'vsftpd-virtual-users-password', g.pw(), 'high')}\n")
    p = "home/ops/.msmtprc"
    files[p] = ("defaults\nauth on\ntls on\naccount work\nhost smtp.office365.com\nport 587\nuser alerts@acme.io\n"
                f"password {plant(p, 'mail-client-rc-password', g.pw(), 'high')}\n")
    p = "home/ops/.fetchmailrc"
    files[p] = f'poll imap.acme.io protocol IMAP user "alerts" there with password "{plant(p, "mail-client-rc-password", g.pw(), "high")}" is "ops" here ssl\n'
    p = "home/ops/.muttrc"
    files[p] = (f'set imap_user = "jdoe@acme.io"\nset imap_pass = "{plant(p, "mutt-password", g.pw(), "high")}"\n'
                'set smtp_pass = "`pass show mail/acme`"\n')
    p = "var/jenkins_home/credentials.xml"
    enc = "{AQAAABAAAAAQ" + g.s(44, ALNUM + "+/") + "=}"
    files[p] = ("<com.cloudbees.plugins.credentials.SystemCredentialsProvider>\n"
                "  <com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"
                f"    <id>nexus-deploy</id>\n    <username>deploy</username>\n"
                f"    <password>{plant(p, 'jenkins-credentials-xml', enc, 'high')}</password>\n"
                "  </com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"
                "</com.cloudbees.plugins.credentials.SystemCredentialsProvider>\n")
    p = "apps/shop/config/master.key"
    files[p] = plant(p, "rails-master-key", g.hexs(32), "high") + "\n"
    p = "deploy/ansible/.vault_pass"
    files[p] = plant(p, "ansible-vault-password-file", g.pw() + g.s(8), "high") + "\n"
    p = "etc/postfix/sasl_passwd"
    files[p] = f"[smtp.sendgrid.net]:587 apikey:{plant(p, 'postfix-sasl-password', g.s(30), 'high')}\n"
    p = "home/deploy/.edgerc"
    akab = string.ascii_lowercase + string.digits
    files[p] = ("[default]\n"
                f"client_secret = {plant(p, 'akamai-edgegrid-client-secret', g.b64(32), 'high')}\n"
                f"host = akab-{g.s(16, akab)}-{g.s(16, akab)}.luna.akamaiapis.net\n"
                f"access_token = {plant(p, 'akamai-edgegrid-token', 'akab-' + g.s(16, akab) + '-' + g.s(16, akab), 'high')}\n"
                f"client_token = {plant(p, 'akamai-edgegrid-token', 'akab-' + g.s(16, akab) + '-' + g.s(16, akab), 'high')}\n")
    p = "home/runner/.kaggle/kaggle.json"
    files[p] = json.dumps({"username": "mlops-bot", "key": plant(p, "kaggle-json-key", g.hexs(32), "high")}) + "\n"
    p = "home/ops/.curlrc"
    files[p] = f'silent\nuser = "svc-backup:{plant(p, "curlrc-user-password", g.pw(), "high")}"\n'
    p = "etc/pgbouncer/userlist.txt"
    files[p] = f'"billing" "{plant(p, "pgbouncer-userlist-password", "md5" + g.hexs(32), "high")}"\n"stats" ""\n'
    p = "keys/deploy.ppk"
    pub = g.b64(51)
    prv = g.b64(90)
    ppk = ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key-20240319\nPublic-Lines: 2\n"
           f"{pub[:64]}\n{pub[64:]}\nPrivate-Lines: 2\n{prv[:64]}\n{prv[64:]}\nPrivate-MAC: {g.hexs(64)}")
    files[p] = ppk + "\n"
    plant(p, "private-key-putty", ppk)

    # ------------------------------------------------------------ positional arguments
    p = "public/inc/db.php"
    files[p] = ("<?php\n$db = mysqli_connect('10.0.3.17', 'shop', "
                f"'{plant(p, 'positional-password-php', g.pw())}', 'shop');\n"
                "$legacy = new PDO($dsn, $user, getenv('LEGACY_DB_PASSWORD'));\n")
    p = "jobs/report.py"
    files[p] = ("import os\nimport pymysql\n\n\ndef connect():\n"
                f'    return pymysql.connect("mysql-01.internal", "reporting", "{plant(p, "positional-password-python", g.pw())}", "reports")\n\n\n'
                'def connect_replica():\n    return pymysql.connect(os.environ["DB_HOST"], "reporting", os.environ["DB_PASSWORD"], "reports")\n')
    p = "src/db.ts"
    files[p] = ("import { Sequelize } from 'sequelize';\n\n"
                f"export const sequelize = new Sequelize('orders', 'orders_app', '{plant(p, 'positional-password-js', g.pw())}', "
                "{ host: 'pg.internal', dialect: 'postgres' });\n"
                "export const replica = new Sequelize(process.env.DB_NAME!, process.env.DB_USER!, process.env.DB_PASS!);\n")
    p = "src/main/java/acme/graph/GraphConfig.java"
    files[p] = ("package acme.graph;\n\nimport org.neo4j.driver.*;\n\npublic class GraphConfig {\n"
                "    public Driver driver(String uri) {\n"
                f'        return GraphDatabase.driver(uri, AuthTokens.basic("neo4j", "{plant(p, "positional-password-jvm", g.pw())}"));\n'
                "    }\n}\n")
    p = "notify/mail.go"
    files[p] = ('package notify\n\nimport "net/smtp"\n\nfunc auth() smtp.Auth {\n'
                f'\treturn smtp.PlainAuth("", "alerts@acme.io", "{plant(p, "positional-password-go", g.pw())}", "smtp.acme.io")\n}}\n')
    p = "lib/mailer.rb"
    files[p] = ("require 'net/smtp'\n\n"
                f"Net::SMTP.start('smtp.acme.io', 587, 'acme.io', 'alerts@acme.io', '{plant(p, 'positional-password-ruby', g.pw())}', :login) do |smtp|\n"
                "  smtp.send_message(body, from, to)\nend\n")
    p = "Edi/Uploader.cs"
    files[p] = ("using Renci.SshNet;\n\npublic class Uploader {\n    public void Push() {\n"
                f'        using var sftp = new SftpClient("sftp.partner.net", "acme-edi", "{plant(p, "positional-password-ssh-net", g.pw())}");\n'
                "        sftp.Connect();\n    }\n}\n")
    p = "auth/ldap_sync.py"
    files[p] = ("import ldap\n\nconn = ldap.initialize('ldaps://dc01.corp.acme.local')\n"
                f"conn.simple_bind_s('cn=svc-reader,ou=services,dc=acme,dc=io', '{plant(p, 'ldap-bind-password', g.pw())}')\n")

    # ------------------------------------------------------------ command lines
    p = "scripts/flush-cache.sh"
    files[p] = ("#!/bin/sh\nset -eu\n"
                f"redis-cli -h cache.internal -a {plant(p, 'cli-tool-password-argument', g.pw())} --no-auth-warning FLUSHDB\n"
                'redis-cli -a "$REDIS_PASSWORD" ping\n')
    p = "docker-compose.yml"
    files[p] = ("services:\n  cache:\n    image: redis:7\n"
                f"    command: redis-server --appendonly yes --requirepass {plant(p, 'cli-long-flag-secret', g.pw())}\n"
                "    healthcheck:\n"
                f'      test: ["CMD", "redis-cli", "-a", "{plant(p, "cli-exec-array-secret", g.pw())}", "ping"]\n'
                "  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n")
    p = ".gitlab-ci.yml"
    files[p] = ("build:\n  script:\n"
                f'    - docker login -u deploy -p "{plant(p, "cli-tool-password-argument", g.pw())}" registry.acme.io\n'
                '    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY\n')
    p = "Makefile"
    files[p] = ("keystore:\n"
                f"\tkeytool -importkeystore -srckeystore app.p12 -destkeystore app.jks -deststorepass {plant(p, 'cli-tool-password-argument', g.pw())}\n")
    p = "service/Dockerfile"
    files[p] = ("FROM eclipse-temurin:21\nCOPY app.jar /app/app.jar\n"
                f'ENTRYPOINT ["java", "-Dspring.datasource.password={plant(p, "jvm-system-property-secret", g.pw())}", "-jar", "/app/app.jar"]\n')
    p = "cron/backup.sh"
    files[p] = ("#!/bin/sh\n"
                f"PGPASSWORD={plant(p, 'cli-env-prefix-secret', g.pw())} pg_dump -h pg-main.internal -U backup billing > billing.sql\n"
                'PGPASSWORD="$REPLICA_PASSWORD" pg_dump -h pg-replica -U backup billing > replica.sql\n')

    # ------------------------------------------------------------ server directives
    p = "deploy/redis/redis.conf"
    files[p] = f'bind 0.0.0.0\nport 6379\n# requirepass foobared\nrequirepass "{plant(p, "redis-config-password", g.pw())}"\n'
    p = "haproxy/haproxy.cfg"
    files[p] = f"listen stats\n  bind :8404\n  stats enable\n  stats auth admin:{plant(p, 'haproxy-auth-password', g.pw())}\n"
    p = "etc/nslcd.conf"
    files[p] = ("uri ldaps://dc01.corp.acme.local\nbinddn cn=nslcd,ou=svc,dc=corp,dc=acme,dc=local\n"
                f"bindpw {plant(p, 'ldap-client-bind-password', g.pw())}\n")

    # ------------------------------------------------------------ IaC parameters
    p = "infra/rds.yaml"
    files[p] = ("Parameters:\n  DBMasterPassword:\n    Type: String\n    NoEcho: true\n    MinLength: 12\n"
                f"    Default: {plant(p, 'cloudformation-noecho-default', g.pw())}\n"
                "  DBName:\n    Type: String\n    Default: orders\n")
    p = "infra/params/prod.json"
    files[p] = json.dumps([{"ParameterKey": "Environment", "ParameterValue": "prod"},
                           {"ParameterKey": "DBMasterPassword", "ParameterValue": plant(p, "cloudformation-parameter-value", g.pw())}],
                          indent=2) + "\n"
    p = "infra/rds/variables.tf"
    files[p] = ('variable "db_master_password" {\n  type        = string\n  description = "RDS master password"\n'
                f'  default     = "{plant(p, "terraform-variable-default", g.pw())}"\n}}\n\n'
                'variable "token_ttl" {\n  default = "3600"\n}\n')
    p = "inventories/prod/hosts"
    files[p] = ("[web]\n"
                f"web01 ansible_host=10.0.1.11 ansible_user=deploy ansible_password={plant(p, 'ansible-inventory-password', g.pw())}\n"
                'web02 ansible_host=10.0.1.12 ansible_password="{{ vault_web_password }}"\n')

    # ------------------------------------------------------------ keys in other encodings
    p = "app/auth/keys.py"
    lines = g.pem_lines()
    body = "".join(f'    "{ln}\\n"\n' for ln in lines)
    files[p] = f"PRIVATE_KEY = (\n{body})\n"
    plant(p, "private-key-split-strings", body.strip().removeprefix('"').removesuffix('\\n"'))
    p = "k8s/ingress-tls.yaml"
    b = base64.b64encode(("\n".join(g.pem_lines()) + "\n").encode()).decode()
    files[p] = ("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: web-tls\ndata:\n"
                f"  tls.crt: {base64.b64encode(chr(10).join(g.pem_lines('CERTIFICATE')).encode()).decode()}\n"
                f"  tls.key: {plant(p, 'private-key-base64-pem', b)}\n")
    p = "config/jwks-private.json"
    d = g.b64url(256)
    files[p] = json.dumps({"keys": [{"kty": "RSA", "kid": "sig-1", "use": "sig", "n": g.b64url(256), "e": "AQAB",
                                     "d": plant(p, "jwk-private-key", d), "p": g.b64url(128), "q": g.b64url(128)}]},
                          indent=2) + "\n"
    p = "secrets/orders.creds"
    # a user seed with a valid CRC-16 (nats-nkey-seed checks it): prefix bytes, 32 seed bytes, checksum
    body = bytes([18 << 3 | (20 << 3) >> 5, ((20 << 3) & 31) << 3]) + bytes(g.rng.randrange(256) for _ in range(32))
    seed = base64.b32encode(body + crc16_xmodem(body).to_bytes(2, "little")).decode().rstrip("=")
    files[p] = (f"-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.{g.b64url(60)}.{g.b64url(64)}\n"
                "------END NATS USER JWT------\n\n"
                f"-----BEGIN USER NKEY SEED-----\n{plant(p, 'nats-nkey-seed', seed)}\n------END USER NKEY SEED------\n")
    p = "etc/wireguard/wg0.conf"
    wg = g.b64(32)
    files[p] = (f"[Interface]\nAddress = 10.8.0.1/24\nListenPort = 51820\nPrivateKey = {plant(p, 'wireguard-private-key', wg)}\n\n"
                f"[Peer]\nPublicKey = {g.b64(32)}\nAllowedIPs = 10.8.0.2/32\n")

    # ------------------------------------------------------------ HTTP headers
    p = "tests/cassettes/test_list_invoices.yaml"
    files[p] = ("interactions:\n- request:\n    body: null\n    headers:\n      Accept: ['*/*']\n      Authorization:\n"
                f"      - Bearer {plant(p, 'http-authorization-header-list', g.s(32))}\n"
                "    method: GET\n    uri: https://api.acme.io/v2/invoices\n  response:\n    status: {code: 200, message: OK}\n")
    p = "scripts/fetch-reports.sh"
    files[p] = (f'curl -sS -H "X-API-Key: {plant(p, "http-api-key-header", g.s(28))}" https://api.acme.io/v1/reports\n'
                'curl -sS -H "X-API-Key: $REPORTS_API_KEY" https://api.acme.io/v1/reports\n')
    p = "config/settings.yaml"
    files[p] = f"database:\n  user: orders\n  password: |\n    {plant(p, 'yaml-block-scalar-secret', g.pw())}\n  host: pg.internal\n"

    # ------------------------------------------------------------ connection strings
    p = "services/orders/.env.production"
    mongo_pw = g.s(6) + "%40" + g.s(6)
    files[p] = (f"MONGO_URI=mongodb+srv://orders-svc:{plant(p, 'mongodb-url-password', mongo_pw)}@cluster0.{g.s(5).lower()}.mongodb.net/orders\n"
                f"REDIS_URL=rediss://default:{plant(p, 'redis-url-password', g.s(16))}@cache.internal:6380/0\n"
                f"BROKER_URL=amqps://orders:{plant(p, 'amqp-url-password', g.s(16))}@mq.internal:5671/orders\n"
                f"SNOWFLAKE_URL=snowflake://etl_user:{plant(p, 'database-url-password', g.s(16))}@xy12345.eu-central-1/ANALYTICS\n"
                f"EMAIL_URL=smtp+tls://notifier:{plant(p, 'smtp-url-password', g.s(16))}@smtp.office365.com:587\n"
                "DATABASE_URL=postgres://orders:${DB_PASSWORD}@pg.internal:5432/orders\n")
    p = "services/erp/conf/database.properties"
    files[p] = (f"jdbc.url=jdbc:sqlserver://sql01.corp.local:1433;databaseName=Payroll;user=payroll_app;password={plant(p, 'jdbc-url-password-param', g.s(14))};encrypt=true\n"
                f"catalog.url=jdbc:mysql://address=(host=mysql-a.internal)(port=3306)(user=orders)(password={plant(p, 'jdbc-url-password-param', g.s(14))})/orders\n"
                f"erp.url=jdbc:oracle:thin:erp_owner/{plant(p, 'jdbc-oracle-thin-password', g.s(12))}@//ora-prod.acme.local:1521/ERPPDB\n")
    p = "src/Shop.Api/appsettings.Production.json"
    files[p] = json.dumps({"ConnectionStrings": {
        "Default": f"Server=tcp:sql-acme.database.windows.net,1433;Initial Catalog=Shop;User ID=shop;Password={plant(p, 'adonet-connection-string-password', g.s(14))};Encrypt=True;",
        "Local": "Server=(localdb)\\mssqllocaldb;Database=Shop;Trusted_Connection=True"}}, indent=2) + "\n"
    p = "ingest/config.yaml"
    files[p] = (f'clickhouse:\n  dsn: "clickhouse://default:{plant(p, "database-url-password", g.s(14))}@ch-0.analytics.svc:9000/events"\n'
                f'graph:\n  uri: "neo4j+s://neo4j:{plant(p, "database-url-password", g.s(14))}@a1b2c3d4.databases.neo4j.io"\n'
                f'search:\n  hosts: ["https://elastic:{plant(p, "elasticsearch-url-password", g.s(14))}@es-prod.acme.io:9243"]\n'
                f'ldap:\n  url: "ldaps://svc-gitlab:{plant(p, "ldap-url-password", g.s(14))}@dc01.corp.acme.local:636"\n'
                f'inbox: "imaps://support:{plant(p, "service-url-password", g.s(14))}@outlook.office365.com:993/INBOX"\n')
    p = "cron/nightly.sh"
    files[p] = (f"sqlplus -s erp_owner/{plant(p, 'oracle-ezconnect-password', g.s(12))}@ora-prod.acme.local:1521/ERPPDB @nightly.sql\n"
                f"git clone https://{plant(p, 'git-remote-token', g.hexs(40))}@github.com/acme/infra.git\n"
                f"curl -T dump.tgz ftp://deploy:{plant(p, 'ftp-url-password', g.s(14))}@ftp.hosting.acme.net/backups/\n")
    p = "internal/store/mysql.go"
    files[p] = ('package store\n\nimport "database/sql"\n\nfunc Open() (*sql.DB, error) {\n'
                f'\treturn sql.Open("mysql", "orders:{plant(p, "mysql-go-dsn-password", g.pw())}@tcp(mysql-01.internal:3306)/orders?parseTime=true")\n}}\n')
    p = "etl/odbc.py"
    files[p] = ('import pyodbc\n\nconn = pyodbc.connect("DRIVER={ODBC Driver 18 for SQL Server};SERVER=10.2.0.8;DATABASE=hr;'
                f'UID=hr_etl;PWD={{{plant(p, "adonet-connection-string-password", g.s(6) + "!" + g.s(6))}}}")\n')

    # ------------------------------------------------------------ decoys (no finding)
    files["web/package-lock.json"] = json.dumps({"name": "web", "lockfileVersion": 3, "packages": {
        f"node_modules/{w}": {"version": f"1.{i}.0", "resolved": f"https://registry.npmjs.org/{w}/-/{w}-1.{i}.0.tgz",
                              "integrity": "sha512-" + g.b64(64)} for i, w in enumerate(WORDS)}}, indent=2) + "\n"
    files["web/dist/app.min.js"] = ("!function(){" + ";".join(
        f"var {g.s(2, string.ascii_lowercase)}=\"{g.s(32, ALNUM + '+/')}\",{g.s(1, string.ascii_lowercase)}=function(e,t){{return e.auth(t,\"{g.s(12)}\")}}"
        for _ in range(30)) + "}();\n")
    files["uv.lock"] = "".join(
        f'[[package]]\nname = "{w}"\nversion = "2.{i}.1"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
        f'sdist = {{ url = "https://files.pythonhosted.org/packages/{g.hexs(2)}/{w}-2.{i}.1.tar.gz", hash = "sha256:{g.hexs(64)}" }}\n\n'
        for i, w in enumerate(WORDS))
    files["dist/SHA256SUMS"] = "".join(f"{g.hexs(64)}  leakguard-{i}.tar.gz\n" for i in range(20))
    files["db/migrations/0007_seed.sql"] = "".join(
        f"INSERT INTO accounts (id, owner, api_client_id) VALUES ('{g.uuid()}', '{w}', '{g.uuid()}');\n" for w in WORDS)
    files["tests/vectors/hmac_sha256.txt"] = "".join(
        f"# RFC 4231 style test case {i}\nKey = {g.hexs(40)}\nData = {g.hexs(16)}\nPRF-HMAC-SHA-256 = {hashlib.sha256(str(i).encode()).hexdigest()}\n\n"
        for i in range(8))
    files["docs/img/logo.md"] = f"![logo](data:image/png;base64,{g.b64(600)})\n"
    files["home/ops/.ssh/id_ed25519.pub"] = f"ssh-ed25519 {g.b64(51)} ops@laptop\n"
    files["certs/ca.pem"] = "\n".join(g.pem_lines("CERTIFICATE")) + "\n"
    files["config/jwks.json"] = json.dumps({"keys": [{"kty": "RSA", "kid": "sig-1", "use": "sig", "n": g.b64url(256), "e": "AQAB"}]}) + "\n"
    files["docs/setup.md"] = """# Setup

Connect with `mysqli_connect('localhost', 'user', 'password', 'db')` or
`redis-cli -a <password> ping`. Test with
`PGPASSWORD=$PGPASSWORD psql -h localhost` and `docker login -u user -p <token>`.

    sqlplus scott/tiger@orcl
    requirepass foobared
    curl -H "X-API-Key: <your-api-key>" https://api.acme.io
    ansible_password="{{ vault_password }}"
"""
    files["k8s/kubeconfig-view.yaml"] = "users:\n- name: admin\n  user:\n    client-certificate-data: DATA+OMITTED\n    client-key-data: DATA+OMITTED\n"
    files["tests/cassettes/test_filtered.yaml"] = ("interactions:\n- request:\n    headers:\n      Authorization:\n      - DUMMY\n"
                                                   "      X-Api-Key:\n      - <FILTERED>\n    method: GET\n")
    files["src/pem_markers.py"] = ('PEM_MARKERS = ("-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----")\n'
                                   'PUBLIC = ("-----BEGIN PUBLIC KEY-----\\n"\n          "' + g.b64(48) + '\\n"\n'
                                   '          "-----END PUBLIC KEY-----\\n")\n')
    files["infra/params/staging.json"] = json.dumps([{"ParameterKey": "DBMasterPassword", "UsePreviousValue": True},
                                                     {"ParameterKey": "TokenTtl", "ParameterValue": "3600"}]) + "\n"
    files["src/clients.py"] = ('import os\nfrom elasticsearch import Elasticsearch\n\n'
                               'es = Elasticsearch(os.environ["ES_URL"], basic_auth=(os.environ["ES_USER"], os.environ["ES_PASSWORD"]))\n'
                               'conn = pymysql.connect(host, user, password, db)\n')
    files["home/ci/.netrc.template"] = "machine github.com login x-access-token password ${GITHUB_TOKEN}\n"

    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return planted
