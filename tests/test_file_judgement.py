"""Judgement that depends on the file (docs/confidence.md, "The file decides"), and the
password forms of issue 10 that a value's shape alone did not settle: passphrases with
spaces in every credential position, known weak passwords in production config, the
Kafka JAAS user table, positional passwords, and what is dropped as a stand-in in
example, template and translation files. Fixtures are our own realistic config."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from leakguard.confidence import file_kind
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from tests.conftest import RunCli


def _found(engine: Engine, path: str, text: str) -> list[tuple[str, str, str]]:
    found = engine.scan(Chunk(text.encode(), (Origin("file", path),))).findings
    return [(f.rule_id, f.secret, f.confidence) for f in found]


def _levels(engine: Engine, path: str, text: str, value: str) -> list[str]:
    return [c for _, s, c in _found(engine, path, text) if s == value]


# ---------------------------------------------------------------- passphrases with spaces
# Every credential position, with {v} where a four-word passphrase goes.
PASSPHRASE_POSITIONS = [
    ("apps/orders/.env.production", 'ORDERS_DB_PASSWORD="{v}"\n'),
    ("apps/orders/.env", "SUPPORT_ADMIN_PASSWORD={v}\n"),
    ("apps/orders/docker-compose.yml",
     "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: '{v}'\n"),
    ("apps/orders/src/main/resources/application.properties",
     "spring.datasource.username=orders\nspring.datasource.password={v}\n"),
    ("apps/orders/config/database.yml", "production:\n  adapter: postgresql\n  password: {v}\n"),
    ("deploy/ansible/group_vars/dbservers.yml", "---\nmariadb_root_password: {v}\n"),
    ("apps/orders/orders/db.py",
     "conn = psycopg2.connect(host='orders-db', dbname='orders', user='orders', password='{v}')\n"),
    ("ops/scripts/backup.sh", "redis-cli -h cache -a '{v}' BGSAVE\n"),
    ("config/app/legacy.ini", "[ftp]\nhost = files.partner.net\nftp_pass = {v}\n"),
    ("config/app/relay.conf", "relay_password: {v}\n"),
    ("apps/cache/docker-compose.yml",
     'services:\n  cache:\n    image: redis:7\n    command: ["redis-server", "--appendonly", "yes", "--requirepass", "{v}"]\n'),
]
PASSPHRASES = ["lantern otter crisp maple", "Copper falcon drift meadow", "walnut glacier sonnet brisk 42"]


@pytest.mark.parametrize("value", PASSPHRASES)
@pytest.mark.parametrize(("path", "template"), PASSPHRASE_POSITIONS, ids=[p for p, _ in PASSPHRASE_POSITIONS])
def test_passphrase_with_spaces_is_medium_everywhere(engine: Engine, path: str, template: str, value: str) -> None:
    assert _levels(engine, path, template.format(v=value), value) == ["medium"], _found(engine, path, template.format(v=value))


@pytest.mark.parametrize(("path", "text"), [
    ("config/labels.yml", "password: Please enter your password\n"),           # prose
    ("config/help.yml", "reset_password: sends a reset link to the user\n"),   # prose
    ("apps/orders/.env", "PASSWORD_HINT=at least twelve characters long\n"),   # not a password name
    ("config/app.ini", "password = ${DB_PASSWORD} # from vault\n"),            # a reference
])
def test_sentences_are_not_passphrases(engine: Engine, path: str, text: str) -> None:
    assert _found(engine, path, text) == []


def test_short_or_documented_passphrases_stay_low(engine: Engine) -> None:
    assert _levels(engine, "ops/tests/test_auth.py", 'password = "correct horse battery staple"\n',
                   "correct horse battery staple") == ["low"]
    assert _levels(engine, "etc/mailer.conf", "smtp_password = blue harbor\n", "blue harbor") == ["low"]


# ---------------------------------------------------------------- known weak passwords
WEAK = ["Passw0rd!", "P@ssw0rd1", "pass123", "hunter2", "admin123", "root1234", "mysecretpass"]
# explicit password positions of production config, {v} where the password goes
WEAK_POSITIONS = [
    ("config/app/mailer.toml", '[smtp]\nhost = "smtp.office.net"\nsmtp_password = "{v}"\n'),
    ("config/app/worker.ini", "[queue]\nmq_password = {v}\n"),
    ("config/app/settings.json", '{{"mail": {{"smtp_password": "{v}"}}}}\n'),
    ("deploy/k8s/mailer-secret.yaml",
     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: mailer\ntype: Opaque\nstringData:\n  SMTP_PASSWORD: '{v}'\n"),
    ("apps/edge/Dockerfile", "FROM nginx:1.25\nENV BASIC_AUTH_PASSWORD={v}\n"),
    ("infra/haproxy/haproxy.cfg", "userlist admins\n    user ops insecure-password {v}\n"),
    ("apps/billing/appsettings.Production.json",
     '{{"ConnectionStrings": {{"Archive": "Provider=SQLOLEDB;Data Source=arch01;Initial Catalog=old;User Id=arch;Password={v};"}}}}\n'),
    ("ops/scripts/backup.sh", "PGPASSWORD='{v}' pg_dump -h ledger-db -U ledger ledger > /backup/ledger.sql\n"),
    ("infra/terraform/modules/db/variables.tf",
     'variable "db_password" {{\n  type      = string\n  default   = "{v}"\n  sensitive = true\n}}\n'),
    ("apps/shop/config/database.yml", "production:\n  adapter: postgresql\n  username: shop\n  password: {v}\n"),
    ("config/staging/endpoints.yaml", "amqp: amqps://orders:{v}@mq.corp.net:5671/orders\n"),
]


@pytest.mark.parametrize("value", WEAK)
@pytest.mark.parametrize(("path", "template"), WEAK_POSITIONS, ids=[p for p, _ in WEAK_POSITIONS])
def test_known_weak_password_in_production_config_is_medium(engine: Engine, path: str, template: str, value: str) -> None:
    text = template.format(v=value)
    assert _levels(engine, path, text, value) == ["medium"], _found(engine, path, text)


# The same lines in a test, documentation or a file named as an example: low. (A weak value in
# an example file is a stand-in as often as somebody's password: reported at low, not dropped.)
@pytest.mark.parametrize("value", WEAK)
@pytest.mark.parametrize(("prefix", "expected"), [
    ("tests/fixtures/", ["low"]), ("docs/setup/", ["low"]), ("spec/", ["low"]), ("examples/", ["low"]),
])
def test_known_weak_password_outside_production_is_not_medium(engine: Engine, prefix: str, expected: list[str],
                                                               value: str) -> None:
    for path, template in WEAK_POSITIONS:
        assert _levels(engine, prefix + path, template.format(v=value), value) == expected, (prefix + path, value)


@pytest.mark.parametrize(("path", "text", "value"), [
    ("apps/shop/src/main/java/com/shop/Db.java",
     '        return DriverManager.getConnection("jdbc:mysql://shop-db:3306/shop", "shop", "admin123");\n', "admin123"),
    ("lib/db/engine.py", '    engine = create_engine("postgresql+psycopg2://scott:pass123@localhost/test")\n', "pass123"),
    ("lib/db/engine.py", '        password="hunter2",\n', "hunter2"),
])
def test_known_weak_password_in_program_source_stays_low(engine: Engine, path: str, text: str, value: str) -> None:
    # program source holds documentation examples, defaults and sample calls
    assert _levels(engine, path, text, value) == ["low"]


@pytest.mark.parametrize(("path", "text", "value"), [
    ("setup.cfg", "[db]\npostgresql = postgresql+psycopg://scott:tiger@127.0.0.1:5432/test\n", "tiger"),
    ("deploy/redis/redis.conf", "requirepass foobared\n", "foobared"),
    ("setup.cfg", "[db]\nmysql = mysql+pymysql://app:test@127.0.0.1:3306/app\n", "test"),
    ("deploy/rabbitmq/definitions.env", "RABBITMQ_DEFAULT_PASS=guest\n", "guest"),
])
def test_documentation_staples_stay_low(engine: Engine, path: str, text: str, value: str) -> None:
    assert _levels(engine, path, text, value) == ["low"]


def test_weak_value_under_a_token_name_stays_low(engine: Engine) -> None:
    # a weak value is raised only where a password goes: a token or key name keeps its own judgement
    assert _levels(engine, "config/app/settings.toml", 'api_token = "lighthouse"\n', "lighthouse") == ["low"]
    assert _levels(engine, "config/app/settings.toml", 'session_secret = "secret123"\n', "secret123") == ["low"]


def test_credential_files_keep_their_level(engine: Engine) -> None:
    assert _levels(engine, "home/ops/.netrc", "machine api.acme.io login ops password hunter2\n", "hunter2") == ["high"]


# ---------------------------------------------------------------- forms
def test_kafka_jaas_user_table(engine: Engine) -> None:
    text = ('KafkaServer {\n    org.apache.kafka.common.security.plain.PlainLoginModule required\n'
            '    username="admin"\n    password="Zq8!mW2pLx"\n    user_admin="Zq8!mW2pLx"\n'
            '    user_billing="welcome1"\n    user_reports="Tk5#vRm9Qw2L";\n};\n')
    found = _found(engine, "infra/kafka/kafka_server_jaas.conf", text)
    jaas = sorted((s, c) for r, s, c in found if r == "kafka-jaas-user-password")
    assert jaas == [("Tk5#vRm9Qw2L", "medium"), ("Zq8!mW2pLx", "medium"), ("welcome1", "medium")]
    # not near a login module: an ordinary setting
    assert not [f for f in _found(engine, "app.conf", 'user_name = "jdoe"\n') if f[0] == "kafka-jaas-user-password"]


def test_getconnection_takes_the_password_not_the_user(engine: Engine) -> None:
    text = '        return DriverManager.getConnection("jdbc:postgresql://ledger-db:5432/ledger", "ledger", "Harbor!Mint42");\n'
    assert _found(engine, "src/main/java/com/shop/Db.java", text) == [("generic-credential-call", "Harbor!Mint42", "medium")]


@pytest.mark.parametrize(("text", "value"), [
    ("api_password = Lm4%x!9tRzQe=5\n", "Lm4%x!9tRzQe=5"),      # % and = inside the value
    ("mq_password = !^Tq7!vLm2#xR\n", "!^Tq7!vLm2#xR"),         # a leading '!' that is not a YAML tag
    ("db_password=#Kq_2vLmT8xWz!\n", "#Kq_2vLmT8xWz!"),         # a leading '#' after '='
    ("keystore_password = Rv8#kLq2Zt\n", "Rv8#kLq2Zt"),
    ("truststore_password = Wn5!pXz7Qa\n", "Wn5!pXz7Qa"),
    ("service_password = Hd3$mQv8Lk\n", "Hd3$mQv8Lk"),
    ("pwd = Tq9@vLm2Xk\n", "Tq9@vLm2Xk"),
    ("passwd = Ze4^wQp7Rn\n", "Ze4^wQp7Rn"),
    ("sa_password = Yb6&nKt3Wq\n", "Yb6&nKt3Wq"),
])
def test_ini_values_and_password_keys(engine: Engine, text: str, value: str) -> None:
    assert _levels(engine, "config/app/svc.ini", "[main]\n" + text, value) == ["medium"]


# ---------------------------------------------------------------- stand-ins: dropped even at low
@pytest.mark.parametrize(("path", "text"), [
    ("deploy/helm/orders/values-prod.yaml", "auth:\n  existingSecret: orders-redis-auth\n"),   # a Secret's name
    ("deploy/helm/orders/values.yaml", "postgresql:\n  auth:\n    existing_secret: orders-pg\n"),
    (".env.example", "JWT_SECRET=your-256-bit-secret\n"),
    (".env.example", "HF_TOKEN=hf_xxx\n"),
    (".env.example", "OPENAI_API_KEY=sk-xxx\n"),
    ("services/api/tests/test_login.py", "resp = client.post('/login', json={'user': 'bob', 'password': 'wrong'})\n"),
    ("web/storefront/src/i18n/de.json", '{\n  "password": "Passwort",\n  "confirm_password": "Passwort bestätigen"\n}\n'),
    ("web/app/locales/fr.json", '{\n  "password": "Mot de passe",\n  "token": "Jeton"\n}\n'),
    ("src/main/resources/messages_es.properties", "login.password=Contraseña\n"),
])
def test_stand_ins_are_dropped(engine: Engine, path: str, text: str) -> None:
    assert _found(engine, path, text) == []


@pytest.mark.parametrize(("path", "text", "value"), [
    (".env.sample", "DB_PASSWORD=postgres\n", "postgres"),
    ("config/settings.yml.dist", "  password: hunter2\n", "hunter2"),
    ("examples/docker-compose.yml", "    environment:\n      POSTGRES_PASSWORD: pass123\n", "pass123"),
    (".env.example", "SMTP_PASSWORD=mysecretpass\n", "mysecretpass"),
    ("web/locales/de.json", '{"db_password": "secret123"}\n', "secret123"),  # not a label: a value
])
def test_weak_values_in_example_and_translation_files_are_low(engine: Engine, run_cli: RunCli, tmp_path: Path,
                                                              path: str, text: str, value: str) -> None:
    # in a credential position, a weak value is a finding at some confidence wherever it is
    assert _levels(engine, path, text, value) == ["low"]
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    code, out, _ = run_cli(["scan", str(tmp_path), "--no-repo-config", "--format", "json", "--no-progress"])
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and report["stats"]["below_min_confidence"] == 1
    code, out, _ = run_cli(["scan", str(tmp_path), "--no-repo-config", "--format", "json", "--no-progress",
                            "--min-confidence", "low"])
    assert code == 1 and [f["confidence"] for f in json.loads(out)["findings"]] == ["low"]


def test_real_secret_in_an_example_file_is_still_reported(engine: Engine) -> None:
    # a value that looks real is somebody's secret pasted into the template: reported
    assert _levels(engine, ".env.example", "DB_PASSWORD=Vq8#nR2kLw!73\n", "Vq8#nR2kLw!73") == ["medium"]
    assert _levels(engine, "web/locales/en.json", '{"api_key": "q8Lk2vT9xNp4Rw7ZmB3cYh6J"}\n',
                   "q8Lk2vT9xNp4Rw7ZmB3cYh6J") == ["medium"]


@pytest.mark.parametrize(("path", "kind"), [
    ("apps/api/tests/test_login.py", "test"), ("pkg/auth/auth_test.go", "test"), ("web/src/login.spec.ts", "test"),
    ("src/test/java/com/shop/DbTest.java", "test"), ("conftest.py", "test"), ("spec/models/user_spec.rb", "test"),
    (".env.example", "example"), ("config/app.yml.dist", "example"), ("examples/basic/main.tf", "example"),
    ("settings.py.template", "example"), ("docs/install.md", "docs"), ("README.rst", "docs"),
    ("web/i18n/de.json", "i18n"), ("locale/fr/LC_MESSAGES/django.po", "i18n"), ("src/locales/pt-BR.json", "i18n"),
    ("apps/api/settings.py", ""), ("src/main/java/com/shop/Latest.java", ""), ("src/main/java/com/shop/Contest.java", ""),
    ("deploy/k8s/secret.yaml", ""), (".env.production", ""), ("config/db.json", ""), ("latest.json", ""),
    ("contest/config.yml", ""), ("attestation/keys.yaml", ""),
])
def test_file_kind(path: str, kind: str) -> None:
    assert file_kind(path) == kind


@pytest.mark.parametrize("value", ["qrVtmKsLbWdx", "zkJwfNtbHqrLmv"])
def test_random_letters_camel_cased_by_chance_are_medium(engine: Engine, value: str) -> None:
    # segments without vowels are not words: a generated password, not an identifier
    assert _levels(engine, "config/app/svc.conf", f"master_password={value}\n", value) == ["medium"]
    assert _levels(engine, "config/app/svc.conf", "master_password=appleTreeHouse\n", "appleTreeHouse") == ["low"]


def test_jenkins_encrypted_secret_is_a_credential_file_finding(engine: Engine) -> None:
    text = "    <password>{AQAAABAAAAAQwZ0qR7kT3vX9mLp2Hb6zQ2mVr8TxKw4nLq8vT3xWz9Km=}</password>\n"
    found = engine.scan(Chunk(text.encode(), (Origin("file", "jobs/deploy/config.xml"),))).findings
    assert [(f.rule_id, f.confidence) for f in found] == [("jenkins-encrypted-secret", "high")]
    assert "credential-file" in found[0].tags  # remediation: the file leaves the repository


def test_credential_file_syntax_outside_its_file_uses_placeholder_judgement(engine: Engine) -> None:
    # an inline .netrc line in a Dockerfile is judged like any other position with a level:
    # a placeholder is dropped there, a real password reported; in the .netrc itself both are credentials
    line = "RUN echo 'machine nexus.acme.io login ci password {v}' > /root/.netrc\n"
    assert [s for _, s, _ in _found(engine, "Dockerfile", line.format(v="changeme"))] == []
    assert [s for _, s, _ in _found(engine, "Dockerfile", line.format(v="Qm7vT2xLp9wK"))] == ["Qm7vT2xLp9wK"]
    assert _levels(engine, "home/ci/.netrc", "machine nexus.acme.io login ci password changeme\n", "changeme") == ["high"]


@pytest.mark.parametrize(("value", "dropped"), [
    ("r9w+k2$(_q!v7#zp-m3x^c8@lt6&hy4=b1(n0sd*ug5%je", False),  # a generated Django key: '$(' is two of its characters
    ("x$(-9a)b7Kq2!", False),
    ("$(cat /run/secrets/db_password)", True),                 # a command substitution
    ("$(DB_PASSWORD)", True),                                  # a Make variable
    ("pre-$(VAR)-post", True),
])
def test_shell_substitution_needs_a_name(value: str, dropped: bool) -> None:
    from leakguard.filters import placeholder_reason
    assert (placeholder_reason(value) == "template or reference") is dropped


def test_a_level_written_in_the_rule_file_is_not_changed_by_the_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    from leakguard.ruleset import load_ruleset

    d = tmp_path_factory.mktemp("rules")
    (d / "r.yaml").write_text(
        "rules:\n"
        "  - id: team-legacy-password\n"
        "    description: a password the team reviews at low confidence\n"
        "    severity: medium\n"
        "    confidence: low\n"
        "    keywords: [legacy_pw]\n"
        "    pattern: 'legacy_pw\\s*=\\s*(?P<secret>\\S+)'\n"
        "    examples: ['legacy_pw = Zr8kLq2mVx9T']\n"
        "    negative_examples: ['legacy_pw =']\n")
    eng = Engine(load_ruleset([d], include_default=False), backend="regex")
    assert _found(eng, "config/app.conf", "legacy_pw = hunter2\n") == [("team-legacy-password", "hunter2", "low")]
    assert _found(eng, ".env.example", "legacy_pw = hunter2\n") == [("team-legacy-password", "hunter2", "low")]
