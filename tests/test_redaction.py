"""Invariant: no secret appears in clear in any output unless --no-redact.

Runs every rule's positive examples through every registered reporter.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import regex

from leakguard.engine import Engine
from leakguard.model import Chunk, Origin, ScanResult
from leakguard.redact import is_identifier, redact
from leakguard.reporters import REPORTERS
from leakguard.ruleset import Ruleset
from leakguard.scan import scan_chunks
from tests.conftest import RunCli


def _chunks(ruleset: Ruleset) -> list[Chunk]:
    out = []
    for rule in ruleset.rules:
        for i, ex in enumerate(rule.examples):
            out.append(Chunk(ex.text.encode(), (Origin("file", f"{rule.id}/{i}/{ex.path}"),)))
    return out


@pytest.fixture(scope="module")
def examples_result(engine: Engine, ruleset: Ruleset) -> ScanResult:
    return scan_chunks(engine, _chunks(ruleset))


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_secret_in_clear_in_any_format(fmt: str, examples_result: ScanResult, ruleset: Ruleset) -> None:
    result = examples_result
    assert len(result.findings) > 150
    buf = io.StringIO()
    REPORTERS[fmt](result, buf)
    text = buf.getvalue()
    # Nothing beyond the previews: no 12-character run of the random part of any secret (its second
    # half, minus PEM armour; runs of token characters holding a digit) may appear anywhere. A
    # preview shows at most 4 characters, so it cannot hold such a run (AWS key ids, shown in full
    # on purpose, are left out). Done with a set of 12-grams: one pass over the output.
    def random_parts(secret: str) -> list[str]:
        body = regex.sub(r"-----(?:BEGIN|END) [A-Z0-9 ]+-----", "", secret)
        return [run for run in regex.findall(r"[A-Za-z0-9+=_-]{12,}", body[len(body) // 2:])
                if any(c.isdigit() for c in run)]

    grams: dict[str, str] = {}
    for f in result.findings:
        if not is_identifier(f.secret):
            for part in random_parts(f.secret):
                for i in range(len(part) - 11):
                    grams.setdefault(part[i:i + 12], f.rule_id)
    leaked = sorted({grams[run[i:i + 12]] for run in regex.findall(r"[A-Za-z0-9+=_-]{12,}", text)
                     for i in range(len(run) - 11) if run[i:i + 12] in grams})
    assert not leaked, f"{fmt} shows (part of) secrets in clear for {leaked[:10]}"


def test_reveal_shows_secrets(engine: Engine, ruleset: Ruleset) -> None:
    result = scan_chunks(engine, _chunks(ruleset)[:20])
    buf = io.StringIO()
    REPORTERS["json"](result, buf, reveal=True)
    assert all(f.secret in buf.getvalue() for f in result.findings)


def test_cli_outputs_and_report_file_are_redacted(run_cli: RunCli, tmp_path: Path) -> None:
    secret = "Wint3r-Harb0r-88q"
    (tmp_path / "app.py").write_text(f'db_password = "{secret}"\n')
    for fmt in sorted(REPORTERS):
        out_file = tmp_path / f"report.{fmt}"
        code, out, err = run_cli(["scan", str(tmp_path / "app.py"), "-f", fmt, "-o", str(out_file)])
        assert code == 1, err
        assert secret not in out + err + out_file.read_text(), fmt


def _key_block(seed: int) -> str:
    import random

    rnd = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = ["".join(rnd.choice(alphabet) for _ in range(64)) for _ in range(25)]
    return "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----"])


def test_json_line_text_of_a_private_key_shows_no_key_body(run_cli: RunCli, tmp_path: Path) -> None:
    """Regression: the line was cut to 2000 characters before the key in it was
    masked, so line_text carried hundreds of characters of the key body."""
    import json

    key = _key_block(1)
    (tmp_path / "deploy.py").write_text(f'KEY = """{key}"""\n')
    for fmt in ("json", "jsonl", "junit"):
        code, out, _ = run_cli(["scan", str(tmp_path), "-f", fmt, "--no-repo-config"])
        assert code == 1
        body = key.splitlines()[1:-1]
        assert not any(line[:12] in out for line in body), fmt
    doc = json.loads(run_cli(["scan", str(tmp_path), "-f", "json", "--no-repo-config"])[1])
    assert "-----BEGIN RSA PRIVATE KEY-----********" in doc["findings"][0]["line_text"]


def test_aws_access_key_id_is_shown_in_full_and_private_keys_by_hash() -> None:
    """An access key id is an identifier the user must look up to revoke; two
    private keys get different short hashes so they can be told apart."""
    assert redact("AKIAZ3MHQ2TY7RPSWX4N") == "AKIAZ3MHQ2TY7RPSWX4N"
    assert redact("ASIAZ3MHQ2TY7RPSWX4N") == "ASIAZ3MHQ2TY7RPSWX4N"
    a, b = redact(_key_block(1)), redact(_key_block(2))
    assert a.startswith("-----BEGIN RSA PRIVATE KEY-----") and "sha256:" in a
    assert a != b
    assert redact(_key_block(1)) == a  # stable
    body = _key_block(1).splitlines()[1]
    assert body[:8] not in a


def test_redact_n_shows_n_characters_never_more_than_half(run_cli: RunCli, tmp_path: Path) -> None:
    import json

    secret = "Wint3r-Harb0r-88q"
    (tmp_path / "app.py").write_text(f'db_password = "{secret}"\n')
    shown = {}
    for flag in ([], ["--redact", "6"], ["--redact=0"], ["--redact"], ["--redact", "40"]):
        code, out, err = run_cli(["scan", str(tmp_path), "-f", "json", "--no-repo-config", *flag])
        assert code == 1, err
        shown[" ".join(flag)] = json.loads(out)["findings"][0]["secret"]
    assert shown[""] == "Wi********"
    assert shown["--redact 6"] == "Wint3r********"
    assert shown["--redact=0"] == shown["--redact"] == "********"
    assert shown["--redact 40"] == secret[: len(secret) // 2] + "********"
    code, _, err = run_cli(["scan", str(tmp_path), "--redact", "-1"])
    assert code == 2 and err.count("\n") == 1
    code, _, err = run_cli(["scan", str(tmp_path), "--redact", "3", "--no-redact"])
    assert code == 2 and "not allowed with" in err
