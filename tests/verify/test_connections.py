"""--verify-connections against local fake servers (tests/verify/servers.py):
each protocol's active / inactive / timeout / garbage answers, the flag's
opt-in rules, the address policy, and no secret in any output or the cache."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakguard.model import Finding, Location, Origin
from leakguard.verify import conn
from tests.conftest import RunCli
from tests.verify import servers as S

# Random characters, no real credential.
PW = "Tr0ub4dor&3xQz"
PW_URL = "Tr0ub4dor%263xQz"  # as written in a URL
WRONG = "Wv3kP9zLm2qXr7"
USERS = {"app": PW, "default": PW}


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(conn.LOOPBACK_ENV, "1")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def started() -> Iterator[list[S.Server]]:
    servers: list[S.Server] = []
    yield servers
    for s in servers:
        s.stop()


def _scan(run_cli: RunCli, tmp_path: Path, text: str, *extra: str) -> tuple[int, list[dict], str, str]:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "app.env").write_text(text)
    code, out, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--verify-timeout", "2", *extra])
    findings = json.loads(out)["findings"] if out.strip() else []
    return code, findings, out, err


def _statuses(findings: list[dict]) -> list[tuple[str, str]]:
    by_line = sorted(findings, key=lambda f: f["line"])
    return [(f["verification"]["status"], f["verification"]["reason"]) for f in by_line]


@pytest.mark.parametrize("method", ["md5", "scram", "password"])
def test_postgres(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server], method: str) -> None:
    srv = S.postgres_server(USERS, method)
    started.append(srv)
    text = (f"DATABASE_URL=postgresql+psycopg2://app:{PW_URL}@127.0.0.1:{srv.port}/orders\n"
            f"REPLICA_URL=postgres://app:{WRONG}@127.0.0.1:{srv.port}/orders\n")
    code, findings, out, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert code == 1, err
    assert _statuses(findings) == [("active", "PostgreSQL accepted the password"),
                                   ("inactive", "PostgreSQL refused the password")]
    assert srv.connections == 2
    assert b"<next:X>" in srv.raw  # after the login: Terminate, nothing else
    if method != "password":  # only the cleartext method sends the password itself
        assert PW.encode() not in srv.raw


def test_postgres_missing_database_still_proves_the_password(tmp_path: Path, run_cli: RunCli, loopback: None,
                                                            started: list[S.Server]) -> None:
    srv = S.postgres_server(USERS, "scram", databases=("main",))
    started.append(srv)
    _, findings, _, _ = _scan(run_cli, tmp_path, f"DB=postgres://app:{PW_URL}@127.0.0.1:{srv.port}/gone\n",
                              "--verify", "--verify-connections")
    assert _statuses(findings)[0][0] == "active"


def test_postgres_without_password_is_unknown(tmp_path: Path, run_cli: RunCli, loopback: None,
                                              started: list[S.Server]) -> None:
    srv = S.postgres_server(USERS, "trust")
    started.append(srv)
    _, findings, _, _ = _scan(run_cli, tmp_path, f"DB=postgres://app:{PW_URL}@127.0.0.1:{srv.port}/x\n",
                              "--verify", "--verify-connections")
    assert _statuses(findings) == [("unknown", "PostgreSQL let this client in without asking for a password")]


@pytest.mark.parametrize("plugin,switch", [("mysql_native_password", ""), ("caching_sha2_password", ""),
                                           ("caching_sha2_password", "mysql_native_password")])
def test_mysql(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server], plugin: str, switch: str) -> None:
    srv = S.mysql_server(USERS, plugin, switch_to=switch)
    started.append(srv)
    text = (f"DATABASE_URL=mysql://app:{PW_URL}@127.0.0.1:{srv.port}/shop\n"
            f"JDBC=jdbc:mysql://app:{WRONG}@127.0.0.1:{srv.port}/shop\n")
    code, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "MySQL accepted the password"),
                                   ("inactive", "MySQL refused the password (access denied)")], err
    assert b"<after-ok:" not in srv.raw  # nothing sent after the login
    assert b"<db:True>" not in srv.raw  # no database named
    assert PW.encode() not in srv.raw


def test_mysql_full_caching_sha2_needs_tls(tmp_path: Path, run_cli: RunCli, loopback: None,
                                           started: list[S.Server]) -> None:
    srv = S.mysql_server(USERS, "caching_sha2_password", cached=False)
    started.append(srv)
    _, findings, _, _ = _scan(run_cli, tmp_path, f"DB=mysql://app:{PW_URL}@127.0.0.1:{srv.port}/shop\n",
                              "--verify", "--verify-connections")
    assert _statuses(findings) == [("unknown", "MySQL wants the full caching_sha2 login, which needs TLS")]
    assert PW.encode() not in srv.raw  # the clear password is never sent outside TLS


@pytest.mark.parametrize("legacy", [False, True])
def test_redis(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server], legacy: bool) -> None:
    srv = S.redis_server(USERS, legacy=legacy)
    started.append(srv)
    text = (f"CACHE_URL=redis://:{PW_URL}@127.0.0.1:{srv.port}/0\n"
            f"BROKER_URL=redis://default:{WRONG}@127.0.0.1:{srv.port}/1\n"
            + ("" if legacy else f"SESSIONS=redis://app:{PW_URL}@127.0.0.1:{srv.port}/2\n"))
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    expected = [("active", "Redis AUTH accepted"), ("inactive", "Redis AUTH refused (wrong password)")]
    assert _statuses(findings) == expected + ([] if legacy else [("active", "Redis AUTH accepted")]), err
    # one AUTH per connection and nothing else
    assert srv.raw.count(b"AUTH") == srv.connections == len(expected) + (0 if legacy else 1)


def test_http_basic_auth(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    srv = S.http_server(USERS, open_paths=("/public",))
    started.append(srv)
    text = (f"INDEX=http://app:{PW_URL}@127.0.0.1:{srv.port}/simple/?token=keep-out\n"
            f"MIRROR=http://app:{WRONG}@127.0.0.1:{srv.port}/simple/\n"
            f"OPEN=http://app:Zx8cVb7nM6qW@127.0.0.1:{srv.port}/public\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [
        ("active", "HTTP 200 with the credentials (HTTP 401 without)"),
        ("inactive", "HTTP 401: the server refused the credentials"),
        ("unknown", "the server answers without credentials (HTTP 200)"),
    ], err
    log = srv.raw.decode()
    assert "token=keep-out" not in log  # the query is not sent
    assert "Zx8cVb7nM6qW" not in log and "YXBwOlp4OGNWYjduTTZxVw" not in log  # no credentials to an open URL


@pytest.mark.parametrize("scheme", ["postgres", "mysql", "redis", "http", "amqp", "smtp", "ftp", "mongodb", "ldap"])
def test_timeout_and_garbage_are_unknown(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server],
                                         scheme: str) -> None:
    silent, garbage = S.silent_server(), S.garbage_server()
    started += [silent, garbage]
    text = (f"A={scheme}://app:{PW_URL}@127.0.0.1:{silent.port}/x\n"
            f"B={scheme}://app:{WRONG}@127.0.0.1:{garbage.port}/x\n")
    _, findings, _, _ = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections", "--verify-timeout", "1")
    (s1, r1), (s2, r2) = _statuses(findings)
    assert (s1, r1) == ("unknown", "timeout")
    assert s2 == "unknown" and r2.startswith("unexpected answer"), r2


def test_off_unless_asked(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    srv = S.redis_server(USERS)
    started.append(srv)
    text = f"CACHE_URL=redis://:{PW_URL}@127.0.0.1:{srv.port}/0\n"
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify")
    assert findings[0]["verification"] == {"status": "unknown", "reason": "no verifier for this kind of secret"}
    _scan(run_cli, tmp_path, text)
    assert srv.connections == 0 and "verify-connections" not in err
    code, _, _, err = _scan(run_cli, tmp_path, text, "--verify-connections")
    assert code == 2 and "need --verify" in err and srv.connections == 0


def test_repository_config_cannot_enable_it(tmp_path: Path, run_cli: RunCli, loopback: None,
                                            started: list[S.Server]) -> None:
    srv = S.redis_server(USERS)
    started.append(srv)
    repo = tmp_path / "repo"
    repo.mkdir()
    text = f"CACHE_URL=redis://:{PW_URL}@127.0.0.1:{srv.port}/0\n"
    for toml in ("verify_connections = true\n", "[verify]\nconnections = true\n"):
        (repo / ".leakguard.toml").write_text(toml)
        (repo / "app.env").write_text(text)
        code, _, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--verify"], cwd=repo)
        assert code == 2 and "unknown key" in err
    assert srv.connections == 0


def test_warning_once_dedup_and_cache(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    pg, rd = S.postgres_server(USERS, "scram"), S.redis_server(USERS)
    started += [pg, rd]
    lines = [f"DB{i}=postgres://app:{PW_URL}@127.0.0.1:{pg.port}/orders\n" for i in range(6)]
    lines += [f"CACHE{i}=redis://:{PW_URL}@127.0.0.1:{rd.port}/0\n" for i in range(4)]
    code, findings, out, err = _scan(run_cli, tmp_path, "".join(lines), "--verify", "--verify-connections")
    assert len(findings) == 10 and {f["verification"]["status"] for f in findings} == {"active"}
    assert findings[0]["verification"]["identity"] == {"server": f"127.0.0.1:{pg.port}"}
    assert pg.connections == 1 and rd.connections == 1  # one login per distinct credential and host
    assert err.count("--verify-connections") == 1
    assert "logging in to 2 host(s)" in err and f"127.0.0.1:{pg.port}" in err and f"127.0.0.1:{rd.port}" in err
    cache = (Path(os.environ["LEAKGUARD_CACHE_DIR"]) / "verify.json").read_text()
    for text in (out, err, cache):
        assert PW not in text and PW_URL not in text
    # the second run is answered from the cache: no connection, no warning
    code, findings, out, err = _scan(run_cli, tmp_path, "".join(lines), "--verify", "--verify-connections")
    assert pg.connections == 1 and rd.connections == 1
    assert all("(cached)" in f["verification"]["reason"] for f in findings)
    assert "--verify-connections" not in err


def test_loopback_and_link_local_refused_without_override(tmp_path: Path, run_cli: RunCli,
                                                          monkeypatch: pytest.MonkeyPatch, started: list[S.Server]) -> None:
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(conn.LOOPBACK_ENV, raising=False)
    srv = S.redis_server(USERS)
    started.append(srv)
    text = (f"A=redis://:{PW_URL}@127.0.0.1:{srv.port}/0\n"
            f"B=redis://:{PW_URL}@localhost:{srv.port}/0\n"
            f"C=https://elastic:{PW_URL}@169.254.169.254:9200/\n"
            f"D=mysql://app:{PW_URL}@[::ffff:127.0.0.1]:{srv.port}/x\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    reasons = [r for _, r in _statuses(findings)]
    assert [s for s, _ in _statuses(findings)] == ["unknown"] * 4
    assert "loopback" in reasons[0] and "loopback" in reasons[1] and "link-local" in reasons[2] and "loopback" in reasons[3]
    assert srv.connections == 0 and "--verify-connections" not in err  # nothing to contact: no warning


def test_names_resolving_to_refused_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(conn.LOOPBACK_ENV, raising=False)
    infos = {"metadata.evil.test": ["169.254.169.254"], "mixed.evil.test": ["10.0.0.5", "127.0.0.1"],
             "db.corp.test": ["10.1.2.3"]}
    monkeypatch.setattr(conn.socket, "getaddrinfo",
                        lambda host, port, **_: [(2, 1, 6, "", (a, port)) for a in infos[host]])
    t = conn.Target("redis", "redis", "metadata.evil.test", 6379, False, "", PW)
    with pytest.raises(conn.Refused):
        conn.resolve(t)
    with pytest.raises(conn.Refused):
        conn.resolve(conn.Target("redis", "redis", "mixed.evil.test", 6379, False, "", PW))
    # a private address on the user's own network is checked (documented)
    assert conn.resolve(conn.Target("redis", "redis", "db.corp.test", 6379, False, "", PW)) == "10.1.2.3"


def test_a_slow_lookup_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()

    def hang(host: str, port: int, **_: object) -> list[object]:
        release.wait(5)
        return []

    monkeypatch.setattr(conn.socket, "getaddrinfo", hang)
    t = conn.Target("redis", "redis", "slow.dns.test", 6379, False, "", PW)
    try:
        v = conn.check(t, 0.3)
    finally:
        release.set()
    assert (v.status, v.reason) == ("unknown", "timeout looking up slow.dns.test")


def _finding(line: str, secret: str, rule: str = "r") -> Finding:
    col = line.index(secret) + 1
    return Finding(rule, "d", "high", (Origin("file", "a"),), Location(1, col, 1, col + len(secret)), secret, "h", "f",
                   3.0, line_text=line)


@pytest.mark.parametrize("line,secret,want", [
    ("postgresql+asyncpg://app:p%40ss:w0rd@db.internal:6432/orders?sslmode=require", "p%40ss:w0rd",
     ("postgres", "db.internal", 6432, "app", "p@ss:w0rd", "orders", False)),
    ("url: jdbc:mysql://shop:Kx9!vqL2#mT@[2001:db8::7]/shop", "Kx9!vqL2#mT",
     ("mysql", "2001:db8::7", 3306, "shop", "Kx9!vqL2#mT", "", False)),
    ('"rediss://default:Hb6xR4nQ9zt@cache.acme.io"', "Hb6xR4nQ9zt",
     ("redis", "cache.acme.io", 6379, "default", "Hb6xR4nQ9zt", "", True)),
    ("ES=https://user%40corp:Zx8cVb7nM6@es.corp.test:9243/_cat?v", "Zx8cVb7nM6",
     ("http", "es.corp.test", 9243, "user@corp", "Zx8cVb7nM6", "/_cat", True)),
    ("mongo: mongodb+srv://u:Rk3vX9pQ2mWz@cluster0.a1b2c.mongodb.net/x", "Rk3vX9pQ2mWz",
     "mongodb+srv:// names its servers in DNS SRV records, which are not looked up"),
    ("MONGO=mongodb://admin:Lp7%40Qz4!nV@mongo-0.mongo:27018,mongo-1.mongo:27017/app?replicaSet=rs0&tls=true", "Lp7%40Qz4!nV",
     ("mongodb", "mongo-0.mongo", 27018, "admin", "Lp7@Qz4!nV", "app", True)),
    ('asyncpg.connect("postgres://reporter:s3cr3tP4ss!@/analytics?host=/var/run/postgresql")', "s3cr3tP4ss!",
     "no network host in the URL"),
    ("DB_PASSWORD=Qv7rL2xWm9", "Qv7rL2xWm9", "no connection URL around the secret"),
    ("redis+sentinel://:Hb6xR4nQ9zt@sentinel-0:26379/mymaster", "Hb6xR4nQ9zt",
     "no connection check for redis+sentinel:// URLs"),
    ("EMAIL_URL=smtp+tls://notifier%40acme.io:Xc4!mP9vLq2z@smtp.office365.com", "Xc4!mP9vLq2z",
     ("smtp", "smtp.office365.com", 587, "notifier@acme.io", "Xc4!mP9vLq2z", "", False)),
])
def test_target_read_back_from_the_line(line: str, secret: str, want: object) -> None:
    t = conn.target(_finding(line, secret))
    if isinstance(t, str):
        assert t == want
    else:
        assert (t.protocol, t.host, t.port, t.user, t.password, t.path.lstrip("/") if t.protocol == "postgres" else t.path,
                t.tls) == want


def test_server_words_echoing_the_password_are_not_quoted(tmp_path: Path, run_cli: RunCli, loopback: None,
                                                          started: list[S.Server]) -> None:
    """A hostile server that answers with the password it was sent gets it
    nowhere: reasons quote only short words that share nothing with it."""
    import socket
    import threading

    def echo(sock: socket.socket, state: S.Server) -> None:
        r = S._Reader(sock, state)
        r.line(), r.line(), r.line(), r.line()
        pw = r.line()
        sock.sendall(b"-" + pw + b" nope\r\n")
        threading.Event().wait(0.5)

    srv = S._serve("echo", echo)
    started.append(srv)
    pw = "Qz7xKp2mWv9r"
    _, findings, out, err = _scan(run_cli, tmp_path, f"R=redis://:{pw}@127.0.0.1:{srv.port}/0\n",
                                  "--verify", "--verify-connections")
    assert findings[0]["verification"] == {"status": "unknown", "reason": "Redis answered AUTH with an error (?)"}
    assert pw not in out and pw not in err


@pytest.mark.parametrize("mechanisms", ["PLAIN LOGIN", "LOGIN"])
def test_smtp(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server], mechanisms: str) -> None:
    srv = S.smtp_server({"notifier@acme.io": PW}, mechanisms)
    started.append(srv)
    text = (f"EMAIL_URL=smtp://notifier%40acme.io:{PW_URL}@127.0.0.1:{srv.port}\n"
            f"MAILER_DSN=smtp://notifier@acme.io:{WRONG}@127.0.0.1:{srv.port}\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "SMTP AUTH accepted"), ("inactive", "SMTP AUTH refused (535)")], err
    assert b"<other:" not in srv.raw  # no MAIL, no QUIT: nothing after AUTH


def test_smtp_starttls_required_but_not_offered(tmp_path: Path, run_cli: RunCli, loopback: None,
                                                started: list[S.Server]) -> None:
    srv = S.smtp_server({"app": PW})
    started.append(srv)
    _, findings, _, _ = _scan(run_cli, tmp_path, f"EMAIL_URL=smtp+tls://app:{PW_URL}@127.0.0.1:{srv.port}\n",
                              "--verify", "--verify-connections")
    assert _statuses(findings) == [("unknown", "the SMTP server offers no STARTTLS, which the URL asks for")]
    assert b"AUTH" not in srv.raw  # the password was not sent


def test_ftp(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    srv = S.ftp_server(USERS)
    started.append(srv)
    text = (f"UPLOAD=ftp://app:{PW_URL}@127.0.0.1:{srv.port}/incoming\n"
            f"MIRROR=ftp://app:{WRONG}@127.0.0.1:{srv.port}/pub\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "FTP login accepted"), ("inactive", "FTP login refused (530)")], err
    assert b"<other:" not in srv.raw


def test_amqp(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    srv = S.amqp_server({"orders": PW})
    started.append(srv)
    text = (f"CELERY_BROKER_URL=amqp://orders:{PW_URL}@127.0.0.1:{srv.port}/orders\n"
            f"BROKER=pyamqp://orders:{WRONG}@127.0.0.1:{srv.port}//\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "AMQP login accepted (Connection.Tune)"),
                                   ("inactive", "AMQP login refused (403 ACCESS_REFUSED)")], err
    assert b"<after:" not in srv.raw  # no Tune-Ok, no vhost opened


def test_tls(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    """PostgreSQL and MySQL use TLS when offered without checking the
    certificate (their clients' defaults), and MySQL's full caching_sha2
    login sends the password inside it; rediss verifies the certificate, so a
    self-signed one is not trusted and no AUTH is sent."""
    ctx = S.tls_context(str(tmp_path))
    pg = S.postgres_server(USERS, "password", tls=ctx)
    my = S.mysql_server(USERS, "caching_sha2_password", cached=False, tls=ctx)
    rd = S.redis_server(USERS, tls=ctx)
    started += [pg, my, rd]
    text = (f"A=postgres://app:{PW_URL}@127.0.0.1:{pg.port}/x\n"
            f"B=mysql://app:{PW_URL}@127.0.0.1:{my.port}/x\n"
            f"C=rediss://:{PW_URL}@127.0.0.1:{rd.port}/0\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "PostgreSQL accepted the password"), ("active", "MySQL accepted the password"),
                                   ("unknown", "the server's TLS certificate is not trusted")], err
    assert pg.received[0].startswith(b"\x00\x00\x00\x08") and b"<tls>" in pg.raw  # SSLRequest, then TLS
    assert b"<tls>" in my.raw and PW.encode() + b"\0" in my.raw  # the clear password, read inside TLS
    assert b"AUTH" not in rd.raw


@pytest.mark.parametrize("rule,line,secret,want", [
    ("postgres-dsn-password", "PGCONN=\"host=10.20.0.4 port=6543 dbname=warehouse user=etl password='Jm8 x\\'Q2!vR' sslmode=require\"",
     "Jm8 x\\'Q2!vR", ("postgres", "10.20.0.4", 6543, "etl", "Jm8 x'Q2!vR", "warehouse")),
    ("postgres-dsn-password", "host=/var/run/postgresql dbname=app user=app password=Wq7nZ2kLp4v", "Wq7nZ2kLp4v",
     "no network host in the connection string"),
    ("mysql-go-dsn-password", 'sql.Open("mysql", "orders:Lq8v%T3xWz9Km@tcp(mysql-01.internal)/orders?parseTime=true")',
     "Lq8v%T3xWz9Km", ("mysql", "mysql-01.internal", 3306, "orders", "Lq8v%T3xWz9Km", "")),
    ("mysql-go-dsn-password", 'dsn: "app:Hb6zQ2mVr8T@unix(/tmp/mysql.sock)/reports"', "Hb6zQ2mVr8T",
     "no network host in the DSN"),
])
def test_dsn_forms(rule: str, line: str, secret: str, want: object) -> None:
    t = conn.target(_finding(line, secret, rule))
    got = t if isinstance(t, str) else (t.protocol, t.host, t.port, t.user, t.password, t.path)
    assert got == want


def test_dsn_forms_end_to_end(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    pg, my = S.postgres_server({"etl": PW}, "scram"), S.mysql_server({"orders": PW})
    started += [pg, my]
    text = (f'conn = psycopg2.connect("host=127.0.0.1 port={pg.port} dbname=warehouse user=etl password={PW}")\n'
            f'db, err := sql.Open("mysql", "orders:{PW}@tcp(127.0.0.1:{my.port})/orders?parseTime=true")\n')
    _, findings, out, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "PostgreSQL accepted the password"), ("active", "MySQL accepted the password")], err
    assert PW not in out and PW not in err


def test_mongodb(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    srv = S.mongodb_server({("admin", "orders-svc"): (PW, "SCRAM-SHA-256"), ("orders", "legacy"): (PW, "SCRAM-SHA-1")})
    started.append(srv)
    text = (f"MONGO_URI=mongodb://orders-svc:{PW_URL}@127.0.0.1:{srv.port}/orders?authSource=admin&retryWrites=true\n"
            f"LEGACY=mongodb://legacy:{PW_URL}@127.0.0.1:{srv.port},127.0.0.1:1/orders?replicaSet=rs0\n"
            f"WRONG=mongodb://orders-svc:{WRONG}@127.0.0.1:{srv.port}/\n")
    _, findings, out, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "MongoDB accepted the password (SCRAM-SHA-256)"),
                                   ("active", "MongoDB accepted the password (SCRAM-SHA-1)"),
                                   ("inactive", "MongoDB refused the password (AuthenticationFailed)")], err
    # the SCRAM conversation and nothing else: no hello, no find, no listDatabases
    commands = {c.split(b">")[0] for c in srv.raw.split(b"<cmd:")[1:]}
    assert commands == {b"saslStart", b"saslContinue"}
    assert PW.encode() not in srv.raw and PW not in out


def test_bson_reader_fails_only_with_protocol_error() -> None:
    """A hostile MongoDB answer can only be 'unexpected', never a crash."""
    from hypothesis import given, settings, strategies as st

    from leakguard.verify import wire

    doc = wire._bson({"ok": 1, "payload": b"r=abc", "done": True, "errmsg": "x", "nested": {"a": 1}})
    assert wire._unbson(doc) == {"ok": 1, "payload": b"r=abc", "done": True, "errmsg": "x"}

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=64), st.integers(0, 40))
    def check(noise: bytes, cut: int) -> None:
        for data in (noise, doc[:cut] + noise, doc[:4] + noise[4:], struct_len(noise)):
            try:
                wire._unbson(data)
            except wire.ProtocolError:
                pass

    def struct_len(b: bytes) -> bytes:
        return (len(b) + 5).to_bytes(4, "little") + b + b"\0"

    check()
    # a nested document claiming a negative size must not send the reader backwards (forever)
    loop = b"\x03a\x00" + (-7).to_bytes(4, "little", signed=True)
    with pytest.raises(wire.ProtocolError):
        wire._unbson((len(loop) + 5).to_bytes(4, "little") + loop + b"\0")


def test_ldap(tmp_path: Path, run_cli: RunCli, loopback: None, started: list[S.Server]) -> None:
    dn = "cn=readonly,dc=acme,dc=io"
    srv = S.ldap_server({dn: PW})
    started.append(srv)
    long_pw = "Lp" + "x7Qz" * 40  # a BER long-form length
    text = (f"AUTH_LDAP_URL=ldap://{dn}:{PW_URL}@127.0.0.1:{srv.port}/dc=acme,dc=io\n"
            f"OTHER=ldap://{dn}:{WRONG}@127.0.0.1:{srv.port}\n"
            f"LONG=ldap://{dn}:{long_pw}@127.0.0.1:{srv.port}\n")
    _, findings, _, err = _scan(run_cli, tmp_path, text, "--verify", "--verify-connections")
    assert _statuses(findings) == [("active", "LDAP bind accepted"), ("inactive", "LDAP bind refused (invalidCredentials)"),
                                   ("inactive", "LDAP bind refused (invalidCredentials)")], err
    assert b"<op:" not in srv.raw  # one bind, no search, no unbind
