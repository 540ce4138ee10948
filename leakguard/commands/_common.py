"""Options and output shared by the commands that scan (scan, git)."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from leakguard.config import Settings, apply_allowlists, check_exit_code, load_settings, size_in_bytes
from leakguard.engine import Engine
from leakguard.errors import ConfigError, SourceError, UsageError
from leakguard.confidence import DEFAULT_MIN_CONFIDENCE, apply_min_confidence, at_least
from leakguard.model import CONFIDENCES, SEVERITIES, Finding, ScanResult, severity_rank
from leakguard.fsio import write_file
from leakguard.redact import policy as redact_policy
from leakguard.reporters import REPORTERS
from leakguard.ruleset import Rule, Ruleset, load_ruleset
from leakguard.scan import Progress
from leakguard.termsafe import safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress, ProgressColumn, TaskID


def parse_size(text: str) -> int:
    try:
        n = size_in_bytes(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 5MB, 500KB, 0 for no limit)") from None
    if n < 0:
        raise argparse.ArgumentTypeError("size must not be negative")
    return n


def parse_jobs(text: str) -> int:
    """-j N: a whole number from 1; more than MAX_JOBS_PER_CORE per core is capped at that."""
    from leakguard.scan import max_jobs

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of worker processes: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n}); leave it out to use every core")
    return min(n, max_jobs())


JOBS_HELP = "worker processes (default: all cores; at most 4 per core)"


def parse_shown(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of characters: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("the number of characters shown must not be negative")
    return n


def add_engine_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rules")
    g.add_argument("--rules", action="append", default=[], metavar="PATH",
                   help="extra rule file or directory (repeatable)")
    g.add_argument("--no-default-rules", action="store_true", help="use only the --rules given")
    g.add_argument("--enable-rule", action="append", default=[], metavar="ID", help="scan with only these rules (repeatable)")
    g.add_argument("--disable-rule", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")
    g.add_argument("--decode", action=argparse.BooleanOptionalAction, default=True,
                   help="also scan inside base64, hex and percent-encoded text (default: on)")
    c = p.add_argument_group("configuration")
    c.add_argument("--config", metavar="FILE", help="config file applied after (and over) the discovered ones")
    c.add_argument("--no-repo-config", action="store_true",
                   help="ignore .leakguard.toml / [tool.leakguard] found in the scanned repository (CI safety)")


def _link_template(text: str) -> str:
    from leakguard.reporters.html import check_link_template

    try:
        return check_link_template(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def report_scope(args: argparse.Namespace) -> dict[str, str]:
    """What a scan covered, for reports that say so (html)."""
    command = getattr(args, "command", "") or ""
    target = getattr(args, "repo", None) if command == "git" else None
    if target is None:
        paths = getattr(args, "paths", None) or [getattr(args, "path", ".")]
        target = " ".join(str(p) for p in paths)
    refs = ""
    if command == "git":
        refs = (getattr(args, "rev_range", None) or getattr(args, "branch", None)
                or ("commits being pushed" if getattr(args, "pre_push", False) else "all refs"))
        if getattr(args, "since_commit", None):
            refs += f" since {args.since_commit}"
    return {"target": os.path.abspath(target) if target not in ("-", "") and os.path.exists(target) else target,
            "command": f"leakguard {command}".strip(), "refs": refs}


def add_output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-f", "--format", default="terminal", choices=sorted(REPORTERS), help="report format (default: terminal)")
    g.add_argument("-o", "--output", metavar="FILE",
                   help="write the report to FILE instead of stdout (- is stdout; a regular file is replaced "
                        "atomically, a device, FIFO or symlink is written through)")
    red = g.add_mutually_exclusive_group()
    red.add_argument("--no-redact", "--reveal", dest="reveal", action="store_true",
                     help="show secrets in clear (default: redacted everywhere)")
    red.add_argument("--redact", dest="redact", type=parse_shown, nargs="?", const=0, default=None, metavar="N",
                     help="show N leading characters of each secret (never more than half of it; "
                          "--redact alone: none); default: 4 of long tokens, 2 of mid-length, none of short ones")
    g.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
    g.add_argument("--link-template", type=_link_template, default=None, metavar="URL",
                   help="html: link each location to the code host, e.g. "
                        "https://github.com/ORG/REPO/blob/{commit}/{path}#L{line} ({commit} is HEAD for files)")
    g.add_argument("--summary", action="store_true",
                   help="terminal format: only one line per secret and the counts (no remediation details)")
    g.add_argument("--fail-on", choices=SEVERITIES, default=None,
                   help="exit 1 only for findings at or above this severity (default: config, else low)")
    g.add_argument("--min-confidence", choices=CONFIDENCES, default=None,
                   help="report only findings at or above this confidence "
                        f"(default: config, else {DEFAULT_MIN_CONFIDENCE}; see docs/confidence.md)")
    g.add_argument("--exit-code", type=int, default=None, metavar="N",
                   help="exit code when findings fail the gate (default: config, else 1)")
    g.add_argument("--baseline", metavar="FILE", help="report only findings not in this baseline file")
    g.add_argument("--show-baselined", action="store_true",
                   help="also report baselined findings, labelled with their status (they never fail the gate)")
    g.add_argument("-j", "--jobs", type=parse_jobs, default=0, metavar="N", help=JOBS_HELP)
    r = p.add_argument_group("remediation")
    r.add_argument("--remediation", action=argparse.BooleanOptionalAction, default=True,
                   help="say where each secret belongs in AWS and what replaces it (default: on)")
    r.add_argument("--prefer", choices=("features", "cost"), default=None,
                   help="where both fit: Secrets Manager (features, default) or Parameter Store (cost); "
                        "default: the config's remediation.prefer, else features")


EXIT_ACTIVE = 4  # --fail-on-active: a verified, still working secret was found


def _statuses(text: str) -> tuple[str, ...]:
    from leakguard.verify.run import STATUSES

    items = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in items if x not in STATUSES]
    if not items or bad:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(STATUSES)}")
    return items


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0 <= v <= 86_400:
        raise argparse.ArgumentTypeError(f"not a number of seconds from 0 to 86400: {text!r}")
    return v


def add_verify_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("verification (asks each provider; off by default)")
    g.add_argument("--verify", action="store_true",
                   help="ask each provider whether every distinct secret still works (active / inactive / unknown); "
                        "the secret is sent only to the provider host written in its rule")
    g.add_argument("--only-verified", action="store_true", help="with --verify: report only active secrets")
    g.add_argument("--verification", type=_statuses, default=None, metavar="LIST",
                   help="with --verify: report only these statuses, e.g. active,unknown")
    g.add_argument("--fail-on-active", action="store_true",
                   help=f"with --verify: exit {EXIT_ACTIVE} when an active secret is found")
    g.add_argument("--verify-connections", action="store_true",
                   help="with --verify: also log in to the host a connection string names (PostgreSQL, MySQL, Redis, "
                        "HTTP basic auth) with its password, then disconnect; sends secrets to hosts taken from the "
                        "scanned files, so it is never implied (see docs/verification.md)")
    g.add_argument("--verify-timeout", type=_seconds, default=10.0, metavar="S", help="per request (default: 10)")
    g.add_argument("--verify-cache-ttl", type=_seconds, default=900.0, metavar="S",
                   help="keep active/inactive answers this long, by hash only (default: 900; 0: no cache)")


def verify_step(result: ScanResult, args: argparse.Namespace) -> ScanResult:
    """With --verify: each distinct secret checked once; the status filters applied."""
    wants = bool(getattr(args, "only_verified", False) or getattr(args, "verification", None)
                 or getattr(args, "fail_on_active", False) or getattr(args, "verify_connections", False))
    if not getattr(args, "verify", False):
        if wants:
            raise UsageError("--only-verified, --verification, --fail-on-active and --verify-connections need --verify")
        return result
    from leakguard.verify.http import loopback_redirect
    from leakguard.verify.run import VerifyOptions, select, verify_findings

    try:
        loopback_redirect()
    except ValueError as e:
        raise UsageError(str(e)) from None

    # rules a config file added: their verifiers are never used (build_engine has read their files)
    untrusted: frozenset[str] | None = getattr(args, "config_rule_ids", None)
    if untrusted is None:
        untrusted = frozenset(config_rule_ids(args))
    rules = {r.id: r for r in getattr(args, "rule_metadata", ()) if r.id not in untrusted}
    opts = VerifyOptions(timeout=args.verify_timeout, cache_ttl=args.verify_cache_ttl,
                         connections=bool(getattr(args, "verify_connections", False)))
    with progress_display(args, "verifying") as progress:
        result.findings = verify_findings(result.findings, rules, opts, progress, announce=sys.stderr.write)
    statuses = ("active",) if args.only_verified else args.verification
    if statuses:
        result.findings = select(result.findings, statuses)
    return result


def config_rule_ids(args: argparse.Namespace) -> set[str]:
    """Ids of rules that came from rule files a config file named (not the
    built-in pack, not the command line's --rules). A repository's config
    must never decide where a secret is sent, so their ``verify:`` is ignored."""
    from leakguard.ruleset import load_file, rule_files

    cli = {os.path.abspath(p) for p in getattr(args, "rules", ())}
    files = [p for p in settings_for(args).rule_paths if os.path.abspath(p) not in cli]
    return {r.id for f in rule_files([Path(p) for p in files]) for r in load_file(f)}


def scan_base(args: argparse.Namespace) -> str:
    """The directory finding paths are relative to: the repository (``leakguard
    git``), else the top of the work tree holding the targets, else the cwd."""
    root: str | None = getattr(args, "root", None)
    if root:
        return root
    from leakguard.sources.files import report_root

    return report_root([p for p in getattr(args, "paths", None) or [] if p != "-"])


def config_base(args: argparse.Namespace) -> str:
    """Where config discovery starts (a single directory target, else the cwd)."""
    root: str | None = getattr(args, "root", None)
    if root:
        return root
    paths: list[str] = [p for p in getattr(args, "paths", None) or [] if p != "-"]
    if len(paths) == 1 and os.path.isdir(paths[0]):
        return os.path.abspath(paths[0])
    return os.getcwd()


def settings_for(args: argparse.Namespace) -> Settings:
    """Load the config once per invocation, keep it on ``args.settings`` and
    resolve fail_on / exit_code / max_file_size (command line > config > default)."""
    settings: Settings | None = getattr(args, "settings", None)
    if settings is not None:
        return settings
    settings = load_settings(config_base(args), config_file=getattr(args, "config", None),
                             repo_config=not getattr(args, "no_repo_config", False))
    args.settings = settings
    # what a run without the repository's config would use, to judge what that config hides
    args.cli_gate = (getattr(args, "fail_on", None), getattr(args, "exit_code", None),
                     getattr(args, "min_confidence", None))
    args.user_settings = None
    if not getattr(args, "no_repo_config", False) and len(settings.files) > (1 if getattr(args, "config", None) else 0):
        args.user_settings = load_settings(config_base(args), config_file=getattr(args, "config", None),
                                           repo_config=False)
    if getattr(args, "fail_on", None) is None:
        args.fail_on = settings.fail_on or "low"
    if getattr(args, "min_confidence", None) is None:
        args.min_confidence = settings.min_confidence or DEFAULT_MIN_CONFIDENCE
    if getattr(args, "exit_code", None) is None:
        args.exit_code = settings.exit_code if settings.exit_code is not None else 1
    else:
        try:
            check_exit_code("--exit-code", args.exit_code)
        except ConfigError as e:
            raise UsageError(str(e)) from None
    args.cli_max_file_size = getattr(args, "max_file_size", None)
    if getattr(args, "max_file_size", 0) is None:
        from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE

        args.max_file_size = settings.max_file_size if settings.max_file_size is not None else DEFAULT_MAX_FILE_SIZE
    return settings


def build_engine(args: argparse.Namespace, *, backend: str = "auto") -> Engine:
    st = settings_for(args)
    paths = [Path(p) for p in (*st.rule_paths, *args.rules)]
    ruleset: Ruleset = load_ruleset(paths, include_default=st.default_rules and not args.no_default_rules)
    known, refs = {r.id for r in ruleset.rules}, dict(st.rule_refs)
    for rid in (*st.enable, *st.disable, *dict(st.severity)):
        if rid not in known:
            raise ConfigError(f"{refs.get(rid, 'config')}: unknown rule id {rid!r}")
    enable, disable = [*st.enable, *args.enable_rule], [*st.disable, *args.disable_rule]
    if args.enable_rule:  # the command line's --enable-rule replaces the config's list
        enable = list(args.enable_rule)
    if enable or disable:
        ruleset = ruleset.select(enable=enable, disable=disable)
    user: Settings | None = getattr(args, "user_settings", None)
    if user is not None:  # each rule's severity without the repository's config
        usev = dict(user.severity)
        args.default_severity = {r.id: usev.get(r.id, r.severity) for r in ruleset.rules}
    args.hidden_rules = _hidden_rules(args, st, user, ruleset)
    if st.severity:
        sev = dict(st.severity)
        rules = tuple(dataclasses.replace(r, severity=sev.get(r.id, r.severity)) for r in ruleset.rules)
        digest = hashlib.sha256(f"{ruleset.digest}\0{sorted(sev.items())}".encode()).hexdigest()
        ruleset = Ruleset(rules, digest)
    args.rule_metadata = ruleset.rules  # for reporters that describe rules (SARIF)
    from leakguard.decode import MAX_DEPTH

    demoted = frozenset(config_rule_ids(args)) if st.rule_paths else frozenset()
    args.config_rule_ids = demoted  # verify_step's too: the config's rule files are read once
    return Engine(ruleset, backend=backend, decode_depth=MAX_DEPTH if getattr(args, "decode", True) else 0,
                  demoted=demoted)


def _hidden_rules(args: argparse.Namespace, st: Settings, user: Settings | None,
                  ruleset: Ruleset) -> dict[str, tuple[Rule, str]]:
    """Rules a default run (no repository config) would use and this one does not,
    each with the repository key that turned it off (``rules.enable``,
    ``rules.disable``, ``rules.default``): what they find is counted after the scan
    (:func:`repo_config_effect`), not guessed from the config's text."""
    if user is None or (st.default_rules, st.enable, st.disable) == (user.default_rules, user.enable, user.disable):
        return {}
    try:
        default = load_ruleset([Path(p) for p in (*user.rule_paths, *args.rules)],
                               include_default=user.default_rules and not args.no_default_rules)
        enable = list(args.enable_rule) or [*user.enable]
        if enable or user.disable or args.disable_rule:
            default = default.select(enable=enable, disable=[*user.disable, *args.disable_rule])
    except Exception:  # what your own config and command line select fails to load: nothing to compare
        return {}
    kept = {r.id for r in ruleset.rules}
    repo_disable = set(st.disable) - set(user.disable)
    out: dict[str, tuple[Rule, str]] = {}
    for r in default.rules:
        if r.id in kept:
            continue
        if r.id in repo_disable:
            key = "rules.disable"
        elif st.enable and not args.enable_rule and r.id not in st.enable:
            key = "rules.enable"
        else:
            key = "rules.default = false"
        out[r.id] = (r, key)
    return out


# Commands set these on ``args`` so what the repository's config turned off can be
# measured: ``rescan_rules(engine)`` scans the same targets with another engine,
# ``rescan_large(max_size)`` scans what was skipped as too large under that limit.
# Each returns (findings, the directory their paths are relative to).
Rescan = Callable[..., "tuple[list[Finding], str]"]


def rescans_for_paths(args: argparse.Namespace, targets: Sequence[str], result: ScanResult, engine: Engine) -> None:
    """The rescans of a scan of files and directories (scan, baseline, migrate)."""
    from leakguard.scan import ScanOptions, scan_paths

    base = scan_base(args)

    def rules(other: Engine) -> tuple[list[Finding], str]:
        timeouts = getattr(args, "exclude_timeouts", [])
        try:
            opts = ScanOptions(jobs=args.jobs, max_file_size=args.max_file_size,
                               all_files=getattr(args, "all_files", False), exclude=excluded_path(args))
            return scan_paths(other, targets, opts).findings, base
        finally:
            args.exclude_timeouts = timeouts  # the scan's own, which postprocess reports

    def large(max_size: int) -> tuple[list[Finding], str]:
        files = [os.path.join(base, s.origin.path) for s in result.skipped if s.reason == "too-large"]
        files = [f for f in files if os.path.isfile(f)]
        if not files:
            return [], base
        from leakguard.sources.files import report_root

        opts = ScanOptions(jobs=args.jobs, max_file_size=max_size, all_files=True)
        return scan_paths(engine, files, opts).findings, report_root(files)

    args.rescan_rules, args.rescan_large = rules, large


def _default_max_size(args: argparse.Namespace) -> int | None:
    """The file-size limit of a default run when the repository's config lowers this
    run's (None when it does not)."""
    user: Settings | None = getattr(args, "user_settings", None)
    if user is None or getattr(args, "cli_max_file_size", None) is not None:
        return None
    from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE

    default = user.max_file_size if user.max_file_size is not None else DEFAULT_MAX_FILE_SIZE
    now = getattr(args, "max_file_size", None) or 0
    return default if now and (default == 0 or now < default) else None


def baseline_path(args: argparse.Namespace) -> str | None:
    return getattr(args, "baseline", None) or settings_for(args).baseline


def excluded_path(args: argparse.Namespace) -> Callable[[str], bool]:
    """Files never read: the baseline file in use (no other file of that name),
    and path globs from your own ``--config``. A repository config's path globs
    are applied after the scan, so what they hide can be counted."""
    st = settings_for(args)
    own = baseline_path(args)
    own_real = os.path.realpath(own) if own else None
    globs = [g for g in st.allow_paths if not g.from_repo]
    timeouts: list[str] = []
    args.exclude_timeouts = timeouts  # postprocess() reports them

    def excluded(abspath: str) -> bool:
        if own_real is not None and os.path.realpath(abspath) == own_real:
            return True
        try:
            return any(g.matches(abspath) for g in globs)
        except TimeoutError:  # scan the file rather than skip it unchecked
            timeouts.append(f"{abspath}: config allowlist.paths")
            return False

    return excluded


SKIP_UNREADABLE_HELP = ("report files and directories that cannot be read as skipped and go on "
                        "(default: they are an error, exit 2: a gate must not pass without scanning)")
_NOT_SCANNED = ("unreadable", "decode-error")


def require_scanned(result: ScanResult, args: argparse.Namespace, targets: Sequence[str]) -> None:
    """A gate must never pass without scanning: a file or directory that could not be
    read (and a file named on the command line that vanished) is an error, exit 2,
    unless --skip-unreadable."""
    if getattr(args, "skip_unreadable", False):
        return
    from leakguard.sources.files import _rel, report_root

    base = report_root(targets)
    named = {_rel(t, base) for t in targets if t != "-" and not os.path.isdir(t)}
    bad = [s for s in result.skipped
           if s.reason in _NOT_SCANNED or s.reason == "not-found" and s.origin.path in named]
    if bad:
        s = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise SourceError(f"{s.origin.path}: cannot read ({s.detail or s.reason}): not scanned{more}; "
                          "fix the permissions, or pass --skip-unreadable to report it and go on")


EXIT_INCOMPLETE = 5  # a user-supplied regex timed out: the scan is incomplete


def exit_status(result: ScanResult, args: argparse.Namespace) -> int:
    """The gate: findings at or above --fail-on, not baselined, exit with --exit-code;
    else 5 when the scan was incomplete (a user-supplied regex timed out)."""
    gate = ScanResult([f for f in result.findings if f.status is None], result.stats)
    if getattr(args, "fail_on_active", False) and any(
            f.verification is not None and f.verification.status == "active" for f in gate.findings):
        return EXIT_ACTIVE
    code = getattr(args, "exit_code", None)
    status = gate.exit_code(getattr(args, "fail_on", None) or "low", 1 if code is None else code)
    if status == 0 and result.stats.timeouts:
        return EXIT_INCOMPLETE
    return status


@contextlib.contextmanager
def progress_display(args: argparse.Namespace, what: str, total: int | None = None,
                     unit: str = "file") -> Iterator[Progress | None]:
    """A rich progress bar on stderr, only when stderr is a terminal: items
    counted in ``unit``s in the description, bytes as bytes (``1.2/3.4 MB``),
    and narrow enough for an 80-column terminal."""
    if args.no_progress or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as RichProgress

    with RichProgress(*progress_columns(), transient=True, console=_stderr_console()) as bar:
        yield ProgressBar(bar, bar.add_task(what, total=total), what, unit)


class ProgressBar:
    """The ``progress`` callback of a scan (items and bytes done), which can also
    name a slow step in its label while it runs (:meth:`step`)."""

    def __init__(self, bar: RichProgress, task: TaskID, what: str, unit: str) -> None:
        self.bar, self.task, self.what, self.unit = bar, task, what, unit
        self.items = 0

    def __call__(self, items: int, nbytes: int) -> None:
        self.items = items
        self.bar.update(self.task, completed=nbytes, description=progress_label(self.what, items, self.unit))

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        self.bar.update(self.task, description=progress_label(text, -1, ""))
        self.bar.refresh()  # shown now, not at the next tick
        try:
            yield
        finally:
            self.bar.update(self.task, description=progress_label(self.what, self.items, self.unit))


COMPILING = "compiling rules (first run)"


def compile_notice(progress: Progress | None) -> Callable[[], contextlib.AbstractContextManager[object]] | None:
    """For ScanOptions.compiling: a first run's compile of the rule database named
    on the progress bar (none without one: no terminal, or --no-progress)."""
    if not isinstance(progress, ProgressBar):
        return None
    bar = progress
    return lambda: bar.step(COMPILING)


PROGRESS_LABEL_WIDTH = 34


def progress_label(what: str, items: int, unit: str) -> str:
    """``what (N units)``, cut to the label column; ``items`` < 0: ``what…`` alone."""
    label = f"{what}…" if items < 0 else f"{what} ({items:,} {unit}{'' if items == 1 else 's'})"
    return label if len(label) <= PROGRESS_LABEL_WIDTH else label[: PROGRESS_LABEL_WIDTH - 1] + "…"


def progress_columns() -> list[ProgressColumn]:
    """Description, bar, bytes done / total, time left: at most 80 columns."""
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn

    return [TextColumn(f"{{task.description:<{PROGRESS_LABEL_WIDTH}}}"), BarColumn(bar_width=16),
            DownloadColumn(), TimeRemainingColumn()]


@contextlib.contextmanager
def step(args: argparse.Namespace, what: str) -> Iterator[None]:
    """A spinner on stderr naming a slow step (compiling the rules on a first
    run), only when stderr is a terminal; gone when the step ends."""
    if getattr(args, "no_progress", False) or not sys.stderr.isatty():
        yield
        return
    with _stderr_console().status(what):
        yield


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr)


def write_atomic(path: str, text: str) -> None:
    """Write a report, plan or config file (``-``: stdout): a plain regular file is
    replaced atomically; a device, FIFO or symlink is written through (leakguard.fsio)."""
    try:
        write_file(path, text)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


def postprocess(result: ScanResult, args: argparse.Namespace) -> ScanResult:
    """The stages after detection, in this order: the confidence floor, config
    allowlists, the baseline (accepted findings), then remediation (what to do about each)."""
    settings = settings_for(args)
    if not result.root and not getattr(args, "root", None) and any(p != "-" for p in getattr(args, "paths", None) or []):
        result.root = scan_base(args)
    before = list(result.findings)
    result = apply_min_confidence(result, args.min_confidence)
    result = apply_allowlists(result, settings, scan_base(args))
    bl = baseline_path(args)
    if bl:  # (no baseline: its module is not even imported)
        from leakguard import baseline as baseline_mod
    accepted = baseline_mod.load(bl) if bl else None
    by_repo_baseline: list[Finding] = []
    user: Settings | None = getattr(args, "user_settings", None)
    if accepted is not None and not getattr(args, "baseline", None) and user is not None and user.baseline != bl:
        # the repository's config chose this baseline: what it accepts is hidden by that config too
        by_repo_baseline = [f for f, e in baseline_mod.matches(accepted, result.findings, root=result.root or scan_base(args),
                                                               source=bl) if e is not None]
    hidden = repo_config_effect(before, result.findings, args, accepted_by_baseline=by_repo_baseline)
    if hidden:  # on stderr with the other warnings, below (once)
        result.warnings.append(hidden)
    if bl and accepted is not None:
        result = baseline_mod.apply(result, accepted, show=getattr(args, "show_baselined", False),
                                    root=result.root or scan_base(args), source=bl)
    result = verify_step(result, args)
    if result.findings:  # (the remediation package is a start-up cost a clean scan does not pay)
        from leakguard.remediation.attach import attach_from_args

        result = attach_from_args(result, args, scan_base(args))
    result.stats.timeouts.extend(getattr(args, "exclude_timeouts", ()))
    if result.stats.timeouts:
        shown = result.stats.timeouts[:5]
        more = len(result.stats.timeouts) - len(shown)
        msg = (f"scan incomplete: a regex from a rule or config file timed out on {len(result.stats.timeouts)} "
               f"file(s) (exit code {EXIT_INCOMPLETE} unless findings fail the gate): " + "; ".join(shown)
               + (f"; and {more} more" if more else ""))
        result.warnings.append(msg)  # on stderr with the other warnings, below
    for w in settings.warnings:
        if w not in result.warnings:
            result.warnings.append(w)
    # every warning goes to stderr (docs/config.md), whatever the format; the
    # report carries them too, except a terminal report on stdout (no repeats)
    for w in result.warnings:
        print(f"leakguard: warning: {safe(w)}", file=sys.stderr)
    return result


_ALLOW_KEY = {"hash": "allowlist.hashes", "secret regex": "allowlist.secrets", "line regex": "allowlist.lines",
              "stopword": "allowlist.stopwords"}


def repo_config_effect(before: list[Finding], after: list[Finding], args: argparse.Namespace,
                       *, gate: bool = True, accepted_by_baseline: Sequence[Finding] = ()) -> str | None:
    """What the repository's own config hides on this scan, judged by effect.

    Compares this run with a default run (no repository config: only the
    command line and ``--config``): findings that run would report which
    allowlists, ``min_confidence`` or path globs from the repository drop,
    and findings that would fail that run's gate but pass this one (severity
    downgrades, ``fail_on``, ``exit_code = 0``; not with ``gate=False``, for
    commands without a gate such as ``baseline``). None when nothing is hidden."""
    user: Settings | None = getattr(args, "user_settings", None)
    if user is None:
        return None
    settings = settings_for(args)
    base = scan_base(args)
    cli_fail, cli_exit, cli_conf = getattr(args, "cli_gate", (None, None, None))
    fail_on = cli_fail or user.fail_on or "low"
    exit_code = cli_exit if cli_exit is not None else user.exit_code if user.exit_code is not None else 1
    conf_ok = at_least(cli_conf or user.min_confidence or DEFAULT_MIN_CONFIDENCE)
    default_sev: dict[str, str] = getattr(args, "default_severity", {})

    def user_drops(f: Finding) -> bool:
        by_path = f.origin.kind != "stdin" and user.path_allowed(os.path.join(base, f.path))
        return by_path or user.secret_allowed(f.secret, f.secret_hash, f.line_text) is not None

    default = [f for f in before if conf_ok(f.confidence) and not user_drops(f)]
    baselined = {id(f) for f in accepted_by_baseline}  # by the baseline the repository's config names
    kept = {id(f) for f in after} - baselined
    why: dict[str, int] = {}
    for key, n in _turned_off(before, args, conf_ok, user).items():
        why[key] = why.get(key, 0) + n
    for f in default:
        if id(f) in kept:
            continue
        if id(f) in baselined:
            key = "baseline"
        elif f.origin.kind != "stdin" and settings.path_allowed(os.path.join(base, f.path)):
            key = "allowlist.paths"
        else:
            reason = settings.secret_allowed(f.secret, f.secret_hash, f.line_text)
            key = _ALLOW_KEY.get(reason or "", "min_confidence")
        why[key] = why.get(key, 0) + 1
    gate_why: dict[str, int] = {}
    bar, now_bar = severity_rank(fail_on), severity_rank(getattr(args, "fail_on", None) or "low")
    for f in default if gate else ():
        if id(f) not in kept or exit_code == 0 or severity_rank(default_sev.get(f.rule_id, f.severity)) < bar:
            continue  # not reported here, or would not fail the default gate either
        if args.exit_code == 0:
            key = "exit_code = 0"
        elif severity_rank(f.severity) < now_bar:
            key = "rules.severity" if f.severity != default_sev.get(f.rule_id, f.severity) else "fail_on"
        else:
            continue
        gate_why[key] = gate_why.get(key, 0) + 1
    if not why and not gate_why:
        return None

    def detail(d: dict[str, int]) -> str:
        return ", ".join(f"{n} by {k}" for k, n in sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))

    parts = []
    if why:
        parts.append(f"hides {sum(why.values())} finding(s) a default run would report ({detail(why)})")
    if gate_why:
        parts.append(f"lets {sum(gate_why.values())} finding(s) that would fail a default run pass the gate "
                     f"({detail(gate_why)})")
    files = ", ".join(f for f in settings.files if f != getattr(args, "config", None))
    return f"repository config {files} {' and '.join(parts)}; run with --no-repo-config to see them"


def _turned_off(before: list[Finding], args: argparse.Namespace, conf_ok: Callable[[str], bool],
                user: Settings) -> dict[str, int]:
    """Findings a default run reports that this run never looked for: rules the
    repository's config turned off, files over its lower ``max_file_size``. Found
    by scanning again for just those (with the commands' rescans); a line this run
    reports anything on is not counted. Counts by config key."""
    hidden: dict[str, tuple[Rule, str]] = getattr(args, "hidden_rules", {})
    limit = _default_max_size(args)
    rescan_rules: Rescan | None = getattr(args, "rescan_rules", None)
    rescan_large: Rescan | None = getattr(args, "rescan_large", None)
    out: dict[str, int] = {}
    base = scan_base(args)
    seen = {(os.path.normpath(os.path.join(base, f.path)), f.location.line) for f in before}

    def count(found: list[Finding], where: str, key: Callable[[Finding], str]) -> None:
        for f in found:
            place = os.path.normpath(os.path.join(where, f.path))
            if (place, f.location.line) in seen or not conf_ok(f.confidence):
                continue
            if user.path_allowed(place) or user.secret_allowed(f.secret, f.secret_hash, f.line_text) is not None:
                continue  # your own config drops it anyway
            seen.add((place, f.location.line))
            out[key(f)] = out.get(key(f), 0) + 1

    if not (hidden and rescan_rules is not None or limit is not None and rescan_large is not None):
        return out
    try:
        with step(args, "measuring what the repository config turns off…"):
            _rescan_hidden(hidden, limit, rescan_rules, rescan_large, args, count)
    except (OSError, SourceError, TimeoutError):
        pass  # the measure is best effort; the scan itself is complete
    return out


def _rescan_hidden(hidden: dict[str, tuple[Rule, str]], limit: int | None, rescan_rules: Rescan | None,
                   rescan_large: Rescan | None, args: argparse.Namespace,
                   count: Callable[[list[Finding], str, Callable[[Finding], str]], None]) -> None:
    """Scan again for just what the repository's config turned off; ``count`` tallies it."""
    if hidden and rescan_rules is not None:
        from leakguard.decode import MAX_DEPTH

        rules = tuple(r for r, _ in hidden.values())
        engine = Engine(Ruleset(rules, "").select(),  # select(): the digest of exactly these rules
                        decode_depth=MAX_DEPTH if getattr(args, "decode", True) else 0)
        found, where = rescan_rules(engine)
        count(found, where, lambda f: hidden[f.rule_id][1] if f.rule_id in hidden else "rules")
    if limit is not None and rescan_large is not None:
        found, where = rescan_large(limit)
        count(found, where, lambda f: "max_file_size")


def emit(result: ScanResult, args: argparse.Namespace, **options: object) -> None:
    reporter = REPORTERS[args.format]
    options.setdefault("rules", getattr(args, "rule_metadata", ()))
    if args.format == "html":
        options.setdefault("link_template", getattr(args, "link_template", None))
        options.setdefault("scope", report_scope(args))
    if getattr(args, "summary", False):
        if args.format != "terminal":
            raise UsageError("--summary applies to the terminal format only")
        options["summary"] = True
    with redact_policy(getattr(args, "redact", None)):
        if args.output and args.output != "-":
            buf = io.StringIO()
            reporter(result, buf, reveal=args.reveal, **options)
            write_atomic(args.output, buf.getvalue())
        else:
            out: IO[str] = sys.stdout
            options.setdefault("warnings_shown", True)  # postprocess put them on stderr
            reporter(result, out, reveal=args.reveal, **options)
            out.flush()
