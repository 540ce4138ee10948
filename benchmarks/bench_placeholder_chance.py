"""How often a random provider token is dropped by chance as a placeholder.

    python3 benchmarks/bench_placeholder_chance.py [--n 100000] [--engine-n 20000] [--seed 1]

A token the provider generated is random characters in the token's alphabet; a stand-in
word (``tbd``, ``todo``, ``fake``, ``xxxx``...) that those characters happen to spell
is chance, not a placeholder. Part 1 draws ``--n`` random values per common alphabet and
length and runs them through ``filters.placeholder_reason`` (as a provider rule without a
checksum does: ``verified=False``) and ``filters.stand_in_reason`` (the extra check for
provider formats). Part 2 writes ``--engine-n`` random tokens per provider rule (formats
without a checksum) into a config file, one per line, scans them with the real engine and
the full rule pack, and counts the tokens the rule did not report, with the engine's drop
reasons. Both parts are deterministic for a seed. The rate must be ~0: every token drawn
here is a real-looking secret.
"""
from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leakguard import filters  # noqa: E402

ALNUM = string.ascii_letters + string.digits
ALPHABETS: dict[str, str] = {
    "alnum": ALNUM,
    "lower+digits": string.ascii_lowercase + string.digits,
    "upper+digits": string.ascii_uppercase + string.digits,
    "letters": string.ascii_letters,
    "hex": "0123456789abcdef",
    "base64": ALNUM + "+/",
    "base64url": ALNUM + "-_",
}
LENGTHS = (20, 32, 40, 64)

# (rule id, token maker): formats without a checksum, written where the rule reports them
def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choices(alphabet, k=n))


PROVIDERS: dict[str, tuple[str, object]] = {
    "huggingface-access-token": ("HF_TOKEN = {t}", lambda g: "hf_" + _r(g, string.ascii_letters, 34)),
    "gitlab-personal-access-token": ("GITLAB_TOKEN = {t}", lambda g: "glpat-" + _r(g, ALNUM + "_-", 20)),
    "slack-bot-token": ("SLACK_TOKEN = {t}",
                        lambda g: f"xoxb-{_r(g, string.digits, 11)}-{_r(g, string.digits, 13)}-{_r(g, ALNUM, 24)}"),
    "stripe-secret-key": ("STRIPE_KEY = {t}", lambda g: "sk_live_" + _r(g, ALNUM, 99)),
    "sendgrid-api-key": ("SENDGRID_API_KEY = {t}",
                         lambda g: f"SG.{_r(g, ALNUM + '_-', 22)}.{_r(g, ALNUM + '_-', 43)}"),
    "anthropic-api-key": ("ANTHROPIC_API_KEY = {t}", lambda g: "sk-ant-api03-" + _r(g, ALNUM + "_-", 93) + "AA"),
    "aws-secret-access-key": ("aws_secret_access_key = {t}", lambda g: _r(g, ALNUM + "+/", 40)),
    "twilio-api-key-secret": ("TWILIO_API_SECRET = {t}", lambda g: _r(g, ALNUM, 32)),
}


def part1(n: int, seed: int) -> int:
    print(f"## placeholder_reason / stand_in_reason on {n:,} random values per alphabet and length\n")
    print("| alphabet | length | placeholder_reason drops | stand_in_reason drops | examples |")
    print("|---|---|---|---|---|")
    total = 0
    for name, alphabet in ALPHABETS.items():
        for length in LENGTHS:
            g = random.Random(f"{seed}:{name}:{length}")
            ph: Counter[str] = Counter()
            si: Counter[str] = Counter()
            examples: list[str] = []
            for _ in range(n):
                v = _r(g, alphabet, length)
                reason = filters.placeholder_reason(v)
                if reason:
                    ph[reason] += 1
                    if len(examples) < 2:
                        examples.append(f"`{v}` ({reason})")
                reason = filters.stand_in_reason(v)
                if reason:
                    si[reason] += 1
                    if len(examples) < 2:
                        examples.append(f"`{v}` ({reason})")
            total += sum(ph.values()) + sum(si.values())
            fmt = lambda c: f"{sum(c.values())} ({sum(c.values()) / n:.1e})" + (f" {dict(c)}" if c else "")  # noqa: E731
            print(f"| {name} | {length} | {fmt(ph)} | {fmt(si)} | {'; '.join(examples)} |")
    return total


def part2(n: int, seed: int) -> int:
    from leakguard.engine import Engine
    from leakguard.model import Chunk, Origin
    from leakguard.ruleset import load_ruleset

    engine = Engine(load_ruleset())
    print(f"\n## Through the engine: {n:,} random tokens per provider rule, one per line in config/app.env\n")
    print("| rule | not reported | engine drop reasons | examples |")
    print("|---|---|---|---|")
    total = 0
    for rule_id, (template, make) in PROVIDERS.items():
        g = random.Random(f"{seed}:{rule_id}")
        tokens = [make(g) for _ in range(n)]  # type: ignore[operator]
        missed: list[str] = []
        reasons: Counter[str] = Counter()
        for start in range(0, n, 500):
            batch = tokens[start:start + 500]
            text = "\n".join(template.format(t=t) for t in batch) + "\n"
            det = engine.scan(Chunk(text.encode(), (Origin("file", "config/app.env"),)))
            found = {f.secret for f in det.findings if f.rule_id == rule_id}
            missed += [t for t in batch if t not in found]
            reasons.update(det.dropped)
        total += len(missed)
        ex = "; ".join(f"`{t}`" for t in missed[:2])
        print(f"| {rule_id} | {len(missed)} ({len(missed) / n:.1e}) | {dict(reasons) or ''} | {ex} |")
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="random values per alphabet and length (part 1)")
    ap.add_argument("--engine-n", type=int, default=20_000, help="random tokens per provider rule (part 2; 0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    dropped = part1(args.n, args.seed)
    if args.engine_n:
        dropped += part2(args.engine_n, args.seed)
    print(f"\n{dropped} random values dropped in all ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
