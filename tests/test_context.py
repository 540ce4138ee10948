"""Provider context (leakguard/context.py): a value under a generic name is reported by the
provider rule when the provider is named in the same line or in the block that encloses it."""
from __future__ import annotations

import pytest

from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.prefilter import hyperscan_available
from leakguard.ruleset import Ruleset

# fake values in each provider's alphabet (generated for these tests)
FASTLY = "mchA3Srjz1KehnU_e0EdG0foLFmNRdhN"  # 32 [A-Za-z0-9_-]
SNYK = "abbe1b0e-7fba-4423-a27c-d228277b357c"  # UUID
POSTMARK = "c2f6276e-d9cd-478a-a038-4888eb301ed1"  # UUID
PUSHER = "00909fda3c4656dc12a3"  # 20 hex
PLAID = "07cfc315a25bba2bf6a8c59477f28d"  # 30 hex
AMPLITUDE = "ad850d2299f3090e085be17438901b78"  # 32 hex

BACKENDS = ["regex", "hyperscan"] if hyperscan_available() else ["regex"]


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest, ruleset: Ruleset) -> Engine:
    return Engine(ruleset, backend=request.param)


def scan(engine: Engine, text: str, path: str) -> list[tuple[str, str, int, int]]:
    fs = engine.scan(Chunk(text.encode(), (Origin("file", path),))).findings
    return [(f.rule_id, f.secret, f.location.line, f.location.column) for f in fs]


FOUND = [
    # Markdown runbook: the provider in the bullet, a backticked field and value
    ("docs/runbook.md", f"# Staging\n\n- Fastly `api_token` (staging): `{FASTLY}`\n", "fastly-api-token", FASTLY, 3),
    ("docs/runbook.md", f"* Snyk `token`: `{SNYK}`\n", "snyk-api-token", SNYK, 1),
    # a URL query string: the provider in the host, a generic parameter name
    ("logs/http.log", f"2024-03-01T10:00:00.123Z INFO GET https://api.fastly.com/v1/export?api_token={FASTLY}&format=csv status=200\n",
     "fastly-api-token", FASTLY, 1),
    ("logs/http.log", f"GET https://api.postmarkapp.com/email?server_token={POSTMARK} HTTP/1.1\n", "postmark-server-token", POSTMARK, 1),
    # a log line: provider=x, then key=value pairs
    ("logs/app.log", f"2024-03-01T10:00:00Z DEBUG client.init provider=pusher app_secret={PUSHER} retries=3\n",
     "pusher-app-secret", PUSHER, 1),
    # a notebook cell: JSON escaping around both the name and the value
    ("notebooks/a.ipynb", '{"cells": [{"source": [\n    "import os\\n",\n    "os.environ[\\"FASTLY_API_TOKEN\\"] = \\"'
     + FASTLY + '\\"\\n",\n    "client = connect()"\n]}]}\n', "fastly-api-token", FASTLY, 3),
    # nested config: the parent key names the provider
    ("config/integrations.yaml", f"integrations:\n  plaid:\n    client_id: 64b0c1d2e3f4a5b6c7d8e9f0\n    secret: {PLAID}\n",
     "plaid-secret", PLAID, 4),
    ("config/integrations.json", '{\n  "integrations": {\n    "snyk": {\n      "token": "' + SNYK + '"\n    }\n  }\n}\n',
     "snyk-api-token", SNYK, 4),
    # a client constructor: JS options object, Python keyword argument, on one line or several
    ("web/src/clients.js", f"export const pusher = new sdk.PusherClient({{\n  appId: '1770213',\n  appSecret: '{PUSHER}',\n}});\n",
     "pusher-app-secret", PUSHER, 3),
    ("web/src/clients.js", f"const a = new Amplitude.Client({{ secretKey: '{AMPLITUDE}' }});\n", "amplitude-secret", AMPLITUDE, 1),
    ("app/clients.py", f"client = clients.SnykClient(\n    token=\"{SNYK}\",\n    timeout=30,\n)\n", "snyk-api-token", SNYK, 2),
    ("app/clients.py", f"pm = PostmarkClient(server_token='{POSTMARK}')\n", "postmark-server-token", POSTMARK, 1),
]


@pytest.mark.parametrize("path,text,rule_id,secret,line", FOUND, ids=[f"{p}:{r}" for p, _, r, _, _ in FOUND])
def test_provider_named_nearby(engine: Engine, path: str, text: str, rule_id: str, secret: str, line: int) -> None:
    found = scan(engine, text, path)
    hits = [f for f in found if f[1] == secret]
    assert [(r, ln) for r, _, ln, _ in hits] == [(rule_id, line)], found
    # located at the value in the original text
    _, _, ln, col = hits[0]
    assert text.splitlines()[ln - 1][col - 1:col - 1 + len(secret)] == secret


NOT_FOUND = [
    # the value does not fit the provider's format (19 hex for Pusher's 20)
    ("logs/app.log", f"provider=pusher app_secret={PUSHER[:-1]} retries=3\n"),
    # the field is not a credential
    ("docs/runbook.md", f"- Snyk `org_id` (staging): `{SNYK}`\n"),
    ("logs/http.log", f"GET https://api.postmarkapp.com/email?message_id={POSTMARK} HTTP/1.1\n"),
    # no provider named anywhere near
    ("config/integrations.yaml", f"integrations:\n  billing:\n    token: {SNYK}\n"),
    # the block the provider opens has ended: the value belongs to a sibling
    ("config/integrations.yaml", f"snyk:\n  enabled: true\nanalytics:\n  token: {SNYK}\n"),
    # a placeholder
    ("docs/runbook.md", "- Fastly `api_token` (staging): `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`\n"),
]


@pytest.mark.parametrize("path,text", NOT_FOUND)
def test_no_provider_context(engine: Engine, path: str, text: str) -> None:
    provider = [f for f in scan(engine, text, path) if not f[0].startswith("generic")]
    assert provider == []


def test_provider_rule_takes_the_span_of_a_generic_finding(engine: Engine) -> None:
    text = f"client = clients.FastlyClient(\n    api_token=\"{FASTLY}\",\n)\n"
    found = scan(engine, text, "app/clients.py")
    assert [(r, s) for r, s, _, _ in found] == [("fastly-api-token", FASTLY)]


def test_inline_allow_marker_holds(engine: Engine) -> None:
    text = f"- Fastly `api_token` (staging): `{FASTLY}`  <!-- leakguard:allow -->\n"
    assert scan(engine, text, "docs/runbook.md") == []


def test_context_is_bounded(engine: Engine) -> None:
    # thousands of provider mentions: a bounded number of lines is looked at, the scan ends
    text = "".join(f"fastly{i}:\n  note: {FASTLY[:20]}{i:012d}\n" for i in range(5000))
    scan(engine, text, "config/big.yaml")


def test_finding_line_text_is_the_original_line(engine: Engine) -> None:
    text = f"GET https://api.fastly.com/v1/export?api_token={FASTLY}&format=csv\n"
    fs = engine.scan(Chunk(text.encode(), (Origin("file", "x.log"),))).findings
    assert len(fs) == 1 and fs[0].line_text == text.rstrip("\n")


def test_versions_of_a_file_keep_the_context_finding(ruleset: Ruleset) -> None:
    # leakguard git confirms only the lines that changed since the earlier version of a file:
    # a context finding on an unchanged line is carried over (else it would look removed)
    if not hyperscan_available():
        pytest.skip("the incremental path needs Hyperscan")
    engine = Engine(ruleset, backend="hyperscan")
    engine.incremental = True
    lines = [f"- step {i}: run the export job and compare the totals with the dashboard" for i in range(60)]
    lines.insert(30, f"- Fastly `api_token` (staging): `{FASTLY}`")
    seen = []
    for change in (None, 5, 50, 29):
        if change is not None:
            lines[change] = f"- step {change}: changed in this version"
        data = ("\n".join(lines) + "\n").encode()
        fs = engine.scan(Chunk(data, (Origin("file", "docs/runbook.md"),))).findings
        seen.append([(f.rule_id, f.secret, f.location.line) for f in fs])
    assert seen == [[("fastly-api-token", FASTLY, 31)]] * 4
    # a line inserted above: the finding moves down with its line
    lines.insert(10, "- step 10b: a new step")
    data = ("\n".join(lines) + "\n").encode()
    fs = engine.scan(Chunk(data, (Origin("file", "docs/runbook.md"),))).findings
    assert [(f.rule_id, f.secret, f.location.line) for f in fs] == [("fastly-api-token", FASTLY, 32)]
    assert data.decode().splitlines()[31][fs[0].location.column - 1:].startswith(FASTLY)
    # the finding's own line changed (the value removed): gone
    lines[31] = "- Fastly `api_token` (staging): in the vault"
    data = ("\n".join(lines) + "\n").encode()
    assert engine.scan(Chunk(data, (Origin("file", "docs/runbook.md"),))).findings == []
