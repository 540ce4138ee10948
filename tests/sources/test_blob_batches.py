"""History scans hand a file's versions to one worker, in history order (each version is
diffed against the one before it): commands.git.by_path orders them, scan._blob_batches cuts
batches only between files (or every few MB within one)."""
from __future__ import annotations

import random

from leakguard.commands.git import by_path
from leakguard.scan import _blob_batches
from leakguard.sources.history import History


def _items(rng: random.Random) -> tuple[list[tuple[str, str, int]], History]:
    h = History()
    items = []
    for n in range(600):
        oid = f"{n:040x}"
        path = f"src/f{rng.randrange(40)}.py"
        h.first[oid] = (n, 0)
        items.append((oid, path, rng.randrange(1, 200_000)))
    rng.shuffle(items)  # as the object store lists them
    return items, h


def test_versions_of_a_file_come_in_history_order_and_stay_in_one_batch() -> None:
    rng = random.Random(5)
    items, h = _items(rng)
    ordered = by_path(items, h)
    assert sorted(ordered) == sorted(items)
    seen: dict[str, int] = {}
    last = None
    for oid, path, _ in ordered:
        if path != last:
            assert path not in seen  # each file's versions are together
        assert int(oid, 16) > seen.get(path, -1)  # in the order the history introduced them
        seen[path] = int(oid, 16)
        last = path
    size = {oid: n for oid, _, n in items}
    batches = list(_blob_batches(ordered, max_bytes=1 << 20, max_items=64, most_bytes=4 << 20))
    assert [x for b in batches for x in b] == [(oid, path) for oid, path, _ in ordered]
    holder: dict[str, list[int]] = {}
    for i, b in enumerate(batches):
        for _, path in b:
            if i not in holder.setdefault(path, []):
                holder[path].append(i)
    for path, where in holder.items():
        whole = sum(size[oid] for oid, p, _ in ordered if p == path)
        # a file's versions are cut only past most_bytes: as many batches as that allows
        assert len(where) <= 1 + whole // (4 << 20), (path, where, whole)
        assert where == list(range(where[0], where[-1] + 1))
