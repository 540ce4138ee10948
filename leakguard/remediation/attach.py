"""The remediation step of the scan pipeline: fill ``Finding.remediation``."""
from __future__ import annotations

import argparse
import dataclasses
import os
import stat
from collections.abc import Callable, Iterable, Mapping

from leakguard.model import Finding, ScanResult
from leakguard.ruleset import Rule
from leakguard.remediation.advice import Settings, suggest_all
from leakguard.remediation.references import CFN_CANDIDATE_EXTS
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


HEAD_BYTES = 65536


def file_heads(root: str) -> Callable[[Finding], str | None]:
    """The start of each finding's file on disk (for file types known by
    content), read once per path: only regular files, opened without blocking
    (a FIFO or device in a hostile tree is never read), only for extensions
    whose type the content decides."""
    cache: dict[str, str | None] = {}

    def head(f: Finding) -> str | None:
        if f.origin.kind != "file" or not f.path.lower().endswith(CFN_CANDIDATE_EXTS):
            return None
        if f.path not in cache:
            cache[f.path] = _read_head(os.path.join(root, f.path))
        return cache[f.path]

    return head


def _read_head(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def attach(result: ScanResult, settings: Settings, hints: Mapping[str, Mapping[str, str]],
           heads: Callable[[Finding], str | None] | None = None) -> ScanResult:
    rems = suggest_all(result.findings, lambda rid: hints.get(rid, {}), settings, heads)
    result.findings = [dataclasses.replace(f, remediation=r) for f, r in zip(result.findings, rems)]
    return result


def attach_from_args(result: ScanResult, args: argparse.Namespace, root: str) -> ScanResult:
    if not getattr(args, "remediation", True):
        return result
    return attach(result, settings_from_args(args, root), rule_hints(getattr(args, "rule_metadata", ())), file_heads(root))
