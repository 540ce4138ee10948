"""--verify end to end against local servers: no request ever leaves the machine."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import RunCli
from leakguard.verify.spec import SpecError, parse

from tests.verify.conftest import (ACME_ACTIVE, ACME_HOST, ACME_MALFORMED, ACME_RATE, ACME_REVOKED, ACME_RULES, ACME_SLOW,
                       SLACK_ACTIVE, SLACK_REVOKED, FakeProviders)


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, text in files.items():
        p = repo / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (tmp_path / "acme.yaml").write_text(ACME_RULES)
    return repo


def _scan_json(run_cli: RunCli, repo: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--rules", str(repo.parent / "acme.yaml"),
                              *extra])
    return code, json.loads(out) if out.strip() else {}, err


def _by_secret_prefix(doc: dict) -> dict[str, dict]:
    return {f["path"]: f for f in doc["findings"]}


def test_statuses_from_provider_answers(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {
        "active.env": f"ACME_TOKEN={ACME_ACTIVE}\n",
        "revoked.env": f"ACME_TOKEN={ACME_REVOKED}\n",
        "rate.env": f"ACME_TOKEN={ACME_RATE}\n",
        "slow.env": f"ACME_TOKEN={ACME_SLOW}\n",
        "malformed.env": f"ACME_TOKEN={ACME_MALFORMED}\n",
    })
    code, doc, err = _scan_json(run_cli, repo, "--verify", "--verify-timeout", "1")
    assert code == 1, err
    v = {path: f["verification"] for path, f in _by_secret_prefix(doc).items()}
    assert v["active.env"]["status"] == "active"
    assert v["active.env"]["identity"] == {"login": "octo-ci", "scopes": "repo, workflow"}
    assert v["revoked.env"]["status"] == "inactive"
    # rate-limited twice (Retry-After: 0), answered on the third try
    assert v["rate.env"]["status"] == "active" and providers.rate_hits == 3
    assert v["slow.env"] == {"status": "unknown", "reason": "timeout"}
    assert v["malformed.env"]["status"] == "unknown" and "HTTP 502" in v["malformed.env"]["reason"]
    # every request went to the rule's host, and only with the secret it was about
    assert {r["host"] for r in providers.requests} == {ACME_HOST}


def test_one_request_per_distinct_secret(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    files = {f"svc{i}/.env": "".join(f"ACME_TOKEN={ACME_ACTIVE}  # copy {j}\n" for j in range(8)) for i in range(5)}
    files["other.env"] = f"ACME_TOKEN={ACME_REVOKED}\n"
    repo = _repo(tmp_path, files)
    code, doc, _ = _scan_json(run_cli, repo, "--verify")
    assert len(doc["findings"]) == 41
    assert sum(1 for r in providers.requests if r["host"] == ACME_HOST) == 2
    statuses = {f["verification"]["status"] for f in doc["findings"] if f["path"] != "other.env"}
    assert statuses == {"active"}


def test_cache_answers_repeat_runs_and_holds_no_secret(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_ACTIVE}\nOTHER={ACME_REVOKED}\n"})
    _scan_json(run_cli, repo, "--verify")
    first = len(providers.requests)
    code, doc, err = _scan_json(run_cli, repo, "--verify")
    assert len(providers.requests) == first == 2  # the second run asked nobody
    assert all("(cached)" in f["verification"]["reason"] for f in doc["findings"])
    cache = (Path(os.environ["LEAKGUARD_CACHE_DIR"]) / "verify.json").read_bytes()
    for secret in (ACME_ACTIVE, ACME_REVOKED):
        assert secret.encode() not in cache and secret[5:].encode() not in cache
    _, _, err2 = _scan_json(run_cli, repo, "--verify", "--verify-cache-ttl", "0")
    assert len(providers.requests) == 4
    for text in (json.dumps(doc), err, err2):
        assert ACME_ACTIVE not in text and ACME_REVOKED not in text


def test_filters_and_fail_on_active(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_ACTIVE}\n", "b.env": f"ACME_TOKEN={ACME_REVOKED}\n"})
    code, doc, _ = _scan_json(run_cli, repo, "--verify", "--only-verified")
    assert code == 1 and [f["path"] for f in doc["findings"]] == ["a.env"]
    code, doc, _ = _scan_json(run_cli, repo, "--verify", "--verification", "inactive,unknown")
    assert [f["path"] for f in doc["findings"]] == ["b.env"]
    code, _, _ = _scan_json(run_cli, repo, "--verify", "--fail-on-active")
    assert code == 4
    (repo / "a.env").unlink()
    code, _, _ = _scan_json(run_cli, repo, "--verify", "--fail-on-active")
    assert code == 1  # findings, none active: the ordinary gate


@pytest.mark.parametrize("argv", [["--only-verified"], ["--fail-on-active"], ["--verification", "active"],
                                  ["--verify", "--verification", "alive"], ["--verify", "--verify-timeout", "-1"]])
def test_bad_verify_arguments(tmp_path: Path, run_cli: RunCli, argv: list[str]) -> None:
    repo = _repo(tmp_path, {"a.env": "nothing here\n"})
    code, _, err = run_cli(["scan", str(repo), *argv])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_built_in_slack_verifier(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {"bot.py": f'client = WebClient(token="{SLACK_ACTIVE}")\nold = "{SLACK_REVOKED}"\n'})
    code, doc, _ = _scan_json(run_cli, repo, "--verify")
    got = {f["line"]: f["verification"] for f in doc["findings"]}
    assert got[1]["status"] == "active" and got[1]["identity"] == {"team": "Acme", "user": "deploybot"}
    assert got[2]["status"] == "inactive"
    assert {r["host"] for r in providers.requests} == {"slack.com"}


def test_terminal_lists_active_first_with_revoke_url(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_REVOKED}\n", "z.env": f"ACME_TOKEN={ACME_ACTIVE}\n"})
    code, out, _ = run_cli(["scan", str(repo), "--no-progress", "--rules", str(tmp_path / "acme.yaml"), "--verify"])
    assert "revoke now" in out and "https://acme-tokens.dev/settings/tokens" in out
    assert out.index("z.env") < out.index("a.env")
    assert ACME_ACTIVE not in out


def test_no_verifier_is_unknown_with_reason(tmp_path: Path, run_cli: RunCli, providers: FakeProviders) -> None:
    repo = _repo(tmp_path, {"db.env": "DB_PASSWORD=Wint3r-Harb0r-88x\n"})
    code, doc, _ = _scan_json(run_cli, repo, "--verify")
    assert doc["findings"][0]["verification"]["status"] == "unknown"
    assert "no verifier" in doc["findings"][0]["verification"]["reason"]
    assert providers.requests == []


def test_repository_config_cannot_point_a_verifier_elsewhere(tmp_path: Path, run_cli: RunCli,
                                                              providers: FakeProviders) -> None:
    """A hostile repository adds a rule whose verifier sends the secret to its own host."""
    evil = ACME_RULES.replace("acme-api-token", "evil-rule").replace(ACME_HOST, "collect.evil-host.dev")
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_ACTIVE}\n", "lg/evil.yaml": evil,
                            ".leakguard.toml": '[rules]\npaths = ["lg/evil.yaml"]\n'})
    code, out, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--verify"])
    doc = json.loads(out)
    assert doc["findings"] and all(f["verification"]["status"] == "unknown" for f in doc["findings"])
    assert providers.requests == []


def test_the_configs_rule_files_are_read_once_for_the_engine_and_the_verifiers(
        tmp_path: Path, run_cli: RunCli, providers: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard.commands import _common

    evil = ACME_RULES.replace("acme-api-token", "evil-rule").replace(ACME_HOST, "collect.evil-host.dev")
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_ACTIVE}\n", "lg/evil.yaml": evil,
                            ".leakguard.toml": '[rules]\npaths = ["lg/evil.yaml"]\n'})
    calls: list[set[str]] = []
    real = _common.config_rule_ids
    monkeypatch.setattr(_common, "config_rule_ids", lambda args: calls.append(real(args)) or calls[-1])
    code, out, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--verify"])
    assert json.loads(out)["findings"] and providers.requests == []
    assert calls == [{"evil-rule"}]  # build_engine read them; verify_step took its answer


def test_redirect_override_must_be_loopback(tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                                            providers: FakeProviders) -> None:
    monkeypatch.setenv("LEAKGUARD_VERIFY_REDIRECT", "http://203.0.113.9:8080")
    repo = _repo(tmp_path, {"a.env": f"ACME_TOKEN={ACME_ACTIVE}\n"})
    code, out, err = run_cli(["scan", str(repo), "--no-progress", "--rules", str(tmp_path / "acme.yaml"), "--verify"])
    assert code == 2 and "loopback" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("spec, message", [
    ({"url": "http://api.x.dev/", "active": {"status": [200]}, "inactive": {"status": [401]}}, "https"),
    ({"url": "https://{secret}.x.dev/", "active": {"status": [200]}, "inactive": {"status": [401]}}, "host name"),
    ({"url": "https://{host}/v1", "active": {"status": [200]}, "inactive": {"status": [401]}}, "host"),
    ({"url": "https://api.x.dev@evil.dev/", "active": {"status": [200]}, "inactive": {"status": [401]}}, "host"),
    ({"url": "https://api.x.dev:8443/", "active": {"status": [200]}, "inactive": {"status": [401]}}, "host"),
    ({"url": "https://api.x.dev/{nope}", "active": {"status": [200]}, "inactive": {"status": [401]}}, "unknown template"),
    ({"url": "https://api.x.dev/", "active": {"status": [200]}}, "inactive"),
    ({"code": "shell"}, "verify.code"),
])
def test_spec_rejects_unpinned_or_malformed(spec: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse(spec)


def test_first_label_template_stays_on_provider_domain() -> None:
    from leakguard.verify.http import build_request

    spec = parse({"url": "https://{shop}.myshopify.com/admin/api/2024-01/shop.json",
                  "headers": {"X-Shopify-Access-Token": "{secret}"}, "active": {"status": [200]},
                  "inactive": {"status": [401]}, "pair": {"shop": {"pattern": r"([a-z0-9-]+)\.myshopify\.com"}}})
    assert build_request(spec, {"secret": "t", "shop": "acme"})["url"].startswith("https://acme.myshopify.com/")
    for bad in ("evil.com/x", "a.b", "x@evil.com", "", "-bad"):
        with pytest.raises(ValueError):
            build_request(spec, {"secret": "t", "shop": bad})


def test_webhook_path_only_from_the_pinned_host() -> None:
    from leakguard.verify.http import build_request

    spec = parse({"url": "https://hooks.slack.com/{secret_path}", "method": "POST", "json": {},
                  "active": {"status": [400]}, "inactive": {"status": [404]}})
    ok = build_request(spec, {"secret": "https://hooks.slack.com/services/T1/B2/abc"})
    assert ok["url"] == "https://hooks.slack.com/services/T1/B2/abc"
    with pytest.raises(ValueError):
        build_request(spec, {"secret": "https://hooks.slack.com.evil.dev/services/T1/B2/abc"})


def test_aws_pair_against_moto_with_iam_auth(tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch,
                                             moto_iam: tuple[str, str, str]) -> None:
    endpoint, key_id, secret = moto_iam
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", endpoint)
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "live.ini").write_text(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    (repo / "dead.ini").write_text("[default]\naws_access_key_id = AKIAQWERTYUIOPASDFGH\n"
                                   "aws_secret_access_key = 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\n")
    code, out, err = run_cli(["scan", str(repo), "-f", "json", "--no-progress", "--verify"])
    doc = json.loads(out)
    live = [f for f in doc["findings"] if f["path"] == "live.ini"]
    dead = [f for f in doc["findings"] if f["path"] == "dead.ini"]
    assert len(live) == 2 and len(dead) == 2, err
    for f in live:
        assert f["verification"]["status"] == "active"
        assert f["verification"]["identity"]["arn"] == "arn:aws:iam::123456789012:user/ci-deployer"
        assert f["verification"]["identity"]["account"] == "123456789012"
    assert all(f["verification"]["status"] == "inactive" for f in dead)
    assert secret not in out and secret not in err
    # the migration plan says what to do with each
    code, plan, _ = run_cli(["migrate", str(repo), "--verify", "--no-progress"])
    assert "active: rotate first, then migrate" in plan and "arn:aws:iam::123456789012:user/ci-deployer" in plan
    assert "dead: delete the literal, nothing to store" in plan
    assert secret not in plan
