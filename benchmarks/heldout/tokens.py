"""Fake credential generators for the held-out corpus.

Every value is random characters in the format's alphabet, drawn from a seeded
``random.Random``; where a format carries a checksum (GitHub / npm CRC32-base62,
age bech32, JWT structure, PyPI macaroon framing, base64 of the right byte length)
it is computed, so a scanner that validates checksums sees a well-formed token.
Formats were written down from provider documentation and peers' public catalogs
(a format is a fact); no example string is copied from anywhere.

``PROVIDERS`` is a list of ``(provider, [(VAR_NAME, generator, expected), ...])``.
``expected`` is ``"secret"`` or ``"neutral"`` (an identifier that travels with a
secret, e.g. an access key id or account SID: neither a miss nor a false positive).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import string
import uuid
from typing import Callable

UP = string.ascii_uppercase
LO = string.ascii_lowercase
DIG = string.digits
HEX = "0123456789abcdef"
HEXU = "0123456789ABCDEF"
ALNUM = UP + LO + DIG
B62 = DIG + UP + LO
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
B32 = UP + "234567"

Gen = Callable[[random.Random], str]


def rs(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def b64bytes(r: random.Random, nbytes: int, urlsafe: bool = False, pad: bool = True) -> str:
    raw = bytes(r.getrandbits(8) for _ in range(nbytes))
    s = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return s if pad else s.rstrip("=")


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def ruuid(r: random.Random) -> str:
    return str(uuid.UUID(int=r.getrandbits(128), version=4))


def base62(n: int, width: int) -> str:
    out = ""
    while n:
        n, d = divmod(n, 62)
        out = B62[d] + out
    return out.rjust(width, "0")


def crc32_token(r: random.Random, prefix: str, body: int = 30) -> str:
    """GitHub / npm style: prefix + 30 random base62 + 6-char base62 CRC32 of the random part."""
    rnd = rs(r, ALNUM, body)
    return prefix + rnd + base62(binascii.crc32(rnd.encode()) & 0xFFFFFFFF, 6)


def jwt(r: random.Random, payload: dict | None = None, alg: str = "HS256") -> str:
    head = b64url_json({"alg": alg, "typ": "JWT"})
    now = 1_700_000_000 + r.randrange(30_000_000)
    body = payload or {"sub": ruuid(r), "iat": now, "exp": now + 3600 * 24 * 365}
    sig = b64bytes(r, 256 if alg.startswith("RS") else 32, urlsafe=True, pad=False)
    return f"{head}.{b64url_json(body)}.{sig}"


# --- bech32 (age secret keys) ---------------------------------------------------------------
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def bech32(hrp: str, data8: bytes) -> str:
    acc = bits = 0
    data5 = []
    for b in data8:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data5.append((acc >> bits) & 31)
    if bits:
        data5.append((acc << (5 - bits)) & 31)
    hrpx = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]
    pm = _polymod(hrpx + data5 + [0] * 6) ^ 1
    chk = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in data5 + chk)


def age_key(r: random.Random) -> str:
    return bech32("age-secret-key-", bytes(r.getrandbits(8) for _ in range(32))).upper()


def pypi_token(r: random.Random) -> str:
    ident = ruuid(r).encode()
    caveat = json.dumps({"version": 1, "permissions": {"projects": ["pkg" + rs(r, LO, 5)]}}).encode()
    raw = (b"\x02\x01\x08pypi.org\x02" + bytes([len(ident)]) + ident + b"\x00\x02"
           + bytes([len(caveat)]) + caveat + b"\x00\x00\x06\x20" + bytes(r.getrandbits(8) for _ in range(32)))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def mapbox_sk(r: random.Random) -> str:
    user = rs(r, LO, 8)
    return "sk." + b64url_json({"u": user, "a": rs(r, LO + DIG, 25)}) + "." + rs(r, URLSAFE, 22)


def pem(r: random.Random, label: str, nbytes: int = 1190, body_prefix: bytes = b"") -> str:
    raw = body_prefix + bytes(r.getrandbits(8) for _ in range(nbytes))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def rsa_pem(r: random.Random) -> str:
    # PKCS#1 RSAPrivateKey DER starts 30 82 xx xx 02 01 00 02 82 01 01 00
    return pem(r, "RSA PRIVATE KEY", 1180, b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00")


def ec_pem(r: random.Random) -> str:
    return pem(r, "EC PRIVATE KEY", 112, b"\x30\x77\x02\x01\x01\x04\x20")


def pkcs8_pem(r: random.Random) -> str:
    return pem(r, "PRIVATE KEY", 1200, b"\x30\x82\x04\xbe\x02\x01\x00\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00")


def openssh_pem(r: random.Random) -> str:
    return pem(r, "OPENSSH PRIVATE KEY", 380, b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00")


def aws_secret(r: random.Random) -> str:
    return rs(r, B64, 40)


def pair(*items: tuple[str, Gen, str]) -> list[tuple[str, Gen, str]]:
    return list(items)


def one(var: str, g: Gen) -> list[tuple[str, Gen, str]]:
    return [(var, g, "secret")]


def R(alphabet: str, n: int, prefix: str = "", suffix: str = "") -> Gen:
    return lambda r: prefix + rs(r, alphabet, n) + suffix


S, N = "secret", "neutral"

PROVIDERS: list[tuple[str, list[tuple[str, Gen, str]]]] = [
    ("aws", pair(("AWS_ACCESS_KEY_ID", lambda r: "AKIA" + rs(r, B32, 16), N),
                 ("AWS_SECRET_ACCESS_KEY", aws_secret, S))),
    ("aws-temporary", pair(("AWS_ACCESS_KEY_ID", lambda r: "ASIA" + rs(r, B32, 16), N),
                           ("AWS_SECRET_ACCESS_KEY", aws_secret, S),
                           ("AWS_SESSION_TOKEN", lambda r: "FwoGZXIvYXdzE" + rs(r, B64, 300), S))),
    # a long-term Bedrock API key is "ABSK" + base64 of its service-specific credential:
    # "BedrockAPIKey-<id>-at-<account>:<secret>"
    ("aws-bedrock", one("AWS_BEARER_TOKEN_BEDROCK", lambda r: "ABSK" + base64.b64encode(
        f"BedrockAPIKey-{rs(r, LO + DIG, 4)}-at-{rs(r, DIG, 12)}:{rs(r, B64, 44)}".encode()).decode())),
    ("github-classic", one("GITHUB_TOKEN", lambda r: crc32_token(r, "ghp_"))),
    ("github-oauth", one("GH_OAUTH_TOKEN", lambda r: crc32_token(r, "gho_"))),
    ("github-app-user", one("GITHUB_USER_TO_SERVER", lambda r: crc32_token(r, "ghu_"))),
    ("github-app-install", one("GITHUB_INSTALLATION_TOKEN", lambda r: crc32_token(r, "ghs_"))),
    ("github-refresh", one("GITHUB_REFRESH_TOKEN", lambda r: crc32_token(r, "ghr_"))),
    ("github-fine-grained", one("GH_PAT", lambda r: "github_pat_" + rs(r, ALNUM, 22) + "_" + rs(r, ALNUM, 59))),
    ("gitlab-pat", one("GITLAB_TOKEN", R(URLSAFE, 20, "glpat-"))),
    ("gitlab-deploy", one("GITLAB_DEPLOY_TOKEN", R(URLSAFE, 20, "gldt-"))),
    ("gitlab-runner", one("CI_RUNNER_TOKEN", R(URLSAFE, 20, "glrt-"))),
    ("gitlab-trigger", one("GITLAB_TRIGGER_TOKEN", R(HEX, 40, "glptt-"))),
    ("gitlab-runner-registration", one("REGISTRATION_TOKEN", R(URLSAFE, 20, "GR1348941"))),
    ("slack-bot", one("SLACK_BOT_TOKEN", lambda r: f"xoxb-{rs(r, DIG, 12)}-{rs(r, DIG, 13)}-{rs(r, ALNUM, 24)}")),
    ("slack-user", one("SLACK_USER_TOKEN", lambda r: f"xoxp-{rs(r, DIG, 12)}-{rs(r, DIG, 12)}-{rs(r, DIG, 13)}-{rs(r, HEX, 32)}")),
    ("slack-app", one("SLACK_APP_TOKEN", lambda r: f"xapp-1-A{rs(r, UP + DIG, 10)}-{rs(r, DIG, 13)}-{rs(r, HEX, 64)}")),
    ("slack-webhook", one("SLACK_WEBHOOK_URL", lambda r: f"https://hooks.slack.com/services/T{rs(r, UP + DIG, 8)}/B{rs(r, UP + DIG, 10)}/{rs(r, ALNUM, 24)}")),
    ("stripe-secret", one("STRIPE_SECRET_KEY", R(ALNUM, 99, "sk_live_"))),
    ("stripe-restricted", one("STRIPE_RESTRICTED_KEY", R(ALNUM, 99, "rk_live_"))),
    ("stripe-webhook", one("STRIPE_WEBHOOK_SECRET", R(ALNUM, 32, "whsec_"))),
    ("npm", one("NPM_TOKEN", lambda r: crc32_token(r, "npm_"))),
    ("pypi", one("PYPI_API_TOKEN", pypi_token)),
    ("rubygems", one("GEM_HOST_API_KEY", R(HEX, 48, "rubygems_"))),
    ("nuget", one("NUGET_API_KEY", R(LO + DIG, 43, "oy2"))),
    ("crates-io", one("CARGO_REGISTRY_TOKEN", R(ALNUM, 32, "cio"))),
    ("clojars", one("CLOJARS_DEPLOY_TOKEN", R(LO + DIG, 60, "CLOJARS_"))),
    ("openai-legacy", one("OPENAI_API_KEY", lambda r: "sk-" + rs(r, ALNUM, 20) + "T3BlbkFJ" + rs(r, ALNUM, 20))),
    ("openai-project", one("OPENAI_API_KEY", lambda r: "sk-proj-" + rs(r, URLSAFE, 74) + "T3BlbkFJ" + rs(r, URLSAFE, 74))),
    ("anthropic", one("ANTHROPIC_API_KEY", lambda r: "sk-ant-api03-" + rs(r, URLSAFE, 93) + "AA")),
    ("anthropic-admin", one("ANTHROPIC_ADMIN_KEY", lambda r: "sk-ant-admin01-" + rs(r, URLSAFE, 93) + "AA")),
    ("google-api", one("GOOGLE_API_KEY", R(URLSAFE, 35, "AIza"))),
    ("google-oauth-secret", one("GOOGLE_CLIENT_SECRET", R(URLSAFE, 28, "GOCSPX-"))),
    ("google-oauth-refresh", one("GOOGLE_REFRESH_TOKEN", lambda r: "1//0" + rs(r, URLSAFE, 99))),
    ("google-oauth-access", one("GOOGLE_ACCESS_TOKEN", lambda r: "ya29.a0" + rs(r, URLSAFE, 160))),
    ("gemini", one("GEMINI_API_KEY", R(URLSAFE, 35, "AIza"))),
    ("twilio", pair(("TWILIO_ACCOUNT_SID", R(HEX, 32, "AC"), N), ("TWILIO_AUTH_TOKEN", R(HEX, 32), S))),
    ("twilio-api-key", pair(("TWILIO_API_KEY", R(HEX, 32, "SK"), N), ("TWILIO_API_SECRET", R(ALNUM, 32), S))),
    ("sendgrid", one("SENDGRID_API_KEY", lambda r: f"SG.{rs(r, URLSAFE, 22)}.{rs(r, URLSAFE, 43)}")),
    ("mailgun", one("MAILGUN_API_KEY", lambda r: f"{rs(r, HEX, 32)}-{rs(r, HEX, 8)}-{rs(r, HEX, 8)}")),
    ("mailgun-legacy", one("MAILGUN_KEY", R(HEX, 32, "key-"))),
    ("mailchimp", one("MAILCHIMP_API_KEY", lambda r: rs(r, HEX, 32) + "-us" + str(r.randrange(1, 21)))),
    ("brevo", one("BREVO_API_KEY", lambda r: f"xkeysib-{rs(r, HEX, 64)}-{rs(r, ALNUM, 16)}")),
    ("mandrill", one("MANDRILL_API_KEY", R(URLSAFE, 22, "md-"))),
    ("resend", one("RESEND_API_KEY", lambda r: f"re_{rs(r, ALNUM, 8)}_{rs(r, ALNUM, 24)}")),
    ("postmark", one("POSTMARK_SERVER_TOKEN", ruuid)),
    ("mailjet", pair(("MJ_APIKEY_PUBLIC", R(HEX, 32), N), ("MJ_APIKEY_PRIVATE", R(HEX, 32), S))),
    ("shopify-admin", one("SHOPIFY_ACCESS_TOKEN", R(HEX, 32, "shpat_"))),
    ("shopify-shared-secret", one("SHOPIFY_SHARED_SECRET", R(HEX, 32, "shpss_"))),
    ("shopify-custom-app", one("SHOPIFY_CUSTOM_APP_TOKEN", R(HEX, 32, "shpca_"))),
    ("shopify-private-app", one("SHOPIFY_PRIVATE_APP_PASSWORD", R(HEX, 32, "shppa_"))),
    ("heroku", one("HEROKU_API_KEY", R(URLSAFE, 58, "HRKU-AA"))),
    ("heroku-legacy", one("HEROKU_API_KEY", ruuid)),
    ("digitalocean-pat", one("DIGITALOCEAN_TOKEN", R(HEX, 64, "dop_v1_"))),
    ("digitalocean-oauth", one("DO_OAUTH_TOKEN", R(HEX, 64, "doo_v1_"))),
    ("digitalocean-refresh", one("DO_REFRESH_TOKEN", R(HEX, 64, "dor_v1_"))),
    ("doppler", one("DOPPLER_TOKEN", R(ALNUM, 43, "dp.pt."))),
    ("doppler-service", one("DOPPLER_SERVICE_TOKEN", R(ALNUM, 43, "dp.st.prd."))),
    ("vault-service", one("VAULT_TOKEN", R(URLSAFE, 91, "hvs."))),
    ("vault-batch", one("VAULT_BATCH_TOKEN", R(URLSAFE, 138, "hvb."))),
    ("terraform-cloud", one("TFE_TOKEN", lambda r: rs(r, ALNUM, 14) + ".atlasv1." + rs(r, ALNUM, 67))),
    ("azure-ad-client-secret", one("AZURE_CLIENT_SECRET", lambda r: rs(r, ALNUM, 3) + str(r.randrange(10)) + "Q~" + rs(r, ALNUM + "_~.-", 34))),
    ("azure-storage", one("AZURE_STORAGE_CONNECTION_STRING", lambda r: f"DefaultEndpointsProtocol=https;AccountName=st{rs(r, LO + DIG, 10)};AccountKey={b64bytes(r, 64)};EndpointSuffix=core.windows.net")),
    ("azure-storage-key", one("AZURE_STORAGE_KEY", lambda r: b64bytes(r, 64))),
    ("azure-cosmos", one("COSMOS_CONNECTION_STRING", lambda r: f"AccountEndpoint=https://cosmos-{rs(r, LO, 8)}.documents.azure.com:443/;AccountKey={b64bytes(r, 64)};")),
    ("azure-servicebus", one("SERVICEBUS_CONNECTION", lambda r: f"Endpoint=sb://sb-{rs(r, LO, 8)}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b64bytes(r, 32)}")),
    ("azure-sas", one("AZURE_BLOB_SAS_URL", lambda r: f"https://st{rs(r, LO, 8)}.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2026-12-31T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={b64bytes(r, 32).replace('+', '%2B').replace('/', '%2F').replace('=', '%3D')}")),
    ("azure-devops", one("AZURE_DEVOPS_PAT", R(LO + "234567", 52))),
    ("azure-openai", one("AZURE_OPENAI_API_KEY", R(HEX, 32))),
    ("azure-function-key", one("AZURE_FUNCTION_KEY", lambda r: b64bytes(r, 40, urlsafe=False))),
    ("azure-search-admin", one("AZURE_SEARCH_ADMIN_KEY", lambda r: rs(r, ALNUM, 42) + "AzSe" + rs(r, ALNUM, 6))),
    ("atlassian", one("JIRA_API_TOKEN", lambda r: "ATATT3xFfGF0" + rs(r, URLSAFE, 171) + "=" + rs(r, HEXU, 8))),
    ("bitbucket-app-password", one("BITBUCKET_APP_PASSWORD", R(ALNUM, 32, "ATBB"))),
    ("databricks", one("DATABRICKS_TOKEN", R(HEX, 32, "dapi"))),
    ("datadog", pair(("DD_API_KEY", R(HEX, 32), S), ("DD_APP_KEY", R(HEX, 40), S))),
    ("newrelic-user", one("NEW_RELIC_API_KEY", R(UP + DIG, 27, "NRAK-"))),
    ("newrelic-license", one("NEW_RELIC_LICENSE_KEY", R(HEX, 36, "", "NRAL"))),
    ("newrelic-insert", one("NEW_RELIC_INSERT_KEY", R(URLSAFE, 32, "NRII-"))),
    ("sentry-org", one("SENTRY_AUTH_TOKEN", lambda r: "sntrys_" + b64url_json({"iat": 1_700_000_000 + r.randrange(10**7), "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": rs(r, LO, 8)}) + "_" + rs(r, URLSAFE, 43))),
    ("sentry-user", one("SENTRY_AUTH_TOKEN", R(HEX, 64, "sntryu_"))),
    ("grafana-cloud", one("GRAFANA_CLOUD_TOKEN", lambda r: "glc_" + base64.b64encode(json.dumps({"o": str(r.randrange(10**6)), "n": "stack-" + rs(r, DIG, 6) + "-hm-read", "k": rs(r, ALNUM, 24), "m": {"r": "us"}}, separators=(",", ":")).encode()).decode())),
    ("grafana-sa", one("GRAFANA_SA_TOKEN", lambda r: f"glsa_{rs(r, ALNUM, 32)}_{rs(r, HEX, 8)}")),
    ("postman", one("POSTMAN_API_KEY", lambda r: f"PMAK-{rs(r, HEX, 24)}-{rs(r, HEX, 34)}")),
    ("linear", one("LINEAR_API_KEY", R(ALNUM, 40, "lin_api_"))),
    ("notion", one("NOTION_TOKEN", lambda r: "ntn_" + rs(r, DIG, 11) + rs(r, ALNUM, 35))),
    ("notion-legacy", one("NOTION_API_KEY", R(ALNUM, 43, "secret_"))),
    ("airtable", one("AIRTABLE_TOKEN", lambda r: f"pat{rs(r, ALNUM, 14)}.{rs(r, HEX, 64)}")),
    ("figma", one("FIGMA_TOKEN", lambda r: f"figd_{rs(r, URLSAFE, 40)}")),
    ("discord-bot", one("DISCORD_BOT_TOKEN", lambda r: f"{r.choice('MN')}{rs(r, ALNUM, 23)}.{rs(r, URLSAFE, 6)}.{rs(r, URLSAFE, 38)}")),
    ("discord-webhook", one("DISCORD_WEBHOOK_URL", lambda r: f"https://discord.com/api/webhooks/{rs(r, DIG, 19)}/{rs(r, URLSAFE, 68)}")),
    ("telegram", one("TELEGRAM_BOT_TOKEN", lambda r: f"{r.randrange(10**9, 8 * 10**9)}:AA{rs(r, URLSAFE, 33)}")),
    ("huggingface", one("HF_TOKEN", R(UP + LO, 34, "hf_"))),
    ("replicate", one("REPLICATE_API_TOKEN", R(ALNUM, 37, "r8_"))),
    ("groq", one("GROQ_API_KEY", R(ALNUM, 52, "gsk_"))),
    ("perplexity", one("PERPLEXITY_API_KEY", R(ALNUM, 48, "pplx-"))),
    ("xai", one("XAI_API_KEY", R(ALNUM, 80, "xai-"))),
    ("openrouter", one("OPENROUTER_API_KEY", R(HEX, 64, "sk-or-v1-"))),
    ("cohere", one("COHERE_API_KEY", R(ALNUM, 40))),
    ("mistral", one("MISTRAL_API_KEY", R(ALNUM, 32))),
    ("together", one("TOGETHER_API_KEY", R(HEX, 64))),
    ("fireworks", one("FIREWORKS_API_KEY", R(ALNUM, 48, "fw_"))),
    ("langsmith", one("LANGCHAIN_API_KEY", lambda r: f"lsv2_pt_{rs(r, HEX, 32)}_{rs(r, HEX, 10)}")),
    ("langfuse", pair(("LANGFUSE_PUBLIC_KEY", lambda r: "pk-lf-" + ruuid(r), N), ("LANGFUSE_SECRET_KEY", lambda r: "sk-lf-" + ruuid(r), S))),
    ("pinecone", one("PINECONE_API_KEY", lambda r: f"pcsk_{rs(r, ALNUM, 6)}_{rs(r, ALNUM, 63)}")),
    ("elevenlabs", one("ELEVENLABS_API_KEY", R(HEX, 48, "sk_"))),
    ("deepgram", one("DEEPGRAM_API_KEY", R(HEX, 40))),
    ("assemblyai", one("ASSEMBLYAI_API_KEY", R(HEX, 32))),
    ("wandb", one("WANDB_API_KEY", R(HEX, 40))),
    ("supabase-pat", one("SUPABASE_ACCESS_TOKEN", R(HEX, 40, "sbp_"))),
    ("supabase-service-role", one("SUPABASE_SERVICE_ROLE_KEY", lambda r: jwt(r, {"iss": "supabase", "ref": rs(r, LO, 20), "role": "service_role", "iat": 1700000000, "exp": 2015576000}))),
    ("vercel", one("VERCEL_TOKEN", R(ALNUM, 24))),
    ("netlify", one("NETLIFY_AUTH_TOKEN", R(ALNUM + "_-", 40, "nfp_"))),
    ("flyio", one("FLY_API_TOKEN", R(URLSAFE, 43, "fo1_"))),
    ("render", one("RENDER_API_KEY", R(ALNUM, 32, "rnd_"))),
    ("cloudflare-api-token", one("CLOUDFLARE_API_TOKEN", R(URLSAFE, 40))),
    ("cloudflare-global-key", pair(("CLOUDFLARE_EMAIL", lambda r: rs(r, LO, 7) + "@example.org", N), ("CLOUDFLARE_API_KEY", R(HEX, 37), S))),
    ("cloudflare-origin-ca", one("CF_ORIGIN_CA_KEY", lambda r: "v1.0-" + rs(r, HEX, 24) + "-" + rs(r, HEX, 146))),
    ("fastly", one("FASTLY_API_TOKEN", R(URLSAFE, 32))),
    ("okta", one("OKTA_API_TOKEN", R(URLSAFE, 40, "00"))),
    ("auth0", pair(("AUTH0_CLIENT_ID", R(ALNUM, 32), N), ("AUTH0_CLIENT_SECRET", R(URLSAFE, 64), S))),
    ("pagerduty", one("PAGERDUTY_API_TOKEN", R(ALNUM + "+_-", 20, "u+"))),
    ("opsgenie", one("OPSGENIE_API_KEY", ruuid)),
    ("snyk", one("SNYK_TOKEN", ruuid)),
    ("sonarqube-user", one("SONAR_TOKEN", R(HEX, 40, "squ_"))),
    ("sonarqube-project", one("SONAR_PROJECT_TOKEN", R(HEX, 40, "sqp_"))),
    ("circleci", one("CIRCLE_TOKEN", lambda r: f"CCIPAT_{rs(r, ALNUM, 22)}_{rs(r, HEX, 40)}")),
    ("buildkite", one("BUILDKITE_API_TOKEN", R(HEX, 40, "bkua_"))),
    ("jfrog-api", one("ARTIFACTORY_API_KEY", R(ALNUM, 69, "AKCp"))),
    ("jfrog-reference", one("JFROG_ACCESS_TOKEN", lambda r: "cmVmdGtuOjAxOj" + rs(r, ALNUM, 50))),
    ("dockerhub", one("DOCKERHUB_TOKEN", R(URLSAFE, 27, "dckr_pat_"))),
    ("pulumi", one("PULUMI_ACCESS_TOKEN", R(HEX, 40, "pul-"))),
    ("age", one("SOPS_AGE_KEY", age_key)),
    ("square", one("SQUARE_ACCESS_TOKEN", R(URLSAFE, 60, "EAAA"))),
    ("square-oauth-secret", one("SQUARE_OAUTH_SECRET", R(URLSAFE, 43, "sq0csp-"))),
    ("braintree", one("BRAINTREE_ACCESS_TOKEN", lambda r: f"access_token$production${rs(r, LO + DIG, 16)}${rs(r, HEX, 32)}")),
    ("plaid", pair(("PLAID_CLIENT_ID", R(HEX, 24), N), ("PLAID_SECRET", R(HEX, 30), S))),
    ("plaid-access", one("PLAID_ACCESS_TOKEN", lambda r: "access-production-" + ruuid(r))),
    ("mapbox", one("MAPBOX_SECRET_TOKEN", mapbox_sk)),
    ("algolia", pair(("ALGOLIA_APP_ID", R(UP + DIG, 10), N), ("ALGOLIA_ADMIN_KEY", R(HEX, 32), S))),
    ("contentful", one("CONTENTFUL_MANAGEMENT_TOKEN", R(URLSAFE, 43, "CFPAT-"))),
    ("asana", one("ASANA_ACCESS_TOKEN", lambda r: f"2/{rs(r, DIG, 16)}/{rs(r, DIG, 16)}:{rs(r, HEX, 32)}")),
    ("trello", pair(("TRELLO_API_KEY", R(HEX, 32), N), ("TRELLO_TOKEN", lambda r: "ATTA" + rs(r, HEX, 64) + rs(r, HEXU, 8), S))),
    ("zendesk", one("ZENDESK_API_TOKEN", R(ALNUM, 40))),
    ("intercom", one("INTERCOM_ACCESS_TOKEN", lambda r: base64.b64encode(f"tok:{ruuid(r).replace('-', '_')}:1:0".encode()).decode())),
    ("hubspot", one("HUBSPOT_ACCESS_TOKEN", lambda r: "pat-na1-" + ruuid(r))),
    ("salesforce", one("SALESFORCE_ACCESS_TOKEN", lambda r: f"00D{rs(r, ALNUM, 12)}!{rs(r, ALNUM + '._', 96)}")),
    ("dropbox", one("DROPBOX_ACCESS_TOKEN", R(URLSAFE, 136, "sl.u."))),
    ("twitter-bearer", one("TWITTER_BEARER_TOKEN", lambda r: "A" * 22 + rs(r, ALNUM, 18) + "%3D" + rs(r, ALNUM, 50))),
    ("twitter-secret", pair(("TWITTER_API_KEY", R(ALNUM, 25), N), ("TWITTER_API_SECRET", R(ALNUM, 50), S))),
    ("facebook-token", one("FACEBOOK_ACCESS_TOKEN", R(ALNUM, 180, "EAAG"))),
    ("facebook-app-secret", one("FACEBOOK_APP_SECRET", R(HEX, 32))),
    ("twitch", one("TWITCH_CLIENT_SECRET", R(LO + DIG, 30))),
    ("spotify", one("SPOTIFY_CLIENT_SECRET", R(HEX, 32))),
    ("shippo", one("SHIPPO_API_TOKEN", R(HEX, 40, "shippo_live_"))),
    ("easypost", one("EASYPOST_API_KEY", R(ALNUM, 54, "EZAK"))),
    ("lob", one("LOB_API_KEY", R(HEX, 35, "live_"))),
    ("clickup", one("CLICKUP_API_TOKEN", lambda r: f"pk_{rs(r, DIG, 8)}_{rs(r, UP + DIG, 32)}")),
    ("sourcegraph", one("SRC_ACCESS_TOKEN", lambda r: f"sgp_{rs(r, HEX, 16)}_{rs(r, HEX, 40)}")),
    ("gitea", one("GITEA_TOKEN", R(HEX, 40))),
    ("amazon-oauth", one("LWA_CLIENT_SECRET", R(HEX, 64, "amzn1.oa2-cs.v1."))),
    ("firebase-fcm", one("FCM_SERVER_KEY", lambda r: f"AAAA{rs(r, URLSAFE, 7)}:APA91b{rs(r, URLSAFE, 134)}")),
    ("woocommerce", pair(("WC_CONSUMER_KEY", R(HEX, 40, "ck_"), S), ("WC_CONSUMER_SECRET", R(HEX, 40, "cs_"), S))),
    ("klaviyo", one("KLAVIYO_PRIVATE_KEY", R(HEX, 34, "pk_"))),
    ("zapier-webhook", one("ZAPIER_WEBHOOK_URL", lambda r: f"https://hooks.zapier.com/hooks/catch/{rs(r, DIG, 8)}/{rs(r, LO + DIG, 7)}/")),
    ("teams-webhook", one("TEAMS_WEBHOOK_URL", lambda r: f"https://contoso{rs(r, LO, 4)}.webhook.office.com/webhookb2/{ruuid(r)}@{ruuid(r)}/IncomingWebhook/{rs(r, HEX, 32)}/{ruuid(r)}")),
    ("readme", one("README_API_KEY", R(HEX, 64, "rdme_xn8s9h"))),
    ("prefect", one("PREFECT_API_KEY", R(ALNUM, 36, "pnu_"))),
    # key id (k...CNTRL, 12-17 chars) then the secret part
    ("tailscale", one("TS_AUTHKEY", lambda r: f"tskey-auth-k{rs(r, ALNUM, r.randrange(6, 12))}CNTRL-{rs(r, ALNUM, 32)}")),
    ("ngrok", one("NGROK_AUTHTOKEN", lambda r: f"2{rs(r, ALNUM, 26)}_{rs(r, ALNUM, 21)}")),
    ("1password-sa", one("OP_SERVICE_ACCOUNT_TOKEN", lambda r: "ops_" + b64url_json({"signInAddress": "my.1password.com", "userAuth": {"method": "SRPg-4096", "alg": "PBES2g-HS256", "iterations": 650000, "salt": rs(r, URLSAFE, 22)}, "email": rs(r, LO, 10) + "@1passwordserviceaccounts.com", "srpX": rs(r, HEX, 64), "muk": {"alg": "A256GCM", "ext": True, "k": rs(r, URLSAFE, 43), "key_ops": ["encrypt", "decrypt"], "kty": "oct", "kid": "mp"}, "secretKey": "A3-" + rs(r, UP + DIG, 6) + "-" + rs(r, UP + DIG, 6) + "-" + rs(r, UP + DIG, 5) + "-" + rs(r, UP + DIG, 5) + "-" + rs(r, UP + DIG, 5) + "-" + rs(r, UP + DIG, 5), "deviceUuid": rs(r, LO + DIG, 26)}))),
    ("duo", pair(("DUO_IKEY", R(UP + DIG, 18, "DI"), N), ("DUO_SKEY", R(ALNUM, 40), S))),
    ("stytch", one("STYTCH_SECRET", R(URLSAFE, 36, "secret-live-"))),
    ("clerk", one("CLERK_SECRET_KEY", R(ALNUM, 50, "sk_live_"))),
    ("pusher", pair(("PUSHER_APP_KEY", R(HEX, 20), N), ("PUSHER_APP_SECRET", R(HEX, 20), S))),
    ("ably", one("ABLY_API_KEY", lambda r: f"{rs(r, URLSAFE, 6)}.{rs(r, URLSAFE, 6)}:{rs(r, URLSAFE, 43)}")),
    ("pubnub", one("PUBNUB_SECRET_KEY", lambda r: "sec-c-" + rs(r, ALNUM, 48))),
    ("cloudinary", one("CLOUDINARY_URL", lambda r: f"cloudinary://{rs(r, DIG, 15)}:{rs(r, URLSAFE, 27)}@{rs(r, LO, 8)}")),
    ("razorpay", pair(("RAZORPAY_KEY_ID", R(ALNUM, 14, "rzp_live_"), N), ("RAZORPAY_KEY_SECRET", R(ALNUM, 24), S))),
    ("paystack", one("PAYSTACK_SECRET_KEY", R(HEX, 40, "sk_live_"))),
    ("flutterwave", one("FLW_SECRET_KEY", lambda r: f"FLWSECK-{rs(r, HEX, 32)}-X")),
    ("mollie", one("MOLLIE_API_KEY", R(ALNUM, 30, "live_"))),
    ("gocardless", one("GOCARDLESS_ACCESS_TOKEN", R(URLSAFE, 40, "live_"))),
    ("alchemy", one("ALCHEMY_API_KEY", R(URLSAFE, 32))),
    ("infura", one("INFURA_API_SECRET", R(HEX, 32))),
    ("etherscan", one("ETHERSCAN_API_KEY", R(UP + DIG, 34))),
    ("eth-private-key", one("DEPLOYER_PRIVATE_KEY", R(HEX, 64, "0x"))),
    ("yandex-api", one("YANDEX_API_KEY", R(URLSAFE, 35, "AQVN"))),
    ("yandex-access", pair(("YC_ACCESS_KEY_ID", R(URLSAFE, 23, "YCAJ"), N), ("YC_SECRET_ACCESS_KEY", R(URLSAFE, 40, "YC"), S))),
    ("alibaba", pair(("ALIBABA_CLOUD_ACCESS_KEY_ID", R(ALNUM, 20, "LTAI"), N), ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", R(ALNUM, 30), S))),
    ("tencent", pair(("TENCENTCLOUD_SECRET_ID", R(ALNUM, 32, "AKID"), N), ("TENCENTCLOUD_SECRET_KEY", R(ALNUM, 32), S))),
    ("ibm-cloud", one("IBMCLOUD_API_KEY", R(URLSAFE, 44))),
    ("linode", one("LINODE_TOKEN", R(HEX, 64))),
    ("vultr", one("VULTR_API_KEY", R(UP + DIG, 36))),
    ("hetzner", one("HCLOUD_TOKEN", R(ALNUM, 64))),
    ("scaleway", pair(("SCW_ACCESS_KEY", R(UP + DIG, 17, "SCW"), N), ("SCW_SECRET_KEY", ruuid, S))),
    ("upstash", one("UPSTASH_REDIS_REST_TOKEN", lambda r: "A" + rs(r, ALNUM, 3) + "ASQgY" + rs(r, ALNUM, 80))),
    ("planetscale-password", one("PLANETSCALE_PASSWORD", R(URLSAFE, 43, "pscale_pw_"))),
    ("planetscale-token", one("PLANETSCALE_SERVICE_TOKEN", R(URLSAFE, 43, "pscale_tkn_"))),
    ("neon", one("NEON_API_KEY", R(ALNUM, 64, "napi_"))),
    ("confluent", pair(("CONFLUENT_CLOUD_API_KEY", R(UP + DIG, 16), N), ("CONFLUENT_CLOUD_API_SECRET", R(ALNUM + "+/", 64), S))),
    ("launchdarkly-sdk", one("LAUNCHDARKLY_SDK_KEY", lambda r: "sdk-" + ruuid(r))),
    ("launchdarkly-api", one("LD_API_KEY", lambda r: "api-" + ruuid(r))),
    ("dynatrace", one("DT_API_TOKEN", lambda r: f"dt0c01.{rs(r, UP + DIG, 24)}.{rs(r, UP + DIG, 64)}")),
    ("sumologic", pair(("SUMO_ACCESS_ID", R(ALNUM, 14, "su"), N), ("SUMO_ACCESS_KEY", R(ALNUM, 64), S))),
    ("rollbar", one("ROLLBAR_ACCESS_TOKEN", R(HEX, 32))),
    ("bugsnag", one("BUGSNAG_API_KEY", R(HEX, 32))),
    ("codecov", one("CODECOV_TOKEN", ruuid)),
    ("percy", one("PERCY_TOKEN", R(HEX, 64))),
    ("browserstack", one("BROWSERSTACK_ACCESS_KEY", R(ALNUM, 20))),
    ("saucelabs", one("SAUCE_ACCESS_KEY", ruuid)),
    ("expo", one("EXPO_TOKEN", R(URLSAFE, 40))),
    ("deno", one("DENO_DEPLOY_TOKEN", R(ALNUM, 36, "ddp_"))),
    ("harness", one("HARNESS_API_KEY", lambda r: f"pat.{rs(r, URLSAFE, 22)}.{rs(r, HEX, 24)}.{rs(r, ALNUM, 20)}")),
    ("octopus", one("OCTOPUS_API_KEY", R(UP + DIG, 26, "API-"))),
    ("jenkins", one("JENKINS_API_TOKEN", R(HEX, 34, "11"))),
    ("rancher", one("RANCHER_TOKEN", lambda r: f"token-{rs(r, LO + DIG, 5)}:{rs(r, LO + DIG, 54)}")),
    ("portainer", one("PORTAINER_API_KEY", lambda r: "ptr_" + b64bytes(r, 32))),
    ("consul", one("CONSUL_HTTP_TOKEN", ruuid)),
    ("crowdin", one("CROWDIN_PERSONAL_TOKEN", R(HEX, 80))),
    ("adobe", one("ADOBE_CLIENT_SECRET", R(ALNUM, 32, "p8e-"))),
    ("typeform", one("TYPEFORM_TOKEN", lambda r: f"tfp_{rs(r, URLSAFE, 44)}_{rs(r, URLSAFE, 14)}")),
    ("todoist", one("TODOIST_API_TOKEN", R(HEX, 40))),
    ("shortcut", one("SHORTCUT_API_TOKEN", ruuid)),
    ("line", one("LINE_CHANNEL_ACCESS_TOKEN", lambda r: rs(r, B64, 171) + "=")),
    ("line-secret", one("LINE_CHANNEL_SECRET", R(HEX, 32))),
    ("zoom", pair(("ZOOM_CLIENT_ID", R(URLSAFE, 22), N), ("ZOOM_CLIENT_SECRET", R(ALNUM, 32), S))),
    ("looker", pair(("LOOKERSDK_CLIENT_ID", R(ALNUM, 20), N), ("LOOKERSDK_CLIENT_SECRET", R(ALNUM, 24), S))),
    ("segment-token", one("SEGMENT_PUBLIC_API_TOKEN", lambda r: "sgp_" + rs(r, ALNUM, 64))),
    ("mixpanel", one("MIXPANEL_API_SECRET", R(HEX, 32))),
    ("amplitude", pair(("AMPLITUDE_API_KEY", R(HEX, 32), N), ("AMPLITUDE_SECRET_KEY", R(HEX, 32), S))),
    ("honeycomb", one("HONEYCOMB_API_KEY", R(ALNUM, 22))),
    ("frameio", one("FRAMEIO_TOKEN", R(URLSAFE, 64, "fio-u-"))),
    ("expo-access", one("EXPO_ACCESS_TOKEN", R(URLSAFE, 40))),
    ("akamai", pair(("AKAMAI_CLIENT_TOKEN", lambda r: f"akab-{rs(r, LO + DIG, 16)}-{rs(r, LO + DIG, 16)}", S), ("AKAMAI_CLIENT_SECRET", lambda r: b64bytes(r, 32), S))),
    ("openai-org-admin", one("OPENAI_ADMIN_KEY", lambda r: "sk-admin-" + rs(r, URLSAFE, 58) + "T3BlbkFJ" + rs(r, URLSAFE, 58))),
    ("voyage", one("VOYAGE_API_KEY", R(URLSAFE, 43, "pa-"))),
    ("deepseek", one("DEEPSEEK_API_KEY", R(HEX, 32, "sk-"))),
    ("stability", one("STABILITY_API_KEY", R(ALNUM, 48, "sk-"))),
    ("jwt-generic", one("JWT_SIGNING_SECRET", lambda r: b64bytes(r, 48))),
    ("service-jwt", one("INTERNAL_API_TOKEN", lambda r: jwt(r, {"sub": "svc-" + rs(r, LO, 6), "scope": "admin", "iat": 1710000000}))),
]


def provider_names() -> list[str]:
    return [p for p, _ in PROVIDERS]
