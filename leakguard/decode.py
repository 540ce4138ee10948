"""Secrets wrapped in an encoding: base64, hex and percent-encoding.

After the plain scan of a chunk, :func:`decoded_findings` looks for encoded
blobs, decodes them, scans the decoded text with the full rule set, and
reports what it finds at the ENCODED text's location, with ``decoded`` (the
outer encoding) and ``key_path`` (where the blob sits, e.g.
``data.DB_PASSWORD``). The secret of such a finding is the decoded value
(what has to be rotated); its line text has the encoded blob masked, since
base64 is no protection.

Where the blobs come from:

- Kubernetes ``Secret`` manifests: every ``data:`` entry, reported by its
  key name (``KEY: <decoded>`` is what the rules see);
- ``user:password`` pairs (HTTP Basic headers, Docker ``auth`` values): the
  rules see ``password: <decoded password>`` under the blob's key;
- any other base64 run of 20+ characters, hex run of 20+ digits, ``\\xNN``
  escapes, or a token with 3+ ``%XX`` escapes whose decoded text is printable.

Everything is bounded: blobs over ``MAX_BLOB`` characters are skipped, at
most ``MAX_CANDIDATES`` blobs and ``MAX_DECODED`` decoded bytes per chunk,
and decoded text is itself decoded at most ``MAX_DEPTH`` levels deep.
"""
from __future__ import annotations

import binascii
import dataclasses
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from leakguard.filters import placeholder_reason
from leakguard.fsio import read_regular, replace_atomic
from leakguard.model import Chunk, Finding, Origin
from leakguard.redact import redact

if TYPE_CHECKING:
    from leakguard.engine import Engine

MAX_BLOB = 65536  # encoded characters
MAX_CANDIDATES = 256  # blobs decoded per chunk
MAX_DECODED = 1 << 20  # decoded bytes per chunk, all levels
MAX_DEPTH = 2  # decoded text inside decoded text
MIN_B64 = 20
DECODED_SUFFIX = ".decoded"  # the path rules see for decoded text
MIN_HEX = 20

# bytes of the base64 alphabets (standard and URL-safe) -> b"A", everything else -> b" "
# ('_' and '-' of the URL-safe alphabet are left out: snake_case names would make every line a run;
# URL-safe tokens such as JWTs have their own rules)
_ALPHABET = bytes(65 if chr(c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" else 32
                  for c in range(256))
_RUN = b"A" * MIN_B64
_XESC = re.compile(rb"\\x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2}){7,}")
# three or more %XX escapes in a token (widened to the token's start by _token_start)
_PCT = re.compile(rb"%[0-9A-Fa-f]{2}(?:[^\s\"'<>`%]{0,256}%[0-9A-Fa-f]{2}){2,}[^\s\"'<>`%]{0,256}")
# user:password pairs, which may be shorter than MIN_B64: HTTP Basic credentials and Docker auths
_AFTER = (b'"', b"'", b" ", b"\t", b":", b"=")
_BASIC_AT = re.compile(rb"(?i)basic[ \t]+([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])")
_AUTH_AT = re.compile(rb"""(?i)auth["']?[ \t]*[:=][ \t]*["']?([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])""")
# searched in the lower-cased chunk: one pass per word instead of one per spelling
_PAIR_WORDS = ((b"basic", _BASIC_AT), (b"auth", _AUTH_AT))
_HEX_DIGITS = b"0123456789abcdefABCDEF"
# printable ASCII plus tab, CR, LF: what ASCII text a person wrote is made of
_TEXT_ASCII = bytes(range(32, 127)) + b"\t\r\n"
_ALNUM_ASCII = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_G_RUN, _G_XESC, _G_PCT = len(_PAIR_WORDS), len(_PAIR_WORDS) + 1, len(_PAIR_WORDS) + 2  # candidate groups
Candidate = tuple[int, int, int, str, str]  # group, start, end, kind, decoded text
_KIND_SECRET = re.compile(rb"""^\s*["']?kind["']?\s*:\s*["']?Secret\b""", re.M)
_DATA_BLOCK = re.compile(rb"^(?P<indent>[ \t]*)(?:data|binaryData)[ \t]*:[ \t]*(?:#.*)?\r?$", re.M)
_DATA_ENTRY = re.compile(rb"""^(?P<indent>[ \t]+)["']?(?P<key>[\w.\-]+)["']?[ \t]*:[ \t]*["']?(?P<blob>[A-Za-z0-9+/]+={0,2})["']?[ \t]*\r?$""")
_KEY_BEFORE = re.compile(r"""["']?(?P<key>[A-Za-z_][\w.\-]*)["']?\s*[:=]\s*(?:["']|(?:basic|bearer)\s+)?$""", re.I)
_BASIC_BEFORE = re.compile(r"(?i)\bbasic\s+$")
_USER_PASS = re.compile(r"^(?P<user>[^:\s]{1,256}):(?P<password>\S{1,512})$")
_HAS_ASSIGNMENT = re.compile(r"[\w\"'][\"']?\s*[:=]")
_KEY_LINE = re.compile(r"""^\s*(?:-\s+)?["']?(?P<key>[^"':{}\[\]\s][^"':{}\[\]]*?)["']?\s*:""")


@dataclass(slots=True)
class _Blob:
    start: int  # byte offsets of the encoded text in the chunk
    end: int
    kind: str  # base64 | hex | percent
    decoded: str
    key: str | None  # the name the blob is assigned to
    key_path: str | None  # that name with the keys of its enclosing blocks
    view: str  # what the rules see
    pair: bool = False  # a user:password pair (Basic auth, Docker auth)


def decoded_findings(engine: Engine, chunk: Chunk, depth: int = MAX_DEPTH,
                     candidates: Sequence[Candidate] | None = None, *,
                     k8s: bool = True) -> tuple[list[Finding], list[tuple[int, int]]]:
    """Findings inside the encoded blobs of ``chunk``, located at the encoded text, and
    the spans of ``user:password`` blobs whose password was judged no secret
    (``dXNlcjpwYXNzd29yZA==`` is 'user:password': a placeholder, encoded or not).

    ``depth`` is how many encoding layers to open (0: none). ``candidates``: what
    :func:`find_candidates` gives for ``chunk.data``, when the caller has it already
    (the engine assembles it from an earlier version of the file); ``k8s``: False when the
    caller knows the text holds no ``Secret`` (so no Kubernetes Secret manifest)."""
    out: list[Finding] = []
    cleared: list[tuple[int, int]] = []
    if depth <= 0:
        return out, cleared
    budget = MAX_DECODED
    for blob in _blobs(chunk.data, candidates, k8s):
        budget -= len(blob.view)
        if budget < 0:
            break
        found = list(_scan_view(engine, chunk, blob, depth))
        out.extend(found)
        if not found and blob.pair and placeholder_reason(_password(blob.decoded)):
            cleared.append((blob.start, blob.end))
    return out, cleared


def overlaps(f: Finding, g: Finding) -> bool:
    return f.location.start_offset < g.location.end_offset and g.location.start_offset < f.location.end_offset


def _scan_view(engine: Engine, chunk: Chunk, blob: _Blob, depth: int) -> Iterator[Finding]:
    # decoded text is data, not the program source around it: rules scoped away from
    # source files (unquoted assignments) apply to it
    sub = Chunk(blob.view.encode("utf-8"), (Origin("file", chunk.origin.path + DECODED_SUFFIX),))
    found = engine.scan_view(sub, depth - 1)  # remembered: the same blob recurs in every version of a file
    if not found:
        return
    data = chunk.data
    ls = data.rfind(b"\n", 0, blob.start) + 1
    le = data.find(b"\n", blob.end)
    le = len(data) if le < 0 else le
    encoded = data[blob.start:blob.end].decode("utf-8", "replace")
    line = data[ls:le].decode("utf-8", "replace").replace(encoded, redact(encoded))
    from leakguard.engine import _location, fingerprint, secret_hash

    loc = _location(data, blob.start, blob.end)

    seen: set[str] = set()
    for f in found:
        if f.secret in seen:
            continue
        seen.add(f.secret)
        sh = secret_hash(f.rule_id, f.secret)
        yield dataclasses.replace(
            f, origins=chunk.origins, location=loc, secret_hash=sh, fingerprint=fingerprint(sh, chunk.origin.path),
            line_text=line[:2000], key=blob.key or f.key, decoded=blob.kind,
            key_path=_join(blob.key_path, f.key_path))


def _password(pair: str) -> str:
    return pair.strip().split(":", 1)[-1]


def _join(outer: str | None, inner: str | None) -> str | None:
    if outer and inner:
        return f"{outer}>{inner}"  # a blob inside a blob: data.config>auths.registry.auth
    return outer or inner


# ---------------------------------------------------------------- finding blobs

def _blobs(data: bytes, candidates: Sequence[Candidate] | None = None, k8s: bool = True) -> Iterator[_Blob]:
    """Candidate blobs, cheapest tests first; plain-text work stays in C (one Hyperscan
    pass, bytes.translate / find) so decoding costs little on real code."""
    n = 0
    taken: list[tuple[int, int]] = []
    hits = _trigger_hits(data) if candidates is None else None
    for blob in _k8s_blobs(data) if (k8s if hits is None else hits.k8s) else ():
        taken.append((blob.start, blob.end))
        n += 1
        yield blob
    for _, s, e, kind, text in (_candidates(data, hits) if candidates is None else candidates):
        if n >= MAX_CANDIDATES:
            return
        if any(s < te and ts < e for ts, te in taken):
            continue
        n += 1
        taken.append((s, e))
        yield _view(data, s, e, kind, text)


def find_candidates(data: bytes) -> Iterator[Candidate]:
    """(group, start, end, kind, decoded text) for each blob that decodes to text.

    Each candidate lies within one line and depends on that line's bytes alone;
    they come group by group (``group`` ascending), by start within a group, so
    the candidates of a text can be put together from those of its parts."""
    return _candidates(data, _trigger_hits(data))


def _candidates(data: bytes, hits: _Hits | None) -> Iterator[Candidate]:
    """:func:`find_candidates`, looking only where ``hits`` says (None: everywhere).

    The trigger database (:func:`_triggers`) reports the places where a check below may
    find something, in one Hyperscan pass; without it, plain ``bytes`` searches find the
    places. The same checks run on the places either way, and the database leaves out
    only places those checks reject, so the candidates are the same."""
    # user:password pairs after 'Basic' or under an 'auth' key (may be short)
    if hits is None:
        low = data.lower()
        for group, (word, _) in enumerate(_PAIR_WORDS):
            i = low.find(word)
            while i >= 0:
                c = _pair_at(data, i, group)
                if c is not None:
                    yield c
                i = low.find(word, i + 4)
    else:
        for group, starts in enumerate(hits.pairs):
            for i in sorted(set(starts)):
                c = _pair_at(data, i, group)
                if c is not None:
                    yield c
    # runs of the base64 alphabet (hex digits are a subset): found with translate + find, which
    # costs less than any Hyperscan expression for them (most bytes of code are in the alphabet)
    t = data.translate(_ALPHABET)
    i = t.find(_RUN)
    while i >= 0:
        e = t.find(b" ", i)
        e = len(t) if e < 0 else e
        # a word, or a run seen before that decodes to nothing (the next version of a file in a
        # history): what _run_at would say, without the call
        if data[e:e + 1] == b"=" or not ((raw := data[i:e]).isalpha() or _decoded_runs.get(raw, 0) is None):
            c = _run_at(data, i, e)
            if c is not None:
                yield c
        i = t.find(_RUN, e)
    if hits is None or hits.escapes:
        yield from _escapes(data)
    if hits is None or hits.percents:
        yield from _percents(data)


def _pair_at(data: bytes, i: int, group: int) -> Candidate | None:
    """The ``user:password`` pair after the word of ``_PAIR_WORDS[group]`` at ``i``, if any."""
    word, pattern = _PAIR_WORDS[group]
    nxt = data[i + len(word):i + len(word) + 1]
    ok = nxt in _AFTER and (i == 0 or not data[i - 1:i].isalnum())
    m = pattern.match(data, i) if ok else None
    if m:
        s, e = m.span(1)
        text = _b64(m.group(1), strict=True)
        if text is not None and _USER_PASS.match(text.strip()):
            return group, s, e, "base64", text
    return None


def _run_at(data: bytes, s: int, e: int) -> Candidate | None:
    """The blob of the base64-alphabet run ``data[s:e]`` (with its ``=`` padding), if it decodes."""
    while e < len(data) and data[e:e + 1] == b"=" and e - s < MAX_BLOB:  # padding
        e += 1
    raw = data[s:e]
    try:
        got = _decoded_runs[raw]  # the same run in the next version of the file (git history), or elsewhere
    except KeyError:
        got = _decode_run(raw)
        global _memo_bytes
        _memo_bytes += len(raw) + 100 + (len(got[1]) if got else 0)
        if _memo_bytes > _MEMO_BYTES:
            _decoded_runs.clear()
            _memo_bytes = len(raw)
        _decoded_runs[raw] = got
    return None if got is None else (_G_RUN, s, e, got[0], got[1])


# run -> (kind, decoded text) or None; in memory only, and bounded
_decoded_runs: dict[bytes, tuple[str, str] | None] = {}
_memo_bytes = 0
_MEMO_BYTES = 8 << 20


def _decode_run(raw: bytes) -> tuple[str, str] | None:
    # most runs are words, names and paths: reject them before any decoding
    text = None
    if len(raw) > MAX_BLOB or raw.isalpha():
        pass
    elif len(raw) % 2 == 0 and not raw.translate(None, _HEX_DIGITS):  # hex digits, in pairs
        text, kind = _hex(raw), "hex"
    elif not (raw.islower() or raw.isupper()):
        text, kind = _b64(raw), "base64"
    return None if text is None else (kind, text)


def _escapes(data: bytes) -> Iterator[Candidate]:
    """\\xNN escapes (a literal-led pattern: fast)."""
    i = data.find(b"\\x")
    while i >= 0:
        m = _XESC.match(data, i) if data[i + 4:i + 6] == b"\\x" == data[i + 28:i + 30] else None
        if m:
            text = _hex(m.group())
            if text is not None:
                yield _G_XESC, m.start(), m.end(), "hex", text
            i = m.end()
        i = data.find(b"\\x", i + 1)


def _percents(data: bytes) -> Iterator[Candidate]:
    """Tokens with three or more %XX escapes."""
    if b"%" in data:
        for m in _PCT.finditer(data):
            s = _token_start(data, m.start())
            if m.end() - s <= MAX_BLOB:
                text = _pct(data[s:m.end()])
                if text is not None:
                    yield _G_PCT, s, m.end(), "percent", text


# ---------------------------------------------------------------- the trigger database

# Where the checks above may find something, as Hyperscan expressions; each is implied by what
# the check it feeds looks for, so a place the database does not report is one the check rejects.
_TRIGGERS: tuple[tuple[bytes, int], ...] = (  # (expression, 1: report the start; 0: report once)
    (rb"(?i)basic[ \t]+[A-Za-z0-9+/]{8}", 1),  # _BASIC_AT (_PAIR_WORDS order)
    (rb"""(?i)auth["']?[ \t]*[:=][ \t]*["']?[A-Za-z0-9+/]{8}""", 1),  # _AUTH_AT
    (rb"\\x[0-9a-fA-F]{2}(?:\\x[0-9a-fA-F]{2}){7}", 0),  # _XESC
    # _PCT, with Python's bytes \s spelled out
    (rb"%[0-9A-Fa-f]{2}(?:[^ \t\n\r\x0b\x0c\"'<>`%]{0,256}%[0-9A-Fa-f]{2}){2}", 0),
    # the word _k8s_blobs looks for first (a literal costs the scan next to nothing)
    (rb"Secret", 0),
)
_ID_XESC, _ID_PCT = len(_PAIR_WORDS), len(_PAIR_WORDS) + 1  # then the k8s word
# What the plain searches may read before the database is loaded or built (about 50 ms, or a
# cached copy read): they cost about 10 ms per MB, so a one-file scan never waits for it.
SMALL_SCAN_BYTES = 256 * 1024
_seen = 0
_db: Any = None  # None: not yet; False: no Hyperscan (or it refused): the plain searches


@dataclass(slots=True)
class _Hits:
    pairs: tuple[list[int], ...]  # starts of 'basic' / 'auth' (_PAIR_WORDS order)
    escapes: bool = False
    percents: bool = False
    k8s: bool = False


def _trigger_hits(data: bytes) -> _Hits | None:
    """What the trigger database reports in ``data``; None: use the plain searches."""
    db = _triggers(len(data))
    if db is None or not data:
        return None
    hits = _Hits(tuple([] for _ in _PAIR_WORDS))
    pairs = hits.pairs

    def on_match(i: int, start: int, end: int, flags: int, ctx: object) -> None:
        if i < _ID_XESC:
            pairs[i].append(start)
        elif i == _ID_XESC:
            hits.escapes = True
        elif i == _ID_PCT:
            hits.percents = True
        else:
            hits.k8s = True

    try:
        db.scan(data, match_event_handler=on_match)
    except Exception:  # pragma: no cover - (a scratch error): the plain searches give the same candidates
        return None
    return hits


def _triggers(size: int) -> Any:
    """The trigger database, once the text seen passes :data:`SMALL_SCAN_BYTES`; None before, or
    without Hyperscan. ``LEAKGUARD_DECODE_TRIGGERS=plain`` never uses it, ``=hyperscan`` from the
    first byte (tests, benchmarks: the candidates are the same either way)."""
    global _seen, _db
    if _db is None:
        _seen += size
        mode = os.environ.get("LEAKGUARD_DECODE_TRIGGERS", "")
        if mode == "plain" or _seen <= SMALL_SCAN_BYTES and mode != "hyperscan":
            return None
        _db = _load_or_build() or False
    return _db or None


def _load_or_build() -> Any:
    """The compiled trigger database: read from the cache directory, else compiled and cached."""
    from leakguard import prefilter

    hs = prefilter._hs
    if hs is None:
        return None
    key = hashlib.sha256(repr((_TRIGGERS, getattr(hs, "__version__", ""))).encode()).hexdigest()[:32]
    path = prefilter.cache_dir() / f"decode-{key}.db"
    try:
        db = prefilter._load(read_regular(path))  # never a FIFO or device; None: an empty file
        if db is not None:
            prefilter.touch_if_old(path)
            return db
    except Exception:  # missing, unreadable or stale: compile
        pass
    try:
        db = _compile(hs)
    except Exception:  # pragma: no cover - a Hyperscan build that refuses an expression: plain searches
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(path, hs.dumpb(db))
    except OSError:
        pass  # a read-only cache dir only costs the next run a compile
    else:
        prefilter.prune("decode-*.db", 2, spare=path)
    return db


def _compile(hs: Any) -> Any:
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=[e for e, _ in _TRIGGERS], ids=list(range(len(_TRIGGERS))), elements=len(_TRIGGERS),
               flags=[hs.HS_FLAG_SOM_LEFTMOST if start else hs.HS_FLAG_SINGLEMATCH for _, start in _TRIGGERS])
    return db


def _span(data: bytes, pos: int) -> tuple[int, int]:
    ls = data.rfind(b"\n", 0, pos) + 1
    le = data.find(b"\n", pos)
    return ls, len(data) if le < 0 else le


def _token_start(data: bytes, pos: int) -> int:
    """Where the token holding ``pos`` starts (at most 256 bytes back)."""
    i = pos
    while i > 0 and pos - i < 256 and data[i - 1:i] not in b" \t\r\n\"'<>`":
        i -= 1
    return i


def _k8s_blobs(data: bytes) -> Iterator[_Blob]:
    """Each `data:` entry of each Kubernetes Secret document."""
    i = data.find(b"Secret")
    while i >= 0:
        ls = data.rfind(b"\n", 0, i) + 1
        if _KIND_SECRET.match(data, ls, i + 6):
            break
        i = data.find(b"Secret", i + 6)
    else:
        return
    for doc_start, doc_end in _documents(data):
        doc = data[doc_start:doc_end]
        if not _KIND_SECRET.search(doc):
            continue  # (a manifest is small: this search is cheap)
        for block in _DATA_BLOCK.finditer(doc):
            indent = len(block.group("indent").expandtabs())
            pos = block.end() + 1
            while pos < len(doc):
                nl = doc.find(b"\n", pos)
                nl = len(doc) if nl < 0 else nl
                raw = doc[pos:nl]
                if raw.strip() and not raw.lstrip().startswith(b"#"):
                    m = _DATA_ENTRY.match(raw)
                    if not m or len(m.group("indent").expandtabs()) <= indent:
                        break
                    s = doc_start + pos + m.start("blob")
                    e = doc_start + pos + m.end("blob")
                    text = _b64(m.group("blob"), strict=True) if e - s <= MAX_BLOB else None
                    if text is not None:
                        key = m.group("key").decode()
                        yield _Blob(s, e, "base64", text, key, f"data.{key}", _k8s_view(key, text))
                pos = nl + 1


def _k8s_view(key: str, text: str) -> str:
    if "\n" in text.strip():
        return f"# {key}\n{text}"  # a file (a PEM key, a config): scanned as it is
    return f"{key}: {text.strip()}"


def _documents(data: bytes) -> Iterator[tuple[int, int]]:
    start = 0
    for m in re.finditer(rb"^---[ \t]*\r?$", data, re.M):
        yield start, m.start()
        start = m.end()
    yield start, len(data)


def _view(data: bytes, start: int, end: int, kind: str, text: str) -> _Blob:
    ls = data.rfind(b"\n", 0, start) + 1
    before = data[max(ls, start - 200):start].decode("utf-8", "replace")
    m = _KEY_BEFORE.search(before)
    key = m.group("key") if m else None
    path = _key_path(data, ls, key) if key else None
    up = _USER_PASS.match(text.strip()) if kind == "base64" else None
    pair = bool(up and (_BASIC_BEFORE.search(before) or (key or "").lower() in ("auth", "basic", "basic_auth", "credentials")))
    if up and pair:
        view = _assign("password", up.group("password"))  # user:password: the password is the secret
    elif key and "\n" not in text.strip() and not _HAS_ASSIGNMENT.search(text):
        view = _assign(key, text.strip())  # a bare value: the rules see it under the blob's name
    else:
        view = text
    return _Blob(start, end, kind, text, key, path, view, pair)


def _assign(key: str, value: str) -> str:
    q = "'" if '"' in value else '"'
    return f"{key} = {q}{value}{q}"


def _key_path(data: bytes, line_start: int, key: str) -> str:
    """``key`` prefixed by the keys of the enclosing blocks (YAML or pretty-printed JSON), found by
    walking up to lines with less indentation (at most 200 lines)."""
    parts = [key]
    line = data[line_start:data.find(b"\n", line_start) if data.find(b"\n", line_start) >= 0 else len(data)]
    indent = len(line) - len(line.lstrip())
    pos = line_start
    for _ in range(200):
        if pos <= 0 or indent == 0:
            break
        prev = data.rfind(b"\n", 0, pos - 1) + 1
        text = data[prev:pos - 1].decode("utf-8", "replace")
        pos = prev
        stripped = text.lstrip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        ind = len(text) - len(stripped)
        if ind < indent:
            m = _KEY_LINE.match(text)
            if m and (text.rstrip().endswith((":", "{", "[")) or stripped.startswith("-")):
                parts.append(m.group("key").strip())
            indent = ind
    return ".".join(reversed(parts))


# ---------------------------------------------------------------- decoding

def _printable(b: bytes) -> str | None:
    """The text, if the bytes are UTF-8 text a person could have written."""
    if len(b) < 6:
        return None
    if b.isascii():  # the common case, decided in C
        if b.translate(None, _TEXT_ASCII) or len(b.translate(None, _ALNUM_ASCII)) == len(b):
            return None  # a control character, or no letter or digit at all
        return b.decode("ascii")
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bad = sum(1 for ch in s if not (ch.isprintable() or ch in "\t\r\n"))
    if bad or not any(ch.isalnum() for ch in s):
        return None
    return s


def _b64(raw: bytes, strict: bool = False) -> str | None:
    if not strict:
        # a word, a path or an identifier is not base64: ask for a digit or '+/=' and mixed case
        # (a run holds only the base64 alphabet, so 'not isalpha' means a digit or '+/=')
        if raw.isalpha() or raw.islower() or raw.isupper() or raw.isdigit():
            return None
    body = raw.rstrip(b"=")
    if len(body) % 4 == 1:
        return None
    alt = b"-_" if b"-" in body or b"_" in body else None
    if alt and (b"+" in body or b"/" in body):
        return None
    if alt:
        body = body.translate(bytes.maketrans(b"-_", b"+/"))
    try:
        # (body holds only the base64 alphabet here, so the lenient decoder is exact)
        b = binascii.a2b_base64(body + b"=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    return _printable(b)


def _hex(raw: bytes) -> str | None:
    body = raw.replace(b"\\x", b"")
    try:
        return _printable(bytes.fromhex(body.decode("ascii")))
    except ValueError:
        return None


def _pct(raw: bytes) -> str | None:
    try:
        b = unquote_to_bytes(raw)
    except ValueError:
        return None
    return _printable(b) if b != raw else None
