"""The redaction invariant, property-based: whatever a secret's length or
shape and wherever it sits on its line, no reporter (nor the baseline file
nor the migration plan) carries any character of it beyond the preview that
:func:`leakguard.redact.redact` allows.

Secrets are drawn from Cyrillic letters and everything else from ASCII, so
"any part of the secret" is simply "any Cyrillic letter": a fragment of one
character is caught, not only a whole copy."""
from __future__ import annotations

import io
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakguard import baseline
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin, ScanResult
from leakguard.redact import policy, redact, shown_chars, snippet
from leakguard.remediation.attach import attach
from leakguard.remediation.aws import Settings
from leakguard.remediation.plan import build_plan, plan_to_dict, render_markdown
from leakguard.reporters import REPORTERS
from leakguard.ruleset import Ruleset, _digest, compile_rule
from leakguard.scan import scan_chunks

SECRET_ALPHABET = st.characters(min_codepoint=0x410, max_codepoint=0x44F)  # А..я
CONTEXT = string.ascii_letters + string.digits + " =:,;-_/.()[]{}<>'"
RULES = [
    {"id": "test-token", "description": "test token", "severity": "high", "keywords": ["tok"],
     "filters": False, "pattern": r'tok\s*=\s*"(?P<secret>[\u0410-\u044f]{1,600})"'},
    {"id": "test-key-block", "description": "test key block", "severity": "critical",
     "keywords": ["begin test private key"], "multiline": 60, "filters": False,
     "pattern": r"(?P<secret>-----BEGIN TEST PRIVATE KEY-----(?:\r?\n[\u0410-\u044f]{1,80}){1,50}\r?\n"
                r"-----END TEST PRIVATE KEY-----)"},
]


def _cyrillic(text: str) -> int:
    return sum(1 for c in text if "\u0410" <= c <= "\u044f")


@pytest.fixture(scope="module")
def test_engine() -> Engine:
    rules = tuple(compile_rule(r, "test-rules.yaml", i) for i, r in enumerate(RULES))
    return Engine(Ruleset(rules, _digest(rules)), backend="regex")


context = st.text(alphabet=CONTEXT, max_size=120)
padding = st.integers(min_value=0, max_value=2500)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A file of one-line tokens (several per line, long lines) and key blocks."""
    secrets: list[str] = []
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            parts = []
            for _ in range(draw(st.integers(1, 3))):
                s = draw(st.text(alphabet=SECRET_ALPHABET, min_size=1, max_size=600))
                secrets.append(s)
                parts.append(draw(context) + "x" * draw(padding) + f' tok = "{s}" ' + draw(context))
            lines.append(" ".join(parts))
        else:
            body = draw(st.lists(st.text(alphabet=SECRET_ALPHABET, min_size=1, max_size=80), min_size=1, max_size=50))
            nl = draw(st.sampled_from(["\n", "\r\n"]))
            block = nl.join(["-----BEGIN TEST PRIVATE KEY-----", *body, "-----END TEST PRIVATE KEY-----"])
            secrets.append(block)
            lines.append(draw(context) + " " + block + " " + draw(context))
        lines.append(draw(context))
    return "\n".join(lines) + "\n", secrets


def _outputs(result: ScanResult) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, reporter in sorted(REPORTERS.items()):
        buf = io.StringIO()
        reporter(result, buf)
        out[name] = buf.getvalue()
    out["baseline"] = baseline.dumps(baseline.from_findings(result.findings))
    plan = build_plan(result.findings, lambda rid: {}, Settings(project="demo"), 0)
    out["plan.md"] = render_markdown(plan)
    out["plan.json"] = json.dumps(plan_to_dict(plan), ensure_ascii=False)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=documents(), shown=st.one_of(st.none(), st.integers(0, 12)))
def test_no_output_carries_more_of_a_secret_than_its_preview(test_engine: Engine, doc: tuple[str, list[str]],
                                                            shown: int | None) -> None:
    text, secrets = doc
    result = scan_chunks(test_engine, [Chunk(text.encode(), (Origin("file", "src/app.cfg"),))])
    assert {f.secret for f in result.findings} == set(secrets)  # every secret found: the test tests something
    result = attach(result, Settings(project="demo"), {})
    with policy(shown):
        previews = sorted({redact(f.secret) for f in result.findings}, key=len, reverse=True)
        for f in result.findings:
            assert _cyrillic(redact(f.secret)) <= shown_chars(f.secret)
            if shown is not None:
                assert _cyrillic(redact(f.secret)) <= shown
        for name, out in _outputs(result).items():
            for p in previews:
                out = out.replace(p, "")
            assert _cyrillic(out) == 0, f"{name} carries part of a secret: {out[:3000]!r}"


@given(before=st.text(alphabet=CONTEXT, max_size=3000), secret=st.text(alphabet=SECRET_ALPHABET, min_size=1, max_size=3000),
       after=st.text(alphabet=CONTEXT, max_size=3000), cut=st.integers(0, 6000), width=st.integers(20, 600))
@settings(deadline=None)
def test_snippet_never_shows_more_than_the_preview(before: str, secret: str, after: str, cut: int, width: int) -> None:
    """Even given a line that was cut somewhere (through the secret too), a snippet
    shows the preview at most."""
    line = (before + secret + after)[:cut]
    out = snippet(line, secret, width=width)
    assert _cyrillic(out.replace(redact(secret), "")) == 0
    assert len(out) <= max(width, len(redact(secret))) + 2 or out.startswith("[line not shown")
