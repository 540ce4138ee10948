from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import boto3
import pytest

from tests.conftest import RunCli, git

from .conftest import ALL_SECRETS, DB_PASSWORD, PG_PASSWORD, STRIPE_KEY, write_repo

pytestmark = pytest.mark.usefixtures("fake_aws")


def _repo(git_repo: Path) -> Path:
    write_repo(git_repo)
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "init")
    return git_repo


def _client(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint)


def _apply(run_cli: RunCli, repo: Path, endpoint: str, *extra: str) -> tuple[int, str, str]:
    return run_cli(["migrate", str(repo), "--apply", "--yes", "--region", "us-east-1", "--endpoint-url", endpoint,
                    "--project", f"t{abs(hash(str(repo))) % 10**8}", "--no-progress", *extra])


def test_dry_run_changes_nothing(git_repo: Path, run_cli: RunCli) -> None:
    repo = _repo(git_repo)
    before = {p: p.read_bytes() for p in repo.iterdir() if p.is_file()}
    code, out, err = run_cli(["migrate", str(repo), "--apply", "--no-progress"])
    assert code == 0, err
    assert "--- a/.env.production" in out and "+DB_PASSWORD=" in out and "dry run" in out
    assert "left untouched: notes.txt" in out
    assert {p: p.read_bytes() for p in before} == before
    assert all(s not in out for s in ALL_SECRETS)


def test_apply_creates_rewrites_and_is_idempotent(git_repo: Path, run_cli: RunCli, moto_endpoint: str) -> None:
    repo = _repo(git_repo)
    code, out, err = _apply(run_cli, repo, moto_endpoint, "--tag", "team=pay")
    assert code == 1, err  # the URL in settings.py and notes.txt are left for a human
    assert out.count("created:") == 3
    sm = _client(moto_endpoint, "secretsmanager")
    project = out.split("created: ")[1].split("/")[0]
    assert sm.get_secret_value(SecretId=f"{project}/production/db-password")["SecretString"] == DB_PASSWORD
    db = json.loads(sm.get_secret_value(SecretId=f"{project}/conn")["SecretString"])
    assert db == {"dbname": "billing", "engine": "postgres", "host": "db.internal.acme.io", "password": PG_PASSWORD,
                  "port": "5432", "username": "billing"}
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=f"{project}/production/db-password")["Tags"]}
    assert tags == {"managed-by": "leakguard", "team": "pay"}
    env = (repo / ".env.production").read_text()
    assert DB_PASSWORD not in env and STRIPE_KEY not in env and "DB_PASSWORD=\n" in env
    py = (repo / "settings.py").read_text()
    assert 'get_secret_value(SecretId="' in py and "import boto3" in py and py.index("from __future__") < py.index("import boto3")
    compile(py, "settings.py", "exec")
    assert stat.S_IMODE((repo / "run.sh").stat().st_mode) == 0o750  # mode kept by the atomic write
    assert "$(aws secretsmanager get-secret-value" in (repo / "run.sh").read_text()
    assert all(s not in out + err for s in ALL_SECRETS)
    # rerun: nothing duplicated, the stored secret is recognised, no file rewritten again
    code, out2, err2 = _apply(run_cli, repo, moto_endpoint, "--allow-dirty")
    assert "created:" not in out2 and "exists:" in out2 and "rewrote" not in out2
    names = [s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].startswith(project)]
    assert len(names) == len(set(names)) == 3


def test_conflict_is_reported_and_file_untouched(git_repo: Path, run_cli: RunCli, moto_endpoint: str) -> None:
    repo = _repo(git_repo)
    project = "conflict-proj"
    _client(moto_endpoint, "ssm").put_parameter(Name=f"/{project}/production/db-password", Value="other-value-123",
                                                Type="SecureString")
    code, out, err = _apply(run_cli, repo, moto_endpoint, "--project", project, "--prefer", "cost")
    assert code == 1
    assert f"conflict: /{project}/production/db-password" in out
    assert DB_PASSWORD in (repo / ".env.production").read_text()  # not stored -> not rewritten
    assert STRIPE_KEY not in (repo / ".env.production").read_text()  # its neighbour was
    value = _client(moto_endpoint, "ssm").get_parameter(Name=f"/{project}/production/db-password", WithDecryption=True)
    assert value["Parameter"]["Value"] == "other-value-123"
    assert all(s not in out + err for s in ALL_SECRETS)


def test_dirty_tree_refused(git_repo: Path, run_cli: RunCli, moto_endpoint: str) -> None:
    repo = _repo(git_repo)
    (repo / "run.sh").write_text((repo / "run.sh").read_text() + "echo hi\n")
    code, out, err = _apply(run_cli, repo, moto_endpoint)
    assert code == 2 and "uncommitted changes" in err and err.count("\n") == 1
    assert STRIPE_KEY in (repo / "run.sh").read_text()


@pytest.mark.parametrize(("unset", "message"), [("AWS_ACCESS_KEY_ID", "no AWS credentials"), ("region", "no AWS region")])
def test_missing_credentials_or_region(git_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                                       unset: str, message: str) -> None:
    repo = _repo(git_repo)
    argv = ["migrate", str(repo), "--apply", "--yes", "--no-progress", "--endpoint-url", "http://127.0.0.1:9"]
    if unset == "region":
        monkeypatch.delenv("AWS_REGION", raising=False)
    else:
        monkeypatch.delenv(unset)
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        argv += ["--region", "us-east-1"]
    code, out, err = run_cli(argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert DB_PASSWORD in (repo / ".env.production").read_text()


def test_missing_boto3_is_one_line(git_repo: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def fake(name: str, *a, **k):  # type: ignore[no-untyped-def]
        if name == "boto3":
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    code, _, err = run_cli(["migrate", str(_repo(git_repo)), "--apply", "--yes", "--region", "us-east-1"])
    assert code == 2 and "pip install boto3" in err and "leakguard-scanner" not in err  # not on the index


def test_atomic_write_keeps_mode(tmp_path: Path) -> None:
    from leakguard.remediation.rewrite import write_atomic

    f = tmp_path / "x.sh"
    f.write_text("a\n")
    os.chmod(f, 0o700)
    write_atomic(str(f), "b\n")
    assert f.read_text() == "b\n" and stat.S_IMODE(f.stat().st_mode) == 0o700
    assert [p.name for p in tmp_path.iterdir()] == ["x.sh"]  # no temp file left behind
    assert subprocess.run(["true"]).returncode == 0


def test_stray_temp_files_of_a_killed_run_are_removed(git_repo: Path, run_cli: RunCli, moto_endpoint: str) -> None:
    repo = _repo(git_repo)
    stray = repo / ".env.production.k3j9x2.leakguard.tmp"  # what a kill during the rewrite leaves
    stray.write_text(f"DB_PASSWORD={DB_PASSWORD}\n")
    (repo / "keep.leakguard.tmp.txt").write_text("not ours\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "leftovers")
    code, out, err = _apply(run_cli, repo, moto_endpoint)
    assert "removed 1 temp file left by an interrupted run" in out, out + err
    assert not stray.exists() and (repo / "keep.leakguard.tmp.txt").exists()


def test_a_file_that_cannot_be_written_is_a_conflict_and_the_run_goes_on(
        git_repo: Path, run_cli: RunCli, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An immutable file (chattr +i) aborted the run with exit 3, leaving the other files alone."""
    from leakguard.remediation import rewrite

    repo = _repo(git_repo)
    real = rewrite.write_atomic

    def immutable(path: str, text: str) -> None:
        if path.endswith(".env.production"):
            raise PermissionError(1, "Operation not permitted", path)
        real(path, text)

    monkeypatch.setattr(rewrite, "write_atomic", immutable)
    code, out, err = _apply(run_cli, repo, moto_endpoint)
    assert code == 1, err
    assert "conflict: .env.production: cannot rewrite (Operation not permitted)" in out
    assert DB_PASSWORD in (repo / ".env.production").read_text()
    assert "rewrote run.sh" in out and "$(aws secretsmanager" in (repo / "run.sh").read_text()


def test_a_read_only_file_is_not_rewritten(git_repo: Path, run_cli: RunCli, moto_endpoint: str) -> None:
    repo = _repo(git_repo)
    (repo / "run.sh").chmod(0o444)
    git(repo, "commit", "-qam", "read-only")
    code, out, err = _apply(run_cli, repo, moto_endpoint)
    assert code == 1, err
    assert "conflict: run.sh: read-only (mode 0444): not rewritten" in out
    assert STRIPE_KEY in (repo / "run.sh").read_text()
    assert stat.S_IMODE((repo / "run.sh").stat().st_mode) == 0o444
    assert "rewrote .env.production" in out


def test_resume_without_list_secrets_finds_the_stored_name(git_repo: Path, run_cli: RunCli, moto_endpoint: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun where ListSecrets is denied: the value an earlier run stored as NAME-2 (NAME was
    taken by another secret then) is found with DescribeSecret by name, not a conflict forever."""
    import botocore.client
    import botocore.exceptions

    project = "resume-proj"
    repo = git_repo
    (repo / ".env.production").write_text(f"DB_PASSWORD={DB_PASSWORD}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    sm = _client(moto_endpoint, "secretsmanager")
    tags = [{"Key": "managed-by", "Value": "leakguard"}]
    sm.create_secret(Name=f"{project}/production/db-password", SecretString="another-secret-took-it", Tags=tags)
    sm.create_secret(Name=f"{project}/production/db-password-2", SecretString=DB_PASSWORD, Tags=tags)
    real = botocore.client.BaseClient._make_api_call

    def deny_list(self, operation, params):  # type: ignore[no-untyped-def]
        if operation == "ListSecrets":
            raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}},
                                                  operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny_list)
    code, out, err = _apply(run_cli, repo, moto_endpoint, "--project", project)
    assert "conflict" not in out, out
    assert f"exists: {project}/production/db-password-2: already stored as {project}/production/db-password-2" in out
    assert f'{project}/production/db-password-2' in (repo / ".env.production").read_text()
    assert DB_PASSWORD not in (repo / ".env.production").read_text()
    assert code == 0, out + err
