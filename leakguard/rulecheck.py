"""`leakguard rules check`: the self-test every rule must pass, run through
the real engine (prefilter, regex, entropy, filters, allowlists), never the
bare regex. The test suite calls :func:`check_ruleset` on ``rules/``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import regex

from leakguard.engine import Engine
from leakguard.model import Chunk, Finding, Origin
from leakguard.redos import redos_risks
from leakguard.ruleset import Example, Rule, Ruleset, _digest

_ADVERSARIAL = ("a" * 20000, "=" * 20000, "/" * 20000, "+" * 20000, " " * 20000, "A1" * 10000,
                "'" * 20000, ":" * 20000, "-" * 20000, "\\" * 20000, "0" * 20000, "aA0-_." * 4000)


@dataclass(frozen=True, slots=True)
class Problem:
    level: str  # error | warning
    source: str
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.rule_id}: {self.level}: {self.message}"


def run_example(engine: Engine, ex: Example) -> list[Finding]:
    chunk = Chunk(ex.text.encode("utf-8"), (Origin("file", ex.path),))
    return engine.scan(chunk).findings


def one_rule_engine(rule: Rule, backend: str = "regex") -> Engine:
    return Engine(Ruleset((rule,), _digest((rule,))), backend=backend)


def lint_rule(rule: Rule) -> Iterator[Problem]:
    """The house standard (docs/rules.md) beyond what the engine needs: enough examples
    both ways and a remediation hint. Warnings (`rules check --strict` makes them errors)."""
    def p(msg: str) -> Problem:
        return Problem("warning", rule.source, rule.id, msg)

    if len(rule.examples) < 2:
        yield p(f"{len(rule.examples)} positive example(s); the house standard is at least 2")
    if 0 < len(rule.negative_examples) < 2:
        yield p(f"{len(rule.negative_examples)} negative example; the house standard is at least 2")
    hint = rule.hint
    if not rule.generic and not (hint.get("kind") and hint.get("provider")):
        yield p("remediation needs a kind and a provider")
    if not rule.generic and "fallback" not in rule.tags and not (hint.get("revoke") or hint.get("no_revoke")):
        yield p("remediation needs revoke (the provider's page to revoke/rotate it) or no_revoke (why there is none)")
    if hint.get("revoke"):
        bad = revoke_url_problem(hint["revoke"])
        if bad:
            yield p(f"remediation.revoke {hint['revoke']!r}: {bad}")


_HOST = regex.compile(r"(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def revoke_url_problem(url: str) -> str | None:
    """Why `url` is not a usable revoke/rotate link (None when it is): an absolute
    https URL to a public host name, no whitespace, credentials, port or template."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return f"not a URL ({e})"
    if parts.scheme != "https":
        return "must be an https:// URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials"
    if port is not None:
        return "must not name a port"
    host = parts.hostname or ""
    if not _HOST.match(host):
        return f"host {host!r} is not a public DNS name"
    if host in {"example.com", "example.org", "example.net", "localhost"} or host.endswith(
            (".example", ".example.com", ".local", ".test", ".invalid", ".localhost")):
        return f"host {host!r} is a placeholder"
    if any(c in url for c in "{}<>\"\\^`|"):
        return "contains a template or character that needs escaping"
    return None


def duplicate_patterns(rules: Iterable[Rule]) -> list[Problem]:
    """Rules whose patterns are the same once verbose-mode whitespace is ignored."""
    seen: dict[str, Rule] = {}
    out: list[Problem] = []
    for rule in rules:
        key = "".join(rule.pattern_source.split())
        if key in seen:
            out.append(Problem("error", rule.source, rule.id, f"same pattern as rule {seen[key].id!r}"))
        else:
            seen[key] = rule
    return out


def check_rule(rule: Rule, full: Engine | None = None, backend: str = "regex", *,
               timing: bool = True) -> Iterator[Problem]:
    """Run a rule's examples; `timing=False` skips the backend-independent
    catastrophic-backtracking checks (callers running every backend need them once)."""
    def p(level: str, msg: str) -> Problem:
        return Problem(level, rule.source, rule.id, msg)

    try:
        _ = rule.pattern  # built-in rules compile on first use
    except regex.error as e:
        yield p("error", f"bad regex: {e}")
        return
    engine = one_rule_engine(rule, backend)
    if not rule.examples:
        yield p("error", "no positive examples")
    if not rule.negative_examples:
        yield p("warning", "no negative examples")
    for i, ex in enumerate(rule.examples):
        tag = f"examples[{i}]"
        low = ex.text.lower()
        if rule.keywords and not any(k in low for k in rule.keywords):
            yield p("error", f"{tag}: contains none of the keywords {list(rule.keywords)}: the prefilter would hide it")
            continue
        found = [f for f in run_example(engine, ex) if f.rule_id == rule.id]
        if len(found) != 1:
            yield p("error", f"{tag}: expected exactly one finding, got {len(found)}")
            continue
        if ex.secret is not None and found[0].secret != ex.secret:
            yield p("error", f"{tag}: extracted a different secret than the example's 'secret' ({len(found[0].secret)} chars vs {len(ex.secret)})")
        if ex.confidence is not None and found[0].confidence != ex.confidence:
            yield p("error", f"{tag}: reported at confidence {found[0].confidence}, the example says {ex.confidence}")
        if ex.secret is None and found[0].secret not in ex.text:
            yield p("error", f"{tag}: extracted secret does not occur in the text")
        if full is not None and not any(f.rule_id == rule.id for f in run_example(full, ex)):
            others = sorted({f.rule_id for f in run_example(full, ex)})
            yield p("error", f"{tag}: shadowed in the full rule set by {others or 'nothing (filtered)'}")
    for i, ex in enumerate(rule.negative_examples):
        found = [f for f in run_example(engine, ex) if f.rule_id == rule.id]
        if found:
            yield p("error", f"negative_examples[{i}]: must not match, got {len(found)} finding(s)")
    if not timing:
        return
    for risk in redos_risks(rule.pattern_source):
        yield p("error", f"pattern: {risk} (catastrophic backtracking risk)")
    for s in _ADVERSARIAL:
        text = (rule.keywords[0] if rule.keywords else "") + " = " + s
        try:
            rule.pattern.search(text, timeout=1.0)
            rule.pattern.search(s + text, timeout=1.0)
        except TimeoutError:
            yield p("error", "pattern takes over a second on a 20 kB adversarial line (catastrophic backtracking)")
            break


def check_ruleset(ruleset: Ruleset, backend: str = "regex") -> list[Problem]:
    from leakguard.prefilter import hyperscan_available

    full = Engine(ruleset, backend=backend)
    out: list[Problem] = []
    for rule in ruleset.rules:
        found = list(check_rule(rule, full, backend))
        out.extend(found)
        if rule.trigger_source is not None and backend != "hyperscan" and hyperscan_available():
            # a scan wakes the rule with its trigger (the Hyperscan prefilter): one that misses a
            # match loses it there, so the examples run that way too
            said = {q.message for q in found}
            out.extend(Problem(q.level, q.source, q.rule_id, f"with its trigger: {q.message}")
                       for q in check_rule(rule, None, "hyperscan", timing=False) if q.message not in said)
        out.extend(lint_rule(rule))
    out.extend(duplicate_patterns(ruleset.rules))
    return out
