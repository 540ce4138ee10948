"""--verify-connections against a real PostgreSQL server, where one is
installed (initdb on the PATH or in /usr/lib/postgresql/*/bin): SCRAM-SHA-256
and MD5 users, TLS on, a role that does not exist. Skipped elsewhere; the
fake servers of test_connections.py cover every protocol everywhere."""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunCli


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    return [runuser, "-u", "postgres", "--", *argv]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def real_postgres() -> Iterator[int]:
    initdb, pg_ctl, psql = _bin("initdb"), _bin("pg_ctl"), _bin("psql")
    if not (initdb and pg_ctl and psql):
        pytest.skip("no PostgreSQL server installed")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
    base = Path(tempfile.mkdtemp(prefix="leakguard-pg-"))  # pytest's own tmp dirs are closed to the server user
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()
    (base / "pw").write_text("Rk7vQ2mXz9Lp\n")
    os.chmod(base / "pw", 0o644)
    run = lambda argv: subprocess.run(_as_server_user(argv), check=True, capture_output=True, text=True)  # noqa: E731
    if os.geteuid() == 0:
        shutil.chown(base / "pw", "postgres")
    try:
        run([initdb, "-D", str(data), "-U", "admin", f"--pwfile={base / 'pw'}", "-A", "scram-sha-256"])
    except subprocess.CalledProcessError as e:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed: {e.stderr[-500:]}")
    with open(data / "postgresql.conf", "a") as f:
        f.write(f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n")
    if shutil.which("openssl"):
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(data / "server.key"),
             "-out", str(data / "server.crt"), "-days", "1", "-subj", "/CN=localhost"])
        os.chmod(data / "server.key", 0o600)
        with open(data / "postgresql.conf", "a") as f:
            f.write("ssl = on\n")
    (data / "pg_hba.conf").write_text("host all md5user 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n"
                                      "local all all trust\n")
    run([pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "start"])
    try:
        sql = ("SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN PASSWORD 'Hq2mT7vxPz4c'; "
               "SET password_encryption = 'scram-sha-256'; CREATE ROLE app LOGIN PASSWORD 'Wq7#nZ2kLp4v';")
        run([psql, "-h", str(base), "-p", str(port), "-U", "admin", "-d", "postgres", "-c", sql])
        yield port
    finally:
        try:
            run([pg_ctl, "-D", str(data), "-m", "fast", "stop"])
        finally:
            shutil.rmtree(base, ignore_errors=True)


def test_real_postgres(tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, real_postgres: int) -> None:
    monkeypatch.setenv("LEAKGUARD_VERIFY_CONN_LOOPBACK", "1")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    port = real_postgres
    (tmp_path / "app.env").write_text(
        f"A=postgres://app:Wq7%23nZ2kLp4v@127.0.0.1:{port}/postgres\n"
        f"B=postgres://app:Zz9xWrongPw42@127.0.0.1:{port}/postgres\n"
        f"C=postgresql://md5user:Hq2mT7vxPz4c@127.0.0.1:{port}/nodb_here\n"
        f"D=postgresql://md5user:Hq2mWrong4c@127.0.0.1:{port}/postgres\n"
        f"E=postgres://ghost:Qx8vLm2zRt5w@127.0.0.1:{port}/postgres\n"
        f'conn = psycopg2.connect("host=127.0.0.1 port={port} dbname=postgres user=app password=Wq7#nZ2kLp4v")\n')
    code, out, err = run_cli(["scan", str(tmp_path / "app.env"), "-f", "json", "--no-progress", "--verify",
                              "--verify-connections"])
    got = [f["verification"]["status"] for f in sorted(json.loads(out)["findings"], key=lambda f: f["line"])]
    assert got == ["active", "inactive", "active", "inactive", "inactive", "active"], err
