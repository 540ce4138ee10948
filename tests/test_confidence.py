"""The confidence model: the rule-schema key, what each rule kind yields, and the --min-confidence floor."""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.confidence import apply_min_confidence
from leakguard.engine import Engine
from leakguard.errors import RuleError
from leakguard.model import Chunk, Origin, ScanResult, Stats
from leakguard.ruleset import load_ruleset

RULES = r"""
rules:
  - id: provider
    description: a prefixed token
    severity: high
    keywords: [tok_]
    pattern: '\b(?P<secret>tok_[A-Za-z0-9]{20})\b'
  - id: generic-pw
    description: a generic password
    severity: medium
    generic: true
    keywords: [password]
    pattern: '(?i)(?P<key>\w*password)\s*=\s*"(?P<secret>[^"]{4,})"'
  - id: cred-file
    description: a password in a credential file
    severity: high
    confidence: high
    keywords: []
    paths: {only: ['(^|/)\.creds$']}
    pattern: '^pw\s+(?P<secret>\S+)'
  - id: conn-auto
    description: a connection-string password judged per value
    severity: high
    confidence: auto
    keywords: ['db://']
    pattern: 'db://\w+:(?P<secret>[^@\s]+)@'
"""


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    d = tmp_path_factory.mktemp("rules")
    (d / "r.yaml").write_text(RULES)
    return Engine(load_ruleset([d], include_default=False), backend="regex")


def scan(eng: Engine, text: str, path: str = "f.py") -> list[tuple[str, str, str]]:
    found = eng.scan(Chunk(text.encode(), (Origin("file", path),))).findings
    return [(f.rule_id, f.secret, f.confidence) for f in found]


def test_provider_rules_are_high_generic_rules_computed(eng: Engine) -> None:
    assert scan(eng, 'x = "tok_q8Lk2vT9xNp4Rw7ZmB3c"') == [("provider", "tok_q8Lk2vT9xNp4Rw7ZmB3c", "high")]
    assert scan(eng, 'password = "Hk7mZq2xVb9L"') == [("generic-pw", "Hk7mZq2xVb9L", "medium")]


def test_explicit_level_vouches_for_the_position(eng: Engine) -> None:
    # a credential file: a weak value is still reported, at the rule's level; a true placeholder is not
    assert scan(eng, "pw Vq8nR2kLw73\n", ".creds") == [("cred-file", "Vq8nR2kLw73", "high")]
    assert scan(eng, "pw changeme\n", ".creds") == []


def test_auto_rule_is_judged_per_value(eng: Engine) -> None:
    assert scan(eng, "u = db://app:Zr8kLq2mVx9T@host/x") == [("conn-auto", "Zr8kLq2mVx9T", "medium")]


def test_schema_rejects_unknown_level(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES.replace("confidence: high", "confidence: certain"))
    with pytest.raises(RuleError, match="confidence must be one of high, medium, low, auto"):
        load_ruleset([tmp_path], include_default=False)


def test_builtin_rules_derive_their_mode() -> None:
    rules = load_ruleset().rules
    assert all(r.confidence_mode == "auto" for r in rules if r.generic and r.confidence is None)
    assert all(r.confidence_mode == "high" for r in rules if not r.generic and r.confidence is None)


def test_min_confidence_keeps_at_or_above_and_counts(eng: Engine) -> None:
    found = eng.scan(Chunk(b'x = "tok_q8Lk2vT9xNp4Rw7ZmB3c"\npassword = "Hk7mZq2xVb9L"\n',
                           (Origin("file", "f.py"),))).findings
    result = apply_min_confidence(ScanResult(list(found), Stats()), "high")
    assert [f.rule_id for f in result.findings] == ["provider"] and result.stats.below_min_confidence == 1
    result = apply_min_confidence(ScanResult(list(found), Stats()), "low")
    assert len(result.findings) == 2 and result.stats.below_min_confidence == 0


# ---------------------------------------------------------------- weak but real vs placeholders
# Each weak-but-real password in several credential positions: reported (low or medium), never dropped.
WEAK_REAL = ["Passw0rd!", "pass123", "D1fficultP@ssw0rd", "mysecretpass", "hunter2", "postgres", "letmein",
             "admin123", "Summer.2024", "blue-sky-harbor", "correct horse battery", "sunshine", "qwerty123",
             "P@55w0rd!", "s3cr3tP4ss!", "123456", "tiger"]
# A random mixed-case string of letters is a secret (medium), not a dictionary word.
RANDOM_LETTERS = ["xKfPqLmZtR", "QzWvBnMkLp", "mRtKwPzQxV"]
# Only true non-secrets are dropped.
PLACEHOLDERS = ["changeme", "<your-key>", "xxxx", "xxxxxxxx", "your_password_here", "REPLACE_ME", "${DB_PASSWORD}",
                "{{ db_password }}", "%(password)s", "password", "db_pass", "MyPassword", "********", "",
                "<password>", "YOUR-PASSWORD", "CHANGE_ME", "dummy", "ENC[AES256_GCM,data:8fE=,iv:abc=,tag:x==,type:str]"]
POSITIONS = [
    ("settings.py", 'DATABASE_PASSWORD = "{v}"'),
    ("config.yml", "  password: '{v}'"),
    ("app.js", "const dbPassword = '{v}';"),
    ("server.xml", "<password>{v}</password>"),
]


def _found(engine: Engine, path: str, line: str) -> list[tuple[str, str]]:
    return [(f.secret, f.confidence) for f in engine.scan(Chunk(line.encode(), (Origin("file", path),))).findings]


@pytest.mark.parametrize("value", WEAK_REAL)
@pytest.mark.parametrize(("path", "template"), POSITIONS, ids=[p for p, _ in POSITIONS])
def test_weak_real_passwords_are_reported(engine: Engine, path: str, template: str, value: str) -> None:
    found = _found(engine, path, template.format(v=value))
    assert len(found) == 1 and found[0][0] == value, found
    assert found[0][1] in ("low", "medium")


@pytest.mark.parametrize("value", ["Passw0rd!", "pass123", "mysecretpass", "hunter2", "123456", "correct horse battery"])
def test_weak_passwords_are_low(engine: Engine, value: str) -> None:
    # in a test, documentation or program source a weak password is low; under a password name of
    # production configuration a known weak one is medium (docs/confidence.md, "The file decides")
    assert _found(engine, "tests/test_settings.py", f'DATABASE_PASSWORD = "{value}"') == [(value, "low")]
    assert _found(engine, "docs/settings.txt", f'DATABASE_PASSWORD = "{value}"') == [(value, "low")]
    assert _found(engine, "settings.py", f'DATABASE_PASSWORD = "{value}"') == [(value, "low")]  # program source
    expected = "low" if value == "correct horse battery" else "medium"  # three words: a passphrase, not a known password
    assert _found(engine, "config/settings.yml", f'database_password: "{value}"') == [(value, expected)]


@pytest.mark.parametrize("value", RANDOM_LETTERS)
def test_random_letters_are_medium(engine: Engine, value: str) -> None:
    assert _found(engine, "settings.py", f'DATABASE_PASSWORD = "{value}"') == [(value, "medium")]


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize(("path", "template"), POSITIONS, ids=[p for p, _ in POSITIONS])
def test_placeholders_are_not_reported(engine: Engine, path: str, template: str, value: str) -> None:
    assert _found(engine, path, template.format(v=value)) == []


@pytest.mark.parametrize("value", ["IAmSensitive", "HelloWorld", "python", "appleTree"])
def test_words_are_low_not_medium(engine: Engine, value: str) -> None:
    assert _found(engine, "settings.py", f'DATABASE_PASSWORD = "{value}"') == [(value, "low")]


def test_rule_check_verifies_an_examples_confidence(tmp_path: Path) -> None:
    from leakguard.rulecheck import check_rule

    (tmp_path / "r.yaml").write_text(r"""
rules:
  - id: pw
    description: a generic password
    severity: medium
    generic: true
    keywords: [password]
    pattern: '(?i)\b(?P<key>password) = "(?P<secret>[^"]{4,})"'
    examples:
      - {text: 'password = "pass123"', confidence: low}
      - {text: 'password = "Hk7mZq2xVb9L"', confidence: low}
    negative_examples: ['password = "changeme"']
""")
    (rule,) = load_ruleset([tmp_path], include_default=False).rules
    problems = [p.message for p in check_rule(rule) if p.level == "error"]
    assert problems == ["examples[1]: reported at confidence medium, the example says low"]


@pytest.mark.parametrize("host", ["db.example.com", "db.internal", "10.0.3.17"])
def test_the_host_does_not_decide(eng: Engine, host: str) -> None:
    assert scan(eng, f"u = db://app:Zr8kLq2mVx9T@{host}/x") == [("conn-auto", "Zr8kLq2mVx9T", "medium")]
    assert scan(eng, f"u = db://app:pass123@{host}/x") == [("conn-auto", "pass123", "low")]
    assert scan(eng, f"u = db://app:password@{host}/x") == []


def test_min_confidence_from_config_and_command_line(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    (tmp_path / "settings.py").write_text('DB_PASSWORD = "orchid"\nAPI_PASSWORD = "Vq8#nR2kLw!73"\n')
    def confidences(*extra: str) -> list[str]:
        code, out, err = run_cli(["scan", str(tmp_path), "-f", "json", "--no-progress", *extra])
        assert code in (0, 1), err
        return sorted(f["confidence"] for f in json.loads(out)["findings"])
    assert confidences() == ["medium"]  # the default floor hides the weak one
    (tmp_path / ".leakguard.toml").write_text('min_confidence = "low"\n')
    assert confidences() == ["low", "medium"]
    assert confidences("--min-confidence", "high") == []
