"""Objects and versions: list both ends, plan what is missing or changed, copy it.

Resuming needs no state file: the destination is compared with the source. Unversioned: a key
is copied again when its size or ETag differs, or the source's copy is newer than ours (a
metadata-only change keeps the ETag but moves LastModified). Versioned: the destination's
history of a key must be a prefix of the source's (same kind, size and ETag, oldest first);
the rest is copied in order, so a second run after an interruption copies only what is left.
A history that has diverged is reported, never overwritten.

A multipart source object is copied with its own part sizes (HeadObject partNumber=N), so its
`-N` ETag is reproduced exactly; where the source cannot tell the part sizes it is copied in
one PUT and matched by size and date instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlencode

from defusedxml.ElementTree import fromstring as defused_fromstring

from rucket.migrate import lock
from rucket.migrate.report import Report

Client = Any
HEADERS = ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl", "Expires",
           "WebsiteRedirectLocation", "Metadata")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    key: str
    version_id: str | None  # None: listed without versions
    etag: str
    size: int
    modified: dt.datetime
    marker: bool = False

    @property
    def parts(self) -> int:
        tail = self.etag.strip('"').rpartition("-")[2]
        return int(tail) if "-" in self.etag and tail.isdigit() else 0

    def signature(self) -> tuple[bool, int, str]:
        return self.marker, self.size, "multipart" if self.parts else self.etag

    def label(self, bucket: str) -> str:
        return f"{bucket}/{self.key}" + (f" (version {self.version_id})" if self.version_id else "")


def _entry(raw: dict[str, Any], versioned: bool, marker: bool = False) -> Entry:
    return Entry(raw["Key"], raw.get("VersionId") if versioned else None, raw.get("ETag", ""),
                 int(raw.get("Size", 0)), raw.get("LastModified", EPOCH), marker)


def histories(client: Client, bucket: str, versioned: bool) -> dict[str, list[Entry]]:
    """key → entries oldest first (the latest alone when not versioned)."""
    out: dict[str, list[Entry]] = {}
    if not versioned:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for raw in page.get("Contents", []):
                out[raw["Key"]] = [_entry(raw, False)]
        return out
    order: list[tuple[str, str]] = []
    with _listing_order(client, order):
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for raw in page.get("Versions", []):
                out.setdefault(raw["Key"], []).append(_entry(raw, True))
            for raw in page.get("DeleteMarkers", []):
                out.setdefault(raw["Key"], []).append(_entry(raw, True, marker=True))
    if not order:  # the XML could not be read: the dates decide, same-second ties keep the listing's order
        return {k: sorted(reversed(v), key=lambda e: e.modified) for k, v in out.items()}
    position = {ident: i for i, ident in enumerate(order)}
    return {k: sorted(v, key=lambda e: -position.get((e.key, e.version_id or ""), 0)) for k, v in out.items()}


@contextlib.contextmanager
def _listing_order(client: Client, order: list[tuple[str, str]]) -> Iterator[None]:
    """Record (key, version id) in the order the XML lists them. boto3 returns versions and delete
    markers as two lists, losing how they interleave, and LastModified cannot restore it: many
    servers (moto, some MinIO versions) report whole seconds, so a marker and the versions around it tie."""
    def grab(response_dict: dict[str, Any], **_: Any) -> None:
        with contextlib.suppress(Exception):  # no body, not XML: fall back to LastModified
            for child in defused_fromstring(response_dict["body"]):
                if child.tag.rpartition("}")[2] in ("Version", "DeleteMarker"):
                    fields = {c.tag.rpartition("}")[2]: c.text or "" for c in child}
                    order.append((fields.get("Key", ""), fields.get("VersionId", "")))

    event = "before-parse.s3.ListObjectVersions"
    client.meta.events.register(event, grab)
    try:
        yield
    finally:
        client.meta.events.unregister(event, grab)


def plan(bucket: str, src: list[Entry], dst: list[Entry], versioned: bool, report: Report) -> list[Entry]:
    """What of one key's source history still has to be copied (empty: nothing)."""
    if not versioned:
        latest, ours = src[-1], dst[-1] if dst else None
        same = ours is not None and latest.size == ours.size and latest.modified <= ours.modified and (
            latest.etag == ours.etag or bool(latest.parts))
        return [] if same else [latest]
    theirs = [e.signature() for e in src]
    if [e.signature() for e in dst] != theirs[: len(dst)]:
        report.fail(f"{bucket}/{src[0].key}", "compare histories",
                    f"the destination holds {len(dst)} versions that do not match the source's first "
                    f"{len(dst)}; key left as it is")
        return []
    return src[len(dst):]


def _version(entry: Entry) -> dict[str, str]:
    return {"VersionId": entry.version_id} if entry.version_id else {}


def _tags(src: Client, bucket: str, entry: Entry, report: Report) -> str | None:
    try:
        tags = src.get_object_tagging(Bucket=bucket, Key=entry.key, **_version(entry)).get("TagSet", [])
    except Exception as exc:
        report.fail(entry.label(bucket), "source GetObjectTagging (object copied without its tags)", exc)
        return None
    return urlencode([(t["Key"], t["Value"]) for t in tags]) if tags else None


def _part_sizes(src: Client, bucket: str, entry: Entry) -> list[int] | None:
    try:
        sizes = [int(src.head_object(Bucket=bucket, Key=entry.key, PartNumber=n, **_version(entry))["ContentLength"])
                 for n in range(1, entry.parts + 1)]
    except Exception:
        return None  # the source cannot say: copied in one PUT
    return sizes if sum(sizes) == entry.size else None


def copy_one(src: Client, dst: Client, bucket: str, entry: Entry, report: Report, *, locked: bool = False) -> int:
    """Copy one version (or delete marker); returns the bytes copied, -1 on a reported failure.
    `locked`: the bucket has Object Lock, so the version's retention and legal hold travel too."""
    if entry.marker:
        try:
            dst.delete_object(Bucket=bucket, Key=entry.key)
        except Exception as exc:
            report.fail(entry.label(bucket), "destination DeleteObject (delete marker)", exc)
            return -1
        return 0
    step = "source GetObject"
    try:
        got = src.get_object(Bucket=bucket, Key=entry.key, **_version(entry))  # headers and body in one call
        args: dict[str, Any] = {h: got[h] for h in HEADERS if got.get(h)}
        tags = _tags(src, bucket, entry, report)
        if tags:
            args["Tagging"] = tags
        if locked:
            args |= lock.version_args(src, bucket, entry.key, _version(entry), entry.label(bucket), report,
                                      lambda: dt.datetime.now(dt.UTC))
        sizes = _part_sizes(src, bucket, entry) if entry.parts else None
        if sizes:
            got["Body"].close()
            step = "copy in parts"
            _copy_parts(src, dst, bucket, entry, sizes, args)
        else:
            with _spooled(got["Body"]) as body:
                step = "destination PutObject"
                dst.put_object(Bucket=bucket, Key=entry.key, Body=body, **args)
    except Exception as exc:
        report.fail(entry.label(bucket), step, exc)
        return -1
    return entry.size


def _copy_parts(src: Client, dst: Client, bucket: str, entry: Entry, sizes: list[int], args: dict[str, Any]) -> None:
    upload = dst.create_multipart_upload(Bucket=bucket, Key=entry.key, **args)["UploadId"]
    try:
        done, start = [], 0
        for n, size in enumerate(sizes, 1):
            rng = f"bytes={start}-{start + size - 1}" if size else None
            if rng is None:
                part = dst.upload_part(Bucket=bucket, Key=entry.key, UploadId=upload, PartNumber=n, Body=b"")
            else:
                got = src.get_object(Bucket=bucket, Key=entry.key, Range=rng, **_version(entry))
                with _spooled(got["Body"]) as body:
                    part = dst.upload_part(Bucket=bucket, Key=entry.key, UploadId=upload, PartNumber=n, Body=body)
            done.append({"PartNumber": n, "ETag": part["ETag"]})
            start += size
        dst.complete_multipart_upload(Bucket=bucket, Key=entry.key, UploadId=upload,
                                      MultipartUpload={"Parts": done})
    except BaseException:
        dst.abort_multipart_upload(Bucket=bucket, Key=entry.key, UploadId=upload)
        raise


SPOOL_MEMORY = 16 * 1024 * 1024


def _spooled(body: Any) -> IO[bytes]:
    """The download as a seekable file (memory up to 16 MiB, then a temp file): botocore rewinds a
    body to sign or retry it, which a network stream cannot do."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - caller closes
    try:
        for chunk in iter(lambda: body.read(1 << 20), b""):
            out.write(chunk)
    except BaseException:
        out.close()
        raise
    finally:
        body.close()
    out.seek(0)
    return out
