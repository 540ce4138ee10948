"""One self-contained HTML audit report: summary, pictures, findings, the fix.

Everything is inline (CSS, SVG drawn here, a little JavaScript); the page
makes no network request of any kind and sets a Content-Security-Policy that
forbids one (scripts and styles are allowed by hash only). Every string from
the scanned repository goes through :func:`html.escape`; nothing from it is
ever placed in a script or a style. The page works without JavaScript (all
findings are rendered here); the script only sorts, filters, opens details for
printing and keeps a team's checklist in the browser's local storage.

Secrets appear only as their redacted preview unless ``reveal`` (then a banner
says so).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

from leakguard import __version__
from leakguard.model import SEVERITIES, Finding, ScanResult, severity_rank
from leakguard.redact import redact

_SEV_COLOUR = {"critical": "#b3261e", "high": "#e8590c", "medium": "#f2b705", "low": "#3b82c4"}
_CONF = ("high", "medium", "low")
_SERVICE = {"secretsmanager": "Secrets Manager", "ssm": "Parameter Store", "none": "no stored secret"}
LINK_FIELDS = ("path", "line", "commit")


def e(value: object) -> str:
    """Escape any text for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


# ----------------------------------------------------------------- the model

@dataclass
class Secret:
    """One distinct secret (rule + value) and every place it was found."""

    id: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def severity(self) -> str:
        return max((f.severity for f in self.findings), key=severity_rank)

    @property
    def confidence(self) -> str:
        return min((getattr(f, "confidence", "high") for f in self.findings), key=_CONF.index)

    @property
    def at_head(self) -> bool:
        return any(f.present_at_head is not False for f in self.findings)

    @property
    def introduced(self) -> str:
        dates = [f.origin.date for f in self.findings if f.origin.date]
        return min(dates) if dates else ""

    @property
    def removed(self) -> str:
        """When the secret left its last path ('' if still present or unknown)."""
        if self.at_head:
            return ""
        dates = [f.removed_in.date for f in self.findings if f.removed_in is not None and f.removed_in.date]
        return max(dates) if len(dates) == len(self.findings) else ""

    @property
    def verification(self) -> str:
        for f in self.findings:
            if f.verification is not None:
                return f.verification.status
        return ""


def group(findings: Iterable[Finding]) -> list[Secret]:
    by: dict[str, Secret] = {}
    for f in findings:
        by.setdefault(f.secret_hash, Secret(f.secret_hash[:12])).findings.append(f)
    out = list(by.values())
    out.sort(key=lambda s: (s.verification != "active", -severity_rank(s.severity), _CONF.index(s.confidence),
                            s.first.path, s.first.location.line))
    return out


def provider_of(f: Finding, providers: dict[str, str]) -> str:
    return providers.get(f.rule_id) or (f.remediation and dict(f.remediation.extra).get("provider")) or "Generic"


def directory_of(path: str) -> str:
    d = os.path.dirname(path)
    return d.split("/")[0] + "/" if d else "(top level)"


# ------------------------------------------------------------------- links

def check_link_template(template: str) -> str:
    """A --link-template: an http(s) URL using only {path}, {line}, {commit}."""
    import string

    if not template.startswith(("https://", "http://")):
        raise ValueError("--link-template must start with https:// or http://")
    try:
        names = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
    except ValueError as err:
        raise ValueError(f"--link-template: {err}") from None
    unknown = names - set(LINK_FIELDS)
    if unknown:
        raise ValueError(f"--link-template: unknown placeholder(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join('{' + n + '}' for n in LINK_FIELDS)})")
    return template


def link_for(template: str | None, f: Finding) -> str | None:
    if not template:
        return None
    commit = f.origin.commit if f.origin.kind == "commit" and f.origin.commit else "HEAD"
    return template.format(path=quote(f.path.encode("utf-8", "surrogateescape"), safe="/"), line=f.location.line,
                           commit=quote(commit, safe=""))


# ------------------------------------------------------------------ charts

def bar_chart(title: str, items: Sequence[tuple[str, int, str]], *, width: int = 420) -> str:
    """Horizontal bars: (label, count, colour)."""
    if not items:
        return ""
    row, label_w = 22, 150
    most = max(n for _, n, _ in items) or 1
    h = row * len(items) + 8
    parts = [f'<figure class="chart"><figcaption>{e(title)}</figcaption>'
             f'<svg role="img" aria-label="{e(title)}" viewBox="0 0 {width} {h}" width="{width}" height="{h}">']
    for i, (label, n, colour) in enumerate(items):
        y = 4 + i * row
        w = max(2, int((width - label_w - 50) * n / most))
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(f'<g><title>{e(label)}: {n}</title>'
                     f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="lbl">{e(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" rx="3" fill="{colour}"/>'
                     f'<text x="{label_w + w + 5}" y="{y + 15}" class="num">{n}</text></g>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _month(date: str) -> str:
    return date[:7] if len(date) >= 7 else ""


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < 600:
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def timeline(secrets: Sequence[Secret], today: dt.date, *, width: int = 860) -> str:
    """Secrets introduced per month above the axis (red: still at HEAD, grey:
    removed since), secrets removed per month below it, with who and which
    commits (history scans)."""
    intro: dict[str, list[Secret]] = {}
    removed_by_month: dict[str, list[Secret]] = {}
    for s in secrets:
        mo = _month(s.introduced)
        if mo:
            intro.setdefault(mo, []).append(s)
        if _month(s.removed):
            removed_by_month.setdefault(_month(s.removed), []).append(s)
    if not intro:
        return ""
    months = _months(min(intro), max(max(intro), today.strftime("%Y-%m")))
    h, top, base = 220, 10, 140
    most = max(len(v) for v in intro.values())
    most_gone = max((len(v) for v in removed_by_month.values()), default=1)
    step = max(1.0, (width - 40) / max(len(months), 1))
    parts = [f'<figure class="chart wide"><figcaption>Secrets introduced per month ({e(months[0])} to {e(months[-1])})'
             f'; above: introduced (red: still at HEAD, grey: removed since), below: removed (green)</figcaption>'
             f'<svg role="img" aria-label="timeline" viewBox="0 0 {width} {h}" width="{width}" height="{h}">'
             f'<line x1="30" y1="{base}" x2="{width - 5}" y2="{base}" class="axis"/>']
    for i, mo in enumerate(months):
        x = 32 + i * step
        group_ = intro.get(mo, [])
        if group_:
            live = sum(1 for s in group_ if s.at_head)
            gone = len(group_) - live
            hl = (base - top) * live / most
            hg = (base - top) * gone / most
            authors = sorted({s.first.origin.author or "?" for s in group_})
            commits = sorted({(s.first.origin.commit or "")[:10] for s in group_} - {""})
            tip = f"{mo}: {len(group_)} introduced ({live} still at HEAD) by {', '.join(authors)}"
            if commits:
                tip += f"; commits {', '.join(commits[:8])}{' …' if len(commits) > 8 else ''}"
            parts.append(f'<g><title>{e(tip)}</title>'
                         f'<rect x="{x:.1f}" y="{base - hl - hg:.1f}" width="{max(step - 2, 1):.1f}" height="{hg:.1f}" fill="#9aa0a6"/>'
                         f'<rect x="{x:.1f}" y="{base - hl:.1f}" width="{max(step - 2, 1):.1f}" height="{hl:.1f}" fill="#b3261e"/></g>')
        removed_here = removed_by_month.get(mo, [])
        if removed_here:
            hr = 50 * len(removed_here) / most_gone
            commits = sorted({(f.removed_in.commit or "")[:10] for s in removed_here for f in s.findings if f.removed_in})
            tip = f"{mo}: {len(removed_here)} removed; commits {', '.join(commits[:8])}{' …' if len(commits) > 8 else ''}"
            parts.append(f'<g><title>{e(tip)}</title><rect x="{x:.1f}" y="{base + 22}" width="{max(step - 2, 1):.1f}" '
                         f'height="{hr:.1f}" fill="#1e8e3e"/></g>')
        if i == 0 or mo.endswith("-01") or i == len(months) - 1:
            parts.append(f'<text x="{x:.1f}" y="{base + 16}" class="lbl small">{e(mo if i in (0, len(months) - 1) else mo[:4])}</text>')
    parts.append(f'<text x="2" y="{top + 8}" class="num">{most}</text></svg></figure>')
    return "".join(parts)


_AGE_BUCKETS = ((30, "under a month"), (182, "1 to 6 months"), (365, "6 to 12 months"), (730, "1 to 2 years"),
                (10**9, "over 2 years"))


def age_chart(secrets: Sequence[Secret], today: dt.date) -> str:
    """How long each secret was (or still is) exposed: introduction to removal, or to today."""
    counts: Counter[str] = Counter()
    for s in secrets:
        try:
            d = dt.date.fromisoformat(s.introduced[:10])
            end = dt.date.fromisoformat(s.removed[:10]) if s.removed else today
        except ValueError:
            continue
        days = (end - d).days
        counts[next(label for limit, label in _AGE_BUCKETS if days < limit)] += 1
    items = [(label, counts[label], "#6750a4") for _, label in _AGE_BUCKETS if counts[label]]
    return bar_chart("Secret age (introduction to removal, or to today)", items)


# ------------------------------------------------------------------ render

_CSS = """
:root{--bg:#fff;--fg:#1c1b1f;--muted:#5f6368;--card:#f6f7f9;--line:#dadce0;--accent:#0b57d0;--warn:#fdecea}
@media (prefers-color-scheme:dark){:root{--bg:#121316;--fg:#e3e3e6;--muted:#a0a4aa;--card:#1d1f23;--line:#33363b;--accent:#8ab4f8;--warn:#3c1f1c}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:1180px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.muted{color:var(--muted)}.banner{background:var(--warn);border:1px solid #b3261e;padding:10px 14px;border-radius:8px;margin:10px 0;font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:14px 0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 12px}.tile b{display:block;font-size:24px}
.charts{display:flex;flex-wrap:wrap;gap:18px}.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px}
.chart.wide{flex-basis:100%}figcaption{font-weight:600;margin-bottom:6px}svg text{fill:var(--fg);font-size:12px}svg .small{font-size:10px}
svg .axis{stroke:var(--line)}.lbl{fill:var(--fg)}.num{fill:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 12px}
.filters select,.filters input{background:var(--card);color:var(--fg);border:1px solid var(--line);border-radius:6px;padding:5px 8px}
.head,.secret>summary{display:grid;grid-template-columns:86px 92px 140px minmax(160px,1fr) 110px 92px 70px 92px;gap:8px;align-items:center;padding:6px 10px}
.head{font-weight:600;border-bottom:2px solid var(--line)}.head button{all:unset;cursor:pointer}.head button:hover{color:var(--accent)}
.secret{border-bottom:1px solid var(--line)}.secret>summary{cursor:pointer;list-style:none}.secret>summary::-webkit-details-marker{display:none}
.secret[open]>summary{background:var(--card)}.body{padding:8px 14px 14px 24px}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}.sev-critical{color:#b3261e}.sev-high{color:#e8590c}.sev-medium{color:#b38600}.sev-low{color:#3b82c4}
.pill{display:inline-block;border-radius:999px;padding:1px 8px;font-size:12px;border:1px solid var(--line)}.active{background:#b3261e;color:#fff;border-color:#b3261e}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px;white-space:pre-wrap;word-break:break-all}
.path{word-break:break-all}a{color:var(--accent)}ul.locs{margin:4px 0 10px;padding-left:18px}.check label{display:block;margin:2px 0}
.first{font-weight:600}footer{margin:30px 0 10px;color:var(--muted);font-size:12px}
@media print{.filters,.head button{display:none}body{background:#fff;color:#000}.secret{break-inside:avoid}.chart{break-inside:avoid}}
"""

_JS = """
(function(){
  var list=document.getElementById('secrets'); if(!list){return;}
  var rows=Array.prototype.slice.call(list.querySelectorAll('details.secret'));
  var f={sev:document.getElementById('f-sev'),conf:document.getElementById('f-conf'),prov:document.getElementById('f-prov'),
         head:document.getElementById('f-head'),ver:document.getElementById('f-ver'),q:document.getElementById('f-q')};
  var shown=document.getElementById('shown');
  function apply(){
    var n=0, q=(f.q.value||'').toLowerCase();
    rows.forEach(function(r){
      var d=r.dataset, ok=(!f.sev.value||d.sev===f.sev.value)&&(!f.conf.value||d.conf===f.conf.value)&&
        (!f.prov.value||d.prov===f.prov.value)&&(!f.head.value||d.head===f.head.value)&&(!f.ver.value||d.ver===f.ver.value)&&
        (!q||d.paths.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok; if(ok){n++;}
    });
    shown.textContent=String(n);
  }
  Object.keys(f).forEach(function(k){f[k].addEventListener(k==='q'?'input':'change',apply);});
  var dir={};
  Array.prototype.forEach.call(document.querySelectorAll('.head button'),function(b){
    b.addEventListener('click',function(){
      var key=b.dataset.key, num=b.dataset.num==='1'; dir[key]=-(dir[key]||-1);
      rows.sort(function(a,c){var x=a.dataset[key],y=c.dataset[key]; if(num){x=+x;y=+y;}
        return (x<y?-1:x>y?1:0)*dir[key];});
      rows.forEach(function(r){list.appendChild(r);});
    });
  });
  var id=document.body.dataset.report;
  function load(){try{return JSON.parse(localStorage.getItem('leakguard:'+id)||'{}');}catch(err){return {};}}
  var state=load();
  Array.prototype.forEach.call(document.querySelectorAll('.check input'),function(c){
    c.checked=!!state[c.name];
    c.addEventListener('change',function(){state[c.name]=c.checked;
      try{localStorage.setItem('leakguard:'+id,JSON.stringify(state));}catch(err){}});
  });
  window.addEventListener('beforeprint',function(){rows.forEach(function(r){r.dataset.wasOpen=r.open?'1':'';r.open=true;});});
  window.addEventListener('afterprint',function(){rows.forEach(function(r){r.open=r.dataset.wasOpen==='1';});});
  apply();
})();
"""


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CSP = (f"default-src 'none'; script-src '{_hash(_JS)}'; style-src '{_hash(_CSS)}'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


def _tile(label: str, value: object, cls: str = "") -> str:
    return f'<div class="tile {cls}"><b>{e(value)}</b><span class="muted">{e(label)}</span></div>'


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)


def _secret_card(s: Secret, providers: dict[str, str], reveal: bool, link_template: str | None) -> str:
    f = s.first
    prov = provider_of(f, providers)
    paths = sorted({x.path for x in s.findings})
    ver = s.verification
    ver_html = (f'<span class="pill active">ACTIVE</span>' if ver == "active" else
                f'<span class="pill">{e(ver)}</span>' if ver else '<span class="muted">not verified</span>')
    head = "yes" if s.at_head else "no"
    summary = (f'<summary><span class="sev sev-{e(s.severity)}">{e(s.severity)}</span>'
               f'<span>{e(s.confidence)}</span><span>{e(prov)}</span>'
               f'<span class="path"><code>{e(paths[0])}</code>{f" +{len(paths) - 1} more" if len(paths) > 1 else ""}</span>'
               f'<span><code>{e(redact(f.secret, reveal=reveal))}</code></span>'
               f'<span>{e(s.introduced[:10]) or "—"}</span><span>{head}</span><span>{ver_html}</span></summary>')
    body = [f'<div class="body"><p><b>{e(f.description)}</b> <span class="muted">[{e(", ".join(sorted({x.rule_id for x in s.findings})))}]'
            f' · secret {e(s.id)}</span></p>']
    if f.verification is not None:
        body.append(f"<p>Verification: <b>{e(f.verification.summary())}</b></p>")
    r = f.remediation
    if r is not None:
        body.append(f'<p class="first">First: {e(r.rotate_first)}</p>')
        if r.action == "do-not-store":
            body.append(f"<p>Do not store it: {e(dict(r.extra).get('instead', r.rationale))}</p>")
        else:
            target = "S3 (SSE-KMS)" if r.action == "store-elsewhere" else _SERVICE.get(r.service, r.service)
            body.append(f"<p>Then store it in <b>{e(target)}</b> as <code>{e(r.name)}</code> "
                        f"<span class=\"muted\">({e(r.rationale)})</span></p>")
            if r.create_command:
                body.append(f"<p>Create it (the value never goes into argv or shell history):</p><pre>{e(r.create_command)}</pre>")
            if r.reference:
                body.append(f"<p>Replace the literal ({e(r.reference_language)}) with:</p><pre>{e(r.reference)}</pre>")
    body.append("<p>Found at:</p><ul class=\"locs\">")
    for x in s.findings[:200]:
        where = f"{x.path}:{x.location.line}"
        link = link_for(link_template, x)
        loc = f'<a href="{e(link)}" rel="noreferrer noopener">{e(where)}</a>' if link else f"<code>{e(where)}</code>"
        extra = ""
        if x.origin.kind == "commit" and x.origin.commit:
            extra = (f" · introduced in <code>{e(x.origin.commit[:12])}</code> by {e(x.origin.author or '?')}"
                     f" on {e((x.origin.date or '?')[:10])}")
            if x.present_at_head is not None:
                extra += " · still at HEAD" if x.present_at_head else " · removed since (still in history)"
            if x.removed_in is not None:
                extra += (f" in <code>{e((x.removed_in.commit or '')[:12])}</code> by {e(x.removed_in.author or '?')}"
                          f" on {e((x.removed_in.date or '?')[:10])}")
        body.append(f"<li>{loc}{extra}</li>")
    if len(s.findings) > 200:
        body.append(f"<li>… and {len(s.findings) - 200} more places</li>")
    body.append("</ul>")
    steps = ("revoked or rotated at the provider", "stored in AWS", "literal replaced in every place",
             "history dealt with (rewritten or accepted)")
    body.append('<div class="check"><b>Checklist</b>' + "".join(
        f'<label><input type="checkbox" name="{e(s.id)}:{i}"> {e(step)}</label>' for i, step in enumerate(steps)) + "</div>")
    body.append("</div>")
    attrs = (f'data-sev="{e(s.severity)}" data-sevrank="{severity_rank(s.severity)}" data-conf="{e(s.confidence)}" '
             f'data-confrank="{_CONF.index(s.confidence)}" data-prov="{e(prov)}" data-head="{head}" data-ver="{e(ver)}" '
             f'data-path="{e(paths[0])}" data-paths="{e(" ".join(paths))}" data-intro="{e(s.introduced)}" '
             f'data-count="{len(s.findings)}"')
    return f'<details class="secret" {attrs}>{summary}{"".join(body)}</details>'


def write(result: ScanResult, stream: IO[str], *, reveal: bool = False, rules: Sequence[Any] = (),
          link_template: str | None = None, scope: dict[str, str] | None = None,
          today: dt.date | None = None, **_: Any) -> None:
    today = today or dt.date.today()
    providers = {r.id: dict(r.remediation).get("provider", "") for r in rules if getattr(r, "remediation", None)}
    secrets = group(result.findings)
    st = result.stats
    findings = result.findings
    sev_counts = Counter(f.severity for f in findings)
    conf_counts = Counter(getattr(f, "confidence", "high") for f in findings)
    active = [s for s in secrets if s.verification == "active"]
    verified = any(f.verification is not None for f in findings)
    at_head = sum(1 for s in secrets if s.at_head)
    scope = dict(scope or {})
    report_id = hashlib.sha256(f"{result.ruleset_digest}\0{scope.get('target', '')}".encode()).hexdigest()[:16]
    title = f"leakguard audit: {scope.get('target') or result.root or 'scan'}"
    out: list[str] = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head>",
        f'<body data-report="{e(report_id)}"><main>',
        f"<h1>{e(title)}</h1>",
        f'<p class="muted">leakguard {e(__version__)} · {e(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))}</p>',
    ]
    if reveal:
        out.append('<div class="banner" id="reveal-banner">This report shows secrets IN CLEAR (--no-redact). '
                   "Do not share it; delete it after use.</div>")
    if active:
        out.append(f'<div class="banner">{len(active)} secret{"s" if len(active) != 1 else ""} still work: '
                   "revoke them now (see the first step of each).</div>")
    out.append('<section id="summary" class="tiles">')
    out.append(_tile("distinct secrets", len(secrets)))
    out.append(_tile("findings (places)", len(findings)))
    out.append(_tile("secrets present at HEAD" if result.unit == "blob" else "secrets in the files", at_head))
    if verified:
        out.append(_tile("still active (verified)", len(active), "active-tile"))
    for sev in reversed(SEVERITIES):
        out.append(_tile(sev, sev_counts.get(sev, 0)))
    for conf in _CONF:
        out.append(_tile(f"{conf} confidence", conf_counts.get(conf, 0)))
    out.append("</section>")
    scope_rows = [("target", scope.get("target", result.root or "")), ("command", scope.get("command", "")),
                  ("refs", scope.get("refs", "")),
                  (f"{result.unit}s read", f"{st.files} ({st.bytes / 1_048_576:.1f} MB)"),
                  ("skipped", ", ".join(f"{v} {k}" for k, v in sorted(st.skipped.items())) or "none"),
                  ("rule pack", result.ruleset_digest[:16]), ("duration", f"{st.seconds:.2f} s")]
    out.append('<h2>Scope</h2><table id="scope">' + "".join(
        f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in scope_rows if v) + "</table>")
    for w in result.warnings:
        out.append(f'<p class="banner">warning: {e(w)}</p>')
    # pictures
    out.append('<h2>Pictures</h2><div class="charts">')
    out.append(bar_chart("Findings by severity", [(s, sev_counts[s], _SEV_COLOUR[s]) for s in reversed(SEVERITIES) if sev_counts[s]]))
    prov_counts = Counter(provider_of(s.first, providers) for s in secrets)
    out.append(bar_chart("Secrets by provider", [(p, n, "#0b57d0") for p, n in prov_counts.most_common(15)]))
    dir_counts = Counter(directory_of(f.path) for f in findings)
    out.append(bar_chart("Findings by directory", [(d, n, "#1e8e3e") for d, n in dir_counts.most_common(15)]))
    if any(s.introduced for s in secrets):
        out.append(timeline(secrets, today))
        out.append(age_chart(secrets, today))
    out.append("</div>")
    # the findings
    out.append(f'<h2>Secrets (<span id="shown">{len(secrets)}</span> of {len(secrets)} shown)</h2>')
    out.append('<div class="filters" role="search">'
               f'<select id="f-sev" aria-label="severity"><option value="">any severity</option>{_options(reversed(SEVERITIES))}</select>'
               f'<select id="f-conf" aria-label="confidence"><option value="">any confidence</option>{_options(_CONF)}</select>'
               f'<select id="f-prov" aria-label="provider"><option value="">any provider</option>{_options(sorted(prov_counts))}</select>'
               '<select id="f-head" aria-label="present at HEAD"><option value="">at HEAD or not</option>'
               '<option value="yes">present at HEAD</option><option value="no">removed since</option></select>'
               '<select id="f-ver" aria-label="verification"><option value="">any verification</option>'
               '<option value="active">active</option><option value="inactive">inactive</option><option value="unknown">unknown</option></select>'
               '<input id="f-q" type="search" placeholder="path contains…" aria-label="path"></div>')
    out.append('<div class="head">'
               '<button data-key="sevrank" data-num="1">Severity</button><button data-key="confrank" data-num="1">Confidence</button>'
               '<button data-key="prov">Provider</button><button data-key="path">Path</button><span>Secret</span>'
               '<button data-key="intro">Introduced</button><button data-key="head">At HEAD</button>'
               '<button data-key="ver">Verified</button></div>')
    out.append('<div id="secrets">')
    out.extend(_secret_card(s, providers, reveal, link_template) for s in secrets)
    out.append("</div>")
    if not secrets:
        out.append('<p id="none">No secrets found.</p>')
    out.append(f"<footer>Generated by leakguard {e(__version__)}. This file makes no network request; the checklist is kept "
               "in this browser only.</footer></main>")
    out.append(f"<script>{_JS}</script></body></html>\n")
    stream.write("".join(out))
