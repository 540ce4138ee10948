"""Command line: parse, dispatch, map errors to exit codes. No business logic.

Exit codes: 0 no findings, 1 findings, 2 usage/input/config/rule error,
3 internal error, 4 active secret (--verify --fail-on-active), 5 scan incomplete (a user-supplied regex timed out),
130 interrupted.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from leakguard import __version__
from leakguard.commands import NAMES, load
from leakguard.errors import LeakguardError
from leakguard.termsafe import safe


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's own code)
        self.exit(2, f"leakguard: error: {message}\n")


_DEBUG_HELP = "show a traceback on internal errors"


class _Version(argparse.Action):
    """``--version``: the version and the digest of the built-in rule pack
    (the rules decide what is found, so a report names both)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kw: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and the rule-pack digest")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        sys.stdout.write(version_text() + "\n")
        parser.exit(0)


def version_text() -> str:
    from leakguard.ruleset import load_ruleset

    try:
        rs = load_ruleset()
        rules = f"rules {rs.digest[:12]} ({len(rs.rules)} built-in rules)"
    except LeakguardError as e:  # a broken install still says which version it is
        rules = f"rules unavailable ({e})"
    return f"leakguard {__version__}, {rules}"


def _add_debug_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept --debug after the subcommand too (``leakguard scan . --debug``).
    SUPPRESS as default so a subcommand does not reset the top-level flag."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
                _add_debug_everywhere(child)


def _chosen(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if it names one before any help option: only its module is
    imported (start-up time). None (help, no command, an unknown one): all of them."""
    for a in argv:
        if a == "-h" or len(a) > 2 and "--help".startswith(a):
            return None
        if not a.startswith("-"):  # the top-level options take no value: the first other word is the command
            return a if a in NAMES else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (every command's when None): the command argv names is registered
    in full, the others by name only (argparse then parses argv exactly as with all of them)."""
    p = _Parser(prog="leakguard", description="Find leaked secrets and move them into AWS Secrets Manager or SSM Parameter Store.")
    p.add_argument("--version", action=_Version)
    p.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = None if argv is None else _chosen(argv)
    for name in NAMES:
        if chosen is None or name == chosen:
            load(name).register(sub)
        else:
            sub.add_parser(name)  # never parsed (argv names another command): a choice argparse knows
    _add_debug_everywhere(p)
    return p


def _tolerant_streams() -> None:
    """A file name that is not UTF-8 (surrogate escapes) is printed as \\udcXX, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors: argparse's own codes
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except LeakguardError as e:
        print(f"leakguard: error: {safe(e)}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("leakguard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (| head): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:  # noqa: BLE001 - the one place internal errors become exit 3
        if args.debug:
            raise
        print(f"leakguard: internal error: {type(e).__name__}: {safe(e)} (run with --debug for a traceback)", file=sys.stderr)
        return 3


def run() -> NoReturn:
    """The program (the ``leakguard`` command, ``python -m leakguard``): :func:`main`, then an
    exit that skips tearing the interpreter down. A history audit leaves a few hundred
    thousand objects alive (the stored walk, the blob caches, the rules); freeing them one by
    one at exit took 0.3 s of a 1.5 s repeated audit of sqlalchemy. Everything leakguard
    writes is closed by then (workers and readers too); the standard streams are flushed
    here. Under a profiler or a tracer (cProfile, coverage), which write their results at
    exit, it exits normally."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more to say
            pass
    os._exit(code)
