"""GitPython against git plumbing for the work leakguard's git sources do.

leakguard opens and validates repositories, resolves revisions and reads the
index with GitPython, and reads blobs in bulk with a streaming
``git cat-file --batch`` (sources/git.py BlobReader). This measures each
choice on a real repository, back to back in one process (ratios, not
absolute times, are what to compare on a shared machine):

* blob bulk read: BlobReader vs GitPython's object database
  (``repo.odb.stream``, itself a persistent ``cat-file --batch``) vs one
  ``repo.git.cat_file`` call per blob (sampled);
* open + validate: ``git.repository()`` (GitPython) vs ``git rev-parse`` (the former plumbing);
* resolve a revision: GitPython ``rev_parse`` vs ``git rev-parse --verify``;
* index: GitPython ``IndexFile`` vs ``git ls-files -s -z``;
* the one-time cost of importing GitPython.

    python3 benchmarks/bench_gitpython.py /work/bench/sqlalchemy --blobs 4000 --repeats 3
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leakguard.sources import git  # noqa: E402


def best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo")
    ap.add_argument("--blobs", type=int, default=4000, help="blobs to read (the largest-first slice of HEAD's tree)")
    ap.add_argument("--per-call", type=int, default=200, help="blobs for the one-process-per-blob variant")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    repo = git.open_repo(a.repo)
    oids = list(dict.fromkeys(oid for oid, _ in sorted(git.object_sizes(repo), key=lambda x: x[0])))[: a.blobs]
    total = sum(git.blob_sizes(repo, oids).values())
    print(f"repository {repo}: {len(oids)} blobs, {total / 2**20:.1f} MiB (best of {a.repeats})")

    def plumbing() -> None:
        r = git.BlobReader(repo)
        try:
            n = sum(len(d or b"") for _, d in r.read(oids))
        finally:
            r.close()
        assert n == total

    def gp_odb() -> None:
        r = git.gitpython_repo(repo)
        try:
            n = sum(len(r.odb.stream(bytes.fromhex(o)).read()) for o in oids)
        finally:
            r.close()
        assert n == total

    sample = oids[: a.per_call]

    def gp_per_call() -> None:
        r = git.gitpython_repo(repo)
        try:
            for o in sample:
                r.git.cat_file("blob", o, stdout_as_string=False)
        finally:
            r.close()

    rows: list[tuple[str, float, str]] = []
    t_plumb = best(plumbing, a.repeats)
    t_odb = best(gp_odb, a.repeats)
    t_call = best(gp_per_call, a.repeats) * len(oids) / max(len(sample), 1)
    rows.append(("blobs: BlobReader (cat-file --batch stream)", t_plumb, f"{total / 2**20 / t_plumb:.0f} MiB/s"))
    rows.append(("blobs: GitPython odb.stream", t_odb, f"{t_odb / t_plumb:.1f}x BlobReader"))
    rows.append((f"blobs: GitPython git.cat_file per blob (from {len(sample)})", t_call,
                 f"{t_call / t_plumb:.0f}x BlobReader"))

    def rev_parse_open() -> None:
        subprocess.run(git.git_cmd(repo, "rev-parse", "--is-bare-repository", "--absolute-git-dir"),
                       capture_output=True, check=True)

    n = 20
    t_gp_open = best(lambda: [git.repository(repo) for _ in range(n)], a.repeats) / n
    t_rp_open = best(lambda: [rev_parse_open() for _ in range(n)], a.repeats) / n
    rows.append(("open+validate: GitPython repository()", t_gp_open, f"{t_gp_open / t_rp_open:.2f}x rev-parse"))
    rows.append(("open+validate: git rev-parse", t_rp_open, ""))
    t_gp_rev = best(lambda: [git.resolve(repo, "HEAD~1") for _ in range(n)], a.repeats) / n
    t_rp_rev = best(lambda: [git.run(repo, "rev-parse", "--verify", "-q", "HEAD~1^{commit}") for _ in range(n)],
                    a.repeats) / n
    rows.append(("resolve HEAD~1: GitPython rev_parse", t_gp_rev, f"{t_gp_rev / t_rp_rev:.2f}x git rev-parse"))
    rows.append(("resolve HEAD~1: git rev-parse", t_rp_rev, ""))
    is_work_tree = not git.repository(repo).bare
    if is_work_tree:
        t_gp_idx = best(lambda: git.index_entries(repo), a.repeats)
        t_ls_idx = best(lambda: git.run(repo, "ls-files", "-s", "-z"), a.repeats)
        entries = len(git.index_entries(repo))
        rows.append((f"index ({entries} entries): GitPython IndexFile", t_gp_idx, f"{t_gp_idx / t_ls_idx:.2f}x ls-files"))
        rows.append(("index: git ls-files -s -z", t_ls_idx, ""))
    py = [sys.executable, "-c"]
    t_import = best(lambda: subprocess.run([*py, "import git"], check=True), a.repeats) - \
        best(lambda: subprocess.run([*py, "pass"], check=True), a.repeats)
    rows.append(("one-time: import git (GitPython), per process", t_import, "paid once per leakguard run"))
    width = max(len(r[0]) for r in rows)
    for name, t, note in rows:
        print(f"{name:<{width}}  {t * 1000:10.1f} ms  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
