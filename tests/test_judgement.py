"""Judgement in the positions that vouch for themselves: credential files report
every credential whatever it looks like, and connection strings are judged on
the password, never on the host (docs/confidence.md)."""
from __future__ import annotations

import base64

import pytest

from leakguard.engine import Engine
from leakguard.filters import credential_file_reason
from leakguard.model import Chunk, Origin


def _found(engine: Engine, path: str, text: str) -> list[tuple[str, str, str]]:
    found = engine.scan(Chunk(text.encode(), (Origin("file", path),))).findings
    return [(f.rule_id, f.secret, f.confidence) for f in found]


# ---------------------------------------------------------------- credential files
# One line (or a few) of each credential-file kind whose value is a password a person
# chose, with {v} where the value goes.
CREDENTIAL_FILES = [
    ("netrc-password", "home/ops/.netrc", "machine api.acme.io login ops password {v}\n"),
    ("netrc-password", "ci/_netrc", "machine nexus.acme.io\n  login ci\n  password {v}\n"),
    ("git-credentials-password", "home/ops/.git-credentials", "https://ops:{v}@git.acme.io\n"),
    ("pypirc-password", ".pypirc", "[pypi]\nusername = acme\npassword = {v}\n"),
    ("maven-settings-password", ".m2/settings.xml",
     "<servers><server><id>nexus</id><username>ci</username><password>{v}</password></server></servers>\n"),
    ("gradle-properties-password", "gradle.properties", "nexusPassword={v}\n"),
    ("mysql-option-file-password", "home/dba/.my.cnf", "[client]\nuser=dba\npassword={v}\n"),
    ("pgpass-password", "home/app/.pgpass", "db.acme.io:5432:orders:app:{v}\n"),
    ("boto-config-secret", "home/ops/.boto", "[Credentials]\ngs_service_key_file_password = {v}\n"),
    ("s3cfg-secret-key", ".s3cfg", "[default]\naccess_key = minio\nsecret_key = {v}\n"),
    ("kubeconfig-user-token", "home/ops/.kube/config",
     "users:\n- name: ops\n  user:\n    password: {v}\n"),
    ("dbeaver-saved-password", ".dbeaver/data-sources.json", '{{"configuration": {{"user": "sa", "password": "{v}"}}}}\n'),
    ("vsftpd-virtual-users-password", "etc/vsftpd/virtual_users.txt", "uploader\n{v}\n"),
    ("mail-client-rc-password", "home/ops/.msmtprc", "account default\nhost smtp.acme.io\nuser ops\npassword {v}\n"),
    ("jenkins-credentials-xml", "jenkins/credentials.xml",
     "<com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n  <username>ci</username>\n"
     "  <password>{v}</password>\n</com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"),
    ("ansible-vault-password-file", ".vault_pass", "{v}\n"),
    ("smb-credentials-file", "etc/samba/.smbcredentials", "username=backup\npassword={v}\n"),
    ("postfix-sasl-password", "etc/postfix/sasl_passwd", "[smtp.acme.io]:587 relay@acme.io:{v}\n"),
    ("pgbouncer-userlist-password", "etc/pgbouncer/userlist.txt", '"app" "{v}"\n'),
    ("ppp-secrets-password", "etc/ppp/chap-secrets", 'isp-user * "{v}" *\n'),
]
# Weak, dictionary-like or placeholder-looking values that somebody does use as a
# password: in a credential file each is a credential, reported at high.
WEAK_IN_FILES = ["pass123", "changeme", "changeme2024", "password", "Passw0rd!", "hunter2", "mypassword",
                 "Fake-Pass1", "test", "abc", "secret", "example-pw"]
# What holds no secret at all, even there.
NOT_CREDENTIALS = ["${DB_PASSWORD}", "{{ vault_db_password }}", "<password>", "********", "xxxx", "$PASSWORD",
                   "%(password)s"]


@pytest.mark.parametrize("value", WEAK_IN_FILES)
@pytest.mark.parametrize(("rule_id", "path", "template"), CREDENTIAL_FILES, ids=[f"{r}:{p}" for r, p, _ in CREDENTIAL_FILES])
def test_weak_value_in_credential_file_is_high(engine: Engine, rule_id: str, path: str, template: str, value: str) -> None:
    assert (rule_id, value, "high") in _found(engine, path, template.format(v=value))


@pytest.mark.parametrize("value", NOT_CREDENTIALS)
@pytest.mark.parametrize(("rule_id", "path", "template"), CREDENTIAL_FILES, ids=[f"{r}:{p}" for r, p, _ in CREDENTIAL_FILES])
def test_template_in_credential_file_is_dropped(engine: Engine, rule_id: str, path: str, template: str, value: str) -> None:
    assert not [f for f in _found(engine, path, template.format(v=value)) if f[0] == rule_id]


@pytest.mark.parametrize("cred", ["ci:pass123", "deploy:changeme", "ops:abc", "a:b", "bot:Passw0rd!"])
def test_weak_base64_auth_in_credential_file_is_high(engine: Engine, cred: str) -> None:
    b = base64.b64encode(cred.encode()).decode()
    assert ("docker-config-auth", b, "high") in _found(
        engine, ".docker/config.json", '{"auths": {"registry.acme.io": {"auth": "%s"}}}' % b)
    assert ("npmrc-basic-auth", b, "high") in _found(engine, ".npmrc", f"//npm.acme.io/:_auth={b}\n")


@pytest.mark.parametrize("cred", ["<username>:<password>", "ci:${NPM_TOKEN}", "bot:", "ci:********"])
def test_templated_base64_auth_is_dropped(engine: Engine, cred: str) -> None:
    b = base64.b64encode(cred.encode()).decode()
    docker = _found(engine, ".docker/config.json", '{"auths": {"registry.acme.io": {"auth": "%s"}}}' % b)
    assert not [f for f in docker if f[0] == "docker-config-auth"]
    assert not _found(engine, ".npmrc", f"//npm.acme.io/:_auth={b}\n")


def test_credential_file_reason_drops_only_non_secrets() -> None:
    for v in ("", "  ", "${X}", "<your-password>", "{{ pw }}", "*****", "xxxxxx", "AKIAIOSFODNN7EXAMPLE",
              "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"):
        assert credential_file_reason(v), v
    for v in WEAK_IN_FILES + ["xKfPqLmZtR", "q8Lk2vT9xNp4"]:
        assert credential_file_reason(v) is None, v


def test_same_syntax_outside_a_credential_file_keeps_the_placeholder_judgement(engine: Engine) -> None:
    # the pgpass shape matched in any file (pgpass-line) is not a credential file by name
    assert not [f for f in _found(engine, "docs/setup.md", "db.acme.io:5432:orders:app:changeme\n") if f[1] == "changeme"]


# ---------------------------------------------------------------- GCS HMAC keys
def test_gcs_hmac_secret_has_its_own_identity(engine: Engine) -> None:
    text = ("[Credentials]\ngs_access_key_id = GOOG1EDE1M0YKM09VCTQVQ6NQUKK1KER4SDI9LNJYY157DN7FM1TI8I2SSFL9\n"
            "gs_secret_access_key = gPhZnpqlt8kaxMsuqqTDSclyfEkoaYZOw6JuuWcC\n")
    found = engine.scan(Chunk(text.encode(), (Origin("file", "home/ops/.boto"),))).findings
    assert [(f.rule_id, f.secret) for f in found] == [("gcs-hmac-secret-key", "gPhZnpqlt8kaxMsuqqTDSclyfEkoaYZOw6JuuWcC")]
    rule = next(r for r in engine.rules if r.id == "gcs-hmac-secret-key")
    assert rule.hint["provider"].startswith("Google Cloud Storage") and "storage" in rule.hint["revoke"]
    # the AWS pair in the same file stays AWS
    aws = "aws_secret_access_key = gPhZnpqlt8kaxMsuqqTDSclyfEkoaYZOw6JuuWcC\n"
    assert [f[0] for f in _found(engine, "home/ops/.boto", aws)] == ["aws-secret-access-key"]


# ---------------------------------------------------------------- connection strings: hosts do not decide
# One string per connection-string family, on a documentation host, with {pw} for the password.
CONNECTION_STRINGS = [
    ("postgres-url-password", "DATABASE_URL=postgres://billing:{pw}@db.example.com:5432/billing"),
    ("postgres-url-password-param", 'PG_URI="postgresql://pg.example.com:5432/metrics?user=grafana&password={pw}&sslmode=require"'),
    ("postgres-dsn-password", 'conn = psycopg2.connect("host=pg.example.com dbname=inventory user=inv_app password={pw}")'),
    ("mysql-url-password", "DATABASES_URL = 'mysql://shop:{pw}@mysql.example.org:3306/shop'"),
    ("mssql-url-password", 'MSSQL_URL="mssql+pyodbc://sa:{pw}@sql01.example.net:1433/Payroll"'),
    ("mongodb-url-password", "MONGO_URI=mongodb+srv://orders-svc:{pw}@cluster0.example.com/orders?retryWrites=true"),
    ("redis-url-password", 'CELERY_RESULT_BACKEND = "redis://:{pw}@redis.example.com:6379/1"'),
    ("amqp-url-password", 'CELERY_BROKER_URL = "amqp://orders:{pw}@rabbitmq.example.com:5672/orders"'),
    ("ldap-url-password", "AUTH_LDAP_URL=ldaps://svc-gitlab:{pw}@dc01.corp.example:636"),
    ("ftp-url-password", "curl -T build.tar.gz ftp://deploy:{pw}@ftp.example.com/public_html/"),
    ("smtp-url-password", "EMAIL_URL=smtp+tls://notifier:{pw}@smtp.example.com:587"),
    ("jdbc-url-userinfo-password", "spring.datasource.url=jdbc:mysql://catalog:{pw}@mysql.example.com:3306/catalog?useSSL=true"),
    ("jdbc-url-password-param", "spring.datasource.url=jdbc:postgresql://pg.example.com:5432/app?user=app&password={pw}&ssl=true"),
    ("jdbc-oracle-thin-password", "db.url=jdbc:oracle:thin:erp_owner/{pw}@//ora.example.com:1521/ERPPDB"),
    ("adonet-connection-string-password",
     '"DefaultConnection": "Server=tcp:sql.example.com,1433;Initial Catalog=Shop;User ID=shopadmin;Password={pw};"'),
    ("url-userinfo-password", "git clone https://ci-bot:{pw}@git.example.com/platform/infra.git"),
    ("database-url-password", "SNOWFLAKE_URL=snowflake://etl_user:{pw}@acct.example.com/ANALYTICS/PUBLIC"),
    ("service-url-password", "NATS_URL=nats://orders:{pw}@nats.example.invalid:4222"),
    ("elasticsearch-url-password", "ELASTICSEARCH_HOSTS=https://elastic:{pw}@es.example.com:9243"),
    ("oracle-ezconnect-password", "sqlplus -s erp_owner/{pw}@ora.example.com:1521/ERPPDB @nightly.sql"),
    ("mysql-go-dsn-password", 'db, err := sql.Open("mysql", "orders:{pw}@tcp(mysql.example.com:3306)/orders?parseTime=true")'),
]


@pytest.mark.parametrize(("rule_id", "template"), CONNECTION_STRINGS, ids=[r for r, _ in CONNECTION_STRINGS])
def test_random_password_on_documentation_host_is_reported(engine: Engine, rule_id: str, template: str) -> None:
    assert (rule_id, "Qm7vT2xLp9wK", "medium") in _found(engine, "app/settings.py", template.format(pw="Qm7vT2xLp9wK"))


@pytest.mark.parametrize(("rule_id", "template"), CONNECTION_STRINGS, ids=[r for r, _ in CONNECTION_STRINGS])
def test_weak_password_on_documentation_host_is_reported(engine: Engine, rule_id: str, template: str) -> None:
    # a known weak password in production configuration is medium; in program source or a test, low
    # (docs/confidence.md, "The file decides"): the host has no say
    assert (rule_id, "pass123", "medium") in _found(engine, "deploy/app/settings.conf", template.format(pw="pass123"))
    assert (rule_id, "pass123", "low") in _found(engine, "app/settings.py", template.format(pw="pass123"))
    assert (rule_id, "pass123", "low") in _found(engine, "app/tests/test_settings.conf", template.format(pw="pass123"))


@pytest.mark.parametrize("pw", ["password", "changeme", "<password>", "${DB_PASSWORD}", "*****"])
@pytest.mark.parametrize(("rule_id", "template"), CONNECTION_STRINGS, ids=[r for r, _ in CONNECTION_STRINGS])
def test_placeholder_password_is_dropped_whatever_the_host(engine: Engine, rule_id: str, template: str, pw: str) -> None:
    for host_swap in (("example.com", "acme.io"), ("example", "example")):
        text = template.replace(*host_swap).format(pw=pw)
        assert not [f for f in _found(engine, "app/settings.py", text) if f[1] == pw], text


def test_git_remote_token_on_documentation_host(engine: Engine) -> None:
    tok = "3f9a2c7d41b8e6f05a9d2c7b1e4f8a3d6c0b5e92"
    assert ("git-remote-token", tok) in [f[:2] for f in _found(engine, "ci.sh", f"git clone https://{tok}@github.example.com/acme/infra.git")]


# ---------------------------------------------------------------- seed formats (rules/private-key-seeds.yaml)
def _b58check(body: bytes) -> str:
    import hashlib

    from leakguard.checksums import _B58
    raw = body + hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _strkey(prefix: bytes, seed: bytes) -> str:
    from leakguard.checksums import crc16_xmodem
    body = prefix + seed
    return base64.b32encode(body + crc16_xmodem(body).to_bytes(2, "little")).decode().rstrip("=")


def test_crc16_xmodem_check_value() -> None:
    from leakguard.checksums import crc16_xmodem
    assert crc16_xmodem(b"123456789") == 0x31C3  # the catalogue check value of CRC-16/XMODEM


@pytest.mark.parametrize("i", range(20))
def test_seed_validators_accept_generated_and_refuse_corrupted(i: int) -> None:
    import random

    from leakguard import checksums
    rnd = random.Random(i)
    seed = bytes(rnd.randrange(256) for _ in range(32))
    stellar = _strkey(bytes([18 << 3]), seed)
    nats = _strkey(bytes([18 << 3 | (20 << 3) >> 5, ((20 << 3) & 31) << 3]), seed)  # a user seed, SU...
    wif = _b58check(b"\x80" + seed + b"\x01")
    wif_testnet = _b58check(b"\xef" + seed)
    assert stellar.startswith("S") and checksums.valid("stellar-seed", stellar)
    assert nats.startswith("SU") and checksums.valid("nats-seed", nats)
    assert wif[0] in "KL" and checksums.valid("bitcoin-wif", wif)
    assert wif_testnet[0] in "9" and checksums.valid("bitcoin-wif", wif_testnet)
    for token, name, alphabet in ((stellar, "stellar-seed", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                                  (nats, "nats-seed", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                                  (wif, "bitcoin-wif", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")):
        j = rnd.randrange(2, len(token))
        bad = token[:j] + rnd.choice([c for c in alphabet if c != token[j]]) + token[j + 1:]
        assert not checksums.valid(name, bad), (name, bad)
    # the wrong version byte: a Stellar public key (G...) is not a seed, a P2PKH address is not a WIF key
    assert not checksums.valid("stellar-seed", _strkey(bytes([6 << 3]), seed))
    assert not checksums.valid("bitcoin-wif", _b58check(b"\x00" + seed[:20]))


def test_published_vectors() -> None:
    from leakguard import checksums
    assert checksums.valid("bitcoin-wif", "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ")  # the Bitcoin wiki's
    assert checksums.valid("stellar-seed", "SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR")  # SDK docs'
    for name in ("bitcoin-wif", "stellar-seed", "nats-seed"):
        assert not checksums.valid(name, "") and not checksums.valid(name, "S" * 56) and not checksums.valid(name, "é" * 56)


def test_seed_rules_through_the_engine(engine: Engine) -> None:
    seed = bytes(range(7, 39))
    stellar = _strkey(bytes([18 << 3]), seed)
    wif = _b58check(b"\x80" + seed + b"\x01")
    assert ("stellar-secret-seed", stellar, "high") in _found(engine, "app.js", f'Keypair.fromSecret("{stellar}")')
    assert ("bitcoin-wif-private-key", wif, "high") in _found(engine, ".env", f"WALLET_WIF={wif}")
    # no key or wallet word near the WIF: not reported
    assert not [f for f in _found(engine, "notes.txt", f"blob {wif}") if f[0] == "bitcoin-wif-private-key"]
    hexkey = seed.hex()
    assert ("hex-private-key", "0x" + hexkey, "high") in _found(engine, ".env", f"SIGNER_PRIVATE_KEY=0x{hexkey}")
    assert not [f for f in _found(engine, "a.py", f'checksum = "{hexkey}"') if f[0] == "hex-private-key"]
    words = "pretty hamster tattoo mouse universe accuse found crew moment open alcohol witness"  # checksum valid
    assert ("bip39-mnemonic", words, "high") in _found(engine, ".env", f'WALLET_MNEMONIC="{words}"')
    listed = "orbit velvet canyon trust maple hover quiz drama pencil frost anchor sleep"  # no checksum
    assert not [f for f in _found(engine, ".env", f'WALLET_MNEMONIC="{listed}"') if f[0] == "bip39-mnemonic"]
    assert not [f for f in _found(engine, "a.md", f"Remember: {words}") if f[0] == "bip39-mnemonic"]
