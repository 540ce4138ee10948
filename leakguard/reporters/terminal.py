"""Human report with rich: findings grouped by file, then a one-line summary.

Colour only when the stream is a terminal (rich decides; NO_COLOR is honoured).
"""
from __future__ import annotations

from itertools import groupby
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from leakguard.model import Finding, Remediation, ScanResult
from leakguard.redact import redact

_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_SERVICE = {"secretsmanager": "Secrets Manager", "ssm": "Parameter Store", "none": "no stored secret"}


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def summary_line(result: ScanResult) -> str:
    st = result.stats
    parts = [
        f"{st.files} {result.unit}{'' if st.files == 1 else 's'} scanned",
        _human_bytes(st.bytes),
        f"{st.seconds:.2f}s",
        f"{len(result.findings)} {'finding' if len(result.findings) == 1 else 'findings'}",
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
    for note, n in sorted(st.notes.items()):
        parts.append(f"{n} {note}")
    return " · ".join(parts)


def _finding_lines(f: Finding, reveal: bool, remediation: bool) -> list[Text]:
    loc = f.location
    head = Text("  ")
    head.append(f"{f.severity.upper():8}", style=_SEV_STYLE.get(f.severity, ""))
    head.append(f" {f.description}", style="bold")
    head.append(f"  [{f.rule_id}]", style="dim")
    head.append(f"  confidence: {f.confidence}", style="dim")
    out = [head]
    where = Text(f"    {f.path}:{loc.line}:{loc.column}  ")
    where.append(redact(f.secret, reveal=reveal), style="magenta")
    if f.key:
        where.append(f"  ({f.key})", style="dim")
    if f.status:
        where.append(f"  [{f.status}]", style="dim")
    out.append(where)
    v = f.verification
    if v is not None:
        if v.status == "active":
            live = Text("    ACTIVE: revoke now", style="bold red")
            revoke = dict(f.remediation.extra).get("revoke_url") if f.remediation is not None else None
            if revoke:
                live.append(f" at {revoke}", style="bold red")
            if v.identity:
                live.append("  (" + ", ".join(f"{k}={val}" for k, val in v.identity) + ")", style="red")
        else:
            live = Text(f"    verification: {v.summary()}", style="dim")
        out.append(live)
    o = f.origin
    if o.kind == "commit" and o.commit:
        line = f"    introduced in {o.commit[:12]} by {o.author or '?'} <{o.email or '?'}> on {o.date or '?'}"
        if f.present_at_head is not None:
            line += "; still at HEAD" if f.present_at_head else "; removed since (still in history)"
        if f.occurrences > 1:
            line += f"; {f.occurrences} occurrences"
        out.append(Text(line, style="dim"))
    r = f.remediation
    if remediation and r is not None:
        out.extend(_remediation_lines(r))
    return out


def _remediation_lines(r: Remediation) -> list[Text]:
    """Three lines at most: the target, what replaces the literal, what to do first."""
    if r.action == "do-not-store":
        head = Text("    → do not store: ", style="green")
        head.append(dict(r.extra).get("instead", r.rationale), style="green")
        lines = [head]
    else:
        target = "S3 (SSE-KMS)" if r.action == "store-elsewhere" else _SERVICE.get(r.service, r.service)
        head = Text(f"    → {target} ", style="green")
        head.append(r.name, style="bold green")
        head.append(f"  ({r.rationale})", style="dim")
        lines = [head]
        if r.reference:
            lines.append(Text(f"      replace with: {r.reference.splitlines()[0]}", style="green"))
    if r.rotate_first:
        lines.append(Text(f"      first: {r.rotate_first}", style="yellow"))
    return lines


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, remediation: bool = True, **_: Any) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=True)
    findings = sorted(result.findings, key=lambda f: f.verification is None or f.verification.status != "active")
    for path, group in groupby(findings, key=lambda f: f.path):
        console.print(Text(path, style="bold underline"))
        for f in group:
            for line in _finding_lines(f, reveal, remediation):
                console.print(line)
        console.print()
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    style = "bold red" if result.findings else "bold green"
    console.print(Text(summary_line(result), style=style))
