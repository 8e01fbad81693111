"""The data directory's lock: one serving server per data dir, held by every process that serves it.

`rucket serve` takes an exclusive `flock` on `<data>/rucket.lock` before start-up recovery
(which deletes temp files: a second server must never reach that). Worker processes are
forked and inherit the lock's open file description, so the lock stays held as long as ANY
process that serves the directory lives: a worker that outlived its server still keeps a new
server out instead of splitting requests with it (issue 15, item 0). `rucket fsck` refuses a
directory whose lock is held.

Workers also die with their server: `die_with_parent` asks the kernel for SIGKILL when the
parent goes (Linux `PR_SET_PDEATHSIG`), and `watch_parent` polls as a second line of defence
(other platforms, or a parent that died before the prctl).
"""

from __future__ import annotations

import asyncio
import ctypes
import fcntl
import os
import signal
import sys
from pathlib import Path

LOCK_NAME = "rucket.lock"
FD_ENV = "RUCKET_DATA_LOCK_FD"
PARENT_ENV = "RUCKET_SERVER_PID"
PR_SET_PDEATHSIG = 1


class DataDirInUse(Exception):
    """Another process serves (or checks) this data directory."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        who = f" (pid {holder})" if holder else ""
        super().__init__(f"data directory {data_dir} is in use by another rucket process{who}: "
                         "stop it first, or give this server its own --data-dir")


def acquire(data_dir: Path) -> int:
    """Take the exclusive lock (non-blocking) and record our pid in it; returns the lock's fd,
    inheritable, which stays open for the life of the process and its forked workers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        raise DataDirInUse(data_dir, holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    os.set_inheritable(fd, True)
    return fd


def assert_held(data_dir: Path, fd: int) -> None:
    """In a worker: `fd` (inherited from the server) is the lock of `data_dir` and this process holds it.
    flock on the same open file description succeeds; any other holder makes it fail."""
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(data_dir / LOCK_NAME))
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        raise DataDirInUse(data_dir, "") from exc
    if not same:
        raise DataDirInUse(data_dir, "")


def die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when its parent dies (even by kill -9). Then re-check the parent:
    if it died before the prctl, the signal will never come."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:
        os._exit(1)


async def watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Background loop of a worker: exit at once when the server that started it is gone."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        await asyncio.sleep(interval_s)
