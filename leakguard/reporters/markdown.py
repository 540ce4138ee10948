"""A Markdown summary for a pull-request / merge-request comment.

Short by design: a headline, a table of at most ``MAX_ROWS`` findings (most
severe first), what was suppressed, and how to silence a false positive.
"""
from __future__ import annotations

from typing import IO, Any

from leakguard.model import Finding, ScanResult, severity_rank
from leakguard.redact import redact
from leakguard.termsafe import safe

MAX_ROWS = 50
_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵"}


def _cell(s: object) -> str:
    """Table-cell text: control characters escaped (the comment may be read on
    a terminal too), then Markdown's own specials."""
    text = safe(s)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("\n", " ").replace("<", "&lt;")


def _live(f: Finding) -> str:
    v = f.verification
    return "" if v is None else " · **ACTIVE**" if v.status == "active" else f" · {v.status}"


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, **_: Any) -> None:
    new = [f for f in result.findings if f.status is None]
    shown = [f for f in result.findings if f.status is not None]
    st = result.stats
    out: list[str] = []
    if new:
        out.append(f"### 🔑 leakguard: {len(new)} potential secret{'s' if len(new) != 1 else ''} found")
    else:
        out.append("### ✅ leakguard: no new secrets")
    out.append("")
    rows = sorted(result.findings, key=lambda f: (-severity_rank(f.severity), f.path, f.location.line))
    if rows:
        out += ["| Severity | Confidence | Rule | Location | Secret | Status |", "|---|---|---|---|---|---|"]
        for f in rows[:MAX_ROWS]:
            out.append(f"| {_ICON.get(f.severity, '')} {f.severity} | {f.confidence} | {_cell(f.description)} (`{_cell(f.rule_id)}`) "
                       f"| `{_cell(f.path)}:{f.location.line}` | `{_cell(redact(f.secret, reveal=reveal))}` "
                       f"| {_cell(f.status or 'new')}{_live(f)} |")
        if len(rows) > MAX_ROWS:
            out.append(f"\n…and {len(rows) - MAX_ROWS} more (see the full report).")
        out.append("")
    notes = [f"{st.files} files scanned"]
    if st.suppressed_baseline:
        notes.append(f"{st.suppressed_baseline} in the baseline" + (f" ({len(shown)} shown)" if shown else ""))
    if st.allowed_inline:
        notes.append(f"{st.allowed_inline} allowed inline")
    if st.below_min_confidence:
        notes.append(f"{st.below_min_confidence} below the confidence threshold")
    for note, n in sorted(st.notes.items()):
        notes.append(f"{n} {note}")
    out.append("<sub>" + _cell(" · ".join(notes)) + "</sub>")
    for w in result.warnings:
        out.append(f"\n> ⚠️ {_cell(w)}")
    if new:
        out += ["", "<details><summary>What to do</summary>", "",
                "1. Treat each secret as leaked: rotate or revoke it first.",
                "2. Load it at run time from AWS Secrets Manager or SSM Parameter Store (`leakguard scan` "
                "prints the replacement).",
                "3. Not a secret? Add `leakguard:allow` in a comment on the line, or run "
                "`leakguard baseline update` and commit the baseline.",
                "", "</details>"]
    stream.write("\n".join(out) + "\n")
