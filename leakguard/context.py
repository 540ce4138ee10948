"""Provider context: a value under a generic name, where the provider is named nearby.

Name-keyed provider rules (a bare hex, UUID or alphanumeric format) need the
provider's name in the name the value is assigned to: ``FASTLY_API_TOKEN=...``.
Real files often name the provider elsewhere: in a Markdown bullet
(``- Fastly `api_token`: `...` ``), in a URL's host (``https://api.fastly.com/x?api_token=...``),
in a log line (``provider=consul token=...``), in the parent key of nested
config (``fastly:`` / ``  api_token: ...``) or in a client constructor
(``new FastlyClient({ apiToken: '...' })``); notebooks escape the quotes around
both the name and the value (``\\"FASTLY_API_TOKEN\\"] = \\"...\\"``).

After the plain scan of a chunk, :func:`context_findings` takes the lines where
the prefilter found a provider's NAME keyword (with Hyperscan, a rule woken by
its key name's shape has its names reported apart,
:func:`leakguard.prefilter.hits_and_names`), collects the ``field = value`` pairs on that line and, when
the line opens a block (``fastly:``, ``new FastlyClient({``), on the lines of
that block; each pair whose field is a credential word is shown to the rules
as ``<provider>_<field> = "<value>"``. Only non-generic (provider) rules may
report from that view, so the value must still fit the provider's format; the
finding is located at the value in the original text.

Bounded: at most ``MAX_LINES`` hit lines and ``MAX_PAIRS`` pairs per chunk,
``BLOCK_LINES`` lines per block, lines up to ``MAX_LINE`` bytes.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from leakguard.model import Chunk, Finding, Origin

if TYPE_CHECKING:
    from leakguard.engine import Detection, Engine, _Incremental
    from leakguard.ruleset import Rule

MAX_LINES = 64  # hit lines looked at per chunk
MAX_PAIRS = 128  # pairs shown to the rules per chunk
BLOCK_LINES = 24  # lines of a block (below an opener) looked at
MAX_LINE = 2048  # longer lines (minified code, data) are left alone
MAX_WORDS = 3  # provider names taken from one line
MAX_KEPT_PATHS = 20000  # files whose context findings are kept for their next version (leakguard git)

# a name keyword: a provider's name, not a token prefix (``xoxb-``) or a glued form (``sk_live``)
_NAME_KW = re.compile(r"[a-z]{3,}")
# field names that hold a credential; the provider rule decides whether the value fits
_CRED_FIELD = re.compile(r"(?i)(?:key|token|secret|private|pass(?:word|wd|phrase)?|pwd|pat|auth|credentials?|dsn)s?$")
# ``field = value`` / ``field: value`` / ``"field": "value"`` / ``field=value&`` / ``field="value"``,
# found from the credential word that ends the field (the rest of the field is read backwards:
# a regex that starts at every word of a line costs more than the rest of the step)
_PAIR = re.compile(r"""(?xi)
    (?P<cw> key | token | secret | private | pass (?:word|wd|phrase)? | pwd | pat | auth | credentials? | dsn ) s?
    (?![\w$.-])
    ["'`]{0,2} \]? ["'`]{0,2} [ \t]{0,3}
    (?: := | => | = | : ) [ \t]{0,3}
    ["'`]{0,2}
    (?!/) (?P<value> [^\s"'`,;&?<>(){}\[\]\\|]{8,512} )
""")
_PAIR_LOW = re.compile(_PAIR.pattern.replace("(?xi)", "(?x)"))
_CRED_WORDS = ("key", "token", "secret", "private", "pass", "pwd", "pat", "auth", "credential", "dsn")  # _PAIR's cw
_FIELD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.-")
# Markdown: a backticked field name, a short remark, a colon, a backticked value
_MD = re.compile(r"`(?P<field>[A-Za-z_][\w.-]{0,60})`[^`\n]{0,40}?:[ \t]{0,3}`(?P<value>[^`\s]{8,512})`")
# ``Authorization: Bearer <value>`` / ``token <value>``: the value of a header
_BEARER = re.compile(r"(?i)(?<![\w-])(?:bearer|token)[ \t]+(?P<value>[A-Za-z0-9._~+/=:-]{8,512})")
_BEARER_LOW = re.compile(_BEARER.pattern.replace("(?i)", "").replace("A-Za-z", "a-z"))
# a block of code (a function, a class, a loop): its lines are statements, not the provider's settings
_CODE_BLOCK = re.compile(r"[ \t]*(?:(?:async[ \t]+)?def|class|if|elif|else|for|while|with|try|except|finally|switch|case"
                         r"|function|func|fn|public|private|protected|static|void)\b")
# a line that opens a block: YAML ``fastly:``, JSON ``"fastly": {``, a call ``FastlyClient(`` / ``({``
_OPENER = re.compile(r"""(?:[:({\[=]|=>)[ \t]*(?:\{[ \t]*)?(?:(?:\#|//).*)?$""")


_Found = tuple[int, int, str, str]  # value start, end (bytes in the chunk), field, value the rules see


@dataclass(slots=True)
class _Pair:
    start: int  # byte offsets of the value in the chunk
    end: int
    value: str  # what the rules see (percent-decoded in a URL)
    view: str  # the line the rules see
    opener: int  # start of the line whose provider name gave the context (the value's own, or its block's)


def name_keywords(rules: Sequence[Rule]) -> dict[int, tuple[str, ...]]:
    """Rule index -> the provider-name keywords of each non-generic rule (maybe none)."""
    out: dict[int, tuple[str, ...]] = {}
    for i, r in enumerate(rules):
        if r.generic or "fallback" in r.tags or r.multiline or r.paths_only or not r.keywords:
            continue
        # credential words (``secret``) name no provider; longest first (``_words``)
        out[i] = tuple(sorted((k for k in r.keywords if _NAME_KW.fullmatch(k) and not _CRED_FIELD.search(k)),
                              key=lambda k: (-len(k), k)))
    return out


def context_findings(engine: Engine, chunk: Chunk, det: Detection, hits: Mapping[int, Iterable[int]],
                     names: Mapping[int, tuple[str, ...]]) -> list[Finding]:
    """Findings of provider rules on the values their provider's name gives context to
    (located in ``chunk``), that no finding of ``det`` already covers with a provider rule."""
    return [f for f, _ in _context_findings(engine, chunk, det, hits, names)]


def _context_findings(engine: Engine, chunk: Chunk, det: Detection, hits: Mapping[int, Iterable[int]],
                      names: Mapping[int, tuple[str, ...]], escaped: bool | None = None) -> list[tuple[Finding, int]]:
    """:func:`context_findings`, each with the start of the line whose provider name gave it
    (``escaped``: whether the text holds ``\\"``, if the caller knows)."""
    data = chunk.data
    taken = [(f.location.start_offset, f.location.end_offset) for f in det.findings
             if f.rule_id not in engine._generic_ids]
    # hit line start -> the name keywords found on it
    lines: dict[int, set[str]] = {}
    if escaped is None:
        escaped = b'\\"' in data  # JSON strings holding code (notebooks): any provider rule's line
    # the rules in the order of the first line each hit (then by index), each rule's lines in text
    # order: a choice of MAX_LINES lines that depends on which lines hit, not on the order in which
    # the prefilter reported them (an incremental scan knows the lines, not that order)
    by_rule: list[tuple[int, int, list[int]]] = []
    for idx, found in hits.items():
        kws = names.get(idx)
        if kws is None or not (kws or escaped):
            continue
        starts = sorted({data.rfind(b"\n", 0, pos) + 1 for pos in found})
        if starts:
            by_rule.append((starts[0], idx, starts))
    by_rule.sort()
    for _, idx, starts in by_rule:
        kws = names[idx]
        for ls in starts:
            if ls in lines:
                lines[ls].update(kws)
                continue
            if len(lines) >= MAX_LINES:
                break
            lines[ls] = set(kws)
    if not lines:
        return []
    pairs: list[_Pair] = []
    seen: set[tuple[int, str]] = set()
    for ls in sorted(lines):
        le = data.find(b"\n", ls)
        le = len(data) if le < 0 else le
        if le - ls > MAX_LINE:
            continue
        line = data[ls:le].decode("utf-8", "replace")
        # the pairs first: most lines that name a provider hold none (``cursor.execute(...)``)
        got = _line_pairs(data, ls, line)
        if _OPENER.search(line.rstrip("\r")) and not _CODE_BLOCK.match(line):
            got += _block_pairs(data, le, line)
        if not got:
            continue
        words = _words(line, lines[ls]) + ([""] if '\\"' in line else [])
        if not words:
            continue
        for word in words:
            for start, end, field, value in got:
                shown = _assign(word, field, value)
                if (start, shown) not in seen:
                    seen.add((start, shown))
                    pairs.append(_Pair(start, end, value, shown, ls))
        if len(pairs) >= MAX_PAIRS:
            break
    pairs = [p for p in pairs[:MAX_PAIRS] if not any(s < p.end and p.start < e for s, e in taken)]
    if not pairs:
        return []
    view = "\n".join(p.view for p in pairs) + "\n"
    sub = Chunk(view.encode("utf-8"), (Origin("file", chunk.origin.path),))
    viewed = engine.scan(sub, decode_depth=0).findings
    from leakguard.engine import placed

    out: list[tuple[Finding, int]] = []
    for f in viewed:
        if f.rule_id in engine._generic_ids or not 0 < f.location.line <= len(pairs):
            continue
        p = pairs[f.location.line - 1]
        if f.secret not in p.value:
            continue
        if p.value == data[p.start:p.end].decode("utf-8", "replace"):
            s = p.start + len(p.value[:p.value.index(f.secret)].encode("utf-8"))
            e = s + len(f.secret.encode("utf-8"))
        else:  # percent-encoded in the text: the whole encoded value
            s, e = p.start, p.end
        out.append((dataclasses.replace(f, origins=chunk.origins,
                                        **placed(data, s, e, f.rule_id, f.secret, chunk.origin.path)), p.opener))
    return out


def _words(line: str, keywords: set[str]) -> list[str]:
    """The provider names that start words on the line (``Fastly``, ``PusherClient``:
    not ``lob`` in ``blob``), as written there: at most ``MAX_WORDS``, longest first;
    credential words (``token``) name no provider."""
    low = line.lower()
    out = []
    for k in keywords if len(keywords) < 2 else sorted(keywords, key=lambda k: (-len(k), k)):
        i = low.find(k)
        while i >= 0 and not _is_word(line, i, len(k)):
            i = low.find(k, i + 1)
        if i >= 0:
            out.append(line[i:i + len(k)])
            if len(out) >= MAX_WORDS:
                break
    return out


def _is_word(line: str, i: int, n: int) -> bool:
    """``line[i:i+n]`` starts a word, or a part of a camelCase or snake_case name (not
    ``lob`` in ``blob``, ``mite`` in ``limited``; ``postmarkapp.com`` names Postmark)."""
    if i > 0 and line[i - 1].isalpha():
        return line[i - 1].islower() and line[i].isupper()  # newPusherClient
    return True


def _assign(word: str, field: str, value: str) -> str:
    key = field if word.lower() in field.lower() else f"{word}_{field}"  # word "": the field alone
    q = "'" if '"' in value else '"'
    return f"{key} = {q}{value}{q}"


def _unescape(line: str) -> str:
    """A line of a JSON string (a notebook cell): ``\\"`` -> ``""`` (the same length,
    so offsets into the line stay valid)."""
    return line.replace('\\"', '""')


def _line_pairs(data: bytes, ls: int, line: str) -> list[_Found]:
    text = _unescape(line) if '\\"' in line else line
    # lower-case ASCII text keeps its offsets: the case-sensitive regexes on it are faster
    low = text.lower() if text.isascii() else None
    out: list[_Found] = []
    # each regex only where what all its matches hold is (a backtick; a credential word and "=" or
    # ":"; "bearer" or "token"), looked for in lower-case ASCII text (else the regexes decide)
    pair = ("=" in text or ":" in text) and (low is None or any(w in low for w in _CRED_WORDS))
    bearer = low is None or "bearer" in low or "token" in low
    for rx, rx_low, wanted in ((_MD, _MD, "`" in text), (_PAIR, _PAIR_LOW, pair), (_BEARER, _BEARER_LOW, bearer)):
        if not wanted:
            continue
        for m in (rx.finditer(text) if low is None else rx_low.finditer(low)):
            p = _pair(ls, text, m)
            if p is not None and all(p[0] != q[0] for q in out):
                out.append(p)
    return out


def _pair(ls: int, text: str, m: re.Match[str]) -> _Found | None:
    """The pair of match ``m`` (on ``text`` or its lower-cased copy: the same offsets)."""
    groups = m.re.groupindex
    if "field" in groups:
        field = text[m.start("field"):m.end("field")]
    elif "cw" in groups:  # read the rest of the field backwards from its credential word
        i = m.start()
        while i > 0 and m.start() - i < 60 and text[i - 1] in _FIELD_CHARS:
            i -= 1
        field = text[i:m.end("cw")]
    else:
        field = "token"
    field = field.strip("$.-")
    if not _CRED_FIELD.search(field):
        return None
    raw = text[m.start("value"):m.end("value")].rstrip(".")
    if len(raw) < 8:
        return None
    value = unquote(raw) if "%" in raw else raw
    start = ls + len(text[:m.start("value")].encode("utf-8"))
    return start, start + len(raw.encode("utf-8")), field, value


def _block_pairs(data: bytes, le: int, line: str) -> list[_Found]:
    """Pairs on the lines of the block ``line`` opens: those indented deeper, up to
    ``BLOCK_LINES`` lines (a block on one line was done with the line itself)."""
    indent = len(line) - len(line.lstrip(" \t"))
    pos = le + 1
    out: list[_Found] = []
    for _ in range(BLOCK_LINES):
        if pos >= len(data):
            break
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        if end - pos > MAX_LINE:
            break
        text = data[pos:end].decode("utf-8", "replace")
        if text.strip():
            if len(text) - len(text.lstrip(" \t")) <= indent:
                break
            out += _line_pairs(data, pos, text)
        pos = end + 1
    return out


def add_context(engine: Engine, chunk: Chunk, det: Detection, hits: Mapping[int, Iterable[int]],
                names: Mapping[int, tuple[str, ...]], inc: _Incremental | None = None, *, carry: bool = True) -> None:
    """Merge :func:`context_findings` into ``det``: a provider finding from context takes the
    span of a generic finding (as a provider rule does in the plain scan).

    ``inc``: the incremental state of a version of a file (``leakguard git``), whose prefilter
    hits cover only the lines that changed since the earlier version: the context findings
    of that version on the unchanged lines are carried over (unless ``carry`` is False: the
    hits are those of the whole text)."""
    from leakguard.engine import _mask_neighbours, merge_findings

    data = chunk.data
    escaped = inc.now.get("escaped") if inc is not None else None
    placed = _context_findings(engine, chunk, det, hits, names, escaped) if hits else []
    if inc is not None:
        path = chunk.origin.path
        prev = engine._context_prev.get(path)
        if inc.verdicts is not None and prev and carry:
            placed += _carried(data, prev, inc)
        if len(engine._context_prev) > MAX_KEPT_PATHS:
            engine._context_prev.clear()
        engine._context_prev[path] = [(f.location.start_offset, f.location.end_offset,
                                       data[f.location.start_offset:f.location.end_offset], f, opener)
                                      for f, opener in placed]
    found = [f for f, _ in placed]
    if merge_findings(det, found, chunk, engine._generic_ids, distinct=True):
        det.findings = _mask_neighbours(det.findings, data)


def _carried(data: bytes, prev: list[tuple[int, int, bytes, Finding, int]],
             inc: _Incremental) -> list[tuple[Finding, int]]:
    """The earlier version's context findings whose lines did not change, moved to their
    offsets here: those whose lines from the one that gave the context (the provider's name)
    down to the value lie in one run of lines both versions share (``inc.blocks``). The
    others are found afresh: :meth:`Engine._incremental_hits` gives hits on every line
    where that can happen (a changed line, or a name line with a change in its block)."""
    from leakguard.engine import _location, line_text

    out: list[tuple[Finding, int]] = []
    for s, e, raw, f, opener in prev:
        top = inc.moved(opener, e)
        if top is None:
            continue
        ns = top + s - opener
        ne = ns + e - s
        if data[ns:ne] != raw:  # (cannot happen on shared lines; be safe)
            continue
        out.append((dataclasses.replace(f, location=_location(data, ns, ne), line_text=line_text(data, ns, ne, f.secret)),
                    top))
    return out
