"""Small pure predicates that judge a candidate secret (docs/confidence.md).

Drop reasons, for true non-secrets only: ``placeholder_reason`` applies to
every rule (unless the rule says ``filters: false``); ``generic_reason`` adds
the heuristics for keyword/value rules (``generic: true``), where most matches
in real code are names, references and format strings.

Weakness, for values that are secrets but guessable or dictionary-like:
``weak_reason`` (every rule) and ``generic_weak_reason`` (generic rules). In a
credential position such a value is reported at low confidence
(leakguard.confidence); in a provider's token format it marks a stand-in.

Each returns ``None`` or a short reason.
"""
from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

import regex

from leakguard.entropy import shannon


class _lazy:  # noqa: N801 - used like regex.compile
    """A module pattern compiled on first use: every scan imports this module, and a clean
    scan calls few of these (compiling them all cost ~45 ms of start-up). The first use of a
    method (``search``, ``match``, ...) compiles the pattern and stores the compiled
    pattern's own bound method on this object, so later calls go straight to ``regex``."""

    def __init__(self, *args: Any) -> None:
        self._args = args

    def __getattr__(self, name: str) -> Any:  # only for names not set yet
        if name.startswith("_"):
            raise AttributeError(name)
        compiled = self.__dict__.get("_p")
        if compiled is None:
            compiled = self._p = regex.compile(*self._args)
        value = getattr(compiled, name)
        setattr(self, name, value)
        return value

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

_TEMPLATE = _lazy(
    r"""(?x)
      \$\{ [^}]* \}?            # ${VAR} ${VAR:-x}
    | \$\( [A-Za-z][\w.-]* (?:\)|\s|$) # $(VAR) $(command ...): a name or a command word ('$(_k#' is
                                #   a character pair of a generated key: Django's alphabet has both)
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
# Phrases that say "a secret goes here": long and specific, so they count wherever they start
# after a non-letter (random characters do not spell them).
_PLACEHOLDER_PHRASES = _lazy(
    r"""(?ix)
    (?:^|[^a-z])(?:
        your[_\-\s]?(?:own[_\-\s]?)?(?:api[_-]?)?(?:key|token|secret|password|pass|pwd)
      | your[_\-\s](?:[a-z0-9]+[_\-\s]){1,3}(?:key|token|secret|password|pass|pwd)   # your-256-bit-secret
      | (?:insert|enter|put|add)[_\-\s]?(?:your|here|key|token|secret|password)
      | (?:key|token|secret|password)[_\-\s]?here
      | not[_-]?a[_-]?real
      | \*{3,} | •{3,}
    )
    | ^_{4,} | _{4,}$ | _{6,}          # blanks to fill in: ____
    | (?:^[a-z]{1,8}|[a-z0-9])[_-](?-i:x{3,}|X{3,})$   # a prefix and a mask: hf_xxx, sk-xxx, ghp_xxxx
    | \.{3,} | …                      # truncated in docs: eyJ2Ijoi...
    """,
)
# Stand-in words. Random characters spell the short ones by chance (a 40-character token holds
# 'tbd' somewhere about once in 5,000), so a word counts only where it stands alone
# (_stands_alone): not glued to random letters or digits on either side.
_STAND_IN_WORDS = _lazy(
    r"(?i)tbd|todo|fixme|fake|dummy|lorem|x{4,}|example|sample|placeholder|redacted|censored"
    r"|replace[_-]?me|change[_-]?me|changeit"
)
# Long stand-in words (6+ letters): random characters hardly spell them (fewer than one random
# 40-character token in ten million holds 'sample' after a non-letter), so they also count after
# any non-letter, digits included, as AWS marks its documentation values: '…8f1f1example'.
_LONG_STAND_IN_WORDS = _lazy(
    r"(?i)(?:^|[^a-z])(?:example|sample|placeholder|redacted|censored|replace[_-]?me|change[_-]?me|changeit)"
)
_NOTE_WORDS = frozenset({"tbd", "todo", "fixme"})  # notes: delimited by punctuation or the value's edges only
# What a stand-in word glues to in a placeholder: 'fakekey123', 'dummytoken', 'examplesecretkey', 'loremipsum'
_GLUED_NOUNS = _lazy(
    r"(?i)(?:\d*(?:api|access|secret|private|auth|app|client|account|key|token|pass(?:word|wd|phrase)?|pwd|value"
    r"|creds?|credentials?|data|string|id|user(?:name)?|login|hash|salt|code|pin|ipsum|here)s?){1,3}\d*"
    r"(?![A-Za-z0-9])"
)
_GLUED_OWNER = _lazy(r"(?i)(?:^|[^A-Za-z0-9])(?:my|your|some|the|an?|this|use|not|no)[_-]?$")  # 'myfakekey', 'a_dummy'
_TRAILING_DIGITS = _lazy(r"\d+(?![A-Za-z0-9])")


def _stands_alone(value: str, start: int, end: int) -> bool:
    """The stand-in word ``value[start:end]`` is a word of its own, not characters of a random
    string: written in one case ('fake', 'FAKE', 'Fake'), and either most of the value with one
    side delimited ('AKIAXXXXXXXXXXXXXXXX', 'TODOabc') or delimited on both sides. A side is
    delimited by the value's edge or a non-alphanumeric character; by a case boundary between
    words ('myFake', 'ThisIsFake', 'dummyPassword'); on the left by an owner word ('myfake',
    'a_dummy'), on the right by digits up to the next delimiter ('fake123') or by credential
    nouns ('fakekey123', 'dummytoken'). Note words (tbd, todo, fixme) take only the edge,
    punctuation and trailing digits: 'xTbdQ' is chance."""
    word = value[start:end]
    if not _one_case(word):
        return False  # 'tBd', 'xxXX': random case
    note = word.lower() in _NOTE_WORDS
    before = value[start - 1] if start else ""
    rest = value[end:]
    left_edge = not before or not before.isalnum()
    right_edge = not rest or not rest[0].isalnum() or bool(_TRAILING_DIGITS.match(rest))
    if (left_edge or right_edge) and 2 * sum(ch.isalnum() for ch in word) >= sum(ch.isalnum() for ch in value):
        return True  # most of the value, from one of its edges: 'AKIAXXXXXXXXXXXXXXXX', 'TODOabc'
    if note:
        return left_edge and right_edge
    # a case boundary between words: a word of two letters or more, then the word capitalised or in
    # capitals ('myFake', 'ThisIsFake', 'isFAKE'); the word in lower case or capitalised, then a
    # capitalised word ('dummyPassword', 'FakeKey')
    left = left_edge or bool(_GLUED_OWNER.search(value[:start])) or (
        start >= 2 and value[start - 2].isalpha() and value[start - 1].islower() and word[0].isupper())
    return left and (right_edge or bool(_GLUED_NOUNS.match(rest)) or (
        not word.isupper() and len(rest) >= 3 and rest[0].isupper() and rest[1:3].isalpha() and rest[1:3].islower()))


def has_stand_in_word(value: str) -> bool:
    """A placeholder phrase ('your_api_key_here', 'insert-token-here'), or a stand-in word
    that stands alone ('fakekey123', 'sk_test_XXXXXXXX', 'dummyPassword', 'TBD'), in ``value``."""
    if _PLACEHOLDER_PHRASES.search(value) or _LONG_STAND_IN_WORDS.search(value):
        return True
    if len(value) >= 8 and regex.search(r"x{8,}|X{8,}", value):
        return True  # a long mask anywhere: sk-proj-abc123XXXXXXXX...
    return any(_stands_alone(value, m.start(), m.end()) for m in _STAND_IN_WORDS.finditer(value))


_ALL_SAME = _lazy(r"^(.)\1+$")


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


# Whole values that stand for "a password goes here": field names and
# documentation stand-ins, never somebody's password.
PLACEHOLDER_VALUES = frozenset({
    "password", "passwd", "secret", "changeme", "change_me", "changeit", "example", "foo", "bar", "foobar",
    "baz", "user", "username", "token", "apikey", "api_key", "pwd", "pw", "pass", "passphrase", "secretkey",
    "secret_key", "mytoken", "yourtoken", "your_token", "value", "xxx",
    # words that describe a value rather than being one: json={'password': 'wrong'} in a test
    "wrong", "invalid", "incorrect", "bogus", "nope",
    # 'password' in other languages: a translation file's label, not a password
    "passwort", "kennwort", "mot de passe", "contraseña", "contrasena", "senha", "wachtwoord", "parola",
    "parola d'ordine", "hasło", "haslo", "lösenord", "losenord", "adgangskode", "passord", "salasana", "heslo",
    "jelszó", "jelszo", "parolă", "parola", "şifre", "sifre", "kata sandi", "mật khẩu", "пароль", "密码", "密碼",
    "パスワード", "비밀번호", "סיסמה", "كلمة المرور", "κωδικός", "geslo", "lozinka", "slaptažodis", "parole",
})
# A field name with an optional owner, in any case or separator: 'db_pass', 'MyPassword', 'user-password',
# 'secured_password'. (Leetspeak forms such as 'P@ssw0rd' are somebody's weak password instead.)
_FIELD_SHAPED = _lazy(
    r"(?i)^(?:(?:my|your|the|some|a|new|old|current|db|database|user|admin|root|app|default|secured?|strong"
    r"|dummy|fake|test|sample|example|real|actual|super|master|account|login|wrong|bad|invalid|incorrect|bogus)"
    r"[_\-\s]?){0,2}"
    r"(?:password|passwd|pass|pwd|secret|token|api[_\-]?key|key|passphrase)$"
)
# Whole values that people really do use as passwords and that documentation
# loves: a leak of one is a weak password, reported at low confidence.
WEAK_VALUES = frozenset({
    "tiger", "scott", "hunter2", "passw0rd", "p@ssw0rd", "p@ssword", "s3cr3t", "admin", "root", "toor",
    "postgres", "mysql", "guest", "test", "letmein", "welcome", "qwerty", "mypassword", "yourpassword",
    "your_password", "mysecret", "supersecret", "secretpassword", "password1", "password123", "admin123",
    "root123", "test123", "pass123", "12345", "123456", "1234567", "12345678", "123456789", "testing",
    "testpass", "testpassword", "masterkey",  # Firebird's default
    "correcthorsebatterystaple",  # xkcd 936: a documentation staple
    "secret123", "topsecret", "hunter22", "iloveyou", "monkey", "dragon", "sunshine", "princess", "trustno1", "abc123",
})


MANAGED_REFERENCE = "managed reference"  # already in Secrets Manager / Parameter Store (counted in Stats)
_MANAGED = _lazy(
    r"""(?ix)
      \{\{resolve:(?:secretsmanager|ssm-secure|ssm): | \$\{ssm: | \$\{[\w-]+:ssm: | ^ssm:/
    | ^arn:aws[\w-]*:(?:secretsmanager:[\w-]*:\d*:secret:|ssm:[\w-]*:\d*:parameter/)
    | /aws/reference/secretsmanager/ | ^aws-(?:secretsmanager|parameterstore):
    """,
)


def is_managed_reference(value: str) -> bool:
    """A value that points at Secrets Manager or Parameter Store instead of holding a secret."""
    return bool(_MANAGED.search(value))


_MARKUP = _lazy(r"</?[a-z]+[ >]|&(?:quot|lt|gt|#\d+);", regex.I)  # (&amp; is XML's own escape)
_PASSWORDISH = _lazy(r"(?i)passw(?:or)?d|pass.word|^pass(?:\w{0,4}$|[^a-z])|[^a-z]pass$")


def placeholder_reason(secret: str, verified: bool = False) -> str | None:
    """Why a value is not a secret at all (a stand-in, a template, a
    reference, a vendor's example), or None. Applies to every rule.

    ``verified``: the value passed its format's checksum (GitHub, npm, PyPI...), so it was
    computed, not typed: a stand-in word inside it (``...9tBdBV`` holds "tbd") is chance,
    and only the checks that do not read words into random characters apply."""
    if not secret.strip():
        return "empty"
    if _MARKUP.search(secret):
        return "markup"  # HTML-rendered documentation: 'pass</pre>', 'password&quot;'
    plain = unquote(secret) if "%" in secret else secret
    if plain in VENDOR_EXAMPLES:
        return "vendor example"
    low = plain.lower()
    if low in PLACEHOLDER_VALUES or regex.sub(r"[^a-z0-9]", "", low) in PLACEHOLDER_VALUES:
        return "placeholder"
    if len(plain) < 4:
        return "too short"
    if "EXAMPLE" in plain:
        return "vendor example"  # AWS documentation marks every sample key this way
    if is_managed_reference(plain):
        return MANAGED_REFERENCE
    if is_template(plain):
        return "template or reference"
    if _FIELD_SHAPED.match(plain):
        return "field name"  # 'db_pass', 'MyPassword', 'secured_password'
    if not verified and has_stand_in_word(plain):
        return "placeholder"
    if is_low_variety(plain):
        return "repeated characters"
    return None


_MASK_ONLY = _lazy(r"^(?:[*•●]{3,}|[xX]{4,})$")


def credential_file_reason(secret: str) -> str | None:
    """Why a value in a credential file is not a credential, or None.

    A file whose whole purpose is to hold credentials (.netrc, .pgpass,
    .my.cnf...) holds credentials, whatever they look like: `changeme`,
    `password` and `pass123` there are somebody's password. Only what holds
    no secret at all is dropped: an empty value, a template or reference
    (`${VAR}`, `<password>`, `{{ var }}`), a managed reference, a vendor's
    documented example key, and a mask (`********`, `xxxx`)."""
    if not secret.strip():
        return "empty"
    plain = unquote(secret) if "%" in secret else secret
    if plain in VENDOR_EXAMPLES or plain.endswith("EXAMPLEKEY") or plain.endswith("EXAMPLE") and plain.startswith("AKIA"):
        return "vendor example"
    if is_managed_reference(plain):
        return MANAGED_REFERENCE
    if is_template(plain):
        return "template or reference"
    if _MASK_ONLY.match(plain):
        return "masked"
    pair = _basic_pair(plain)
    if pair is not None and (not pair[1] or credential_file_reason(pair[1]) or is_template(pair[0])):
        return "template or reference"  # base64 of '<username>:<password>' or 'ci:${TOKEN}' (_auth, "auth")
    return None


_B64_PAIR = _lazy(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")


def _basic_pair(value: str) -> tuple[str, str] | None:
    """(user, password) when the value is base64 of printable 'user:password' (a Docker or
    npm ``auth`` value), else None."""
    if len(value) < 8 or len(value) > 4096 or not _B64_PAIR.match(value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    if ":" not in text or not text.isprintable():
        return None
    user, _, password = text.partition(":")
    return user, password


def stand_in_reason(secret: str) -> str | None:
    """Why a value is a weak, guessable secret (a common password, a sequence,
    a variation on 'password'), or None.

    In a credential position such a value is still a leaked password and is
    reported at low confidence; in a provider's token format it marks a
    documentation stand-in."""
    plain = unquote(secret) if "%" in secret else secret
    low = plain.lower()
    if low in WEAK_VALUES or regex.sub(r"[^a-z0-9@]", "", low) in WEAK_VALUES:
        return "common password"
    # the word cased as words ('PASsWD' is chance); in a long token-shaped value only the whole word
    # ('...4fpaSSword...'), not a bare 'pass' at an edge ('...9wb2pas5': random characters, read in leet)
    token_shaped = len(plain) >= 24 and not any(ch.isspace() for ch in plain)
    if any(_word_cased(plain[m.start():m.end()]) and (not token_shaped or m.end() - m.start() >= 6)
           for m in _PASSWORDISH.finditer(plain.translate(_LEET))):
        return "password-like"  # 'Passw0rd!', 'pass123', 'D1fficultP@ssw0rd', 'mysecretpass'
    if is_sequential(plain) or len(plain) >= 6 and ascending_coverage(plain) >= 0.5:
        return "sequential"
    return None


def _one_case(word: str) -> bool:
    """'pass', 'PASS', 'Pass', 'P@ssw0rd': written as a word ('PASsWD' is random characters)."""
    return word.islower() or word.isupper() or word[:1].isupper() and word[1:].islower()


def _word_cased(text: str) -> bool:
    """Each word of camel-cased ``text`` in one case: 'PassWord', 'Pass@Word', 'pAsSwOrD' (a
    human's choices), not 'PASsWD' (capitals running into a lower-case letter: random)."""
    return all(_one_case(part) for part in regex.split(r"(?<=[^A-Z])(?=[A-Z])", text) if part)


def weak_reason(secret: str) -> str | None:
    """Why a value is a weak, guessable secret, or None: a stand-in
    (:func:`stand_in_reason`), or a variation on the word 'secret'."""
    reason = stand_in_reason(secret)
    if reason:
        return reason
    plain = unquote(secret) if "%" in secret else secret
    if regex.search(r"(?i)secret", plain.translate(_LEET)):
        return "secret-like"  # 'mysecretvalue', 's3cr3t-key'
    return None


# ---------------------------------------------------------------- generic rules

_UUID = _lazy(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HASH_PREFIX = _lazy(
    r"^(?:\$2[abxy]?\$\d\d\$|\$argon2(?:id|i|d)\$|\$[156]\$|\$apr1\$|\{(?:SSHA|SHA|MD5|CRYPT|SSHA256|SSHA512)\}"
    r"|pbkdf2_sha\d+\$|sha\d+\$|bcrypt\$|md5\$|scrypt:|sha(?:1|256|384|512)-[A-Za-z0-9+/=]{20,}$)"
)
_HEX_DIGEST = _lazy(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$")
_CODE_REFERENCE = _lazy(
    r"""(?x)
      ^(?:os\.)?(?:environ|getenv|env)\b | process\.env | import\.meta\.env | \bENV\[ | \bSystem\.getenv
    | Environment\.GetEnvironmentVariable | \bgetenv\( | \bsettings\. | \bconfig\.|\bconf\. | \bsecrets\.
    | \bvars\. | \bparams\. | \bargs\. | \bopts\. | \boptions\. | \bself\. | \bthis\. | \brequest\.
    | \bctx\. | \bcontext\. | ^[\w.]+\( | ^[A-Za-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+$ | ^\w+\[
    | ^(?=[^\[]*\[)[A-Za-z_]\w*(?:\[[^\]]*\])*(?:\.[A-Za-z_]\w*(?:\[[^\]]*\])*)+$   # JMESPath: a.b[-1].c
    """,
)
# Words that stand for a type, a flag or a field rather than a value. (Stand-ins
# such as 'changeit' are PLACEHOLDER_VALUES, which placeholder_reason drops for
# every rule before generic_reason runs.)
_LITERAL_WORDS = frozenset({
    "none", "null", "nil", "undefined", "true", "false", "yes", "no", "on", "off", "empty",
    "required", "optional", "string", "str", "int", "bool", "object", "any", "text", "varchar",
    "passwd", "key", "auth", "credential", "credentials", "private", "public", "hidden", "masked",
    "unset", "default", "value", "values", "env", "environment", "config", "demo", "bearer", "basic",
    "oauth", "oauth2", "jwt", "sha256", "md5", "secret_key", "access_token", "refresh_token",
    "client_secret", "id_token", "baz", "abc", "read", "write",  # GitHub Actions' permissions: id-token: write
})
_SECRET_WORDS = _lazy(r"(?i)pass(?:word|wd)?|pwd|secret|token|api[_-]?key|credential|private[_-]?key")
_ENV_NAME = _lazy(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATHLIKE = _lazy(r"^(?:~?/|\./|\.\./|[A-Za-z]:\\|file:)|\.(?:pem|key|crt|cer|p12|pfx|json|ya?ml|txt|env|cfg|conf|ini|der|jks|keystore|gpg|asc)$")
_URL_NO_CREDS = _lazy(r"^[a-z][a-z0-9+.-]*://[^\s:@/]+(?:[:/][^\s@]*)?$", regex.I)
_IDENT_WORDS = _lazy(r"^[a-z]+(?:[_-][a-z]+)+$|^[a-z]+(?:[A-Z][a-z]+)+$")
# (a conversion glued to a letter or digit, 'Lm4%x!9tR', is a character of a generated password)
_FORMAT = _lazy(r"(?<![A-Za-z0-9])%[-#0 +]*\d*[sdifx](?![A-Za-z0-9])|\{\d*\}|\{[a-z_]+\}|\?\?\?")
_INTERPOLATION = _lazy(
    r"\{[A-Za-z_][\w.]*(?:\([^(){}]*\)|\[[^\]]*\])*(?:![rsa])?(?::[^{}]*)?\}"
    r"|\{[A-Za-z_][\w.]*\(?$"  # cut short inside an interpolation: id={env.lower(
)
_REGEXY = _lazy(r"\\[wdsWDSbB]|\[\^|\]\{\d|\]\*|\]\+|\(\?[:P!=<]|\{\d+,\d*\}")
_TYPE_NAME = _lazy(r"_?(?:[A-Z][a-z0-9]*)*[A-Z][A-Za-z0-9]*(?:Key|Token|Secret|Password|Credentials?)")
_HEADER_NAME = _lazy(r"^[A-Z][a-z]+(?:-[A-Z][a-z]+)+$")
_LEET = str.maketrans({"4": "a", "@": "a", "0": "o", "3": "e", "1": "i", "5": "s", "$": "s", "7": "t"})
_WORDY = _lazy(r"^(?:[A-Za-z][a-z]+[_.-]?)+\d{0,2}$")
_MASK = _lazy(r"^[*•●xX#]+$|^\*+[^*]{0,4}$")


# Tokens their providers issue to be embedded in web pages: a Mapbox public token (pk.<JWT-like>;
# the secret kind is sk.) and a Stripe publishable key (pk_live_/pk_test_; the secret kind is sk_).
_PUBLIC_BY_DESIGN = _lazy(r"^pk\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$|^pk_(?:live|test)_[A-Za-z0-9]{20,}$")
_NOT_SECRET_KEY = _lazy(
    r"(?i)(?:by|com|sur|tres|over|under|mid)pass$|(?:page|next|continuation|pagination|csrf|xsrf|cursor|sync|cancel(?:lation)?|request|verify|verification|reset|confirm(?:ation)?)[_.-]?token$"
    r"|(?:public|publishable|pub|site|recaptcha[_.-]?site)[_.-]?key$|^(?:sort|primary|foreign|cache|partition|hash|map|dict|lookup|unique|index)[_.-]?key$"
    r"|(?:client|idempotency|marker|public[_.-]?key|identity|next|previous|prev|forward|backward|sequence|update|starting|start"
    r"|change|upload|state|work[_.-]?unit|continuation|cancel|delegation[_.-]?set)[_.-]?token$"
    r"|(?:existing|external)[_.-]?secret$"  # Helm: existingSecret: <name of a Kubernetes Secret>
)


def _clean(secret: str) -> str:
    return regex.sub(r"(?:\\[nrt])+$", "", secret.strip()).rstrip(",;")


# Words that make a value with spaces a sentence (a prompt, an error message) rather than a passphrase.
_PROSE_WORDS = _lazy(
    r"(?i)(?:^|\s)(?:the|is|are|was|be|your|you|enter|must|should|please|not|for|of|to|with|this|that|here|will"
    r"|can|cannot|invalid|required|missing|wrong|incorrect|too|and|or|if|when|use|set|see)(?=\s|$|[.,:;!?])"
)


def is_prose(value: str) -> bool:
    """A sentence, a prompt or an expression: many words, sentence words or
    sentence punctuation. (A passphrase of a few plain words is not prose.)"""
    words = value.split()
    return len(words) >= 6 or bool(_PROSE_WORDS.search(value)) or bool(regex.search(r"\w[.?!:]$|[()=+<>]", value))


def generic_reason(secret: str, key: str | None, line: str) -> str | None:
    """Why a keyword=value match is not a secret at all, or None.

    Only true non-secrets are dropped here: names, types, references, paths,
    format strings, hashes where hashes belong. Weak values are for
    :func:`generic_weak_reason` (reported at low confidence)."""
    if key and _NOT_SECRET_KEY.search(key):
        return "not a secret name"
    if key and "::" in line and regex.search(r"::" + regex.escape(key) + r"[\"']", line):
        return "not a secret name"  # a type name such as "AWS::AppSync::ApiKey": the key is not a field
    s = _clean(secret)
    low = s.lower()
    if s != secret and placeholder_reason(s):
        return "placeholder"  # 'secret\\n' at the end of a JSON string
    if len(s) < 4:
        return "too short"
    if not any(ch.isalnum() for ch in s):
        return "punctuation"  # "%!*'();:@&=+$,/?#[]": a character set, not a secret
    if low in _LITERAL_WORDS or low.strip("'\"") in _LITERAL_WORDS:
        return "literal word"
    if _MASK.match(s):
        return "masked"
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
    if _PUBLIC_BY_DESIGN.match(s):
        return "public by design"  # made to be shipped to browsers; the secret kinds are sk.* / sk_*
    if _HEADER_NAME.match(s):
        return "header name"
    if _TYPE_NAME.fullmatch(s):
        return "type name"  # private_key: "_RSAPrivateKey" (a quoted annotation)
    if any(ch.isspace() for ch in s) and is_prose(s):
        return "prose"  # 'Please enter your password', 'password is required'
    if regex.search(r";\s*[A-Za-z ]+=", s):
        return "connection string fragment"  # the connection-string rules extract the password itself
    if key and low.replace("-", "_") == key.lower().replace("-", "_"):
        return "value equals its name"
    if _IDENT_WORDS.match(s) and _SECRET_WORDS.search(s) and "-" not in s:
        return "field name"  # user_password, apiKey
    if regex.fullmatch(r"[\d.,:_-]+", s) and not s.isdigit():
        return "number"  # versions, addresses, times
    return None


def is_random_letters(value: str) -> bool:
    """A mixed-case string of letters that is not made of words: 'xKfPqLmZtR'
    (a generated secret) but not 'IAmSensitive', 'HelloWorld' or 'fooBar'."""
    if not value.isalpha() or len(value) < 8 or value.islower() or value.isupper():
        return False
    if _IDENT_WORDS.match(value):
        # camel-cased by chance ('jzPdeIgxLdGncf'): words have vowels, random segments often none
        parts = regex.findall(r"[A-Z]?[a-z]+", value)
        bare = sum(len(p) for p in parts if len(p) >= 2 and not regex.search(r"[aeiouyAEIOUY]", p))
        return bare > 0.5 * len(value)
    flips = sum(1 for a, b in zip(value, value[1:]) if a.islower() != b.islower())
    consonant_run = max((len(r) for r in regex.findall(r"[^aeiouy]+", value.lower())), default=0)
    return flips / len(value) >= 0.35 or consonant_run >= 4


_PASSWORD_KEY = _lazy(r"(?i)(?:pass(?:word|wd|phrase)?|pwd|requirepass|masterauth)[\"'\]]*$")
_PASSPHRASE = _lazy(r"^\S{2,24}(?: \S{2,24}){3,7}$")


def is_passphrase(value: str) -> bool:
    """Four to eight words joined by single spaces, mostly letters, and not prose:
    'lantern otter crisp maple' (a diceware-style passphrase), not 'Please enter your
    password' or 'correct horse battery staple' (a documentation staple: weak)."""
    v = _clean(value)
    return bool(_PASSPHRASE.match(v)) and not is_prose(v) and not stand_in_reason(v) \
        and sum(ch.isalpha() for ch in v) >= 0.7 * len(v.replace(" ", ""))


def generic_weak_reason(secret: str, key: str | None) -> str | None:
    """Why a value generic_reason keeps is weak or dictionary-like (reported
    at low confidence), or None when it looks like a real secret."""
    s = _clean(secret)
    if _UUID.match(s):
        return "uuid"  # an id more often than a key
    if s.isalpha() and not (len(s) >= 16 and not s.islower() and not _IDENT_WORDS.match(s)) and not is_random_letters(s):
        return "plain word"  # 'python', 'badpass', 'IAmSensitive'
    if any(ch.isspace() for ch in s):
        if (key is None or _PASSWORD_KEY.search(key)) and is_passphrase(s):
            return None  # four words or more where a password goes: a passphrase (diceware), not a word
        return "passphrase"  # a few words with spaces
    if _IDENT_WORDS.match(s) and _SECRET_WORDS.search(s):
        return "name-like"  # 'db-password-prod'
    if s.isdigit() and len(s) < 8:
        return "number"  # a PIN, a port, a count
    if key and _is_token_key(key):
        # API keys and tokens are machine-made: long and varied.
        if len(s) < 32 and regex.fullmatch(r"[0-9a-f]+", s):
            return "short hex id"  # content hashes and ids; hex API keys are 32+
        if len(s) < 8 or shannon(s) < 2.5:
            return "not token-like"
        if len(s) < 32 and regex.fullmatch(r"[A-Za-z_.:-]+", s) and not is_random_letters(s):
            return "word"  # names (NextToken, _sa_default), words: real tokens have digits
        if _WORDY.match(s):
            return "identifier"
    return None


def _is_token_key(key: str) -> bool:
    k = key.lower()
    return not regex.search(r"pass|pwd", k) and bool(regex.search(r"token|api.?key|key$|secret|auth$|credentials?$", k))
