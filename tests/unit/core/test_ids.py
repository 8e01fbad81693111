from __future__ import annotations

import os

from rucket.core import ids


def test_request_ids_unique_and_fixed_width() -> None:
    batch = [ids.request_id() for _ in range(10_000)]
    assert len(set(batch)) == len(batch)
    assert {len(r) for r in batch} == {16}


def test_forked_children_get_their_own_prefix() -> None:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.write(w, ids.request_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(r, 64).decode()
    assert child[:6] != ids.request_id()[:6]


def test_version_ids_sort_by_time() -> None:
    assert ids.version_id(1_000) < ids.version_id(2_000) < ids.version_id(10**12)
