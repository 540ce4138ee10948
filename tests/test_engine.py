"""The engine on small hand-made rule sets, independent of the rule pack."""
from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.prefilter import hyperscan_available
from leakguard.ruleset import load_ruleset

BACKENDS = ["regex", "hyperscan", "keywords"] if hyperscan_available() else ["regex"]

RULES = r"""
rules:
  - id: tok
    description: a prefixed token
    severity: high
    keywords: [tok_]
    pattern: '\b(?P<secret>tok_[A-Za-z0-9]{20})\b'
    entropy: 3.0
    examples: ['tok_a8Fq2LmXk9RvTz4WbN8s']
    negative_examples: ['tok_short']
  - id: pw
    description: a generic password
    severity: medium
    generic: true
    keywords: [password]
    pattern: '(?i)(?P<key>\w*password)\s*=\s*"(?P<secret>[^"]{4,})"'
    examples: ['password = "Hk7mZq2xVb9L"']
    negative_examples: ['password = "changeme"']
  - id: pem
    description: a private key
    severity: critical
    keywords: ['private key-----']
    multiline: 50
    pattern: '(?s)-----BEGIN PRIVATE KEY-----\n(?P<secret>[A-Za-z0-9+/=\n]{40,}?)\n-----END PRIVATE KEY-----'
    examples: []
  - id: paired
    description: a secret that needs a companion id nearby
    severity: high
    keywords: [sec_]
    pattern: '\b(?P<secret>sec_[a-z0-9]{16})\b'
    near: {pattern: 'ID_[A-Z0-9]{8}', lines: 2}
  - id: scoped
    description: only in .cfg files
    severity: low
    keywords: [cfgsecret]
    pattern: 'cfgsecret=(?P<secret>\S{6,})'
    paths: {only: ['\.cfg$'], skip: ['^vendor/']}
"""


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.fixture(scope="module", params=BACKENDS)
def eng(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    d = tmp_path_factory.mktemp("rules")
    (d / "r.yaml").write_text(RULES)
    return Engine(load_ruleset([d], include_default=False), backend=request.param)


def scan(eng: Engine, text: str, path: str = "f.py", lines: frozenset[int] | None = None) -> list:
    return eng.scan(Chunk(text.encode(), (Origin("file", path),), lines=lines)).findings


def test_finds_token_with_byte_and_char_offsets(eng: Engine) -> None:
    tok = "tok_" + _rand(20)
    text = f"# héllo wörld\nx = 1\nkey = 'ünï {tok}'\n"
    (f,) = scan(eng, text)
    assert f.secret == tok
    assert (f.location.line, f.location.column) == (3, 12)
    assert f.location.end_column == 12 + len(tok)
    assert text.encode()[f.location.start_offset:f.location.end_offset].decode() == tok


def test_token_inside_longer_word_is_not_reported(eng: Engine) -> None:
    assert scan(eng, "xtok_" + _rand(20) + "\n") == []
    assert scan(eng, "tok_" + _rand(21) + "\n") == []


def test_entropy_gate(eng: Engine) -> None:
    assert scan(eng, "t = tok_aaaaaaaaaabbbbbbbbbb\n") == []


def test_generic_filters_apply(eng: Engine) -> None:
    assert scan(eng, 'password = "changeme"\n') == []
    assert scan(eng, 'password = "${DB_PASSWORD}"\n') == []
    (f,) = scan(eng, 'db_password = "Hk7mZq2xVb9L"\n')
    assert f.key == "db_password"


def test_provider_rule_wins_over_generic_on_the_same_span(eng: Engine) -> None:
    tok = "tok_" + _rand(20, seed=3)
    (f,) = scan(eng, f'password = "{tok}"\n')
    assert f.rule_id == "tok"


def test_same_secret_twice_on_a_line_overlapping_rules_one_finding(eng: Engine) -> None:
    tok = "tok_" + _rand(20, seed=4)
    found = scan(eng, f"a = '{tok}'\n")
    assert len(found) == 1


def test_multiline_private_key_reported_once(eng: Engine) -> None:
    body = "\n".join(_rand(64, string.ascii_letters + string.digits + "+/", seed=i) for i in range(12))
    text = f"x = 1\nkey = '''\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n'''\n"
    (f,) = scan(eng, text)
    assert f.rule_id == "pem"
    assert (f.location.line, f.location.end_line) == (4, 15)


def test_near_requires_companion(eng: Engine) -> None:
    sec = "sec_" + _rand(16, string.ascii_lowercase + string.digits, seed=5)
    assert scan(eng, f"s = {sec}\n") == []
    assert len(scan(eng, f"id = ID_AB12CD34\n\ns = {sec}\n")) == 1
    assert scan(eng, f"id = ID_AB12CD34\n\n\n\n\ns = {sec}\n") == []


def test_path_scoping(eng: Engine) -> None:
    assert len(scan(eng, "cfgsecret=Qw9rT5yU\n", "app.cfg")) == 1
    assert scan(eng, "cfgsecret=Qw9rT5yU\n", "app.py") == []
    assert scan(eng, "cfgsecret=Qw9rT5yU\n", "vendor/app.cfg") == []


def test_keyword_must_be_on_the_match_line(eng: Engine) -> None:
    # the pattern matches case-insensitively but the keyword check is too
    assert len(scan(eng, 'PASSWORD = "Hk7mZq2xVb9L"\n')) == 1


@pytest.mark.parametrize("text", [
    'password = "Hk7mZq2xVb9L"  # leakguard:allow\n',
    '# leakguard:allow\npassword = "Hk7mZq2xVb9L"\n',
    '// leakguard:allow\npassword = "Hk7mZq2xVb9L"\n',
])
def test_inline_allow(eng: Engine, text: str) -> None:
    det = eng.scan(Chunk(text.encode(), (Origin("file", "f.py"),)))
    assert det.findings == [] and det.allowed_inline == 1


def test_allow_marker_on_a_code_line_above_does_not_cover_the_next(eng: Engine) -> None:
    text = 'a = "x"  # leakguard:allow\npassword = "Hk7mZq2xVb9L"\n'
    assert len(scan(eng, text)) == 1


def test_chunk_lines_restricts_findings(eng: Engine) -> None:
    text = 'password = "Hk7mZq2xVb9L"\nx = 1\npassword = "Zr4kPq8sWn2T"\n'
    found = scan(eng, text, lines=frozenset({3}))
    assert [f.location.line for f in found] == [3]


def test_crlf_and_no_trailing_newline(eng: Engine) -> None:
    found = scan(eng, 'x = 1\r\npassword = "Hk7mZq2xVb9L"\r\ny')
    assert [(f.secret, f.location.line) for f in found] == [("Hk7mZq2xVb9L", 2)]
    assert scan(eng, 'password = "Hk7mZq2xVb9L"')[0].secret == "Hk7mZq2xVb9L"


def test_very_long_line_still_finds_token(eng: Engine) -> None:
    tok = "tok_" + _rand(20, seed=9)
    text = "var a=" + ",".join(["1"] * 50000) + f",k='{tok}'," + ",".join(["2"] * 50000) + "\n"
    (f,) = scan(eng, text)
    assert f.secret == tok and f.location.line == 1


def test_fingerprint_ignores_line_and_depends_on_path(eng: Engine) -> None:
    tok = "tok_" + _rand(20, seed=11)
    a = scan(eng, f"t = '{tok}'\n")[0]
    b = scan(eng, f"\n\n\n    t = '{tok}'\n")[0]
    c = scan(eng, f"t = '{tok}'\n", path="other.py")[0]
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert a.secret_hash == c.secret_hash


def test_secret_not_in_repr(eng: Engine) -> None:
    tok = "tok_" + _rand(20, seed=12)
    f = scan(eng, f"t = '{tok}'\n")[0]
    assert tok not in repr(f)


def test_backends_agree_on_generated_corpus(tmp_path: Path) -> None:
    if len(BACKENDS) < 2:
        pytest.skip("hyperscan not installed")
    (tmp_path / "r.yaml").write_text(RULES)
    rs = load_ruleset([tmp_path], include_default=False)
    rx, hs, kw = Engine(rs, backend="regex"), Engine(rs, backend="hyperscan"), Engine(rs, backend="keywords")
    rng = random.Random(42)
    pieces = [lambda: f'password = "{_rand(12, seed=rng.random())}"', lambda: "tok_" + _rand(20, seed=rng.random()),
              lambda: "x = tok_short", lambda: "ID_AB12CD34", lambda: "sec_" + _rand(16, string.ascii_lowercase, seed=rng.random()),
              lambda: "cfgsecret=" + _rand(8, seed=rng.random()), lambda: "plain text line", lambda: "PASSWORD=" + _rand(6)]
    for n in range(30):
        text = "\n".join(rng.choice(pieces)() for _ in range(40))
        for path in ("a.py", "b.cfg"):
            c = Chunk(text.encode(), (Origin("file", path),))
            key = lambda d: sorted((f.rule_id, f.secret, f.location.line) for f in d.findings)  # noqa: E731
            assert key(rx.scan(c)) == key(hs.scan(c)) == key(kw.scan(c)), f"sample {n}"


def test_lazy_engine_compiles_hyperscan_only_for_big_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "r.yaml").write_text(RULES)
    rs = load_ruleset([tmp_path], include_default=False)
    eng = Engine(rs, backend="lazy")
    # nothing cached: no compile of the patterns for a small scan: the keywords, in pure Python
    # until the text seen repays building their Hyperscan database
    assert eng.prefilter.name == "keywords-small-first"
    eng.prepare(5)
    assert eng.prefilter.name == "keywords-small-first"
    tok = "tok_" + _rand(20, seed=3)
    small = Chunk(f"t = '{tok}'\n".encode(), (Origin("file", "a.py"),))
    assert [f.secret for f in eng.scan(small).findings] == [tok]
    assert eng.prefilter._big is None  # type: ignore[attr-defined]
    big = Chunk(b"x = 1\n" * 20_000 + f"t = '{tok}'\n".encode(), (Origin("file", "b.py"),))
    assert [f.secret for f in eng.scan(big).findings] == [tok]
    assert eng.prefilter._big is not None and eng.prefilter._big.name == "hyperscan-keywords"  # type: ignore[attr-defined]
    assert [f.secret for f in eng.scan(small).findings] == [tok]
    eng.prepare(10_000)
    assert eng.prefilter.name == "hyperscan"
    assert Engine(rs, backend="lazy").prefilter.name == "hyperscan"  # now cached


def test_near_rule_keyword_may_stand_on_the_companion_line(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(r"""
rules:
  - id: paired-bare
    description: secret next to its id
    severity: high
    keywords: [keyid]
    pattern: '(?<![A-Za-z0-9])(?P<secret>[A-Za-z0-9]{30})(?![A-Za-z0-9])'
    near: {pattern: 'KEYID_[0-9]{6}', lines: 2}
""")
    rs = load_ruleset([tmp_path], include_default=False)
    sec = _rand(30, seed=21)
    text = f"[creds]\nkeyid = KEYID_123456\n{sec}\n"
    for backend in BACKENDS:
        found = Engine(rs, backend=backend).scan(Chunk(text.encode(), (Origin("file", "c.ini"),))).findings
        assert [f.secret for f in found] == [sec], backend
        far = f"keyid = KEYID_123456\n\n\n\n{sec}\n"
        assert Engine(rs, backend=backend).scan(Chunk(far.encode(), (Origin("file", "c.ini"),))).findings == []


def test_fallback_tagged_rule_loses_to_provider_rule(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(r"""
rules:
  - id: catch-all-url
    description: any url password
    severity: critical
    keywords: ['://']
    tags: [fallback]
    pattern: '://[a-z]+:(?P<secret>[^@\s]+)@'
  - id: provider
    description: provider token
    severity: medium
    keywords: [tok_]
    pattern: '(?P<secret>tok_[A-Za-z0-9]{20})'
""")
    rs = load_ruleset([tmp_path], include_default=False)
    tok = "tok_" + _rand(20, seed=22)
    (f,) = Engine(rs, backend="regex").scan(Chunk(f"u = 'https://user:{tok}@host/x'\n".encode(), (Origin("file", "a.py"),))).findings
    assert f.rule_id == "provider"


def _tokens(n: int, seed: int) -> str:
    return "".join(f"key = 'tok_{_rand(20, seed=seed * 100_000 + i)}'\n" for i in range(n))


def test_findings_per_file_are_capped_and_the_cap_is_reported(eng: Engine) -> None:
    from leakguard.engine import CAPPED_NOTE, MAX_FINDINGS_PER_FILE
    from leakguard.scan import scan_chunks

    over = _tokens(MAX_FINDINGS_PER_FILE + 300, seed=1)
    res = scan_chunks(eng, [Chunk(over.encode(), (Origin("file", "many.py"),))])
    assert len(res.findings) == MAX_FINDINGS_PER_FILE
    assert res.stats.notes[CAPPED_NOTE] == 1
    # the first ones by position are kept, each at its own line
    assert [f.location.line for f in res.findings] == list(range(1, MAX_FINDINGS_PER_FILE + 1))
    # at the cap exactly: everything reported, no note
    at = _tokens(MAX_FINDINGS_PER_FILE, seed=2)
    res = scan_chunks(eng, [Chunk(at.encode(), (Origin("file", "at.py"),))])
    assert len(res.findings) == MAX_FINDINGS_PER_FILE
    assert CAPPED_NOTE not in res.stats.notes


def test_many_findings_on_one_long_line_are_all_located(eng: Engine) -> None:
    toks = ["tok_" + _rand(20, seed=7000 + i) for i in range(600)]
    text = "x = 1\n" + "var k = [" + ", ".join(f"'{t}'" for t in toks) + "]\n"  # one line of ~15 KB
    found = scan(eng, text, "bundle.min.js")
    assert [f.secret for f in found] == toks
    assert {f.location.line for f in found} == {2}
    data = text.encode()
    assert all(data[f.location.start_offset:f.location.end_offset].decode() == f.secret for f in found)


def test_remembered_verdicts_give_the_same_findings_at_new_offsets(eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from leakguard import engine as engine_mod

    tok = "tok_" + _rand(20, seed=99)
    versions = [f"# v{i}\n" + "y = 2\n" * i + f"key = '{tok}'\npassword = \"{_rand(12, seed=5)}\"\n" for i in range(5)]
    got = [[(f.rule_id, f.secret, f.location.line, f.location.column, f.location.start_offset) for f in scan(eng, v)]
           for v in versions]
    monkeypatch.setattr(engine_mod, "VERDICT_CACHE", False)
    fresh = [[(f.rule_id, f.secret, f.location.line, f.location.column, f.location.start_offset) for f in scan(eng, v)]
             for v in versions]
    assert got == fresh
    assert [g[0][2] for g in got] == [2, 3, 4, 5, 6]  # the secret line moved down one line per version


def test_companion_on_a_minified_line_is_looked_for_around_the_secret(eng: Engine) -> None:
    """On a line over 32 KB the companion must stand within the 8 KB confirmation window
    (so thousands of candidates on one long line do not each decode the whole line)."""
    secs = ["sec_" + _rand(16, string.ascii_lowercase + string.digits, seed=900 + i) for i in range(3)]
    filler = ";".join(f"v{i}=1" for i in range(6000))  # ~40 KB
    near = f"x='ID_AB12CD34',k='{secs[0]}';{filler}"
    far = f"k='{secs[1]}';{filler};x='ID_AB12CD34'"
    assert [f.secret for f in scan(eng, near + "\n", "app.min.js")] == [secs[0]]
    assert scan(eng, far + "\n", "app.min.js") == []
    # on ordinary lines the companion may be anywhere on the lines around, as before
    assert len(scan(eng, f"x = 'ID_AB12CD34'  # {'y' * 3000}\nk = '{secs[2]}'\n")) == 1


def test_path_database_matches_applies_to_exactly(tmp_path: Path) -> None:
    """The Hyperscan database of path patterns only narrows which regexes are searched: on every
    example path of the built-in pack, paths with control or non-ASCII characters, and patterns
    Hyperscan refuses, ``PathPrefilter.applies`` is ``rule.applies_to``."""
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    from leakguard.prefilter import PathPrefilter

    (tmp_path / "r.yaml").write_text(r"""
rules:
  - id: refused
    description: a path pattern Hyperscan does not compile (a Unicode property)
    severity: low
    keywords: [zzsecret]
    pattern: 'zzsecret=(?P<secret>\S{6,})'
    paths: {only: ['(?i)\p{Lu}\w*\.cfg$', '\sx\.ini$', 'a{,3}b\.txt$', 'x(?i)Y\.toml$'], skip: ['(^|/)vendor/']}
""")
    rules = [r for r in load_ruleset([tmp_path]).rules if r.paths_only or r.paths_skip]
    pf = PathPrefilter(rules)
    paths = {e.path for r in load_ruleset().rules for e in (*r.examples, *r.negative_examples)}
    paths |= {"a/.netrc\n", "x\x1c/.pgpass", ".PGPASS", "home/u/.kube/config", "A/Config.JSON", "caf\u00e9/.netrc",
              "src/app.py", "vendor/App.cfg", "App.cfg", "\u00c9t\u00e9.cfg", "a\x1cx.ini", "a x.ini", "a/auth.json",
              "ab.txt", "b.txt", "XY.toml", "xy.toml"}
    for p in sorted(paths):
        cands = pf.candidates(p)
        for r in rules:
            assert pf.applies(r, p, cands) == r.applies_to(p), (r.id, p)


def test_engine_uses_the_path_database_on_big_scans(eng: Engine) -> None:
    if not hyperscan_available():
        pytest.skip("hyperscan not installed")
    from leakguard.prefilter import PathPrefilter

    eng.prepare(100_000)
    assert isinstance(eng._paths_pf, PathPrefilter)
    test_path_scoping(eng)
