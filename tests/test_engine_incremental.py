"""Incremental scanning (``leakguard git``): a version of a file diffed against the one
before it gives the findings and drop counts a scan of it alone gives.

Random edit sequences (lines inserted, deleted, replaced, duplicated and moved; several hunks
per version) over files that hold what each part of the engine takes from an earlier version:
line-local verdicts, provider context (values on the name's line and in a block under it),
decode candidates, a multi-line private key, multi-line rules with a one-line trigger and a
rule that needs a companion line."""
from __future__ import annotations

import base64
import random
import string

import pytest

from leakguard import engine as engine_mod
from leakguard.engine import Engine, _diff, _gaps
from leakguard.model import Chunk, Finding, Origin
from leakguard.prefilter import hyperscan_available
from leakguard.ruleset import Ruleset

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="the incremental path needs Hyperscan")

ALNUM = string.ascii_letters + string.digits


def _fake(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pieces(rng: random.Random) -> list[list[str]]:
    """Groups of lines an edit keeps together (a block with its opener, a key block)."""
    fastly = _fake(rng, ALNUM + "_-", 32)
    plaid = _fake(rng, "0123456789abcdef", 30)
    pem = ["-----BEGIN RSA PRIVATE KEY-----", *(_fake(rng, ALNUM + "+/", 64) for _ in range(6)),
           "-----END RSA PRIVATE KEY-----"]
    inner = base64.b64encode(f"password={_fake(rng, ALNUM, 20)}".encode()).decode()
    return [
        [f'aws_access_key_id = "AKIA{_fake(rng, string.ascii_uppercase + "234567", 16)}"',
         f'aws_secret_access_key = "{_fake(rng, ALNUM + "/+", 40)}"'],
        [f"token = 'ghp_{_fake(rng, ALNUM, 36)}'"],
        [f"DB_PASSWORD={_fake(rng, ALNUM, 18)}"],
        [f"url = 'postgresql://app:{_fake(rng, ALNUM, 14)}@db.internal:5432/app'"],
        [f"- Fastly `api_token` (staging): `{fastly}`"],
        ["integrations:", "  plaid:", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid}"],
        [f"blob = '{inner}'"],
        ['{"cell_type": "code", "source": "conn = FastlyClient(\\"' + _fake(rng, ALNUM, 32) + '\\")"}'],  # escaped JSON
        ["apiVersion: v1", "kind: Secret", "metadata:", "  name: app-db", "data:",  # a Kubernetes Secret
         "  db_password: " + base64.b64encode(_fake(rng, ALNUM, 20).encode()).decode()],
        ["deploy_keys = [", f'    "AKIA{_fake(rng, string.ascii_uppercase + "234567", 16)}",',  # only the paired rule
         f'    "{_fake(rng, ALNUM, 40)}",', "]"],
        pem,
        ["password = 'changeme'"],
        # multi-line rules with a one-line trigger (their hits are moved over like line-local ones):
        # a YAML block scalar and name/value pairs, whole and as key and value lines apart
        ["credentials:", "  password: |", f"    {_fake(rng, ALNUM, 18)}"],
        ["  api_token: >-"],
        [f"    {_fake(rng, ALNUM, 22)}"],
        ["env:", "  - name: DB_PASSWORD", f'    value: "{_fake(rng, ALNUM, 16)}"'],
        ["  - name: SERVICE_TOKEN"],
        [f'    value: "{_fake(rng, ALNUM, 20)}"'],
        ['{"name": "API_SECRET", "value": "' + _fake(rng, ALNUM, 24) + '"}'],
        ["headers:", "  Authorization:", f"    - Bearer {_fake(rng, ALNUM, 32)}"],
        ["  DbPassword:", "    Type: String", "    NoEcho: true", f"    Default: {_fake(rng, ALNUM, 14)}"],
        ["    NoEcho: true"],  # (up to 9 lines from a Default line of another piece)
        [f"    Default: {_fake(rng, ALNUM, 12)}"],
    ]


def _filler(rng: random.Random, i: int, dense: bool = False) -> str:
    words = ["value", "compute", "total", "export", "the", "job", "secret_santa", "password_hint", "plaid", "fastly"]
    if dense:  # a provider's name on every line (more than leakguard.context's MAX_LINES in a file)
        return f"    line_{i} = {rng.choice(['plaid', 'fastly', 'Stripe', 'cursor'])}.{rng.choice(words)}({i})"
    return f"    line_{i} = {rng.choice(words)}({i}, '{' '.join(rng.choice(words) for _ in range(rng.randint(0, 6)))}')"


def _edit(rng: random.Random, groups: list[list[str]], pieces: list[list[str]], n: int, dense: bool = False) -> None:
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        k = rng.randrange(len(groups) + 1)
        if op < 0.3:
            groups.insert(k, [_filler(rng, n * 100 + k, dense)])
        elif op < 0.45 and groups:
            del groups[min(k, len(groups) - 1)]
        elif op < 0.6:
            groups.insert(k, list(rng.choice(pieces)))
        elif op < 0.75 and groups:
            j = rng.randrange(len(groups))
            groups[j] = [_filler(rng, n * 100 + j, dense)] if rng.random() < 0.5 else list(rng.choice(pieces))
        elif op < 0.9 and len(groups) > 10:  # move a run of groups
            s = rng.randrange(len(groups) - 5)
            run = groups[s:s + rng.randint(1, 5)]
            del groups[s:s + len(run)]
            t = rng.randrange(len(groups) + 1)
            groups[t:t] = run
        elif groups:  # a changed value in a kept group
            j = rng.randrange(len(groups))
            groups[j] = [line.replace("1", "7") for line in groups[j]]


def _key(f: Finding) -> tuple[object, ...]:
    return (f.rule_id, f.secret, f.location, f.confidence, f.line_text, f.key, f.decoded, f.key_path, f.companions)


@pytest.mark.parametrize("split_min", [1024, engine_mod._SPLIT_MIN])  # 1024: these small files are split too
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("dense", [False, True], ids=["names-here-and-there", "names-on-every-line"])
def test_each_version_scanned_incrementally_gives_what_a_whole_scan_gives(ruleset: Ruleset, seed: int, split_min: int,
                                                                         dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_SPLIT_MIN", split_min)
    rng = random.Random(seed)
    pieces = _pieces(rng)
    groups: list[list[str]] = [[_filler(rng, i, dense)] for i in range(120)]
    for p in pieces:
        groups.insert(rng.randrange(len(groups)), list(p))
    inc = Engine(ruleset, backend="hyperscan")
    inc.incremental = True
    whole = Engine(ruleset, backend="hyperscan")
    split = 0
    prev = b""
    for n in range(30):
        if n:
            _edit(rng, groups, pieces, n, dense)
        data = ("\n".join(line for g in groups for line in g) + ("\n" if n % 5 else "")).encode()
        chunk = Chunk(data, (Origin("commit", "conf/app_config.yaml"),))
        got = inc.scan(chunk)
        want = whole.scan(chunk)
        assert [_key(f) for f in got.findings] == [_key(f) for f in want.findings], n
        assert got.dropped == want.dropped, n
        split += n > 0 and len(_gaps(_diff(prev, data), len(data))) >= 2
        prev = data
    if split_min < 2048:
        assert split >= 5  # versions with two or more changed runs were diffed, not only their common ends


def test_diff_gives_shared_runs_of_whole_lines_in_order() -> None:
    rng = random.Random(3)
    for _ in range(400):
        lines = [f"line {i} {'x' * rng.randint(0, 60)}".encode() for i in range(rng.randint(0, 300))]
        new = list(lines)
        for _ in range(rng.randint(0, 6)):
            if not new:
                break
            k, op = rng.randrange(len(new)), rng.random()
            if op < 0.3:
                del new[k]
            elif op < 0.6:
                new.insert(k, b"inserted")
            else:
                new[k:k] = new[k:k + rng.randint(1, 20)]
        old_text = b"\n".join(lines) + (b"\n" if rng.random() < 0.7 else b"")
        new_text = b"\n".join(new) + (b"\n" if rng.random() < 0.7 else b"")
        pn = po = 0
        for ns, os_, n in engine_mod._diff(old_text, new_text):
            assert ns >= pn and os_ >= po and n > 0
            assert new_text[ns:ns + n] == old_text[os_:os_ + n]
            assert ns == 0 or new_text[ns - 1] == 10
            assert os_ == 0 or old_text[os_ - 1] == 10
            assert ns + n == len(new_text) and os_ + n == len(old_text) or new_text[ns + n - 1] == 10
            pn, po = ns + n, os_ + n
    # two hunks far apart: the lines between them are shared, not rescanned
    body = [f"unchanged line {i} with some text".encode() for i in range(400)]
    edited = list(body)
    edited[50], edited[350] = b"changed A", b"changed B"
    gaps = _gaps(_diff(b"\n".join(body) + b"\n", b"\n".join(edited) + b"\n"), len(b"\n".join(edited)) + 1)
    assert len(gaps) == 2 and sum(e - s for s, e in gaps) < 200


@pytest.mark.parametrize("split_min", [1024, engine_mod._SPLIT_MIN])
def test_a_block_under_a_provider_name_is_looked_at_again_when_it_changes(ruleset: Ruleset, split_min: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_SPLIT_MIN", split_min)
    # the provider's name stands on the block's first line, the value lines below it: an edit
    # to the block (a new value, a line put between, the name taken away) is seen although the
    # name's line itself did not change
    plaid_a, plaid_b = "07cfc315a25bba2bf6a8c59477f28d", "5be0a3d1c9e87f6b2a4d0c3e1f9a8b"
    head = [f"setting_{i}: compute({i}, 'some text')" for i in range(80)]
    versions = [
        ["integrations:", "  plaid:", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid_a}"],
        ["integrations:", "  plaid:", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid_b}"],
        ["integrations:", "  plaid:", "    region: eu", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid_b}"],
        ["integrations:", "  billing:", "    region: eu", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid_b}"],
        ["integrations:", "  plaid:", "    region: eu", "    client_id: 64b0c1d2e3f4a5b6c7d8e9f0", f"    secret: {plaid_b}"],
    ]
    inc = Engine(ruleset, backend="hyperscan")
    inc.incremental = True
    whole = Engine(ruleset, backend="hyperscan")
    rules = []
    for block in versions:
        data = ("\n".join(head[:40] + block + head[40:]) + "\n").encode()
        chunk = Chunk(data, (Origin("commit", "config/integrations.yaml"),))
        got, want = inc.scan(chunk).findings, whole.scan(chunk).findings
        assert [_key(f) for f in got] == [_key(f) for f in want]
        rules.append(sorted({f.rule_id for f in got}))
    assert "plaid-secret" in rules[0] and "plaid-secret" in rules[1] and "plaid-secret" in rules[2]
    assert "plaid-secret" not in rules[3] and "plaid-secret" in rules[4]


def test_a_file_larger_than_the_version_buffer_is_still_diffed(ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_mod, "_PREV_BYTES", 1000)
    diffs: list[int] = []
    diff = engine_mod._diff

    def counting(old: bytes, new: bytes) -> list[tuple[int, int, int]]:
        diffs.append(len(new))
        return diff(old, new)

    monkeypatch.setattr(engine_mod, "_diff", counting)
    inc = Engine(ruleset, backend="hyperscan")
    inc.incremental = True
    lines = [f"value_{i} = compute({i})" for i in range(400)]
    for n in range(3):
        lines[n * 100] = f"changed_{n} = 1"
        inc.scan(Chunk(("\n".join(lines) + "\n").encode(), (Origin("commit", "big.py"),)))
    assert len(diffs) == 2  # versions 2 and 3, each against the one before (over 1000 bytes each)
