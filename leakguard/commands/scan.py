"""`leakguard scan [PATH ...]`: files, directories, or - for stdin."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from leakguard.commands._common import (SKIP_UNREADABLE_HELP, add_engine_args, require_scanned, add_output_args, add_verify_args, build_engine, compile_notice, emit, excluded_path, exit_status,
                                        parse_size, postprocess, progress_display, rescans_for_paths, scan_base)
from leakguard.model import Origin
from leakguard.scan import ScanOptions, scan_chunks, scan_paths
from leakguard.sources.files import DEFAULT_MAX_FILE_SIZE, chunk_from_bytes


def register(sub: Any) -> None:
    p = sub.add_parser("scan", help="scan files and directories (or - for stdin)",
                       description="Scan files and directories for secrets. Inside a git work tree, "
                                   "files ignored by .gitignore are skipped unless --all-files.")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories (default: .); - reads stdin")
    p.add_argument("--all-files", action="store_true", help="also scan files that .gitignore excludes")
    p.add_argument("--staged", action="store_true",
                   help="scan what the next commit adds: the index content (not the working tree), reporting only "
                        "added or changed lines; PATHs (as pre-commit passes them) limit it to those files")
    p.add_argument("--max-file-size", type=parse_size, default=None, metavar="SIZE",
                   help=f"skip files larger than this (default: config, else {DEFAULT_MAX_FILE_SIZE // 2**20}MB; 0 = no limit)")
    p.add_argument("--skip-unreadable", action="store_true", help=SKIP_UNREADABLE_HELP)
    add_engine_args(p)
    add_output_args(p)
    add_verify_args(p)
    p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    engine = build_engine(args, backend="lazy")  # scan_paths compiles Hyperscan for big trees
    if args.paths == ["-"] and not args.staged:
        raw = sys.stdin.buffer.read()
        result = scan_chunks(engine, [chunk_from_bytes(raw, Origin("stdin", "-"))])
        base = scan_base(args)
        args.rescan_rules = lambda e: (scan_chunks(e, [chunk_from_bytes(raw, Origin("stdin", "-"))]).findings, base)
    elif args.staged:
        from leakguard.sources.staged import staged_chunks

        paths = [] if args.paths == ["."] else args.paths
        result = scan_chunks(engine, staged_chunks(".", paths, args.max_file_size))
        base = scan_base(args)  # what the repository's config turned off is measured by scanning for it
        args.rescan_rules = lambda e: (scan_chunks(e, staged_chunks(".", paths, args.max_file_size)).findings, base)
        args.rescan_large = lambda limit: (scan_chunks(engine, staged_chunks(".", paths, limit)).findings, base)
    else:
        if "-" in args.paths:
            from leakguard.errors import UsageError

            raise UsageError("'-' (stdin) cannot be combined with other paths")
        with progress_display(args, "scanning") as progress:
            opts = ScanOptions(jobs=args.jobs, max_file_size=args.max_file_size, all_files=args.all_files,
                               exclude=excluded_path(args), compiling=compile_notice(progress))
            result = scan_paths(engine, args.paths, opts, progress)
        require_scanned(result, args, args.paths)
        rescans_for_paths(args, args.paths, result, engine)
    result = postprocess(result, args)
    code = exit_status(result, args)
    # a blocked commit says how to mark a false positive
    emit(result, args, blocked="commit" if args.staged and code else None)
    return code
