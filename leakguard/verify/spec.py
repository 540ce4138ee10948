"""A rule's ``verify:`` block: how to ask the provider whether a secret works.

Verifiers are data. An HTTP verifier names one request to the provider's own
fixed host and the answers that mean ``active`` or ``inactive``::

    verify:
      url: https://api.github.com/user          # https only; the host is fixed text
      method: GET                               # GET (default), POST, HEAD
      headers: {Authorization: "Bearer {secret}"}
      active: {status: [200]}
      inactive: {status: [401]}
      identity: {login: "json:login", scopes: "header:x-oauth-scopes"}

Templates ``{secret}`` and ``{NAME}`` (a value from ``pair``) may stand in the
path, query, headers and body, never in the scheme, host or port: a secret is
only ever sent to the host written in the rule, whatever the scanned content
says. A code verifier (``code: aws-sts``) is used where a protocol needs one.

``pair`` names values the credential needs besides the secret (an AWS key id
for its secret key, a Twilio account SID for its auth token); the engine
captures them from the lines around the secret when it makes the finding.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import regex

CODE_VERIFIERS = ("aws-sts",)
METHODS = ("GET", "POST", "HEAD")
_KEYS = {"url", "method", "headers", "basic", "form", "json", "body", "active", "inactive", "identity",
         "pair", "code", "params"}
_COND_KEYS = {"status", "json", "body_contains", "body_not_contains", "header", "reason"}
_NAME_RE = regex.compile(r"^[a-z][a-z0-9_]{0,30}$")
_TEMPLATE_RE = regex.compile(r"\{([a-z][a-z0-9_]{0,30})\}")


class SpecError(ValueError):
    """A malformed ``verify:`` block; the message names the key."""


@dataclass(frozen=True, slots=True)
class Condition:
    """An answer the provider gives: every given part must hold. ``reason``
    is added to the verdict (e.g. what a rejection does not prove)."""

    status: tuple[int, ...] = ()
    json: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # dotted path -> accepted values
    body_contains: str = ""
    body_not_contains: str = ""
    header: tuple[tuple[str, str], ...] = ()  # header name (lower case) -> substring of its value
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Pair:
    name: str
    pattern: Any  # regex.Pattern[str]; group 1 (or the group named like the pair) is the value
    lines: int


@dataclass(frozen=True, slots=True)
class VerifySpec:
    url: str = ""
    host: str = ""  # fixed, or '{label}suffix.domain.tld' when the first label is a template
    host_label: str = ""  # the template that fills the first label, if any
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    basic: tuple[str, str] | None = None
    form: tuple[tuple[str, str], ...] = ()
    json_body: str = ""  # canonical JSON text, templated as a whole
    body: str = ""
    active: Condition | None = None
    inactive: Condition | None = None
    identity: tuple[tuple[str, str], ...] = ()  # label -> 'json:a.b' | 'header:name'
    pairs: tuple[Pair, ...] = field(default=(), compare=False)
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()  # code verifiers: argument -> template
    digest: str = ""  # identifies the verifier (cache keys, deduplication)

    @property
    def names(self) -> tuple[str, ...]:
        """The values a check needs: the secret and every pair."""
        return ("secret", *(p.name for p in self.pairs))

    def host_for(self, values: Mapping[str, str]) -> str:
        """The host a request for these values goes to (raises ValueError if a
        first-label value is not a single DNS label)."""
        if not self.host_label:
            return self.host
        label = values.get(self.host_label, "").lower()
        if not LABEL_RE.match(label):
            raise ValueError(f"{self.host_label} is not a host name label")
        return self.host.replace(f"{{{self.host_label}}}", label)


def _strmap(v: object, where: str) -> tuple[tuple[str, str], ...]:
    if v is None:
        return ()
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()):
        raise SpecError(f"'{where}' must be a mapping of strings")
    return tuple(v.items())


def _condition(v: object, where: str) -> Condition | None:
    if v is None:
        return None
    if not isinstance(v, dict) or not v or set(v) - _COND_KEYS:
        raise SpecError(f"'{where}' must be a mapping with some of: {', '.join(sorted(_COND_KEYS))}")
    status = v.get("status", [])
    if isinstance(status, int):
        status = [status]
    if not isinstance(status, list) or not all(isinstance(s, int) and 100 <= s <= 599 for s in status):
        raise SpecError(f"'{where}.status' must be HTTP status codes")
    jv = v.get("json") or {}
    if not isinstance(jv, dict) or not all(isinstance(k, str) for k in jv):
        raise SpecError(f"'{where}.json' must map dotted paths to values")
    jconds = tuple((k, tuple(x if isinstance(x, list) else [x])) for k, x in jv.items())
    for k in ("body_contains", "body_not_contains", "reason"):
        if k in v and not isinstance(v[k], str):
            raise SpecError(f"'{where}.{k}' must be a string")
    header = _strmap(v.get("header"), f"{where}.header")
    return Condition(tuple(status), jconds, v.get("body_contains", ""), v.get("body_not_contains", ""),
                     tuple((k.lower(), x) for k, x in header), v.get("reason", ""))


def _check_templates(text: str, names: set[str], where: str) -> None:
    for name in _TEMPLATE_RE.findall(text):
        if name not in names:
            raise SpecError(f"'{where}': unknown template {{{name}}} (known: {', '.join(sorted(names))})")


_HOST_TEMPLATE_RE = regex.compile(r"^\{([a-z][a-z0-9_]{0,30})\}([a-z0-9-]*)\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)$")
LABEL_RE = regex.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _pinned_host(url: str) -> tuple[str, str]:
    """The host of an https URL whose scheme, host and port are fixed text,
    and the name of the template that may fill its first label.

    One template is allowed at the very start of the host, for providers
    that give each customer a subdomain of their own domain
    (``{shop}.myshopify.com``): the value is checked to be a single DNS
    label, so the request still goes to the provider's domain."""
    if not url.startswith("https://"):
        raise SpecError("'url' must start with https://")
    netloc = url[len("https://"):].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    label = ""
    m = _HOST_TEMPLATE_RE.match(netloc)
    if m:
        label, netloc = m.group(1), f"x{m.group(2)}.{m.group(3)}"
    if not netloc or any(c in netloc for c in "{}@\\ :"):
        raise SpecError("'url': the host must be fixed text (no templates but a first-label one, no user info, no port)")
    host = urlsplit(f"https://{netloc}/").hostname or ""
    if not host or "." not in host:
        raise SpecError("'url': needs a provider host name")
    if label in ("secret", "secret_path"):
        raise SpecError("'url': the secret never goes into a host name")
    if label:
        host = f"{{{label}}}{m.group(2)}.{m.group(3)}" if m else host
    return host, label


def parse(raw: object, *, check: bool = False) -> VerifySpec:
    """Validate a rule's ``verify:`` mapping into a :class:`VerifySpec`. ``check``: the mapping comes
    from an untrusted rule file (a user's or a repository's), so each ``pair`` pattern is also tried on
    adversarial text, like the rule's other patterns, and a slow one is refused when the file loads."""
    if not isinstance(raw, dict):
        raise SpecError("'verify' must be a mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise SpecError(f"unknown verify key(s): {', '.join(sorted(map(str, unknown)))}")
    pairs: list[Pair] = []
    for name, p in (raw.get("pair") or {}).items():
        if not isinstance(name, str) or not _NAME_RE.match(name) or name == "secret":
            raise SpecError(f"'verify.pair': bad name {name!r}")
        if not isinstance(p, dict) or set(p) - {"pattern", "lines"} or not isinstance(p.get("pattern"), str):
            raise SpecError(f"'verify.pair.{name}' must be {{pattern: REGEX, lines: N}}")
        lines = p.get("lines", 5)
        if not isinstance(lines, int) or not 0 <= lines <= 50:
            raise SpecError(f"'verify.pair.{name}.lines' must be a whole number from 0 to 50")
        try:
            pat = regex.compile(p["pattern"], regex.VERSION0)
        except regex.error as e:
            raise SpecError(f"'verify.pair.{name}.pattern': bad regex: {e}") from None
        if pat.groups < 1:
            raise SpecError(f"'verify.pair.{name}.pattern' needs a capturing group")
        if check:
            from leakguard.saferegex import SlowRegex, probe

            try:
                probe(pat, p["pattern"])
            except SlowRegex as e:
                raise SpecError(f"'verify.pair.{name}.pattern': regex {p['pattern']!r} {e}") from None
        pairs.append(Pair(name, pat, lines))
    names = {"secret", "secret_path", *(p.name for p in pairs)}
    canon = json.dumps(raw, sort_keys=True, default=str)
    digest = hashlib.sha256(canon.encode()).hexdigest()[:16]
    if "code" in raw:
        if raw["code"] not in CODE_VERIFIERS:
            raise SpecError(f"'verify.code' must be one of {', '.join(CODE_VERIFIERS)}")
        if set(raw) - {"code", "params", "pair"}:
            raise SpecError("a code verifier takes only 'code', 'params' and 'pair'")
        params = _strmap(raw.get("params"), "verify.params")
        for k, t in params:
            _check_templates(t, names, f"verify.params.{k}")
        return VerifySpec(code=raw["code"], params=params, pairs=tuple(pairs), digest=digest)
    url = raw.get("url")
    if not isinstance(url, str):
        raise SpecError("'verify' needs 'url' (or 'code')")
    host, host_label = _pinned_host(url)
    method = raw.get("method", "GET")
    if method not in METHODS:
        raise SpecError(f"'verify.method' must be one of {', '.join(METHODS)}")
    headers = _strmap(raw.get("headers"), "verify.headers")
    form = _strmap(raw.get("form"), "verify.form")
    basic = raw.get("basic")
    if basic is not None and (not isinstance(basic, list) or len(basic) != 2 or not all(isinstance(x, str) for x in basic)):
        raise SpecError("'verify.basic' must be [USER, PASSWORD] (templates allowed)")
    body = raw.get("body", "")
    if not isinstance(body, str):
        raise SpecError("'verify.body' must be a string")
    json_body = json.dumps(raw["json"], sort_keys=True) if "json" in raw else ""
    if sum(bool(x) for x in (form, json_body, body)) > 1:
        raise SpecError("'verify' takes one of 'form', 'json' and 'body'")
    for where, text in (("url", url), ("body", body), ("json", json_body), *((f"headers.{k}", v) for k, v in headers),
                        *((f"form.{k}", v) for k, v in form), *((f"basic", b) for b in (basic or []))):
        _check_templates(text, names, f"verify.{where}")
    active = _condition(raw.get("active"), "verify.active")
    inactive = _condition(raw.get("inactive"), "verify.inactive")
    if active is None or inactive is None:
        raise SpecError("'verify' needs both 'active' and 'inactive' conditions")
    identity = _strmap(raw.get("identity"), "verify.identity")
    for label, src in identity:
        if not (src.startswith("json:") or src.startswith("header:")):
            raise SpecError(f"'verify.identity.{label}' must be 'json:PATH' or 'header:NAME'")
    return VerifySpec(url=url, host=host, host_label=host_label, method=method, headers=headers, basic=tuple(basic) if basic else None,
                      form=form, json_body=json_body, body=body, active=active, inactive=inactive,
                      identity=identity, pairs=tuple(pairs), digest=digest)


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute ``{name}`` for the known names only; other braces stay."""
    return _TEMPLATE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
