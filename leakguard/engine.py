"""The detector: prefilter -> confirming regex -> secret group -> gates -> Finding.

Work stays in byte offsets on the chunk's UTF-8 data; only candidate lines
are decoded, and line/column are computed only for findings.
"""
from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict


from leakguard import checksums, context, filters
from leakguard.confidence import judge, judge_file
from leakguard.decode import MAX_DEPTH, Candidate, decoded_findings, find_candidates, overlaps
from leakguard.entropy import shannon
from leakguard.keypath import key_path
from leakguard.model import Chunk, Finding, Location
from leakguard.prefilter import (PathPrefilter, Prefilter, hits_and_names, hyperscan_available, is_scoped,
                                 make_prefilter, trigger_within_lines)
from leakguard.redact import MASK
from leakguard.remediation.managed import mentions_service
from leakguard.ruleset import Rule, Ruleset

ALLOW_MARKER = "leakguard:allow"
_COMMENT_LEADERS = (b"#", b"//", b"--", b";", b"<!--", b"/*", b"*", b"%", b"REM ", b"rem ", b"'", b"{{/*", b"{#")
_LONG_LINE = 16384  # on longer lines (minified code) confirm on a window around the hit
_WINDOW = 8192
_REGEX_TIMEOUT = 2.0
_CONTEXT = 1000  # bytes of a finding's line kept on either side of the secret
LAZY_COMPILE_ITEMS = 200
# Distinct paths after which rules' path patterns are matched through a Hyperscan database of them
# (built in ~0.15 s; saves ~0.25 ms of regex searches per path with the built-in pack)
PATH_DB_PATHS = 512
# Verdict cache: a hit line (window) seen before under the same rule is not confirmed again.
# Bounded by the bytes of the windows it keys on; cleared when full.
_VERDICT_BYTES = 64 << 20
# Findings reported per file (chunk); the rest are counted in a note. Keeps hostile files
# (tens of thousands of tokens) from flooding reports; the work stays linear either way.
MAX_FINDINGS_PER_FILE = 1000
CAPPED_NOTE = f"files with more than {MAX_FINDINGS_PER_FILE} findings (only the first {MAX_FINDINGS_PER_FILE} reported)"
VERDICT_CACHE = True  # False: confirm every window afresh (the reference path of the equivalence tests)
_VERDICT_MAX_WINDOW = 4096  # longer lines are rare; not worth keeping
_VERDICT_MAX_SPAN = 65536  # multi-line windows (private key blocks)
# Incremental scanning of a file's versions (git history): bytes of earlier versions kept to diff against
_PREV_BYTES = 8 << 20  # (a file's versions come one after another: the last one is what is needed)
_DIFF_MIN = 2048  # smaller files are scanned whole
_BLOCK = 1 << 16
_MAX_KEPT_CANDIDATES = 2048  # decode candidates kept per version


def secret_hash(rule_id: str, secret: str) -> str:
    return hashlib.sha256(f"{rule_id}\0{secret}".encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(secret_hash_: str, path: str) -> str:
    # a file name that is not UTF-8 arrives with surrogate escapes (os.fsdecode): hash its bytes
    text = f"{secret_hash_}\0{path}"
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


@dataclass(slots=True)
class Detection:
    """Findings of one chunk plus what the gates dropped (for stats)."""

    findings: list[Finding] = field(default_factory=list)
    allowed_inline: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    timeouts: list[str] = field(default_factory=list)  # ids of rules whose regexes timed out: scan incomplete
    capped: int = 0  # matches left unreported beyond MAX_FINDINGS_PER_FILE
    hits: Any = None  # the prefilter's hits (rule index -> offsets), for leakguard.context
    name_hits: Any = None  # where the provider names of key-expression rules stand (same form), for it too
    # False: the text names neither Secrets Manager nor Parameter Store (so it holds no reference
    # to count, leakguard.remediation.managed); None: not looked at
    names_service: bool | None = None


_Verdict = tuple[tuple["_Match", ...], tuple[str, ...]]  # matches (offsets relative to the window), drop reasons


@dataclass(slots=True)
class _Incremental:
    """One version of a file scanned incrementally, against an earlier version of its path.

    ``blocks``: runs of whole lines this version shares with the earlier one, as (start
    here, start there, length), in order in both texts (:func:`_diff`); ``changed``: the
    rest of this text, as (start, end) spans of whole lines. ``verdicts`` and ``cands``
    are what the earlier version left (None: no earlier version, scan it whole);
    ``record`` and ``new_cands`` collect the same for this version."""

    blocks: list[tuple[int, int, int]] = field(default_factory=list)
    changed: list[tuple[int, int]] = field(default_factory=list)
    verdicts: dict[int, list[tuple[int, int, _Verdict]]] | None = None
    cands: list[Candidate] | None = None
    record: dict[int, list[tuple[int, int, _Verdict]]] = field(default_factory=dict)
    new_cands: list[Candidate] | None = None
    # (rule index, line start, line end) of the lines where leakguard.context looked for provider
    # names: the earlier version's, and this version's (those moved here, then the new ones)
    ctx_lines: list[tuple[int, int, int]] = field(default_factory=list)
    new_ctx: list[tuple[int, int, int]] = field(default_factory=list)
    # (line start, line end, offset in the line) of each prefilter hit of the rules whose hits lie
    # within a line (Engine._line_hits), by rule index: the earlier version's, and this version's
    line_hits: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    new_line_hits: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    # what :meth:`holds` said of the earlier version, and says of this one
    was: dict[str, bool] = field(default_factory=dict)
    now: dict[str, bool] = field(default_factory=dict)
    # where :meth:`holds_bytes` found its bytes: (line start, line end, offset in the line)
    was_at: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    now_at: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    _joined: tuple[bytes, list[int]] | None = None
    _olds: list[int] = field(default_factory=list)

    def joined(self, data: bytes) -> tuple[bytes, list[int]]:
        """The changed lines of ``data`` put together (:func:`_joined`)."""
        if self._joined is None:
            self._joined = _joined(data, self.changed)
        return self._joined

    def holds(self, data: bytes, key: str, test: Callable[[bytes], bool]) -> bool:
        """``test(data)``, for a test that holds of a text if and only if it holds of one of its
        lines (a word in it): looked for in the changed lines, and in the whole text only if
        it held of the earlier version (whose lines the others are). Remembered as ``key``."""
        if self.verdicts is None:
            v = test(data)
        else:
            v = test(self.joined(data)[0]) or self.was.get(key, True) and test(data)
        self.now[key] = v
        return v

    def holds_bytes(self, data: bytes, key: str, needle: bytes) -> bool:
        """``needle in data`` (bytes within a line) as :meth:`holds` answers it, with no search
        of the whole text where the line the earlier version had them on is shared: on a real
        history a file that holds them at all mostly holds them on an unchanged line."""
        p = -1
        if self.verdicts is None:
            p = data.find(needle)
        else:
            joined, at = self.joined(data)
            q = joined.find(needle)
            if q >= 0:
                k = bisect.bisect_right(at, q) - 1
                p = self.changed[k][0] + q - at[k]
            elif self.was.get(key, True):
                where = self.was_at.get(key)
                ns = None if where is None else self.moved(where[0], where[1])
                p = data.find(needle) if ns is None or where is None else ns + where[2]
        self.now[key] = p >= 0
        if p >= 0:
            self.now_at[key] = _hit_lines(data, (p,))[0]
        return p >= 0

    def moved(self, s: int, e: int) -> int | None:
        """Where the bytes ``[s, e)`` of the earlier version start in this one, if they lie
        within one unchanged block (None: they changed)."""
        if not self._olds:
            self._olds = [o for _, o, _ in self.blocks]
        k = bisect.bisect_right(self._olds, s) - 1
        if k < 0:
            return None
        ns, os_, n = self.blocks[k]
        return ns + s - os_ if e <= os_ + n else None


@dataclass(slots=True)
class _Match:
    rule: Rule
    start: int  # byte offsets of the secret in the chunk
    end: int
    secret: str
    key: str | None
    line_text: str
    entropy: float
    match_start: int = 0  # byte offsets of the whole match
    match_end: int = 0
    confidence: str = "high"


def _with_names(hits: Mapping[int, Sequence[int]] | None,
                names: Mapping[int, Sequence[int]] | None) -> Mapping[int, Sequence[int]]:
    """The prefilter's hits with the provider names' places added: where leakguard.context
    looks for provider names (it read keyword hits before rules woke on their key name's shape)."""
    if not names:
        return hits or {}
    out = dict(hits or {})
    for i, found in names.items():
        out[i] = [*out[i], *found] if i in out else found
    return out


class Engine:
    """A compiled rule set plus its prefilter. Build once, scan many chunks."""

    def __init__(self, ruleset: Ruleset, *, backend: str = "auto", decode_depth: int = MAX_DEPTH,
                 demoted: frozenset[str] = frozenset()) -> None:
        self.ruleset = ruleset
        # ids of rules a config file added: they may add findings, never take a span another rule
        # claims (a repository's rule could otherwise win a token's span at a low confidence and hide it)
        self.demoted = demoted
        self.rules = ruleset.rules
        self.backend = backend
        self.decode_depth = decode_depth  # encoding layers opened (leakguard.decode); 0: none
        self._generic_ids = frozenset(r.id for r in self.rules if r.generic)
        # provider names in the text give context to values under generic names (leakguard.context)
        self.provider_context = True
        self._names = context.name_keywords(self.rules)
        self._fixed_ids = frozenset(r.id for r in self.rules if r.confidence not in (None, "auto"))  # judge_file
        self._context_prev: dict[str, list[tuple[int, int, bytes, Finding, int]]] = {}  # path -> last version's
        self.prefilter: Prefilter = make_prefilter(self.rules, ruleset.digest, backend)
        self._keywordless = [i for i, r in enumerate(self.rules) if not r.keywords]
        self._keywordless_at: dict[str, list[int]] = {}  # path -> those of them that apply to it
        self._scoped = [i for i, r in enumerate(self.rules) if r.keywords and is_scoped(r)]
        self._scoped_paths: dict[str, bool] = {}
        self._applies: dict[str, dict[int, bool]] = {}  # path -> rule index -> rule.applies_to(path)
        self._paths_pf: PathPrefilter | None | bool = None  # False: not available (None: not built yet)
        self._path_cands: dict[str, frozenset[int] | None] = {}  # path -> PathPrefilter.candidates(path)
        # (rule index, window bytes) -> (matches with offsets relative to the window, dropped reasons).
        # A real history holds the same lines in thousands of blob versions; each is confirmed once.
        self._verdicts: dict[tuple[int, bytes], _Verdict] = {}
        self._verdict_bytes = 0
        # (path, decoded text, depth) -> findings of a decoded view (leakguard.decode): the same
        # encoded blob sits in every version of its file
        self._views: dict[tuple[str, bytes, int], list[Finding]] = {}
        self._view_bytes = 0
        # Incremental mode (``leakguard git``): a version of a file is compared with the last
        # version of the same path this process scanned (:func:`_diff`); line-local rules
        # (keywords, no companion, single line) are confirmed only on the lines that are not in
        # a run both versions share, and their outcome on the shared lines is taken from that version.
        self.incremental = False
        self._local = [bool(r.keywords) and r.near is None and not r.multiline for r in self.rules]
        # The other rules whose prefilter hits each lie within one line (a companion rule, triggered
        # by its companion; a multi-line rule with a one-line trigger): their hits on the lines both
        # versions share are moved over from the earlier version, and looked for only on the changed
        # lines. The rest (multi-line rules entered by their pattern) get their hits from the whole
        # text, from a database of their own. Sorted out by the first incremental scan
        # (:meth:`_sort_nonlocal`): no other scan needs it.
        self._line_hits: list[bool] | None = None
        self._nonlocal_ids: list[int] = []
        self._nonlocal_pf: Prefilter | None = None
        # path -> (data, rule index -> [(line start, line end, verdict)], decode candidates, provider-name
        # lines, what _Incremental.holds said, rule index -> [(line start, line end, hit offset in the line)]
        # of the _line_hits rules, where holds_bytes found its bytes) in least-recently-used order
        self._prev: dict[str, tuple[bytes, dict[int, list[tuple[int, int, _Verdict]]], list[Candidate] | None,
                                    list[tuple[int, int, int]], dict[str, bool], dict[int, list[tuple[int, int, int]]],
                                    dict[str, tuple[int, int, int]]]] = {}
        self._prev_bytes = 0

    def prepare(self, items: int) -> None:
        """Before a scan of ``items`` files: a lazy engine whose Hyperscan
        database is not cached yet compiles it only when the work is big
        enough to repay the compile (findings are the same either way)."""
        if self.compiles_for(items):
            self.prefilter = make_prefilter(self.rules, self.ruleset.digest, "auto")
        if self._paths_pf is None and items >= PATH_DB_PATHS:  # built once, before workers fork
            self._build_path_prefilter()

    def compiles_for(self, items: int) -> bool:
        """Whether :meth:`prepare` builds the full database for ``items`` files (a
        compile of seconds on a first run, which a progress display names)."""
        return self.backend == "lazy" and self.prefilter.name != "hyperscan" and items >= LAZY_COMPILE_ITEMS

    def _scoped_may_apply(self, path: str) -> bool:
        """Whether any path-scoped rule with keywords applies to ``path`` (cached per path), so
        that the prefilter looks for those rules too.

        Until the path database is built (the first PATH_DB_PATHS paths): True, and each hit
        rule's paths are checked after the prefilter (asking every scoped rule whether it
        applies compiled ~40 path patterns per file, most of a one-file scan's work; the
        findings are the same)."""
        if self._paths_pf is None:
            return True
        v = self._scoped_paths.get(path)
        if v is None:
            if len(self._scoped_paths) > 200_000:
                self._scoped_paths.clear()
            v = self._scoped_paths[path] = any(self._applies_to(i, path) for i in self._scoped)
        return v

    def _applies_to(self, idx: int, path: str) -> bool:
        """``rules[idx].applies_to(path)``, remembered per path (a history holds
        thousands of versions of each path). A timeout is raised, not remembered.
        Past the first :data:`PATH_DB_PATHS` paths (or after :meth:`prepare` for as
        many files), one Hyperscan scan of a path tells which path patterns can match it
        (``prefilter.PathPrefilter``): the others are not searched."""
        per = self._applies.get(path)
        if per is None:
            if len(self._applies) > 100_000:
                self._applies.clear()
                self._path_cands.clear()
            per = self._applies[path] = {}
            if self._paths_pf is None and len(self._applies) >= PATH_DB_PATHS:
                self._build_path_prefilter()
            if isinstance(self._paths_pf, PathPrefilter):
                self._path_cands[path] = self._paths_pf.candidates(path)
        v = per.get(idx)
        if v is None:
            if isinstance(self._paths_pf, PathPrefilter):
                v = per[idx] = self._paths_pf.applies(self.rules[idx], path, self._path_cands.get(path))
            else:
                v = per[idx] = self.rules[idx].applies_to(path)
        return v

    def _build_path_prefilter(self) -> None:
        self._paths_pf = False
        if hyperscan_available():
            with_paths = [r for r in self.rules if r.paths_only or r.paths_skip]
            if with_paths:
                try:
                    self._paths_pf = PathPrefilter(with_paths)
                except Exception:  # pragma: no cover - every path pattern is then searched, as without Hyperscan
                    pass

    def scan(self, chunk: Chunk, *, decode_depth: int | None = None) -> Detection:
        """Findings in the chunk's text, then in the encoded blobs it holds."""
        inc = self._begin(chunk) if self.incremental and decode_depth is None else None  # not decoded views
        det = self._scan_plain(chunk, inc)
        if decode_depth is None and self.provider_context and (det.hits or det.name_hits or inc is not None):
            ctx = _with_names(det.hits, det.name_hits)
            carry = True
            if inc is not None:
                data = chunk.data
                escaped = inc.holds_bytes(data, "escaped", _ESCAPED_QUOTE)
                inc.new_ctx = _ctx_lines(data, ctx, self._names, inc.new_ctx)
                if inc.verdicts is not None and escaped != inc.was.get("escaped", True):
                    # escaped JSON text widens the rules leakguard.context reads: as alone
                    ctx = _with_names(*hits_and_names(self.prefilter, data, self._scoped_may_apply(chunk.origin.path)))
                    inc.new_ctx = _ctx_lines(data, ctx, self._names, [])
                    carry = False
                elif inc.verdicts is not None and len({ls for _, ls, _ in inc.new_ctx}) > context.MAX_LINES:
                    # leakguard.context looks at MAX_LINES of the lines naming a provider, chosen by
                    # where each rule's lines stand in the whole text: ``new_ctx`` holds them all (those
                    # of the earlier version that did not change, and those found on the changed lines)
                    lines: dict[int, list[int]] = {}
                    for idx, ls, _ in inc.new_ctx:
                        lines.setdefault(idx, []).append(ls)  # (a line start stands for the line's hits)
                    ctx, carry = lines, False
            context.add_context(self, chunk, det, ctx, self._names, inc, carry=carry)  # not in views
        det.hits = det.name_hits = None
        depth = self.decode_depth if decode_depth is None else decode_depth
        if depth > 0 and chunk.data:
            self._add_decoded(chunk, det, depth, inc)
        judge_file(det, chunk.origin.path, self._fixed_ids)  # judge (leakguard.confidence): what depends on the file
        if inc is not None:
            det.names_service = inc.holds(chunk.data, "managed", mentions_service)
            if det.timeouts:  # verdicts that depend on the clock, not on the bytes: keep none
                self._forget(chunk.origin.path)
            else:
                self._keep(chunk.origin.path, chunk.data, inc)
        return det

    def scan_view(self, chunk: Chunk, decode_depth: int) -> list[Finding]:
        """``scan(chunk, decode_depth=...).findings`` for the decoded text of an
        encoded blob, remembered by its path, bytes and depth."""
        if not VERDICT_CACHE:
            return self.scan(chunk, decode_depth=decode_depth).findings
        vkey = (chunk.origin.path, chunk.data, decode_depth)
        found = self._views.get(vkey)
        if found is None:
            det = self.scan(chunk, decode_depth=decode_depth)
            found = det.findings
            if not det.timeouts and "regex timeout" not in det.dropped and chunk.lines is None:
                if self._view_bytes > _VERDICT_BYTES // 2:
                    self._views.clear()
                    self._view_bytes = 0
                self._views[vkey] = found
                self._view_bytes += len(chunk.data) + 200 * (1 + len(found))
        return list(found)

    def _add_decoded(self, chunk: Chunk, det: Detection, depth: int, inc: _Incremental | None = None) -> None:
        """Merge findings from decoded blobs: a provider finding on the encoded text
        wins; a generic one (an opaque 'Basic dXNl...' value) gives way to what the
        decoded text holds."""
        k8s = True
        if inc is not None:
            k8s = inc.holds_bytes(chunk.data, "k8s", _SECRET_WORD)
        found, cleared = decoded_findings(self, chunk, depth, None if inc is None else self._candidates(chunk.data, inc),
                                          k8s=k8s)
        if cleared:  # an opaque generic match whose decoded user:password is a placeholder
            det.findings = [g for g in det.findings if not (g.rule_id in self._generic_ids and any(
                s < g.location.end_offset and g.location.start_offset < e for s, e in cleared))]
        new = merge_findings(det, found, chunk, self._generic_ids)
        if not new:
            return
        encoded = {chunk.data[f.location.start_offset:f.location.end_offset].decode("utf-8", "replace") for f in new}
        det.findings = _mask_neighbours([_mask_encoded(f, encoded) for f in det.findings], chunk.data)

    def _scan_plain(self, chunk: Chunk, inc: _Incremental | None = None) -> Detection:
        det = Detection()
        data = chunk.data
        if not data:
            return det
        path = chunk.origin.path
        scoped = self._scoped_may_apply(path)
        matches: list[_Match] = []
        record = None if inc is None else inc.record
        hits: Mapping[int, Sequence[int]]
        if inc is not None and inc.verdicts is not None:
            hits, det.name_hits = self._incremental_hits(data, scoped, inc, matches, det)  # sets det.hits
        else:
            hits, det.name_hits = hits_and_names(self.prefilter, data, scoped)
            det.hits = hits
            if inc is not None:  # scanned whole: where the hits that lie within a line stand, for the next version
                line_hits = self._line_hits
                assert line_hits is not None  # (sorted out by _begin)
                for idx, spots in hits.items():
                    if line_hits[idx]:
                        inc.new_line_hits[idx] = _hit_lines(data, spots)
        if not hits and not self._keywordless and not matches:
            return det
        by_rule: dict[int, Iterable[int]] = dict(hits)
        keywordless = self._keywordless_at.get(path)
        if keywordless is None:  # the rules without keywords that apply to this path: once per path
            keywordless = [idx for idx in self._keywordless if self._applies_to(idx, path)]
            if len(self._keywordless_at) > 100_000:
                self._keywordless_at.clear()
            self._keywordless_at[path] = keywordless
        for idx in keywordless:
            if idx not in by_rule:
                by_rule[idx] = ()
        for idx, found in by_rule.items():
            rule = self.rules[idx]
            try:
                if not self._applies_to(idx, path):
                    continue
            except TimeoutError:  # a user rule's paths regex: scan the file rather than skip it
                det.timeouts.append(rule.id)
            if not rule.keywords:  # path-scoped rule: every line of these (small) files
                positions: Iterable[int] = sorted(_line_starts(data))
            elif rule.near is not None and not rule.multiline:
                # the keyword may stand on a companion line: confirm the lines around each hit
                positions = sorted(_around(data, found, rule.near_lines))
            else:
                positions = sorted(set(found))
            if rule.multiline:
                matches.extend(self._confirm_windows(rule, data, positions, det, idx))
            elif record is not None and self._local[idx]:
                self._confirm_local(rule, idx, data, positions, det, matches, record.setdefault(idx, []))
            else:
                matches.extend(self._confirm_lines(rule, data, positions, det, idx))
        if not matches:
            return det
        kept = _resolve_overlaps(matches, self.demoted)
        locate = _Locator(data)
        for n, m in enumerate(kept):
            if len(det.findings) >= MAX_FINDINGS_PER_FILE:
                det.capped = len(kept) - n
                break
            f = self._finding(m, chunk, data, locate)
            if chunk.lines is not None and f.location.line not in chunk.lines:
                continue
            if _allowed_inline(data, m.start):
                det.allowed_inline += 1
                continue
            det.findings.append(f)
        det.findings.sort(key=lambda f: (f.location.start_offset, f.rule_id))
        if len(det.findings) > 1:
            det.findings = _mask_neighbours(det.findings, data)
        return det

    # -- incremental scanning (versions of a file) ---------------------------

    def _begin(self, chunk: Chunk) -> _Incremental | None:
        """The state of an incremental scan of ``chunk``: diffed against the last version of
        its path this process scanned, if any (None: scan it whole, remember nothing)."""
        if self._line_hits is None:
            self._sort_nonlocal()
        data, path = chunk.data, chunk.origin.path
        if not (VERDICT_CACHE and chunk.lines is None and len(data) >= _DIFF_MIN
                and self.prefilter.name == "hyperscan" and not _has_long_line(data)):
            self._forget(path)
            return None
        inc = _Incremental()
        prev = self._prev.get(path)
        if prev is not None:
            old, verdicts, cands, inc.ctx_lines, inc.was, line_hits, inc.was_at = prev
            blocks = _diff(old, data)
            changed = _gaps(blocks, len(data))
            if sum(e - s for s, e in changed) <= len(data) * 4 // 5:  # mostly new: scanning it whole costs less
                inc.blocks, inc.changed = blocks, changed
                inc.verdicts, inc.cands, inc.line_hits = verdicts, cands, line_hits
        return inc

    def _sort_nonlocal(self) -> None:
        """``_line_hits`` and ``_nonlocal_ids`` (see ``__init__``)."""
        local = self._local
        self._line_hits = lines = [not local[i] and bool(r.keywords) and trigger_within_lines(r)
                                   for i, r in enumerate(self.rules)]
        self._nonlocal_ids = [i for i, r in enumerate(self.rules) if r.keywords and not local[i] and not lines[i]]

    def _forget(self, path: str) -> None:
        prev = self._prev.pop(path, None)
        if prev is not None:
            self._prev_bytes -= len(prev[0])

    def _keep(self, path: str, data: bytes, inc: _Incremental) -> None:
        """Remember this version of ``path`` (most recent last; the oldest go beyond _PREV_BYTES)."""
        self._forget(path)
        self._prev[path] = (data, {i: r for i, r in inc.record.items() if r}, inc.new_cands, inc.new_ctx, inc.now,
                            inc.new_line_hits, inc.now_at)
        self._prev_bytes += len(data)
        while self._prev_bytes > _PREV_BYTES and len(self._prev) > 1:  # (the version just kept stays)
            self._forget(next(iter(self._prev)))

    def _incremental_hits(self, data: bytes, scoped: bool, inc: _Incremental, matches: list[_Match],
                          det: Detection) -> tuple[dict[int, list[int]], dict[int, list[int]] | None]:
        """Prefilter hits for a version of a file, diffed against an earlier one.

        The verdict of a line-local rule on a line depends on the line's bytes
        alone, and is empty on a line without a prefilter hit (the prefilter is
        a superset of the rule). So its verdicts on the runs of lines both versions
        share (``inc.blocks``) are replayed (into ``matches``, ``det`` and the record),
        and hits are looked for only on the changed lines. The hits of the rules whose
        hits lie within a line (``_line_hits``: companion rules) are found the same way: on
        the changed lines, and moved over from the earlier version on the shared ones. The
        multi-line rules get their hits on the whole text. Second: where provider names stand on the changed lines
        (:func:`leakguard.prefilter.hits_and_names`). ``det.hits`` gets the hits of every rule
        on those lines, for :func:`leakguard.context.add_context`, plus the lines where the
        earlier version had provider names that stand up to ``BLOCK_LINES`` lines above a
        changed line (see the comment below)."""
        assert inc.verdicts is not None
        moved = inc.moved
        for idx, lines in inc.verdicts.items():
            kept = inc.record.setdefault(idx, [])
            for ls, le, v in lines:
                base = moved(ls, le)
                if base is None:
                    continue
                kept.append((base, le + base - ls, v))
                _replay(v, base, matches, det)
        # Hits on the changed lines (one scan of them put together): for the line-local rules,
        # and for provider context
        hits: dict[int, list[int]] = {}
        ctx: dict[int, list[int]] = {}
        names: dict[int, list[int]] | None = None
        local, line_hits, changed = self._local, self._line_hits, inc.changed
        assert line_hits is not None  # (sorted out by _begin)
        joined, at = inc.joined(data)
        found_hits, found_names = hits_and_names(self.prefilter, joined, scoped)
        for idx, found in found_hits.items():
            pos = _placed_in(found, at, changed, len(data))
            if pos:
                ctx[idx] = pos
                if local[idx] or line_hits[idx]:
                    hits[idx] = list(pos)  # (ctx's lists grow below)
        # the hits that lie within a line, on the lines both versions share: the earlier version's
        for idx, spans in inc.line_hits.items():
            for ls, le, off in spans:
                ns = moved(ls, le)
                if ns is not None:
                    hits.setdefault(idx, []).append(ns + off)
        for idx, found in hits.items():
            if line_hits[idx]:
                found.sort()
                inc.new_line_hits[idx] = _hit_lines(data, found)
        if found_names:
            names = {}
            for idx, found in found_names.items():
                pos = _placed_in(found, at, changed, len(data))
                if pos:
                    names[idx] = pos
        # The earlier version's provider-name lines that did not change: kept for the next version,
        # and looked at again where a changed line stands up to BLOCK_LINES lines below (the
        # block such a line opens may hold new values; leakguard.context carries a finding over
        # only if the lines from its name's line down to it did not change)
        starts = [cs for cs, _ in changed]
        near = context.BLOCK_LINES
        for idx, ls, le in inc.ctx_lines:
            ns = inc.moved(ls, le)
            if ns is None:
                continue
            ne = ns + le - ls
            inc.new_ctx.append((idx, ns, ne))
            k = bisect.bisect_left(starts, ne)
            if k < len(starts) and _lines_between(data, ne, starts[k], near + 1) <= near:
                ctx.setdefault(idx, []).append(ns)
        if self._nonlocal_ids:
            if self._nonlocal_pf is None:
                from leakguard.prefilter import HyperscanPrefilter

                digest = hashlib.sha256(f"{self.ruleset.digest}|hits-beyond-a-line".encode()).hexdigest()
                self._nonlocal_pf = HyperscanPrefilter([self.rules[i] for i in self._nonlocal_ids], digest)
            for j, found in self._nonlocal_pf.hits(data, scoped).items():
                idx = self._nonlocal_ids[j]
                hits[idx] = list(found)
                # for context, only those on changed lines (the others' context findings are carried)
                inside = [p for p in found if (k := bisect.bisect_right(starts, p) - 1) >= 0 and p < changed[k][1]]
                if inside:
                    ctx.setdefault(idx, []).extend(inside)
        det.hits = ctx
        return hits, names

    def _candidates(self, data: bytes, inc: _Incremental) -> list[Candidate] | None:
        """The decode candidates of ``data`` (leakguard.decode.find_candidates), those on
        shared lines taken from the earlier version; None: let decode look for them."""
        if inc.verdicts is not None and inc.cands is None:  # the earlier version had too many
            return None
        if inc.verdicts is None:
            cands = list(itertools.islice(find_candidates(data), _MAX_KEPT_CANDIDATES + 1))
        else:
            cands = []
            for c in inc.cands or []:
                ns = inc.moved(c[1], c[2])
                if ns is not None:
                    cands.append((c[0], ns, ns + c[2] - c[1], c[3], c[4]))
            # each candidate lies within one line: those of the changed lines put together
            joined, at = inc.joined(data)
            for g, s, e, k, t in itertools.islice(find_candidates(joined), _MAX_KEPT_CANDIDATES + 1):
                j = bisect.bisect_right(at, s) - 1
                shift = inc.changed[j][0] - at[j]
                cands.append((g, s + shift, e + shift, k, t))
            cands.sort(key=lambda c: (c[0], c[1]))  # group by group, by start: find_candidates' order
        if len(cands) > _MAX_KEPT_CANDIDATES:  # (a lock file full of hashes): not worth keeping
            return None
        inc.new_cands = cands
        return cands

    def _confirm_local(self, rule: Rule, idx: int, data: bytes, positions: Iterable[int], det: Detection,
                       out: list[_Match], record: list[tuple[int, int, _Verdict]]) -> None:
        """``_confirm_lines`` for a line-local rule on text without long lines, keeping each
        line's verdict in ``record`` for the next version of the file."""
        covered = -1
        for pos in positions:  # sorted
            if pos < covered:
                continue
            ls, le = _line_span(data, pos)
            covered = le
            if le - ls <= _VERDICT_MAX_WINDOW:
                v = self._cached(idx, data, ls, le, out, det, self._confirm_line, rule, data, data[ls:le], ls)
            else:
                v = self._fresh(ls, det, self._confirm_line, rule, data, data[ls:le], ls)
                _replay(v, ls, out, det)
            if v[0] or v[1]:
                record.append((ls, le, v))

    # -- confirmation -------------------------------------------------------

    def _confirm_lines(self, rule: Rule, data: bytes, positions: Iterable[int], det: Detection,
                       idx: int = -1) -> list[_Match]:
        out: list[_Match] = []
        covered = -1  # end of the last confirmed window; hits before it are done
        # Without a companion rule, the verdict on a line depends on its bytes alone: cache it.
        cacheable = VERDICT_CACHE and idx >= 0 and rule.near is None
        for pos in positions:  # sorted
            if pos < covered:
                continue
            ls, le = _line_span(data, pos)
            if le - ls > _LONG_LINE:
                ws, we = _snap(data, max(ls, pos - _WINDOW), min(le, pos + _WINDOW))
            else:
                ws, we = ls, le
            covered = we
            if cacheable and we - ws <= _VERDICT_MAX_WINDOW:
                self._cached(idx, data, ws, we, out, det, self._confirm_line, rule, data, data[ws:we], ws)
            else:
                out.extend(self._confirm_line(rule, data, data[ws:we], ws, det))
        return out

    def _confirm_line(self, rule: Rule, data: bytes, raw: bytes, ws: int, det: Detection) -> list[_Match]:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        text = raw.decode("utf-8", "replace")
        if rule.keywords and not _has_keyword(text, rule.keywords):
            if rule.near is None or not _has_keyword(_lines_around(data, ws, rule.near_lines), rule.keywords):
                return []
        return self._matches(rule, data, text, ws, det)

    def _cached(self, idx: int, data: bytes, ws: int, we: int, out: list[_Match], det: Detection,
                confirm: Callable[..., list[_Match]], *args: Any) -> _Verdict:
        """Add to ``out`` the verdict of rule ``idx`` on the window ``data[ws:we]``:
        remembered from an earlier window with the same bytes, else confirmed
        afresh with ``confirm(*args, det)`` and remembered (offsets relative to
        the window start)."""
        vkey = (idx, data[ws:we])
        v = self._verdicts.get(vkey)
        if v is None:
            v = self._fresh(ws, det, confirm, *args)
            # a timeout is not a property of the bytes: never remember it
            if "regex timeout" not in v[1] and not det.timeouts:
                if self._verdict_bytes > _VERDICT_BYTES:
                    self._verdicts.clear()
                    self._verdict_bytes = 0
                self._verdicts[vkey] = v
                self._verdict_bytes += we - ws + 100
        _replay(v, ws, out, det)
        return v

    @staticmethod
    def _fresh(ws: int, det: Detection, confirm: Callable[..., list[_Match]], *args: Any) -> _Verdict:
        """Confirm one window with ``confirm(*args, sub)``: its verdict, offsets relative to ``ws``
        (timeouts go to ``det``)."""
        sub = Detection()
        found = confirm(*args, sub)
        det.timeouts.extend(sub.timeouts)
        return (tuple(dataclasses.replace(m, start=m.start - ws, end=m.end - ws, match_start=m.match_start - ws,
                                          match_end=m.match_end - ws) for m in found),
                tuple(r for r, n in sub.dropped.items() for _ in range(n)))

    def _confirm_windows(self, rule: Rule, data: bytes, positions: Iterable[int], det: Detection,
                         idx: int = -1) -> list[_Match]:
        spans: list[tuple[int, int]] = []
        for pos in positions:  # sorted
            ws, we = _line_span(data, pos, n=rule.multiline)
            if spans and ws <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(we, spans[-1][1]))
            else:
                spans.append((ws, we))
        out: list[_Match] = []
        cacheable = VERDICT_CACHE and idx >= 0 and rule.near is None
        for ws, we in spans:
            if cacheable and we - ws <= _VERDICT_MAX_SPAN:
                self._cached(idx, data, ws, we, out, det, self._confirm_window, rule, data, ws, we)
            else:
                out.extend(self._confirm_window(rule, data, ws, we, det))
        return out

    def _confirm_window(self, rule: Rule, data: bytes, ws: int, we: int, det: Detection) -> list[_Match]:
        out: list[_Match] = []
        text = data[ws:we].decode("utf-8", "replace")
        for m in self._matches(rule, data, text, ws, det):
            if rule.keywords:
                ls, le = _line_span(data, m.match_start, m.match_end)
                if not _has_keyword(data[ls:le].decode("utf-8", "replace"), rule.keywords):
                    continue
            out.append(m)
        return out

    def _matches(self, rule: Rule, data: bytes, text: str, base: int, det: Detection) -> list[_Match]:
        out: list[_Match] = []
        try:
            it = list(rule.pattern.finditer(text, timeout=_REGEX_TIMEOUT))
        except TimeoutError:
            _drop(det, "regex timeout")
            det.timeouts.append(rule.id)
            return out
        ascii_text = text.isascii()
        for m in it:
            secret = m.group(rule.secret_group)
            if not secret:
                continue
            s_start, s_end = m.span(rule.secret_group)
            key = m.group("key") if rule.has_key_group else None
            try:
                reason, confidence = self._gate(rule, secret, key, text)
            except TimeoutError:  # a rule allowlist regex: report the finding rather than hide it
                det.timeouts.append(rule.id)
                reason, confidence = judge(rule, secret, key, text)
            if reason:
                _drop(det, reason)
                continue
            if ascii_text:  # character offsets are byte offsets
                start, end, m_start, m_end = base + s_start, base + s_end, base + m.start(), base + m.end()
            else:
                start = base + len(text[:s_start].encode("utf-8"))
                end = start + len(secret.encode("utf-8"))
                m_start = base + len(text[:m.start()].encode("utf-8"))
                m_end = m_start + len(m.group(0).encode("utf-8"))
            try:
                alone = rule.near is not None and not _near(rule, data, start)
            except TimeoutError:
                det.timeouts.append(rule.id)
                alone = False
            if alone:
                _drop(det, "no companion nearby")
                continue
            out.append(_Match(rule, start, end, secret, key, text, shannon(secret), m_start, m_end, confidence))
        return out

    def _gate(self, rule: Rule, secret: str, key: str | None, text: str) -> tuple[str | None, str]:
        """(reason to drop, '') or (None, confidence): the rule's own gates, then the judgement."""
        if filters.is_managed_reference(secret):
            return filters.MANAGED_REFERENCE, ""
        if secret in rule.allow_secrets:
            return "allowlisted secret", ""
        if any(p.search(secret) for p in rule.allow_patterns):
            return "allowlisted pattern", ""
        low = secret.lower()
        if any(w in low for w in rule.allow_stopwords):
            return "stopword", ""
        if rule.min_entropy and shannon(secret) < rule.min_entropy:
            return "low entropy", ""
        if rule.checksum and not checksums.valid(rule.checksum, secret):
            return "checksum mismatch", ""
        return judge(rule, secret, key, text)

    def _finding(self, m: _Match, chunk: Chunk, data: bytes, locate: _Locator | None = None) -> Finding:
        return Finding(
            rule_id=m.rule.id,
            description=m.rule.description,
            severity=m.rule.severity,
            origins=chunk.origins,
            secret=m.secret,
            **placed(data, m.start, m.end, m.rule.id, m.secret, chunk.origin.path, locate),
            entropy=round(m.entropy, 3),
            key=key_path(data, data.rfind(b"\n", 0, m.start) + 1, m.key) if m.key else None,  # database.password: named by its parent
            tags=m.rule.tags,
            confidence=m.confidence,
            companions=_companions(m.rule, data, m.start) if m.rule.verify is not None and m.rule.verify.pairs else (),
        )


class Placed(TypedDict):
    """The fields of a Finding that follow from where its secret stands (see :func:`placed`)."""
    location: Location
    secret_hash: str
    fingerprint: str
    line_text: str


def placed(data: bytes, start: int, end: int, rule_id: str, secret: str, path: str,
           locate: _Locator | None = None) -> Placed:
    """A finding of ``rule_id`` on ``secret`` at ``data[start:end]`` in the file ``path``: its
    location, secret hash, fingerprint and line text (``Finding(**placed(...), ...)``). The one
    place this is computed: the engine's own findings, provider-context findings moved from their
    view into the text (leakguard.context) and findings rebuilt from the blob cache
    (sources.blobcache) must agree field for field. ``locate``: a :class:`_Locator` of ``data``
    asked in increasing order (else one is made)."""
    sh = secret_hash(rule_id, secret)
    return Placed(location=(locate or _Locator(data)).location(start, end), secret_hash=sh,
                  fingerprint=fingerprint(sh, path), line_text=line_text(data, start, end, secret))


def line_text(data: bytes, start: int, end: int, secret: str) -> str:
    """A finding's line text: the whole secret and at most _CONTEXT bytes of its line(s) on either
    side; never cut through the secret, so redaction can always find (and mask) all of it."""
    cs, ce = _context(data, start, end)
    return data[cs:start].decode("utf-8", "replace") + secret + data[end:ce].decode("utf-8", "replace")


def _context(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Byte span of a finding's context: its line(s), at most _CONTEXT bytes either side of the secret."""
    ls, le = _line_span(data, start, end)
    return max(ls, start - _CONTEXT), min(le, end + _CONTEXT)


def merge_findings(det: Detection, found: Iterable[Finding], chunk: Chunk, generic_ids: Collection[str], *,
                   distinct: bool = False) -> list[Finding]:
    """Add to ``det`` the findings of another view of ``chunk`` (its decoded text, provider
    context): those on the chunk's kept lines that no provider finding of ``det`` overlaps
    (``distinct``: nor one added before them) and that no inline allow comment silences. A
    generic finding they overlap gives way to them. ``det.findings`` stays sorted by offset and
    rule, not yet masked; the findings added are returned (none: ``det`` is unchanged)."""
    new: list[Finding] = []
    for f in found:
        if chunk.lines is not None and f.location.line not in chunk.lines:
            continue
        if distinct and any(overlaps(f, g) for g in new) or any(
                overlaps(f, g) and g.rule_id not in generic_ids for g in det.findings):
            continue
        if _allowed_inline(chunk.data, f.location.start_offset):
            det.allowed_inline += 1
            continue
        new.append(f)
    if new:
        plain = [g for g in det.findings if not (g.rule_id in generic_ids and any(overlaps(f, g) for f in new))]
        det.findings = sorted(plain + new, key=lambda f: (f.location.start_offset, f.rule_id))
    return new


def _mask_neighbours(findings: list[Finding], data: bytes) -> list[Finding]:
    """A finding's line text keeps only its own secret raw (reporters redact
    that one); other secrets found on the same line are masked here (no
    characters shown, whatever the report's policy), by
    position (a neighbour may contain, or be contained in, this secret), so
    no output shows them through a neighbour's context."""
    out = []
    others = sorted({g.secret for g in findings}, key=len, reverse=True)
    for f in findings:
        fs, fe = f.location.start_offset, f.location.end_offset
        cs, ce = _context(data, fs, fe)
        # (start, end, shown) for the finding's own secret (kept raw) and each neighbour in view (masked)
        spans = sorted([(fs, fe, f.secret)] + [
            (max(g.location.start_offset, cs), min(g.location.end_offset, ce), MASK)
            for g in findings if g is not f and g.location.start_offset < ce and g.location.end_offset > cs
            and (g.location.end_offset <= fs or g.location.start_offset >= fe)])
        parts: list[str] = []
        pos = cs
        for a, b, shown in spans:
            if a < pos:  # overlapping neighbours cannot happen (one finding per span); be safe anyway
                a = pos
            text = data[pos:a].decode("utf-8", "replace")
            for s in others:  # other copies of a found secret, where no rule matched them
                if s != f.secret and s in text:
                    text = text.replace(s, MASK)
            parts += [text, shown]
            pos = max(pos, b)
        text = data[pos:ce].decode("utf-8", "replace")
        for s in others:
            if s != f.secret and s in text:
                text = text.replace(s, MASK)
        parts.append(text)
        text = "".join(parts)
        out.append(dataclasses.replace(f, line_text=text) if text != f.line_text else f)
    return out


def _mask_encoded(f: Finding, encoded: set[str]) -> Finding:
    """Encoded blobs are secrets in disguise: mask them in every line text."""
    text = f.line_text
    for e in encoded:
        if e in text:
            text = text.replace(e, MASK)
    return dataclasses.replace(f, line_text=text) if text != f.line_text else f


def _replay(v: _Verdict, base: int, out: list[_Match], det: Detection) -> None:
    """Add a remembered verdict's matches (shifted to ``base``) and dropped reasons."""
    found, drops = v
    for reason in drops:
        det.dropped[reason] = det.dropped.get(reason, 0) + 1
    for m in found:
        out.append(dataclasses.replace(m, start=m.start + base, end=m.end + base, match_start=m.match_start + base,
                                       match_end=m.match_end + base))


def _has_long_line(data: bytes) -> bool:
    """Whether a line is longer than _LONG_LINE (confirmed in windows around each hit)."""
    pos, n = 0, len(data)
    while n - pos > _LONG_LINE:
        j = data.rfind(b"\n", pos, pos + _LONG_LINE + 1)
        if j < 0:
            return True
        pos = j + 1
    return False


def _unchanged(old: bytes, new: bytes) -> tuple[int, int]:
    """``(ps, ss)``: ``new[:ps]`` and ``new[ss:]`` are whole lines that ``old`` has too, at its
    start and at its end (``ps`` and ``ss`` are line starts in both texts); ``ps <= ss``."""
    ln = len(new)
    p = _common_prefix(old, 0, len(old), new, 0, ln)
    j = _common_suffix(old, p, len(old), new, p, ln)  # the suffix may not overlap the prefix
    ps = new.rfind(b"\n", 0, p) + 1
    nl = new.find(b"\n", ln - j)  # the suffix's first newline: lines after it are whole in both texts
    ss = ln if nl < 0 else nl + 1
    return ps, max(ps, ss)


_ANCHOR = 48  # bytes (whole lines, at least) of a changed region looked for in the earlier version
# changed regions smaller than this are left whole: splitting them costs more than it saves (one
# worker over sqlalchemy's history, CPU seconds: 2048 45.0, 4096 38.5-39.6, 8192 36.2-38.2, 16384
# 40.8 when the diff copied its slices; since it compares memoryviews, alternating runs: 4096 43.6,
# 40.6, 44.2 against 8192 45.0, 42.3, 46.8; 2048 52.6)
_SPLIT_MIN = 4096
_SPLIT_DEPTH = 12


def _diff(old: bytes, new: bytes) -> list[tuple[int, int, int]]:
    """Runs of whole lines that ``new`` shares with ``old``: (start in new, start in old,
    length), in order in both texts and not overlapping.

    Not a minimal diff, and it need not be: whatever depends on a line's bytes alone can
    be taken from the earlier version wherever the two texts share a run of lines, and
    everything else in ``new`` is looked at afresh. The common start and end first
    (:func:`_unchanged`), then, inside the region between, a run of lines from the middle
    of the new text is looked for in the old one (``bytes.find``) and the match is grown
    both ways; the regions on either side are split the same way. All of it is C-level
    work over the bytes: a few Python steps per hunk of the edit."""
    ps, ss = _unchanged(old, new)
    shift = len(old) - len(new)
    out: list[tuple[int, int, int]] = [(0, 0, ps)] if ps else []
    _split(old, new, ps, ss + shift, ps, ss, out, 0)
    if ss < len(new):
        out.append((ss, ss + shift, len(new) - ss))
    return out


def _split(old: bytes, new: bytes, o0: int, o1: int, n0: int, n1: int, out: list[tuple[int, int, int]],
           depth: int) -> None:
    """Shared runs of lines of ``new[n0:n1]`` and ``old[o0:o1]`` (all four bounds are line
    starts, or text ends) appended to ``out`` in order."""
    if n1 - n0 < _SPLIT_MIN or o1 - o0 < _ANCHOR or depth > _SPLIT_DEPTH:
        return
    for at in (n0 + (n1 - n0) // 2, n0 + (n1 - n0) // 4, n0 + 3 * (n1 - n0) // 4):
        a = new.rfind(b"\n", n0, at) + 1 or n0  # a line start
        e = new.find(b"\n", a + _ANCHOR, n1)
        if e < 0:
            continue
        e += 1
        anchor = new[a:e]
        j = old.find(anchor, o0, o1)
        while j > o0 and old[j - 1] != 10:  # at a line start there too
            j = old.find(anchor, j + 1, o1)
        if j < 0:
            continue
        b = _common_suffix(new, n0, a, old, o0, j)
        if b == 0:
            na = a
        elif a - b == n0 and j - b == o0:
            na = n0
        else:
            na = new.find(b"\n", a - b, a) + 1
        f = _common_prefix(new, e, n1, old, j + e - a, o1)
        ne = new.rfind(b"\n", e - 1, e + f) + 1
        if e + f == n1 and j + e - a + f == o1:
            ne = n1
        oa = na + j - a
        _split(old, new, o0, oa, n0, na, out, depth + 1)
        out.append((na, oa, ne - na))
        _split(old, new, oa + ne - na, o1, ne, n1, out, depth + 1)
        return


def _common_prefix(x: bytes, xi: int, xj: int, y: bytes, yi: int, yj: int) -> int:
    """Length of the common start of ``x[xi:xj]`` and ``y[yi:yj]``: blocks of growing size
    compared in C (``bytes.startswith`` of a ``memoryview`` slice: no copy of either side),
    then halving the block that differs."""
    n = xj - xi if xj - xi < yj - yi else yj - yi
    ym, at = memoryview(y), x.startswith
    i, step = 0, 256
    while i < n:
        e = i + step if i + step < n else n
        if not at(ym[yi + i:yi + e], xi + i):
            lo, hi = i, e  # equal up to lo; a difference in [lo, hi)
            while hi - lo > 16:
                mid = (lo + hi) >> 1
                if at(ym[yi + lo:yi + mid], xi + lo):
                    lo = mid
                else:
                    hi = mid
            while x[xi + lo] == y[yi + lo]:
                lo += 1
            return lo
        i = e
        if step < _BLOCK:
            step <<= 2
    return n


def _common_suffix(x: bytes, xi: int, xj: int, y: bytes, yi: int, yj: int) -> int:
    """Length of the common end of ``x[xi:xj]`` and ``y[yi:yj]`` (as :func:`_common_prefix`)."""
    n = xj - xi if xj - xi < yj - yi else yj - yi
    ym, ends = memoryview(y), x.endswith
    i, step = 0, 256
    while i < n:
        e = i + step if i + step < n else n
        if not ends(ym[yj - e:yj - i], 0, xj - i):
            lo, hi = i, e
            while hi - lo > 16:
                mid = (lo + hi) >> 1
                if ends(ym[yj - mid:yj - lo], 0, xj - lo):
                    lo = mid
                else:
                    hi = mid
            while x[xj - lo - 1] == y[yj - lo - 1]:
                lo += 1
            return lo
        i = e
        if step < _BLOCK:
            step <<= 2
    return n


def _hit_lines(data: bytes, found: Sequence[int]) -> list[tuple[int, int, int]]:
    """(line start, line end, offset in the line) of each hit in ``found`` (a hit at a line's
    newline ends a match on that line)."""
    out: list[tuple[int, int, int]] = []
    n = len(data)
    for p in found:
        ls = data.rfind(b"\n", 0, p) + 1
        le = data.find(b"\n", p)
        out.append((ls, n if le < 0 else le + 1, p - ls))
    return out


_ESCAPED_QUOTE = b'\\"'  # escaped JSON text: provider context reads it differently
_SECRET_WORD = b"Secret"  # a Kubernetes Secret: decoding reads its data


def _joined(data: bytes, spans: list[tuple[int, int]]) -> tuple[bytes, list[int]]:
    """The spans of ``data`` (whole lines) put together, and where each starts in the result."""
    if len(spans) == 1:
        s, e = spans[0]
        return data[s:e], [0]
    at, n = [], 0
    for s, e in spans:
        at.append(n)
        n += e - s
    return b"".join([data[s:e] for s, e in spans]), at


def _placed_in(found: Sequence[int], at: list[int], spans: list[tuple[int, int]], n: int) -> list[int]:
    """Offsets into :func:`_joined` text -> offsets into the ``n`` bytes of text it came from.
    A hit at the very end of a span (a match that took the line's newline) stands for the line
    after it, which is not in the span: left out (unless it is the end of the text)."""
    out: list[int] = []
    for p in found:
        k = bisect.bisect_right(at, p) - 1
        if k and p == at[k]:  # the end of span k - 1 (the start of a later span: another line)
            continue
        s, e = spans[k]
        q = p - at[k] + s
        if q < e or q == n:
            out.append(q)
    return out


def _lines_between(data: bytes, s: int, e: int, most: int) -> int:
    """The number of newlines in ``data[s:e]``, or some number above ``most`` if there are more."""
    if e - s > 4096:
        c = data.count(b"\n", s, s + 4096)
        if c > most:
            return c
    return data.count(b"\n", s, e)


def _ctx_lines(data: bytes, hits: Mapping[int, Sequence[int]], names: Mapping[int, object],
               kept: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``kept`` plus (rule index, line start, line end) of each line of ``hits`` whose rule
    names a provider (``names``), once each."""
    seen = {(idx, ls) for idx, ls, _ in kept}
    out = list(kept)
    for idx, found in hits.items():
        if idx not in names:
            continue
        for pos in found:
            ls = data.rfind(b"\n", 0, pos) + 1
            if (idx, ls) not in seen:
                seen.add((idx, ls))
                le = data.find(b"\n", ls)
                out.append((idx, ls, len(data) if le < 0 else le))
    return out


def _gaps(blocks: list[tuple[int, int, int]], n: int) -> list[tuple[int, int]]:
    """The spans of a text of ``n`` bytes outside ``blocks``."""
    out: list[tuple[int, int]] = []
    pos = 0
    for s, _, k in blocks:
        if s > pos:
            out.append((pos, s))
        pos = s + k
    if pos < n:
        out.append((pos, n))
    return out


def _line_starts(data: bytes) -> set[int]:
    starts = {0}
    i = data.find(b"\n")
    while i >= 0:
        starts.add(i + 1)
        i = data.find(b"\n", i + 1)
    return starts


def _drop(det: Detection, reason: str) -> None:
    det.dropped[reason] = det.dropped.get(reason, 0) + 1


def _has_keyword(text: str, keywords: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(k in low for k in keywords)


def _snap(data: bytes, ws: int, we: int) -> tuple[int, int]:
    """Move window edges to a nearby separator so a token is not cut in two."""
    for i in range(ws, max(ws - 256, -1), -1):
        if data[i:i + 1] in b" \t,;\"'<>(){}[]":
            ws = i
            break
    for i in range(we, min(we + 256, len(data))):
        if data[i:i + 1] in b" \t,;\"'<>(){}[]":
            we = i
            break
    return ws, we


def _line_span(data: bytes, start: int, end: int | None = None, n: int = 0) -> tuple[int, int]:
    """Byte span of the whole lines holding ``data[start:end]`` (``end``
    defaults to ``start``), widened by ``n`` lines on either side; the span
    stops before the last line's newline."""
    ws = data.rfind(b"\n", 0, start) + 1
    for _ in range(n):
        if ws == 0:
            break
        ws = data.rfind(b"\n", 0, ws - 1) + 1
    we = data.find(b"\n", start if end is None else end)
    for _ in range(n):
        if we < 0:
            break
        we = data.find(b"\n", we + 1)
    return ws, we if we >= 0 else len(data)


def _lines_around(data: bytes, pos: int, n: int) -> str:
    """The line holding ``pos`` and ``n`` lines on either side."""
    ws, we = _line_span(data, pos, n=n)
    return data[ws:we].decode("utf-8", "replace")


def _around(data: bytes, positions: Iterable[int], n: int) -> set[int]:
    """Line starts of every line within ``n`` lines of a position."""
    out: set[int] = set()
    line_end = -1
    for pos in sorted(positions):
        if pos <= line_end:  # many hits on one line (minified code, base64 blobs): expand it once
            continue
        line_end = _line_span(data, pos)[1]
        ws, we = _line_span(data, pos, n=n)
        out.add(ws)
        i = data.find(b"\n", ws, we)
        while i >= 0:
            if i + 1 < len(data):
                out.add(i + 1)
            i = data.find(b"\n", i + 1, we)
    return out


def _companions(rule: Rule, data: bytes, pos: int) -> tuple[tuple[str, str], ...]:
    """Values a rule's verifier pairs with the secret, from the lines around
    it: for each pair, the match nearest to the secret."""
    assert rule.verify is not None
    out: list[tuple[str, str]] = []
    for pair in rule.verify.pairs:
        ws, we = _line_span(data, pos, n=pair.lines)
        if we - ws > 2 * _LONG_LINE:  # minified code: look around the secret, not along the whole line
            ws, we = _snap(data, max(ws, pos - _WINDOW), min(we, pos + _WINDOW))
        text = data[ws:we].decode("utf-8", "replace")
        here = len(data[ws:pos].decode("utf-8", "replace"))
        best: tuple[int, str] | None = None
        try:
            for m in pair.pattern.finditer(text, timeout=_REGEX_TIMEOUT):
                value = m.group(pair.name) if pair.name in pair.pattern.groupindex else m.group(1)
                if value and (best is None or abs(m.start() - here) < best[0]):
                    best = (abs(m.start() - here), value)
        except TimeoutError:
            continue
        if best is not None:
            out.append((pair.name, best[1]))
    return tuple(out)


def _near(rule: Rule, data: bytes, pos: int) -> bool:
    ws, we = _line_span(data, pos, n=rule.near_lines)
    if we - ws > 2 * _LONG_LINE:
        # minified code: the companion must stand within the window confirmation uses, so that
        # thousands of candidates on one long line do not each decode the whole line
        ws, we = _snap(data, max(ws, pos - _WINDOW), min(we, pos + _WINDOW))
    return bool(rule.near.search(data[ws:we].decode("utf-8", "replace")))


def _allowed_inline(data: bytes, pos: int) -> bool:
    ls, le = _line_span(data, pos)
    line = data[ls:le]
    if ALLOW_MARKER.encode() in line:
        return True
    if ls > 0:
        pls = data.rfind(b"\n", 0, ls - 1) + 1
        prev = data[pls:ls - 1].strip()
        # a comment line of its own just above, for languages where a trailing comment is awkward
        if ALLOW_MARKER.encode() in prev and prev.startswith(_COMMENT_LEADERS):
            return True
    return False


def _location(data: bytes, start: int, end: int) -> Location:
    return _Locator(data).location(start, end)


class _Locator:
    """Line and column of spans, asked for in increasing order: each call counts
    newlines only from the previous position, so locating n findings in a file
    is linear in its size, not n times it."""

    __slots__ = ("data", "pos", "line")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0  # self.line is the 1-based line number at byte offset self.pos
        self.line = 1

    def line_at(self, off: int) -> int:
        if off >= self.pos:
            self.line += self.data.count(b"\n", self.pos, off)
        else:  # out of order: count afresh
            self.line = self.data.count(b"\n", 0, off) + 1
        self.pos = off
        return self.line

    def location(self, start: int, end: int) -> Location:
        data = self.data
        line = self.line_at(start)
        ls = data.rfind(b"\n", 0, start) + 1
        col = len(data[ls:start].decode("utf-8", "replace")) + 1
        end_line = line + data.count(b"\n", start, end)
        els = data.rfind(b"\n", 0, end) + 1
        end_col = len(data[els:end].decode("utf-8", "replace")) + 1
        return Location(line, col, end_line, end_col, start, end)


def _resolve_overlaps(matches: list[_Match], demoted: frozenset[str] = frozenset()) -> list[_Match]:
    """One finding per secret span: rules a config file added (``demoted``) give
    way to all others; provider rules beat generic ones and catch-all rules
    (tagged ``fallback``), then the higher severity, then the longer secret."""
    sev = {"low": 0, "medium": 1, "high": 2, "critical": 3}
    # the rule id breaks the last tie, so the winner never depends on the order the prefilter reported hits
    ranked = sorted(matches, key=lambda m: (m.rule.id in demoted, m.rule.generic, "fallback" in m.rule.tags,
                                            -sev[m.rule.severity],
                                            -(m.end - m.start), m.start, m.rule.id))
    # kept spans never overlap, so sorted by start their ends are sorted too: one bisect per match
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Match] = []
    for m in ranked:
        i = bisect.bisect_right(starts, m.start)
        if i and ends[i - 1] > m.start:  # the kept span starting at or before m reaches into it
            continue
        if i < len(starts) and starts[i] < m.end:  # the next kept span starts inside m
            continue
        starts.insert(i, m.start)
        ends.insert(i, m.end)
        kept.insert(i, m)
    return kept
