"""Names for secrets and parameters: ``<project>/<env>/<key>`` (Secrets Manager)
and ``/<project>/<env>/<key>`` (Parameter Store), deterministic, valid for
each service's naming rules (see docs/remediation.md)."""
from __future__ import annotations

import hashlib
import os

import regex

from leakguard.keypath import GENERIC_KEYS

DEFAULT_TEMPLATE = "{project}/{env}/{key}"

# Canonical environment -> tokens that mean it, in the order they are tried.
_ENVS: tuple[tuple[str, frozenset[str]], ...] = (
    ("production", frozenset({"production", "prod", "prd", "live"})),
    ("staging", frozenset({"staging", "stage", "stg"})),
    ("development", frozenset({"development", "dev", "local"})),
    ("test", frozenset({"test", "qa"})),
)
_ENV_DIRS = frozenset({"envs", "environments", "env", "workspaces", "overlays"})
_GENERIC_KEYS = GENERIC_KEYS
_BORING_STEMS = frozenset({
    "", "config", "configs", "settings", "env", "application", "app", "values", "secrets",
    "credentials", "index", "main", "default", "local", "production", "prod", "staging", "dev",
})
_SM_OK = regex.compile(r"[^A-Za-z0-9/_+=.@-]")
_PS_OK = regex.compile(r"[^A-Za-z0-9_.-]")
_SM_SUFFIX_LIKE = regex.compile(r"-[A-Za-z0-9]{6}$")
_ASSIGN = regex.compile(r"""^\s*(?:(?:export|set|const|let|var|final|static|private|public|readonly)\s+)*(?:-\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*(?::=|=(?!=)|:(?!//)|=>)""")
# {"name": "DB_PASSWORD", "value": "..."} (ECS task definitions, Kubernetes env, CloudFormation Environment)
_NAME_VALUE = regex.compile(r"""["']?(?:name|Name)["']?\s*[:=]\s*["']?([A-Za-z_][\w.-]*)["']?\s*,\s*["']?(?:value|Value)["']?\s*[:=]""")
SM_MAX = 512
PS_MAX = 1011 - len("arn:aws-us-gov:ssm:ap-southeast-2:111122223333:parameter/")
PS_MAX_DEPTH = 15


def slugify(text: str) -> str:
    return regex.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def detect_env(path: str) -> str | None:
    """The environment a path evidently belongs to, or None (never a guess)."""
    parts = [p for p in regex.split(r"[/\\]", path.lower()) if p]
    for i, part in enumerate(parts[:-1]):
        if part in _ENV_DIRS and i + 1 < len(parts) - 1:
            return _canonical_env(parts[i + 1])
    tokens = {t for p in parts for t in regex.split(r"[._\-]", p) if t}
    for env, words in _ENVS:
        if tokens & words:
            return env
    return None


def _canonical_env(token: str) -> str:
    for env, words in _ENVS:
        if token in words:
            return env
    return slugify(token) or "default"


def key_from_line(line: str) -> str | None:
    """The assignment target at the start of a line (``DATABASE_URL=...``)."""
    nv = _NAME_VALUE.search(line)
    if nv:
        return nv.group(1)
    m = _ASSIGN.match(line)
    return m.group(1) if m else None


def key_slug(key: str | None, path: str, fallback: str) -> str:
    """``STRIPE_SECRET_KEY`` -> ``stripe-secret-key``; a generic key (``password``)
    gets its parent key (``database.password`` -> ``database-password``), else
    the file stem or directory (``password`` in config/db.yml -> ``db-password``)."""
    parts = [s for s in (slugify(p) for p in (key or "").split(".")) if s]
    if not parts:
        return fallback
    slug = parts[-1]
    if slug not in _GENERIC_KEYS:
        return slug
    if len(parts) >= 2:
        return f"{parts[-2]}-{slug}"
    for candidate in (_stem(path), os.path.basename(os.path.dirname(path))):
        c = slugify(candidate)
        if c and c not in _BORING_STEMS:
            return f"{c}-{slug}"
    return slug


def _stem(path: str) -> str:
    base = os.path.basename(path)
    while "." in base.strip("."):
        base = base.rsplit(".", 1)[0]
    return base.strip(".")


def project_name(root: str) -> str:
    """The repository directory's name (the work tree top, if inside one)."""
    d = os.path.abspath(root or ".")
    if os.path.isfile(d):
        d = os.path.dirname(d)
    probe = d
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            d = probe
            break
        up = os.path.dirname(probe)
        if up == probe:
            break
        probe = up
    return slugify(os.path.basename(d)) or "app"


def base_name(template: str, project: str, env: str | None, key: str) -> str:
    try:
        raw = template.format(project=project, env=env or "", key=key)
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"bad name template {template!r}: use {{project}}, {{env}} and {{key}} ({e})") from None
    return regex.sub(r"/{2,}", "/", raw).strip("/")


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9].rstrip("/-_") + "_" + digest


def sm_name(base: str) -> str:
    """A valid Secrets Manager name: allowed characters, no leading '/', at most
    512 characters, and never ending like the random ``-abc123`` ARN suffix."""
    name = _SM_OK.sub("-", base).strip("/") or "secret"
    name = _shorten(name, SM_MAX)
    if _SM_SUFFIX_LIKE.search(name):
        name = name[:-7] + "_" + name[-6:]
    return name


def ps_name(base: str) -> str:
    """A valid Parameter Store name: ``/a/b/c``, at most 15 levels, no first
    level starting with aws or ssm, within the 1011-character ARN limit."""
    segs = [_PS_OK.sub("-", s).strip("-") or "x" for s in base.strip("/").split("/") if s]
    if not segs:
        segs = ["secret"]
    if segs[0].lower().startswith(("aws", "ssm")):
        segs[0] = "app-" + segs[0]
    if len(segs) > PS_MAX_DEPTH:
        segs = segs[: PS_MAX_DEPTH - 1] + ["-".join(segs[PS_MAX_DEPTH - 1:])]
    return "/" + _shorten("/".join(segs), PS_MAX)


def env_var_name(key: str | None, slug: str) -> str:
    if key and regex.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return key.upper() if key.isupper() or "_" in key else regex.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()
    return regex.sub(r"[^A-Z0-9]+", "_", slug.upper()).strip("_") or "SECRET"
