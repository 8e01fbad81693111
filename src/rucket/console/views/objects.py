"""Browse a bucket by prefix ("/" as delimiter), look at an object (preview text and images),
download, delete, and presign the browser's uploads.

Listing, HEAD, preview reads and deletes are in-process S3 calls as the user. Transfers are
not relayed: the browser gets presigned URLs and talks to the S3 API itself, so a 5 GiB
download or a multipart upload costs the console nothing and obeys the same policies.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from rucket.console.context import Ctx
from rucket.console.web import Page, Route, url
from rucket.core.paths import CONSOLE
from rucket.s3.auth.client import object_path

PAGE_KEYS = 200
PREVIEW_BYTES = 64 * 1024
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-yaml")
TEXT_SUFFIXES = (".txt", ".md", ".csv", ".log", ".json", ".xml", ".yaml", ".yml", ".toml", ".ini", ".py", ".sh")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml", "image/bmp", "image/avif")
MAX_PARTS = 10_000


def crumbs(bucket: str, prefix: str) -> list[tuple[str, str]]:
    """(label, prefix) for each folder level of `prefix`, the bucket first."""
    out, acc = [(bucket, "")], ""
    for part in prefix.split("/")[:-1]:
        acc += part + "/"
        out.append((part, acc))
    return out


async def _listing(ctx: Ctx, bucket: str, prefix: str, token: str) -> dict[str, Any]:
    query = [("list-type", "2"), ("delimiter", "/"), ("max-keys", str(PAGE_KEYS)), ("prefix", prefix)]
    if token:
        query.append(("continuation-token", token))
    reply = await ctx.s3("GET", object_path(bucket), query)
    if not reply.ok:
        return {"error": reply.error(), "status": reply.status, "folders": [], "objects": []}
    root = reply.xml()
    return {"folders": [p.findtext("Prefix") or "" for p in root.iter("CommonPrefixes")],
            "objects": [{"key": c.findtext("Key") or "", "size": int(c.findtext("Size") or 0),
                         "modified": c.findtext("LastModified") or ""} for c in root.iter("Contents")],
            "next": (root.findtext("NextContinuationToken") or "") if root.findtext("IsTruncated") == "true" else "",
            "error": "", "status": 200}


async def _version_listing(ctx: Ctx, bucket: str, prefix: str, token: str) -> dict[str, Any]:
    """The "show versions" listing: every version and delete marker under the prefix, one row each."""
    key_marker, _, vid_marker = token.partition("\n")
    query = [("versions", ""), ("delimiter", "/"), ("max-keys", str(PAGE_KEYS)), ("prefix", prefix),
             ("key-marker", key_marker), ("version-id-marker", vid_marker)]
    reply = await ctx.s3("GET", object_path(bucket), [q for q in query if q[1] or q[0] == "versions"])
    if not reply.ok:
        return {"error": reply.error(), "status": reply.status, "folders": [], "objects": []}
    root = reply.xml()
    rows = [{"key": el.findtext("Key") or "", "size": int(el.findtext("Size") or 0),
             "modified": el.findtext("LastModified") or "", "version": el.findtext("VersionId") or "",
             "latest": el.findtext("IsLatest") == "true", "marker": el.tag == "DeleteMarker"}
            for el in root if el.tag in ("Version", "DeleteMarker")]
    nxt = ""
    if root.findtext("IsTruncated") == "true":
        nxt = f"{root.findtext('NextKeyMarker') or ''}\n{root.findtext('NextVersionIdMarker') or ''}"
    return {"folders": [p.findtext("Prefix") or "" for p in root.iter("CommonPrefixes")], "objects": rows,
            "next": nxt, "error": "", "status": 200}


async def browse(ctx: Ctx) -> Page:
    """`search` narrows the listing server-side (a longer prefix); the page's script then filters
    the rows it shows by substring as the user types."""
    bucket, q = ctx.params["bucket"], ctx.req.query
    prefix, search, versions = q.get("prefix", ""), q.get("search", ""), q.get("versions") == "1"
    if folder := q.get("folder", "").strip().strip("/"):  # "new folder": a prefix to upload into
        return Page.redirect(url(f"{CONSOLE}/b/{bucket}", prefix=f"{prefix}{folder}/"))
    lister = _version_listing if versions else _listing
    listing = await lister(ctx, bucket, prefix + search, q.get("token", ""))
    return ctx.render("browse.html", listing.pop("status"), bucket=bucket, prefix=prefix, search=search,
                      show_versions=versions, crumbs=crumbs(bucket, prefix), token=q.get("token", ""),
                      deleted=q.get("deleted", ""), **listing)


def kind_of(content_type: str, key: str) -> tuple[str, str]:
    """("image" | "text" | "", the content type to preview it as), from the stored type or the suffix."""
    ctype = content_type.split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(key)[0] or ""
    for candidate in (ctype, guessed):
        if candidate in IMAGE_TYPES:
            return "image", candidate
    if ctype.startswith(TEXT_TYPES) or key.lower().endswith(TEXT_SUFFIXES):
        return "text", ctype
    return "", ctype


async def download(ctx: Ctx) -> Page:
    bucket, key, version = ctx.params["bucket"], ctx.req.query.get("key", ""), ctx.req.query.get("version", "")
    name = key.rsplit("/", 1)[-1] or "download"
    disposition = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    params = [("response-content-disposition", disposition), *([("versionId", version)] if version else [])]
    return Page.redirect(ctx.presign("GET", bucket, key, params))


async def delete_object(ctx: Ctx) -> Page:
    bucket, key = ctx.params["bucket"], ctx.req.form().get("key", "")
    reply = await ctx.s3("DELETE", object_path(bucket, key))
    parent = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    if not reply.ok:
        listing = await _listing(ctx, bucket, parent, "")
        listing.update(error=reply.error(), status=reply.status)
        return ctx.render("browse.html", listing.pop("status"), bucket=bucket, prefix=parent, search="",
                          show_versions=False, crumbs=crumbs(bucket, parent), token="", deleted="", **listing)
    return Page.redirect(url(f"{CONSOLE}/b/{bucket}", prefix=parent))


def _parts(body: Mapping[str, Any]) -> list[int]:
    numbers = body.get("parts", [])
    if not isinstance(numbers, list) or not all(isinstance(n, int) and 1 <= n <= MAX_PARTS for n in numbers):
        raise ValueError("parts must be a list of part numbers 1..10000")
    return numbers


# op -> (method, extra query params from the request body); the S3 API decides whether it is allowed
PRESIGNERS: dict[str, tuple[str, Callable[[Mapping[str, Any]], list[tuple[str, str]]]]] = {
    "put": ("PUT", lambda b: []),
    "create": ("POST", lambda b: [("uploads", "")]),
    "complete": ("POST", lambda b: [("uploadId", str(b["upload_id"]))]),
    "abort": ("DELETE", lambda b: [("uploadId", str(b["upload_id"]))]),
}


async def presign_api(ctx: Ctx) -> Page:
    """Presigned URLs for the browser's upload: {op: put|create|parts|complete|abort, bucket, key, ...}."""
    body = ctx.req.json()
    if not isinstance(body, dict) or not isinstance(body.get("key"), str) or not isinstance(body.get("bucket"), str):
        return Page.json({"error": "bucket and key are required"}, 400)
    bucket, key, op = body["bucket"], body["key"], body.get("op")
    try:
        if op == "parts":
            upload = str(body["upload_id"])
            urls = [ctx.presign("PUT", bucket, key, [("partNumber", str(n)), ("uploadId", upload)])
                    for n in _parts(body)]
            return Page.json({"urls": urls})
        method, params = PRESIGNERS[str(op)]
        return Page.json({"url": ctx.presign(method, bucket, key, params(body))})
    except (KeyError, ValueError) as exc:
        return Page.json({"error": f"bad presign request: {exc}"}, 400)


ROUTES = (
    Route("GET", "/b/{bucket}", browse),
    Route("GET", "/b/{bucket}/download", download),
    Route("POST", "/b/{bucket}/object/delete", delete_object),
    Route("POST", "/api/presign", presign_api),
)
