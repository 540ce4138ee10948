"""HTTP verifiers: one request to the provider's pinned host, judged by its answer.

httpx is the client (see the commit that added it): redirects are never
followed, every request has a connect/read timeout, TLS is verified, and
nothing is read from the environment (no .netrc, no proxy settings other than
an explicit HTTPS proxy).

Tests reach a local server through ``LEAKGUARD_VERIFY_REDIRECT``: a base URL
on the loopback interface that every verifier request is sent to instead,
with the provider host as the first path segment. Only loopback targets are
accepted, so the override can never send a secret off the machine; it is an
environment variable, which a scanned repository cannot set.
"""
from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from leakguard.model import Verification
from leakguard.verify.spec import Condition, VerifySpec, render

REDIRECT_ENV = "LEAKGUARD_VERIFY_REDIRECT"
USER_AGENT = "leakguard-verify"
MAX_BODY = 1 << 20  # answers are small; never hold more than this


class VerifyUnavailable(Exception):
    """The verifier could not get an answer (timeout, network, rate limit)."""

    def __init__(self, reason: str, retry_after: float | None = None, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.retry = retry


def loopback_redirect() -> str | None:
    """The test-only override, if set and pointing at this machine."""
    base = os.environ.get(REDIRECT_ENV, "").strip()
    if not base:
        return None
    parts = urlsplit(base)
    host = parts.hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if parts.scheme not in ("http", "https") or not ok:
        raise ValueError(f"{REDIRECT_ENV} must be an http(s) URL on the loopback interface")
    return base.rstrip("/")


def secret_path(secret: str, host: str) -> str:
    """For a secret that is a whole URL (a webhook): its path and query, once
    its host is checked to be the verifier's own."""
    parts = urlsplit(secret if "://" in secret else f"https://{secret}")
    if parts.scheme != "https" or (parts.hostname or "").lower() != host or parts.port not in (None, 443) or parts.username:
        raise ValueError(f"the URL is not on {host}")
    return parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")


def build_request(spec: VerifySpec, values: Mapping[str, str]) -> dict[str, Any]:
    """The request's parts, templates filled in. The host is the rule's, always."""
    host = spec.host_for(values)
    values = dict(values)
    if "{secret_path}" in spec.url:
        values["secret_path"] = secret_path(values["secret"], host)
    url = render(spec.url, values)
    if urlsplit(url).hostname != host or not url.startswith(f"https://{host}/"):
        raise ValueError("verifier URL host changed by substitution")  # a value can't move the request elsewhere
    req: dict[str, Any] = {"method": spec.method, "url": url,
                           "headers": {"User-Agent": USER_AGENT, **{k: render(v, values) for k, v in spec.headers}}}
    if spec.basic:
        req["auth"] = (render(spec.basic[0], values), render(spec.basic[1], values))
    if spec.form:
        req["data"] = {k: render(v, values) for k, v in spec.form}
    elif spec.json_body:
        escaped = {k: json.dumps(v)[1:-1] for k, v in values.items()}
        req["content"] = render(spec.json_body, escaped).encode()
        req["headers"].setdefault("Content-Type", "application/json")
    elif spec.body:
        req["content"] = render(spec.body, values).encode()
    return req


def _json_path(doc: Any, path: str) -> Any:
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


_MISSING = object()


def _holds(cond: Condition, status: int, headers: Mapping[str, str], text: str, doc: Any) -> bool:
    if cond.status and status not in cond.status:
        return False
    for path, accepted in cond.json:
        if _json_path(doc, path) not in accepted:
            return False
    if cond.body_contains and cond.body_contains not in text:
        return False
    if cond.body_not_contains and cond.body_not_contains in text:
        return False
    for name, sub in cond.header:
        if sub not in headers.get(name, ""):
            return False
    return True


def judge(spec: VerifySpec, status: int, headers: Mapping[str, str], text: str, secrets: list[str]) -> Verification:
    """Map an answer to active / inactive / unknown; identity never carries a secret."""
    try:
        doc: Any = json.loads(text) if text[:1] in ("{", "[") else None
    except ValueError:
        doc = None
    assert spec.active is not None and spec.inactive is not None
    if _holds(spec.active, status, headers, text, doc):
        identity: list[tuple[str, str]] = []
        for label, src in spec.identity:
            kind, _, ref = src.partition(":")
            raw = headers.get(ref.lower()) if kind == "header" else _json_path(doc, ref)
            if raw is _MISSING or raw is None or isinstance(raw, (dict, list)):
                continue
            value = str(raw)[:200]
            if value and not any(s and s in value for s in secrets):
                identity.append((label, value))
        return Verification("active", _why(status, spec.active.reason), tuple(identity))
    if _holds(spec.inactive, status, headers, text, doc):
        return Verification("inactive", _why(status, spec.inactive.reason))
    return Verification("unknown", f"unexpected answer (HTTP {status})")


def _why(status: int, reason: str) -> str:
    return f"HTTP {status}: {reason}" if reason else f"HTTP {status}"


class HttpVerifier:
    """One client for a verification run (connection reuse across requests)."""

    def __init__(self, timeout: float) -> None:
        import httpx

        self._httpx = httpx
        self.redirect = loopback_redirect()
        proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or None
        self.client = httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False,
                                   proxy=None if self.redirect else proxy)

    def close(self) -> None:
        self.client.close()

    def check(self, spec: VerifySpec, values: Mapping[str, str]) -> Verification:
        httpx = self._httpx
        req = build_request(spec, values)
        if self.redirect:
            parts = urlsplit(req["url"])
            req["url"] = f"{self.redirect}/{parts.hostname}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        try:
            with self.client.stream(**req) as resp:
                chunks: list[bytes] = []
                size = 0
                for part in resp.iter_bytes():
                    chunks.append(part)
                    size += len(part)
                    if size >= MAX_BODY:
                        break
                body = b"".join(chunks)[:MAX_BODY]
                status, headers = resp.status_code, {k.lower(): v for k, v in resp.headers.items()}
        except httpx.TimeoutException:
            raise VerifyUnavailable("timeout", retry=False) from None
        except httpx.HTTPError as e:
            raise VerifyUnavailable(f"network error ({type(e).__name__})") from None
        if 300 <= status < 400:
            return Verification("unknown", f"redirect not followed (HTTP {status})")
        listed = {*(spec.active.status if spec.active else ()), *(spec.inactive.status if spec.inactive else ())}
        if status in (429, 503) and status not in listed:
            retry = headers.get("retry-after", "")
            raise VerifyUnavailable(f"rate-limited (HTTP {status})", float(retry) if retry.isdigit() else None)
        text = body.decode("utf-8", "replace")
        return judge(spec, status, headers, text, list(values.values()))
