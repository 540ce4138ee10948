"""Local servers that speak just enough of each protocol's login to check a
password: a RESP (Redis) server, a PostgreSQL server asking for MD5 or
SCRAM-SHA-256, a MySQL server (mysql_native_password or caching_sha2's fast
path), an HTTP server with basic authentication, one that never answers and
one that answers garbage. Every connection and everything received is
recorded, so tests can count connections and look for what was sent.

The server side of each handshake is written from the protocol documents,
independently of leakguard's client side (leakguard/verify/wire.py), so a
mistake in one is not mirrored in the other.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import socketserver
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Server:
    name: str
    port: int
    connections: int = 0
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: Callable[[], None] = lambda: None

    def record(self, data: bytes) -> None:
        with self.lock:
            self.received.append(data)

    @property
    def raw(self) -> bytes:
        return b"".join(self.received)


class _Reader:
    def __init__(self, sock: socket.socket, server: Server) -> None:
        self.sock, self.server, self.buf = sock, server, b""

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("client went away")
            self.server.record(chunk)
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("client went away")
            self.server.record(chunk)
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line


_local = threading.local()


def _wrap(tls: ssl.SSLContext, sock: socket.socket) -> ssl.SSLSocket:
    """The server side of TLS on a connection; closed with the connection."""
    wrapped = tls.wrap_socket(sock, server_side=True)
    _local.wrapped.append(wrapped)
    return wrapped


def _run(srv: socketserver.BaseServer, state: Server) -> Server:
    """Serve ``srv`` in a daemon thread; ``state.stop`` shuts it down and closes it."""
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def stop() -> None:
        srv.shutdown()
        srv.server_close()

    state.stop = stop
    return state


def _serve(name: str, handle: Callable[[socket.socket, Server], None]) -> Server:
    state = Server(name, 0)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            with state.lock:
                state.connections += 1
            self.request.settimeout(10)
            _local.wrapped = []
            try:
                handle(self.request, state)
            except (ConnectionError, OSError, struct.error, ValueError, IndexError):
                pass
            finally:
                for w in _local.wrapped:
                    w.close()

    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    srv.daemon_threads = True
    srv.allow_reuse_address = True
    srv.server_bind()
    srv.server_activate()
    state.port = srv.server_address[1]
    return _run(srv, state)


# --- Redis -----------------------------------------------------------------

def redis_server(users: dict[str, str], legacy: bool = False, tls: ssl.SSLContext | None = None) -> Server:
    """AUTH [user] password against ``users`` (``default`` for AUTH password).
    ``legacy``: answers like Redis 5 (one-argument AUTH only, 'invalid password').
    ``tls``: TLS from the first byte (rediss)."""

    def handle(sock: socket.socket, state: Server) -> None:
        if tls is not None:
            sock = _wrap(tls, sock)
        r = _Reader(sock, state)
        while True:
            head = r.line()
            if not head.startswith(b"*"):
                sock.sendall(b"-ERR Protocol error\r\n")
                return
            args = []
            for _ in range(int(head[1:])):
                n = int(r.line()[1:])
                args.append(r.exact(n + 2)[:-2])
            if args[0].upper() != b"AUTH":
                sock.sendall(b"-NOAUTH Authentication required.\r\n")
                continue
            if len(args) == 2:
                user, pw = "default", args[1].decode()
            elif len(args) == 3 and not legacy:
                user, pw = args[1].decode(), args[2].decode()
            else:
                sock.sendall(b"-ERR wrong number of arguments for 'auth' command\r\n")
                continue
            if users.get(user) == pw:
                sock.sendall(b"+OK\r\n")
            elif legacy:
                sock.sendall(b"-ERR invalid password\r\n")
            else:
                sock.sendall(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")

    return _serve("redis", handle)


# --- PostgreSQL --------------------------------------------------------------

def _pg(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def _pg_error(code: str, message: str) -> bytes:
    fields = b"SFATAL\0" + b"C" + code.encode() + b"\0M" + message.encode() + b"\0\0"
    return _pg(b"E", fields)


def _pg_read(r: _Reader) -> tuple[bytes, bytes]:
    kind = r.exact(1)
    (length,) = struct.unpack("!I", r.exact(4))
    return kind, r.exact(length - 4)


def postgres_server(users: dict[str, str], method: str = "md5", databases: tuple[str, ...] = (),
                    tls: ssl.SSLContext | None = None) -> Server:
    """Refuses TLS (accepts it with ``tls``), then asks for ``method`` (md5,
    scram, password, trust). A missing database is reported after a
    successful login, as PostgreSQL does."""

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        (length,) = struct.unpack("!I", r.exact(4))
        body = r.exact(length - 4)
        if struct.unpack("!I", body[:4])[0] == 80877103:  # SSLRequest
            if tls is not None:
                sock.sendall(b"S")
                sock = _wrap(tls, sock)
                r = _Reader(sock, state)
                state.record(b"<tls>")
            else:
                sock.sendall(b"N")
            (length,) = struct.unpack("!I", r.exact(4))
            body = r.exact(length - 4)
        parts = body[4:].split(b"\0")
        params = dict(zip(parts[0::2], parts[1::2]))
        user = params.get(b"user", b"").decode()
        database = params.get(b"database", b"").decode()
        real = users.get(user)
        ok = False
        if method == "trust":
            ok = True
        elif method == "password":
            sock.sendall(_pg(b"R", struct.pack("!I", 3)))
            _, payload = _pg_read(r)
            ok = real is not None and payload == real.encode() + b"\0"
        elif method == "md5":
            salt = os.urandom(4)
            sock.sendall(_pg(b"R", struct.pack("!I", 5) + salt))
            _, payload = _pg_read(r)
            if real is not None:
                stored = hashlib.md5((real + user).encode()).hexdigest()
                ok = payload == b"md5" + hashlib.md5(stored.encode() + salt).hexdigest().encode() + b"\0"
        elif method == "scram":
            sock.sendall(_pg(b"R", struct.pack("!I", 10) + b"SCRAM-SHA-256\0\0"))
            _, payload = _pg_read(r)
            mech, _, rest = payload.partition(b"\0")
            assert mech == b"SCRAM-SHA-256"
            client_first = rest[4:].decode()
            bare = client_first.split(",", 2)[2]
            cnonce = dict(p.split("=", 1) for p in bare.split(","))["r"]
            salt, iters = os.urandom(16), 4096
            nonce = cnonce + base64.b64encode(os.urandom(18)).decode()
            server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={iters}"
            sock.sendall(_pg(b"R", struct.pack("!I", 11) + server_first.encode()))
            _, final = _pg_read(r)
            final_s = final.decode()
            without_proof, _, proof = final_s.rpartition(",p=")
            salted = hashlib.pbkdf2_hmac("sha256", (real or "\0never").encode(), salt, iters)
            client_key = hmac.new(salted, b"Client Key", "sha256").digest()
            stored_key = hashlib.sha256(client_key).digest()
            auth_message = f"{bare},{server_first},{without_proof}".encode()
            sig = hmac.new(stored_key, auth_message, "sha256").digest()
            recovered = bytes(a ^ b for a, b in zip(base64.b64decode(proof), sig))
            ok = real is not None and f"r={nonce}" in without_proof and hashlib.sha256(recovered).digest() == stored_key
            if ok:
                server_key = hmac.new(salted, b"Server Key", "sha256").digest()
                v = base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest())
                sock.sendall(_pg(b"R", struct.pack("!I", 12) + b"v=" + v))
        if not ok:
            sock.sendall(_pg_error("28P01", f'password authentication failed for user "{user}"'))
            return
        if databases and database not in databases:
            sock.sendall(_pg_error("3D000", f'database "{database}" does not exist'))
            return
        sock.sendall(_pg(b"R", struct.pack("!I", 0)) + _pg(b"S", b"server_version\x0016.1\0")
                     + _pg(b"Z", b"I"))
        kind, _ = _pg_read(r)  # the client's next message: must be Terminate
        state.record(b"<next:" + kind + b">")

    return _serve("postgres", handle)


# --- MySQL -------------------------------------------------------------------

def _my(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def _my_read(r: _Reader) -> tuple[int, bytes]:
    head = r.exact(4)
    return head[3], r.exact(head[0] | head[1] << 8 | head[2] << 16)


def mysql_server(users: dict[str, str], plugin: str = "mysql_native_password", cached: bool = True,
                 switch_to: str = "", tls: ssl.SSLContext | None = None) -> Server:
    """Handshake v10, offering TLS only with ``tls``. ``caching_sha2_password``
    with ``cached`` takes the fast path, else asks for full authentication
    (the password itself, which a client sends only inside TLS).
    ``switch_to`` sends an AuthSwitchRequest to that plugin first."""

    def scramble_ok(plugin_name: str, real: str, nonce: bytes, answer: bytes) -> bool:
        if plugin_name == "mysql_native_password":
            h1 = hashlib.sha1(real.encode()).digest()
            h2 = hashlib.sha1(h1).digest()
            return bytes(a ^ b for a, b in zip(answer, hashlib.sha1(nonce + h2).digest())) == h1 if answer else False
        h1 = hashlib.sha256(real.encode()).digest()
        h2 = hashlib.sha256(hashlib.sha256(h1).digest() + nonce).digest()
        return bytes(a ^ b for a, b in zip(answer, h2)) == h1 if answer else False

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        nonce = bytes(b % 94 + 33 for b in os.urandom(20))
        caps = 0x1 | 0x200 | 0x8000 | 0x80000 | 0x8 | (0x800 if tls is not None else 0)
        hs = (b"\x0a" + b"8.0.36-fake\0" + struct.pack("<I", 7) + nonce[:8] + b"\0"
              + struct.pack("<H", caps & 0xFFFF) + bytes([45]) + struct.pack("<H", 2)
              + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10 + nonce[8:] + b"\0"
              + plugin.encode() + b"\0")
        sock.sendall(_my(0, hs))
        seq, resp = _my_read(r)
        if tls is not None and len(resp) == 32 and struct.unpack("<I", resp[:4])[0] & 0x800:  # SSLRequest
            sock = _wrap(tls, sock)
            r = _Reader(sock, state)
            state.record(b"<tls>")
            seq, resp = _my_read(r)
        pos = 32
        user, _, rest = resp[pos:].partition(b"\0")
        answer = rest[1:1 + rest[0]]
        db_flag = struct.unpack("<I", resp[:4])[0] & 0x8
        state.record(b"<db:" + str(bool(db_flag)).encode() + b">")
        real = users.get(user.decode())
        used, n = plugin, nonce
        seq += 1
        if switch_to:
            n = bytes(b % 94 + 33 for b in os.urandom(20))
            sock.sendall(_my(seq, b"\xfe" + switch_to.encode() + b"\0" + n + b"\0"))
            seq, answer = _my_read(r)
            seq += 1
            used = switch_to
        good = real is not None and scramble_ok(used, real, n, answer)
        if used == "caching_sha2_password" and good and not cached:
            sock.sendall(_my(seq, b"\x01\x04"))  # perform full authentication
            try:
                seq, clear = _my_read(r)
            except ConnectionError:
                return
            seq += 1
            good = real is not None and clear == real.encode() + b"\0"
            if good:
                sock.sendall(_my(seq, b"\x00\x00\x00\x02\x00\x00\x00"))
                return
        if not good:
            msg = f"Access denied for user '{user.decode()}'@'localhost' (using password: YES)".encode()
            sock.sendall(_my(seq, b"\xff" + struct.pack("<H", 1045) + b"#28000" + msg))
            return
        if used == "caching_sha2_password":
            sock.sendall(_my(seq, b"\x01\x03"))
            seq += 1
        sock.sendall(_my(seq, b"\x00\x00\x00\x02\x00\x00\x00"))
        try:
            extra = sock.recv(100)  # anything the client sends after the OK (it must send nothing)
        except OSError:
            extra = b""
        if extra:
            state.record(b"<after-ok:" + extra + b">")

    return _serve("mysql", handle)


# --- silent and garbage ------------------------------------------------------

def silent_server() -> Server:
    def handle(sock: socket.socket, state: Server) -> None:
        threading.Event().wait(8)

    return _serve("silent", handle)


def garbage_server() -> Server:
    def handle(sock: socket.socket, state: Server) -> None:
        sock.sendall(b"\x7fGARBAGE\x00\xff\x10 not a protocol at all\r\n" * 3)
        threading.Event().wait(0.5)

    return _serve("garbage", handle)


# --- HTTP basic auth -----------------------------------------------------------

def tls_context(tmp: str) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1
    (trusted by nobody, which is the point)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def http_server(users: dict[str, str], open_paths: tuple[str, ...] = ()) -> Server:
    state = Server("http", 0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            state.record(f"{self.command} {self.path} {self.headers.get('Authorization', '')}\n".encode())
            with state.lock:
                state.connections += 1
            status = 401
            if self.path in open_paths:
                status = 200
            else:
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    status = 200 if users.get(user) == pw else 401
            body = b"{}"
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="x"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = srv.server_address[1]
    return _run(srv, state)


# --- SMTP ----------------------------------------------------------------------

def smtp_server(users: dict[str, str], mechanisms: str = "PLAIN LOGIN") -> Server:
    """A submission server without TLS offering AUTH ``mechanisms``."""

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        sock.sendall(b"220 mail.fake.test ESMTP ready\r\n")
        while True:
            line = r.line()
            verb = line.split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                ext = [b"250-mail.fake.test", b"250-PIPELINING"]
                if mechanisms:
                    ext.append(b"250-AUTH " + mechanisms.encode())
                sock.sendall(b"\r\n".join(ext) + b"\r\n250 8BITMIME\r\n")
            elif verb == b"AUTH":
                parts = line.split(b" ")
                if parts[1].upper() == b"PLAIN":
                    _, user, pw = base64.b64decode(parts[2]).split(b"\0")
                else:
                    sock.sendall(b"334 VXNlcm5hbWU6\r\n")
                    user = base64.b64decode(r.line())
                    sock.sendall(b"334 UGFzc3dvcmQ6\r\n")
                    pw = base64.b64decode(r.line())
                if users.get(user.decode()) == pw.decode():
                    sock.sendall(b"235 2.7.0 Authentication successful\r\n")
                else:
                    sock.sendall(b"535 5.7.8 Authentication credentials invalid\r\n")
            else:
                state.record(b"<other:" + verb + b">")
                sock.sendall(b"502 5.5.2 not here\r\n")

    return _serve("smtp", handle)


# --- FTP -------------------------------------------------------------------------

def ftp_server(users: dict[str, str]) -> Server:
    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        sock.sendall(b"220-fake FTP\r\n220 ready\r\n")
        user = ""
        while True:
            verb, _, arg = r.line().partition(b" ")
            if verb == b"USER":
                user = arg.decode()
                sock.sendall(b"331 Password required\r\n")
            elif verb == b"PASS":
                ok = users.get(user) == arg.decode()
                sock.sendall(b"230 Logged in\r\n" if ok else b"530 Login incorrect\r\n")
            else:
                state.record(b"<other:" + verb + b">")
                sock.sendall(b"530 Please login\r\n")

    return _serve("ftp", handle)


# --- AMQP 0-9-1 ------------------------------------------------------------------

def _amqp_method(cls: int, meth: int, args: bytes) -> bytes:
    payload = struct.pack("!HH", cls, meth) + args
    return struct.pack("!BHI", 1, 0, len(payload)) + payload + b"\xce"


def amqp_server(users: dict[str, str]) -> Server:
    """Connection.Start offering PLAIN; Tune on a good login, Close 403 on a bad one."""

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        if r.exact(8) != b"AMQP\x00\x00\x09\x01":
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return
        props = b""
        start = (b"\x00\x09" + struct.pack("!I", len(props)) + props
                 + struct.pack("!I", 14) + b"AMQPLAIN PLAIN" + struct.pack("!I", 5) + b"en_US")
        sock.sendall(_amqp_method(10, 10, start))
        kind, _, size = struct.unpack("!BHI", r.exact(7))
        payload = r.exact(size)
        assert r.exact(1) == b"\xce" and kind == 1
        assert struct.unpack("!HH", payload[:4]) == (10, 11)
        pos = 4
        (tlen,) = struct.unpack("!I", payload[pos:pos + 4])
        pos += 4 + tlen
        mech = payload[pos + 1:pos + 1 + payload[pos]]
        pos += 1 + payload[pos]
        (rlen,) = struct.unpack("!I", payload[pos:pos + 4])
        _, user, pw = payload[pos + 4:pos + 4 + rlen].split(b"\0")
        assert mech == b"PLAIN"
        if users.get(user.decode()) == pw.decode():
            sock.sendall(_amqp_method(10, 30, struct.pack("!HIH", 2047, 131072, 60)))
        else:
            text = b"ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"
            sock.sendall(_amqp_method(10, 50, struct.pack("!H", 403) + bytes([len(text)]) + text
                                      + struct.pack("!HH", 0, 0)))
        extra = sock.recv(100)
        if extra:
            state.record(b"<after:" + extra + b">")

    return _serve("amqp", handle)


# --- MongoDB -----------------------------------------------------------------------

def _bson_read(data: bytes) -> dict[str, object]:
    """Just the BSON a SCRAM conversation uses: int32, double, string, binary, bool, document."""
    out: dict[str, object] = {}
    pos = 4
    while data[pos] != 0:
        kind = data[pos]
        end = data.index(b"\0", pos + 1)
        key = data[pos + 1:end].decode()
        pos = end + 1
        if kind == 0x10:
            out[key] = struct.unpack("<i", data[pos:pos + 4])[0]
            pos += 4
        elif kind == 0x01:
            out[key] = struct.unpack("<d", data[pos:pos + 8])[0]
            pos += 8
        elif kind == 0x02:
            n = struct.unpack("<i", data[pos:pos + 4])[0]
            out[key] = data[pos + 4:pos + 3 + n].decode()
            pos += 4 + n
        elif kind == 0x05:
            n = struct.unpack("<i", data[pos:pos + 4])[0]
            out[key] = data[pos + 5:pos + 5 + n]
            pos += 5 + n
        elif kind == 0x08:
            out[key] = data[pos] == 1
            pos += 1
        elif kind == 0x03:
            n = struct.unpack("<i", data[pos:pos + 4])[0]
            out[key] = _bson_read(data[pos:pos + n])
            pos += n
        else:
            raise ValueError(f"type {kind}")
    return out


def _bson_write(doc: dict[str, object]) -> bytes:
    out = b""
    for k, v in doc.items():
        key = k.encode() + b"\0"
        if isinstance(v, bool):
            out += b"\x08" + key + bytes([v])
        elif isinstance(v, int):
            out += b"\x10" + key + struct.pack("<i", v)
        elif isinstance(v, float):
            out += b"\x01" + key + struct.pack("<d", v)
        elif isinstance(v, str):
            out += b"\x02" + key + struct.pack("<i", len(v.encode()) + 1) + v.encode() + b"\0"
        elif isinstance(v, bytes):
            out += b"\x05" + key + struct.pack("<i", len(v)) + b"\x00" + v
    return struct.pack("<i", len(out) + 5) + out + b"\0"


def mongodb_server(users: dict[tuple[str, str], tuple[str, str]]) -> Server:
    """``users``: (auth database, user) -> (password, 'SCRAM-SHA-256' or 'SCRAM-SHA-1')."""

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        conv: dict[str, object] = {}
        while True:
            length, rid, _, opcode = struct.unpack("<iiii", r.exact(16))
            body = r.exact(length - 16)
            assert opcode == 2013 and body[4] == 0
            cmd = _bson_read(body[5:])
            state.record(b"<cmd:" + next(iter(cmd)).encode() + b">")

            def reply(doc: dict[str, object]) -> None:
                payload = struct.pack("<I", 0) + b"\x00" + _bson_write(doc)
                sock.sendall(struct.pack("<iiii", 16 + len(payload), rid + 1000, rid, 2013) + payload)

            fail = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18, "codeName": "AuthenticationFailed"}
            if "saslStart" in cmd:
                mech = str(cmd["mechanism"])
                first = bytes(cmd["payload"]).decode()  # type: ignore[arg-type]
                bare = first.split(",", 2)[2]
                attrs = dict(p.split("=", 1) for p in bare.split(","))
                user = attrs["n"].replace("=2C", ",").replace("=3D", "=")
                entry = users.get((str(cmd["$db"]), user))
                if entry is not None and entry[1] != mech:
                    reply({"ok": 0.0, "errmsg": "Unable to use " + mech, "code": 334,
                           "codeName": "MechanismUnavailable"})
                    continue
                digest = "sha256" if mech == "SCRAM-SHA-256" else "sha1"
                real = (entry or ("\0never", ""))[0]
                if digest == "sha1":
                    real = hashlib.md5(f"{user}:mongo:{real}".encode()).hexdigest()
                salt, iters = os.urandom(16), 15000 if digest == "sha256" else 10000
                nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
                server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={iters}"
                conv.update(bare=bare, server_first=server_first, digest=digest, nonce=nonce,
                            salted=hashlib.pbkdf2_hmac(digest, real.encode(), salt, iters), known=entry is not None)
                reply({"conversationId": 1, "done": False, "payload": server_first.encode(), "ok": 1.0})
            elif "saslContinue" in cmd:
                final = bytes(cmd["payload"]).decode()  # type: ignore[arg-type]
                without_proof, _, proof = final.rpartition(",p=")
                digest, salted = str(conv["digest"]), bytes(conv["salted"])  # type: ignore[arg-type]
                client_key = hmac.new(salted, b"Client Key", digest).digest()
                stored = hashlib.new(digest, client_key).digest()
                auth_message = f"{conv['bare']},{conv['server_first']},{without_proof}".encode()
                sig = hmac.new(stored, auth_message, digest).digest()
                recovered = bytes(a ^ b for a, b in zip(base64.b64decode(proof), sig))
                if conv["known"] and hashlib.new(digest, recovered).digest() == stored:
                    server_key = hmac.new(salted, b"Server Key", digest).digest()
                    v = base64.b64encode(hmac.new(server_key, auth_message, digest).digest())
                    reply({"conversationId": 1, "done": True, "payload": b"v=" + v, "ok": 1.0})
                else:
                    reply(fail)
            else:
                reply({"ok": 0.0, "errmsg": "command requires authentication", "code": 13})

    return _serve("mongodb", handle)


# --- LDAP ------------------------------------------------------------------------------

def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    else:
        length = first
    return tag, data[pos:pos + length], pos + length


def ldap_server(users: dict[str, str]) -> Server:
    """Answers a simple BindRequest: 0 for a known DN and its password, 49 otherwise."""

    def handle(sock: socket.socket, state: Server) -> None:
        r = _Reader(sock, state)
        while True:
            head = r.exact(2)
            if head[1] & 0x80:
                n = head[1] & 0x7F
                length = int.from_bytes(r.exact(n), "big")
            else:
                length = head[1]
            msg = r.exact(length)
            _, msgid, pos = _tlv(msg, 0)
            op, bind, _ = _tlv(msg, pos)
            if op != 0x60:
                state.record(b"<op:%d>" % op)
                return
            _, version, p = _tlv(bind, 0)
            _, dn, p = _tlv(bind, p)
            auth_tag, pw, _ = _tlv(bind, p)
            ok = version == b"\x03" and auth_tag == 0x80 and users.get(dn.decode()) == pw.decode()
            result = b"\x0a\x01" + bytes([0 if ok else 49]) + b"\x04\x00" + b"\x04\x00"
            response = bytes([0x61, len(result)]) + result
            body = bytes([0x02, len(msgid)]) + msgid + response
            sock.sendall(bytes([0x30, len(body)]) + body)

    return _serve("ldap", handle)
