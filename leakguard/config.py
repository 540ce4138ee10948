"""Project configuration: ``.leakguard.toml`` / ``[tool.leakguard]`` -> one frozen Settings.

Discovery: from the scan root upward to the repository root (the directory
holding ``.git``; outside a repository only the scan root itself), each
directory may hold a ``pyproject.toml`` with ``[tool.leakguard]`` and a
``.leakguard.toml``. Files are applied outermost first, ``.leakguard.toml``
after ``pyproject.toml`` in the same directory, then ``--config FILE`` last:
lists add up, tables merge, and a later scalar wins. Command-line flags beat
every file. ``--no-repo-config`` skips discovery (only ``--config`` counts).

Every problem is a one-line :class:`ConfigError` naming the file and key (docs/config.md).
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from leakguard.errors import ConfigError
from leakguard.model import CONFIDENCES, SEVERITIES, Finding, ScanResult
from leakguard.saferegex import SlowRegex, compile_user

CONFIG_NAME = ".leakguard.toml"
PREFER = ("features", "cost")
RESERVED_EXIT_CODES = (2, 3, 4, 5, 130)

_TOP_KEYS = {"rules", "allowlist", "remediation", "max_file_size", "fail_on", "exit_code", "baseline", "min_confidence"}
_RULES_KEYS = {"paths", "default", "enable", "disable", "severity"}
_ALLOW_KEYS = {"paths", "secrets", "lines", "stopwords", "hashes"}
_REMEDIATION_KEYS = {"prefer", "name_template"}
_HASH_RE = regex.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class PathGlob:
    """A gitignore-style glob, relative to the directory of the file that set it."""

    pattern: str
    base: str  # absolute directory
    compiled: Any = field(repr=False, compare=False)
    from_repo: bool = False  # set by a config file found in the scanned repository

    def matches(self, abspath: str) -> bool:
        rel = os.path.relpath(abspath, self.base)
        if rel.startswith(".."):
            return False
        return bool(self.compiled.match(rel.replace(os.sep, "/")))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the config files say, merged. Immutable; passed explicitly."""

    rule_paths: tuple[str, ...] = ()  # absolute
    default_rules: bool = True
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (rule id, severity)
    allow_paths: tuple[PathGlob, ...] = ()
    allow_secrets: tuple[Any, ...] = field(default=(), compare=False)  # compiled regexes on the secret
    allow_lines: tuple[Any, ...] = field(default=(), compare=False)  # compiled regexes on the line
    stopwords: tuple[str, ...] = ()  # lowercase
    allow_hashes: frozenset[str] = frozenset()
    max_file_size: int | None = None
    fail_on: str | None = None
    min_confidence: str | None = None  # low | medium | high (None: the default, medium)
    exit_code: int | None = None
    baseline: str | None = None  # absolute
    prefer: str | None = None  # remediation: "features" | "cost"
    name_template: str | None = None
    files: tuple[str, ...] = ()  # config files applied, in order
    warnings: tuple[str, ...] = ()
    # rule id -> file that named it (for error messages about unknown ids)
    rule_refs: tuple[tuple[str, str], ...] = ()

    def path_allowed(self, abspath: str) -> bool:
        """True when a config path glob allowlists this file."""
        return any(g.matches(abspath) for g in self.allow_paths)

    def secret_allowed(self, secret: str, secret_hash: str, line: str) -> str | None:
        """Why a finding's secret/line is allowlisted, or None."""
        if self.allow_hashes and (secret_hash in self.allow_hashes
                                  or hashlib.sha256(secret.encode()).hexdigest() in self.allow_hashes):
            return "hash"
        if any(p.search(secret) for p in self.allow_secrets):
            return "secret regex"
        if any(p.search(line) for p in self.allow_lines):
            return "line regex"
        low = secret.lower()
        if any(w in low for w in self.stopwords):
            return "stopword"
        return None


# -- discovery ---------------------------------------------------------------


def find_repo_root(start: Path) -> Path | None:  # the directory holding .git
    for d in (start, *start.parents):
        if _exists(d / ".git"):
            return d
    return None


def _exists(p: Path, *, file: bool = False) -> bool:
    """Path.exists / is_file that treat "cannot look" (permission denied) as "not there"."""
    try:
        return p.is_file() if file else p.exists()
    except OSError:
        return False


def discover(scan_root: Path) -> list[Path]:
    """Config files from the repository root down to the scan root."""
    start = scan_root.resolve()
    if _exists(start, file=True):
        start = start.parent
    repo = find_repo_root(start)
    dirs = [start]
    if repo is not None:
        dirs = [d for d in (start, *start.parents) if d == repo or repo in d.parents]
    found: list[Path] = []
    for d in reversed(dirs):
        py = d / "pyproject.toml"
        if _exists(py, file=True) and "leakguard" in _read_toml(py).get("tool", {}):
            found.append(py)
        if _exists(d / CONFIG_NAME, file=True):
            found.append(d / CONFIG_NAME)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    # imported here: a scan of a tree without config files does without it (start-up time)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 (byte {e.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"{path}: invalid TOML: {str(e).splitlines()[0][:200]}") from None


def read_table(path: Path) -> dict[str, Any]:
    """The leakguard table of a config file ([tool.leakguard] for pyproject.toml)."""
    doc = _read_toml(path)
    if path.name == "pyproject.toml":
        table = doc.get("tool", {}).get("leakguard", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.leakguard] must be a table")
        return table
    return doc


def load_settings(
    scan_root: Path | str,
    *,
    config_file: str | None = None,
    repo_config: bool = True,
) -> Settings:
    """Discover, parse, validate and merge config files into one Settings."""
    files: list[tuple[Path, bool]] = []  # (path, from the repository)
    if repo_config:
        files.extend((p, True) for p in discover(Path(scan_root)))
    if config_file:
        p = Path(config_file)
        if not p.is_file():
            raise ConfigError(f"{config_file}: config file not found")
        files.append((p, False))
    acc = _Acc()
    for path, from_repo in files:
        _apply(acc, path, read_table(path), from_repo)
    return acc.build()


# -- parsing -----------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    s: dict[str, Any] = field(default_factory=lambda: {
        "rule_paths": [], "enable": [], "disable": [], "severity": {}, "allow_paths": [],
        "allow_secrets": [], "allow_lines": [], "stopwords": [], "allow_hashes": set(),
        "files": [], "warnings": [], "rule_refs": [],
    })

    def build(self) -> Settings:
        s = dict(self.s)
        for k in ("enable", "disable"):
            s[k] = list(dict.fromkeys(s[k]))  # keep order, drop repeats
        s["severity"] = sorted(s["severity"].items())
        s["allow_hashes"] = frozenset(s["allow_hashes"])
        return Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in s.items()})  # type: ignore[arg-type]


def _unknown(path: Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        key = f"{where}.{extra[0]}" if where else extra[0]
        raise ConfigError(f"{path}: unknown key '{key}'")


def _table(path: Path, name: str, v: object) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ConfigError(f"{path}: '{name}' must be a table")
    return v


def _str_list(path: Path, name: str, v: object) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{path}: '{name}' must be a list of strings")
    return list(v)


def _regex_list(path: Path, name: str, v: object) -> list[Any]:
    out = []
    for i, s in enumerate(_str_list(path, name, v)):
        try:
            out.append(compile_user(s, regex.VERSION0))
        except regex.error as e:
            raise ConfigError(f"{path}: '{name}[{i}]': bad regex {s!r}: {e}") from None
        except SlowRegex as e:
            raise ConfigError(f"{path}: '{name}[{i}]': regex {s!r} {e}") from None
    return out


def _bool(path: Path, name: str, v: object) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{path}: '{name}' must be true or false")
    return v


def _choice(path: Path, name: str, v: object, choices: Sequence[str]) -> str:
    if v not in choices:
        raise ConfigError(f"{path}: '{name}' must be one of {', '.join(choices)} (got {v!r})")
    return str(v)


MAX_SIZE = 2**50  # 1 PiB: anything larger is a typo (0 means no limit)
_SIZE_UNITS = (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3), ("K", 1024), ("M", 1024**2), ("G", 1024**3), ("B", 1))


def size_in_bytes(text: str) -> int:
    """'5MB', '500KB', '1.5G', '2048' -> bytes; ValueError if it is not a size."""
    t = text.strip().upper()
    mult = 1
    for suffix, m in _SIZE_UNITS:
        if t.endswith(suffix):
            t, mult = t[: -len(suffix)], m
            break
    n = float(t) * mult
    if not n == n or n in (float("inf"), float("-inf")) or abs(n) > MAX_SIZE:  # nan, inf, 1e400
        raise ValueError(f"not a size: {text!r}")
    return int(n)


def parse_size(path: Path | None, name: str, v: object) -> int:
    """An int of bytes or a string like '5MB' / '500KB'."""
    n = -1
    if isinstance(v, int) and not isinstance(v, bool):
        n = v if v <= MAX_SIZE else -1
    elif isinstance(v, str):
        try:
            n = size_in_bytes(v)
        except ValueError:
            n = -1
    if n < 0:
        raise ConfigError(f"{path}: '{name}' must be a size such as 5MB, 500KB or 0 (got {str(v)[:40]!r})")
    return n


def check_exit_code(where: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 255:
        raise ConfigError(f"{where}: 'exit_code' must be a whole number from 0 to 255 (got {v!r})")
    if v in RESERVED_EXIT_CODES:
        raise ConfigError(f"{where}: 'exit_code' {v} is reserved (2 errors, 3 internal errors, 4 active secret found, 5 scan incomplete, 130 interrupted)")
    return v


def glob_to_regex(pattern: str, *, check: bool = False) -> Any:
    """gitignore-style: '**' spans directories, '*' and '?' stay in one segment;
    a pattern without '/' matches the file name at any depth; 'dir/' means all below."""
    p = pattern.strip()
    if p.endswith("/"):
        p += "**"
    anchored = "/" in p.rstrip("/")
    p = p.lstrip("/")
    out, i = [], 0
    while i < len(p):
        for tok, rx in (("**/", "(?:.*/)?"), ("**", ".*"), ("*", "[^/]*"), ("?", "[^/]")):
            if p.startswith(tok, i):
                out.append(rx)
                i += len(tok)
                break
        else:
            out.append(regex.escape(p[i]))
            i += 1
    body = "".join(out)
    # matched (anchored) against a relative path: probed the same way, on path-length strings
    # DOTALL: a file name may hold a newline, and '**' must still cover it
    return compile_user(("" if anchored else "(?:.*/)?") + body + r"(?:/.*)?\Z", regex.VERSION0 | regex.DOTALL,
                        check=check, anchored=True, length=1024)


def is_broad_glob(pattern: str) -> bool:
    """A glob covering a whole top-level directory or a file type anywhere
    (``*``, ``src/**``, ``*.py``, ``app/``); ``tests/fixtures/**`` is narrow enough."""
    p = pattern.strip()
    parts = [x for x in p.rstrip("/").lstrip("/").split("/") if x and x != "**"]
    if p.endswith("/"):
        parts.append("*")
    if not parts:
        return True
    wild_last = bool(regex.fullmatch(r"\*\*?(?:\.\*|\.\w{1,8})?", parts[-1])) or p.endswith("/**")
    return wild_last and len(parts) <= 2 and not (p.endswith("/**") and len(parts) > 1)


def _inside_repo(path: Path, key: str, target: str) -> str:
    """A path from a repository's own config must stay inside that repository
    (symlinks resolved): it must not read or overwrite files elsewhere."""
    top = find_repo_root(path.resolve().parent) or path.resolve().parent
    real, root = os.path.realpath(target), os.path.realpath(top)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        raise ConfigError(f"{path}: '{key}' must stay inside the repository {root} (got {target!r}); "
                          "pass it on the command line or with --config instead")
    return target


NAME_TEMPLATE_FIELDS = ("project", "env", "key")


def name_template_problem(template: str) -> str | None:
    """Why a secret-name template cannot be used, or None. Checked when the
    config loads, so a bad template is a one-line error, not a crash mid-scan."""
    import string

    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        return f"not a valid template ({e}; write {{{{ and }}}} for literal braces)"
    fields = [f for _, f, _, _ in parts if f is not None]
    unknown = [f for f in fields if f not in NAME_TEMPLATE_FIELDS]
    if unknown:
        return (f"unknown placeholder {{{unknown[0]}}}: use "
                + ", ".join(f"{{{f}}}" for f in NAME_TEMPLATE_FIELDS))
    if any(spec or conv for _, f, spec, conv in parts if f is not None):
        return "placeholders take no format spec or conversion (write {key}, not {key!r} or {key:>9})"
    if "key" not in fields:
        return "must contain {key}, or every secret would get the same name"
    return None


def _apply(acc: _Acc, path: Path, table: dict[str, Any], from_repo: bool) -> None:
    s = acc.s
    base = str(path.resolve().parent)
    s["files"].append(str(path))
    _unknown(path, "", table, _TOP_KEYS)
    # nothing here warns about a key's presence: what a repository config hides (allowlists,
    # rules it turns off, a lower max_file_size, severities) is measured on each scan
    # by its effect (commands/_common.py, repo_config_effect)
    if "rules" in table:
        rules = _table(path, "rules", table["rules"])
        _unknown(path, "rules", rules, _RULES_KEYS)
        for p in _str_list(path, "rules.paths", rules.get("paths", [])):
            full = os.path.join(base, p)
            s["rule_paths"].append(_inside_repo(path, "rules.paths", full) if from_repo else full)
        if "default" in rules:
            s["default_rules"] = _bool(path, "rules.default", rules["default"])
        for key in ("enable", "disable"):
            ids = _str_list(path, f"rules.{key}", rules.get(key, []))
            s[key].extend(ids)
            s["rule_refs"].extend((i, str(path)) for i in ids)
        sev = _table(path, "rules.severity", rules.get("severity", {}))
        for rid, v in sev.items():
            s["severity"][rid] = _choice(path, f"rules.severity.{rid}", v, SEVERITIES)
            s["rule_refs"].append((rid, str(path)))
    if "allowlist" in table:
        allow = _table(path, "allowlist", table["allowlist"])
        _unknown(path, "allowlist", allow, _ALLOW_KEYS)
        for g in _str_list(path, "allowlist.paths", allow.get("paths", [])):
            if not g.strip():
                raise ConfigError(f"{path}: 'allowlist.paths' has an empty glob")
            try:
                s["allow_paths"].append(PathGlob(g, base, glob_to_regex(g, check=True), from_repo))
            except SlowRegex as e:
                raise ConfigError(f"{path}: 'allowlist.paths': glob {g!r} {e}") from None
        # what allowlists hide is judged on each scan by its effect (commands/_common.py), not by their text
        for key, dst in (("secrets", "allow_secrets"), ("lines", "allow_lines")):
            pats = _regex_list(path, f"allowlist.{key}", allow.get(key, []))
            s[dst].extend(pats)
        words = _str_list(path, "allowlist.stopwords", allow.get("stopwords", []))
        for w in words:
            if len(w.strip()) < 3:
                raise ConfigError(f"{path}: 'allowlist.stopwords': {w!r} is shorter than 3 characters")
        s["stopwords"].extend(w.lower() for w in words)
        for h in _str_list(path, "allowlist.hashes", allow.get("hashes", [])):
            if not _HASH_RE.match(h.lower()):
                raise ConfigError(f"{path}: 'allowlist.hashes': {h!r} is not a sha256 hex digest")
            s["allow_hashes"].add(h.lower())
    if "remediation" in table:
        rem = _table(path, "remediation", table["remediation"])
        _unknown(path, "remediation", rem, _REMEDIATION_KEYS)
        if "prefer" in rem:
            s["prefer"] = _choice(path, "remediation.prefer", rem["prefer"], PREFER)
        if "name_template" in rem:
            t = rem["name_template"]
            if not isinstance(t, str) or not t.strip():
                raise ConfigError(f"{path}: 'remediation.name_template' must be a non-empty string")
            problem = name_template_problem(t)
            if problem:
                raise ConfigError(f"{path}: 'remediation.name_template' {t!r}: {problem}")
            s["name_template"] = t
    if "max_file_size" in table:
        s["max_file_size"] = parse_size(path, "max_file_size", table["max_file_size"])
    if "fail_on" in table:
        s["fail_on"] = _choice(path, "fail_on", table["fail_on"], SEVERITIES)
    if "min_confidence" in table:
        s["min_confidence"] = _choice(path, "min_confidence", table["min_confidence"], CONFIDENCES)
    if "exit_code" in table:
        s["exit_code"] = check_exit_code(str(path), table["exit_code"])
    if "baseline" in table:
        b = table["baseline"]
        if not isinstance(b, str) or not b.strip():
            raise ConfigError(f"{path}: 'baseline' must be a file name")
        s["baseline"] = _inside_repo(path, "baseline", os.path.join(base, b)) if from_repo else os.path.join(base, b)


def apply_allowlists(result: ScanResult, settings: Settings, base: str) -> ScanResult:
    """Drop findings the config allowlists (path globs, secret/line regexes,
    stopwords, hashes). ``base`` is the directory finding paths are relative to."""
    if not (settings.allow_paths or settings.allow_secrets or settings.allow_lines
            or settings.stopwords or settings.allow_hashes):
        return result
    kept: list[Finding] = []
    dropped = 0
    for f in result.findings:
        try:
            by_path = f.origin.kind != "stdin" and settings.path_allowed(os.path.join(base, f.path))
            allowed = by_path or settings.secret_allowed(f.secret, f.secret_hash, f.line_text) is not None
        except TimeoutError:  # a config allowlist regex: keep the finding, say the check did not finish
            result.stats.timeouts.append(f"{f.path}: config allowlist")
            allowed = False
        if allowed:
            dropped += 1
        else:
            kept.append(f)
    if dropped:
        key = "findings allowlisted by config"
        result.stats.notes[key] = result.stats.notes.get(key, 0) + dropped
    result.findings = kept
    return result
