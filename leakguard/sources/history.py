"""Git history: every unique blob reachable from the chosen revisions, listed
once with the commit and path that first introduced it, and the attribution
of per-blob findings back to commits.

Enumeration is one ``git log --raw -c --no-abbrev -z --date-order --reverse``
pass (NUL-separated plumbing output; no diffs are computed, only tree
comparisons). Parents come before children, so the first time a blob id shows
up as the new side of a change is the commit that introduced it: a plain
commit, a merge whose result differs from every parent (``-c``), or the first
commit of an unmerged branch. A blob that merely moves (rename, copy, revert,
cherry-pick) is not new content: it is recorded as a further appearance and
is not scanned again.
"""
from __future__ import annotations

import dataclasses
import heapq
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from leakguard.errors import SourceError
from leakguard.model import Finding, Origin
from leakguard.sources import git

_FORMAT = "--format=%x01%H%x1f%an%x1f%ae%x1f%aI"
MAX_ORIGINS = 20  # origins kept per finding (first = where it was introduced)
# Extensions whose blobs cannot hold text worth scanning; skipped unread.
BINARY_EXTENSIONS = frozenset(
    "png jpg jpeg gif bmp ico icns webp tif tiff psd xcf heic avif zip gz tgz bz2 xz lz4 zst 7z rar jar war ear "
    "whl egg pdf woff woff2 ttf otf eot mp3 mp4 m4a avi mov mkv webm wav ogg flac so dll dylib exe o a lib obj "
    "pyc pyo class dex wasm bin iso dmg img sqlite sqlite3 npy npz pkl parquet feather".split()
)


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author: str
    email: str
    date: str


@dataclass(slots=True)
class History:
    """What one log pass learnt. Blob ids map to (commit index, path index)."""

    commits: list[Commit] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    first: dict[str, tuple[int, int]] = field(default_factory=dict)
    extra: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    deleted: dict[int, list[int]] = field(default_factory=dict)  # commit -> paths it deleted
    submodules: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    path_commit: list[int] = field(default_factory=list)  # path index -> the commit it was first seen in

    def origin(self, commit: int, path: int) -> Origin:
        c = self.commits[commit]
        return Origin("commit", self.paths[path], c.sha, c.author, c.email, c.date)

    def appearances(self, oid: str) -> list[tuple[int, int]]:
        return [self.first[oid], *self.extra.get(oid, ())]


def display_path(raw: bytes) -> str:
    """Repository paths are bytes; non-UTF-8 ones are shown with \\x escapes."""
    return raw.decode("utf-8", "backslashreplace")


def rev_args(repo: str, *, branch: str | None = None, since_commit: str | None = None,
             rev_range: str | None = None) -> list[str]:
    """Revision arguments for ``git log``, each checked, with a one-line error if unknown."""
    if rev_range:
        sep = "..." if "..." in rev_range else ".."
        ends = rev_range.split(sep)
        if len(ends) != 2 or sep not in rev_range:
            raise SourceError(f"{rev_range}: not a revision range (expected A..B)")
        for end in ends:
            if end:
                _check_rev(repo, end)
        return ["--end-of-options", rev_range]
    for rev in (branch, since_commit):
        if rev:
            _check_rev(repo, rev)
    opts = [] if branch else ["--all"]  # --all is an option: it must precede --end-of-options
    return [*opts, "--end-of-options", *([branch] if branch else []), *([f"^{since_commit}"] if since_commit else [])]


def pre_push_revs(repo: str, lines: Sequence[str], env: dict[str, str]) -> list[str]:
    """Revisions a push is about to publish (nothing already on a remote).

    From pre-commit's PRE_COMMIT_FROM_REF/TO_REF (or PRE_COMMIT_LOCAL_BRANCH
    when it pushes a new root), else git's pre-push stdin lines
    ``<local ref> <local sha> <remote ref> <remote sha>``, else HEAD.
    Returns [] when nothing is pushed (only deletions)."""
    tips: list[str] = []
    bases: list[str] = []
    if env.get("PRE_COMMIT_TO_REF"):
        tips.append(env["PRE_COMMIT_TO_REF"])
        if env.get("PRE_COMMIT_FROM_REF"):
            bases.append(env["PRE_COMMIT_FROM_REF"])
    elif env.get("PRE_COMMIT_LOCAL_BRANCH"):
        tips.append(env["PRE_COMMIT_LOCAL_BRANCH"])
    elif lines:
        for line in lines:
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise SourceError(f"pre-push: unexpected input line {line.strip()[:80]!r} "
                                  "(expected '<local ref> <local sha> <remote ref> <remote sha>')")
            if parts[1] != git.ZERO_OID:
                tips.append(parts[1])
            if parts[3] != git.ZERO_OID:
                bases.append(parts[3])
        if not tips:
            return []
    else:
        tips.append("HEAD")
    for t in tips:
        _check_rev(repo, t)
    bases = [b for b in bases if not b.startswith("-") and git.exists(repo, b)]
    # anything already on a remote-tracking branch has been published: skip it
    return ["--not", "--remotes", "--not", "--end-of-options", *tips, *(f"^{b}" for b in bases)]


def _check_rev(repo: str, rev: str) -> None:
    if rev.startswith("-"):
        raise SourceError(f"{rev}: not a revision")
    git.resolve(repo, rev)


def enumerate_history(repo: str, revs: Sequence[str]) -> History:
    """One pass over the log: first introduction of every blob, plus re-appearances."""
    h = History()
    path_ids: dict[bytes, int] = {}
    cur = -1
    want = 0  # path tokens still expected for the current record
    rec_oid = ""
    rec_kind = ""
    rec_paths: list[int] = []
    args = ["log", "--raw", "--no-abbrev", "-z", "-c", "--no-renames", "--date-order", "--reverse",
            "--no-textconv", "--no-ext-diff", "--no-color", _FORMAT, *revs]
    try:
        for tok in git.stream(repo, args):
            if want:
                pid = path_ids.get(tok)
                if pid is None:
                    pid = path_ids[tok] = len(h.paths)
                    h.paths.append(display_path(tok))
                    h.path_commit.append(cur)
                rec_paths.append(pid)
                want -= 1
                if not want:
                    _record(h, cur, rec_kind, rec_oid, rec_paths[-1])
                continue
            t = tok.lstrip(b"\n")
            if t.startswith(b"\x01"):
                fields = t[1:].decode("utf-8", "replace").split("\x1f")
                fields += [""] * (4 - len(fields))
                h.commits.append(Commit(fields[0], fields[1], fields[2], fields[3]))
                cur = len(h.commits) - 1
            elif t.startswith(b":"):
                colons = len(t) - len(t.lstrip(b":"))
                parts = t[colons:].split(b" ")
                n = colons + 1
                if len(parts) < 2 * n + 1:
                    continue
                mode, rec_oid, status = parts[n - 1], parts[2 * n - 1].decode(), parts[2 * n]
                rec_kind = _kind(mode, rec_oid, status)
                rec_paths = []
                want = 2 if colons == 1 and status[:1] in (b"R", b"C") else 1
    except SourceError as e:
        if not h.commits:
            raise
        h.warnings.append(f"history may be incomplete: {e} (corrupt or missing objects?)")
    return h


def _kind(mode: bytes, oid: str, status: bytes) -> str:
    if oid == git.ZERO_OID:
        return "deleted" if status[:1] == b"D" else ""
    if mode == b"160000":
        return "gitlink"
    if mode.startswith(b"100"):
        return "blob"
    return ""  # symlink (120000): the link target is not scanned


def _record(h: History, commit: int, kind: str, oid: str, path: int) -> None:
    if kind == "blob":
        if oid in h.first:
            h.extra.setdefault(oid, []).append((commit, path))
        else:
            h.first[oid] = (commit, path)
    elif kind == "deleted":
        h.deleted.setdefault(commit, []).append(path)
    elif kind == "gitlink":
        h.submodules.add(path)


def looks_binary(path: str) -> bool:
    ext = posixpath.splitext(path)[1][1:].lower()
    return ext in BINARY_EXTENSIONS


SECRET_KEY_HEX = 16  # a secret is told apart by its rule and the first 64 bits of its secret_hash


def secret_key(f: Finding) -> tuple[str, str]:
    """What tells two findings' secrets apart in attribution: the rule and a prefix of the
    secret's hash (the findings cache keeps that prefix, never the secret itself)."""
    return f.rule_id, f.secret_hash[:SECRET_KEY_HEX]


def attribute(
    h: History,
    blob_findings: dict[str, list[Finding]],
    head_secrets: set[tuple[str, str, str]],
    fingerprint: Callable[[str, str], str],
) -> list[Finding]:
    """One finding per (rule, secret, path), attributed to its first commit: see :func:`attribute_kept`."""
    return attribute_kept(h, blob_findings, head_secrets, fingerprint)[0]


def attribute_kept(
    h: History,
    blob_findings: dict[str, list[Finding]],
    head_secrets: set[tuple[str, str, str]],
    fingerprint: Callable[[str, str], str],
    keep: Callable[[Finding], bool] | None = None,
) -> tuple[list[Finding], int, list[tuple[str, Finding]]]:
    """One finding per (rule, secret, path), attributed to its first commit.

    A secret whose file was renamed (the old path deleted in the commit that
    adds the new one) stays one finding under its original path.
    ``occurrences`` counts every (commit, path) where a blob holding the
    secret was introduced; ``present_at_head`` says whether HEAD still has it
    at this finding's path (or a path it was renamed to): ``head_secrets``
    holds (rule id, secret key, path) triples (:func:`secret_key`). A secret on
    an unmerged branch, or in another file, is not "at HEAD" here.

    With ``keep``, an attributed finding it rejects (below the confidence floor:
    judged, as always, on the finding where the secret was introduced) is only
    counted, not built. Returns (findings kept, how many were not, and for each
    kept finding the blob id and the finding of ``blob_findings`` it was made from).
    """
    events, distinct = _events(h, blob_findings)
    canon: dict[tuple[tuple[str, str], int], tuple[tuple[str, str], int]] = {}  # (secret key, path) -> canonical
    first: dict[tuple[tuple[str, str], int], tuple[int, int, Finding, str]] = {}
    places: dict[tuple[str, str], set[tuple[int, int]]] = {}
    paths_of: dict[tuple[str, str], list[int]] = {}
    members: dict[tuple[tuple[str, str], int], set[int]] = {}  # canonical key -> every path it covers (renames)
    deleted_in = h.deleted
    for c, p, oid in events:
        cp = (c, p)
        for sid, f in distinct[oid]:
            key = (sid, p)
            if key not in canon:
                seen = paths_of.get(sid)
                if seen is None:
                    seen = paths_of[sid] = []
                    places[sid] = set()
                gone = deleted_in.get(c, ()) if seen else ()
                renamed_from = next((q for q in seen if q in gone), None) if gone else None
                if renamed_from is not None:  # a rename: the same finding, one more path
                    ck = canon[key] = canon[(sid, renamed_from)]
                    members[ck].add(p)
                else:
                    canon[key] = key
                    members[key] = {p}
                    first[key] = (c, p, f, oid)
                seen.append(p)
            places[sid].add(cp)
    out: list[Finding] = []
    sources: list[tuple[str, Finding]] = []
    dropped = 0
    ordered: dict[tuple[str, str], list[tuple[int, int]]] = {}  # sorted once per secret, not per path holding it
    for ck, (c, p, f, oid) in first.items():
        if keep is not None and not keep(f):
            dropped += 1
            continue
        sid = ck[0]
        rule_id, secret = sid
        at_head = any((rule_id, secret, h.paths[q]) in head_secrets for q in members[ck])
        where = ordered.get(sid)
        if where is None:
            where = ordered[sid] = sorted(places[sid])
        origins = [h.origin(c, p)]
        for c2, p2 in where:  # only the first MAX_ORIGINS are kept: build no more
            if len(origins) >= MAX_ORIGINS:
                break
            if (c2, p2) != (c, p):
                origins.append(h.origin(c2, p2))
        path = h.paths[p]
        out.append(dataclasses.replace(
            f, origins=tuple(origins), fingerprint=fingerprint(f.secret_hash, path),
            occurrences=len(where), present_at_head=at_head))
        sources.append((oid, f))
    return out, dropped, sources


def _events(h: History, blob_findings: dict[str, list[Finding]]) -> tuple[
        list[tuple[int, int, str]], dict[str, list[tuple[tuple[str, str], Finding]]]]:
    """Every (commit, path, blob id) where a blob with findings appears, sorted; and per blob,
    its secrets (:func:`secret_key`) each once, with the first of its findings holding it.
    Attribution needs no more of a blob: a second finding of a secret in the same blob
    is met at the same commit and path as the first, and changes nothing. Blobs whose
    findings are the same objects (the findings cache's shared stand-ins) share one list."""
    events: list[tuple[int, int, str]] = []
    distinct: dict[str, list[tuple[tuple[str, str], Finding]]] = {}
    shared: dict[tuple[int, ...], list[tuple[tuple[str, str], Finding]]] = {}  # (ids of live objects only)
    first, extra = h.first, h.extra
    for oid, fs in blob_findings.items():
        ident = tuple(map(id, fs))
        one = shared.get(ident)
        if one is None:
            by_sid: dict[tuple[str, str], Finding] = {}
            for f in fs:
                by_sid.setdefault(secret_key(f), f)
            one = shared[ident] = list(by_sid.items())
        distinct[oid] = one
        c, p = first[oid]
        events.append((c, p, oid))
        more = extra.get(oid)
        if more:
            events.extend([(c, p, oid) for c, p in more])
    events.sort()
    return events, distinct


def removals(h: History, blob_findings: dict[str, list[Finding]], findings: list[Finding]) -> list[Finding]:
    """Fill ``removed_in`` for findings no longer at HEAD: the commit (in
    date order) after which no version of the path holds the secret any more,
    following renames (the path deleted in the commit that adds the secret
    under another name). A secret re-added later counts from its last removal.

    Each finding visits only the commits that change one of its own paths (the
    path, and those it was renamed to): a commit that touches none of them
    cannot change the answer. The versions of every path holding a secret are
    indexed once per secret, not once per finding (a test password that lives
    in hundreds of files is hundreds of findings)."""
    todo = [f for f in findings if f.present_at_head is False]
    if not todo:
        return findings
    holding: dict[tuple[str, str], set[str]] = {}  # secret key -> blob ids holding it
    sids: dict[tuple[int, ...], set[tuple[str, str]]] = {}  # (the stand-ins of many blobs are the same objects)
    for oid, fs in blob_findings.items():
        ident = tuple(map(id, fs))
        held = sids.get(ident)
        if held is None:
            held = sids[ident] = set(map(secret_key, fs))
        for sid in held:
            holding.setdefault(sid, set()).add(oid)
    path_id = {p: i for i, p in enumerate(h.paths)}
    wanted = {path_id[f.path] for f in todo if f.path in path_id}
    paths_of: dict[tuple[str, str], set[int]] = {}  # (rule, secret) -> every path a blob holding it appeared at
    for f in todo:
        sid = secret_key(f)
        if sid not in paths_of:
            paths_of[sid] = {p for oid in holding.get(sid, ()) for _, p in h.appearances(oid)}
            wanted |= paths_of[sid]
    changes: dict[int, list[tuple[int, str]]] = {}  # path -> (commit, blob id or '' for deleted), all versions
    for oid, (c, p) in h.first.items():
        if p in wanted:
            changes.setdefault(p, []).append((c, oid))
    for oid, more in h.extra.items():
        for c, p in more:
            if p in wanted:
                changes.setdefault(p, []).append((c, oid))
    for c, ps in h.deleted.items():
        for p in ps:
            if p in wanted:
                changes.setdefault(p, []).append((c, ""))
    commits_of = {p: sorted({c for c, _ in ch}) for p, ch in changes.items()}  # path -> commits changing it
    deleted_in = {c: set(ps) for c, ps in h.deleted.items()}
    indexes: dict[tuple[tuple[str, str], bool], dict[int, list[tuple[int, str]]]] = {}
    out: dict[int, Finding] = {}
    for f in todo:
        sid = secret_key(f)
        blobs = holding.get(sid, set())
        start = path_id.get(f.path)
        if start is None:
            continue
        own = start in paths_of[sid]  # nearly always: the finding's path is one its secret appeared at
        by_commit = indexes.get((sid, own)) if own else None
        if by_commit is None:  # commit -> (path, blob id) over every path of this secret
            by_commit = {}
            for p in {start} | paths_of[sid]:
                for c, oid in changes.get(p, ()):
                    by_commit.setdefault(c, []).append((p, oid))
            if own:
                indexes[(sid, own)] = by_commit
        members, state = {start}, {start: False}
        holding_paths = 0  # members whose state is True: any(state.values()) without the scan
        removed: int | None = None
        queue = list(commits_of.get(start, ()))  # sorted: already a heap
        last = -1
        while queue:
            c = heapq.heappop(queue)
            if c == last:
                continue
            last = c
            was = holding_paths > 0
            gone = deleted_in.get(c)
            moved_from = [q for q in gone if q in members and state.get(q)] if gone else []
            for p, oid in by_commit.get(c, ()):
                holds = oid in blobs
                if p not in members:
                    if not (holds and moved_from):
                        continue
                    members.add(p)  # a rename: the secret moves to p in the commit that deletes a member path
                    for later in commits_of.get(p, ()):
                        if later > c:
                            heapq.heappush(queue, later)
                if state.get(p, False) != holds:
                    holding_paths += 1 if holds else -1
                state[p] = holds
            now = holding_paths > 0
            if was and not now:
                removed = c
            elif now:
                removed = None
        if removed is not None:
            out[id(f)] = dataclasses.replace(f, removed_in=h.origin(removed, start))
    return [out.get(id(f), f) for f in findings]


def summary_notes(h: History) -> dict[str, int]:
    notes: dict[str, int] = {}
    if h.submodules:
        notes["submodules (gitlinks) not entered"] = len(h.submodules)
    return notes

