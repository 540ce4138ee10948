"""BIP-39 mnemonics: the checksum tells a wallet's mnemonic from a list of words."""
from __future__ import annotations

import hashlib
import random
import sys

import pytest
from mnemonic import Mnemonic

from leakguard import checksums
from leakguard.engine import Engine
from leakguard.model import Chunk, Origin

WORDS = Mnemonic("english").wordlist


def encode(entropy: bytes) -> str:
    """BIP-39 by hand, independent of the library: the entropy's bits, then the first
    len(entropy) * 8 / 32 bits of its SHA-256, read as 11-bit indexes into the word list."""
    bits = len(entropy) * 8
    n = int.from_bytes(entropy, "big") << bits // 32 | hashlib.sha256(entropy).digest()[0] >> 8 - bits // 32
    count = (bits + bits // 32) // 11
    return " ".join(WORDS[n >> 11 * (count - 1 - i) & 2047] for i in range(count))


def corrupt(phrase: str) -> str:
    """The same words with a last word that does not carry the checksum."""
    words = phrase.split()
    for w in WORDS:
        bad = " ".join(words[:-1] + [w])
        if not Mnemonic("english").check(bad):
            return bad
    raise AssertionError("unreachable: at most 1 in 16 last words passes")


ENTROPY_BYTES = (16, 20, 24, 28, 32)  # 12, 15, 18, 21, 24 words


@pytest.mark.parametrize("nbytes", ENTROPY_BYTES)
def test_mnemonics_of_random_entropy_pass(nbytes: int) -> None:
    rng = random.Random(f"bip39:{nbytes}")
    for _ in range(50):
        entropy = rng.randbytes(nbytes)
        phrase = Mnemonic("english").to_mnemonic(entropy)
        assert phrase == encode(entropy)  # the reference implementation and the standard agree
        assert len(phrase.split()) == nbytes * 3 // 4
        assert checksums.valid("bip39", phrase)
        assert not checksums.valid("bip39", corrupt(phrase))


def test_word_lists_that_are_not_mnemonics_fail() -> None:
    rng = random.Random("bip39:lists")
    phrase = encode(rng.randbytes(16))
    words = phrase.split()
    assert not checksums.valid("bip39", " ".join(words[:11]))  # eleven words: not a BIP-39 length
    assert not checksums.valid("bip39", " ".join(words + words[:1]))  # thirteen
    assert not checksums.valid("bip39", " ".join(words[:5] + ["blorpx"] + words[6:]))  # not on the list
    assert not checksums.valid("bip39", phrase.upper())  # the list is lower case
    # random lists of wordlist words: about one in 16 passes by chance for 12 words, 1 in 256 for 24
    passed = sum(checksums.valid("bip39", " ".join(rng.choice(WORDS) for _ in range(24))) for _ in range(2000))
    assert passed < 30


def _scan(engine: Engine, text: str, path: str = ".env") -> list[tuple[str, str, str]]:
    det = engine.scan(Chunk(text.encode(), (Origin("file", path),)))
    return [(f.rule_id, f.secret, f.confidence) for f in det.findings]


@pytest.mark.parametrize("nbytes", ENTROPY_BYTES)
def test_a_valid_mnemonic_is_a_high_finding(engine: Engine, nbytes: int) -> None:
    phrase = encode(random.Random(f"bip39-engine:{nbytes}").randbytes(nbytes))
    assert _scan(engine, f'WALLET_MNEMONIC="{phrase}"\n') == [("bip39-mnemonic", phrase, "high")]
    assert _scan(engine, f"wallet:\n  seed_phrase: {phrase}\n", "config/wallet.yml") == [("bip39-mnemonic", phrase, "high")]


def test_a_random_word_list_is_not_a_finding(engine: Engine) -> None:
    phrase = encode(random.Random("bip39-engine:bad").randbytes(16))
    for text in (f'MNEMONIC="{corrupt(phrase)}"\n',
                 f'MNEMONIC="{" ".join(phrase.split()[:11] + ["blorpx"])}"\n',
                 'seed_phrase: glide ocean rescue timber ladder violin proud garlic mercy scout tissue orange cabin ribbon fringe\n'):
        det = engine.scan(Chunk(text.encode(), (Origin("file", ".env"),)))
        assert det.findings == [], text
        assert det.dropped.get("checksum mismatch") == 1, text


def test_a_missing_library_is_an_install_error_not_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "_bip39_english", [])
    monkeypatch.setitem(sys.modules, "mnemonic", None)  # import mnemonic -> ImportError
    with pytest.raises(checksums.MissingDependency, match="pip install 'mnemonic"):
        checksums.valid("bip39", "pretty hamster tattoo mouse universe accuse found crew moment open alcohol witness")
