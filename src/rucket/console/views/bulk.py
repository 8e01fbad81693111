"""Many objects at once: delete a selection or a whole folder, and presign a selection for
the browser's zip download.

A folder is every key under its prefix, found by listing (no delimiter) as the user. Deletes
go out as DeleteObjects of up to 1000 keys, so each key is still authorized one by one by
the S3 API; the confirmation page says how many keys that is before anything is deleted.
The zip is built by the browser (`console.js`) from presigned GETs: no byte passes through
the console.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from rucket.console.client import content_md5
from rucket.console.context import Ctx
from rucket.console.web import Page, Route, url
from rucket.core.paths import CONSOLE
from rucket.s3.auth.client import object_path

BATCH = 1000  # DeleteObjects' limit
MAX_KEYS = 100_000  # a selection larger than this is a job for a CLI, not a browser tab
SHOWN = 20  # keys named on the confirmation page
ZIP_SECONDS = 3600


class TooMany(Exception):
    pass


async def keys_under(ctx: Ctx, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every key (with its size) under `prefix`, by ListObjectsV2 pages without a delimiter."""
    out: list[dict[str, Any]] = []
    token = ""
    while True:
        query = [("list-type", "2"), ("max-keys", "1000"), ("prefix", prefix)]
        reply = await ctx.s3("GET", object_path(bucket), query + ([("continuation-token", token)] if token else []))
        if not reply.ok:
            raise PermissionError(reply.error())
        root = reply.xml()
        out += [{"key": c.findtext("Key") or "", "size": int(c.findtext("Size") or 0)} for c in root.iter("Contents")]
        if len(out) > MAX_KEYS:
            raise TooMany(f"more than {MAX_KEYS} keys selected: use the CLI for this one")
        token = root.findtext("NextContinuationToken") or ""
        if root.findtext("IsTruncated") != "true" or not token:
            return out


async def expand(ctx: Ctx, bucket: str, keys: list[str], prefixes: list[str]) -> list[dict[str, Any]]:
    """The selection as keys: chosen keys plus every key under each chosen folder, once each."""
    seen: dict[str, dict[str, Any]] = {k: {"key": k, "size": None} for k in keys if k}
    for p in prefixes:
        if p:
            for item in await keys_under(ctx, bucket, p):
                seen[item["key"]] = item
    return [seen[k] for k in sorted(seen)]


def _selection(ctx: Ctx) -> tuple[list[str], list[str]]:
    pairs = ctx.req.form_pairs()
    return [v for k, v in pairs if k == "key"], [v for k, v in pairs if k == "prefix"]


def delete_xml(keys: list[str]) -> bytes:
    items = "".join(f"<Object><Key>{escape(k)}</Key></Object>" for k in keys)
    return f"<Delete><Quiet>true</Quiet>{items}</Delete>".encode()


async def delete_keys(ctx: Ctx, bucket: str, keys: list[str]) -> tuple[int, list[str]]:
    """(deleted, errors): DeleteObjects in batches of 1000; each failed key is named with its code."""
    deleted, errors = 0, list[str]()
    for i in range(0, len(keys), BATCH):
        batch = keys[i:i + BATCH]
        body = delete_xml(batch)
        reply = await ctx.s3("POST", object_path(bucket), [("delete", "")], body, content_md5(body))
        if not reply.ok:
            return deleted, [*errors, reply.error()]
        failed = [f"{e.findtext('Key')}: {e.findtext('Code')}" for e in reply.xml().iter("Error")]
        deleted += len(batch) - len(failed)
        errors += failed
    return deleted, errors


async def _confirm_page(ctx: Ctx, bucket: str, keys: list[str], prefixes: list[str], back: str) -> Page:
    try:
        items = await expand(ctx, bucket, keys, prefixes)
    except (PermissionError, TooMany) as exc:
        return ctx.render("error.html", 400, message=str(exc))
    versioning = await ctx.s3("GET", object_path(bucket), [("versioning", "")])
    versioned = versioning.ok and versioning.xml().findtext("Status") == "Enabled"
    return ctx.render("confirm_delete.html", bucket=bucket, items=items[:SHOWN], count=len(items), keys=keys,
                      prefixes=prefixes, back=back, versioned=versioned)


async def confirm_folder(ctx: Ctx) -> Page:
    bucket, prefix = ctx.params["bucket"], ctx.req.query.get("prefix", "")
    parent = prefix.rstrip("/").rpartition("/")[0]
    return await _confirm_page(ctx, bucket, [], [prefix], parent + "/" if parent else "")


async def delete_many(ctx: Ctx) -> Page:
    """Without confirm=yes: the confirmation page (with the count); with it: the deletes."""
    bucket, form = ctx.params["bucket"], ctx.req.form()
    keys, prefixes = _selection(ctx)
    back = form.get("back", "")
    if form.get("confirm") != "yes":
        return await _confirm_page(ctx, bucket, keys, prefixes, back)
    try:
        items = await expand(ctx, bucket, keys, prefixes)
    except (PermissionError, TooMany) as exc:
        return ctx.render("error.html", 400, message=str(exc))
    deleted, errors = await delete_keys(ctx, bucket, [i["key"] for i in items])
    if errors:
        return ctx.render("error.html", 403 if any("AccessDenied" in e for e in errors) else 400,
                          message=f"Deleted {deleted} of {len(items)}; failed:\n" + "\n".join(errors[:SHOWN]))
    return Page.redirect(url(f"{CONSOLE}/b/{bucket}", prefix=back, deleted=str(deleted)))


async def zip_urls(ctx: Ctx) -> Page:
    """{bucket, prefix, keys: [...], prefixes: [...]} → presigned GETs with the names to use in the zip."""
    body = ctx.req.json()
    if not isinstance(body, dict) or not isinstance(body.get("bucket"), str):
        return Page.json({"error": "bucket is required"}, 400)
    bucket, base = body["bucket"], str(body.get("prefix", ""))
    keys, prefixes = body.get("keys", []), body.get("prefixes", [])
    if not all(isinstance(x, str) for x in [*keys, *prefixes]):
        return Page.json({"error": "keys and prefixes are lists of strings"}, 400)
    try:
        items = await expand(ctx, bucket, keys, prefixes)
    except (PermissionError, TooMany) as exc:
        return Page.json({"error": str(exc)}, 400)
    files = [{"name": i["key"].removeprefix(base) or i["key"], "key": i["key"],
              "url": ctx.presign("GET", bucket, i["key"], expires=ZIP_SECONDS)}
             for i in items if not i["key"].endswith("/")]
    return Page.json({"files": files})


ROUTES = (
    Route("GET", "/b/{bucket}/delete-folder", confirm_folder),
    Route("POST", "/b/{bucket}/delete-many", delete_many),
    Route("POST", "/api/zip", zip_urls),
)
