"""Invariant: no secret appears in clear in any output unless --no-redact.

Runs every rule's positive examples through every registered reporter.
"""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
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


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_secret_in_clear_in_any_format(fmt: str, engine: Engine, ruleset: Ruleset) -> None:
    result = scan_chunks(engine, _chunks(ruleset))
    assert len(result.findings) > 150
    buf = io.StringIO()
    REPORTERS[fmt](result, buf)
    text = buf.getvalue()
    leaked = sorted({f.rule_id for f in result.findings if len(f.secret) >= 6 and f.secret in text})
    assert not leaked, f"{fmt} shows secrets in clear for {leaked[:10]}"


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
        assert code == 1
        assert secret not in out + err + out_file.read_text(), fmt
