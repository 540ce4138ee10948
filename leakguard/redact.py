"""The one place where a secret is turned into something safe to show."""
from __future__ import annotations


def redact(secret: str, *, reveal: bool = False) -> str:
    """A few leading characters and a mask of fixed length.

    Long tokens keep their recognisable prefix (``ghp_****``: 4 characters
    from 24 up); mid-length secrets show 2; short ones (most human passwords)
    show nothing. The mask never tells the length of the secret.
    """
    if reveal:
        return secret
    n = len(secret)
    shown = 4 if n >= 24 else 2 if n >= 12 else 0
    return secret[:shown] + "*" * 8


def redact_line(line: str, secret: str, *, reveal: bool = False) -> str:
    """The line with every occurrence of the secret masked."""
    if reveal or not secret:
        return line
    return line.replace(secret, redact(secret))
