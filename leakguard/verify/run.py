"""Verify the findings of a scan: each distinct credential once, in a bounded pool."""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leakguard.model import Finding, Verification
from leakguard.ruleset import Rule
from leakguard.verify.cache import VerifyCache, key as cache_key
from leakguard.verify.http import HttpVerifier, VerifyUnavailable
from leakguard.verify.spec import VerifySpec, render

if TYPE_CHECKING:
    from leakguard.verify.conn import Target

STATUSES = ("active", "inactive", "unknown")
Progress = Callable[[int, int], None]  # (credentials done, credentials in all)


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    timeout: float = 10.0
    workers: int = 8
    per_host: int = 2  # requests in flight to one provider host
    min_interval: float = 0.1  # seconds between two requests to one host
    retries: int = 2  # after a rate limit or network error, with backoff
    cache_ttl: float = 900.0  # seconds; 0: no cache
    # --verify-connections: a connection string's password is checked against
    # the host written beside it (docs/verification.md); never on by default
    connections: bool = False


@dataclass(frozen=True, slots=True)
class _Job:
    key: str
    spec: VerifySpec | None  # None: a connection check (target)
    verifier: str  # the rule id whose verifier is used, or the code verifier's name
    values: tuple[tuple[str, str], ...]  # the names and values the verifier sends
    target: Target | None = None


def _job(f: Finding, rule: Rule | None, connections: bool = False) -> _Job | Verification:
    spec = rule.verify if rule is not None else None
    if spec is None and connections:
        return _conn_job(f)
    if spec is None:
        return Verification("unknown", "no verifier for this kind of secret")
    values = {"secret": f.secret, **dict(f.companions)}
    missing = [n for n in spec.names if n not in values]
    if missing:
        return Verification("unknown", f"no {', '.join(missing)} found near the secret to verify it with")
    if spec.code:
        sent = tuple(sorted((k, render(t, values)) for k, t in spec.params))
        return _Job(cache_key(spec.code, sent), spec, spec.code, sent)
    sent = tuple(sorted(values.items()))
    assert rule is not None
    return _Job(cache_key(spec.digest, sent), spec, rule.id, sent)


def _conn_job(f: Finding) -> _Job | Verification:
    from leakguard.verify import conn

    t = conn.target(f)
    if isinstance(t, str):
        return Verification("unknown", f"no verifier for this kind of secret ({t})")
    why = conn.refused_literal(t)
    if why:
        return Verification("unknown", f"not contacted: {t.host} is a {why}", verifier=f"connection:{t.protocol}")
    # keyed by the secret's hash (as reported in every finding) and where it is sent: no secret in the cache
    sent = (("protocol", t.protocol), ("tls", str(t.tls)), ("user", t.user), ("host", t.host), ("port", str(t.port)),
            ("path", t.path), ("secret_hash", f.secret_hash))
    return _Job(cache_key("connection", sent), None, f"connection:{t.protocol}", sent, t)


class _HostLimits:
    """At most ``per_host`` requests in flight to a host, ``min_interval`` apart."""

    def __init__(self, per_host: int, min_interval: float) -> None:
        self.per_host, self.min_interval = per_host, min_interval
        self.lock = threading.Lock()
        self.sems: dict[str, threading.Semaphore] = {}
        self.last: dict[str, float] = {}

    def run(self, host: str, fn: Callable[[], Verification]) -> Verification:
        with self.lock:
            sem = self.sems.setdefault(host, threading.Semaphore(self.per_host))
        with sem:
            with self.lock:
                wait = self.last.get(host, 0.0) + self.min_interval - time.monotonic()
                self.last[host] = time.monotonic() + max(wait, 0.0)
            if wait > 0:
                time.sleep(wait)
            return fn()


def verify_findings(findings: list[Finding], rules: Mapping[str, Rule], options: VerifyOptions = VerifyOptions(),
                    progress: Progress | None = None, announce: Callable[[str], object] | None = None) -> list[Finding]:
    """The findings with ``verification`` filled in; one request per distinct credential.
    ``announce`` gets the --verify-connections warning once, before any connection."""
    jobs: dict[str, _Job] = {}
    per_finding: list[_Job | Verification] = []
    for f in findings:
        j = _job(f, rules.get(f.rule_id), options.connections)
        per_finding.append(j)
        if isinstance(j, _Job):
            jobs.setdefault(j.key, j)
    answers = _run(list(jobs.values()), options, progress, announce) if jobs else {}
    out = []
    for f, j in zip(findings, per_finding):
        v = answers[j.key] if isinstance(j, _Job) else j
        out.append(dataclasses.replace(f, verification=v))
    return out


def _run(jobs: list[_Job], options: VerifyOptions, progress: Progress | None,
         announce: Callable[[str], object] | None = None) -> dict[str, Verification]:
    cache = VerifyCache(options.cache_ttl)
    answers: dict[str, Verification] = {}
    todo = []
    for j in jobs:
        hit = cache.get(j.key)
        if hit is not None:
            answers[j.key] = hit
        else:
            todo.append(j)
    done = len(answers)
    if progress:
        progress(done, len(jobs))
    targets = [j.target for j in todo if j.target is not None]
    if targets and announce is not None:
        from leakguard.verify.conn import warning

        announce(warning(targets, len({t.password for t in targets})))
    if todo:
        http = HttpVerifier(options.timeout) if any(j.spec is not None and not j.spec.code for j in todo) else None
        limits = _HostLimits(options.per_host, options.min_interval)
        lock = threading.Lock()
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(todo)))) as pool:
                for j, v in zip(todo, pool.map(lambda j: _check(j, http, limits, options), todo)):
                    answers[j.key] = v
                    cache.put(j.key, v)
                    with lock:
                        done += 1
                    if progress:
                        progress(done, len(jobs))
        finally:
            if http is not None:
                http.close()
            cache.save()
    return answers


def _check(job: _Job, http: HttpVerifier | None, limits: _HostLimits, options: VerifyOptions) -> Verification:
    values = dict(job.values)
    if job.target is not None:
        from leakguard.verify import conn

        target = job.target

        def call() -> Verification:
            return conn.check(target, options.timeout)
        host = target.where
    elif job.spec is not None and job.spec.code == "aws-sts":
        from leakguard.verify import aws

        def call() -> Verification:
            return aws.check(values.get("key_id", ""), values.get("secret_key", ""), options.timeout)
        host = "sts.amazonaws.com"
    else:
        assert http is not None and job.spec is not None
        spec = job.spec

        def call() -> Verification:
            return dataclasses.replace(http.check(spec, values), verifier=job.verifier)
        host = spec.host
    reason = ""
    for attempt in range(options.retries + 1):
        try:
            return limits.run(host, call)
        except VerifyUnavailable as e:
            reason = e.reason
            if not e.retry or attempt == options.retries:
                break
            time.sleep(min(e.retry_after if e.retry_after is not None else 0.5 * 2 ** attempt, 5.0))
        except ValueError as e:  # a verifier that cannot be built for these values
            return Verification("unknown", f"verifier error: {e}", verifier=job.verifier)
    return Verification("unknown", reason, verifier=job.verifier)


def select(findings: Iterable[Finding], statuses: Iterable[str]) -> list[Finding]:
    """Only findings whose verification status is one of ``statuses``."""
    wanted = set(statuses)
    return [f for f in findings if f.verification is not None and f.verification.status in wanted]
