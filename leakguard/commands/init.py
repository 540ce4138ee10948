"""`leakguard init [DIR]`: write a commented starter ``.leakguard.toml``."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from leakguard.config import CONFIG_NAME
from leakguard.errors import UsageError

STARTER = """\
# leakguard configuration (https://github.com/leakguard/leakguard, docs/config.md).
# Found from the scanned directory upward to the repository root; `--config FILE`
# is applied last and `--no-repo-config` ignores this file (use it in CI jobs
# that must not be weakened by a pull request). Unknown keys are errors.

# Fail the build only for findings at or above this severity: low | medium | high | critical.
# fail_on = "low"

# Report only findings at or above this confidence: low | medium | high (docs/confidence.md).
# "low" adds weak passwords such as pass123; "high" keeps provider formats and credential files.
# min_confidence = "medium"

# Exit code when findings fail the build (default 1; 2, 3, 4, 5 and 130 are reserved).
# exit_code = 1

# Skip files larger than this (bytes, or "500KB", "5MB"; 0 = no limit).
# max_file_size = "5MB"

# Baseline of accepted findings, relative to this file (see `leakguard baseline`).
# baseline = ".leakguard-baseline.json"

[rules]
# Extra rule files or directories, relative to this file.
# paths = ["tools/leakguard-rules/"]
# Use the built-in rules (default true).
# default = true
# Scan with only these rule ids / skip these rule ids (`leakguard rules list`).
# enable = []
# disable = []

[rules.severity]
# Override a rule's severity: "<rule id>" = "low" | "medium" | "high" | "critical".
# "generic-secret-unquoted" = "medium"

[allowlist]
# Findings matching any of these are not reported.
# Path globs relative to this file (gitignore style: `**` spans directories,
# a pattern without `/` matches a file name anywhere). Prefer narrow globs.
# paths = ["tests/fixtures/**", "docs/examples/*.env"]
# Regexes on the secret value, and on the whole line.
# secrets = ["^sk_test_"]
# lines = ["EXAMPLE_ONLY"]
# Words that, inside a secret, mark it as a placeholder (case-insensitive, 3+ chars).
# stopwords = ["dummy", "notreal"]
# Specific secrets by sha256 of the secret value: printf %s "$VALUE" | sha256sum
# (a finding's `secret_hash` from the JSON report works too).
# hashes = []

[remediation]
# How to store secrets in AWS: "features" (Secrets Manager: rotation, cross-account)
# or "cost" (SSM Parameter Store SecureString where it fits).
# prefer = "features"
# Name template for the created secrets: the placeholders are {project} (the
# repository directory name), {env} (from the path, e.g. .env.production; empty
# when not evident) and {key} (the variable or key path, e.g. database-password).
# name_template = "{project}/{env}/{key}"
"""


def register(sub: Any) -> None:
    p = sub.add_parser("init", help=f"write a commented starter {CONFIG_NAME}",
                       description=f"Write a commented starter {CONFIG_NAME} into DIR (default: .).")
    p.add_argument("directory", nargs="?", default=".", metavar="DIR")
    p.add_argument("--force", action="store_true", help=f"overwrite an existing {CONFIG_NAME}")
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.directory):
        raise UsageError(f"{args.directory}: not a directory")
    target = os.path.join(args.directory, CONFIG_NAME)
    if os.path.exists(target) and not args.force:
        raise UsageError(f"{target}: already exists (use --force to overwrite)")
    from leakguard.commands._common import write_atomic

    write_atomic(target, STARTER)
    from leakguard.termsafe import safe

    print(f"leakguard: wrote {safe(target)}", file=sys.stderr)
    return 0
