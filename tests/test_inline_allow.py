"""Inline suppression: `leakguard:allow` in a comment on the line, or on a comment line just above."""
from __future__ import annotations

import json

import pytest

PASSWORD = "pR7#vKq29!xLm"


@pytest.fixture(autouse=True)
def _regex_prefilter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKGUARD_PREFILTER", "regex")


def scan_stdin(run_cli, text: str) -> dict:  # type: ignore[no-untyped-def]
    code, out, err = run_cli(["scan", "-", "-f", "json", "--no-progress"], stdin=text.encode())
    assert code in (0, 1), err
    return json.loads(out)


@pytest.mark.parametrize("text", [
    f'DATABASE_PASSWORD = "{PASSWORD}"  # leakguard:allow\n',
    f'const dbPassword = "{PASSWORD}"; // leakguard:allow test fixture\n',
    f'db_password: "{PASSWORD}"  # leakguard:allow\n',
    f'# leakguard:allow (documented demo credential)\nDATABASE_PASSWORD = "{PASSWORD}"\n',
    f'// leakguard:allow\nconst dbPassword = "{PASSWORD}";\n',
    f'<!-- leakguard:allow -->\n<password>{PASSWORD}</password>\n',
    f'-- leakguard:allow\nDB_PASSWORD={PASSWORD}\n',
])
def test_allowed(run_cli, text: str) -> None:
    doc = scan_stdin(run_cli, text)
    assert doc["findings"] == [] and doc["stats"]["allowed_inline"] == 1


@pytest.mark.parametrize("text", [
    f'DATABASE_PASSWORD = "{PASSWORD}"\n',
    # the marker two lines above does not count
    f'# leakguard:allow\n\nDATABASE_PASSWORD = "{PASSWORD}"\n',
    # the line above must be a comment of its own, not code that happens to contain the word
    f'note = "leakguard:allow"\nDATABASE_PASSWORD = "{PASSWORD}"\n',
    # the marker covers its own line and the next line only
    f'# leakguard:allow\nX = 1\nDATABASE_PASSWORD = "{PASSWORD}"\n',
])
def test_not_allowed(run_cli, text: str) -> None:
    doc = scan_stdin(run_cli, text)
    assert len(doc["findings"]) == 1 and doc["stats"]["allowed_inline"] == 0


def test_allow_covers_only_its_line(run_cli) -> None:
    text = f'A_PASSWORD = "{PASSWORD}"  # leakguard:allow\nB_PASSWORD = "Vq8#nR2kLw!73x"\n'
    doc = scan_stdin(run_cli, text)
    assert [f["line"] for f in doc["findings"]] == [2] and doc["stats"]["allowed_inline"] == 1
