"""Human report with rich, built for audits: what to do first, then one block
per distinct secret (its locations listed under it, not the secret repeated
per file), then counts by severity and confidence and the one-line summary.
``summary=True`` (``--summary``) keeps the counts and one line per secret.

Colour only when the stream is a terminal (rich decides; NO_COLOR is honoured).
Everything that comes from the scanned material (paths, matched text, keys,
rule descriptions, commit authors) goes through :func:`leakguard.termsafe.safe`
and into :class:`rich.text.Text`, which never interprets markup.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from leakguard.model import Finding, Remediation, ScanResult, severity_rank
from leakguard.redact import redact
from leakguard.termsafe import safe

if TYPE_CHECKING:  # rich is imported where a report is drawn with it: a clean scan's report does without
    from rich.text import Text

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_CONF_STYLE = {"high": "bold", "medium": "", "low": "dim"}
_SERVICE = {"secretsmanager": "Secrets Manager", "ssm": "Parameter Store", "none": "no stored secret"}
_CONFIDENCES = ("high", "medium", "low")
MAX_PLACES = 10  # locations listed per secret; the rest are counted


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def summary_line(result: ScanResult) -> str:
    st = result.stats
    n = len(result.findings)
    secrets = len({f.secret for f in result.findings})
    found = _plural(n, "finding")
    if n and secrets != n:
        found += f" ({_plural(secrets, 'secret')})"
    parts = [
        f"{st.files} {result.unit}{'' if st.files == 1 else 's'} scanned",
        _human_bytes(st.bytes),
        f"{st.seconds:.2f}s",
        found,
    ]
    if st.skipped:
        parts.append("skipped: " + ", ".join(f"{v} {k}" for k, v in sorted(st.skipped.items())))
    if st.allowed_inline:
        parts.append(f"{st.allowed_inline} allowed inline")
    if st.suppressed_baseline:
        parts.append(f"{st.suppressed_baseline} in baseline")
    if st.below_min_confidence:
        parts.append(f"{st.below_min_confidence} below --min-confidence")
    if st.managed_references:
        parts.append(f"{st.managed_references} already in AWS (managed references)")
    for note, k in sorted(st.notes.items()):
        parts.append(f"{k} {note}")
    return safe(" · ".join(parts))


def confidence_of(f: Finding) -> str | None:
    """The finding's confidence (high/medium/low) where the model has one."""
    c = getattr(f, "confidence", None)
    return c if isinstance(c, str) and c else None


def group_by_secret(findings: Sequence[Finding]) -> list[list[Finding]]:
    """One group per distinct secret value, most severe first, then by first place."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.secret, []).append(f)
    out = [sorted(g, key=lambda f: (f.path, f.location.line, f.location.column)) for g in groups.values()]
    # verified live secrets first, then the most severe
    out.sort(key=lambda g: (not any(_active(f) for f in g), -max(severity_rank(f.severity) for f in g),
                            g[0].path, g[0].location.line))
    return out


def _active(f: Finding) -> bool:
    v = getattr(f, "verification", None)
    return v is not None and v.status == "active"


def _verification_line(group: Sequence[Finding]) -> Text | None:
    """ACTIVE (revoke now, at the provider) or what verification said."""
    from rich.text import Text
    f = next((g for g in group if _active(g)), None) or next((g for g in group if getattr(g, "verification", None)), None)
    if f is None:
        return None
    v = f.verification
    assert v is not None
    if v.status == "active":
        live = Text("  ACTIVE: revoke now", style="bold red")
        revoke = dict(f.remediation.extra).get("revoke_url") if f.remediation is not None else None
        if revoke:
            live.append(f" at {safe(revoke)}", style="bold red")
        if v.identity:
            live.append("  (" + safe(", ".join(f"{k}={val}" for k, val in v.identity)) + ")", style="red")
        return live
    return Text(f"  verification: {safe(v.summary())}", style="dim")


def _worst(group: Sequence[Finding]) -> Finding:
    return max(group, key=lambda f: severity_rank(f.severity))


def _place(f: Finding) -> str:
    loc = f.location
    return safe(f"{f.path}:{loc.line}:{loc.column}")


def _head(group: Sequence[Finding], reveal: bool) -> Text:
    from rich.text import Text
    f = _worst(group)
    head = Text()
    head.append(f"{f.severity.upper():8}", style=_SEV_STYLE.get(f.severity, ""))
    head.append(f" {safe(f.description)}", style="bold")
    head.append("  ")
    head.append(safe(redact(f.secret, reveal=reveal)), style="magenta")
    rules = sorted({g.rule_id for g in group})
    head.append(f"  [{safe(', '.join(rules))}]", style="dim")
    conf = confidence_of(f)
    if conf:
        head.append(f"  confidence: {conf}", style=_CONF_STYLE.get(conf, ""))
    statuses = sorted({g.status for g in group if g.status})
    if statuses:
        head.append(f"  [{safe(', '.join(statuses))}]", style="dim")
    return head


def _commit_line(f: Finding) -> Text | None:
    from rich.text import Text
    o = f.origin
    if o.kind != "commit" or not o.commit:
        return None
    line = f"introduced in {o.commit[:12]} by {o.author or '?'} <{o.email or '?'}> on {o.date or '?'}"
    if f.present_at_head is not None:
        line += "; still at HEAD" if f.present_at_head else "; removed since (still in history)"
    if f.occurrences > 1:
        line += f"; {f.occurrences} occurrences"
    return Text("      " + safe(line), style="dim")


def _target_lines(r: Remediation) -> list[Text]:
    from rich.text import Text
    if r.action == "do-not-store":
        head = Text("  → do not store: ", style="green")
        head.append(safe(dict(r.extra).get("instead", r.rationale)), style="green")
        return [head]
    target = "S3 (SSE-KMS)" if r.action == "store-elsewhere" else _SERVICE.get(r.service, r.service)
    head = Text(f"  → then store it in {target} as ", style="green")
    head.append(safe(r.name), style="bold green")
    head.append(f"  ({safe(r.rationale)})", style="dim")
    return [head]


def _reference(r: Remediation | None) -> str:
    return safe(r.reference.splitlines()[0]) if r is not None and r.reference and r.action == "store" else ""


def _block(group: Sequence[Finding], reveal: bool, remediation: bool) -> list[Text]:
    from rich.text import Text
    out = [_head(group, reveal)]
    verified = _verification_line(group)
    if verified is not None:
        out.append(verified)
    rem = next((f.remediation for f in group if f.remediation is not None), None) if remediation else None
    if rem is not None and rem.rotate_first:
        out.append(Text(f"  first: {safe(rem.rotate_first)}", style="yellow"))
    if rem is not None:
        out.extend(_target_lines(rem))
    refs = {_reference(f.remediation) for f in group} if rem is not None else {""}
    shared_ref = refs.pop() if len(refs) == 1 else ""
    if shared_ref:
        out.append(Text(f"    replace with: {shared_ref}", style="green"))
    places = list(group)
    extra = sum(max(0, len(f.origins) - 1) for f in places if f.origin.kind == "commit")
    label = _plural(len(places), "place") + (f" (and {extra} more commits/paths in history)" if extra else "")
    out.append(Text(f"  {label}:" if len(places) > 1 else "  at:", style="dim"))
    for f in places[:MAX_PLACES]:
        line = Text(f"    {_place(f)}")
        if f.key:
            line.append(f"  ({safe(f.key)})", style="dim")
        ref = _reference(f.remediation) if rem is not None and not shared_ref else ""
        if ref:
            line.append(f"  replace with: {ref}", style="green")
        out.append(line)
        commit = _commit_line(f)
        if commit is not None:
            out.append(commit)
    if len(places) > MAX_PLACES:
        out.append(Text(f"    … and {len(places) - MAX_PLACES} more places (-f json lists them all)", style="dim"))
    return out


_BLOCKED = {"commit": "in the lines this commit adds", "push": "in the commits being pushed"}


def _todo(groups: Sequence[Sequence[Finding]], blocked: str | None) -> list[Text]:
    from rich.text import Text
    n_secrets = len(groups)
    n_places = sum(len(g) for g in groups)
    what = f"{_plural(n_secrets, 'secret')} in {_plural(n_places, 'place')}"
    title = (f"leakguard: {blocked} blocked: {what} {_BLOCKED.get(blocked, '')}." if blocked
             else f"leakguard: {what}.")
    out = [Text(title, style="bold red"), Text("What to do, in this order:", style="bold")]
    aws_keys = any(f.remediation is not None and f.remediation.action == "do-not-store" for g in groups for f in g)
    out.append(Text("  1. Revoke or rotate each secret below at its provider now (its 'first:' line): it is exposed, "
                    "and deleting it from the code, or from the history, does not un-leak it."))
    step2 = ("  2. Then put the new value in AWS Secrets Manager or Parameter Store and replace the literal with "
             "the reference shown (leakguard migrate writes the whole plan)")
    step2 += "; AWS access keys are not stored at all: the workload gets an IAM role." if aws_keys else "."
    out.append(Text(step2))
    allow = Text("  Not a secret? Add a comment with leakguard:allow on its line, or accept it in the baseline: "
                 "leakguard baseline update (then commit .leakguard-baseline.json).",
                 style="" if blocked else "dim")
    out.append(allow)
    return out


def count_lines(findings: Sequence[Finding]) -> list[Text]:
    """Secrets counted by severity and by confidence (when the findings carry
    one); a secret in several places counts once, at its worst."""
    if not findings:
        return []
    from rich.text import Text
    by_sev: dict[str, int] = {}
    by_conf: dict[str, int] = {}
    groups = group_by_secret(findings)
    for g in groups:
        f = _worst(g)
        by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
        c = confidence_of(f)
        if c:
            by_conf[c] = by_conf.get(c, 0) + 1
    line = Text(f"{_plural(len(groups), 'secret')} by severity: ")
    sev = sorted(by_sev, key=severity_rank, reverse=True)
    for i, s in enumerate(sev):
        if i:
            line.append(" · ")
        line.append(f"{by_sev[s]} {s}", style=_SEV_STYLE.get(s, ""))
    if by_conf:
        line.append("; by confidence: ")
        confs = [c for c in _CONFIDENCES if c in by_conf] + sorted(set(by_conf) - set(_CONFIDENCES))
        line.append(" · ".join(f"{by_conf[c]} {safe(c)}" for c in confs))
    return [line]


def _summary_row(group: Sequence[Finding], reveal: bool) -> Text:
    from rich.text import Text
    f = _worst(group)
    row = Text()
    row.append(f"{f.severity.upper():8}", style=_SEV_STYLE.get(f.severity, ""))
    conf = confidence_of(f)
    if conf:
        row.append(f" {conf:6}", style=_CONF_STYLE.get(conf, ""))
    row.append(f" {safe(f.rule_id)}  ")
    if any(_active(g) for g in group):
        row.append("ACTIVE ", style="bold red")
    row.append(safe(redact(f.secret, reveal=reveal)), style="magenta")
    row.append(f"  {_place(f)}")
    if len(group) > 1:
        row.append(f" (+{len(group) - 1} more)", style="dim")
    r = f.remediation
    if r is not None:
        if r.action == "do-not-store":
            row.append("  → do not store (IAM role)", style="green")
        else:
            target = "S3" if r.action == "store-elsewhere" else _SERVICE.get(r.service, r.service)
            row.append(f"  → {target} {safe(r.name)}", style="green")
    return row


def _styled(stream: IO[str]) -> bool:
    """Whether rich would style what it writes to ``stream``: rich's own test (a terminal, or
    FORCE_COLOR / TTY_COMPATIBLE saying so; Jupyter), done without importing rich."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    if "IPython" in sys.modules:  # rich styles for Jupyter whatever the stream
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, remediation: bool = True,
          summary: bool = False, blocked: str | None = None, warnings_shown: bool = False, **_: Any) -> None:
    """``blocked``: "commit" or "push" when this report stops one (``scan --staged``,
    ``git --pre-push``): it then says how to mark a false positive;
    ``warnings_shown``: the warnings already went to stderr, do not repeat them."""
    if not result.findings and not _styled(stream):  # a clean scan into a pipe or a file: what rich would write
        lines = ([] if warnings_shown else [f"warning: {safe(w)}" for w in result.warnings]) + [summary_line(result)]
        stream.write("".join(line + "\n" for line in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    new = [f for f in result.findings if f.status is None]
    groups = group_by_secret(result.findings)
    if groups and not summary:
        if new:
            for line in _todo(group_by_secret(new), blocked):
                console.print(line)
            console.print()
        for g in groups:
            for line in _block(g, reveal, remediation):
                console.print(line)
            console.print()
    elif groups:
        for g in groups:
            console.print(_summary_row(g, reveal))
        if blocked and new:
            console.print(Text("Not a secret? leakguard:allow in a comment on the line, or leakguard baseline update.",
                               style="dim"))
    if not warnings_shown:
        for w in result.warnings:
            line = Text("warning: ", style="yellow")
            line.append(safe(w))
            console.print(line)
    for line in count_lines(result.findings):
        console.print(line)
    style = "bold red" if new else "bold green"
    console.print(Text(summary_line(result), style=style))
