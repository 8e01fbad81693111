"""The data dir lock: exclusive, inherited by forked workers, checked by them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rucket.core import dirlock


def test_second_acquire_is_refused_and_names_the_holder(tmp_path: Path) -> None:
    fd = dirlock.acquire(tmp_path)
    with pytest.raises(dirlock.DataDirInUse, match=f"pid {os.getpid()}"):
        dirlock.acquire(tmp_path)
    os.close(fd)
    os.close(dirlock.acquire(tmp_path))  # released with its holder


def test_forked_child_holds_the_lock_after_the_parent_lets_go(tmp_path: Path) -> None:
    """What makes a surviving worker keep a new server out: the lock lives as long as any holder."""
    fd = dirlock.acquire(tmp_path)
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "worker"
        try:
            dirlock.assert_held(tmp_path, fd)
            os.write(ready_w, b"1")
            os.read(done_r, 1)
        finally:
            os._exit(0)
    assert os.read(ready_r, 1) == b"1"
    os.close(fd)  # the "server" is gone
    with pytest.raises(dirlock.DataDirInUse):
        dirlock.acquire(tmp_path)
    os.write(done_w, b"1")
    os.waitpid(pid, 0)
    os.close(dirlock.acquire(tmp_path))


def test_assert_held_fails_for_a_lock_someone_else_holds(tmp_path: Path) -> None:
    holder = dirlock.acquire(tmp_path)
    other = os.open(tmp_path / dirlock.LOCK_NAME, os.O_RDONLY)
    with pytest.raises(dirlock.DataDirInUse):
        dirlock.assert_held(tmp_path, other)
    os.close(other)
    os.close(holder)
