"""The project config's [remediation] table reaches the suggestions; the flag beats it."""
from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli


def _service(run_cli: RunCli, tree: Path, *extra: str) -> str:
    code, out, err = run_cli(["scan", str(tree), "-f", "json", *extra])
    assert code == 1, err
    (f,) = json.loads(out)["findings"]
    return f["remediation"]["service"]


def test_config_prefer_cost_and_flag_override(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('SMTP_PASSWORD = "Lantern-4471q"\n')
    assert _service(run_cli, tmp_path) == "secretsmanager"
    (tmp_path / ".leakguard.toml").write_text('[remediation]\nprefer = "cost"\n')
    assert _service(run_cli, tmp_path) == "ssm"
    assert _service(run_cli, tmp_path, "--prefer", "features") == "secretsmanager"
