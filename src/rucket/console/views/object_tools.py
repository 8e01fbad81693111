"""One object's tools: share links, versions, tags, metadata and content headers.

Each action is the S3 request the user's SDK would send, signed with the user's key:
a share link is a presigned GET (SigV4 caps it at 7 days, and the S3 API refuses a longer
one anyway), restoring a version is a CopyObject of that version onto the key, editing
metadata is a CopyObject in place with `x-amz-metadata-directive: REPLACE` (S3 has no other
way to change it), tags are PutObjectTagging. The console decides nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from rucket.console.client import Reply, content_md5
from rucket.console.context import Ctx
from rucket.console.views.objects import PREVIEW_BYTES, crumbs, kind_of
from rucket.console.web import Page, Route, url
from rucket.core.paths import CONSOLE
from rucket.s3.auth.client import object_path

MAX_SHARE_SECONDS = 7 * 24 * 3600  # the SigV4 presign limit
UNITS: Mapping[str, int] = {"minutes": 60, "hours": 3600, "days": 86400}
CONTENT_HEADERS = ("content-type", "cache-control", "content-disposition", "content-encoding", "content-language",
                   "expires")
META = "x-amz-meta-"
SSE_HEADERS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id")
MAX_ROWS = 10  # S3 allows 10 tags per object


def copy_source(bucket: str, key: str, version: str = "") -> str:
    src = quote(f"/{bucket}/{key}", safe="/-_.~")
    return f"{src}?versionId={quote(version, safe='')}" if version else src


def version_query(version: str) -> list[tuple[str, str]]:
    return [("versionId", version)] if version else []


def object_url(bucket: str, key: str, version: str = "", **extra: str) -> str:
    return url(f"{CONSOLE}/b/{bucket}/object", key=key, version=version, **extra)


def share_seconds(amount: str, unit: str) -> int:
    """The expiry a user chose, in seconds; ValueError with the reason when it is out of range."""
    try:
        seconds = int(amount) * UNITS[unit]
    except (KeyError, ValueError) as exc:
        raise ValueError("choose a whole number of minutes, hours or days") from exc
    if not 1 <= seconds <= MAX_SHARE_SECONDS:
        raise ValueError("a share link can be valid for 1 minute up to 7 days")
    return seconds


async def versions_of(ctx: Ctx, bucket: str, key: str) -> tuple[list[dict[str, Any]], str]:
    """Every version and delete marker of exactly `key`, newest first (ListObjectVersions, prefix=key)."""
    out: list[dict[str, Any]] = []
    marker, vmarker = "", ""
    for _ in range(10):  # 10 pages of 1000: more versions than anyone reads in a browser
        query = [("versions", ""), ("prefix", key), ("max-keys", "1000"), ("key-marker", marker),
                 ("version-id-marker", vmarker)]
        reply = await ctx.s3("GET", object_path(bucket), [q for q in query if q[1] or q[0] == "versions"])
        if not reply.ok:
            return out, reply.error()
        root = reply.xml()
        for el in root:
            if el.tag in ("Version", "DeleteMarker") and el.findtext("Key") == key:
                out.append({"id": el.findtext("VersionId") or "", "latest": el.findtext("IsLatest") == "true",
                            "marker": el.tag == "DeleteMarker", "modified": el.findtext("LastModified") or "",
                            "size": int(el.findtext("Size") or 0), "etag": el.findtext("ETag") or ""})
        if root.findtext("IsTruncated") != "true" or root.findtext("NextKeyMarker") != key:
            break
        marker, vmarker = key, root.findtext("NextVersionIdMarker") or ""
    return out, ""


async def tags_of(ctx: Ctx, bucket: str, key: str, version: str) -> tuple[list[tuple[str, str]], str]:
    reply = await ctx.s3("GET", object_path(bucket, key), [("tagging", ""), *version_query(version)])
    if not reply.ok:
        return [], reply.error()
    return [(t.findtext("Key") or "", t.findtext("Value") or "") for t in reply.xml().iter("Tag")], ""


def headers_of(head: Reply) -> tuple[dict[str, str], dict[str, str]]:
    """(content headers, user metadata without the x-amz-meta- prefix) of a HEAD reply."""
    content = {h: head.headers[h] for h in CONTENT_HEADERS if h in head.headers}
    meta = {k.removeprefix(META): v for k, v in head.headers.items() if k.startswith(META)}
    return content, meta


async def extras(ctx: Ctx, bucket: str, key: str, version: str, head: Reply | None) -> dict[str, Any]:
    """What the object page shows beside the preview: versions, tags, headers, metadata."""
    versions, versions_error = await versions_of(ctx, bucket, key)
    tags, tags_error = await tags_of(ctx, bucket, key, version) if head is not None else ([], "")
    content, meta = headers_of(head) if head is not None else ({}, {})
    return {"versions": versions, "versions_error": versions_error, "tags": tags, "tags_error": tags_error,
            "content": content, "user_meta": meta, "version": version, "units": list(UNITS),
            "content_names": CONTENT_HEADERS, "max_rows": MAX_ROWS}


def _pairs(form: Mapping[str, str], name: str) -> list[tuple[str, str]]:
    """The non-empty (key, value) rows of a repeated form (name_key_0, name_value_0, ...)."""
    rows = [(form.get(f"{name}_key_{i}", "").strip(), form.get(f"{name}_value_{i}", "")) for i in range(MAX_ROWS + 5)]
    return [(k, v) for k, v in rows if k]



def tagging_xml(tags: list[tuple[str, str]]) -> bytes:
    items = "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags)
    return (f'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>{items}</TagSet></Tagging>').encode()


async def _object_page(ctx: Ctx, bucket: str, key: str, version: str, status: int = 200,
                       typed: dict[str, Any] | None = None, **notice: str) -> Page:
    """The object page: details, preview, and the tools; `notice` carries a share link or an error,
    `typed` what the user entered in a form the server refused (shown again to fix in place)."""
    head = await ctx.s3("HEAD", object_path(bucket, key), version_query(version))
    found = head if head.ok else None
    more = {**await extras(ctx, bucket, key, version, found), **(typed or {})}
    if found is None and not more["versions"]:
        return ctx.render("error.html", head.status, message=f"{key}: HTTP {head.status}")
    (kind, ctype), text = kind_of(head.headers.get("content-type", ""), key) if found else ("", ""), ""
    if kind == "text":
        got = await ctx.s3("GET", object_path(bucket, key), version_query(version),
                           headers={"range": f"bytes=0-{PREVIEW_BYTES - 1}"})
        text = got.body.decode("utf-8", "replace") if got.ok else got.error()
    image = ctx.presign("GET", bucket, key, [("response-content-type", ctype), *version_query(version)],
                        expires=600) if kind == "image" else ""
    details = {k: v for k, v in head.headers.items() if k in ("etag", "last-modified", "x-amz-version-id")
               or k.startswith("x-amz-server-side")} if found else {}
    size = int(head.headers.get("content-length", "0")) if found else 0
    return ctx.render("object.html", status, bucket=bucket, key=key, kind=kind, text=text, image=image,
                      details=details, size=size, truncated=kind == "text" and size > PREVIEW_BYTES,
                      deleted=found is None, crumbs=crumbs(bucket, key), saved=ctx.req.query.get("saved", ""),
                      notice=notice, **more)


async def show_object(ctx: Ctx) -> Page:
    return await _object_page(ctx, ctx.params["bucket"], ctx.req.query.get("key", ""),
                              ctx.req.query.get("version", ""))


async def _done(ctx: Ctx, reply: Reply, bucket: str, key: str, version: str, saved: str, error_id: str,
                typed: dict[str, Any] | None = None) -> Page:
    if not reply.ok:
        return await _object_page(ctx, bucket, key, version, reply.status, typed, **{error_id: reply.error()})
    return Page.redirect(object_url(bucket, key, version, saved=saved))


async def share(ctx: Ctx) -> Page:
    bucket, form = ctx.params["bucket"], ctx.req.form()
    key, version = form.get("key", ""), form.get("version", "")
    try:
        seconds = share_seconds(form.get("amount", ""), form.get("unit", ""))
    except ValueError as exc:
        return await _object_page(ctx, bucket, key, version, 400, share_error=str(exc))
    link = ctx.presign("GET", bucket, key, version_query(version), expires=seconds)
    absolute = f"{ctx.req.scheme}://{ctx.req.headers.get('host', 'localhost')}{link}"
    return await _object_page(ctx, bucket, key, version, 200, share_url=absolute,
                              share_expires_ms=str(ctx.svc.now_ms() + seconds * 1000))


async def save_tags(ctx: Ctx) -> Page:
    bucket, form = ctx.params["bucket"], ctx.req.form()
    key, version = form.get("key", ""), form.get("version", "")
    tags = _pairs(form, "tag")
    path, query = object_path(bucket, key), [("tagging", ""), *version_query(version)]
    if not tags:
        reply = await ctx.s3("DELETE", path, query)
    else:
        body = tagging_xml(tags)
        reply = await ctx.s3("PUT", path, query, body, content_md5(body))
    return await _done(ctx, reply, bucket, key, version, "tags", "tags_error", {"tags": tags})


async def save_metadata(ctx: Ctx) -> Page:
    """Copy the object onto itself with the new headers and metadata (a new version when versioned)."""
    bucket, form = ctx.params["bucket"], ctx.req.form()
    key, version = form.get("key", ""), form.get("version", "")
    head = await ctx.s3("HEAD", object_path(bucket, key), version_query(version))
    if not head.ok:
        return await _object_page(ctx, bucket, key, version, head.status, meta_error=f"HTTP {head.status}")
    headers = {h: form[h].strip() for h in CONTENT_HEADERS if form.get(h, "").strip()}
    headers.update({META + k.lower(): v for k, v in _pairs(form, "meta")})
    headers.update({h: head.headers[h] for h in SSE_HEADERS if h in head.headers})  # keep the encryption
    headers.update({"x-amz-copy-source": copy_source(bucket, key, version), "x-amz-metadata-directive": "REPLACE"})
    reply = await ctx.s3("PUT", object_path(bucket, key), headers=headers)
    typed = {"content": {h: form.get(h, "") for h in CONTENT_HEADERS}, "user_meta": dict(_pairs(form, "meta"))}
    return await _done(ctx, _copy_result(reply), bucket, key, "", "metadata", "meta_error", typed)


def _copy_result(reply: Reply) -> Reply:
    """CopyObject can fail after its 200 with an <Error> body; treat that as the failure it is."""
    if reply.ok and b"<Error>" in reply.body[:200]:
        return Reply(500, {"content-type": "application/xml"}, reply.body)
    return reply


async def restore_version(ctx: Ctx) -> Page:
    """Make an old version the latest again: copy it onto the same key (the history stays)."""
    bucket, form = ctx.params["bucket"], ctx.req.form()
    key, version = form.get("key", ""), form.get("version", "")
    head = await ctx.s3("HEAD", object_path(bucket, key), version_query(version))
    headers = {h: head.headers[h] for h in SSE_HEADERS if h in head.headers}
    headers["x-amz-copy-source"] = copy_source(bucket, key, version)
    reply = _copy_result(await ctx.s3("PUT", object_path(bucket, key), headers=headers))
    return await _done(ctx, reply, bucket, key, "", "restored", "versions_error")


async def delete_version(ctx: Ctx) -> Page:
    """DeleteObject with versionId: removes that version (or delete marker) for good."""
    bucket, form = ctx.params["bucket"], ctx.req.form()
    key, version = form.get("key", ""), form.get("version", "")
    if not version:
        return await _object_page(ctx, bucket, key, "", 400, versions_error="no version chosen")
    reply = await ctx.s3("DELETE", object_path(bucket, key), version_query(version))
    if not reply.ok:
        return await _object_page(ctx, bucket, key, "", reply.status, versions_error=reply.error())
    return Page.redirect(object_url(bucket, key, saved="version deleted"))


ROUTES = (
    Route("GET", "/b/{bucket}/object", show_object),
    Route("POST", "/b/{bucket}/object/share", share),
    Route("POST", "/b/{bucket}/object/tags", save_tags),
    Route("POST", "/b/{bucket}/object/metadata", save_metadata),
    Route("POST", "/b/{bucket}/object/restore", restore_version),
    Route("POST", "/b/{bucket}/object/delete-version", delete_version),
)
