"""`leakguard baseline create|update|prune|audit [PATH]`: the accepted-findings file.

create  scan PATH and write every finding (refuses to overwrite without --force)
update  scan PATH and add new findings; existing entries and labels stay
prune   scan PATH and drop entries that are no longer found
audit   label each entry true-positive / false-positive / accepted (with a reason)

The file is ``PATH/.leakguard-baseline.json`` unless ``--baseline FILE`` or the
config's ``baseline`` key says otherwise. Entry paths in the baseline are
relative to the top of the repository holding it (else to its own directory),
so it matches from wherever the next scan runs (leakguard/baseline.py).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from leakguard import baseline as bl
from leakguard.commands._common import (JOBS_HELP, SKIP_UNREADABLE_HELP, add_engine_args, build_engine, compile_notice,
                                        excluded_path, parse_jobs, parse_size, progress_display, repo_config_effect,
                                        rescans_for_paths,
                                        require_scanned, scan_base, settings_for)
from leakguard.config import apply_allowlists
from leakguard.errors import UsageError
from leakguard.confidence import apply_min_confidence
from leakguard.model import CONFIDENCES, Finding
from leakguard.redact import snippet
from leakguard.scan import ScanOptions, scan_paths
from leakguard.termsafe import safe

_CHOICES = {"t": "true-positive", "f": "false-positive", "a": "accepted"}


def register(sub: Any) -> None:
    p = sub.add_parser("baseline", help="create, update, prune or audit the baseline of accepted findings",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("create", "scan PATH and write a new baseline"),
                       ("update", "scan PATH and add new findings (labels are kept)"),
                       ("prune", "scan PATH and drop entries no longer found"),
                       ("audit", "label each entry interactively (true secret, false positive, accepted)")):
        a = actions.add_parser(name, help=text, description=text)
        a.add_argument("path", nargs="?", default=".", metavar="PATH", help="directory to scan (default: .)")
        a.add_argument("-b", "--baseline", metavar="FILE",
                       help=f"baseline file (default: PATH/{bl.DEFAULT_NAME}, or the config's 'baseline')")
        if name == "create":
            a.add_argument("--force", action="store_true", help="overwrite an existing baseline")
        if name == "audit":
            a.add_argument("--all", action="store_true", help="also revisit entries that already have a label")
            a.add_argument("--no-scan", action="store_true", help="do not rescan PATH to show where each entry is")
        a.add_argument("--all-files", action="store_true", help="also scan files that .gitignore excludes")
        a.add_argument("--skip-unreadable", action="store_true", help=SKIP_UNREADABLE_HELP)
        a.add_argument("--max-file-size", type=parse_size, default=None, metavar="SIZE", help="skip larger files")
        a.add_argument("-j", "--jobs", type=parse_jobs, default=0, metavar="N", help=JOBS_HELP)
        a.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
        a.add_argument("--min-confidence", choices=CONFIDENCES, default=None,
                       help="baseline only findings at or above this confidence (default: config, else medium)")
        add_engine_args(a)
        a.set_defaults(func=cmd_baseline)


def _target(args: argparse.Namespace) -> str:
    if args.baseline:
        return str(args.baseline)
    configured = settings_for(args).baseline
    if configured:
        return configured
    base = args.path if os.path.isdir(args.path) else os.path.dirname(args.path) or "."
    return os.path.join(base, bl.DEFAULT_NAME)


def _scan(args: argparse.Namespace) -> list[Finding]:
    engine = build_engine(args, backend="lazy")  # scan_paths compiles the database for big trees, as a step
    with progress_display(args, "scanning") as progress:
        opts = ScanOptions(jobs=args.jobs, max_file_size=args.max_file_size, all_files=args.all_files,
                           exclude=excluded_path(args), compiling=compile_notice(progress))
        scanned = scan_paths(engine, [args.path], opts, progress)
    require_scanned(scanned, args, [args.path])
    rescans_for_paths(args, [args.path], scanned, engine)
    before = list(scanned.findings)
    result = apply_min_confidence(scanned, args.min_confidence)
    result = apply_allowlists(result, settings_for(args), scan_base(args))
    # a baseline built under a repository config that hides findings must say so, as scan does
    hidden = repo_config_effect(before, result.findings, args, gate=False)
    if hidden:
        print(f"leakguard: warning: {safe(hidden)}", file=sys.stderr)
    return result.findings


def cmd_baseline(args: argparse.Namespace) -> int:
    args.paths = [args.path]  # where config discovery starts
    for w in settings_for(args).warnings:
        print(f"leakguard: warning: {safe(w)}", file=sys.stderr)
    target = _target(args)
    args.baseline = target  # the file in use: the one scan that skips it
    if args.action == "audit":
        return audit(args, target)
    # Scan first (the long part), then re-read and write under the lock: runs that
    # overlap merge into the file as it is when each one saves, so none loses entries.
    if args.action == "create":
        if os.path.exists(target) and not args.force:
            raise UsageError(f"{target}: baseline exists; use 'leakguard baseline update' or --force")
        found = _scan(args)
        with bl.locked(target):
            if os.path.exists(target) and not args.force:
                raise UsageError(f"{target}: baseline was created meanwhile; use 'leakguard baseline update'")
            new = bl.from_findings(found, root=scan_base(args), source=target)
            bl.save(target, new)
        print(f"leakguard: wrote {len(new)} entries to {safe(target)}", file=sys.stderr)
    elif args.action == "update":
        bl.load(target)  # a missing or malformed baseline fails before the scan
        found = _scan(args)
        with bl.locked(target):
            old = bl.load(target)
            new = bl.update(old, found, root=scan_base(args), source=target)
            bl.save(target, new)
        print(f"leakguard: {safe(target)}: {len(new) - len(old)} new, {len(new)} entries", file=sys.stderr)
    else:
        bl.load(target)
        found = _scan(args)
        with bl.locked(target):
            old = bl.load(target)
            new, gone = bl.prune(old, found, root=scan_base(args), source=target)
            bl.save(target, new)
        print(f"leakguard: {safe(target)}: pruned {gone}, {len(new)} entries left", file=sys.stderr)
    return 0


def audit(args: argparse.Namespace, target: str) -> int:
    """Interactive triage; the baseline is saved after every answer."""
    from rich.console import Console
    from rich.prompt import Prompt

    from leakguard.termsafe import safe_markup as escape  # control characters and markup, both escaped

    current = bl.load(target)
    where = {} if args.no_scan else bl.locate(current, _scan(args), root=scan_base(args), source=target)
    todo = [e for e in current.entries if args.all or e.status is None]
    console = Console(highlight=False)
    if not todo:
        console.print(f"Nothing to audit in {escape(target)} ({len(current)} entries, all labelled).")
        return 0
    console.print(f"Auditing {len(todo)} of {len(current)} entries in {escape(target)}. "
                  "t = true secret, f = false positive, a = accepted (with a reason), s = skip, q = quit")
    done = 0
    for i, entry in enumerate(todo, 1):
        console.print()
        console.print(f"[bold]\\[{i}/{len(todo)}] {escape(entry.rule_id)}[/]  {escape(entry.path)}  "
                      f"[magenta]{escape(entry.secret)}[/]" + (f"  (now: {escape(entry.status)})" if entry.status else ""))
        f = where.get(entry.fingerprint)
        if f is not None:
            console.print(f"  line {f.location.line}: [dim]{escape(snippet(f.line_text, f.secret, width=200).strip())}[/]")
        elif not args.no_scan:
            console.print("  [yellow]no longer found[/] ('leakguard baseline prune' removes it)")
        try:
            choice = Prompt.ask("  label", choices=["t", "f", "a", "s", "q"], console=console)
            if choice == "q":
                break
            if choice == "s":
                continue
            reason = Prompt.ask("  reason" + (" (required)" if choice == "a" else " (optional)"),
                                default="", show_default=False, console=console).strip()
            while choice == "a" and not reason:
                reason = Prompt.ask("  an accepted entry needs a reason", console=console).strip()
        except EOFError:
            break
        with bl.locked(target):  # label the file as it is now (another run may have added entries)
            current = bl.label(bl.load(target), entry.fingerprint, _CHOICES[choice], reason or None)
            bl.save(target, current)
        done += 1
    c = bl.counts(current)
    console.print()
    console.print(f"Labelled {done}. {escape(target)}: " + ", ".join(f"{n} {k}" for k, n in c.items()))
    return 0
