"""Small pure predicates that drop false positives.

``placeholder_reason`` applies to every rule (unless the rule says
``filters: false``); ``generic_reason`` adds the heuristics for keyword/value
rules (``generic: true``), where most matches in real code are not secrets.
Each returns ``None`` to keep the match or a short reason to drop it.
"""
from __future__ import annotations

from urllib.parse import unquote

import regex

from leakguard.entropy import shannon

# Vendors' documented example credentials.
VENDOR_EXAMPLES = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    "xoxb-not-a-real-token-this-will-not-work",
})

_TEMPLATE = regex.compile(
    r"""(?x)
      \$\{ [^}]* \}?            # ${VAR} ${VAR:-x}
    | \$\( [^)]* \)?            # $(VAR) $(command)
    | \{\{ .*? (?:\}\}|$)       # {{ var }}  {{resolve:...}}
    | \{% .*? %\}
    | <%=? .*? %>
    | %\( \w+ \)[sdr]           # %(name)s
    | %\{ \w+ \}                # %{name}
    | \#\{ [^}]* \}?            # #{ruby} #{spel}
    | @\{ [^}]* \}?
    | (?<![\w%])%[A-Za-z_][\w]*%(?!\w)   # %VAR%
    | ^\$[A-Za-z_]\w*$          # $VAR
    | ^\$\{?\d\}?$
    | ^<[^<>]{1,60}>$           # <your-key>
    | ^\[[^\[\]]{1,60}\]$       # [YOUR KEY]
    | ^\{[A-Za-z0-9_.\s-]{1,60}\}$   # {password} {0}
    | ENC\[ | \$ANSIBLE_VAULT | ^vault: | ^!(?:Ref|Sub|GetAtt|ImportValue|FindInMap)\b
    | ^arn:aws:(?:secretsmanager|ssm): | \{\{resolve: | ^ssm:/ | \$\{ssm: | ^sops: | ^AQICAH
    """,
)
_PLACEHOLDER_WORDS = regex.compile(
    r"""(?ix)
    (?:^|[^a-z])(?:
        example|sample|dummy|placeholder|redacted|censored|replace[_-]?me|change[_-]?me|changeit
      | your[_\-\s]?(?:own[_\-\s]?)?(?:api[_-]?)?(?:key|token|secret|password|pass|pwd)
      | (?:insert|enter|put|add)[_\-\s]?(?:your|here|key|token|secret|password)
      | (?:key|token|secret|password)[_\-\s]?here
      | not[_-]?a[_-]?real | fake | lorem | todo | fixme | tbd
      | x{4,} | \*{3,} | •{3,} | _{4,}
    )
    | \.{3,} | …                      # truncated in docs: eyJ2Ijoi...
    """,
)
_ALL_SAME = regex.compile(r"^(.)\1+$")


def is_template(value: str) -> bool:
    return bool(_TEMPLATE.search(value))


def is_sequential(value: str) -> bool:
    """'abcdef', '123456', 'ABCDEFGH...', '0123456789abcdef' and friends."""
    low = value.lower()
    if len(low) < 4:
        return False
    for alphabet in ("abcdefghijklmnopqrstuvwxyz", "0123456789abcdef", "0123456789",
                     "1234567890", "qwertyuiop", "asdfghjkl", "zyxwvutsrqponmlkjihgfedcba",
                     "9876543210"):
        if low in alphabet or alphabet.startswith(low):
            return True
    stripped = regex.sub(r"[^a-z0-9]", "", low)
    return len(stripped) >= 8 and any(
        stripped in a * 3 for a in ("abcdefghijklmnopqrstuvwxyz0123456789", "0123456789abcdef")
    )


def ascending_coverage(value: str) -> float:
    """Share of characters inside runs of 3+ consecutive ascending characters
    ('abcd1234defg5678' -> 1.0): high for keyboard-made placeholders, near 0
    for generated tokens."""
    low = value.lower()
    if not low:
        return 0.0
    covered, run = 0, 1
    for a, b in zip(low, low[1:]):
        if ord(b) == ord(a) + 1 and a.isalnum() and b.isalnum():
            run += 1
            continue
        if run >= 3:
            covered += run
        run = 1
    if run >= 3:
        covered += run
    return covered / len(low)


def is_low_variety(value: str) -> bool:
    """One or two characters repeated: 'xxxxxxxx', '00000000', 'abababab'."""
    return len(value) >= 4 and (bool(_ALL_SAME.match(value)) or len(set(value)) <= 2 and len(value) >= 6)


# Whole values that are documentation staples, never real credentials.
SAMPLE_VALUES = frozenset({
    "tiger", "scott", "hunter2", "password", "passw0rd", "p@ssw0rd", "p@ssword", "secret", "s3cr3t", "changeme",
    "change_me", "changeit", "admin", "root", "toor", "postgres", "mysql", "guest", "pass", "pwd", "test",
    "example", "letmein", "welcome", "qwerty", "foobar", "foo", "bar", "user", "username", "mypassword",
    "yourpassword", "your_password", "mysecret", "supersecret", "secretpassword", "password1", "password123",
    "admin123", "root123", "test123", "pass123", "12345", "123456", "1234567", "12345678", "123456789",
    "passphrase", "testing", "testpass", "testpassword", "secretkey", "apikey", "api_key", "token", "mytoken",
    "masterkey",  # Firebird's default
})


MANAGED_REFERENCE = "managed reference"  # already in Secrets Manager / Parameter Store (counted in Stats)
_MANAGED = regex.compile(
    r"""(?ix)
      \{\{resolve:(?:secretsmanager|ssm-secure|ssm): | \$\{ssm: | \$\{[\w-]+:ssm: | ^ssm:/
    | ^arn:aws[\w-]*:(?:secretsmanager:[\w-]*:\d*:secret:|ssm:[\w-]*:\d*:parameter/)
    | /aws/reference/secretsmanager/ | ^aws-(?:secretsmanager|parameterstore):
    """,
)


def is_managed_reference(value: str) -> bool:
    """A value that points at Secrets Manager or Parameter Store instead of holding a secret."""
    return bool(_MANAGED.search(value))


_MARKUP = regex.compile(r"</?[a-z]+[ >]|&(?:quot|lt|gt|#\d+);", regex.I)  # (&amp; is XML's own escape)
_PASSWORDISH = regex.compile(r"(?i)passw(?:or)?d|pass.word|^pass(?:\w{0,4}$|[^a-z])|[^a-z]pass$")


def placeholder_reason(secret: str) -> str | None:
    if not secret.strip():
        return "empty"
    if _MARKUP.search(secret):
        return "markup"  # HTML-rendered documentation: 'pass</pre>', 'password&quot;'
    plain = unquote(secret) if "%" in secret else secret
    if _PASSWORDISH.search(plain.translate(_LEET)):
        return "placeholder"  # 'secured_password', 'P@55w0rd!', 'some_pass', 'pass%2Bword'
    secret = plain
    if secret in VENDOR_EXAMPLES:
        return "vendor example"
    if secret.lower() in SAMPLE_VALUES or regex.sub(r"[^a-z0-9]", "", secret.lower()) in SAMPLE_VALUES:
        return "sample value"
    if len(secret) < 4:
        return "too short"
    if "EXAMPLE" in secret:
        return "vendor example"  # AWS documentation marks every sample key this way
    if is_managed_reference(secret):
        return MANAGED_REFERENCE
    if is_template(secret):
        return "template or reference"
    if _PLACEHOLDER_WORDS.search(secret):
        return "placeholder"
    if is_low_variety(secret):
        return "repeated characters"
    if is_sequential(secret) or len(secret) >= 6 and ascending_coverage(secret) >= 0.5:
        return "sequential"
    return None


def weak_reason(secret: str) -> str | None:
    """Why a value is a weak (guessable, dictionary-like) secret, or None."""
    return None


# ---------------------------------------------------------------- generic rules

_UUID = regex.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HASH_PREFIX = regex.compile(
    r"^(?:\$2[abxy]?\$\d\d\$|\$argon2(?:id|i|d)\$|\$[156]\$|\$apr1\$|\{(?:SSHA|SHA|MD5|CRYPT|SSHA256|SSHA512)\}"
    r"|pbkdf2_sha\d+\$|sha\d+\$|bcrypt\$|md5\$|scrypt:|sha(?:1|256|384|512)-[A-Za-z0-9+/=]{20,}$)"
)
_HEX_DIGEST = regex.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$")
_CODE_REFERENCE = regex.compile(
    r"""(?x)
      ^(?:os\.)?(?:environ|getenv|env)\b | process\.env | import\.meta\.env | \bENV\[ | \bSystem\.getenv
    | Environment\.GetEnvironmentVariable | \bgetenv\( | \bsettings\. | \bconfig\.|\bconf\. | \bsecrets\.
    | \bvars\. | \bparams\. | \bargs\. | \bopts\. | \boptions\. | \bself\. | \bthis\. | \brequest\.
    | \bctx\. | \bcontext\. | ^[\w.]+\( | ^[A-Za-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+$ | ^\w+\[
    | ^(?=[^\[]*\[)[A-Za-z_]\w*(?:\[[^\]]*\])*(?:\.[A-Za-z_]\w*(?:\[[^\]]*\])*)+$   # JMESPath: a.b[-1].c
    """,
)
# Words that stand for a type, a flag or a field rather than a value. (Sample
# passwords such as 'changeit' are SAMPLE_VALUES, which placeholder_reason
# drops for every rule before generic_reason runs.)
_LITERAL_WORDS = frozenset({
    "none", "null", "nil", "undefined", "true", "false", "yes", "no", "on", "off", "empty",
    "required", "optional", "string", "str", "int", "bool", "object", "any", "text", "varchar",
    "passwd", "key", "auth", "credential", "credentials", "private", "public", "hidden", "masked",
    "unset", "default", "value", "values", "env", "environment", "config", "demo", "bearer", "basic",
    "oauth", "oauth2", "jwt", "sha256", "md5", "secret_key", "access_token", "refresh_token",
    "client_secret", "id_token", "secret123", "topsecret", "baz", "abc",
})
_SECRET_WORDS = regex.compile(r"(?i)pass(?:word|wd)?|pwd|secret|token|api[_-]?key|credential|private[_-]?key")
_ENV_NAME = regex.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATHLIKE = regex.compile(r"^(?:~?/|\./|\.\./|[A-Za-z]:\\|file:)|\.(?:pem|key|crt|cer|p12|pfx|json|ya?ml|txt|env|cfg|conf|ini|der|jks|keystore|gpg|asc)$")
_URL_NO_CREDS = regex.compile(r"^[a-z][a-z0-9+.-]*://[^\s:@/]+(?:[:/][^\s@]*)?$", regex.I)
_IDENT_WORDS = regex.compile(r"^[a-z]+(?:[_-][a-z]+)+$|^[a-z]+(?:[A-Z][a-z]+)+$")
_FORMAT = regex.compile(r"%[-#0 +]*\d*[sdifx](?![A-Za-z0-9])|\{\d*\}|\{[a-z_]+\}|\?\?\?")
_INTERPOLATION = regex.compile(
    r"\{[A-Za-z_][\w.]*(?:\([^(){}]*\)|\[[^\]]*\])*(?:![rsa])?(?::[^{}]*)?\}"
    r"|\{[A-Za-z_][\w.]*\(?$"  # cut short inside an interpolation: id={env.lower(
)
_REGEXY = regex.compile(r"\\[wdsWDSbB]|\[\^|\]\{\d|\]\*|\]\+|\(\?[:P!=<]|\{\d+,\d*\}")
_HEADER_NAME = regex.compile(r"^[A-Z][a-z]+(?:-[A-Z][a-z]+)+$")
_LEET = str.maketrans({"4": "a", "@": "a", "0": "o", "3": "e", "1": "i", "5": "s", "$": "s", "7": "t"})
_WORDY = regex.compile(r"^(?:[A-Za-z][a-z]+[_.-]?)+\d{0,2}$")
_MASK = regex.compile(r"^[*•●xX#]+$|^\*+[^*]{0,4}$")


_NOT_SECRET_KEY = regex.compile(
    r"(?i)(?:by|com|sur|tres|over|under|mid)pass$|(?:page|next|continuation|pagination|csrf|xsrf|cursor|sync|cancel(?:lation)?|request|verify|verification|reset|confirm(?:ation)?)[_.-]?token$"
    r"|(?:public|publishable|pub|site|recaptcha[_.-]?site)[_.-]?key$|^(?:sort|primary|foreign|cache|partition|hash|map|dict|lookup|unique|index)[_.-]?key$"
    r"|(?:client|idempotency|marker|public[_.-]?key|identity|next|previous|prev|forward|backward|sequence|update|starting|start"
    r"|change|upload|state|work[_.-]?unit|continuation|cancel|delegation[_.-]?set)[_.-]?token$"
)


def generic_reason(secret: str, key: str | None, line: str) -> str | None:
    """Why a keyword=value match is not a secret, or None to report it."""
    if key and _NOT_SECRET_KEY.search(key):
        return "not a secret name"
    s = regex.sub(r"(?:\\[nrt])+$", "", secret.strip()).rstrip(",;")
    low = s.lower()
    if len(s) < 4:
        return "too short"
    if not any(ch.isalnum() for ch in s):
        return "punctuation"  # "%!*'();:@&=+$,/?#[]": a character set, not a secret
    if low in _LITERAL_WORDS or low.strip("'\"") in _LITERAL_WORDS:
        return "literal word"
    if _MASK.match(s):
        return "masked"
    if _UUID.match(s):
        return "uuid"
    if _HASH_PREFIX.match(s) or _HEX_DIGEST.match(s) and key and regex.search(r"(?i)hash|digest|sum|sha|md5|checksum|fingerprint", key):
        return "hash"
    if _CODE_REFERENCE.search(s):
        return "code reference"
    if _ENV_NAME.match(s):
        return "environment variable name"
    if _PATHLIKE.search(s):
        return "file path"
    if _URL_NO_CREDS.match(s):
        return "url"
    if _FORMAT.search(s) or _INTERPOLATION.search(s):
        return "format string"  # '%s', '{0}', f"session:{EMAIL}"
    if _REGEXY.search(s):
        return "regular expression"
    if s.startswith("arn:"):
        return "arn"
    if s.isalpha() and not (len(s) >= 16 and not s.islower() and not _IDENT_WORDS.match(s)):
        return "plain word"  # 'python', 'badpass', 'IAmSensitive': test and documentation values
    if _HEADER_NAME.match(s):
        return "header name"
    if any(ch.isspace() for ch in s):
        return "prose"  # generated secrets have no spaces; sentences and expressions do
    if regex.search(r"(?i)secret", s.translate(_LEET)):
        return "placeholder"  # mysecretvalue, s3cr3t-key: documentation values
    if regex.search(r";\s*[A-Za-z ]+=", s):
        return "connection string fragment"  # the connection-string rules extract the password itself
    if key and low.replace("-", "_") == key.lower().replace("-", "_"):
        return "value equals its name"
    if _IDENT_WORDS.match(s) and _SECRET_WORDS.search(s):
        return "field name"
    if s.isdigit() and len(s) < 8:
        return "number"
    if regex.fullmatch(r"[\d.,:_-]+", s) and not s.isdigit():
        return "number"
    if key and _is_token_key(key):
        # API keys and tokens are machine-made: long and varied.
        if len(s) < 32 and regex.fullmatch(r"[0-9a-f]+", s):
            return "short hex id"  # content hashes and ids; hex API keys are 32+
        if len(s) < 8 or shannon(s) < 2.5:
            return "not token-like"
        if len(s) < 32 and regex.fullmatch(r"[A-Za-z_.:-]+", s):
            return "word"  # names (NextToken, _sa_default), words: real tokens have digits
        if _WORDY.match(s):
            return "identifier"
    return None


def generic_weak_reason(secret: str, key: str | None) -> str | None:
    """Why a value that generic_reason keeps is still weak, or None."""
    return None


def _is_token_key(key: str) -> bool:
    k = key.lower()
    return not regex.search(r"pass|pwd", k) and bool(regex.search(r"token|api.?key|key$|secret|auth$|credentials?$", k))
