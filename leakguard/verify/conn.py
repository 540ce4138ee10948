"""``--verify-connections``: check a connection string's password against the
host written beside it in the scanned file.

This is the one place where leakguard sends a secret to a host taken from
scanned content, so it is a separate opt-in flag (on top of ``--verify``),
never implied by ``--verify``, by the hooks or by any config file, and it
announces on stderr, before connecting, how many hosts it will contact.

What is sent is the authentication handshake and nothing more: no query, no
command after the login, and the connection is closed as soon as the server
has said yes or no (``leakguard.verify.wire``). Addresses are resolved once
and the check connects to the address that was checked: link-local
(cloud metadata), multicast, unspecified and reserved addresses are always
refused, loopback too (it names the scanning machine, not the leaked
server); private addresses are allowed, since a leaked internal database is
worth checking from the user's own network.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

import regex

from leakguard.model import Finding, Verification

# Test-only: let checks reach 127.0.0.1 (the local fake servers). An
# environment variable, which a scanned repository cannot set.
LOOPBACK_ENV = "LEAKGUARD_VERIFY_CONN_LOOPBACK"

# scheme (without a +driver suffix) -> (protocol, default port, TLS)
SCHEMES: dict[str, tuple[str, int, bool]] = {
    "postgres": ("postgres", 5432, False), "postgresql": ("postgres", 5432, False),
    "pgsql": ("postgres", 5432, False), "postgis": ("postgres", 5432, False),
    "mysql": ("mysql", 3306, False), "mariadb": ("mysql", 3306, False),
    "redis": ("redis", 6379, False), "rediss": ("redis", 6379, True),
    "http": ("http", 80, False), "https": ("http", 443, True),
    "amqp": ("amqp", 5672, False), "amqps": ("amqp", 5671, True),
    "pyamqp": ("amqp", 5672, False), "librabbitmq": ("amqp", 5672, False),
    "smtp": ("smtp", 25, False), "smtps": ("smtp", 465, True),
    "ftp": ("ftp", 21, False),
    "mongodb": ("mongodb", 27017, False),
    "ldap": ("ldap", 389, False), "ldaps": ("ldap", 636, True),
}
PROTOCOLS = ("amqp", "ftp", "http", "ldap", "mongodb", "mysql", "postgres", "redis", "smtp")

# `scheme://user:` right before the secret (jdbc:postgresql://... too)
_PREFIX_RE = regex.compile(r"(?i)(?<![\w+.-])(?:jdbc:)?([a-z][a-z0-9.-]{0,30})((?:\+[a-z0-9_]{1,20})?)://"
                           r"([^\s:/?#\"'`<>\\]{0,128}):$")
# `@host[:port]` right after it, then the end of the authority
_HOST_RE = regex.compile(r"@(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252}))(?::(\d{1,5}))?"
                         r"(?=$|[/?#,;\s\"'`<>)\]}])")
_PATH_RE = regex.compile(r"/([^\s?#\"'`<>\\]{0,256})")
_DB_RE = regex.compile(r"^[^/\x00]{1,63}$")
_MONGO_REST_RE = regex.compile(r"(?:,[^,/?#\s\"'`<>\\]{1,260}){0,50}(?:/([^\s?#\"'`<>\\]{0,64}))?"
                               r"(?:\?([^\s#\"'`<>\\]{0,1024}))?")


@dataclass(frozen=True, slots=True)
class Target:
    """Where and how to check one connection string's password."""

    protocol: str  # one of PROTOCOLS
    scheme: str  # as written, lower case, without the +driver suffix
    host: str  # a DNS name or an IP address (no brackets)
    port: int
    tls: bool
    user: str
    password: str
    path: str = "/"  # http: the URL's path (no query); postgres: the database name; else ""
    variant: str = ""  # the scheme's +suffix, lower case (smtp+tls: STARTTLS required)

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _secret_offsets(f: Finding) -> list[int]:
    text, secret = f.line_text, f.secret
    col = f.location.column - 1
    found = [col] if 0 <= col and text.startswith(secret, col) else []
    at = text.find(secret)
    while at >= 0 and len(found) < 20:
        if at not in found:
            found.append(at)
        at = text.find(secret, at + 1)
    return found


_GO_USER_RE = regex.compile(r"(?<![\w/:@.%-])([\w.%-]{1,64}):$")
_GO_HOST_RE = regex.compile(r"@tcp6?\((\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9][A-Za-z0-9_.-]{0,252})(?::(\d{1,5}))?\)")
_KV_RE = regex.compile(r"(?<![\w.-])([a-z_]{2,32})[ \t]*=[ \t]*('(?:[^'\\\r\n]|\\.){0,256}'|[^\s'\",()]{1,256})")


def _go_dsn(f: Finding) -> Target | str:
    """go-sql-driver's ``user:password@tcp(host:port)/db`` (not percent-encoded)."""
    for at in _secret_offsets(f):
        m = _GO_USER_RE.search(f.line_text[max(0, at - 70):at])
        h = _GO_HOST_RE.match(f.line_text, at + len(f.secret))
        if m and h:
            port = int(h.group(2)) if h.group(2) else 3306
            if not 0 < port < 65536:
                return "bad port in the DSN"
            return Target("mysql", "mysql", h.group(1).strip("[]").lower(), port, False, m.group(1), f.secret, "")
    return "no network host in the DSN"


def _conninfo(f: Finding) -> Target | str:
    """libpq's ``host=... port=... user=... dbname=... password=...``."""
    kv: dict[str, str] = {}
    for m in _KV_RE.finditer(f.line_text):
        v = m.group(2)
        if v.startswith("'"):
            v = regex.sub(r"\\(.)", r"\1", v[1:-1])
        kv.setdefault(m.group(1), v)
    host = (kv.get("hostaddr") or kv.get("host") or "").split(",")[0]
    if not host or host.startswith("/") or "@" in host:
        return "no network host in the connection string"
    try:
        port = int((kv.get("port") or "5432").split(",")[0])
    except ValueError:
        return "bad port in the connection string"
    if not 0 < port < 65536:
        return "bad port in the connection string"
    db = kv.get("dbname", "")
    offsets = _secret_offsets(f)
    quoted = bool(offsets) and f.line_text[offsets[0] - 1:offsets[0]] == "'"
    password = regex.sub(r"\\(.)", r"\1", f.secret) if quoted else f.secret  # password='it\'s' is it's
    return Target("postgres", "postgres", host.lower(), port, False, kv.get("user", ""), password,
                  db if _DB_RE.match(db) else "")


def target(f: Finding) -> Target | str:
    """The connection the finding's password belongs to, or why there is none.

    The URL is read back from the finding's line around the secret: the
    password is the rule's capture, the scheme, user, host and port are
    what the file wrote next to it."""
    if f.decoded:
        return "the connection string is inside encoded text"
    if f.rule_id == "mysql-go-dsn-password":
        return _go_dsn(f)
    if f.rule_id == "postgres-dsn-password":
        return _conninfo(f)
    text = f.line_text
    why = "no connection URL around the secret"
    for at in _secret_offsets(f):
        m = _PREFIX_RE.search(text[max(0, at - 200):at])
        h = _HOST_RE.match(text, at + len(f.secret))
        if m is None:
            continue
        scheme = m.group(1).lower()
        if scheme not in SCHEMES:
            return f"no connection check for {scheme}:// URLs"
        if h is None:
            why = "no network host in the URL"
            continue
        protocol, default_port, tls = SCHEMES[scheme]
        variant = m.group(2)[1:].lower()
        if protocol == "redis" and variant == "sentinel":
            return "no connection check for redis+sentinel:// URLs"
        if protocol == "mongodb" and variant == "srv":
            return "mongodb+srv:// names its servers in DNS SRV records, which are not looked up"
        if protocol == "smtp" and variant == "ssl":
            tls, default_port = True, 465
        elif protocol == "smtp" and variant in ("tls", "starttls"):
            default_port = 587
        host = h.group(1).strip("[]").rstrip(".").lower()
        port = int(h.group(2)) if h.group(2) else default_port
        if not 0 < port < 65536:
            return "bad port in the URL"
        path = ""
        if protocol in ("http", "postgres"):
            p = _PATH_RE.match(text, h.end())
            path = unquote(p.group(1)) if p else ""
            if protocol == "http":
                path = "/" + path
            elif not _DB_RE.match(path):
                path = ""
        if protocol == "mongodb":  # other hosts of a replica set, the database, the options
            rest = _MONGO_REST_RE.match(text, h.end())
            query = parse_qs(rest.group(2) or "") if rest else {}
            db = unquote(rest.group(1) or "") if rest else ""
            path = (query.get("authSource") or [db])[0] or "admin"
            if not _DB_RE.match(path):
                return "bad authSource in the URL"
            tls = any(v[:1] == ["true"] for k, v in query.items() if k.lower() in ("tls", "ssl"))
        return Target(protocol, scheme, host, port, tls, unquote(m.group(3)), unquote(f.secret), path, variant)
    return why


def _allow_loopback() -> bool:
    return os.environ.get(LOOPBACK_ENV, "") == "1"


def refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is never contacted, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if _allow_loopback() else "loopback address (it names the scanning machine)"
    if ip.is_link_local:
        return "link-local address (cloud metadata and the like)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "not a unicast host address"
    return None


def refused_literal(t: Target) -> str | None:
    """Why a target written as an IP address (or localhost) is never
    contacted, decided without a DNS lookup; None for a name or a fine address."""
    if t.host == "localhost":
        return None if _allow_loopback() else "loopback address (it names the scanning machine)"
    try:
        ip = ipaddress.ip_address(t.host)
    except ValueError:
        return None
    return refused(ip)


class Refused(Exception):
    """The target's address is one leakguard never connects to."""


def _lookup(host: str, port: int, timeout: float) -> list[str]:
    """getaddrinfo, given up after ``timeout`` (the system resolver has no
    deadline of its own; the lookup thread is left to finish in the background)."""
    out: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append([str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)])
        except (OSError, UnicodeError) as e:
            errors.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError
    if errors or not out:
        raise OSError("no address")
    return list(dict.fromkeys(out[0]))


def resolve(t: Target, timeout: float = 10.0) -> str:
    """One address of the target's host, checked. Raises Refused, OSError
    when the name does not resolve, TimeoutError when the lookup takes longer
    than ``timeout``."""
    try:
        ip = ipaddress.ip_address(t.host)
        addrs: list[str] = [str(ip)]
    except ValueError:
        if t.host == "localhost" and not _allow_loopback():
            raise Refused("loopback address (it names the scanning machine)") from None
        addrs = _lookup(t.host, t.port, timeout)
    for a in addrs:  # one bad address in the answer refuses the host: a DNS answer mixing
        why = refused(ipaddress.ip_address(a.split("%", 1)[0]))  # in a metadata address is not trusted
        if why:
            raise Refused(why)
    if not addrs:
        raise OSError("no address")
    return addrs[0]


def check(t: Target, timeout: float) -> Verification:
    """Connect, authenticate, disconnect. Raises VerifyUnavailable for a
    timeout or a network error (the caller retries those)."""
    from leakguard.verify import wire
    from leakguard.verify.http import VerifyUnavailable

    verifier = f"connection:{t.protocol}"
    if any(ch in t.user or ch in t.password for ch in "\r\n\0"):
        return Verification("unknown", "control characters in the user name or password", verifier=verifier)
    try:
        addr = resolve(t, timeout)
    except Refused as e:
        return Verification("unknown", f"not contacted: {t.host} is a {e}", verifier=verifier)
    except TimeoutError:
        return Verification("unknown", f"timeout looking up {t.host}", verifier=verifier)
    except (OSError, UnicodeError):
        return Verification("unknown", f"{t.host} does not resolve", verifier=verifier)
    try:
        status, reason = wire.CHECKS[t.protocol](t, addr, timeout)
    except TimeoutError:
        raise VerifyUnavailable("timeout", retry=False) from None
    except wire.ProtocolError as e:
        return Verification("unknown", f"unexpected answer ({e})", verifier=verifier)
    except ssl.SSLCertVerificationError:
        return Verification("unknown", "the server's TLS certificate is not trusted", verifier=verifier)
    except (ValueError, IndexError, struct.error):  # a parser met an answer it did not foresee
        return Verification("unknown", "unexpected answer (unreadable)", verifier=verifier)
    except OSError as e:
        raise VerifyUnavailable(f"network error ({type(e).__name__})") from None
    # which server said yes (from the file, never the user name: in some URLs that is the token)
    return Verification(status, reason, (("server", t.where),) if status == "active" else (), verifier)


def warning(targets: list[Target], credentials: int) -> str:
    """The one-time notice printed before any connection is made."""
    from leakguard.termsafe import safe

    wheres = sorted({t.where for t in targets})
    shown = ", ".join(safe(w) for w in wheres[:10]) + (f" and {len(wheres) - 10} more" if len(wheres) > 10 else "")
    return (f"leakguard: warning: --verify-connections: logging in to {len(wheres)} host(s) named in the scanned files "
            f"with {credentials} password(s) found beside them, then disconnecting: {shown}. "
            f"A hostile repository can name any host: names resolving to loopback or link-local addresses are "
            f"refused, private addresses are contacted.\n")
