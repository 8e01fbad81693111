"""Free space on the data dir's filesystem, and the reserve that keeps deletes possible.

A write that fills the disk fails half way (a temp file cut short, or SQLite's SQLITE_FULL
at COMMIT) and, worse, leaves no room for the metadata commit of the DELETE that would free
space. So writes that add data are refused while free space is below `reserve_bytes`
(`disk_reserve_mb`, 64 MiB by default); deletes are always let through. It is read at each
check (one statvfs, about a microsecond), so the server recovers by itself as soon as space is
freed, with no restart.

The reserve only holds against our own writes: another process (logs, a backup) can still eat
the disk to the last byte, and then even a DELETE's COMMIT fails with SQLITE_FULL. So part of
the reserve is kept as a real file, `<data>/space.reserve` (ext4's reserved blocks, in user
space): when free space is almost gone, the next mutating request deletes it first, giving the
metadata database room for the deletes that free space; it is put back once there is room.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rucket.core.errors import StorageFull

SPARE_NAME = "space.reserve"
SPARE_MAX = 4 << 20  # a delete batch needs a few hundred KiB of WAL; every data dir pays it
log = logging.getLogger("rucket.space")


@dataclass(frozen=True)
class DiskUsage:
    free_bytes: int  # available to this (unprivileged) process, as df's "Avail"
    total_bytes: int
    reserve_bytes: int

    def as_dict(self) -> dict[str, int]:
        return {"free_bytes": self.free_bytes, "total_bytes": self.total_bytes, "reserve_bytes": self.reserve_bytes}


def _statvfs(path: Path) -> tuple[int, int]:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


class DiskSpace:
    def __init__(self, root: Path, reserve_bytes: int,
                 stat: Callable[[Path], tuple[int, int]] = _statvfs) -> None:
        self.root, self.reserve_bytes, self._stat = root, reserve_bytes, stat
        self.spare, self.spare_bytes = root / SPARE_NAME, min(reserve_bytes // 2, SPARE_MAX)

    def usage(self) -> DiskUsage:
        free, total = self._stat(self.root)
        return DiskUsage(free, total, self.reserve_bytes)

    def check_room(self, adds_data: bool = True) -> None:
        """Before a mutating request reads its body. Adds data: StorageFull below the reserve. Any: release
        the spare file when the disk is (nearly) exhausted, so the metadata commit of a delete fits."""
        free = self.usage().free_bytes
        if free < self.spare_bytes:
            self._release_spare()
        if not adds_data:
            return
        if free >= self.reserve_bytes + self.spare_bytes:
            self._keep_spare()
        if free < self.reserve_bytes:
            raise StorageFull(f"{free} bytes free on the data dir's disk, below the {self.reserve_bytes}-byte "
                              "reserve kept for deletes: delete objects or free disk space")

    def _release_spare(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.spare.unlink()
            log.warning("disk of %s exhausted: released the %d-byte spare so deletes can commit",
                        self.root, self.spare_bytes)

    def _keep_spare(self) -> None:
        if self.spare_bytes <= 0 or self.spare.exists():
            return
        try:
            fd = os.open(self.spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it
            return
        try:
            os.posix_fallocate(fd, 0, self.spare_bytes)  # real blocks, not a sparse file
        except OSError:
            self.spare.unlink(missing_ok=True)
        finally:
            os.close(fd)
