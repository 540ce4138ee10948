"""`leakguard rules check|list`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from leakguard.ruleset import load_ruleset
from leakguard.termsafe import safe


def register(sub: Any) -> None:
    p = sub.add_parser("rules", help="list rules or check rule files",
                       description="Check rule files: schema, unique ids, patterns, and every example run through the real engine.")
    rs = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    c = rs.add_parser("check", help="validate rule files and run their examples")
    c.add_argument("paths", nargs="*", metavar="FILE", help="rule files or directories (default: the built-in rules)")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    c.set_defaults(func=cmd_check)
    ls = rs.add_parser("list", help="list the rules")
    ls.add_argument("--rules", action="append", default=[], metavar="PATH")
    ls.set_defaults(func=cmd_list)


def cmd_check(args: argparse.Namespace) -> int:
    ruleset = load_ruleset([Path(p) for p in args.paths], include_default=not args.paths)
    from leakguard.rulecheck import check_ruleset  # only for this command (start-up of the others)

    problems = check_ruleset(ruleset)
    for prob in problems:
        print(safe(prob), file=sys.stderr)
    errors = sum(1 for p in problems if p.level == "error" or args.strict)
    warnings = len(problems) - sum(1 for p in problems if p.level == "error")
    print(f"{len(ruleset)} rules checked: {errors} errors, {warnings} warnings")
    return 1 if errors else 0


def cmd_list(args: argparse.Namespace) -> int:
    ruleset = load_ruleset([Path(p) for p in args.rules])
    for r in ruleset.rules:
        print(f"{safe(r.id):45} {r.severity:8} {safe(r.description)}")
    print(f"{len(ruleset)} rules")
    return 0
