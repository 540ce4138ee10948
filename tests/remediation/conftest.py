from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard.model import Finding, Location, Origin

# Fake, rule-detected values (checked with `leakguard scan -`); none is a real credential.
DB_PASSWORD = "Wint3r-Harb0r-88"
STRIPE_KEY = "sk_live_51HqLm2Kx9vQ2xLm8RzP4wN7bY3cH6jF1sD5gA0eUiOpXvZaB"
PG_PASSWORD = "Tr0ub4dorXq7"
AWS_SECRET = "kT9vQ2xLm8RzP4wN7bY3cH6jF1sD5gA0eUiOpXvZ"
ALL_SECRETS = (DB_PASSWORD, STRIPE_KEY, PG_PASSWORD, AWS_SECRET)


def make_finding(path: str, secret: str, key: str | None = None, rule: str = "generic-secret-unquoted",
                 line: str | None = None, lineno: int = 1) -> Finding:
    text = line if line is not None else f"{key}={secret}"
    col = text.find(secret) + 1
    return Finding(rule, "test", "high", (Origin("file", path),), Location(lineno, col, lineno, col + len(secret)),
                   secret, "h" * 64, "f" * 64, 3.5, text, key)


def write_repo(root: Path) -> None:
    (root / ".env.production").write_text(f"DB_PASSWORD={DB_PASSWORD}\nSTRIPE_KEY={STRIPE_KEY}\n")
    (root / "settings.py").write_text(
        f'"""Settings."""\nfrom __future__ import annotations\nimport os\n\nDB_PASSWORD = "{DB_PASSWORD}"\n'
        f'conn = "postgres://billing:{PG_PASSWORD}@db.internal.acme.io:5432/billing"\n')
    (root / "run.sh").write_text(f"#!/bin/sh\nexport STRIPE_KEY={STRIPE_KEY}\n")
    (root / "notes.txt").write_text(f"stripe_secret_key = {STRIPE_KEY}\n")
    (root / "run.sh").chmod(0o750)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone server on a free localhost port: a real AWS API endpoint, no network."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
