"""Confidence: how sure leakguard is that a match is a live secret.

The engine asks :func:`judge` about every candidate a rule's regex confirmed.
The answer is either a reason to drop it (only true non-secrets: empty
values, templates and references, well-known placeholders, vendors' example
keys, field names, hashes where hashes belong) or a confidence level:

- ``high``: a provider format or checksum, or a credential file;
- ``medium``: a value in a credential position that looks like a real secret;
- ``low``: a weak or dictionary-like value in a credential position.

What is reported is then decided by ``--min-confidence`` (default
``medium``), after detection: the engine always returns every level, so
caches of clean blobs do not depend on the setting. The rules of the model
are written up in docs/confidence.md.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import regex

from leakguard import filters
from leakguard.model import CONFIDENCES, Finding, ScanResult, confidence_rank
from leakguard.ruleset import Rule

if TYPE_CHECKING:
    from leakguard.engine import Detection

DEFAULT_MIN_CONFIDENCE = "medium"


def judge(rule: Rule, secret: str, key: str | None, line: str) -> tuple[str | None, str]:
    """(reason to drop, None) or (None, confidence) for one candidate secret.

    The rule's own allowlists and entropy gate have already run."""
    mode = rule.confidence_mode
    if rule.filters and is_credential_file_rule(rule):
        reason = filters.credential_file_reason(secret)
        return (reason, "") if reason else (None, mode)
    if rule.filters:
        # a value that passed its checksum (checked before the judgement) was computed, not typed
        reason = filters.placeholder_reason(secret, verified=rule.checksum is not None)
        if reason:
            return reason, ""
        if mode == "high" and rule.confidence is None:
            # a provider format whose value is a sample, a sequence or a password-ish word
            # is a documentation stand-in, not a token
            reason = filters.stand_in_reason(secret)
            if reason:
                return reason, ""
    if rule.generic:
        reason = filters.generic_reason(secret, key, line)
        if reason:
            return reason, ""
    if mode != "auto":
        return None, mode
    return None, value_confidence(secret, key, generic=rule.generic, filtered=rule.filters)


def is_credential_file_rule(rule: Rule) -> bool:
    """A rule that fires only inside files whose whole purpose is to hold
    credentials (tagged ``credential-file``, scoped by ``paths: only:``, with
    a level written in the rule file): every value there is reported at that
    level unless it holds no secret at all (filters.credential_file_reason).
    Credential-file syntax matched anywhere (an `echo ... > ~/.netrc` in a
    Dockerfile, a README) is judged like any other position with a level."""
    return rule.confidence is not None and rule.confidence != "auto" and bool(rule.paths_only) \
        and "credential-file" in rule.tags


def value_confidence(secret: str, key: str | None, *, generic: bool = True, filtered: bool = True) -> str:
    """'medium' for a value that looks like a real secret, 'low' for a weak one."""
    if filtered and filters.weak_reason(secret):
        return "low"
    if generic and filters.generic_weak_reason(secret, key):
        return "low"
    return "medium"


def why_low(secret: str, key: str | None) -> str | None:
    """Why a value in a credential position counts as weak (for docs and tests)."""
    return filters.weak_reason(secret) or filters.generic_weak_reason(secret, key)


# ---------------------------------------------------------------- the file around a finding
# What kind of file a path names, for the judgement that depends on it (docs/confidence.md,
# "The file decides"): a test, an example or template, documentation, a translation; else
# production ('').
_TEST_PATH = filters._lazy(
    r"(?i)(?:^|/)(?:tests?|testing|spec|specs|__tests__|testdata|test[_-]data|fixtures?|__fixtures__|e2e"
    r"|cassettes|__mocks__|mocks?)/"
    r"|(?:^|/)(?:test_[^/]*|[^/]*_tests?\.\w+|[^/]*\.(?:test|spec)\.\w+|(?-i:[^/]*Tests?)\.(?:java|kt|cs|scala|groovy|php)"
    r"|conftest\.py)$"
)
_EXAMPLE_PATH = filters._lazy(
    r"(?i)(?:^|/)(?:examples?|samples?)/"
    r"|[._-](?:example|sample|template|tmpl|tpl|dist)(?:\.[\w-]+)?$"
    r"|(?:^|/)(?:examples|samples)[._-][^/]*$|(?:^|/)(?:example|sample)[_-][^/]*$"   # examples-1.json, example-config.yml
)
_DOCS_PATH = filters._lazy(
    r"(?i)(?:^|/)(?:docs?|documentation|man)/|\.(?:md|markdown|mdx|rst|adoc|asciidoc|txt|html?|ipynb)$"
    r"|(?:^|/)readme[^/]*$"
)
_LANGS = ("en|de|fr|es|it|pt|nl|sv|da|no|nb|nn|fi|pl|cs|sk|hu|ro|bg|ru|uk|el|tr|ar|he|fa|hi|ja|ko|zh|th|vi|id"
          "|et|lv|lt|sl|hr|sr|ca|eu|gl|is|ga|cy|sq|mk|bs|ka|hy|az|kk|uz|bn|ta|te|ur|ms|tl|sw|af")
_I18N_PATH = filters._lazy(
    r"(?i)(?:^|/)(?:i18n|l10n|locales?|lang|langs|languages|translations?)/"
    r"|\.(?:po|pot|xliff|xlf|strings|stringsdict|resx|arb)$"
    rf"|(?:^|/)(?:{_LANGS})(?:[-_][a-z]{{2,4}})?\.(?:json|ya?ml|properties|js|ts)$"
    rf"|(?:^|/)messages[-_](?:{_LANGS})(?:[-_][a-z]{{2,4}})?\.(?:properties|json|ya?ml)$"
)


# Program source: documentation examples, argument defaults and sample calls live in its
# docstrings and comments, so a weak value there keeps its own (low) judgement.
_SOURCE_PATH = filters._lazy(
    r"(?i)\.(?:py|pyi|pyx|js|mjs|cjs|jsx|ts|tsx|java|go|rb|php|cs|c|h|cc|cpp|hpp|rs|kt|kts|scala|swift|m|mm|dart"
    r"|lua|pl|pm|r|jl|ex|exs|erl|hs|clj|groovy|vue|svelte|ipynb)$"
)
# Weak passwords that are documentation staples rather than anybody's choice: Oracle's
# scott/tiger, RabbitMQ's guest, the redis.conf sample, "test", xkcd 936. Never raised.
_DOC_STAPLES = frozenset({"tiger", "scott", "foobared", "test", "testing", "guest", "correct horse battery staple"})


def file_kind(path: str) -> str:
    """'test', 'example' (an example or template), 'docs', 'i18n' (a translation) or
    '' (production: code and config that runs)."""
    p = path.replace("\\", "/")
    if _I18N_PATH.search(p):
        return "i18n"
    if _EXAMPLE_PATH.search(p):
        return "example"
    if _TEST_PATH.search(p):
        return "test"
    if _DOCS_PATH.search(p):
        return "docs"
    return ""


# A name or a rule that says "a password goes here" (not a token, not a key).
_PASSWORD_NAME = filters._lazy(r"(?i)(?:pass(?:word|wd|phrase)?|pwd|requirepass|masterauth)$")
_PASSWORD_RULE = filters._lazy(r"password|passwd|credential-call|positional|requirepass|userlist|jaas")


def is_password_position(f: Finding) -> bool:
    """The finding's value sits where a password goes: under a password name, or in a
    rule that takes only passwords (connection strings, server directives, positional
    arguments)."""
    if f.key:
        name = regex.split(r"[.\[\]/]", f.key.strip("-").rstrip("]"))[-1] or f.key
        if _PASSWORD_NAME.search(name):
            return True
    return bool(_PASSWORD_RULE.search(f.rule_id)) and not (f.key and regex.search(r"(?i)token|key$|secret", f.key))


_LABEL = filters._lazy(r"^[^\W\d_]+(?:[\s'’.,:;!?()/-]+[^\W\d_]+)*[\s'’.,:;!?()/-]*$")


def is_label(value: str) -> bool:
    """Text in some language (letters, spaces and punctuation, no digits or symbols): what a
    translation file holds under a key named ``password`` or ``token``."""
    return bool(_LABEL.match(value.strip()))


def judge_file(det: Detection, path: str, fixed: Collection[str] = ()) -> None:
    """The judgement that depends on the file a finding is in (docs/confidence.md,
    "The file decides"), applied to ``det`` in place:

    - in production configuration (config files, deployment scripts, Dockerfiles: not
      program source, a test, an example, documentation or a translation), a known weak
      password (filters.weak_reason: `Passw0rd!`, `pass123`, `hunter2`, `root1234`; not a
      documentation staple such as `tiger`) in an explicit password position is
      ``medium``: somebody's real, guessable password;
    - in a translation file (`locales/de.json`, `messages_es.properties`), a ``low`` finding whose
      value is text (letters, spaces and punctuation, no digits: ``"Passwort bestätigen"``,
      ``"Jeton"``) is the field's label in another language, a field name rather than a value,
      and is dropped;
    - everywhere else, including example and template files (`.env.example`, `config.yml.dist`,
      `samples/`), a ``low`` finding stays ``low``: a weak value there is a stand-in as often as it
      is somebody's password, and only true non-secrets (placeholders, templates, references) are
      dropped, by the value's own judgement.

    Findings of rules whose level is written in the rule file (``fixed``: the level vouches
    for the position) and of credential files are left as they are."""
    if not det.findings:
        return
    kind = file_kind(path)
    out: list[Finding] = []
    for f in det.findings:
        if f.confidence != "low" or "credential-file" in f.tags or f.rule_id in fixed:
            out.append(f)
        elif kind == "i18n" and is_label(f.secret):
            det.dropped["translation label"] = det.dropped.get("translation label", 0) + 1
        elif (not kind and not _SOURCE_PATH.search(path) and is_password_position(f)
              and f.secret.lower() not in _DOC_STAPLES and filters.weak_reason(f.secret)):
            out.append(dataclasses.replace(f, confidence="medium"))
        else:
            out.append(f)
    det.findings = out


def check_level(value: str) -> str:
    if value not in CONFIDENCES:
        raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}")
    return value


def at_least(min_confidence: str) -> Callable[[str], bool]:
    bar = confidence_rank(min_confidence)
    return lambda c: confidence_rank(c) >= bar


def apply_min_confidence(result: ScanResult, min_confidence: str) -> ScanResult:
    """Keep findings at or above ``min_confidence``; count the rest in the stats."""
    ok = at_least(min_confidence)
    kept = [f for f in result.findings if ok(f.confidence)]
    result.stats.below_min_confidence += len(result.findings) - len(kept)
    result.findings = kept
    return result
