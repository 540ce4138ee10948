"""Decoding: secrets wrapped in base64, hex and percent-encoding, through the real rule pack."""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote

import pytest

from leakguard import decode
from leakguard.engine import Engine
from leakguard.model import Chunk, Finding, Origin
from leakguard.redact import redact
from leakguard.reporters.json import finding_to_dict

PW = "Vq8#nR2kLw!73"
TOKEN = "glpat-" + "Xq7Lm2Kd9Rt4Vw8Zp3Nb"  # a GitLab personal access token shape (fake)


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def scan(engine: Engine, text: str, path: str = "secret.yaml") -> list[Finding]:
    return engine.scan(Chunk(text.encode(), (Origin("file", path),))).findings


K8S = f"""apiVersion: v1
kind: Secret
metadata:
  name: billing-db
type: Opaque
data:
  username: {b64("billing")}
  DB_PASSWORD: {b64(PW)}
  API_TOKEN: {b64(TOKEN)}
  note: {b64("not a secret at all")}
"""


def test_kubernetes_secret_reports_each_data_key_by_name(engine: Engine) -> None:
    found = scan(engine, K8S)
    by_key = {f.key_path: f for f in found}
    assert set(by_key) == {"data.DB_PASSWORD", "data.API_TOKEN"}
    pw = by_key["data.DB_PASSWORD"]
    assert pw.secret == PW and pw.decoded == "base64" and pw.key == "DB_PASSWORD"
    # reported at the encoded text's location
    line = K8S.splitlines()[pw.location.line - 1]
    assert line[pw.location.column - 1:pw.location.end_column - 1] == b64(PW)
    tok = by_key["data.API_TOKEN"]
    assert tok.secret == TOKEN and tok.confidence == "high"
    # the encoded blob is masked in the line text: base64 is no protection
    for f in found:
        assert b64(PW) not in f.line_text and b64(TOKEN) not in f.line_text


def test_json_report_carries_decoded_and_key_path(engine: Engine) -> None:
    (f,) = [f for f in scan(engine, K8S) if f.key_path == "data.DB_PASSWORD"]
    d = finding_to_dict(f)
    assert d["decoded"] == "base64" and d["key_path"] == "data.DB_PASSWORD"
    dumped = json.dumps(d)
    assert PW not in dumped and b64(PW) not in dumped and redact(PW) in dumped


def test_secret_manifest_in_a_multi_document_file(engine: Engine) -> None:
    text = "kind: ConfigMap\ndata:\n  CFG: " + b64("x = 1 and more text") + "\n---\n" + K8S
    assert {f.key_path for f in scan(engine, text)} == {"data.DB_PASSWORD", "data.API_TOKEN"}


def test_docker_auth_user_password(engine: Engine) -> None:
    cfg = json.dumps({"auths": {"registry.acme.io": {"auth": b64("deploy:" + PW)}}}, indent=2)
    found = scan(engine, cfg, "ci/registry.json")
    assert [(f.secret, f.decoded, f.key_path) for f in found] == [(PW, "base64", "auths.registry.acme.io.auth")]


def test_http_basic_header(engine: Engine) -> None:
    found = scan(engine, f'headers = {{"Authorization": "Basic {b64("admin:" + PW)}"}}', "client.py")
    assert [(f.secret, f.decoded) for f in found] == [(PW, "base64")]
    # a placeholder pair is not a secret, encoded or not
    assert scan(engine, f'headers = {{"Authorization": "Basic {b64("user:password")}"}}', "client.py") == []


def test_json_credential_blob(engine: Engine) -> None:
    blob = b64(json.dumps({"client_id": "svc-reporting", "client_secret": "9vJm2QfXo4LrT7wZpK1eHs3B"}))
    found = scan(engine, f"REPORTING_CREDENTIALS={blob}\n", ".env")
    assert [(f.secret, f.decoded, f.key_path) for f in found] == [("9vJm2QfXo4LrT7wZpK1eHs3B", "base64", "REPORTING_CREDENTIALS")]


def test_nested_base64(engine: Engine) -> None:
    inner = b64(f"password: {PW}")
    found = scan(engine, f"blob: {b64('payload: ' + inner)}\n", "x.yaml")
    assert [(f.secret, f.decoded) for f in found] == [(PW, "base64")]


def test_depth_is_bounded(engine: Engine) -> None:
    text = f"password: {PW}"
    for _ in range(decode.MAX_DEPTH + 1):
        text = f"v: {b64(text)}"
    assert scan(engine, text + "\n", "x.yaml") == []


def test_hex_and_percent(engine: Engine) -> None:
    hexed = f"password={PW}".encode().hex()
    found = scan(engine, f'data = "{hexed}"\n', "x.py")
    assert [(f.secret, f.decoded) for f in found] == [(PW, "hex")]
    escaped = "".join(f"\\x{b:02x}" for b in f"token: {TOKEN}".encode())
    assert [(f.secret, f.decoded) for f in scan(engine, f's = "{escaped}"\n', "x.py")] == [(TOKEN, "hex")]
    url = quote(f"postgres://app:{PW.replace('#', 'x')}@db.internal:5432/app", safe="")
    found = scan(engine, f"next={url}\n", "links.txt")
    assert [(f.secret, f.decoded) for f in found] == [(PW.replace("#", "x"), "percent")]


@pytest.mark.parametrize("blob", [
    "SGVsbG8gV29ybGQhIFRoaXMgaXMgbm90IGEgc2VjcmV0",  # "Hello World! This is not a secret"
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=!!",  # broken tail
    "YWJj$ZGVm%ZGVmZ2hpamtsbW5vcA==",  # not base64 characters
    "U2FsdGVkX1+vupppZksvRf5pq5g5XjFRIipRkwB0K1Y96Qsv2Lm+31cmzaAILwyt",  # binary (ciphertext)
    "A" * 4001,  # long run of one character
])
def test_bad_or_harmless_base64_gives_nothing(engine: Engine, blob: str) -> None:
    assert scan(engine, f"value: {blob}\n", "x.yaml") == []


def test_bad_base64_in_a_secret_manifest(engine: Engine) -> None:
    # a value of the wrong length is not base64: skipped, the rest of the manifest is still read
    text = K8S.replace(f"  note: {b64('not a secret at all')}", "  note: Zm9vY\n  other: !!binary")
    assert {f.key_path for f in scan(engine, text)} == {"data.DB_PASSWORD", "data.API_TOKEN"}


def test_huge_blobs_are_bounded(engine: Engine) -> None:
    # a blob over the size limit is not decoded; many blobs stop at the candidate budget; it stays fast
    huge = b64(("password: " + PW + "\n") * (decode.MAX_BLOB // 10))
    assert len(huge) > decode.MAX_BLOB
    t = time.perf_counter()
    assert scan(engine, f"v: {huge}\n", "x.yaml") == []
    many = "".join(f"k{i}: {b64(f'password: Zq{i:05d}Lm2x!Vb')}\n" for i in range(decode.MAX_CANDIDATES + 50))
    found = scan(engine, many, "x.yaml")
    assert len(found) == decode.MAX_CANDIDATES
    assert time.perf_counter() - t < 30  # a hang would be minutes; this is not a timing test


def test_provider_rule_on_the_encoded_text_wins(engine: Engine) -> None:
    # the plain scan already reports it (here: a generic match of the encoded value is replaced by the decoded one)
    text = f'headers = {{"Authorization": "Basic {b64("admin:" + PW)}"}}'
    (f,) = scan(engine, text, "client.py")
    assert f.decoded == "base64" and f.secret == PW


def test_staged_lines_and_inline_allow_apply(engine: Engine) -> None:
    text = f"a: 1\ntoken_blob: {b64('password: ' + PW)}  # leakguard:allow\n"
    det = engine.scan(Chunk(text.encode(), (Origin("file", "x.yaml"),)))
    assert det.findings == [] and det.allowed_inline == 1
    text = f"a: 1\ntoken_blob: {b64('password: ' + PW)}\n"
    assert engine.scan(Chunk(text.encode(), (Origin("file", "x.yaml"),), lines=frozenset({1}))).findings == []


def test_docker_config_inside_a_kubernetes_secret(engine: Engine) -> None:
    cfg = json.dumps({"auths": {"registry.acme.io": {"auth": b64("deploy:" + PW)}}})
    text = f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {b64(cfg)}\n"
    (f,) = scan(engine, text, "k8s/regcred.yaml")
    assert (f.secret, f.decoded, f.key, f.location.line) == (PW, "base64", ".dockerconfigjson", 5)
    assert f.key_path is not None and f.key_path.startswith("data..dockerconfigjson>")


def test_fast_paths_keep_the_candidates() -> None:
    """The C-level fast paths of the candidate search (lower-cased pair words,
    translate for hex runs and ASCII text) find what the slow paths found."""
    import base64 as b64

    from leakguard import decode as dec
    pair = b64.b64encode(b"ops:Zr8kLq2mVx9T").decode()
    for text in (f"Authorization: Basic {pair}", f"AUTHORIZATION: BASIC {pair}", f'"Auth": "{pair}"'):
        assert {c[4] for c in dec.find_candidates(text.encode())} == {"ops:Zr8kLq2mVx9T"}, text
    # an odd-length run of hex digits is not hex: it is tried as base64
    assert [c[3] for c in dec.find_candidates(b"k = " + b"4a" * 15 + b"4")] == []
    assert [c[3:] for c in dec.find_candidates(b"k = " + "password=Zr8kLq2mVx9T".encode().hex().encode())] == [
        ("hex", "password=Zr8kLq2mVx9T")]
    # text: printable ASCII with a letter or digit; control bytes or punctuation only are not
    assert dec._printable(b"abc\tdef\n") == "abc\tdef\n"
    assert dec._printable(b"abc\x01def") is None and dec._printable(b"!!!!!!!!") is None
    assert dec._printable("pässwörd".encode()) == "pässwörd"
