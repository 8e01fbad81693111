"""kill -9 (os._exit at a fault point) at every step of every write path, then restart and prove:
every acknowledged write is intact, the interrupted one is wholly there or wholly absent, no
temp file or blob leaks, and `fsck` finds nothing (blob checksums, references, event CRCs).

Each case prepares its state on a clean server, repeats ONE request on a server armed with a
fault point (the process dies inside that request, or, for lifecycle, inside the background
worker), restarts and checks. `visible` says whether the interrupted change must survive:
anything before the metadata COMMIT must vanish, anything after it must stay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from tests.crash.test_kill9 import assert_consistent, client
from tests.server import ServerProcess, start_server

from rucket import config
from rucket import server as rucket_server
from rucket.engine.fsck import Fsck

pytestmark = pytest.mark.crash
B = "faults"
BIG, SMALL = b"B" * 300_000, b"s" * 1000  # a blob file / an inline row
FAR = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
Ctx = dict[str, Any]


def fsck_clean(data: Path) -> None:
    engine = rucket_server.build_engine(config.load(None, {"data_dir": str(data)}, env={}))
    try:
        report = asyncio.run(Fsck(engine.store).run())
    finally:
        engine.close()
    assert report.problems == 0, report.lines()


def body(s3: BaseClient, key: str, version_id: str | None = None) -> bytes | None:
    try:
        kwargs = {"VersionId": version_id} if version_id else {}
        return bytes(s3.get_object(Bucket=B, Key=key, **kwargs)["Body"].read())
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("NoSuchKey", "NoSuchVersion"), e.response
        return None


# ---- cases: setup (clean server) -> action (armed server) -> check (after restart) ------------------
def _setup_plain(s3: BaseClient) -> Ctx:
    s3.create_bucket(Bucket=B)
    s3.put_object(Bucket=B, Key="keep", Body=BIG)
    s3.put_object(Bucket=B, Key="obj", Body=BIG[::-1])
    return {}


def _setup_versioned(s3: BaseClient) -> Ctx:
    _setup_plain(s3)
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=B, Key="ver", Body=BIG)["VersionId"]
    v2 = s3.put_object(Bucket=B, Key="ver", Body=SMALL)["VersionId"]
    return {"v1": v1, "v2": v2}


def _setup_locked(s3: BaseClient) -> Ctx:
    s3.create_bucket(Bucket=B, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=B, Key="keep", Body=BIG)
    return {"vid": s3.put_object(Bucket=B, Key="obj", Body=BIG)["VersionId"]}


def _check_put(s3: BaseClient, ctx: Ctx, visible: bool, key: str, data: bytes) -> None:
    assert body(s3, key) == (data if visible else None)


def _check_overwrite(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "obj") == (BIG if visible else BIG[::-1])


def _check_delete(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "obj") == (None if visible else BIG[::-1])


def _check_version_delete(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "ver", ctx["v1"]) == (None if visible else BIG)
    assert body(s3, "ver") == SMALL


def _check_marker(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "ver") == (None if visible else SMALL)
    assert body(s3, "ver", ctx["v1"]) == BIG and body(s3, "ver", ctx["v2"]) == SMALL


def _check_versioning(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert s3.get_bucket_versioning(Bucket=B).get("Status") == ("Enabled" if visible else None)


def _check_retention(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    try:
        mode = s3.get_object_retention(Bucket=B, Key="obj")["Retention"]["Mode"]
    except ClientError:
        mode = None
    assert mode == ("GOVERNANCE" if visible else None)


def _check_hold(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    try:
        status = s3.get_object_legal_hold(Bucket=B, Key="obj")["LegalHold"]["Status"]
    except ClientError:
        status = None
    assert status == ("ON" if visible else None)
    if visible:
        s3.put_object_legal_hold(Bucket=B, Key="obj", LegalHold={"Status": "OFF"})


def _setup_upload(s3: BaseClient) -> Ctx:
    _setup_plain(s3)
    uid = s3.create_multipart_upload(Bucket=B, Key="obj")["UploadId"]
    etag = s3.upload_part(Bucket=B, Key="obj", UploadId=uid, PartNumber=1, Body=BIG)["ETag"]
    return {"uid": uid, "parts": [{"PartNumber": 1, "ETag": etag}]}


def _complete(s3: BaseClient, ctx: Ctx) -> object:
    return s3.complete_multipart_upload(Bucket=B, Key="obj", UploadId=ctx["uid"],
                                        MultipartUpload={"Parts": ctx["parts"]})


def _check_complete(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "obj") == (BIG if visible else BIG[::-1])
    uploads = [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=B).get("Uploads", [])]
    assert uploads == ([] if visible else [ctx["uid"]])


def _check_copy(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    assert body(s3, "obj") == (BIG if visible else BIG[::-1])
    assert body(s3, "keep") == BIG


def _check_bucket(s3: BaseClient, ctx: Ctx, visible: bool) -> None:
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert ("born" in names) == visible


@dataclass(frozen=True)
class Case:
    setup: Callable[[BaseClient], Ctx]
    action: Callable[[BaseClient, Ctx], object]
    check: Callable[[BaseClient, Ctx, bool], None]
    faults: tuple[tuple[str, bool], ...]  # (fault point, interrupted change visible after restart)


BLOB_WRITE = (("blob.after_fsync", False), ("blob.after_rename", False), ("meta.before_commit", False),
              ("meta.after_commit", True))
DELETE = (("object.delete.txn", False), ("meta.before_commit", False), ("meta.after_commit", True),
          ("object.before_reclaim", True))
TXN = (("meta.before_commit", False), ("meta.after_commit", True))

CASES: dict[str, Case] = {
    "put-new-blob": Case(_setup_plain, lambda s3, c: s3.put_object(Bucket=B, Key="new", Body=BIG),
                         lambda s3, c, v: _check_put(s3, c, v, "new", BIG), BLOB_WRITE),
    "put-new-inline": Case(_setup_plain, lambda s3, c: s3.put_object(Bucket=B, Key="new", Body=SMALL),
                           lambda s3, c, v: _check_put(s3, c, v, "new", SMALL), TXN),
    "put-overwrite": Case(_setup_plain, lambda s3, c: s3.put_object(Bucket=B, Key="obj", Body=BIG),
                          _check_overwrite, (*BLOB_WRITE, ("object.before_reclaim", True))),
    "delete-unversioned": Case(_setup_plain, lambda s3, c: s3.delete_object(Bucket=B, Key="obj"),
                               _check_delete, DELETE),
    "delete-version": Case(_setup_versioned, lambda s3, c: s3.delete_object(Bucket=B, Key="ver", VersionId=c["v1"]),
                           _check_version_delete, DELETE),
    "delete-marker": Case(_setup_versioned, lambda s3, c: s3.delete_object(Bucket=B, Key="ver"), _check_marker,
                          (("object.delete.txn", False), *TXN)),
    "enable-versioning": Case(_setup_plain, lambda s3, c: s3.put_bucket_versioning(
        Bucket=B, VersioningConfiguration={"Status": "Enabled"}), _check_versioning, TXN),
    "put-retention": Case(_setup_locked, lambda s3, c: s3.put_object_retention(
        Bucket=B, Key="obj", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": FAR}), _check_retention,
        (("lock.txn", False), *TXN)),
    "put-legal-hold": Case(_setup_locked, lambda s3, c: s3.put_object_legal_hold(
        Bucket=B, Key="obj", LegalHold={"Status": "ON"}), _check_hold, (("lock.txn", False), *TXN)),
    "copy-over-object": Case(_setup_plain, lambda s3, c: s3.copy_object(
        Bucket=B, Key="obj", CopySource={"Bucket": B, "Key": "keep"}), _check_copy,
        (("copy.txn", False), *TXN, ("object.before_reclaim", True))),
    "complete-multipart": Case(_setup_upload, _complete, _check_complete,
                               (("multipart.complete.txn", False), *TXN, ("multipart.before_reclaim", True))),
    "create-bucket": Case(_setup_plain, lambda s3, c: s3.create_bucket(Bucket="born"), _check_bucket, TXN),
}
PARAMS = [pytest.param(name, fault, visible, id=f"{name}:{fault}")
          for name, case in CASES.items() for fault, visible in case.faults]


def _fingerprint(s3: BaseClient) -> str:
    return hashlib.md5(bytes(s3.get_object(Bucket=B, Key="keep")["Body"].read())).hexdigest()


@pytest.mark.parametrize(("name", "fault", "visible"), PARAMS)
def test_fault_point(tmp_path: Path, name: str, fault: str, visible: bool) -> None:
    case, data = CASES[name], tmp_path / "data"
    server = start_server(data)
    try:
        ctx = case.setup(client(server))
        keep = _fingerprint(client(server))
    finally:
        server.stop()
    armed = start_server(data, env={"RUCKET_FAULTPOINT": fault})
    with pytest.raises(Exception):  # noqa: B017 - the process dies before answering
        case.action(client(armed), ctx)
    _wait_dead(armed)
    server = start_server(data)
    try:
        s3 = client(server)
        assert _fingerprint(s3) == keep  # acknowledged before the crash: intact
        case.check(s3, ctx, visible)
        assert_consistent(data)
    finally:
        server.stop()
    fsck_clean(data)


def _wait_dead(server: ServerProcess, timeout: float = 20) -> None:
    """The worker that hit the fault point is gone; take the rest of the process group down too."""
    assert server.proc is not None
    deadline = time.monotonic() + timeout
    while server.proc.poll() is None and time.monotonic() < deadline:
        try:
            client(server).list_buckets()
        except Exception:  # the worker died: the parent may linger
            break
        time.sleep(0.1)
    server.kill9()


@pytest.mark.parametrize(("fault", "visible"), [
    pytest.param("lifecycle.before_delete", False, id="lifecycle:before-delete"),
    pytest.param("object.delete.txn", False, id="lifecycle:delete-txn"),
    pytest.param("meta.after_commit", True, id="lifecycle:committed"),
    pytest.param("object.before_reclaim", True, id="lifecycle:before-reclaim"),
])
def test_fault_point_in_lifecycle_worker(tmp_path: Path, fault: str, visible: bool) -> None:
    """The background worker dies mid-expiration; the object is then wholly there or wholly gone."""
    data = tmp_path / "data"
    server = start_server(data)
    try:
        s3 = client(server)
        _setup_plain(s3)
        s3.put_bucket_lifecycle_configuration(Bucket=B, LifecycleConfiguration={"Rules": [
            {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "obj"}, "Expiration": {"Days": 1}}]})
    finally:
        server.stop()
    scale = {"RUCKET_LIFECYCLE_TIME_SCALE": "1"}  # a "day" is one second
    try:
        armed: ServerProcess | None = start_server(data, env={"RUCKET_FAULTPOINT": fault, **scale})
    except RuntimeError:  # the worker tripped the fault before the server answered its first health check
        armed = None
    deadline = time.monotonic() + 30
    while armed is not None and time.monotonic() < deadline:  # the worker trips the fault by itself
        try:
            client(armed).list_buckets()
        except Exception:  # the worker died: the parent may linger
            break
        time.sleep(0.2)
    else:
        assert armed is None, "the lifecycle worker never reached the fault point"
    if armed is not None:
        armed.kill9()
    server = start_server(data)  # no time scale: the restarted worker does not act again
    try:
        s3 = client(server)
        assert body(s3, "keep") == BIG
        _check_delete(s3, {}, visible)
        assert_consistent(data)
    finally:
        server.stop()
    fsck_clean(data)
