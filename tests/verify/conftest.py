"""A local stand-in for the providers, and moto with IAM authentication enforced.

Verifier requests reach the fake provider through LEAKGUARD_VERIFY_REDIRECT
(loopback only): ``/<provider host>/<path>``. Every request is recorded, so
tests can count them and check where each went.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Fake tokens in live formats (random characters; none is a real credential).
ACME_ACTIVE = "acme_Q7mZr2Lx9KcVtB4nWp8sYd3FhJ6gA1eU"
ACME_REVOKED = "acme_Xb3Nq8Wd2KzLm7RtV5cPy9HsG4jF6aE1"
ACME_RATE = "acme_Rt5Kp9Lz2Wm8Xc3Vb7Nq4Hy6Jd1Gf0Sa"
ACME_SLOW = "acme_Sl8Wq2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz"
ACME_MALFORMED = "acme_Mf3Kd8Ls2Pq7Wz4Xn9Vb6Ct1Ry5Hj0Ga"
ACME_HOST = "api.acme-tokens.dev"
# A provider rule of our own (a trusted --rules file), so the status matrix
# does not depend on any built-in token format.
ACME_RULES = f"""
rules:
  - id: acme-api-token
    description: Acme API token
    severity: high
    keywords: [acme_]
    pattern: '\\b(?P<secret>acme_[A-Za-z0-9]{{32}})\\b'
    remediation: {{kind: api-key, provider: Acme, revoke: https://acme-tokens.dev/settings/tokens}}
    verify:
      url: https://{ACME_HOST}/v1/whoami
      headers: {{Authorization: "Bearer {{secret}}"}}
      active: {{status: [200]}}
      inactive: {{status: [401]}}
      identity: {{login: "json:login", scopes: "header:x-scopes"}}
    examples: ['ACME_TOKEN={ACME_ACTIVE}']
"""
SLACK_ACTIVE = "xoxb-4729301856-5830192847361-Qk7Lm2Zr9Xc4Vb8Nw3Pt6HyAb"
SLACK_REVOKED = "xoxb-4729301856-5830192847362-Wd2Kz8Lm7Rt5Vc9Py4Hs3GxYz"


@dataclass
class FakeProviders:
    url: str
    requests: list[dict[str, str]] = field(default_factory=list)
    rate_hits: int = 0


def _handler(state: FakeProviders) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # quiet
            pass

        def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            host, _, path = self.path.lstrip("/").partition("/")
            auth = self.headers.get("Authorization", "")
            state.requests.append({"host": host, "path": "/" + path, "auth": auth, "body": body,
                                   "method": self.command})
            if host == ACME_HOST and path == "v1/whoami":
                token = auth.removeprefix("Bearer ")
                if token == ACME_ACTIVE:
                    return self._reply(200, {"login": "octo-ci"}, {"X-Scopes": "repo, workflow"})
                if token == ACME_RATE:
                    state.rate_hits += 1
                    if state.rate_hits <= 2:
                        return self._reply(429, {"message": "slow down"}, {"Retry-After": "0"})
                    return self._reply(200, {"login": "rate-ok"})
                if token == ACME_SLOW:
                    time.sleep(3)
                    return self._reply(200, {"login": "late"})
                if token == ACME_MALFORMED:
                    return self._reply(502, b"<html>bad gateway</html>")
                return self._reply(401, {"message": "Bad credentials", "echo": token})
            if host == "slack.com" and path == "api/auth.test":
                token = auth.removeprefix("Bearer ")
                if token == SLACK_ACTIVE:
                    return self._reply(200, {"ok": True, "team": "Acme", "user": "deploybot"})
                return self._reply(200, {"ok": False, "error": "invalid_auth"})
            if host == "hooks.slack.com":
                return self._reply(404, b"no_service")
            return self._reply(404, {"error": "unknown endpoint"})

        do_GET = do_POST = do_HEAD = _handle

    return Handler


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeProviders]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = FakeProviders(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    monkeypatch.setenv("LEAKGUARD_VERIFY_REDIRECT", state.url)
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    yield state
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_iam() -> Iterator[tuple[str, str, str]]:
    """moto's standalone server with IAM authentication enforced after two
    unauthenticated calls, which create one user and its access key.
    Yields (endpoint, access key id, secret access key)."""
    import boto3

    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIAZZBOOTSTRAPZZZZZ", aws_secret_access_key="b" * 40)
        iam.create_user(UserName="ci-deployer")
        key = iam.create_access_key(UserName="ci-deployer")["AccessKey"]
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
