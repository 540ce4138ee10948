"""Checksum validators against valid and corrupted tokens, and the engine hook."""
from __future__ import annotations

import base64
import random
import sys
from pathlib import Path

import pytest

from leakguard import checksums
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.ruleset import compile_rule, load_ruleset
from leakguard.errors import RuleError

from tests import fake_tokens


def _corruptions(token: str, start: int, end: int, alphabet: str, n: int = 40) -> list[str]:
    rnd = random.Random(token)
    out = []
    for _ in range(n):
        i = rnd.randrange(start, end)
        out.append(token[:i] + rnd.choice([c for c in alphabet if c != token[i]]) + token[i + 1:])
    return out


ALNUM = fake_tokens.ALNUM


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "npm_"])
def test_github_npm_crc32(prefix: str) -> None:
    for _ in range(20):
        tok = fake_tokens.github(prefix)
        assert checksums.github_crc32(tok)
        for bad in _corruptions(tok, 4, len(tok), ALNUM):
            assert not checksums.github_crc32(bad), bad
    assert not checksums.github_crc32("ghp_" + "a" * 35)  # wrong length
    assert not checksums.github_crc32("ghp" + "a" * 36)  # no separator


def test_github_crc32_known_vector() -> None:
    # base62 of zlib.crc32(b"0"*30), built here by hand: checks padding and alphabet order
    body = "0" * 30
    n = checksums.crc32(body)
    digits = []
    while n:
        n, r = divmod(n, 62)
        digits.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[r])
    tail = "".join(reversed(digits)).rjust(6, "0")
    assert checksums.github_crc32("ghp_" + body + tail)
    assert not checksums.github_crc32("ghp_" + body + tail.swapcase())


def test_grafana_crc32() -> None:
    for _ in range(20):
        tok = fake_tokens.grafana()
        assert checksums.grafana_crc32(tok)
        for bad in _corruptions(tok, 5, 37, ALNUM):
            assert not checksums.grafana_crc32(bad)
        assert not checksums.grafana_crc32(tok[:-8] + tok[-8:][::-1])  # big-endian by mistake (unless palindrome)
    assert not checksums.grafana_crc32("glsa_" + "a" * 32 + "_zzzzzzzz")  # not hex


def test_atlassian_suffix_crc32() -> None:
    for _ in range(10):
        tok = fake_tokens.atlassian()
        assert checksums.suffix_hex_crc32(tok)
        assert checksums.suffix_hex_crc32(tok[:-8] + tok[-8:].lower())  # hex case does not matter
        for bad in _corruptions(tok, 12, len(tok) - 9, ALNUM):
            assert not checksums.suffix_hex_crc32(bad)
    assert not checksums.suffix_hex_crc32("ATATT3xFfGF0abc=XYZXYZXY")
    assert not checksums.suffix_hex_crc32("")


def test_pypi_macaroon() -> None:
    for test in (False, True):
        tok = fake_tokens.pypi(test)
        assert checksums.pypi_macaroon(tok)
        assert not checksums.pypi_macaroon(tok[:-4])  # signature cut short
        assert not checksums.pypi_macaroon(tok + "AAAA")  # trailing bytes after the signature
    # a macaroon for another location is not a PyPI token
    raw = bytearray(base64.urlsafe_b64decode(fake_tokens.pypi()[5:] + "=="))
    raw[3:11] = b"pypi.xyz"
    assert not checksums.pypi_macaroon("pypi-" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="))
    # the fixed header followed by random base64 (the shape of a made-up token)
    rnd = random.Random(7)
    for _ in range(50):
        fake = "pypi-AgEIcHlwaS5vcmc" + "".join(rnd.choice(ALNUM + "_-") for _ in range(150))
        assert not checksums.pypi_macaroon(fake)
    assert not checksums.pypi_macaroon("pypi-!!!")
    assert not checksums.pypi_macaroon("AgEIcHlwaS5vcmc")


def test_bech32_age_and_nostr() -> None:
    for _ in range(10):
        age = fake_tokens.bech32("age-secret-key-").upper()
        assert checksums.bech32(age)
        for bad in _corruptions(age, 16, len(age), "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"):
            assert not checksums.bech32(bad)
        nsec = fake_tokens.bech32("nsec")
        assert checksums.bech32(nsec)
        assert not checksums.bech32(nsec[:10] + nsec[10:].upper())  # mixed case is invalid
    # BIP 173 test vector
    assert checksums.bech32("A12UEL5L")
    assert not checksums.bech32("A12UEL5X")


def test_structure_validators() -> None:
    payload = base64.b64encode(b'{"iat":1718490970.0,"url":"https://sentry.io","org":"kestrel"}').decode()
    assert checksums.sentry_org_token(f"sntrys_{payload}_" + "A" * 43)
    not_json = base64.b64encode(b'{"iat":1718490970.0,"url":"https://sentry.io",').decode()
    assert not checksums.sentry_org_token(f"sntrys_{not_json}_" + "A" * 43)
    p = base64.urlsafe_b64encode(b'{"u":"kestrel","a":"clx0abc"}').decode().rstrip("=")
    assert checksums.mapbox_token(f"sk.{p}.Q8yF3kP0sXcZ1mLq2VbN7w")
    assert not checksums.mapbox_token(f"sk.{p}")
    assert not checksums.mapbox_token("sk.eyJ1IjoiAAAA.Q8yF3kP0sXcZ1mLq2VbN7w")


def test_validators_never_raise() -> None:
    rnd = random.Random(3)
    for name in checksums.VALIDATORS:
        for _ in range(200):
            s = "".join(chr(rnd.randrange(1, 0x3000)) for _ in range(rnd.randrange(0, 80)))
            assert checksums.valid(name, s) in (True, False)


def test_unknown_checksum_is_a_rule_error() -> None:
    raw = {"id": "x-token", "description": "x", "severity": "low", "keywords": ["xtk_"],
           "pattern": r"(?P<secret>xtk_[a-z]{8})", "checksum": "no-such"}
    with pytest.raises(RuleError, match="unknown checksum"):
        compile_rule(raw, "t.yaml", 0)
    with pytest.raises(RuleError, match="unknown checksum"):
        compile_rule({**raw, "checksum": ["github-crc32"]}, "t.yaml", 0)


def test_engine_drops_a_token_whose_checksum_fails() -> None:
    rs = load_ruleset().select(enable=["github-personal-access-token"])
    eng = Engine(rs, backend="regex")
    good = fake_tokens.github("ghp_")
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    text = f"GITHUB_TOKEN={good}\nOTHER_TOKEN={bad}\n".encode()
    det = eng.scan(Chunk(text, (Origin("file", "app.env"),)))
    assert [f.secret for f in det.findings] == [good]
    assert det.dropped.get("checksum mismatch") == 1


def test_every_checksum_rule_example_verifies() -> None:
    rules = [r for r in load_ruleset().rules if r.checksum]
    assert len(rules) >= 10
    for r in rules:
        for ex in r.examples:
            secrets_ = [m.group(r.secret_group) for m in r.pattern.finditer(ex.text)]
            assert secrets_ and all(checksums.valid(r.checksum, s) for s in secrets_), r.id
