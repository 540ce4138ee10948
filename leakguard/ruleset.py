"""Rules as data: load ``rules/*.yaml`` (and user rule files), validate, compile.

Syntax and compiled form are separate: YAML is parsed into plain dicts, each
dict is checked against the schema (unknown keys are errors that name the file
and rule), then compiled into a frozen :class:`Rule`.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import regex

from leakguard import checksums
from leakguard.errors import RuleError
from leakguard.fsio import paused_gc, read_regular, replace_atomic
from leakguard.saferegex import SlowRegex, TimedPattern, compile_user, lazy

if TYPE_CHECKING:
    from leakguard.verify.spec import VerifySpec

SEVERITIES = ("low", "medium", "high", "critical")
REMEDIATION_KINDS = (
    "aws-credentials", "database", "private-key", "api-key", "token", "password",
    "webhook", "certificate", "other",
)
# revoke: the provider's page to revoke/rotate the credential; no_revoke: why there is none and
# what to do instead (shown in the rotate step), for a rule whose provider documents no such page.
REMEDIATION_KEYS = ("kind", "no_revoke", "provider", "revoke")
_RULE_KEYS = {
    "id", "description", "severity", "keywords", "pattern", "entropy", "multiline",
    "generic", "near", "paths", "allow", "filters", "remediation", "references",
    "tags", "examples", "negative_examples", "confidence", "verify", "checksum", "trigger",
}
# 'auto': computed per value (medium, or low for a weak value); the default for generic rules.
# A level set in a rule file vouches for the position: only true non-secrets are dropped.
CONFIDENCE_MODES = ("high", "medium", "low", "auto")
_REQUIRED = ("id", "description", "severity", "pattern")
_ID_RE = regex.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_GROUP_NAME = regex.compile(r"\(\?P<(\w+)>")
_FLAGS = regex.VERSION0
# Compiled patterns by source. The built-in pack is checked by the test suite,
# so a scan compiles only the rules the prefilter points at (start-up time).
_PATTERNS: dict[str, Any] = {}
# Path, allow and near patterns of trusted rule files, by source: ~450 uses of ~90 patterns in
# the built-in pack, each compiled on first use and shared by the rules that name it.
_AUX: dict[str, TimedPattern] = {}


class Example(NamedTuple):  # a tuple: the pack's ~6,500 examples are built at every start-up
    text: str
    secret: str | None = None
    path: str = "example.txt"
    confidence: str | None = None  # the finding's expected confidence (positive examples)


class _Unparsed:
    """A cached rule's ``verify:`` mapping or example records, not parsed yet (:attr:`Rule.verify`)."""
    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


def _from_rule_file(rule: Rule) -> Rule:
    """A built-in rule as its own file says it (a cached record that no longer decodes was altered)."""
    for r in load_file(default_rules_dir() / rule.source, compile_now=False):
        if r.id == rule.id:
            return r
    raise RuleError(f"{default_rules_dir() / rule.source}: rule {rule.id!r} not found (the cached rule pack is stale)")


def _decode_cached_examples(rule: Rule, data: Any, name: str) -> tuple[Example, ...]:
    try:
        return _examples_of(data)
    except (ValueError, TypeError):
        got: tuple[Example, ...] = getattr(_from_rule_file(rule), name)
        return got


def _parse_cached_spec(rule: Rule, data: dict[str, Any]) -> VerifySpec | None:
    """The verify spec of a built-in rule read from the cached pack. The pack was validated when it
    was written (its key covers the spec parser's code); a record that does not parse now was altered
    since: the rule's own file, which the pack was built from, is read for it instead."""
    from leakguard.verify.spec import SpecError, parse as parse_verify

    try:
        return parse_verify(data)
    except (SpecError, TypeError, ValueError, AttributeError, KeyError, RecursionError):
        return _from_rule_file(rule).verify


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    severity: str
    keywords: tuple[str, ...]
    pattern_source: str
    secret_group: str | int = "secret"
    has_key_group: bool = False
    min_entropy: float = 0.0
    multiline: int = 0
    generic: bool = False
    near: Any = field(default=None, repr=False, compare=False)
    near_lines: int = 0
    paths_only: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    paths_skip: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    allow_secrets: frozenset[str] = frozenset()
    allow_patterns: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    allow_stopwords: tuple[str, ...] = ()
    filters: bool = True
    remediation: tuple[tuple[str, str], ...] = ()
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # the examples, or (a rule read from the cached pack) their records, decoded on first use of
    # :attr:`examples` / :attr:`negative_examples`: only the tests and `rules check` read them (start-up time)
    example_data: tuple[Example, ...] | _Unparsed = field(default=(), repr=False, compare=False)
    negative_data: tuple[Example, ...] | _Unparsed = field(default=(), repr=False, compare=False)
    source: str = ""
    confidence: str | None = None  # as written in the rule file; None: derived (see confidence_mode)

    @property
    def confidence_mode(self) -> str:
        """'high' | 'medium' | 'low' | 'auto' (generic rules default to auto, provider rules to high)."""
        return self.confidence or ("auto" if self.generic else "high")
    # the parsed ``verify:`` spec, or (a rule read from the cached pack) its mapping, parsed on first use of
    # :attr:`verify`: only --verify and the few findings of rules with companions need one (start-up time)
    verify_spec: VerifySpec | _Unparsed | None = field(default=None, repr=False, compare=False)
    checksum: str | None = None  # a leakguard.checksums validator the secret must pass
    # what wakes the rule instead of its pattern (the Hyperscan prefilter's entry): a regex every match
    # of the pattern holds on one of its lines (docs/rules.md, "trigger"); None: the pattern itself
    trigger_source: str | None = None
    # prefilter.is_scoped(rule), decided when the built-in pack was cached (its path patterns then need no
    # compile at start-up); None: not known, computed from the paths
    scoped: bool | None = field(default=None, compare=False)

    @property
    def examples(self) -> tuple[Example, ...]:
        data = self.example_data
        if isinstance(data, _Unparsed):
            data = _decode_cached_examples(self, data.data, "examples")
            object.__setattr__(self, "example_data", data)
        return data

    @property
    def negative_examples(self) -> tuple[Example, ...]:
        data = self.negative_data
        if isinstance(data, _Unparsed):
            data = _decode_cached_examples(self, data.data, "negative_examples")
            object.__setattr__(self, "negative_data", data)
        return data

    @property
    def verify(self) -> VerifySpec | None:
        spec = self.verify_spec
        if isinstance(spec, _Unparsed):
            spec = _parse_cached_spec(self, spec.data)
            object.__setattr__(self, "verify_spec", spec)  # once: a frozen rule's own cache
        return spec

    @property
    def pattern(self) -> Any:  # regex.Pattern[str], compiled on first use
        pat = _PATTERNS.get(self.pattern_source)
        if pat is None:
            pat = _PATTERNS[self.pattern_source] = TimedPattern(regex.compile(self.pattern_source, _FLAGS))
        return pat

    @property
    def hint(self) -> dict[str, str]:
        return dict(self.remediation)

    def applies_to(self, path: str) -> bool:
        if self.paths_only and not any(p.search(path) for p in self.paths_only):
            return False
        return not any(p.search(path) for p in self.paths_skip)


@dataclass(frozen=True, slots=True)
class Ruleset:
    rules: tuple[Rule, ...]
    digest: str

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def select(self, *, enable: Iterable[str] = (), disable: Iterable[str] = ()) -> Ruleset:
        en, dis = set(enable), set(disable)
        known = {r.id for r in self.rules}
        unknown = (en | dis) - known
        if unknown:
            raise RuleError(f"unknown rule id(s): {', '.join(sorted(unknown))}")
        rules = tuple(r for r in self.rules if (not en or r.id in en) and r.id not in dis)
        return Ruleset(rules, _digest(rules))


@functools.cache
def default_rules_dir() -> Path:
    """The packaged rules (wheel) or the checkout's ``rules/`` (editable/dev)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent / "rules"


def rule_files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml")))
        elif p.is_file():
            out.append(p)
        else:
            raise RuleError(f"{p}: rule file or directory not found")
    return out


def load_ruleset(paths: Sequence[Path | str] | None = None, *, include_default: bool = True) -> Ruleset:
    """Load, validate and compile rule files. Raises RuleError on the first bad rule.
    The built-in pack comes from its validated form where one is cached (:func:`_builtin_pack`)."""
    builtin = default_rules_dir()
    dirs: list[Path] = [builtin] if include_default else []
    extra = [Path(p) for p in (paths or ())]
    dirs.extend(extra)
    rules: list[Rule] = []
    seen: dict[str, str] = {}  # id -> path, of the rules of the extra files
    packed: dict[str, str] = {}
    digest = ""
    if include_default:
        collecting = gc.isenabled()
        gc.disable()  # ~30,000 small objects, all kept: the cyclic collector would only burn start-up time
        try:
            rules, digest = _builtin_pack(builtin)
        finally:
            if collecting:
                gc.enable()
        packed = {r.id: r.source for r in rules}  # the file's name (its path only for a message)
        if len(packed) != len(rules):  # the built pack is checked below; a cached one must hold the same
            raise RuleError(f"{builtin}: duplicate rule ids")
    for f in rule_files(extra):
        for rule in load_file(f, compile_now=f.parent != builtin):
            if rule.id in seen or rule.id in packed:
                where = seen[rule.id] if rule.id in seen else str(builtin / packed[rule.id])
                raise RuleError(f"{f}: rule {rule.id!r}: duplicate id (also in {where})")
            seen[rule.id] = str(f)
            rules.append(rule)
    if not rules:
        raise RuleError(f"no rules found in {', '.join(map(str, dirs))}")
    return Ruleset(tuple(rules), digest if include_default and not extra else _digest(rules))


def _digest(rules: Iterable[Rule]) -> str:
    h = hashlib.sha256()
    for r in rules:
        h.update(repr((r.id, r.pattern_source, r.keywords, r.min_entropy, r.multiline, r.generic,
                       r.near.pattern if r.near else None, r.near_lines,
                       [p.pattern for p in r.paths_only], [p.pattern for p in r.paths_skip],
                       sorted(r.allow_secrets), [p.pattern for p in r.allow_patterns],
                       r.allow_stopwords, r.filters, r.severity, r.confidence, r.checksum, r.trigger_source)).encode())
    return h.hexdigest()


PARSED_DIR = ".parsed"  # beside the packaged rule files: their parsed form, written when the wheel is built
_KEEP_PARSED = 200  # cached parsed rule files kept besides those in use (user rule files of other projects)
_pruned = False  # once per process, on the first cache write


def parsed_name(text: str) -> str:
    """The name of a rule file's parsed (JSON) form: by content, so an edited file never reads a stale one."""
    return f"rules-{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"


def _read_json(path: Path) -> Any:
    """JSON from a regular file (a FIFO in its place cannot block); OSError/ValueError if absent or malformed."""
    return json.loads(read_regular(path).decode("utf-8"))


def _parse(path: Path, text: str) -> Any:
    """The file's YAML as plain data. Building Python objects from YAML is most of
    a small scan's start-up with a large rule pack (half a second for the built-in
    one), so the parsed form is read instead where it exists: for the packaged rules,
    from the wheel (``_rules/.parsed/``, written at build time: a fresh CI container
    parses no YAML); else from the cache directory, as JSON (C-parsed, data only)
    keyed by the file's content hash. A file whose data does not survive a JSON round
    trip (dates, non-string keys) is simply not cached."""
    from leakguard.prefilter import cache_dir, prune, touch_if_old  # prefilter imports this module

    name = parsed_name(text)
    cached = cache_dir() / name
    # only the packaged pack's own parsed form: beside a user's (or a repository's) rule file, a
    # JSON file could say something other than the YAML a reviewer reads
    places = (path.parent / PARSED_DIR / name, cached) if path.parent == default_rules_dir() else (cached,)
    for place in places:
        try:  # malformed: parse again
            doc = _read_json(place)
        except (OSError, ValueError, RecursionError):
            continue
        if place is cached:
            touch_if_old(cached)  # in use: pruning keeps it
        return doc
    import yaml  # only on a cache miss: most runs read the parsed form

    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise RuleError(f"{path}:{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    try:
        data = json.dumps(doc, ensure_ascii=False)
        if json.loads(data) == doc:
            cached.parent.mkdir(parents=True, exist_ok=True)
            replace_atomic(cached, data)  # a failed write leaves no temp file behind
            global _pruned
            if not _pruned:  # each edit of a rule file (or a new version of the pack) leaves an entry behind
                _pruned = True
                prune("rules-*.json", _KEEP_PARSED, spare=cached)
    except (OSError, TypeError, ValueError):
        pass  # no cache: the next run parses the YAML again
    return doc


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RuleError(f"{path}: cannot read rule file: {e}") from None


def _raw_rules(path: Path, text: str) -> list[Any]:
    doc = _parse(path, text)
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError(f"{path}: expected a mapping with a 'rules:' list")
    if set(doc) - {"rules"}:
        raise RuleError(f"{path}: unknown top-level key(s): {', '.join(sorted(set(doc) - {'rules'}))}")
    return list(doc["rules"])


def load_file(path: Path, *, compile_now: bool = True) -> list[Rule]:
    raws = _raw_rules(path, _read_text(path))
    return [compile_rule(raw, str(path), i, compile_now=compile_now) for i, raw in enumerate(raws)]


# ------------------------------------------------------------ the validated built-in pack
# Validating the 1,200 built-in rules (compile_rule) is a tenth of a second of every run's
# start-up. The result is cached as JSON, one record per rule (``pack-<key>.json`` in the cache
# directory), keyed by leakguard's version, the code that validates (this module, the verify
# spec and the checksum list) and the content of every built-in rule file: an edited rule file,
# an upgrade or a changed validator gives another key. A record is never trusted blindly: it is
# decoded field by field with the same type and value checks as a rule file (_from_record),
# the pack's digest is recomputed and must equal the one stored, and anything else (a
# truncated, hostile or foreign file, a FIFO in its place) makes the pack be built again from
# the rule files. Pure data: nothing in it is executed.
PACK_FORMAT = 2  # the record layout below
_KEEP_PACKS = 4  # cached packs kept besides the one in use (other versions, edited checkouts)


def _code_digest() -> str:
    """Digest of the modules whose code decides what a record holds (a checkout edited in
    place keeps its version number)."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for rel in ("ruleset.py", "saferegex.py", "checksums.py", "verify/spec.py", "prefilter.py"):
        try:
            h.update(read_regular(here / rel))
        except OSError:  # no sources beside the bytecode: the version says it
            h.update(rel.encode())
    return h.hexdigest()


def pack_key(texts: Sequence[tuple[str, str]]) -> str:
    """The key of the validated pack of the rule files ``(name, text)``."""
    from leakguard import __version__

    h = hashlib.sha256(f"leakguard {__version__} pack {PACK_FORMAT} {_code_digest()}".encode())
    for name, text in texts:
        h.update(f"\0{name}\0{hashlib.sha256(text.encode()).hexdigest()}".encode())
    return h.hexdigest()[:32]


def pack_name(key: str) -> str:
    """The file name of the validated pack with key ``key`` (:func:`pack_key`)."""
    return f"pack-{key}.json"


def _builtin_pack(builtin: Path) -> tuple[list[Rule], str]:
    """The built-in rules and their digest: from the validated pack when there is a good one (the
    one shipped beside the packaged rules, written when the wheel was built, else the cached one),
    else validated from the rule files (and then cached)."""
    from leakguard.prefilter import cache_dir, prune, touch_if_old  # prefilter imports this module

    files = rule_files([builtin])
    texts = [_read_text(f) for f in files]
    key = pack_key([(f.name, t) for f, t in zip(files, texts)])
    names = frozenset(f.name for f in files)
    cached = cache_dir() / pack_name(key)
    for place in (builtin / PARSED_DIR / pack_name(key), cached):  # (checked as closely as the cached one)
        got = _read_pack(place, key, names)
        if got is not None:
            if place is cached:
                touch_if_old(cached)
            return got
    rules, digest, data = _build_pack(files, texts, key)
    try:
        if data is None:
            raise ValueError("not cached")
        cached.parent.mkdir(parents=True, exist_ok=True)
        replace_atomic(cached, data)  # a failed write leaves no temp file behind
        prune("pack-*.json", _KEEP_PACKS, spare=cached)
    except (OSError, ValueError):
        pass  # no cache (read-only, or data JSON cannot hold): the next run validates again
    return rules, digest


def _build_pack(files: Sequence[Path], texts: Sequence[str], key: str) -> tuple[list[Rule], str, str | None]:
    """The rules of ``files`` validated, their digest, and the pack's JSON text (None if JSON cannot hold it)."""
    from leakguard.prefilter import is_scoped  # prefilter imports this module

    rules: list[Rule] = []
    records: list[list[Any]] = []
    for f, text in zip(files, texts):
        for i, raw in enumerate(_raw_rules(f, text)):
            rule = compile_rule(raw, str(f), i, compile_now=False)
            rules.append(rule)
            records.append(_record(rule, raw.get("verify"), is_scoped(rule)))
    digest = _digest(rules)
    try:
        # every field but the verify mapping is a str, number, bool or list of them: JSON holds it as it is
        if any(rec[23] is not None and json.loads(json.dumps(rec[23])) != rec[23] for rec in records):
            return rules, digest, None  # (a date): not cached
        return rules, digest, json.dumps({"format": PACK_FORMAT, "key": key, "digest": digest, "rules": records},
                                         ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return rules, digest, None


def write_pack(rules_dir: Path, out: Path) -> Path:
    """Validate the rule files of ``rules_dir`` and write their pack into ``out``, named as
    :func:`_builtin_pack` looks for it when ``rules_dir`` is the packaged rules (build time: the
    wheel's ``_rules/.parsed/``, or ``rules/.parsed/`` of an editable install). A fresh install
    then reads the validated pack on its first scan instead of validating 1,200 rules."""
    files = rule_files([rules_dir])
    texts = [_read_text(f) for f in files]
    key = pack_key([(f.name, t) for f, t in zip(files, texts)])
    _, _, data = _build_pack(files, texts, key)
    if data is None:
        raise RuleError(f"{rules_dir}: the validated pack cannot be written as JSON")
    path = out / pack_name(key)
    path.write_text(data, encoding="utf-8")
    return path


def _read_pack(path: Path, key: str, names: frozenset[str]) -> tuple[list[Rule], str] | None:
    """The cached pack at ``path``, or None if it is missing or not exactly a good pack for ``key``."""
    try:
        with paused_gc():  # the pack's records and 1,200 rules, all kept
            data = _read_json(path)
            if (not isinstance(data, dict) or data.get("format") != PACK_FORMAT or data.get("key") != key
                    or not isinstance(data.get("rules"), list) or not data["rules"]):
                return None
            rules = [_from_record(rec, names) for rec in data["rules"]]
        digest = _digest(rules)
        return (rules, digest) if digest == data.get("digest") else None
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, RuleError):
        return None  # unreadable, malformed or tampered with: validated again from the rule files


def _record(rule: Rule, verify: object, scoped: bool) -> list[Any]:
    """A validated rule as plain JSON data (the layout :func:`_from_record` reads)."""
    def ex(e: Example) -> list[Any]:
        return [e.text, e.secret, e.path, e.confidence]

    return [rule.id, rule.description, rule.severity, list(rule.keywords), rule.pattern_source,
            rule.min_entropy, rule.multiline, rule.generic,
            rule.near.pattern if rule.near is not None else None, rule.near_lines,
            [p.pattern for p in rule.paths_only], [p.pattern for p in rule.paths_skip],
            sorted(rule.allow_secrets), [p.pattern for p in rule.allow_patterns], list(rule.allow_stopwords),
            rule.filters, [list(kv) for kv in rule.remediation], list(rule.references), list(rule.tags),
            [ex(e) for e in rule.examples], [ex(e) for e in rule.negative_examples],
            rule.source, rule.confidence, verify, rule.checksum, scoped, rule.trigger_source]


def _strlist(v: object) -> tuple[str, ...]:
    if v == [] and type(v) is list:  # most of a record's lists
        return ()
    if type(v) is not list or not all(map(isinstance, v, itertools.repeat(str))):
        raise ValueError("expected a list of strings")
    return tuple(v)


def _examples_of(v: object) -> tuple[Example, ...]:
    if type(v) is not list:
        raise ValueError("expected a list of examples")
    out = []
    for e in v:
        if type(e) is not list or len(e) != 4:
            raise ValueError("bad example")
        text, secret, path, conf = e
        if (type(text) is not str or secret is not None and type(secret) is not str or type(path) is not str
                or conf not in (None, "high", "medium", "low")):
            raise ValueError("bad example")
        out.append(Example(text, secret, path, conf))
    return tuple(out)


def _lazy_patterns(sources: tuple[str, ...]) -> tuple[TimedPattern, ...]:
    out = []
    for s in sources:
        pat = _AUX.get(s)
        if pat is None:
            pat = _AUX[s] = lazy(s, _FLAGS)
        out.append(pat)
    return tuple(out)


def _from_record(rec: object, names: frozenset[str]) -> Rule:
    """A rule from a cached record, checked as :func:`compile_rule` checks a built-in rule's
    mapping (types, values, ids, the pattern's groups); ValueError (or TypeError...) if not."""
    if type(rec) is not list or len(rec) != 27:
        raise ValueError("bad record")
    (rid, description, severity, keywords, src, entropy, multiline, generic, near, near_lines, only, skip,
     allow_secrets, allow_patterns, stopwords, filters, remediation, references, tags, examples, negatives,
     source, confidence, verify, checksum, scoped, trigger) = rec
    if type(rid) is not str or not _ID_RE.match(rid) or type(description) is not str or severity not in SEVERITIES:
        raise ValueError("bad id, description or severity")
    kws = _strlist(keywords)
    joined = "\0".join(kws)  # (one check for all of them: a pack has ~5,000 keywords)
    if min(map(len, kws), default=3) < 3 or joined.lower() != joined or type(src) is not str:
        raise ValueError("bad keywords or pattern")
    if "(?P<secret>" in src:
        group: str | int = "secret"
        has_key = "(?P<key>" in src
    else:  # as compile_rule: such a pattern is compiled at once (a group named otherwise, or one group)
        pattern = _PATTERNS.get(src) or compile_user(src, _FLAGS, check=False)
        _PATTERNS[src] = pattern
        named = set(pattern.groupindex)
        if "secret" not in named and pattern.groups != 1:
            raise ValueError("pattern needs a secret group")
        group, has_key = "secret" if "secret" in named else 1, "key" in named
    if (type(entropy) not in (int, float) or not 0 <= entropy <= 8 or type(multiline) is not int
            or not 0 <= multiline <= 500 or type(generic) is not bool or type(filters) is not bool
            or type(near_lines) is not int or not 0 <= near_lines <= 100 or near is not None and type(near) is not str
            or trigger is not None and (type(trigger) is not str or not trigger)):
        raise ValueError("bad number or flag")
    paths_only, paths_skip = _strlist(only), _strlist(skip)
    if not kws and not paths_only:
        raise ValueError("a keywordless rule without paths.only")
    rem = tuple((k, v) for k, v in remediation)
    if (any(type(k) is not str or type(v) is not str or k not in REMEDIATION_KEYS for k, v in rem)
            or "kind" in dict(rem) and dict(rem)["kind"] not in REMEDIATION_KINDS or rem != tuple(sorted(rem))
            or "revoke" in dict(rem) and "no_revoke" in dict(rem)):
        raise ValueError("bad remediation")
    if confidence is not None and confidence not in CONFIDENCE_MODES or source not in names:
        raise ValueError("bad confidence or source")
    if checksum is not None and (type(checksum) is not str or checksum not in checksums.VALIDATORS):
        raise ValueError("bad checksum")
    if (verify is not None and type(verify) is not dict or type(scoped) is not bool or type(examples) is not list
            or type(negatives) is not list):
        raise ValueError("bad verify, scope or examples")
    return Rule(
        id=rid, description=description, severity=severity, keywords=kws, pattern_source=src, secret_group=group,
        has_key_group=has_key, min_entropy=float(entropy), multiline=multiline, generic=generic,
        near=_lazy_patterns((near,))[0] if near is not None else None, near_lines=near_lines,
        paths_only=_lazy_patterns(paths_only), paths_skip=_lazy_patterns(paths_skip),
        allow_secrets=frozenset(_strlist(allow_secrets)), allow_patterns=_lazy_patterns(_strlist(allow_patterns)),
        allow_stopwords=tuple(s.lower() for s in _strlist(stopwords)), filters=filters, remediation=rem,
        references=_strlist(references), tags=_strlist(tags), example_data=_Unparsed(examples),
        negative_data=_Unparsed(negatives), source=source, confidence=confidence,
        verify_spec=_Unparsed(verify) if verify is not None else None, scoped=scoped,
        checksum=checksum, trigger_source=trigger,
    )


def _fail(source: str, rid: object, msg: str) -> RuleError:
    return RuleError(f"{source}: rule {rid!r}: {msg}")


def _strs(source: str, rid: object, name: str, v: object) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _fail(source, rid, f"'{name}' must be a list of strings")
    return tuple(v)


def _regexes(source: str, rid: object, name: str, v: object, *, check: bool = True) -> tuple[Any, ...]:
    """Compiled with a search timeout; a user file's patterns are also tried on adversarial text."""
    out = []
    for i, s in enumerate(_strs(source, rid, name, v)):
        if not check:  # a trusted rule file (the built-in pack, which the test suite compiles)
            pat = _AUX.get(s)
            if pat is None:
                pat = _AUX[s] = lazy(s, _FLAGS)
            out.append(pat)
            continue
        try:
            out.append(compile_user(s, _FLAGS, check=check))
        except regex.error as e:
            raise _fail(source, rid, f"bad regex in '{name}': {e}") from None
        except SlowRegex as e:
            raise _fail(source, rid, f"'{name}[{i}]': regex {s!r} {e}") from None
    return tuple(out)


def _examples(source: str, rid: object, name: str, v: object) -> tuple[Example, ...]:
    if v is None:
        return ()
    if not isinstance(v, list):
        raise _fail(source, rid, f"'{name}' must be a list")
    out = []
    for i, ex in enumerate(v):
        if isinstance(ex, str):
            out.append(Example(ex))
        elif isinstance(ex, dict) and isinstance(ex.get("text"), str) and not set(ex) - {"text", "secret", "path", "confidence"}:
            sec = ex.get("secret")
            path = ex.get("path", "example.txt")
            if sec is not None and not isinstance(sec, str) or not isinstance(path, str):
                raise _fail(source, rid, f"{name}[{i}]: 'secret' and 'path' must be strings")
            conf = ex.get("confidence")
            if conf is not None and conf not in ("high", "medium", "low"):
                raise _fail(source, rid, f"{name}[{i}]: 'confidence' must be high, medium or low")
            out.append(Example(ex["text"], sec, path, conf))
        else:
            raise _fail(source, rid, f"{name}[{i}]: expected a string or {{text, secret, path, confidence}}")
    return tuple(out)


def compile_rule(raw: object, source: str, index: int, *, compile_now: bool = True) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{source}: rule #{index + 1}: expected a mapping")
    rid = raw.get("id", f"#{index + 1}")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(source, rid, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    for k in _REQUIRED:
        if k not in raw or raw[k] in (None, "", []):
            raise _fail(source, rid, f"missing '{k}'")
    if not isinstance(rid, str) or not _ID_RE.match(rid):
        raise _fail(source, rid, "id must be kebab-case (a-z, 0-9, '-')")
    if not isinstance(raw["description"], str):
        raise _fail(source, rid, "'description' must be a string")
    sev = raw["severity"]
    if sev not in SEVERITIES:
        raise _fail(source, rid, f"severity must be one of {', '.join(SEVERITIES)}")
    if "keywords" not in raw:
        raise _fail(source, rid, "missing 'keywords' (use [] only with paths.only)")
    keywords = tuple(k.lower() for k in _strs(source, rid, "keywords", raw["keywords"]))
    if any(len(k) < 3 for k in keywords):
        raise _fail(source, rid, "keywords must be at least 3 characters long")
    if not keywords and not (raw.get("paths") or {}).get("only"):
        raise _fail(source, rid, "a rule without keywords must be scoped with paths.only (it reads every line of those files)")
    if not isinstance(raw["pattern"], str):
        raise _fail(source, rid, "'pattern' must be a string")
    src: str = raw["pattern"]
    if compile_now or src not in _PATTERNS and "(?P<secret>" not in src:
        try:
            pattern = _PATTERNS.get(src) or compile_user(src, _FLAGS, check=compile_now)
        except regex.error as e:
            raise _fail(source, rid, f"bad regex: {e}") from None
        except SlowRegex as e:
            raise _fail(source, rid, f"'pattern': {e}") from None
        _PATTERNS[src] = pattern
        names = set(pattern.groupindex)
        groups = pattern.groups
    else:  # trusted built-in rule: compiled on first use
        names = set(_GROUP_NAME.findall(src))
        groups = -1
    if "secret" in names:
        group: str | int = "secret"
    elif groups == 1:
        group = 1
    else:
        raise _fail(source, rid, "pattern needs a group named 'secret' (or exactly one group)")
    entropy = raw.get("entropy", 0.0)
    if not isinstance(entropy, (int, float)) or not 0 <= entropy <= 8:
        raise _fail(source, rid, "'entropy' must be a number between 0 and 8")
    multiline = raw.get("multiline", 0)
    if not isinstance(multiline, int) or multiline < 0 or multiline > 500:
        raise _fail(source, rid, "'multiline' must be a whole number from 0 to 500")
    for flag in ("generic", "filters"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _fail(source, rid, f"'{flag}' must be true or false")
    near, near_lines = None, 0
    if raw.get("near") is not None:
        n = raw["near"]
        if not isinstance(n, dict) or set(n) - {"pattern", "lines"} or not isinstance(n.get("pattern"), str):
            raise _fail(source, rid, "'near' must be {pattern: REGEX, lines: N}")
        near = _regexes(source, rid, "near.pattern", n["pattern"], check=compile_now)[0]
        near_lines = n.get("lines", 3)
        if not isinstance(near_lines, int) or not 0 <= near_lines <= 100:
            raise _fail(source, rid, "'near.lines' must be a whole number from 0 to 100")
    paths = raw.get("paths") or {}
    if not isinstance(paths, dict) or set(paths) - {"only", "skip"}:
        raise _fail(source, rid, "'paths' must be {only: [...], skip: [...]}")
    allow = raw.get("allow") or {}
    if not isinstance(allow, dict) or set(allow) - {"secrets", "patterns", "stopwords"}:
        raise _fail(source, rid, "'allow' must be {secrets, patterns, stopwords}")
    rem = raw.get("remediation") or {}
    if not isinstance(rem, dict) or not all(isinstance(v, str) for v in rem.values()):
        raise _fail(source, rid, "'remediation' must be a mapping of strings")
    if set(rem) - set(REMEDIATION_KEYS):
        raise _fail(source, rid, f"unknown remediation key(s): {', '.join(sorted(set(rem) - set(REMEDIATION_KEYS)))}")
    if "revoke" in rem and "no_revoke" in rem:
        raise _fail(source, rid, "remediation.revoke and remediation.no_revoke exclude each other")
    if "kind" in rem and rem["kind"] not in REMEDIATION_KINDS:
        raise _fail(source, rid, f"remediation.kind must be one of {', '.join(REMEDIATION_KINDS)}")
    conf = raw.get("confidence")
    if conf is not None and conf not in CONFIDENCE_MODES:
        raise _fail(source, rid, f"confidence must be one of {', '.join(CONFIDENCE_MODES)}")
    verify = None
    if raw.get("verify") is not None:
        from leakguard.verify.spec import SpecError, parse as parse_verify

        try:
            verify = parse_verify(raw["verify"], check=compile_now)
        except SpecError as e:
            raise _fail(source, rid, str(e)) from None
    checksum = raw.get("checksum")
    if checksum is not None and (not isinstance(checksum, str) or checksum not in checksums.VALIDATORS):
        raise _fail(source, rid, f"unknown checksum {checksum!r} (known: {', '.join(sorted(checksums.VALIDATORS))})")
    trigger = raw.get("trigger")
    if trigger is not None:
        if not isinstance(trigger, str) or not trigger.strip():
            raise _fail(source, rid, "'trigger' must be a regex")
        if not keywords:
            raise _fail(source, rid, "'trigger' needs keywords (a rule without them reads every line of its files)")
        _regexes(source, rid, "trigger", [trigger], check=compile_now)  # checked as its other regexes are
    return Rule(
        id=rid,
        description=raw["description"].strip(),
        severity=sev,
        keywords=keywords,
        pattern_source=src,
        secret_group=group,
        has_key_group="key" in names,
        min_entropy=float(entropy),
        multiline=multiline,
        generic=bool(raw.get("generic", False)),
        near=near,
        near_lines=near_lines,
        paths_only=_regexes(source, rid, "paths.only", paths.get("only"), check=compile_now),
        paths_skip=_regexes(source, rid, "paths.skip", paths.get("skip"), check=compile_now),
        allow_secrets=frozenset(_strs(source, rid, "allow.secrets", allow.get("secrets"))),
        allow_patterns=_regexes(source, rid, "allow.patterns", allow.get("patterns"), check=compile_now),
        allow_stopwords=tuple(s.lower() for s in _strs(source, rid, "allow.stopwords", allow.get("stopwords"))),
        filters=bool(raw.get("filters", True)),
        remediation=tuple(sorted(rem.items())),
        references=_strs(source, rid, "references", raw.get("references")),
        tags=_strs(source, rid, "tags", raw.get("tags")),
        example_data=_examples(source, rid, "examples", raw.get("examples")),
        negative_data=_examples(source, rid, "negative_examples", raw.get("negative_examples")),
        source=os.path.basename(source),
        confidence=conf,
        verify_spec=verify,
        checksum=checksum,
        trigger_source=trigger,
    )
