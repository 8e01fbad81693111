"""`rucket backup` / `rucket restore`: a consistent snapshot of a (running) server's data dir.

What a snapshot is: `meta.db` copied with SQLite's online backup API in one step (one read
transaction, so it is a single committed state, and in WAL mode the server's writer never
waits for it), plus every blob file that state references, plus `master.key` (without it the
sealed secret keys and SSE-C/KMS material in `meta.db` are unreadable).

Why it is consistent without stopping the server: blob files are immutable and named by a
random id, so a hard link (or a copy, across file systems) of a referenced file is the
version's bytes. The one race is a blob deleted after the snapshot committed its reference
but before we linked it; so every blob on disk is linked *before* the snapshot (a link pins
the inode: a later delete cannot take it), the few written in between are linked after,
and the blobs the snapshot does not reference are dropped again. If one is still missing
(written and deleted inside that window) the whole pass is retried.

Nothing here takes the data dir's lock: a backup runs beside the server by design.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rucket.blobs.local import blob_relpath, fsync_dir
from rucket.meta.integrity import referenced_blobs

MANIFEST = "rucket-backup.json"
FORMAT = 1
META, KEY = "meta.db", "master.key"
ATTEMPTS = 5


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says what to do."""


@dataclass
class Stats:
    blobs: int = 0
    linked: int = 0
    copied: int = 0
    bytes: int = 0
    meta_bytes: int = 0
    attempts: int = 0
    seconds: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)

    def line(self, verb: str) -> str:
        return (f"{verb}: meta.db {self.meta_bytes} bytes, {self.blobs} blobs ({self.linked} hard-linked, "
                f"{self.copied} copied, {self.bytes} bytes) in {self.seconds:.2f} s")


def _place(src: Path, dst: Path, stats: Stats, fsync: bool) -> None:
    """Hard link when on the same file system, else copy and fsync."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
        stats.linked += 1
        return
    except FileExistsError:
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    if fsync:
        _fsync_file(tmp)
    os.replace(tmp, dst)
    stats.copied += 1


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _snapshot_db(src: Path, dst: Path) -> set[str]:
    """One-step online backup of meta.db into dst; returns the blob ids the copy references."""
    if not src.exists():
        raise BackupError(f"{src} not found: is this a Rucket data dir?")
    dst.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target, pages=-1)  # all pages in one step: one read transaction, one state
        target.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
        refs = referenced_blobs(target)
    finally:
        target.close()
        source.close()
    _fsync_file(dst)
    return refs


def _on_disk(root: Path) -> Iterable[str]:
    return (f.name for f in (root / "blobs").glob("*/*/*") if not f.name.endswith(".part"))


def _one_pass(data_dir: Path, dest: Path, stats: Stats, fsync: bool) -> set[str]:
    """Returns the referenced blobs that vanished before they could be linked (empty: success)."""
    for blob_id in list(_on_disk(data_dir)):  # pin what exists now: a later delete cannot take it
        with contextlib.suppress(FileNotFoundError):  # deleted since the listing: unreferenced
            _place(data_dir / blob_relpath(blob_id), dest / blob_relpath(blob_id), stats, fsync)
    refs = _snapshot_db(data_dir / META, dest / META)
    missing = set()
    for blob_id in refs:
        target = dest / blob_relpath(blob_id)
        if not target.exists():
            try:
                _place(data_dir / blob_relpath(blob_id), target, stats, fsync)
            except FileNotFoundError:
                missing.add(blob_id)
    for blob_id in set(_on_disk(dest)) - refs:
        (dest / blob_relpath(blob_id)).unlink()
    stats.sizes = {b: (dest / blob_relpath(b)).stat().st_size for b in refs - missing}
    return missing


def _empty_dir(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{what} {path} exists and is not an empty directory")
    path.mkdir(parents=True, exist_ok=True)


def backup(data_dir: Path, dest: Path, *, fsync: bool = True, clock: Callable[[], float] = time.monotonic) -> Stats:
    """Snapshot `data_dir` into the new directory `dest`. On any failure (a full disk) what was
    written under `dest` is removed again and the server's data dir is untouched."""
    started = clock()
    if not (data_dir / META).exists():
        raise BackupError(f"{data_dir / META} not found: is {data_dir} a Rucket data dir?")
    created = not dest.exists()
    _empty_dir(dest, "backup destination")
    stats = Stats()
    try:
        for stats.attempts in range(1, ATTEMPTS + 1):
            missing = _one_pass(data_dir, dest, stats, fsync)
            if not missing:
                break
        else:
            raise BackupError(f"{len(missing)} blob(s) meta.db references are missing from {data_dir} (e.g. "
                              f"{data_dir / blob_relpath(min(missing))}) after {ATTEMPTS} attempts: if the server "
                              f"is stopped the data dir is damaged, run `rucket fsck --data-dir {data_dir}`")
        if (data_dir / KEY).exists():
            _place(data_dir / KEY, dest / KEY, Stats(), fsync)
        stats.blobs, stats.bytes = len(stats.sizes), sum(stats.sizes.values())
        stats.meta_bytes = (dest / META).stat().st_size
        _write_manifest(dest, stats, fsync)
    except BaseException:
        _remove_contents(dest, remove_self=created)
        raise
    stats.seconds = clock() - started
    return stats


def _write_manifest(dest: Path, stats: Stats, fsync: bool) -> None:
    doc = {"format": FORMAT, "created_unix": int(time.time()), "meta_sha256": _sha256(dest / META),
           "master_key": (dest / KEY).exists(), "blobs": stats.sizes}
    tmp = dest / (MANIFEST + ".part")
    tmp.write_text(json.dumps(doc, sort_keys=True))
    if fsync:
        _fsync_file(tmp)
    os.replace(tmp, dest / MANIFEST)  # written last: a backup without it is incomplete
    if fsync:
        for d in {dest, *((dest / blob_relpath(b)).parent for b in stats.sizes)}:
            fsync_dir(d)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _remove_contents(path: Path, *, remove_self: bool) -> None:
    if remove_self:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def verify(src: Path) -> dict[str, object]:
    """The manifest of a complete, undamaged backup; BackupError naming what is wrong otherwise."""
    try:
        doc: dict[str, object] = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{src / MANIFEST} missing: {src} is not a complete Rucket backup") from exc
    if doc.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {doc.get('format')} not supported (this is {FORMAT})")
    if _sha256(src / META) != doc["meta_sha256"]:
        raise BackupError(f"{src / META} does not match the manifest's checksum: the backup is damaged")
    sizes = doc["blobs"]
    assert isinstance(sizes, dict)
    for blob_id, size in sizes.items():
        path = src / blob_relpath(blob_id)
        if not path.exists() or path.stat().st_size != size:
            raise BackupError(f"blob {path} missing or of the wrong size: the backup is damaged")
    conn = sqlite3.connect(f"file:{src / META}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(f"{src / META} fails SQLite's integrity check: {result}")
    return doc


def restore(src: Path, data_dir: Path, *, fsync: bool = True, clock: Callable[[], float] = time.monotonic) -> Stats:
    """Verify the backup, then lay it out as a fresh data dir (which must be new or empty)."""
    started = clock()
    doc = verify(src)
    created = not data_dir.exists()
    _empty_dir(data_dir, "restore target --data-dir")
    stats = Stats()
    try:
        sizes = doc["blobs"]
        assert isinstance(sizes, dict)
        for blob_id in sizes:
            _place(src / blob_relpath(blob_id), data_dir / blob_relpath(blob_id), stats, fsync)
        (data_dir / "tmp").mkdir(exist_ok=True)
        (data_dir / "blobs").mkdir(exist_ok=True)
        if (src / KEY).exists():
            shutil.copyfile(src / KEY, data_dir / KEY)
            os.chmod(data_dir / KEY, 0o600)
        staged = data_dir / (META + ".restoring")
        shutil.copyfile(src / META, staged)  # copied, never linked: the server will write to it
        if fsync:
            _fsync_file(staged)
            if (data_dir / KEY).exists():
                _fsync_file(data_dir / KEY)
            for d in {(data_dir / blob_relpath(b)).parent for b in sizes}:
                fsync_dir(d)
        os.replace(staged, data_dir / META)  # last: a restore killed before this leaves no meta.db to serve
        if fsync:
            fsync_dir(data_dir)
        stats.blobs, stats.bytes, stats.sizes = len(sizes), sum(sizes.values()), dict(sizes)
        stats.meta_bytes = (data_dir / META).stat().st_size
    except BaseException:
        _remove_contents(data_dir, remove_self=created)
        raise
    stats.seconds = clock() - started
    return stats
