"""`leakguard migrate [PATH]`: a migration plan (Markdown or JSON) and, with
``--apply``, its execution: secrets created with boto3, literals rewritten.

``--apply`` alone is a dry run (what would be created, and a unified diff);
``--apply --yes`` does it. Exit: 0 done (or plan written), 1 something left
(a conflict, an AWS error, a place to edit by hand), 2 usage/setup error.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import TYPE_CHECKING, Any

from leakguard.commands._common import JOBS_HELP, compile_notice, step, SKIP_UNREADABLE_HELP, require_scanned, _link_template, add_engine_args, parse_jobs, add_verify_args, build_engine, parse_size, postprocess, progress_display, rescans_for_paths, scan_base, write_atomic
from leakguard.errors import UsageError
from leakguard.model import CONFIDENCES, ScanResult
from leakguard.termsafe import safe, safe_lines
from leakguard.scan import ScanOptions, scan_paths
from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE

if TYPE_CHECKING:  # imported where used: other commands' start-up does not pay for the planner
    from leakguard.remediation.plan import Plan


def register(sub: Any) -> None:
    p = sub.add_parser("migrate", help="plan (and with --apply, do) the move of found secrets into AWS",
                       description="Scan PATH and write a migration plan: one entry per distinct secret, its "
                                   "Secrets Manager / Parameter Store target and name, the reference for each place, "
                                   "safe creation commands and the rotate-first step. No secret value is ever written.")
    p.add_argument("path", nargs="?", default=".", metavar="PATH", help="directory or file to scan (default: .)")
    p.add_argument("--git", action="store_true", help="plan for the git history (leakguard git) instead of the files")
    p.add_argument("--all-files", action="store_true", help="also scan files that .gitignore excludes")
    p.add_argument("--skip-unreadable", action="store_true", help=SKIP_UNREADABLE_HELP)
    p.add_argument("--max-file-size", type=parse_size, default=DEFAULT_MAX_FILE_SIZE, metavar="SIZE", help="skip larger files (default: 5MB)")
    add_engine_args(p)
    add_verify_args(p)
    o = p.add_argument_group("plan")
    o.add_argument("-f", "--format", choices=("markdown", "json", "html"), default="markdown",
                   help="plan format (default: markdown; html: the audit report, each secret with its plan entry)")
    o.add_argument("-o", "--output", metavar="FILE", help="write the plan to FILE instead of stdout")
    o.add_argument("--link-template", type=_link_template, default=None, metavar="URL",
                   help="html: link each location to the code host (see `leakguard scan --help`)")
    o.add_argument("--prefer", choices=("features", "cost"), default="features",
                   help="where both fit: Secrets Manager (features, default) or Parameter Store SecureString (cost)")
    o.add_argument("--name-template", metavar="T", type=_name_template, help="secret name template (default: {project}/{env}/{key})")
    o.add_argument("--project", metavar="NAME", help="project part of names (default: the repository directory name)")
    o.add_argument("--env", metavar="NAME", help="environment part of names (default: from the path, e.g. .env.production)")
    o.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
    o.add_argument("-j", "--jobs", type=parse_jobs, default=0, metavar="N", help=JOBS_HELP)
    o.add_argument("--min-confidence", choices=CONFIDENCES, default=None,
                   help="plan only for findings at or above this confidence (default: config, else medium)")
    a = p.add_argument_group("apply")
    a.add_argument("--apply", action="store_true", help="carry the plan out (a dry run with a diff unless --yes)")
    a.add_argument("--yes", action="store_true", help="with --apply: really create the secrets and rewrite the files")
    a.add_argument("--allow-dirty", action="store_true", help="rewrite files even if the git work tree has uncommitted changes")
    a.add_argument("--region", help="AWS region (default: the SDK's, e.g. AWS_REGION)")
    a.add_argument("--profile", help="AWS profile")
    a.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint (e.g. a local test endpoint)")
    a.add_argument("--tag", action="append", default=[], metavar="K=V", help="tag for created secrets (repeatable)")
    a.add_argument("--kms-key-id", metavar="KEY", help="customer managed KMS key (default: the AWS managed key)")
    p.set_defaults(func=cmd_migrate, fail_on="low", exit_code=None, baseline=None, remediation=False,
                   reveal=False, paths=None)


def _name_template(text: str) -> str:
    from leakguard.config import name_template_problem

    problem = name_template_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def _scan(args: argparse.Namespace) -> tuple[ScanResult, str]:
    if not os.path.exists(args.path):
        raise UsageError(f"{args.path}: no such file or directory")
    args.paths = [args.path]
    root = scan_base(args)
    if args.git:  # a history scan wants the full database: a first run compiles it now (a step)
        with step(args, "compiling rules…"):
            engine = build_engine(args)
    else:
        engine = build_engine(args, backend="lazy")  # scan_paths compiles it for big trees, as a step
    if args.git:
        try:
            from leakguard.commands import git as git_cmd
            from leakguard.sources import git as git_src, history
        except ImportError:
            raise UsageError("--git needs the git history source, which this build does not have") from None
        repo = git_src.open_repo(args.path)
        args.no_cache = True
        revs = history.rev_args(repo, branch=None, since_commit=None, rev_range=None)
        result = git_cmd._scan(engine, repo, history.enumerate_history(repo, revs), args)
        return postprocess(result, args), root
    with progress_display(args, "scanning") as progress:
        opts = ScanOptions(jobs=args.jobs, max_file_size=args.max_file_size, all_files=args.all_files,
                           compiling=compile_notice(progress))
        result = scan_paths(engine, [args.path], opts, progress)
    require_scanned(result, args, [args.path])
    rescans_for_paths(args, [args.path], result, engine)
    return postprocess(result, args), root


def cmd_migrate(args: argparse.Namespace) -> int:
    from leakguard.remediation.attach import rule_hints, settings_from_args
    from leakguard.remediation.plan import build_plan

    if args.yes and not args.apply:
        raise UsageError("--yes only makes sense with --apply")
    tags = _tags(args.tag)
    if args.apply and args.yes:
        from leakguard.remediation.apply import AwsOptions, connect

        opts = AwsOptions(args.region, args.profile, args.endpoint_url, tags, args.kms_key_id)
        clients = connect(opts)  # no boto3 / credentials / region: one line, exit 2, nothing changed
    if args.apply and args.yes:
        _remove_stray_temp_files(args.path)
    result, root = _scan(args)
    try:
        settings = settings_from_args(args, root)
        hints = rule_hints(getattr(args, "rule_metadata", ()))
        from leakguard.remediation.attach import file_heads

        plan = build_plan([f for f in result.findings if f.status is None],
                          lambda rid: hints.get(rid, {}), settings, result.stats.managed_references, file_heads(root))
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not args.apply:
        if args.format == "html":
            _write_html(plan, result, args)
            return 0
        _write_plan(plan, args)
        return 0
    if args.git:
        raise UsageError("--apply rewrites the work tree: run it without --git (history needs rotation, not rewriting)")
    from leakguard.remediation.rewrite import dirty_paths, plan_changes, unified_diff

    if not args.yes:
        return _dry_run(plan, root, plan_changes, unified_diff)
    dirty = dirty_paths(root)
    if dirty and not args.allow_dirty:
        raise UsageError(f"the git work tree has uncommitted changes ({dirty[0]}{' …' if len(dirty) > 1 else ''}): "
                         "commit or stash them, or pass --allow-dirty")
    return _apply(plan, root, clients, opts)


def _remove_stray_temp_files(path: str) -> None:
    """A run killed while rewriting leaves its temp files (``.NAME.XXXX.leakguard.tmp``) behind:
    remove them before this run scans and rewrites."""
    from leakguard.fsio import TEMP_SUFFIX
    from leakguard.sources.files import Entry, iter_entries

    if not os.path.isdir(path):
        return
    removed = []
    for item in iter_entries([path], all_files=True):
        if isinstance(item, Entry):
            name = os.path.basename(item.abspath)
            if name.startswith(".") and name.endswith(TEMP_SUFFIX) and os.path.isfile(item.abspath):
                try:
                    os.unlink(item.abspath)
                    removed.append(item.relpath)
                except OSError as e:
                    sys.stderr.write(f"leakguard: warning: cannot remove stray temp file {item.relpath}: "
                                     f"{e.strerror or e}\n")
    if removed:
        sys.stdout.write(f"removed {len(removed)} temp file{'s' if len(removed) != 1 else ''} left by an interrupted "
                         f"run: {', '.join(removed[:5])}{' …' if len(removed) > 5 else ''}\n")


def _tags(items: list[str]) -> tuple[tuple[str, str], ...]:
    from leakguard.remediation.apply import parse_tag

    return tuple(parse_tag(t) for t in items)


def _write_html(plan: Plan, result: ScanResult, args: argparse.Namespace) -> None:
    """The HTML audit report, each finding carrying its plan entry's remediation
    (so the report and the plan name every secret the same way)."""
    import dataclasses
    import io

    from leakguard.commands._common import report_scope
    from leakguard.reporters.html import write as write_html

    by_secret = {e.secret: e for e in plan.entries}
    result.findings = [dataclasses.replace(f, remediation=by_secret[f.secret].remediation) if f.secret in by_secret else f
                       for f in result.findings if f.status is None]
    buf = io.StringIO()
    write_html(result, buf, rules=getattr(args, "rule_metadata", ()), scope=report_scope(args),
               link_template=getattr(args, "link_template", None))
    if args.output:
        write_atomic(args.output, buf.getvalue())
    else:
        sys.stdout.write(buf.getvalue())


def _write_plan(plan: Plan, args: argparse.Namespace) -> None:
    from leakguard.remediation.plan import plan_to_dict, render_markdown

    import json

    text = json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n" if args.format == "json" else render_markdown(plan)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)


def _dry_run(plan: Plan, root: str, plan_changes: Any, unified_diff: Any) -> int:
    out = sys.stdout
    for e in plan.entries:
        if e.remediation.action == "store":
            kind = "secret" if e.service == "secretsmanager" else "SecureString parameter"
            out.write(f"would create {kind} {safe(e.name)} (unless it already exists with the same value)\n")
    changes, skips = plan_changes(root, plan.entries)
    secrets = [e.secret for e in plan.entries]
    for c in changes:
        out.write(safe_lines(unified_diff(c, secrets)))
    _report_skips(skips)
    out.write("dry run: nothing was changed; rerun with --apply --yes to do it\n")
    return 0


def _report_skips(skips: list[Any]) -> None:
    for s in skips:
        sys.stdout.write(safe(f"left untouched: {s.place.path}:{s.place.line} ({s.entry.name or 'no stored secret'}): {s.reason}") + "\n")


def _apply(plan: Plan, root: str, clients: tuple[Any, Any], opts: Any) -> int:
    from leakguard.remediation.apply import store_all
    from leakguard.remediation.rewrite import plan_changes, write_atomic as write_file

    dead = [e for e in plan.entries if e.verification is not None and e.verification.status == "inactive"]
    outcomes = store_all([e for e in plan.entries if e not in dead], clients[0], clients[1], opts)
    stored = [o.entry for o in outcomes if o.stored]
    problems = 0
    for o in outcomes:
        if o.status == "skipped":
            continue
        sys.stdout.write(safe(f"{o.status}: {o.entry.name}: {o.detail}") + "\n")
        problems += o.status in ("conflict", "error")
    changes, skips = plan_changes(root, stored)
    for c in changes:
        full = os.path.join(root, c.path)
        try:
            mode = os.stat(full).st_mode
            if not mode & 0o222:  # root could write it anyway: a read-only file says "do not touch"
                sys.stdout.write(f"conflict: {safe(c.path)}: read-only (mode {stat.S_IMODE(mode):04o}): not rewritten; "
                                 "make it writable and rerun\n")
                problems += 1
                continue
            write_file(full, c.new)
        except OSError as err:  # immutable (chattr +i), read-only file system, full disk ...: go on
            sys.stdout.write(f"conflict: {safe(c.path)}: cannot rewrite ({err.strerror or err}): not rewritten; "
                             "the secret is stored, replace the literal by hand\n")
            problems += 1
            continue
        sys.stdout.write(f"rewrote {safe(c.path)} ({len(c.done)} place{'s' if len(c.done) != 1 else ''})\n")
    _report_skips(skips)
    for e in plan.entries:
        if e.remediation.action != "store":
            for p in e.places:
                sys.stdout.write(safe(f"left untouched: {p.path}:{p.line}: {e.remediation.action}: remove it by hand ({e.remediation.rotate_first})") + "\n")
                problems += 1
    for e in dead:
        for p in e.places:
            sys.stdout.write(f"left untouched: {p.path}:{p.line}: {e.verdict} ({e.verification.summary() if e.verification else ''})\n")
            problems += 1
    not_stored = [e for e in plan.entries if e not in stored and e not in dead and e.remediation.action == "store"]
    for e in not_stored:
        sys.stdout.write(safe(f"not rewritten: {', '.join(p.path for p in e.places)} ({e.name} was not stored)") + "\n")
    left = problems + len(skips) + len(not_stored)
    sys.stdout.write("next: rotate every migrated secret at its source (see the plan's 'first' steps)\n")
    return 1 if left else 0
