"""The one place where a secret is turned into something safe to show."""
from __future__ import annotations


def redact(secret: str, *, reveal: bool = False) -> str:
    """First few characters (at most a quarter of the secret, never more than 4) and a mask.

    Long tokens keep their recognisable prefix (`ghp_****…`); short human
    passwords show at most one character.
    """
    if reveal:
        return secret
    n = len(secret)
    if n <= 4:
        return "*" * n
    shown = min(4, n // 4)
    return secret[:shown] + "*" * min(n - shown, 12)


def redact_line(line: str, secret: str, *, reveal: bool = False) -> str:
    """The line with every occurrence of the secret masked."""
    if reveal or not secret:
        return line
    return line.replace(secret, redact(secret))
