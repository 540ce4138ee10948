#!/usr/bin/env python3
"""Rebuild docs/data/peer-coverage.yaml from the peers' public catalogs.

This is a maintenance script, run by hand when a peer's catalog moves on; the
test suite never runs it (it needs local git mirrors of the peers' public
repositories).  It reads only *which* rules/detectors each peer ships by
default, never their patterns or examples:

  gitleaks     config/gitleaks.toml              [[rules]] id
  betterleaks  config/betterleaks.toml           [[rules]] id (not those with skipReport = true)
  kingfisher   data/rules/*.yml                  rules[].id  (file stem = provider)
  trufflehog   pkg/engine/defaults/defaults.go   imported pkg/detectors/<name>
  noseyparker  builtin/rulesets/default.yml      include_rule_ids (file stem of the rule = provider)

Every peer rule is mapped to a provider key (a compact lower-case slug); the
ALIASES table below merges keys that name the same provider.  The output
groups the peers' rule ids by provider.

usage: docs/data/extract_peer_catalogs.py MIRROR_ROOT > docs/data/peer-coverage.yaml
  MIRROR_ROOT holds <owner>+<name>/repo git directories (bare mirrors).
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

PEERS = {
    "gitleaks": ("gitleaks/gitleaks", "config/gitleaks.toml"),
    "betterleaks": ("betterleaks/betterleaks", "config/betterleaks.toml"),
    "kingfisher": ("mongodb/kingfisher", "data/rules/"),
    "trufflehog": ("trufflesecurity/trufflehog", "pkg/engine/defaults/defaults.go"),
    "noseyparker": (
        "praetorian-inc/noseyparker",
        "crates/noseyparker/data/default/builtin/rulesets/default.yml",
    ),
}

# compound words that name a credential type rather than a provider; stripped
# from the end of compact names (trufflehog detectors, kingfisher files)
COMPACT_TYPE_WORDS = [
    "personalaccesstoken", "accesstoken", "refreshtoken", "apitoken", "apikey", "adminkey",
    "projectkey", "userkey", "secretkey", "privatekey", "accesskey", "authtoken", "oauth2",
    "oauth", "token", "key", "secret",
]
# dash-separated words that name a credential type (popped from the end of
# gitleaks/betterleaks ids)
TYPE_WORDS = [
    "personalaccesstoken", "accesstoken", "refreshtoken", "apitoken", "apikey", "adminkey",
    "projectkey", "userkey", "secretkey", "privatekey", "accesskey", "authtoken", "oauth2",
    "oauth", "webhook", "token", "secret", "apis", "api", "key", "keys", "pat", "id", "sid",
    "client", "access", "credentials", "credential", "password", "auth", "bearer",
    "personal", "app", "bot", "legacy", "session", "refresh", "user", "admin", "v1", "v2",
    "v3", "live", "test", "prod", "account", "service", "jwt", "url",
]

# provider keys that name the same issuer -> canonical key
ALIASES = {
    "adafruit": "adafruitio", "adobeio": "adobe", "airbrakeproject": "airbrake",
    "airtableoauth": "airtable", "airtablepersonal": "airtable", "algoliaadmin": "algolia",
    "alibabacloud": "alibaba", "amplitude": "amplitude", "asanaoauth": "asana",
    "atlassianjira": "atlassian", "jira": "atlassian", "confluence": "atlassian",
    "azuredevops": "azuredevops", "azurestorage": "azure", "azureopenai": "azureopenai",
    "azureentra": "azure", "azurecontainerregistry": "azure", "azurebatch": "azure",
    "azureapimanagement": "azure", "azurecosmosdb": "azure", "azuresas": "azure",
    "azuresearchquery": "azure", "azuresearchadmin": "azure", "azureappconfig": "azure",
    "azurefunction": "azure", "azuredirectmanagement": "azure", "azuread": "azure",
    "bitbucketapp": "bitbucket", "bitly": "bitly", "bitlyaccesstoken": "bitly",
    "boxcom": "box", "calendlyapikey": "calendly", "clojarsapi": "clojars",
    "cloudflareapi": "cloudflare", "cloudflareglobal": "cloudflare", "cloudflareca": "cloudflare",
    "cloudflareorigin": "cloudflare", "crates": "cratesio", "cratesio": "cratesio",
    "databricksapi": "databricks", "datadogapi": "datadog", "digitalocean": "digitalocean",
    "digitaloceanv2": "digitalocean", "docker": "dockerhub", "dockerhubpat": "dockerhub",
    "dropboxlonglived": "dropbox", "dropboxshortlived": "dropbox", "dropboxapi": "dropbox",
    "facebookpage": "facebook", "facebookoauth": "facebook", "fbaccess": "facebook",
    "fastlyapi": "fastly", "flutterwavepublic": "flutterwave", "gcp": "google",
    "gcpapplicationdefault": "google", "googleoauth": "google", "googleapi": "google",
    "googlecloud": "google", "googlegemini": "google", "gemini": "google",
    "githubapp": "github", "githubfinegrained": "github", "githuboauth": "github",
    "githubfinegrainedpat": "github", "gitlabrunner": "gitlab", "gitlabpipeline": "gitlab",
    "gitlabdeploy": "gitlab", "gitlabfeed": "gitlab", "gitlabkas": "gitlab", "gitlabcicd": "gitlab",
    "gitlabincomingmail": "gitlab", "gitlabfeature": "gitlab", "gitlabscim": "gitlab",
    "grafanacloud": "grafana", "grafanaserviceaccount": "grafana", "hashicorpvault": "vault",
    "hashicorptf": "terraform", "hashicorpterraform": "terraform", "terraformcloud": "terraform",
    "vaultbatch": "vault", "vaultservice": "vault", "herokuv2": "heroku",
    "huggingfaceaccess": "huggingface", "huggingfaceorganization": "huggingface",
    "intercomapi": "intercom", "jfrog": "artifactory", "jfrogartifactory": "artifactory",
    "kubernetesconfig": "kubernetes", "kubeconfig": "kubernetes", "linearapi": "linear",
    "linkedinclient": "linkedin", "mailchimpapi": "mailchimp", "mailgunprivate": "mailgun",
    "mailgunpublic": "mailgun", "mailgunsigning": "mailgun", "mapboxapi": "mapbox",
    "mattermostaccess": "mattermost", "microsoftteams": "microsoftteams", "msteams": "microsoftteams",
    "newrelicbrowser": "newrelic", "newrelicinsert": "newrelic", "newrelicpersonal": "newrelic",
    "newrelicinsights": "newrelic", "newrelicuser": "newrelic", "npmaccess": "npm",
    "nugetapi": "nuget", "oktaapi": "okta", "openaiadmin": "openai", "openaiproject": "openai",
    "particleio": "particle", "planetscaleapi": "planetscale", "planetscaleoauth": "planetscale",
    "postmanapi": "postman", "pulumiapi": "pulumi", "pypiupload": "pypi", "rubygemsapi": "rubygems",
    "sauce": "saucelabs", "sendgridapi": "sendgrid", "sendinblue": "brevo", "sendinblueapi": "brevo",
    "shopifyshared": "shopify", "shopifycustom": "shopify", "shopifyprivate": "shopify",
    "slackapp": "slack", "slackbot": "slack", "slackconfig": "slack", "slackuser": "slack",
    "slackwebhook": "slack", "slacklegacy": "slack", "slackconfigurationrefresh": "slack",
    "slackconfiguration": "slack", "sonar": "sonarqube", "sonarcloud": "sonarqube",
    "squareaccess": "square", "squareapp": "square", "squareup": "square",
    "stripeapi": "stripe", "stripepayment": "stripe", "stripewebhook": "stripe",
    "sumologic": "sumologic", "sumologicaccess": "sumologic", "telegrambot": "telegram",
    "travisci": "travisci", "travis": "travisci", "twilioapi": "twilio",
    "twitchapi": "twitch", "twitteraccess": "twitter", "twitterbearer": "twitter",
    "twitterconsumer": "twitter", "typeformapi": "typeform", "vercelapi": "vercel",
    "yandexaws": "yandex", "yandexapi": "yandex", "zendesksecret": "zendesk",
    "privatekey": "privatekey", "pem": "privatekey", "pkcs12": "privatekey",
    "ssh": "privatekey", "jdbc": "jdbc", "mongo": "mongodb", "mongodbatlas": "mongodb",
    "postgresql": "postgres", "uri": "genericurl", "ftp": "ftp", "ldap": "ldap",
    "sqlserver": "sqlserver", "mssql": "sqlserver", "rabbitmq": "amqp",
    "anthropicadmin": "anthropic", "cohereapi": "cohere", "groqapi": "groq",
    "perplexityapi": "perplexity", "deepseekapi": "deepseek", "xai": "xai",
    "googlemaps": "google", "firebase": "google", "gcpserviceaccount": "google",
    "awssessiontoken": "aws", "amazon": "aws", "awsmws": "aws", "appsync": "aws",
    "awsappsync": "aws", "awsbedrock": "aws", "bedrock": "aws",
    "atlassianapi": "atlassian", "discordbot": "discord", "discordwebhook": "discord",
    "discordclient": "discord", "easypostapi": "easypost", "frameio": "frameio",
    "dynatraceapi": "dynatrace", "doppler": "doppler", "dopplerapi": "doppler",
    "zapierwebhook": "zapier", "netlifyapi": "netlify", "herokuapi": "heroku",
    "ciscomeraki": "meraki", "1passwordservice": "1password", "onepassword": "1password",
    "airtablepersonnal": "airtable", "datadogapplication": "datadog", "contentfuldelivery": "contentful",
    "braintreepayments": "braintree", "dockerhuborganization": "dockerhub", "artifactoryreference": "artifactory",
    "artifactoryjfrog": "artifactory", "jfrogidentity": "artifactory", "fastlypersonal": "fastly",
    "fullstoryv2": "fullstory", "clickuppersonal": "clickup", "ibm": "ibmcloud", "cloudflareoriginca": "cloudflare",
    "gitlabcicdjob": "gitlab", "gitlabfeatureflag": "gitlab", "gitlabkubernetesagent": "gitlab",
    "gitlabpatroutable": "gitlab", "gitlabpatroutableversioned": "gitlab", "gitlabptt": "gitlab", "gitlabrrt": "gitlab",
    "gitlabrunnerauthentication": "gitlab", "gitlabrunnerauthenticationtokenroutable": "gitlab",
    "gitlabsessioncookie": "gitlab", "couchbasecapella": "couchbase", "configcatsdk": "configcat",
    "configcatsdkkeyextended": "configcat", "figmapersonalaccessheader": "figma",
    "awsamazonbedrockapikeylonglived": "aws", "awsamazonbedrockapikeyshortlived": "aws",
    "azureappconfigconnectionstring": "azure", "azureappconfigurationconnectionstring": "azure",
    "azureservicebusconnectionstring": "azure", "azureapimanagementsubscription": "azure",
    "azurestorageaccountname": "azure", "azuretenant": "azure", "azuresearch": "azuresearch",
    "devcycleclientsdk": "devcycle", "devcyclemobilesdk": "devcycle", "devcycleserversdk": "devcycle",
    "dockerswarmjoin": "dockerswarm", "dockerswarmunlock": "dockerswarm", "circleciproject": "circleci",
    "etsyopen": "etsy", "aikidoci": "aikido", "alibabasts": "alibaba", "alibabastssecurity": "alibaba",
    "gcpgemini": "google", "gcpapplicationdefaultcredentials": "google", "hashicorpvaultauth": "vault",
    "slacklegacyworkspace": "slack", "slacksessioncookie": "slack", "snowflakeaccounthost": "snowflake", "snowflakeprogrammatic": "snowflake",
    "snowflakeprogrammaticaccesstoken": "snowflake", "supabasemanagement": "supabase", "supabaseproject": "supabase",
    "tableaupersonalaccesstoken": "tableau", "tableaupersonalaccesstokenname": "tableau", "tableauserverhost": "tableau",
    "pubnubpublish": "pubnub", "pubnubsubscription": "pubnub", "posthogproject": "posthog",
    "polymarketaddress": "polymarket", "polymarketpassphrase": "polymarket", "polymarketprivate": "polymarket",
    "planetscaledb": "planetscale", "mailgunpub": "mailgun", "lobpub": "lob", "restpackhtmltopdf": "restpack",
    "restpackscreenshot": "restpack", "sourcegraphcody": "sourcegraph", "splunkobservability": "splunk",
    "stripepaymentintent": "stripe", "mongodbconnectionstring": "mongodb", "vercelaigateway": "vercel",
    "vercelintegration": "vercel", "kubernetessecretyaml": "kubernetes", "jwtbase64": "jwt", "pkcs12file": "privatekey",
    "priv": "privatekey", "private": "privatekey", "langchainlangsmith": "langsmith", "larksuite": "lark",
    "linenotify": "line", "sslmateapikey": "sslmate", "telnyxapiv2key": "telnyx", "pineconeapikey": "pinecone",
    "tailscaleapikey": "tailscale", "rootlyapikey": "rootly", "mailjetsms": "mailjet", "mailjetbasicauth": "mailjet", "closecrm": "close", "bitbucketapppassword": "bitbucket",
}

# ids that are not provider credentials at all (generic detectors): kept under
# their own keys so the table shows them honestly
GENERIC_KEYS = {"generic", "genericapi", "genericcredential", "genericpassword", "curl"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def strip_types(name: str) -> str:
    """'airtablepersonalaccesstoken' -> 'airtable' (never below 3 characters)."""
    changed = True
    while changed:
        changed = False
        for word in sorted(COMPACT_TYPE_WORDS, key=len, reverse=True):
            if name.endswith(word) and len(name) - len(word) >= 3:
                name = name[: -len(word)]
                changed = True
                break
    return name


def canonical(key: str) -> str:
    key = ALIASES.get(key, key)
    return key


def from_gitleaks_id(rule_id: str) -> str:
    parts = re.sub(r"\.\d+$", "", rule_id).lower().split("-")
    while len(parts) > 1 and parts[-1] in TYPE_WORDS:
        parts.pop()
    return canonical(slug("".join(parts)))


def toml_rule_ids(text: str) -> list[str]:
    """The ids of the rules that report findings. A rule marked `skipReport = true`
    (betterleaks: a client id, host name or second secret that a composite rule
    requires) reports nothing on its own: the composite rule that requires it reports
    it, and that rule's id already stands for the provider."""
    ids = []
    in_rule, rid, skip = False, "", False

    def close() -> None:
        if in_rule and rid and not skip:
            ids.append(rid)

    for line in text.splitlines():
        if line.startswith("["):
            close()
            in_rule, rid, skip = line.strip() == "[[rules]]", "", False
            continue
        if in_rule:
            m = re.match(r'\s*id\s*=\s*"([^"]+)"', line)
            if m and not rid:
                rid = m.group(1)
            if re.match(r"\s*skipReport\s*=\s*true\b", line):
                skip = True
    close()
    return ids


def collect(root: Path) -> tuple[dict[str, dict[str, list[str]]], dict[str, dict[str, str]]]:
    table: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    sources: dict[str, dict[str, str]] = {}
    for peer, (repo_name, path) in PEERS.items():
        repo = root / repo_name.replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", "HEAD").strip()
        sources[peer] = {"repo": repo_name, "commit": commit, "path": path}
        if peer in ("gitleaks", "betterleaks"):
            for rid in toml_rule_ids(git(repo, "show", f"HEAD:{path}")):
                table[from_gitleaks_id(rid)][peer].append(rid)
        elif peer == "kingfisher":
            for name in git(repo, "ls-tree", "--name-only", f"HEAD:{path}").split():
                if not name.endswith((".yml", ".yaml")):
                    continue
                data = yaml.safe_load(git(repo, "show", f"HEAD:{path}{name}")) or {}
                stem = slug(name.rsplit(".", 1)[0])
                key = canonical(stem if stem in ALIASES else strip_types(stem))
                for rule in data.get("rules") or []:
                    table[key][peer].append(str(rule["id"]))
        elif peer == "trufflehog":
            seen = set()
            for m in re.finditer(r"pkg/detectors/([a-z0-9_]+)", git(repo, "show", f"HEAD:{path}")):
                name = m.group(1)
                if name in seen:
                    continue
                seen.add(name)
                s = slug(name)
                key = canonical(s if s in ALIASES else strip_types(s))
                table[key][peer].append(name)
        elif peer == "noseyparker":
            default = yaml.safe_load(git(repo, "show", f"HEAD:{path}"))
            wanted = set(default["rulesets"][0]["include_rule_ids"])
            rules_dir = "crates/noseyparker/data/default/builtin/rules/"
            for name in git(repo, "ls-tree", "--name-only", f"HEAD:{rules_dir}").split():
                data = yaml.safe_load(git(repo, "show", f"HEAD:{rules_dir}{name}")) or {}
                stem = slug(name.rsplit(".", 1)[0].replace(".io", "io"))
                for rule in data.get("rules") or []:
                    if rule["id"] not in wanted:
                        continue
                    rname = slug(rule.get("name", ""))
                    key = stem
                    # the rule's name often names a more specific provider (aws.yml holds AppSync)
                    for alias, target in ALIASES.items():
                        if rname.startswith(alias) and len(alias) > len(key):
                            key = target
                    table[canonical(key)][peer].append(str(rule["id"]))
    return table, sources


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    table, sources = collect(Path(sys.argv[1]))
    providers = []
    for key in sorted(table):
        entry: dict[str, object] = {"key": key}
        for peer in PEERS:
            if table[key].get(peer):
                entry[peer] = sorted(set(table[key][peer]))
        providers.append(entry)
    header = (
        "# Which providers / credential types each peer scanner detects by default.\n"
        "# Generated by docs/data/extract_peer_catalogs.py from the peers' public catalogs\n"
        "# (the rule/detector ids only; no pattern or example is copied), then curated:\n"
        "# `name` is the display name, `leakguard` lists extra provider names or rule-id\n"
        "# prefixes that map leakguard rules to the row. docs/coverage.md is generated from\n"
        "# this file and the rule pack by `leakguard rules coverage`.\n"
    )
    body = yaml.safe_dump({"sources": sources, "providers": providers}, sort_keys=False, width=100)
    sys.stdout.write(header + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
