"""Checksum and structure validators for token formats that carry one.

A rule names a validator with ``checksum: NAME``; the engine runs it on the
secret after the regex confirmed it. A token whose checksum does not verify
was not issued by the provider (a typo, a truncated copy, a made-up value),
so the rule drops it (reason ``checksum mismatch``); a generic rule may still
report the value on its own terms.

Every validator takes the secret exactly as the rule's ``secret`` group
captured it and returns True when the embedded checksum (or the structure the
provider guarantees) verifies. Validators never raise.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from leakguard.errors import LeakguardError

if TYPE_CHECKING:
    from mnemonic import Mnemonic

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B62_INDEX = {c: i for i, c in enumerate(_B62)}


def base62(n: int, width: int = 6) -> str:
    """``n`` in base 62 (digits, upper, lower), left-padded with '0' to ``width``."""
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _B62[r] + out
    return out.rjust(width, "0")


def _digits_value(s: str, index: dict[str, int]) -> int | None:
    """The number ``s`` writes in the base whose digits ``index`` maps (base 62, base 58), or None."""
    n, base = 0, len(index)
    for c in s:
        v = index.get(c)
        if v is None:
            return None
        n = n * base + v
    return n


def crc32(data: str) -> int:
    return binascii.crc32(data.encode("ascii", "replace")) & 0xFFFFFFFF


def github_crc32(secret: str) -> bool:
    """GitHub (ghp_/gho_/ghu_/ghs_/ghr_) and npm (npm_) tokens: prefix, 30
    random base62 characters, then the CRC32 of those 30 characters in base62
    (6 characters, left-padded with '0').
    https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"""
    _, sep, body = secret.partition("_")
    if not sep or len(body) != 36:
        return False
    return _digits_value(body[30:], _B62_INDEX) == crc32(body[:30])


def grafana_crc32(secret: str) -> bool:
    """Grafana service-account tokens ``glsa_<32>_<8 hex>``: the hex is the
    little-endian CRC32 of everything before the last underscore
    (grafana pkg/components/satokengen)."""
    head, sep, tail = secret.rpartition("_")
    if not sep or len(tail) != 8:
        return False
    try:
        want = int.from_bytes(bytes.fromhex(tail), "little")
    except ValueError:
        return False
    return want == crc32(head)


def suffix_hex_crc32(secret: str) -> bool:
    """Formats that end in the big-endian hex CRC32 (8 characters) of
    everything before it: Atlassian API tokens (ATATT3...=XXXXXXXX)."""
    head, tail = secret[:-8], secret[-8:]
    try:
        want = int(tail, 16)
    except ValueError:
        return False
    return bool(head) and want == crc32(head)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(data) or shift > 28:
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _macaroon_fields(data: bytes, i: int) -> tuple[dict[int, bytes], int]:
    """One section of a v2 macaroon: fields up to the end-of-section byte."""
    fields: dict[int, bytes] = {}
    while True:
        if i >= len(data):
            raise ValueError("truncated section")
        if data[i] == 0:
            return fields, i + 1
        ftype, i = _varint(data, i)
        length, i = _varint(data, i)
        if ftype in fields or i + length > len(data):
            raise ValueError("bad field")
        fields[ftype] = data[i:i + length]
        i += length


def macaroon_v2(data: bytes) -> tuple[bytes, bytes] | None:
    """(location, identifier) of a binary v2 macaroon whose whole structure
    parses (header, caveats, 32-byte signature ending the data), else None."""
    try:
        if not data or data[0] != 2:
            return None
        head, i = _macaroon_fields(data, 1)
        if 2 not in head:
            return None
        while True:
            if i >= len(data):
                return None
            if data[i] == 0:  # end of the caveat list
                i += 1
                break
            caveat, i = _macaroon_fields(data, i)
            if 2 not in caveat:
                return None
        ftype, i = _varint(data, i)
        length, i = _varint(data, i)
        if ftype != 6 or length != 32 or i + length != len(data):
            return None
        return head.get(1, b""), head[2]
    except ValueError:
        return None


def _b64url(s: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (binascii.Error, ValueError):
        return None


def pypi_macaroon(secret: str) -> bool:
    """PyPI / TestPyPI API tokens: ``pypi-`` + a base64url v2 macaroon whose
    location is pypi.org or test.pypi.org (https://pypi.org/help/#apitoken)."""
    if not secret.startswith("pypi-"):
        return False
    data = _b64url(secret[5:])
    parsed = macaroon_v2(data) if data else None
    return parsed is not None and parsed[0] in (b"pypi.org", b"test.pypi.org") and bool(parsed[1])


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32_create_checksum(hrp: str, data: list[int]) -> list[int]:
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    mod = _bech32_polymod(values + [0] * 6) ^ 1
    return [(mod >> 5 * (5 - i)) & 31 for i in range(6)]


def bech32(secret: str) -> bool:
    """Bech32 (BIP 173) strings of any length: age secret keys
    (AGE-SECRET-KEY-1...), Nostr nsec1... keys. Mixed case is invalid."""
    if secret.lower() != secret and secret.upper() != secret:
        return False
    s = secret.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        return False
    hrp, rest = s[:pos], s[pos + 1:]
    if any(c not in _BECH32 for c in rest):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + [_BECH32.index(c) for c in rest]
    return _bech32_polymod(values) == 1


def _json_segment(s: str) -> object:
    data = _b64url(s.replace("+", "-").replace("/", "_").rstrip("="))
    if data is None:
        return None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None


def sentry_org_token(secret: str) -> bool:
    """Sentry organization tokens ``sntrys_<base64 JSON>_<secret>``: the JSON
    payload carries the issue time and the Sentry URL."""
    body = secret[len("sntrys_"):] if secret.startswith("sntrys_") else ""
    payload, sep, _ = body.rpartition("_")
    obj = _json_segment(payload) if sep else None
    return isinstance(obj, dict) and "iat" in obj and ("url" in obj or "region_url" in obj)


def mapbox_token(secret: str) -> bool:
    """Mapbox tokens ``pk.|sk.|tk.<base64url JSON>.<signature>``: the JSON
    payload names the account (``u``)."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    obj = _json_segment(parts[1])
    return isinstance(obj, dict) and isinstance(obj.get("u"), str)


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0): the checksum of Stellar strkeys and NATS nkeys."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1 ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def _strkey(secret: str, length: int) -> bytes | None:
    """Base32 payload of a Stellar/NATS key whose last two bytes are the
    CRC-16/XMODEM (little-endian) of the rest, or None."""
    if len(secret) != length or not secret.isupper() and not secret.isalnum():
        return None
    pad = "=" * (-len(secret) % 8)
    try:
        raw = base64.b32decode(secret + pad)
    except (binascii.Error, ValueError):
        return None
    body, crc = raw[:-2], raw[-2:]
    return body if crc16_xmodem(body) == int.from_bytes(crc, "little") else None


def stellar_seed(secret: str) -> bool:
    """Stellar secret seeds ``S...`` (56 base32 characters): version byte
    18 << 3, a 32-byte ed25519 seed, a CRC-16/XMODEM checksum."""
    body = _strkey(secret, 56)
    return body is not None and len(body) == 33 and body[0] == 18 << 3


def nats_seed(secret: str) -> bool:
    """NATS nkey seeds ``S[UAONCX]...`` (58 base32 characters): two prefix
    bytes (seed, then the key type), a 32-byte seed, a CRC-16/XMODEM checksum."""
    body = _strkey(secret, 58)
    return body is not None and len(body) == 34 and body[0] >> 3 == 18


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def base58check_decode(s: str) -> bytes | None:
    """The payload of a Base58Check string (without its 4-byte double-SHA-256
    checksum), or None when it does not verify."""
    n = _digits_value(s, _B58_INDEX)
    if n is None:
        return None
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(s) - len(s.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    body, check = raw[:-4], raw[-4:]
    return body if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check else None


def bitcoin_wif(secret: str) -> bool:
    """Bitcoin Wallet Import Format private keys: Base58Check of 0x80 (mainnet)
    or 0xEF (testnet), a 32-byte key, and 0x01 when the public key is compressed."""
    body = base58check_decode(secret) if 50 <= len(secret) <= 52 else None
    if body is None or body[0] not in (0x80, 0xEF):
        return False
    return len(body) == 33 or len(body) == 34 and body[33] == 1


class MissingDependency(LeakguardError):
    """A declared dependency a validator needs is not installed: an install error, reported as
    one line by the command line, never taken for a checksum mismatch."""


_bip39_english: list[Mnemonic] = []  # the mnemonic library's English word list, loaded on first use


def bip39_mnemonic(secret: str) -> bool:
    """BIP-39 mnemonics: 12, 15, 18, 21 or 24 words of the standard English word list,
    whose last bits (1 per 3 words) are the first bits of the SHA-256 of the entropy the
    words encode. The word list and the check are Trezor's reference implementation
    (the ``mnemonic`` package), imported on the first mnemonic-shaped match."""
    if not _bip39_english:
        try:
            from mnemonic import Mnemonic  # noqa: F811 - the lazy import of the name typed above
        except ImportError as e:
            raise MissingDependency("the BIP-39 check needs the 'mnemonic' package, a dependency of "
                                    "leakguard: pip install 'mnemonic>=0.20'") from e
        _bip39_english.append(Mnemonic("english"))
    return bool(_bip39_english[0].check(" ".join(secret.split())))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "github-crc32": github_crc32,
    "npm-crc32": github_crc32,
    "grafana-crc32": grafana_crc32,
    "suffix-hex-crc32": suffix_hex_crc32,
    "pypi-macaroon": pypi_macaroon,
    "bech32": bech32,
    "sentry-org-token": sentry_org_token,
    "mapbox-token": mapbox_token,
    "stellar-seed": stellar_seed,
    "nats-seed": nats_seed,
    "bitcoin-wif": bitcoin_wif,
    "bip39": bip39_mnemonic,
}


def valid(name: str, secret: str) -> bool:
    """Whether ``secret`` passes validator ``name`` (unknown names are refused
    when rules load, so this only sees known ones)."""
    try:
        return VALIDATORS[name](secret)
    except MissingDependency:
        raise  # a broken install says so rather than dropping every match
    except Exception:  # a validator never turns hostile input into a crash
        return False
