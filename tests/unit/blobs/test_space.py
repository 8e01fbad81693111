"""DiskSpace: the reserve and its spare file, on an injected free-space reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from rucket.blobs.space import DiskSpace
from rucket.core.errors import StorageFull

MIB = 1 << 20


class FakeDisk:
    def __init__(self, free: int) -> None:
        self.free = free

    def __call__(self, _root: Path) -> tuple[int, int]:
        return self.free, 100 * MIB


def test_writes_refused_below_the_reserve_deletes_never(tmp_path: Path) -> None:
    disk = FakeDisk(10 * MIB)
    space = DiskSpace(tmp_path, 8 * MIB, stat=disk)
    space.check_room()
    disk.free = 8 * MIB - 1
    with pytest.raises(StorageFull):
        space.check_room()
    space.check_room(adds_data=False)
    disk.free = 8 * MIB  # freed again: no restart, the next check passes
    space.check_room()
    assert space.usage().as_dict() == {"free_bytes": 8 * MIB, "total_bytes": 100 * MIB, "reserve_bytes": 8 * MIB}


def test_spare_is_kept_with_room_and_released_when_the_disk_is_exhausted(tmp_path: Path) -> None:
    disk = FakeDisk(20 * MIB)
    space = DiskSpace(tmp_path, 8 * MIB, stat=disk)
    assert space.spare_bytes == 4 * MIB
    space.check_room()
    assert space.spare.stat().st_size == 4 * MIB and space.spare.stat().st_blocks * 512 >= 4 * MIB
    disk.free = 5 * MIB  # below the reserve, not yet exhausted: the spare stays
    space.check_room(adds_data=False)
    assert space.spare.exists()
    disk.free = 4 * MIB - 1  # someone else ate the rest: a delete releases the spare first
    space.check_room(adds_data=False)
    assert not space.spare.exists()
    disk.free = 11 * MIB  # above the reserve but not reserve + spare: not yet put back
    space.check_room()
    assert not space.spare.exists()
    disk.free = 12 * MIB
    space.check_room()
    assert space.spare.exists()


def test_no_reserve_means_no_spare(tmp_path: Path) -> None:
    space = DiskSpace(tmp_path, 0, stat=FakeDisk(0))
    space.check_room()
    assert not space.spare.exists()
