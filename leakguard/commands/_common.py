"""Options and output shared by the commands that scan (scan, git)."""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from leakguard.engine import Engine
from leakguard.errors import UsageError
from leakguard.model import SEVERITIES, ScanResult
from leakguard.reporters import REPORTERS
from leakguard.ruleset import Ruleset, load_ruleset
from leakguard.scan import Progress


def parse_size(text: str) -> int:
    t = text.strip().upper()
    mult = 1
    for suffix, m in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3), ("K", 1024), ("M", 1024**2), ("G", 1024**3), ("B", 1)):
        if t.endswith(suffix):
            t, mult = t[: -len(suffix)], m
            break
    try:
        n = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 5MB, 500KB, 0 for no limit)") from None
    if n < 0:
        raise argparse.ArgumentTypeError("size must not be negative")
    return n


def add_engine_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rules")
    g.add_argument("--rules", action="append", default=[], metavar="PATH",
                   help="extra rule file or directory (repeatable)")
    g.add_argument("--no-default-rules", action="store_true", help="use only the --rules given")
    g.add_argument("--enable-rule", action="append", default=[], metavar="ID", help="scan with only these rules (repeatable)")
    g.add_argument("--disable-rule", action="append", default=[], metavar="ID", help="skip this rule (repeatable)")


def add_output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("-f", "--format", default="terminal", choices=sorted(REPORTERS), help="report format (default: terminal)")
    g.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    g.add_argument("--no-redact", "--reveal", dest="reveal", action="store_true",
                   help="show secrets in clear (default: redacted everywhere)")
    g.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
    g.add_argument("--fail-on", choices=SEVERITIES, default="low",
                   help="exit 1 only for findings at or above this severity (default: low)")
    g.add_argument("-j", "--jobs", type=int, default=0, metavar="N", help="worker processes (default: all cores)")


def build_engine(args: argparse.Namespace) -> Engine:
    ruleset: Ruleset = load_ruleset([Path(p) for p in args.rules], include_default=not args.no_default_rules)
    if args.enable_rule or args.disable_rule:
        ruleset = ruleset.select(enable=args.enable_rule, disable=args.disable_rule)
    return Engine(ruleset)


@contextlib.contextmanager
def progress_display(args: argparse.Namespace, what: str, total: int | None = None) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if args.no_progress or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn, TimeRemainingColumn, TransferSpeedColumn

    cols = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} done"),
            DownloadColumn(), TransferSpeedColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
    with RichProgress(*cols, transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(what, total=total)

        def update(items: int, nbytes: int) -> None:
            bar.update(task, completed=nbytes, description=f"{what} ({items})")

        yield update


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(file=sys.stderr)


def write_atomic(path: str, text: str) -> None:
    """Write to a temp file beside the target, then rename over it."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


def postprocess(result: ScanResult, args: argparse.Namespace) -> ScanResult:
    """The stages after detection, in this order: config allowlists, the
    baseline (accepted findings), then remediation (what to do about each)."""
    return result


def emit(result: ScanResult, args: argparse.Namespace, **options: object) -> None:
    reporter = REPORTERS[args.format]
    if args.output:
        buf = io.StringIO()
        reporter(result, buf, reveal=args.reveal, **options)
        write_atomic(args.output, buf.getvalue())
    else:
        out: IO[str] = sys.stdout
        reporter(result, out, reveal=args.reveal, **options)
        out.flush()
