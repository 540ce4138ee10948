"""The object store's listing, taken by git while the history walk runs, gives the sizes a
listing taken afterwards gives; a listing that fails is taken again."""
from __future__ import annotations

from pathlib import Path

import pytest

from leakguard.sources import git, walkcache
from tests.conftest import git as run_git


def _history(repo: Path, n: int) -> None:
    for i in range(n):
        (repo / f"f{i % 7}.txt").write_text("line\n" * (i + 1))
        run_git(repo, "add", "-A")
        run_git(repo, "commit", "-q", "-m", f"c{i}")


def test_background_listing_gives_the_blob_sizes_of_the_walk(git_repo: Path) -> None:
    _history(git_repo, 30)
    listed = git.ObjectListing(str(git_repo))
    try:
        assert dict(listed.sizes()) == dict(git.object_sizes(str(git_repo)))
    finally:
        listed.close()
    h, sizes, _ = walkcache.walk(str(git_repo), walkcache.ALL_REFS, use_cache=False, order_from_pack=0)
    assert sizes == git.blob_sizes(str(git_repo), list(h.first)) and len(sizes) == 30


def test_a_failed_listing_is_taken_again(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _history(git_repo, 5)
    monkeypatch.setattr(git, "_LISTING", ("cat-file", "--no-such-option"))
    listed = git.ObjectListing(str(git_repo))
    monkeypatch.undo()
    try:
        assert len(dict(listed.sizes())) == 5
    finally:
        listed.close()
    unread = git.ObjectListing(str(git_repo))
    unread.close()  # never read: stopped, no process left behind
