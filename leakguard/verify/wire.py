"""The login handshakes of ``--verify-connections``: PostgreSQL, MySQL, Redis,
MongoDB, AMQP, SMTP, FTP, LDAP and HTTP basic authentication.

Small protocol code on purpose (see the commit that added it): the client
libraries (redis-py, psycopg, PyMySQL) send more than the login (client
names, session settings, a first query), connect to a name rather than to the
address leakguard checked, and would be a dependency each for a few dozen
lines of handshake. Each check here sends the authentication exchange and
nothing else, then closes the connection: no query, no command, no database
selected beyond what the login itself names.

A check returns (status, reason); it raises ProtocolError for an answer it
cannot read, TimeoutError past the deadline, OSError for network errors.
Reasons never quote the server's free text (it may echo what was sent).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import ssl
import struct
import time
from collections.abc import Callable

import regex
from typing import TYPE_CHECKING

from leakguard.model import VerificationStatus

if TYPE_CHECKING:
    from leakguard.verify.conn import Target

Result = tuple[VerificationStatus, str]  # (active | inactive | unknown, reason)
MAX_MESSAGE = 1 << 16  # no handshake message is larger
MAX_SCRAM_ITERATIONS = 1_000_000  # a hostile server must not make us spin


class ProtocolError(Exception):
    """The server said something this handshake does not understand."""


def _token(raw: bytes | str, password: str) -> str:
    """A word from the server (an error code, a plugin name) fit to quote in a
    reason: short, plain, and sharing no 4 characters with the password (a
    hostile server could echo it back)."""
    from leakguard.redact import holds_part_of

    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
    if not regex.fullmatch(r"[A-Za-z0-9_]{1,40}", text) or holds_part_of(text, password, 4):
        return "?"
    return text


class _Conn:
    """A socket with one deadline for the whole exchange."""

    def __init__(self, addr: str, port: int, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.sock: socket.socket = socket.create_connection((addr, port), timeout=timeout)
        self.tls = False
        self.buf = b""

    def _arm(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)

    def send(self, data: bytes) -> None:
        self._arm()
        self.sock.sendall(data)

    def _more(self) -> None:
        self._arm()
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError("the server closed the connection")
        self.buf += chunk

    def recv(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_line(self, limit: int = 4096) -> bytes:
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ProtocolError("answer line too long")
            self._more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def start_tls(self, host: str, verify: bool) -> None:
        if self.buf:
            raise ProtocolError("data before the TLS handshake")
        ctx = ssl.create_default_context()
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self._arm()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
        self.tls = True

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# --- Redis: AUTH over RESP -------------------------------------------------

def _resp(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def redis(t: Target, addr: str, timeout: float) -> Result:
    """``AUTH [user] password``; +OK is active, WRONGPASS / invalid password inactive.
    rediss:// verifies the server certificate, as redis clients do by default."""
    c = _Conn(addr, t.port, timeout)
    try:
        if t.tls:
            c.start_tls(t.host, verify=True)
        pw = t.password.encode("utf-8", "surrogateescape")
        user = t.user.encode("utf-8", "surrogateescape")
        c.send(_resp(b"AUTH", user, pw) if t.user and t.user != "default" else _resp(b"AUTH", pw))
        line = c.recv_line()
    finally:
        c.close()
    if line == b"+OK":
        return "active", "Redis AUTH accepted"
    low = line.lower()
    if low.startswith(b"-wrongpass") or b"invalid password" in low or b"invalid username-password" in low:
        return "inactive", "Redis AUTH refused (wrong password)"
    if b"no password is set" in low or b"without any password configured" in low:
        return "unknown", "the Redis server has no password set (it takes any)"
    if low.startswith(b"-"):
        return "unknown", f"Redis answered AUTH with an error ({_token(line[1:].split(b' ', 1)[0], t.password)})"
    raise ProtocolError("not a Redis reply")


# --- PostgreSQL: startup and password / MD5 / SCRAM-SHA-256 ---------------

def _pg_msg(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def _pg_read(c: _Conn) -> tuple[bytes, bytes]:
    head = c.recv(5)
    kind, length = head[:1], struct.unpack("!I", head[1:])[0]
    if not 4 <= length <= MAX_MESSAGE:
        raise ProtocolError("bad PostgreSQL message length")
    return kind, c.recv(length - 4)


def _pg_error_code(payload: bytes) -> str:
    for field in payload.split(b"\0"):
        if field[:1] == b"C":
            return field[1:].decode("ascii", "replace")[:5]
    return ""


def _scram_client(password: str, digest: str = "sha256",
                  user: str = "") -> tuple[bytes, Callable[[bytes], bytes], Callable[[bytes], bool]]:
    """SCRAM-SHA-256 or -SHA-1 (RFC 5802/7677) without channel binding: the
    client-first message, a function of the server-first giving the
    client-final, and a check of the server-final signature."""
    nonce = base64.b64encode(secrets.token_bytes(18)).decode()
    name = user.replace("=", "=3D").replace(",", "=2C")
    first_bare = f"n={name},r={nonce}"
    state: dict[str, bytes] = {}

    def final(server_first: bytes) -> bytes:
        try:
            parts = dict(p.split("=", 1) for p in server_first.decode("ascii").split(",") if "=" in p)
            r, salt, iters = parts.get("r", ""), base64.b64decode(parts.get("s", "")), int(parts.get("i", "0"))
        except ValueError:  # not ASCII, bad base64, no number
            raise ProtocolError("bad SCRAM challenge") from None
        if not r.startswith(nonce) or not salt or not 0 < iters <= MAX_SCRAM_ITERATIONS:
            raise ProtocolError("bad SCRAM challenge")
        salted = hashlib.pbkdf2_hmac(digest, password.encode("utf-8", "surrogateescape"), salt, iters)
        client_key = hmac.digest(salted, b"Client Key", digest)
        without_proof = f"c=biws,r={r}"
        auth_message = f"{first_bare},{server_first.decode('ascii')},{without_proof}".encode()
        signature = hmac.digest(hashlib.new(digest, client_key).digest(), auth_message, digest)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.digest(salted, b"Server Key", digest)
        state["server_signature"] = hmac.digest(server_key, auth_message, digest)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def verify(server_final: bytes) -> bool:
        v = server_final.decode("ascii", "replace").split(",")[0]
        try:
            sig = base64.b64decode(v[2:] + "=" * (-len(v[2:]) % 4))
        except ValueError:
            return False
        return v.startswith("v=") and hmac.compare_digest(sig, state.get("server_signature", b""))

    return f"n,,{first_bare}".encode(), final, verify


_PG_INACTIVE = {"28P01": "PostgreSQL refused the password"}
_PG_UNKNOWN = {
    "28000": "PostgreSQL refused this client before the password (pg_hba.conf)",
    "53300": "PostgreSQL has too many connections",
    "57P03": "PostgreSQL is starting up or shutting down",
}


def postgres(t: Target, addr: str, timeout: float) -> Result:
    """Startup, then the authentication the server asks for. TLS is asked
    for first and used when offered, without checking the certificate
    (libpq's default, sslmode=prefer). AuthenticationOk after the password
    is active, error 28P01 inactive; the connection ends with Terminate."""
    c = _Conn(addr, t.port, timeout)
    sent = False
    try:
        c.send(struct.pack("!II", 8, 80877103))  # SSLRequest
        if c.recv(1) == b"S":
            c.start_tls(t.host, verify=False)
        user = t.user or "postgres"
        params = [b"user", user.encode(), b"database", (t.path or user).encode()]
        body = struct.pack("!I", 196608) + b"".join(p + b"\0" for p in params) + b"\0"
        c.send(struct.pack("!I", len(body) + 4) + body)
        pw = t.password.encode("utf-8", "surrogateescape")
        scram_final: Callable[[bytes], bytes] | None = None
        scram_verify: Callable[[bytes], bool] | None = None
        while True:
            kind, payload = _pg_read(c)
            if kind == b"E":
                code = _pg_error_code(payload)
                if code in _PG_INACTIVE and sent:
                    return "inactive", _PG_INACTIVE[code]
                if code == "3D000" and sent:  # the database is checked after the login succeeded
                    return "active", "PostgreSQL accepted the password (the database named does not exist)"
                quoted = _token(code, t.password) if code else "without a code"
                return "unknown", _PG_UNKNOWN.get(code, f"PostgreSQL error {quoted}")
            if kind in (b"N", b"v"):  # a notice, a protocol-version negotiation: read on
                continue
            if kind != b"R" or len(payload) < 4:
                raise ProtocolError("not a PostgreSQL authentication message")
            (auth,) = struct.unpack("!I", payload[:4])
            data = payload[4:]
            if auth == 0:
                c.send(_pg_msg(b"X", b""))  # Terminate: nothing else is ever sent
                if not sent:
                    return "unknown", "PostgreSQL let this client in without asking for a password"
                return "active", "PostgreSQL accepted the password"
            if auth == 3:  # cleartext (inside TLS when the server offered it)
                c.send(_pg_msg(b"p", pw + b"\0"))
            elif auth == 5:  # MD5
                inner = hashlib.md5(pw + user.encode()).hexdigest().encode()
                c.send(_pg_msg(b"p", b"md5" + hashlib.md5(inner + data[:4]).hexdigest().encode() + b"\0"))
            elif auth == 10:  # SASL: the mechanisms offered
                if b"SCRAM-SHA-256" not in data.split(b"\0"):
                    return "unknown", "PostgreSQL offered only SASL mechanisms leakguard does not speak"
                first, scram_final, scram_verify = _scram_client(t.password)
                c.send(_pg_msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first))
            elif auth == 11 and scram_final is not None:
                c.send(_pg_msg(b"p", scram_final(data)))
            elif auth == 12 and scram_verify is not None:
                if not scram_verify(data):
                    return "unknown", "the PostgreSQL server's SCRAM signature is wrong"
                continue
            else:
                return "unknown", f"PostgreSQL asked for an authentication leakguard does not speak ({auth})"
            sent = True
    finally:
        c.close()


# --- MySQL / MariaDB: handshake v10 ---------------------------------------

_CLIENT_LONG_PASSWORD = 0x1
_CLIENT_PROTOCOL_41 = 0x200
_CLIENT_SSL = 0x800
_CLIENT_SECURE_CONNECTION = 0x8000
_CLIENT_PLUGIN_AUTH = 0x80000


def _my_read(c: _Conn) -> tuple[int, bytes]:
    head = c.recv(4)
    length = head[0] | head[1] << 8 | head[2] << 16
    if length > MAX_MESSAGE:
        raise ProtocolError("bad MySQL packet length")
    return head[3], c.recv(length)


def _my_send(c: _Conn, seq: int, payload: bytes) -> None:
    c.send(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def _scramble(plugin: bytes, password: bytes, nonce: bytes) -> bytes | None:
    if plugin == b"mysql_native_password":
        h1 = hashlib.sha1(password).digest()
        return _xor(h1, hashlib.sha1(nonce + hashlib.sha1(h1).digest()).digest())
    if plugin == b"caching_sha2_password":
        h1 = hashlib.sha256(password).digest()
        return _xor(h1, hashlib.sha256(hashlib.sha256(h1).digest() + nonce).digest())
    return None


def _my_error(payload: bytes, password: str) -> Result:
    code = struct.unpack("<H", payload[1:3])[0] if len(payload) >= 3 else 0
    if code == 1045:
        return "inactive", "MySQL refused the password (access denied)"
    return "unknown", f"MySQL error {_token(str(code), password)}"


def mysql(t: Target, addr: str, timeout: float) -> Result:
    """Handshake v10, then mysql_native_password or caching_sha2_password
    (its fast path; the full path only inside TLS). TLS is used when the
    server offers it, without checking the certificate (the mysql client's
    default, ssl-mode=PREFERRED). No database is named; OK is active,
    error 1045 inactive."""
    c = _Conn(addr, t.port, timeout)
    try:
        seq, hs = _my_read(c)
        if hs[:1] == b"\xff":
            return _my_error(hs, t.password)
        if hs[:1] != b"\x0a":
            raise ProtocolError("not a MySQL v10 handshake")
        try:
            pos = hs.index(b"\0", 1) + 1 + 4  # server version, thread id
            nonce = hs[pos:pos + 8]
            pos += 9
            caps = struct.unpack("<H", hs[pos:pos + 2])[0]
            pos += 2 + 1 + 2  # charset, status
            caps |= struct.unpack("<H", hs[pos:pos + 2])[0] << 16
            data_len = hs[pos + 2]
            pos += 3 + 10
            rest = max(13, data_len - 8)
            part2 = hs[pos:pos + rest]
            nonce += part2[:-1] if part2.endswith(b"\0") else part2
            pos += rest
            plugin = hs[pos:].split(b"\0", 1)[0] if caps & _CLIENT_PLUGIN_AUTH else b"mysql_native_password"
        except (ValueError, IndexError, struct.error):
            raise ProtocolError("truncated MySQL handshake") from None
        if not caps & _CLIENT_PROTOCOL_41:
            return "unknown", "MySQL server too old (no protocol 4.1)"
        ours = _CLIENT_LONG_PASSWORD | _CLIENT_PROTOCOL_41 | _CLIENT_SECURE_CONNECTION | _CLIENT_PLUGIN_AUTH
        head = struct.pack("<IIB", 0, 1 << 24, 45) + b"\0" * 23
        if caps & _CLIENT_SSL:
            ours |= _CLIENT_SSL
            seq += 1
            _my_send(c, seq, struct.pack("<I", ours) + head[4:])
            c.start_tls(t.host, verify=False)
        pw = t.password.encode("utf-8", "surrogateescape")
        auth = _scramble(plugin, pw, nonce[:20])
        if auth is None:  # an unknown default plugin: answer for native and let the server switch
            plugin, auth = b"mysql_native_password", _scramble(b"mysql_native_password", pw, nonce[:20])
        assert auth is not None
        seq += 1
        _my_send(c, seq, struct.pack("<I", ours) + head[4:] + t.user.encode("utf-8", "surrogateescape") + b"\0"
                 + bytes([len(auth)]) + auth + plugin + b"\0")
        for _ in range(4):  # OK, ERR, an auth switch, caching_sha2's more-data
            seq, p = _my_read(c)
            if p[:1] == b"\x00":
                return "active", "MySQL accepted the password"
            if p[:1] == b"\xff":
                return _my_error(p, t.password)
            if p[:1] == b"\xfe":  # AuthSwitchRequest
                plugin, _, nonce = p[1:].partition(b"\0")
                answer = _scramble(plugin, pw, (nonce[:-1] if nonce.endswith(b"\0") else nonce)[:20])
                if answer is None:
                    return "unknown", f"MySQL asked for the {_token(plugin, t.password)} authentication plugin"
                seq += 1
                _my_send(c, seq, answer)
            elif p[:1] == b"\x01" and plugin == b"caching_sha2_password":
                if p[1:2] == b"\x03":  # fast authentication succeeded; the OK follows
                    continue
                if p[1:2] == b"\x04":  # full authentication: the password itself, only inside TLS
                    if not c.tls:
                        return "unknown", "MySQL wants the full caching_sha2 login, which needs TLS"
                    seq += 1
                    _my_send(c, seq, pw + b"\0")
                else:
                    raise ProtocolError("unexpected caching_sha2 data")
            else:
                raise ProtocolError("unexpected MySQL packet")
        raise ProtocolError("MySQL login did not finish")
    finally:
        c.close()


# --- SMTP AUTH -------------------------------------------------------------

def _smtp_reply(c: _Conn) -> tuple[int, list[bytes]]:
    lines: list[bytes] = []
    while len(lines) < 100:
        line = c.recv_line()
        if len(line) < 3 or not line[:3].isdigit() or line[3:4] not in (b" ", b"-", b""):
            raise ProtocolError("not an SMTP reply")
        lines.append(line[4:])
        if line[3:4] != b"-":
            return int(line[:3]), lines
    raise ProtocolError("SMTP reply too long")


def _ehlo(c: _Conn) -> dict[bytes, list[bytes]]:
    c.send(b"EHLO leakguard\r\n")
    code, lines = _smtp_reply(c)
    if code != 250:
        raise ProtocolError(f"EHLO refused ({code})")
    ext: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        words = line.upper().split()
        if words:
            ext[words[0]] = words[1:]
    return ext


def smtp(t: Target, addr: str, timeout: float) -> Result:
    """EHLO, STARTTLS when offered (required for smtp+tls://), then AUTH
    PLAIN or LOGIN; smtps:// is TLS from the start. Certificates are
    verified against the host name. 235 is active, 535 inactive; the
    connection is closed right after (no mail command is ever sent)."""
    c = _Conn(addr, t.port, timeout)
    try:
        if t.tls:
            c.start_tls(t.host, verify=True)
        code, _ = _smtp_reply(c)
        if code != 220:
            return "unknown", f"the SMTP server is not ready ({code})"
        ext = _ehlo(c)
        if not c.tls and b"STARTTLS" in ext:
            c.send(b"STARTTLS\r\n")
            if _smtp_reply(c)[0] == 220:
                c.start_tls(t.host, verify=True)
                ext = _ehlo(c)
        if not c.tls and t.variant in ("tls", "starttls"):
            return "unknown", "the SMTP server offers no STARTTLS, which the URL asks for"
        mechs = ext.get(b"AUTH", [])
        user, pw = t.user.encode("utf-8", "surrogateescape"), t.password.encode("utf-8", "surrogateescape")
        if b"PLAIN" in mechs:
            c.send(b"AUTH PLAIN " + base64.b64encode(b"\0" + user + b"\0" + pw) + b"\r\n")
            code, _ = _smtp_reply(c)
        elif b"LOGIN" in mechs:
            c.send(b"AUTH LOGIN\r\n")
            code, _ = _smtp_reply(c)
            for part in (user, pw):
                if code != 334:
                    break
                c.send(base64.b64encode(part) + b"\r\n")
                code, _ = _smtp_reply(c)
        else:
            return "unknown", "the SMTP server offers no AUTH PLAIN or LOGIN" + ("" if c.tls else " (without TLS)")
    finally:
        c.close()
    if code == 235:
        return "active", "SMTP AUTH accepted"
    if code == 535:
        return "inactive", "SMTP AUTH refused (535)"
    return "unknown", f"SMTP AUTH answered {code}"


# --- FTP USER / PASS ----------------------------------------------------------

def _ftp_reply(c: _Conn) -> int:
    line = c.recv_line()
    if len(line) < 3 or not line[:3].isdigit():
        raise ProtocolError("not an FTP reply")
    if line[3:4] == b"-":  # multi-line: until the same code followed by a space
        for _ in range(200):
            nxt = c.recv_line()
            if nxt[:3] == line[:3] and nxt[3:4] == b" ":
                break
        else:
            raise ProtocolError("FTP reply too long")
    return int(line[:3])


def ftp(t: Target, addr: str, timeout: float) -> Result:
    """USER then PASS, in clear as ftp:// clients send them; 230 is active,
    530 after PASS inactive. Nothing else is sent."""
    c = _Conn(addr, t.port, timeout)
    try:
        if _ftp_reply(c) != 220:
            return "unknown", "the FTP server is not ready"
        c.send(b"USER " + (t.user or "anonymous").encode("utf-8", "surrogateescape") + b"\r\n")
        code = _ftp_reply(c)
        if code == 230:
            return "unknown", "the FTP server logged the user in without a password"
        if code != 331:
            return "unknown", f"the FTP server refused the user name ({code})"
        c.send(b"PASS " + t.password.encode("utf-8", "surrogateescape") + b"\r\n")
        code = _ftp_reply(c)
    finally:
        c.close()
    if code in (230, 202):
        return "active", "FTP login accepted"
    if code == 530:
        return "inactive", "FTP login refused (530)"
    return "unknown", f"FTP PASS answered {code}"


# --- AMQP 0-9-1 (RabbitMQ) -------------------------------------------------------

def _amqp_frame(c: _Conn) -> tuple[int, bytes]:
    head = c.recv(7)
    if head[:4] == b"AMQP":  # the server's own protocol header: it speaks another version
        raise ProtocolError("the AMQP server speaks another protocol version")
    kind, _, size = struct.unpack("!BHI", head)
    if size > MAX_MESSAGE:
        raise ProtocolError("bad AMQP frame size")
    payload = c.recv(size)
    if c.recv(1) != b"\xce":
        raise ProtocolError("bad AMQP frame end")
    return kind, payload


def _amqp_method(c: _Conn) -> tuple[int, int, bytes]:
    for _ in range(8):
        kind, payload = _amqp_frame(c)
        if kind == 8:  # heartbeat
            continue
        if kind != 1 or len(payload) < 4:
            raise ProtocolError("not an AMQP method frame")
        cls, meth = struct.unpack("!HH", payload[:4])
        return cls, meth, payload[4:]
    raise ProtocolError("no AMQP method")


def _shortstr(b: bytes) -> bytes:
    return bytes([len(b)]) + b


def _longstr(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def amqp(t: Target, addr: str, timeout: float) -> Result:
    """Protocol header, Connection.Start, Connection.StartOk with PLAIN; the
    next method is Connection.Tune when the login was accepted (active), or
    Connection.Close 403 ACCESS_REFUSED (inactive). The socket is closed
    before Tune-Ok: no vhost is opened."""
    c = _Conn(addr, t.port, timeout)
    try:
        if t.tls:
            c.start_tls(t.host, verify=True)
        c.send(b"AMQP\x00\x00\x09\x01")
        cls, meth, args = _amqp_method(c)
        if (cls, meth) != (10, 10):
            raise ProtocolError("no AMQP Connection.Start")
        try:
            pos = 2
            (tlen,) = struct.unpack("!I", args[pos:pos + 4])
            pos += 4 + tlen
            (mlen,) = struct.unpack("!I", args[pos:pos + 4])
            mechanisms = args[pos + 4:pos + 4 + mlen].split()
        except struct.error:
            raise ProtocolError("truncated AMQP Connection.Start") from None
        if b"PLAIN" not in mechanisms:
            return "unknown", "the AMQP server does not offer PLAIN authentication"
        caps = _shortstr(b"authentication_failure_close") + b"t\x01"
        props = (_shortstr(b"product") + b"S" + _longstr(b"leakguard-verify")
                 + _shortstr(b"capabilities") + b"F" + _longstr(caps))
        user, pw = t.user.encode("utf-8", "surrogateescape"), t.password.encode("utf-8", "surrogateescape")
        body = (struct.pack("!HH", 10, 11) + _longstr(props) + _shortstr(b"PLAIN")
                + _longstr(b"\0" + user + b"\0" + pw) + _shortstr(b"en_US"))
        c.send(struct.pack("!BHI", 1, 0, len(body)) + body + b"\xce")
        cls, meth, args = _amqp_method(c)
    finally:
        c.close()
    if (cls, meth) == (10, 30):
        return "active", "AMQP login accepted (Connection.Tune)"
    if (cls, meth) == (10, 50):
        code = struct.unpack("!H", args[:2])[0] if len(args) >= 2 else 0
        if code == 403:
            return "inactive", "AMQP login refused (403 ACCESS_REFUSED)"
        return "unknown", f"the AMQP server closed the connection ({_token(str(code), t.password)})"
    raise ProtocolError("unexpected AMQP method")


# --- MongoDB: SCRAM over OP_MSG ------------------------------------------------

def _bson(doc: dict[str, object]) -> bytes:
    out = b""
    for k, v in doc.items():
        key = k.encode() + b"\0"
        if isinstance(v, bool):
            out += b"\x08" + key + (b"\x01" if v else b"\x00")
        elif isinstance(v, int):
            out += b"\x10" + key + struct.pack("<i", v)
        elif isinstance(v, str):
            raw = v.encode("utf-8", "surrogateescape")
            out += b"\x02" + key + struct.pack("<i", len(raw) + 1) + raw + b"\0"
        elif isinstance(v, bytes):
            out += b"\x05" + key + struct.pack("<i", len(v)) + b"\x00" + v
        elif isinstance(v, dict):
            out += b"\x03" + key + _bson(v)
        else:
            raise TypeError(type(v).__name__)
    return struct.pack("<i", len(out) + 5) + out + b"\0"


_FIXED = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0x7F: 0, 0xFF: 0}


def _unbson(data: bytes) -> dict[str, object]:
    """The top level of a BSON document: numbers, strings, booleans and
    binaries are read; nested documents and anything else are skipped."""
    try:
        (size,) = struct.unpack("<i", data[:4])
        if size != len(data) or data[-1:] != b"\0":
            raise ProtocolError("bad BSON document")
        out: dict[str, object] = {}
        pos = 4
        while pos < size - 1:
            kind = data[pos]
            end = data.index(b"\0", pos + 1)
            key = data[pos + 1:end].decode("utf-8", "replace")
            pos = end + 1
            if kind == 0x01:
                out[key] = struct.unpack("<d", data[pos:pos + 8])[0]
            elif kind == 0x10:
                out[key] = struct.unpack("<i", data[pos:pos + 4])[0]
            elif kind == 0x12:
                out[key] = struct.unpack("<q", data[pos:pos + 8])[0]
            elif kind == 0x08:
                out[key] = data[pos] == 1
            if kind in _FIXED:
                pos += _FIXED[kind]
            elif kind in (0x02, 0x0D, 0x0E):  # string, code, symbol
                (n,) = struct.unpack("<i", data[pos:pos + 4])
                if n < 1:
                    raise ProtocolError("bad BSON string")
                if kind == 0x02:
                    out[key] = data[pos + 4:pos + 3 + n].decode("utf-8", "replace")
                pos += 4 + n
            elif kind in (0x03, 0x04, 0x0F):  # document, array, code with scope
                (n,) = struct.unpack("<i", data[pos:pos + 4])
                if n < 5:
                    raise ProtocolError("bad BSON document")
                pos += n
            elif kind == 0x05:
                (n,) = struct.unpack("<i", data[pos:pos + 4])
                if n < 0:
                    raise ProtocolError("bad BSON binary")
                out[key] = data[pos + 5:pos + 5 + n]
                pos += 5 + n
            else:
                raise ProtocolError("unknown BSON type")
            if pos > size - 1:
                raise ProtocolError("bad BSON document")
        return out
    except (struct.error, ValueError, IndexError):
        raise ProtocolError("bad BSON document") from None


def _mongo_command(c: _Conn, doc: dict[str, object], request_id: int) -> dict[str, object]:
    body = struct.pack("<I", 0) + b"\x00" + _bson(doc)  # OP_MSG: no flags, one body section
    c.send(struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body)
    length, _, _, opcode = struct.unpack("<iiii", c.recv(16))
    if opcode != 2013 or not 21 <= length <= MAX_MESSAGE:
        raise ProtocolError("not a MongoDB OP_MSG reply")
    reply = c.recv(length - 16)
    if reply[4:5] != b"\x00":
        raise ProtocolError("unexpected OP_MSG section")
    return _unbson(reply[5:])


def mongodb(t: Target, addr: str, timeout: float) -> Result:
    """saslStart / saslContinue with SCRAM-SHA-256 (SCRAM-SHA-1 when the
    user has no SHA-256 credentials), against the URL's authSource (else its
    database, else admin). A finished conversation with a correct server
    signature is active, error 18 (AuthenticationFailed) inactive. TLS
    (tls=true / ssl=true in the URL) verifies the certificate."""
    c = _Conn(addr, t.port, timeout)
    try:
        if t.tls:
            c.start_tls(t.host, verify=True)
        source = t.path or "admin"
        for n, (mech, digest) in enumerate((("SCRAM-SHA-256", "sha256"), ("SCRAM-SHA-1", "sha1"))):
            pw = t.password if digest == "sha256" else hashlib.md5(f"{t.user}:mongo:{t.password}".encode(
                "utf-8", "surrogateescape")).hexdigest()
            first, final, verify = _scram_client(pw, digest, t.user)
            reply = _mongo_command(c, {"saslStart": 1, "mechanism": mech, "payload": first, "autoAuthorize": 1,
                                       "options": {"skipEmptyExchange": True}, "$db": source}, 2 * n + 1)
            if reply.get("ok") != 1 and reply.get("code") == 334 and digest == "sha256":
                continue  # MechanismUnavailable: a user with SCRAM-SHA-1 credentials only
            if reply.get("ok") != 1:
                break
            payload, conv = reply.get("payload"), reply.get("conversationId")
            if not isinstance(payload, bytes) or not isinstance(conv, int):
                raise ProtocolError("bad saslStart reply")
            reply = _mongo_command(c, {"saslContinue": 1, "conversationId": conv, "payload": final(payload),
                                       "$db": source}, 2 * n + 2)
            if reply.get("ok") != 1:
                break
            payload = reply.get("payload")
            if not isinstance(payload, bytes) or not verify(payload):
                return "unknown", "the MongoDB server's SCRAM signature is wrong"
            if reply.get("done") is not True:
                return "unknown", "the MongoDB SCRAM conversation did not finish"
            return "active", f"MongoDB accepted the password ({mech})"
    finally:
        c.close()
    code = reply.get("code")
    if code == 18:
        return "inactive", "MongoDB refused the password (AuthenticationFailed)"
    return "unknown", f"MongoDB error {_token(str(code), t.password) if isinstance(code, int) else 'without a code'}"


# --- LDAP simple bind ----------------------------------------------------------

def _ber(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _ber_read(c: _Conn) -> tuple[int, bytes]:
    tag, first = c.recv(2)
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 3:
            raise ProtocolError("bad BER length")
        length = int.from_bytes(c.recv(count), "big")
    else:
        length = first
    if length > MAX_MESSAGE:
        raise ProtocolError("LDAP message too long")
    return tag, c.recv(length)


def _ber_items(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        tag, first = data[pos], data[pos + 1]
        pos += 2
        if first & 0x80:
            count = first & 0x7F
            length = int.from_bytes(data[pos:pos + count], "big")
            pos += count
        else:
            length = first
        out.append((tag, data[pos:pos + length]))
        pos += length
    return out


def ldap(t: Target, addr: str, timeout: float) -> Result:
    """One simple BindRequest (LDAPv3) with the URL's bind DN; result 0 is
    active, 49 (invalidCredentials) inactive. ldaps:// verifies the
    certificate; ldap:// sends the password in clear, as its clients do."""
    if not t.user:
        return "unknown", "no bind DN in the URL (an anonymous bind proves nothing)"
    c = _Conn(addr, t.port, timeout)
    try:
        if t.tls:
            c.start_tls(t.host, verify=True)
        bind = _ber(0x60, _ber(0x02, b"\x03") + _ber(0x04, t.user.encode("utf-8", "surrogateescape"))
                    + _ber(0x80, t.password.encode("utf-8", "surrogateescape")))
        c.send(_ber(0x30, _ber(0x02, b"\x01") + bind))
        tag, body = _ber_read(c)
    finally:
        c.close()
    try:
        items = _ber_items(body) if tag == 0x30 else []
        response = dict(items).get(0x61)
        result = _ber_items(response) if response is not None else []
    except IndexError:
        raise ProtocolError("bad LDAP message") from None
    if not result or result[0][0] != 0x0A or len(result[0][1]) != 1:
        raise ProtocolError("not an LDAP BindResponse")
    code = result[0][1][0]
    if code == 0:
        return "active", "LDAP bind accepted"
    if code == 49:
        return "inactive", "LDAP bind refused (invalidCredentials)"
    return "unknown", f"LDAP bind answered result {code}"


# --- HTTP(S) basic authentication -----------------------------------------

def http(t: Target, addr: str, timeout: float) -> Result:
    """GET the URL's path (no query) first without credentials: only if the
    server asks for them (401/403/404) is it asked again with basic auth.
    2xx with the credentials is active, 401/403 inactive. Redirects are not
    followed; https verifies the certificate against the host name."""
    import httpx

    scheme = "https" if t.tls else "http"
    ip = f"[{addr}]" if ":" in addr else addr
    url = f"{scheme}://{ip}:{t.port}{t.path or '/'}"
    default = 443 if t.tls else 80
    host = t.host if t.port == default else f"{t.where}"
    headers = {"Host": host, "User-Agent": "leakguard-verify"}
    ext = {"sni_hostname": t.host} if t.tls else {}

    def status(auth: tuple[str, str] | None) -> int:
        with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False) as client:
            req = client.build_request("GET", url, headers=headers, extensions=ext)
            if auth:
                req.headers["Authorization"] = "Basic " + base64.b64encode(
                    f"{auth[0]}:{auth[1]}".encode("utf-8", "surrogateescape")).decode()
            resp = client.send(req, stream=True)
            resp.close()  # the body is never read
            return resp.status_code

    try:
        before = status(None)
        if 200 <= before < 300:
            return "unknown", f"the server answers without credentials (HTTP {before})"
        if before not in (401, 403, 404):
            return "unknown", f"unexpected answer without credentials (HTTP {before})"
        after = status((t.user, t.password))
    except httpx.TimeoutException:
        raise TimeoutError from None
    except (httpx.RemoteProtocolError, httpx.DecodingError):
        raise ProtocolError("not an HTTP answer") from None
    except httpx.HTTPError as e:
        cause = e.__cause__ or e.__context__
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
            raise ssl.SSLCertVerificationError("certificate") from None
        raise OSError(type(e).__name__) from None
    if 200 <= after < 300:
        return "active", f"HTTP {after} with the credentials (HTTP {before} without)"
    if after in (401, 403):
        return "inactive", f"HTTP {after}: the server refused the credentials"
    return "unknown", f"unexpected answer (HTTP {after})"


CHECKS: dict[str, Callable[[Target, str, float], Result]] = {
    "amqp": amqp, "ftp": ftp, "http": http, "ldap": ldap, "mongodb": mongodb, "mysql": mysql, "postgres": postgres, "redis": redis,
    "smtp": smtp,
}
