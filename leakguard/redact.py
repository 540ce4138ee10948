"""The one place where a secret is turned into something safe to show.

Every output (reports in every format, logs, the baseline, the migration
diff) shows a secret only through :func:`redact`, and a line holding a
secret only through :func:`snippet`, which masks the secret *before* it
cuts the line to length (cutting first could leave part of a long secret,
such as a private key body, outside the part that gets masked).

Policy (docs/redaction.md):

* default: a few leading characters (4 from 24 characters up, 2 from 12,
  none below) and a fixed-length mask that never tells the secret's length;
* identifiers that are not secret by themselves (an AWS access key id) are
  shown in full, because the user has to find and revoke them by that id;
* private keys show their public ``-----BEGIN ...-----`` label and a short
  hash of the key, so two different keys can be told apart;
* ``--redact N`` (:func:`policy`) shows N leading characters instead, never
  more than half of the secret; ``--no-redact`` shows everything.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
from collections.abc import Iterator

import regex

MASK = "*" * 8
# AKIA (long-term), ASIA (STS), ABIA/ACCA (service-specific) + 16 base32 characters.
_AWS_KEY_ID = regex.compile(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}")
_PEM_LABEL = regex.compile(r"-----BEGIN [A-Z0-9 ]{1,40}-----|---- BEGIN SSH2 [A-Z ]{1,30}----")
_PUTTY = regex.compile(r"PuTTY-User-Key-File-\d: [a-z0-9@.-]{1,40}")
_SNIPPET = 300  # characters of context a line is cut to (after masking)
HIDDEN = "[line not shown: it holds part of the secret]"
_WINDOW = 8  # a shared run this long between a cut line and the secret means it holds part of it

# How many leading characters to show; None: the default policy above.
_SHOWN: contextvars.ContextVar[int | None] = contextvars.ContextVar("leakguard_redact_shown", default=None)


@contextlib.contextmanager
def policy(shown: int | None) -> Iterator[None]:
    """Within the block, :func:`redact` shows ``shown`` leading characters
    (``--redact N``); ``None`` keeps the default policy."""
    token = _SHOWN.set(shown)
    try:
        yield
    finally:
        _SHOWN.reset(token)


def is_identifier(secret: str) -> bool:
    """An id that names a credential but grants nothing on its own (AWS access key id)."""
    return bool(_AWS_KEY_ID.fullmatch(secret))


def private_key_label(secret: str) -> str | None:
    """The public label of a private key block (``-----BEGIN RSA PRIVATE KEY-----``), else None."""
    head = secret[:200]
    if "PRIVATE KEY" not in head and "PuTTY-User-Key-File" not in head and "SSH2 ENCRYPTED" not in head:
        return None
    m = _PEM_LABEL.search(head) or _PUTTY.search(head)
    return m.group(0) if m else "private key"


def short_hash(secret: str) -> str:
    """10 hex digits of sha256: tells two keys apart, reveals nothing of either."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def shown_chars(secret: str) -> int:
    """How many leading characters of ``secret`` the current policy shows."""
    n = len(secret)
    want = _SHOWN.get()
    if want is not None:
        return max(0, min(want, n // 2))
    return 4 if n >= 24 else 2 if n >= 12 else 0


def redact(secret: str, *, reveal: bool = False) -> str:
    """The preview of a secret that outputs may carry."""
    if reveal:
        return secret
    label = private_key_label(secret)
    if label is not None:
        return f"{label}{MASK} (sha256:{short_hash(secret)})"
    if _SHOWN.get() is None and is_identifier(secret):
        return secret
    head = secret[:shown_chars(secret)]
    if any(c in head for c in "\r\n"):  # a preview is one line
        head = head.split("\n")[0].split("\r")[0]
    return head + MASK


def redact_line(line: str, secret: str, *, reveal: bool = False) -> str:
    """The whole text with every occurrence of the secret masked (no cut)."""
    if reveal or not secret:
        return line
    return line.replace(secret, redact(secret))


def snippet(line: str, secret: str, *, reveal: bool = False, width: int = _SNIPPET) -> str:
    """The line(s) around a finding, safe to show: the secret is masked first,
    then the text is cut to ``width`` characters around where the secret was.

    If the text does not hold the whole secret (it was cut elsewhere) but
    shares a run of characters with it, nothing of the line is shown."""
    if reveal:
        return line[:width] if len(line) > width else line
    if not secret:
        return line[:width]
    preview = redact(secret)
    at = line.find(secret)
    if at < 0:  # cut before it got here, or not this finding's line: where the secret is cannot be told
        return HIDDEN if line else line
    # what is left once every whole occurrence is gone must share nothing with the secret
    # (a copy cut short at the edge of the context)
    rest = line.replace(secret, "\0")
    if holds_part_of(rest, secret) or _edge_overlap(rest, secret) >= 3:
        return HIDDEN
    masked = line.replace(secret, preview)
    return _cut(masked, at, len(preview), width)


def holds_part_of(text: str, secret: str, window: int = _WINDOW) -> bool:
    """True when ``text`` contains any ``window``-character run of ``secret``
    (the whole secret when it is shorter)."""
    if len(secret) <= window:
        return secret in text
    return any(secret[i:i + window] in text for i in range(0, len(secret) - window + 1))


def _edge_overlap(text: str, secret: str) -> int:
    """Longest part of the secret a cut could leave at either edge of ``text``."""
    best = 0
    for k in range(1, min(len(secret), len(text), _WINDOW) + 1):
        if text.endswith(secret[:k]) or text.startswith(secret[-k:]):
            best = k
    return best


def _cut(text: str, at: int, length: int, width: int) -> str:
    """At most ``width`` characters of ``text`` keeping ``text[at:at+length]`` in view."""
    if len(text) <= width:
        return text
    start = max(0, min(at - (width - length) // 2, len(text) - width))
    out = text[start:start + width]
    return ("…" if start > 0 else "") + out + ("…" if start + width < len(text) else "")
