"""The HTML audit report: opened in a real headless browser (Debian's chromium).

The browser tests need chromium (/usr/bin/chromium, or LEAKGUARD_CHROMIUM) and
playwright (the test extra; it drives the system browser, it downloads none).
On CI they must run: a missing browser fails there instead of skipping.
"""
from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leakguard.model import Finding, Location, Origin, ScanResult, Stats
from leakguard.reporters import html as html_reporter
from tests.conftest import RunCli, git
from tests.sources.test_history import commit, fake_password, write

CHROMIUM = os.environ.get("LEAKGUARD_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("LEAKGUARD_TEST_ARTIFACTS", "/tmp/leakguard-test-artifacts"))
XSS_NAME = "<img src=x onerror=window.__pwned=1>.env"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _history_repo(root: Path) -> Path:
    """Secrets introduced over several months by two authors; some removed since."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    pw1, pw2, pw3 = fake_password(), fake_password(), fake_password()
    write(repo, "config/.env", f"DB_PASSWORD={pw1}\n")
    commit(repo, "add db config", 0, "Ana <ana@example.invalid>")
    write(repo, "deploy/run.sh", "export STRIPE_KEY=sk_live_51HqLm2Kx9vQ2xLm8RzP4wN7bY3cH6jF1sD5gA0eUiOpXvZaB\n")
    commit(repo, "deploy script", 24 * 40, "Bo <bo@example.invalid>")
    write(repo, XSS_NAME, f"API_SECRET={pw2}\n# </script><script>window.__pwned=2</script>\n")
    commit(repo, "odd file", 24 * 80, "Bo <bo@example.invalid>")
    write(repo, "app/settings.py", f'PASSWORD = "{pw3}"\n')
    commit(repo, "settings", 24 * 120, "Ana <ana@example.invalid>")
    write(repo, "app/settings.py", 'import os\nPASSWORD = os.environ["PASSWORD"]\n')
    commit(repo, "move password to the environment", 24 * 130, "Ana <ana@example.invalid>")
    return repo


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    from leakguard.cli import main

    root = tmp_path_factory.mktemp("html")
    repo = _history_repo(root)
    out_html, out_json = root / "report.html", root / "report.json"
    for fmt, out in (("html", out_html), ("json", out_json)):
        code = main(["git", str(repo), "--no-progress", "--no-cache", "-f", fmt, "-o", str(out),
                     "--link-template", "https://github.com/acme/shop/blob/{commit}/{path}#L{line}"])
        assert code == 1
    return out_html, json.loads(out_json.read_text()), repo


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests


def test_report_in_a_real_browser(browser: Any, reports: tuple[Path, dict[str, Any], Path]) -> None:
    html_path, doc, _ = reports
    page, problems, requests = _open(browser, html_path)
    assert problems == []
    assert requests == [html_path.as_uri()]  # no request but the file itself
    assert page.evaluate("window.__pwned") is None  # nothing from the repository ran

    findings = doc["findings"]
    tiles = {t.split("\n")[1].strip(): int(t.split("\n")[0]) for t in page.locator("#summary .tile").all_inner_texts()}
    assert tiles["findings (places)"] == len(findings)
    assert tiles["distinct secrets"] == len({f["secret_hash"] for f in findings})
    at_head = {f["secret_hash"] for f in findings if f.get("present_at_head") is not False}
    assert tiles["secrets present at HEAD"] == len(at_head) < tiles["distinct secrets"]
    for sev, n in Counter(f["severity"] for f in findings).items():
        assert tiles[sev] == n
    for conf, n in Counter(f["confidence"] for f in findings).items():
        assert tiles[f"{conf} confidence"] == n

    # filtering without a server
    cards = page.locator("details.secret")
    total = cards.count()
    assert total == tiles["distinct secrets"]
    critical = sum(1 for c in range(total) if cards.nth(c).get_attribute("data-sev") == "critical")
    page.select_option("#f-sev", "critical")
    assert page.locator("#shown").inner_text() == str(critical)
    assert page.locator("details.secret:not([hidden])").count() == critical
    page.select_option("#f-sev", "")
    page.select_option("#f-head", "no")
    assert page.locator("details.secret:not([hidden])").count() == total - len(at_head)
    page.select_option("#f-head", "")
    page.fill("#f-q", "deploy/")
    assert page.locator("details.secret:not([hidden])").count() == 1
    page.fill("#f-q", "")
    # sorting by path, both ways
    page.click(".head button[data-key=path]")
    paths = [cards.nth(i).get_attribute("data-path") for i in range(total)]
    assert paths == sorted(paths)
    page.click(".head button[data-key=path]")
    paths = [page.locator("details.secret").nth(i).get_attribute("data-path") for i in range(total)]
    assert paths == sorted(paths, reverse=True)
    # a row expands to its locations (links to the code host), the fix and a checklist kept in the browser
    first = page.locator("details.secret").first
    first.locator("summary").click()
    link = first.locator("ul.locs a").first.get_attribute("href") or ""
    assert re.fullmatch(r"https://github\.com/acme/shop/blob/[0-9a-f]{40}/\S+#L\d+", link)
    assert "First:" in first.inner_text() and "Checklist" in first.inner_text()
    box = first.locator(".check input").first
    box.check()
    page.reload()
    assert page.locator("details.secret").first.locator(".check input").first.is_checked() or \
        page.locator(".check input:checked").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-report.png"), full_page=True)
    assert problems == [] and page.evaluate("window.__pwned") is None
    page.close()


def test_timeline_and_age_for_history(reports: tuple[Path, dict[str, Any], Path]) -> None:
    text = reports[0].read_text()
    assert "Secrets introduced per month" in text and "Secret age" in text and "removed (green)" in text
    assert "by Ana, Bo" in text or "by Bo" in text


def test_escaping_and_csp(reports: tuple[Path, dict[str, Any], Path]) -> None:
    text = reports[0].read_text()
    assert "<img src=x" not in text and "&lt;img src=x onerror=window.__pwned=1&gt;.env" in text
    assert text.count("<script>") == 1 and "</script><script>" not in text
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    policy = html.unescape(csp.group(1)) if csp else ""
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy and "script-src 'sha256-" in policy
    # nothing that would fetch: no external src, no stylesheet link, no font
    assert not re.search(r"\bsrc=\"(?!data:)", text) and "<link" not in text and "@import" not in text
    assert "@font-face" not in text


def test_no_secret_in_clear_unless_asked(reports: tuple[Path, dict[str, Any], Path], tmp_path: Path,
                                        run_cli: RunCli) -> None:
    html_path, _, repo = reports
    secret = "sk_live_51HqLm2Kx9vQ2xLm8RzP4wN7bY3cH6jF1sD5gA0eUiOpXvZaB"
    assert secret not in html_path.read_text() and "IN CLEAR" not in html_path.read_text()
    out = tmp_path / "clear.html"
    code, _, _ = run_cli(["scan", str(repo), "--no-progress", "-f", "html", "-o", str(out), "--no-redact"])
    text = out.read_text()
    assert secret in text and 'id="reveal-banner"' in text


def _finding(i: int) -> Finding:
    secret = f"Zq8Lm2Xc9Vb4Nw7Pt3Hy6Jd1Gf5Sa0Ue{i:06d}"
    path = f"services/svc{i % 40}/config/settings_{i}.py"
    return Finding("generic-secret-quoted", "Hard-coded secret assigned to a secret-named variable", "high",
                   (Origin("commit", path, f"{i:040x}", "Dev Eloper", "dev@example.invalid", "2024-05-01T10:00:00+00:00"),),
                   Location(3, 12, 3, 46), secret, f"{i:064x}", f"{i:064x}", 4.2, f'API_SECRET = "{secret}"', "API_SECRET",
                   present_at_head=i % 3 != 0)


def test_size_for_a_thousand_findings() -> None:
    result = ScanResult([_finding(i) for i in range(1000)], Stats(files=5000, bytes=50_000_000, seconds=3.2),
                        ruleset_digest="d" * 64, unit="blob")
    buf = io.StringIO()
    html_reporter.write(result, buf)
    size = len(buf.getvalue().encode())
    assert 100_000 < size < 2_000_000, size


@pytest.mark.parametrize("template", ["ftp://host/{path}", "https://host/{path}/{secret}", "https://host/{path"])
def test_bad_link_template(tmp_path: Path, run_cli: RunCli, template: str) -> None:
    code, _, err = run_cli(["scan", str(tmp_path), "-f", "html", "--link-template", template])
    assert code == 2 and "link-template" in err and len(err.strip().splitlines()) == 1


def test_migrate_html_names_match_the_plan(tmp_path: Path, run_cli: RunCli) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / ".env.production").write_text(f"DB_PASSWORD={fake_password()}\n")
    code, plan, _ = run_cli(["migrate", str(repo), "--no-progress", "-f", "json"])
    name = json.loads(plan)["secrets"][0]["name"]
    code, page, _ = run_cli(["migrate", str(repo), "--no-progress", "-f", "html"])
    assert code == 0 and page.startswith("<!DOCTYPE html>") and f"<code>{name}</code>" in page
