"""The feed of a busy store, replayed into an EMPTY store, gives a store that answers every List,
Get and Head identically: the event log carries full records, not summaries.

Bytes follow from the source, as they will between regions: the replayed records name blob ids
and the replica fetches those files from the source (here: copies them); inline bytes travel in
the record itself. Also replayed twice (idempotent) and from a mid-feed checkpoint onto a copy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.fakes import chunks, make_engine

from rucket.core.hlc import FakeClock
from rucket.core.model import ObjectVersion
from rucket.core.multipart import Upload
from rucket.engine import Engine
from rucket.engine.acl import Acl, Acls, Grant
from rucket.engine.copy import CopyOptions
from rucket.engine.cors import CorsRule
from rucket.engine.listing import ListQuery
from rucket.engine.lock import LockRequest
from rucket.engine.multipart import CompleteSpec, PartRef, UploadsQuery
from rucket.engine.objects import PutSpec
from rucket.engine.versioning import VersionQuery
from rucket.events.records import StorageEvent, decode
from rucket.meta import records

DAY_MS = 86_400_000
MIN = 16
METASTORES = ("sqlite",)  # the records are SQLite row images (meta/records.py applies them)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def put(e: Engine, bucket: str, key: str, data: bytes, **spec: Any) -> ObjectVersion:
    return run(e.objects.put(bucket, key, chunks(data), PutSpec(owner="owner", **spec)))  # type: ignore[no-any-return]


def multipart(e: Engine, bucket: str, key: str, bodies: list[bytes], finish: bool = True) -> Upload:
    u = run(e.multipart.create(bucket, key, Upload("", "", "", 0, "owner", headers={"content-type": "x/mp"})))
    parts = [run(e.multipart.upload_part(bucket, key, u.upload_id, n, chunks(b))) for n, b in enumerate(bodies, 1)]
    if finish:
        run(e.multipart.complete(bucket, key, u.upload_id, [PartRef(p.number, p.etag, p.checksums) for p in parts],
                                 CompleteSpec()))
    return u  # type: ignore[no-any-return]


def busy(e: Engine, clock: FakeClock) -> None:
    """Every kind of mutation the feed must carry, with overwrites and deletes in between."""
    run(e.buckets.create("plain", "owner"))
    run(e.buckets.create("vers", "owner"))
    run(e.versioning.set_status("vers", "Enabled"))
    run(e.buckets.create("lock", "owner", object_lock=True))
    for i in range(12):
        put(e, "plain", f"dir/{i:02d}", bytes([i]) * (10 + i * 400), user_meta={"i": str(i)})  # inline and blobs
        clock.advance(seconds=1)
    put(e, "plain", "dir/03", b"overwritten" * 300, headers={"content-type": "text/plain"})
    run(e.objects.delete("plain", "dir/04"))
    small = put(e, "plain", "tagged", b"t")
    run(e.tagging.put(small, [("a", "1"), ("b", "2")]))
    run(e.tagging.delete(e.objects.head("plain", "dir/05")))
    run(e.tagging.put(e.objects.head("plain", "dir/05"), [("c", "3")]))
    public = Acl("owner", (Grant("group", "AllUsers", "READ"),))
    run(Acls(e.store).set_object(e.objects.head("plain", "dir/06"), public))
    multipart(e, "plain", "mp", [b"a" * MIN, b"b" * MIN, b"c" * 3])
    multipart(e, "plain", "mp", [b"d" * MIN, b"e" * 5])  # overwrite a multipart object
    multipart(e, "plain", "open", [b"f" * MIN, b"g" * 2], finish=False)  # an upload in progress
    aborted = multipart(e, "plain", "gone", [b"h" * MIN], finish=False)
    run(e.multipart.abort("plain", "gone", aborted.upload_id))
    src = e.objects.head("plain", "dir/07")
    run(e.copier.copy_object(src, "plain", "copied", PutSpec(owner="owner"), CopyOptions()))
    for n in range(4):
        put(e, "vers", "doc", f"version {n}".encode() * (1 + 300 * (n % 2)))
    first = e.versioning.list_versions(VersionQuery("vers", prefix="doc")).versions[-1]
    run(e.objects.delete("vers", "doc"))  # a delete marker
    run(e.objects.delete("vers", "doc", first.version_id))  # a version removed for good
    put(e, "vers", "other", b"o")
    run(e.versioning.set_status("vers", "Suspended"))
    put(e, "vers", "other", b"null 1")
    put(e, "vers", "other", b"null 2 replaces null 1")
    extra = e.lock.for_write("lock", LockRequest("GOVERNANCE", clock.now_ms() + DAY_MS))
    locked = put(e, "lock", "held", b"retained", extra=extra)
    run(e.lock.put_legal_hold(locked, True))
    run(e.bucket_config.put("plain", "cors", [CorsRule(("*",), ("GET",))]))
    run(e.buckets.create("temporary", "owner"))
    run(e.buckets.delete("temporary"))


def replay(source: Engine, target: Engine, after: int = 0) -> int:
    """Apply the source's feed after `after` to the target, then fetch the blobs it names."""
    events: list[StorageEvent] = [decode(r) for r in source.store.feed.rows_after(after, 100_000)]
    index: Any = target.store.index  # SqliteMeta
    for ev in events:
        run(index.write(lambda tx, ev=ev: records.apply(tx.c, ev)))
    for blob_id in index.referenced_blobs() - {p.name for p in target.store.blobs.blobs.glob("*/*/*")}:
        dest = target.store.blobs.path(blob_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.store.blobs.path(blob_id), dest)
    return events[-1].lsn if events else after


def _version(e: Engine, v: ObjectVersion) -> dict[str, Any]:
    async def body() -> bytes:
        return b"".join([c async for c in e.objects.read(v, 0, v.size)])
    return {"head": dataclasses.replace(v, row_id=0, data=None), "body": run(body()),
            "tags": e.tagging.get(v) if not v.delete_marker else [],
            "acl": Acls(e.store).of_object(v).to_json() if not v.delete_marker else None,
            "lock": e.lock.state(v), "parts": e.multipart.object_parts(v, 0, 1000)[0]}


def answers(e: Engine) -> dict[str, Any]:
    """Everything a client can ask: buckets, listings, every version's head/body/tags/ACL/lock, uploads."""
    out: dict[str, Any] = {}
    for b in e.buckets.list():
        listing = e.list_objects(ListQuery(b.name))
        versions = e.versioning.list_versions(VersionQuery(b.name)).versions
        uploads = e.multipart.list_uploads(UploadsQuery(b.name)).uploads
        out[b.name] = {
            "bucket": b, "list": listing,
            "versions": [_version(e, v) for v in versions],
            "latest": {k.key: _version(e, e.objects.head(b.name, k.key)) for k in listing.entries},
            "uploads": [(u, e.multipart.list_parts(b.name, u.key, u.upload_id, 0, 1000)) for u in uploads],
        }
    return out


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[Engine, FakeClock]]:
    clock = FakeClock()
    (tmp_path / "source").mkdir()
    e = make_engine(tmp_path / "source", inline_limit=1024, clock=clock)
    e.multipart.min_part_size = MIN
    yield e, clock
    e.close()


def _empty(path: Path) -> Engine:
    path.mkdir()
    e = make_engine(path, inline_limit=1024)
    e.multipart.min_part_size = MIN
    return e


def test_feed_replayed_into_an_empty_store_answers_identically(source: tuple[Engine, FakeClock],
                                                                tmp_path: Path) -> None:
    src, clock = source
    busy(src, clock)
    replica = _empty(tmp_path / "replica")
    try:
        assert replica.buckets.list() == []
        replay(src, replica)
        expected = answers(src)
        assert set(expected) == {"plain", "vers", "lock"}
        assert answers(replica) == expected
        replay(src, replica)  # applying the same records again changes nothing
        assert answers(replica) == expected
    finally:
        replica.close()


def test_feed_replay_resumes_from_a_checkpoint(source: tuple[Engine, FakeClock], tmp_path: Path) -> None:
    src, _clock = source
    run(src.buckets.create("plain", "owner"))
    put(src, "plain", "a", b"1" * 2000)
    replica = _empty(tmp_path / "replica")
    try:
        checkpoint = replay(src, replica)
        put(src, "plain", "a", b"2" * 3000)  # overwrite after the checkpoint
        put(src, "plain", "b", b"3")
        run(src.objects.delete("plain", "b"))
        replay(src, replica, after=checkpoint)
        assert answers(replica) == answers(src)
    finally:
        replica.close()
