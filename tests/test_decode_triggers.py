"""The decode trigger database (leakguard.decode._triggers): one Hyperscan pass that says where
decoding may find something. It must give exactly the candidates of the plain ``bytes`` searches,
on crafted edge cases and on random text, and it must cost a small scan nothing."""
from __future__ import annotations

import base64
import random

import pytest

from leakguard import decode
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin
from leakguard.prefilter import hyperscan_available

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="needs the hyperscan wheel")


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


PW = "Vq8#nR2kLw!73"

# each of these reaches one of the checks (by its group) or is a near miss next to one
CASES = [
    f"Authorization: Basic {b64('deploy:' + PW)}\n",
    f"basic {b64('deploy:' + PW)}",  # at the start of the text, lower case
    f"xBasic {b64('deploy:' + PW)}\n",  # glued to a word: no pair
    f"BASIC\t\t{b64('ci:' + PW)}==\n",
    f'{{"auths": {{"reg.example.com": {{"auth": "{b64("robot:" + PW)}"}}}}}}\n',
    f"auth={b64('robot:' + PW)}",
    f"auth' : '{b64('robot:' + PW)}'\r\n",
    f"oauth: {b64('robot:' + PW)}\n",  # 'auth' inside a word
    f"password: {b64('Zr8kLq2mVx9TpW4n-db')}\n",
    f"token = '{b64('ghp_' + 'x' * 36)}'",
    f"k = {b64('a secret phrase, typed')}",  # the run ends the text
    f"k = {b64('a secret phrase, typed')}\n",  # a final newline ('$' matches before it)
    "v = " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" + "=\n",  # padding after a letters-only run
    "v = " + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWg" + "==\n",
    "id = AbCdEfGhIjKlMnOpQrStUvWxYz\n",  # mixed case, no digit: a word
    "path = /usr/lib/python3/dist-packages/some/Module2.py\n",
    "k = " + "password=Zr8kLq2mVx9T".encode().hex() + "\n",  # hex
    "k = " + "4a" * 15 + "4\n",  # odd hex
    "s = '" + "".join(f"\\x{c:02x}" for c in b"password=Zr8kLq2mVx9T") + "'\n",
    "s = '" + "".join(f"\\x{c:02x}" for c in b"pass") + "'\n",  # too few escapes
    "url = https://h/?q=%70%61%73%73word%3DZr8kLq2mVx9T\n",
    "q = login%3Aadmin%40Zr8kLq2mVx9T%2Fpath\n",  # text between the escapes
    "printf('%02x %02x', a, b)\n",
    "a%41%42%43\n",
    f"apiVersion: v1\nkind: Secret\ndata:\n  DB_PASSWORD: {b64(PW)}\n",
    f"---\nkind: ConfigMap\n---\n'kind': 'Secret'\ndata:\n  api_key: {b64('sk_live_' + 'a1B2' * 6)}\n",
    "class Secret: pass\n",
    "x = " + "Ab1" * 30000 + "\n",  # a run over MAX_BLOB
    "y = " + "Ab1+/" * 4 + "Z" * (decode.MAX_BLOB - 20) + "=\n",  # a run of exactly MAX_BLOB, padded
    "",
]


def _hs_hits(data: bytes, monkeypatch: pytest.MonkeyPatch) -> decode._Hits:
    monkeypatch.setenv("LEAKGUARD_DECODE_TRIGGERS", "hyperscan")
    hits = decode._trigger_hits(data) if data else decode._Hits(([], []))
    assert hits is not None
    return hits


@pytest.fixture
def triggers(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKGUARD_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(decode, "_db", None)
    monkeypatch.setattr(decode, "_seen", 0)


def _same(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[decode.Candidate]:
    plain = list(decode._candidates(data, None))
    hits = _hs_hits(data, monkeypatch)
    assert list(decode._candidates(data, hits)) == plain
    k8s = list(decode._k8s_blobs(data))
    assert not k8s or hits.k8s, "the database missed a Kubernetes Secret"
    return plain


def test_the_database_gives_the_plain_searches_candidates(triggers, monkeypatch):
    groups = set()
    for text in CASES:
        for c in _same(text.encode(), monkeypatch):
            groups.add(c[0])
    # every kind of check found something, so the comparison above was not vacuous
    assert groups == {0, 1, decode._G_RUN, decode._G_XESC, decode._G_PCT}
    assert any(decode._k8s_blobs(t.encode()) for t in CASES)


def test_the_database_gives_the_same_candidates_on_random_text(triggers, monkeypatch):
    rng = random.Random(20261203)
    pieces = [" ", "\n", "\r\n", "\t", "=", "==", ":", '"', "'", "%", "%4", "%41", "\\x", "\\x4", "\\x41",
              "Basic ", "basic\t", "auth", "AUTH", "\": ", "kind: Secret\n", "Secret", "data:\n  k: ",
              "/", "+", "-", "_", "é", "\x00", "\xff"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    secrets = [b64("user:" + PW), b64("password=" + PW), (PW + "abc").encode().hex(), b64("x" * 30)]
    found = 0
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 40)):
            r = rng.random()
            if r < 0.4:
                parts.append(rng.choice(pieces))
            elif r < 0.8:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 45))))
            else:
                parts.append(rng.choice(secrets))
        found += len(_same("".join(parts).encode("utf-8", "surrogateescape"), monkeypatch))
    assert found > 100


def test_a_small_scan_builds_no_database(triggers, tmp_path, monkeypatch):
    monkeypatch.delenv("LEAKGUARD_DECODE_TRIGGERS", raising=False)
    text = f"Authorization: Basic {b64('deploy:' + PW)}\n".encode()
    assert list(decode.find_candidates(text))
    assert decode._db is None and not list(tmp_path.glob("decode-*.db"))
    big = text + b"x = 1\n" * (decode.SMALL_SCAN_BYTES // 6)
    assert list(decode.find_candidates(big)) == list(decode._candidates(big, None))
    assert decode._db and list(tmp_path.glob("decode-*.db"))  # built once the text seen is big, and cached


def test_a_bad_cached_database_is_rebuilt(triggers, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKGUARD_DECODE_TRIGGERS", "hyperscan")
    text = f"auth: {b64('robot:' + PW)}\n".encode()
    want = list(decode._candidates(text, None))
    assert list(decode.find_candidates(text)) == want
    (path,) = tmp_path.glob("decode-*.db")
    for junk in (b"", b"not a database", path.read_bytes()[:100]):
        path.write_bytes(junk)
        monkeypatch.setattr(decode, "_db", None)
        assert list(decode.find_candidates(text)) == want
        assert decode._db


def test_plain_mode_never_builds_it(triggers, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKGUARD_DECODE_TRIGGERS", "plain")
    assert list(decode.find_candidates(b"k = " + b64("password=" + PW).encode()))
    list(decode.find_candidates(b"x" * (decode.SMALL_SCAN_BYTES + 1)))
    assert decode._db is None and not list(tmp_path.glob("decode-*.db"))


def test_engine_findings_are_the_same_with_and_without_the_database(triggers, monkeypatch):
    from leakguard.ruleset import load_ruleset

    text = "\n".join(CASES[:25]).encode()
    rules = load_ruleset()

    def run(mode: str) -> list[tuple]:
        monkeypatch.setenv("LEAKGUARD_DECODE_TRIGGERS", mode)
        monkeypatch.setattr(decode, "_db", None)
        found = Engine(rules).scan(Chunk(text, (Origin("file", "conf/secret.yaml"),))).findings
        return sorted((f.rule_id, f.location.start_offset, f.decoded, f.key_path, f.secret_hash) for f in found)

    plain = run("plain")
    assert any(d for _, _, d, _, _ in plain)
    assert run("hyperscan") == plain
