"""The remediation step of the scan pipeline: fill ``Finding.remediation``."""
from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Mapping

from leakguard.model import ScanResult
from leakguard.ruleset import Rule
from leakguard.remediation import Settings, suggest
from leakguard.remediation.naming import DEFAULT_TEMPLATE, project_name


def settings_from_args(args: argparse.Namespace, root: str) -> Settings:
    """Command line first, then the project config's [remediation] table."""
    config = getattr(args, "settings", None)
    return Settings(
        prefer=getattr(args, "prefer", None) or getattr(config, "prefer", None) or "features",
        name_template=getattr(args, "name_template", None) or getattr(config, "name_template", None) or DEFAULT_TEMPLATE,
        project=getattr(args, "project", None) or project_name(root),
        env=getattr(args, "env", None),
    )


def rule_hints(rules: Iterable[Rule]) -> dict[str, Mapping[str, str]]:
    return {r.id: r.hint for r in rules}


def attach(result: ScanResult, settings: Settings, hints: Mapping[str, Mapping[str, str]]) -> ScanResult:
    result.findings = [dataclasses.replace(f, remediation=suggest(f, hints.get(f.rule_id, {}), settings))
                       for f in result.findings]
    return result


def attach_from_args(result: ScanResult, args: argparse.Namespace, root: str) -> ScanResult:
    if not getattr(args, "remediation", True):
        return result
    return attach(result, settings_from_args(args, root), rule_hints(getattr(args, "rule_metadata", ())))
