#!/usr/bin/env python3
"""Generate a git repository with thousands of small commits and planted FAKE secrets.

Used by the history benchmark and as an accuracy reference (see
benchmarks/README.md).  Exact command used for /work/bench/repo-planted:

    python3 benchmarks/make_planted_repo.py /work/bench/repo-planted

which also writes the truth manifest /work/bench/repo-planted.truth.json
(``--truth PATH`` to put it elsewhere).  Options: ``--commits N`` (default
3000), ``--seed S`` (default 1337).  The output is fully deterministic for a
given seed (fixed dates and authors, so commit ids are stable too).  Needs only
git and the Python standard library.  OUTPUT_DIR must not exist or be empty
and must be outside the leakguard work tree.

What the repository contains
----------------------------
* ``main`` plus branches ``feature/payments`` (merged with an ordinary merge
  commit), ``feature/ops`` (merged with an "evil" merge commit whose tree adds
  secrets that neither parent has), and ``experiment/unmerged`` (never merged).
* ~3000 small commits of code-like noise (1-3 files, a few lines each).
* 40 planted secrets with random but seeded values (never real keys):
  AWS access key id + secret access key pairs, GitHub ``ghp_`` tokens (with a
  valid CRC32 checksum suffix, like real ones), Slack ``xoxb-`` bot tokens,
  Stripe ``sk_live_`` keys, PEM RSA private key blocks, postgres URLs with a
  password, and ``DB_PASSWORD=...`` lines in ``.env`` files.
* Scenarios: plain additions on main; a secret-bearing file later renamed;
  secrets added then deleted (line removed, whole file removed); secrets on a
  merged branch; secrets introduced by a merge commit; secrets on a branch that
  is never merged.

Truth manifest
--------------
``{"repo", "seed", "commits", "branches", "secrets": [...]}``; each secret has
``id, kind, value`` (the exact planted text), ``match`` (a distinctive
substring a finding must contain to count as this secret: the value itself,
the password of a URL, or the start of a PEM body), ``commit`` (full sha of
the commit that introduced it), ``branch``, ``path``, ``line`` (1-based, in
that commit), ``scenario``, and where relevant ``renamed_to``/``renamed_in``,
``deleted_in``, ``in_main_head``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import subprocess
import sys
import zlib
from pathlib import Path

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits

WORDS = """account address amount archive balance batch buffer cache channel client
cluster column config context counter cursor customer dataset default device digest
document domain driver endpoint engine entry event export factory feature field filter
format gateway handler header index invoice item job kernel layer ledger limit listener
loader locale manager mapping message metric module monitor node notice offset option
order owner packet page parser payload period pipeline policy pool profile project
queue quota record region registry report request resource result route rule schema
scope segment service session shard signal source stage state status storage stream
summary table target task template tenant thread ticket timer token_count topic
tracker transfer update upload user value vector version widget window worker""".split()
VERBS = """add apply build check clean close collect compute convert create decode delete
dispatch encode ensure fetch filter find flush format handle load lookup merge normalize
open parse process publish read refresh register release render reset resolve restore
save scan schedule send serialize split start stop store sync transform update validate
verify write""".split()
PEOPLE = [("Ada Park", "ada.park"), ("Ben Ortiz", "ben.ortiz"), ("Chen Wei", "chen.wei"),
          ("Dana Kim", "dana.kim"), ("Eli Novak", "eli.novak"), ("Femi Adeyemi", "femi.a"),
          ("Greta Lund", "greta.lund"), ("Hiro Sato", "hiro.sato")]


# --------------------------------------------------------------------------- fake values
class Fakes:
    def __init__(self, rng: random.Random):
        self.r = rng

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def aws_pair(self) -> tuple[str, str]:
        key_id = "AKIA" + self.s(string.ascii_uppercase + "234567", 16)
        secret = self.s(ALNUM + "/+", 40)
        return key_id, secret

    def github_pat(self) -> str:
        body = self.s(ALNUM, 30)
        crc = zlib.crc32(body.encode())
        enc = ""
        while crc:
            crc, rem = divmod(crc, 62)
            enc = BASE62[rem] + enc
        return "ghp_" + body + enc.rjust(6, "0")

    def slack_bot(self) -> str:
        return f"xoxb-{self.s(string.digits, 12)}-{self.s(string.digits, 13)}-{self.s(ALNUM, 24)}"

    def stripe_live(self) -> str:
        return "sk_live_" + self.s(ALNUM, 24)

    def password(self, n: int = 22) -> str:
        while True:
            pw = self.s(ALNUM + "!#%^*_-", n)
            if any(c.isdigit() for c in pw) and any(c.isupper() for c in pw):
                return pw

    def postgres_url(self) -> tuple[str, str]:
        pw = self.password(20).replace("#", "x").replace("%", "y")
        user = self.r.choice(["app", "svc_orders", "billing_rw", "reporting"])
        host = self.r.choice(["db-prod-3.corp.lan", "10.20.4.17", "pg-main.internal", "orders-db.svc"])
        return f"postgres://{user}:{pw}@{host}:5432/{self.r.choice(['orders', 'app', 'billing'])}", pw

    def pem_rsa(self) -> str:
        # Looks like a PKCS#1 RSA 2048 key (standard DER header) but the body is random bytes.
        der = bytes.fromhex("308204a40201000282010100") + bytes(self.r.getrandbits(8) for _ in range(1180))
        b64 = base64.b64encode(der).decode()
        lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


# --------------------------------------------------------------------------- noise
class Noise:
    def __init__(self, rng: random.Random):
        self.r = rng

    def ident(self) -> str:
        return f"{self.r.choice(VERBS)}_{self.r.choice(WORDS)}"

    def line(self, path: str) -> str:
        r, w = self.r, self.r.choice
        if path.endswith(".py"):
            return r.choice([
                f"def {self.ident()}({w(WORDS)}, {w(WORDS)}=None):",
                f"    return {w(WORDS)}.{self.ident()}({r.randint(0, 999)})",
                f"    {w(WORDS)} = {self.ident()}({w(WORDS)}, limit={r.randint(1, 500)})",
                f"    if {w(WORDS)} is None:",
                f"        raise ValueError('{w(VERBS)} failed for {w(WORDS)}')",
                f"# TODO: {w(VERBS)} the {w(WORDS)} before {w(VERBS)}ing {w(WORDS)}",
                f"{w(WORDS).upper()}_{w(WORDS).upper()} = {r.randint(0, 10000)}",
                f"    for {w(WORDS)} in {w(WORDS)}s:",
                f"        log.debug('%s {w(VERBS)}', {w(WORDS)})",
            ])
        if path.endswith((".yaml", ".yml")):
            return r.choice([
                f"{w(WORDS)}_{w(WORDS)}: {r.randint(0, 5000)}",
                f"  {w(WORDS)}: {w(WORDS)}-{w(WORDS)}",
                f"  - name: {self.ident()}",
                f"    enabled: {w(['true', 'false'])}",
            ])
        if path.endswith(".md"):
            return r.choice([
                f"The {w(WORDS)} {w(VERBS)}s each {w(WORDS)} before the {w(WORDS)} is {w(VERBS)}d.",
                f"- `{self.ident()}()` now accepts a `{w(WORDS)}` argument.",
                f"## {w(WORDS).capitalize()} {w(WORDS)}",
                "",
            ])
        if path.endswith(".sh"):
            return r.choice([
                f"echo \"{w(VERBS)}ing {w(WORDS)}\"",
                f"{w(WORDS).upper()}_DIR=/var/lib/{w(WORDS)}",
                f"./bin/{w(VERBS)}-{w(WORDS)} --{w(WORDS)}={r.randint(1, 64)}",
            ])
        return f"{w(WORDS)}.{w(WORDS)} = {r.randint(0, 9999)}"

    def file(self, path: str, n: int) -> list[str]:
        return [self.line(path) for _ in range(n)]


# --------------------------------------------------------------------------- repo model
class Repo:
    """Builds a git fast-import stream; tracks per-branch file state."""

    def __init__(self, rng: random.Random, start_ts: int):
        self.r = rng
        self.ts = start_ts
        self.mark = 0
        self.heads: dict[str, int] = {}
        self.state: dict[str, dict[str, list[str]]] = {}
        self.chunks: list[bytes] = []
        self.n_commits = 0
        self.protected: set[str] = set()  # lines holding planted secrets

    def _data(self, text: str) -> bytes:
        b = text.encode()
        return b"data %d\n" % len(b) + b + b"\n"

    def commit(self, branch: str, new_files: dict[str, list[str]], msg: str,
               parent_branch: str | None = None, merge_branch: str | None = None) -> int:
        """Commit *new_files* (the full tree) to *branch*; return the mark."""
        parent = self.heads.get(branch) if parent_branch is None else self.heads[parent_branch]
        old = self.state.get(branch if parent_branch is None else parent_branch, {})
        self.mark += 1
        self.n_commits += 1
        self.ts += self.r.randint(300, 60_000)
        name, user = self.r.choice(PEOPLE)
        out = [f"commit refs/heads/{branch}\nmark :{self.mark}\n".encode(),
               f"author {name} <{user}@example.com> {self.ts} +0000\n".encode(),
               f"committer {name} <{user}@example.com> {self.ts} +0000\n".encode(),
               self._data(msg)]
        if parent is not None:
            out.append(f"from :{parent}\n".encode())
        if merge_branch is not None:
            out.append(f"merge :{self.heads[merge_branch]}\n".encode())
        for path in sorted(old.keys() - new_files.keys()):
            out.append(f"D {path}\n".encode())
        for path in sorted(new_files):
            if old.get(path) != new_files[path]:
                text = "\n".join(new_files[path]) + "\n"
                out.append(f"M 100644 inline {path}\n".encode() + self._data(text))
        self.chunks.append(b"".join(out))
        self.heads[branch] = self.mark
        self.state[branch] = {k: list(v) for k, v in new_files.items()}
        return self.mark

    def stream(self) -> bytes:
        return b"".join(self.chunks) + b"done\n"


# --------------------------------------------------------------------------- generator
def build(out: Path, n_commits: int, seed: int) -> dict:
    rng = random.Random(seed)
    fk, nz = Fakes(rng), Noise(rng)
    repo = Repo(rng, start_ts=1_609_459_200)  # 2021-01-01
    secrets: list[dict] = []

    def plant(kind: str, value: str, match: str, branch: str, path: str, line: int,
              scenario: str, mark_holder: list) -> dict:
        s = {"id": f"S{len(secrets) + 1:02d}", "kind": kind, "value": value, "match": match,
             "branch": branch, "path": path, "line": line, "scenario": scenario}
        secrets.append(s)
        mark_holder.append(s)
        return s

    # ---- initial tree
    layout = {
        "main": [f"src/app/{w}.py" for w in rng.sample(WORDS, 30)]
        + [f"src/core/{w}.py" for w in rng.sample(WORDS, 25)]
        + [f"tests/test_{w}.py" for w in rng.sample(WORDS, 20)]
        + [f"docs/{w}.md" for w in rng.sample(WORDS, 15)]
        + [f"config/{w}.yaml" for w in rng.sample(WORDS, 10)]
        + [f"scripts/{w}.sh" for w in rng.sample(WORDS, 6)]
        + ["src/app/settings.py", "src/app/billing.py", "scripts/release.sh", "README.md"],
        "feature/payments": [f"src/payments/{w}.py" for w in rng.sample(WORDS, 12)],
        "feature/ops": [f"ops/{w}.yaml" for w in rng.sample(WORDS, 10)] + ["ops/deploy.sh"],
        "experiment/unmerged": [f"experiments/{w}.py" for w in rng.sample(WORDS, 10)],
    }
    files: dict[str, list[str]] = {}
    for p in layout["main"]:
        files[p] = nz.file(p, rng.randint(15, 60))
    repo.commit("main", files, "Initial import")

    def noise_change(branch: str, tree: dict[str, list[str]]) -> str:
        own = [p for p in tree if p in set(layout[branch]) or p in extra_paths.get(branch, set())]
        touched = rng.sample(own, k=min(len(own), rng.choice([1, 1, 1, 2, 2, 3])))
        for p in touched:
            lines = tree[p]
            for _ in range(rng.randint(1, 5)):
                op = rng.random()
                if op < 0.55 or len(lines) < 10:
                    lines.insert(rng.randint(0, len(lines)), nz.line(p))
                else:
                    i = rng.randrange(len(lines))
                    if lines[i] in repo.protected:
                        continue
                    if op < 0.85:
                        lines[i] = nz.line(p)
                    else:
                        del lines[i]
        verb = rng.choice([v for v in VERBS if v not in ("merge", "start")])
        return f"{verb.capitalize()} {rng.choice(WORDS)} in {touched[0].rsplit('/', 1)[-1]}"

    extra_paths: dict[str, set[str]] = {b: set() for b in layout}

    def insert_line(tree, path, text, at=None) -> int:
        if path not in tree:
            tree[path] = nz.file(path, rng.randint(4, 12))
        lines = tree[path]
        i = rng.randint(1, max(1, len(lines))) if at is None else at
        i = min(i, len(lines))
        lines.insert(i, text)
        repo.protected.add(text)
        return i + 1

    # ---- events: scheduled at global step t -> callable(tree) returning commit message
    events: dict[tuple[str, int], list] = {}

    def at(branch: str, t: int):
        def deco(fn):
            events.setdefault((branch, t), []).append(fn)
            return fn
        return deco

    def simple(branch: str, t: int, kind: str, path: str, make, scenario="plain"):
        @at(branch, t)
        def _ev(tree, holder):
            text, value, match = make()
            line = insert_line(tree, path, text)
            extra_paths[branch].add(path)
            plant(kind, value, match, branch, path, line, scenario, holder)
            return f"Add {path.rsplit('/', 1)[-1]} settings"

    def mk_aws_line(var_id="AWS_ACCESS_KEY_ID", var_sec="AWS_SECRET_ACCESS_KEY"):
        kid, sec = fk.aws_pair()
        return kid, sec, f'{var_id} = "{kid}"', f'{var_sec} = "{sec}"'

    def aws_pair_event(branch, t, path, scenario="plain"):
        @at(branch, t)
        def _ev(tree, holder):
            kid, sec, l1, l2 = mk_aws_line()
            line = insert_line(tree, path, l1)
            insert_line(tree, path, l2, at=line)
            extra_paths[branch].add(path)
            plant("aws-access-key-id", kid, kid, branch, path, line, scenario, holder)
            plant("aws-secret-access-key", sec, sec, branch, path, line + 1, scenario, holder)
            return "Configure S3 uploads"

    def gh():
        v = fk.github_pat()
        return f'GITHUB_TOKEN = "{v}"', v, v

    def gh_sh():
        v = fk.github_pat()
        return f"export GH_TOKEN={v}", v, v

    def slack():
        v = fk.slack_bot()
        return f'SLACK_BOT_TOKEN = "{v}"', v, v

    def slack_yaml():
        v = fk.slack_bot()
        return f"  slack_token: {v}", v, v

    def stripe():
        v = fk.stripe_live()
        return f'stripe.api_key = "{v}"', v, v

    def pg():
        url, pw = fk.postgres_url()
        return f'DATABASE_URL = "{url}"', url, pw

    def pg_yaml():
        url, pw = fk.postgres_url()
        return f"  database_url: {url}", url, pw

    def dbpw():
        v = fk.password()
        return f"DB_PASSWORD={v}", v, v

    def pem_event(branch, t, path, scenario="plain"):
        @at(branch, t)
        def _ev(tree, holder):
            v = fk.pem_rsa()
            tree[path] = v.split("\n")
            for ln in tree[path]:
                repo.protected.add(ln)
            plant("pem-private-key", v, v.split("\n")[1][:40], branch, path, 1, scenario, holder)
            return f"Add {path.rsplit('/', 1)[-1]}"

    def env_file_event(branch, t, path, scenario="plain"):
        @at(branch, t)
        def _ev(tree, holder):
            text, v, m = dbpw()
            tree[path] = ["# local environment", "DB_HOST=localhost", "DB_USER=app", text, "DEBUG=0"]
            repo.protected.add(text)
            plant("db-password", v, m, branch, path, 4, scenario, holder)
            return f"Add {path}"

    T = n_commits
    f = lambda x: int(T * x)  # noqa: E731  (position as a fraction of the timeline)

    # main, plain additions (19)
    aws_pair_event("main", f(0.03), "src/app/settings.py")
    aws_pair_event("main", f(0.35), "src/core/storage_client.py")
    aws_pair_event("main", f(0.80), "src/app/settings.py")
    simple("main", f(0.05), "github-pat", "src/app/settings.py", gh)
    simple("main", f(0.45), "github-pat", "scripts/ci_publish.sh", gh_sh)
    simple("main", f(0.92), "github-pat", "src/core/vcs.py", gh)
    simple("main", f(0.10), "slack-bot-token", "src/app/notify.py", slack)
    simple("main", f(0.70), "slack-bot-token", "config/alerts.yaml", slack_yaml)
    simple("main", f(0.15), "stripe-live-key", "src/app/billing.py", stripe)
    simple("main", f(0.60), "stripe-live-key", "src/app/billing.py", stripe)
    pem_event("main", f(0.20), "deploy/id_rsa")
    pem_event("main", f(0.85), "src/core/keys/signing.pem")
    simple("main", f(0.25), "postgres-url", "src/app/settings.py", pg)
    simple("main", f(0.75), "postgres-url", "config/database.yaml", pg_yaml)
    env_file_event("main", f(0.30), ".env")
    env_file_event("main", f(0.95), "services/api/.env")

    # renamed files (3): aws pair in config/aws.ini, a PEM key
    rename_src = {"config/aws.ini": "config/legacy/aws.ini", "keys/deploy.pem": "keys/old/deploy.pem"}

    @at("main", f(0.13))
    def _aws_ini(tree, holder):
        kid, sec = fk.aws_pair()
        tree["config/aws.ini"] = ["[default]", f"aws_access_key_id = {kid}",
                                  f"aws_secret_access_key = {sec}", "region = eu-west-1"]
        repo.protected.update(tree["config/aws.ini"])
        plant("aws-access-key-id", kid, kid, "main", "config/aws.ini", 2, "renamed", holder)
        plant("aws-secret-access-key", sec, sec, "main", "config/aws.ini", 3, "renamed", holder)
        return "Add AWS profile for batch jobs"

    pem_event("main", f(0.14), "keys/deploy.pem", scenario="renamed")

    @at("main", f(0.33))
    def _rename(tree, holder):
        for old, new in rename_src.items():
            tree[new] = tree.pop(old)
        holder.append({"_rename_commit": True})
        return "Move legacy credentials out of the way"

    # added then deleted (3)
    @at("main", f(0.18))
    def _gh_then_gone(tree, holder):
        text, v, m = gh_sh()
        line = insert_line(tree, "scripts/release.sh", text)
        plant("github-pat", v, m, "main", "scripts/release.sh", line, "deleted", holder)
        return "Release script: authenticate to GitHub"

    @at("main", f(0.185))
    def _gh_remove(tree, holder):
        tree["scripts/release.sh"] = [l for l in tree["scripts/release.sh"] if not l.startswith("export GH_TOKEN=ghp_")]
        holder.append({"_delete_of": "scripts/release.sh"})
        return "Release script: read token from the environment"

    env_file_event("main", f(0.21), ".env.local", scenario="deleted")

    @at("main", f(0.215))
    def _env_remove(tree, holder):
        tree.pop(".env.local")
        holder.append({"_delete_of": ".env.local"})
        return "Remove .env.local (should never have been committed)"

    @at("main", f(0.88))
    def _stripe_then_gone(tree, holder):
        text, v, m = stripe()
        text = "    " + text.replace("stripe.api_key", "STRIPE_FALLBACK_KEY")
        line = insert_line(tree, "src/app/billing.py", text)
        plant("stripe-live-key", v, m, "main", "src/app/billing.py", line, "deleted", holder)
        return "Billing: hard-code fallback key for the demo"

    @at("main", f(0.89))
    def _stripe_remove(tree, holder):
        tree["src/app/billing.py"] = [l for l in tree["src/app/billing.py"] if "STRIPE_FALLBACK_KEY" not in l]
        holder.append({"_delete_of": "src/app/billing.py"})
        return "Billing: drop fallback key"

    # feature/payments (merged normally): 4
    simple("feature/payments", f(0.27), "stripe-live-key", "src/payments/gateway.py", stripe, "merged-branch")
    simple("feature/payments", f(0.32), "stripe-live-key", "src/payments/refunds.py", stripe, "merged-branch")
    simple("feature/payments", f(0.36), "postgres-url", "src/payments/ledger_db.py", pg, "merged-branch")
    simple("feature/payments", f(0.40), "github-pat", "src/payments/release.py", gh, "merged-branch")

    # feature/ops (merged with an evil merge): 3 on the branch + 2 in the merge commit
    simple("feature/ops", f(0.52), "slack-bot-token", "ops/alerts.yaml", slack_yaml, "merged-branch")
    simple("feature/ops", f(0.56), "postgres-url", "ops/database.yaml", pg_yaml, "merged-branch")
    simple("feature/ops", f(0.60), "github-pat", "ops/deploy.sh", gh_sh, "merged-branch")

    # experiment/unmerged: 6
    aws_pair_event("experiment/unmerged", f(0.74), "experiments/s3_probe.py", "unmerged-branch")
    simple("experiment/unmerged", f(0.76), "slack-bot-token", "experiments/notify.py", slack, "unmerged-branch")
    pem_event("experiment/unmerged", f(0.78), "experiments/keys/test_key.pem", "unmerged-branch")
    simple("experiment/unmerged", f(0.80), "stripe-live-key", "experiments/billing_probe.py", stripe, "unmerged-branch")
    env_file_event("experiment/unmerged", f(0.82), "experiments/.env", "unmerged-branch")

    # ---- branch schedule
    forks = {"feature/payments": (f(0.23), f(0.43)), "feature/ops": (f(0.48), f(0.63)),
             "experiment/unmerged": (f(0.70), f(0.86))}
    fired: set[tuple[str, int]] = set()
    mark_to_entries: list[tuple[int, list]] = []

    def run_events(branch: str, t: int, tree) -> str | None:
        msgs = []
        holder: list = []
        due = sorted((k for k in events if k[0] == branch and k[1] <= t and k not in fired),
                     key=lambda k: k[1])
        if due:  # one scheduled event per commit, so "add" and "delete" never share a commit
            fired.add(due[0])
            for fn in events[due[0]]:
                msgs.append(fn(tree, holder))
        if not msgs:
            return None
        mark_to_entries.append((-1, holder))
        return "; ".join(msgs)

    def step(branch: str, t: int):
        tree = {k: list(v) for k, v in repo.state[branch].items()}
        msg = run_events(branch, t, tree)
        if msg is None:
            msg = noise_change(branch, tree)
            repo.commit(branch, tree, msg)
        else:
            mark = repo.commit(branch, tree, msg)
            mark_to_entries[-1] = (mark, mark_to_entries[-1][1])

    t = 0
    while repo.n_commits < n_commits:
        t += 1
        active = ["main"]
        for b, (start, end) in forks.items():
            if t == start:
                tree = {k: list(v) for k, v in repo.state["main"].items()}
                for p in layout[b]:
                    tree[p] = nz.file(p, rng.randint(15, 50))
                repo.commit(b, tree, f"Start {b}", parent_branch="main")
            if start < t < end:
                active.append(b)
            if t == end and b != "experiment/unmerged":
                # merge b into main; branch dirs are disjoint, so the merge is clean
                tree = {k: list(v) for k, v in repo.state["main"].items()}
                for p, v in repo.state[b].items():
                    if p in set(layout[b]) or p in extra_paths[b]:
                        tree[p] = list(v)
                msg = f"Merge branch '{b}'"
                holder: list = []
                if b == "feature/ops":  # evil merge: secrets that exist in neither parent
                    text, v, m = slack_yaml()
                    line = insert_line(tree, "ops/alerts.yaml", text)
                    plant("slack-bot-token", v, m, "main", "ops/alerts.yaml", line, "merge-commit", holder)
                    text, v, m = gh()
                    tree.setdefault("ops/release_bot.py", ["import os", ""])
                    line = insert_line(tree, "ops/release_bot.py", text)
                    plant("github-pat", v, m, "main", "ops/release_bot.py", line, "merge-commit", holder)
                    msg += " (resolve conflicts in ops config)"
                    extra_paths["main"].update({"ops/alerts.yaml", "ops/release_bot.py"})
                mark = repo.commit("main", tree, msg, merge_branch=b)
                mark_to_entries.append((mark, holder))
                extra_paths["main"].update(p for p in tree if p.startswith(("src/payments/", "ops/")))
                layout["main"] = sorted(set(layout["main"]) | set(layout[b]))
        branch = rng.choice(active) if len(active) > 1 else "main"
        step(branch, t)
        for b in active[1:]:  # make sure events on branches fire before they end
            if any(k[0] == b and k[1] <= t and k not in fired for k in events) and b != branch:
                step(b, t)

    unfired = [k for k in events if k not in fired]
    if unfired:
        raise SystemExit(f"internal error: events never fired: {unfired}")

    # ---- write the repo
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    marks_file = out / ".git" / "planted-marks"
    subprocess.run(["git", "-C", str(out), "fast-import", "--quiet", f"--export-marks={marks_file}"],
                   input=repo.stream(), check=True)
    marks = dict(line.split() for line in marks_file.read_text().splitlines())
    marks_file.unlink()
    subprocess.run(["git", "-C", str(out), "checkout", "-q", "-f", "main"], check=True)

    # ---- resolve commits in the manifest
    by_path_deleted: dict[str, str] = {}
    for mark, holder in mark_to_entries:
        sha = marks[f":{mark}"]
        for s in holder:
            if "_rename_commit" in s:
                for sec in secrets:
                    if sec["path"] in rename_src:
                        sec["renamed_to"] = rename_src[sec["path"]]
                        sec["renamed_in"] = sha
            elif "_delete_of" in s:
                by_path_deleted[s["_delete_of"]] = sha
                for sec in secrets:
                    if sec["scenario"] == "deleted" and sec["path"] == s["_delete_of"] and "deleted_in" not in sec:
                        sec["deleted_in"] = sha
            else:
                s["commit"] = sha
    head_text = subprocess.run(["git", "-C", str(out), "grep", "-I", "-h", "-e", "."],
                               capture_output=True, text=True).stdout.replace("\n", "")
    for s in secrets:
        s["in_main_head"] = s["match"] in head_text
    missing = [s["id"] for s in secrets if "commit" not in s]
    if missing:
        raise SystemExit(f"internal error: no commit for {missing}")

    return {
        "repo": str(out),
        "seed": seed,
        "commits": int(subprocess.run(["git", "-C", str(out), "rev-list", "--all", "--count"],
                                      capture_output=True, text=True, check=True).stdout),
        "branches": sorted(repo.heads),
        "note": "All values are random fakes generated by benchmarks/make_planted_repo.py.",
        "secrets": secrets,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("--commits", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--truth", type=Path, help="default: OUTPUT_DIR.truth.json next to the repo")
    a = ap.parse_args()
    out = a.output_dir.resolve()
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    manifest = build(out, a.commits, a.seed)
    truth = a.truth or out.with_name(out.name + ".truth.json")
    truth.write_text(json.dumps(manifest, indent=2) + "\n")
    kinds: dict[str, int] = {}
    for s in manifest["secrets"]:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    print(f"{out}: {manifest['commits']} commits, branches {', '.join(manifest['branches'])}")
    print(f"{truth}: {len(manifest['secrets'])} secrets: "
          + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
