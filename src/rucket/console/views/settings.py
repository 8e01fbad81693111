"""Bucket settings: versioning, lifecycle, CORS and the bucket policy, and deleting the bucket.

Each editor shows the current document (JSON) and saves through the S3 API as the user:
an invalid document comes back as the server's error code and message, shown next to the
text the user typed so it can be fixed in place. An empty editor deletes the configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rucket.console.client import Reply, content_md5
from rucket.console.context import Ctx
from rucket.console.shapes import CORS, LIFECYCLE, Shape, ShapeError, from_xml, to_xml
from rucket.console.views import bucket_panels
from rucket.console.web import Page, Route, url
from rucket.core.paths import CONSOLE
from rucket.s3.auth.client import object_path


@dataclass(frozen=True)
class Editor:
    title: str
    subresource: str  # the S3 query keyword
    missing: str  # error code of "not configured", shown as an empty editor
    shape: Shape | None  # None: the document is JSON on the wire too (policy)
    example: str

    def encode(self, text: str) -> bytes:
        if self.shape is None:
            try:
                json.loads(text)
            except ValueError as exc:
                raise ShapeError(f"not valid JSON: {exc}") from exc
            return text.encode()
        return to_xml(text, self.shape)

    def decode(self, reply: Reply) -> str:
        if self.shape is None:
            try:
                return json.dumps(json.loads(reply.body), indent=2)
            except ValueError:
                return reply.body.decode("utf-8", "replace")
        return from_xml(reply.xml(), self.shape)


EDITORS: dict[str, Editor] = {
    "policy": Editor("Bucket policy", "policy", "NoSuchBucketPolicy", None,
                     '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
                     '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/*"}]}'),
    "lifecycle": Editor("Lifecycle rules", "lifecycle", "NoSuchLifecycleConfiguration", LIFECYCLE,
                        '{"Rules": [{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, '
                        '"Expiration": {"Days": 30}}]}'),
    "cors": Editor("CORS", "cors", "NoSuchCORSConfiguration", CORS,
                   '{"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 3000}]}'),
}


async def _current(ctx: Ctx, bucket: str, editor: Editor) -> dict[str, Any]:
    reply = await ctx.s3("GET", object_path(bucket), [(editor.subresource, "")])
    if reply.ok:
        return {"text": editor.decode(reply), "error": "", "readable": True}
    if reply.code() == editor.missing:
        return {"text": "", "error": "", "readable": True}
    return {"text": "", "error": reply.error(), "readable": False}


async def _versioning(ctx: Ctx, bucket: str) -> dict[str, Any]:
    reply = await ctx.s3("GET", object_path(bucket), [("versioning", "")])
    if not reply.ok:
        return {"status": "", "error": reply.error(), "readable": False}
    return {"status": reply.xml().findtext("Status") or "Unversioned", "error": "", "readable": True}


async def settings_page(ctx: Ctx, bucket: str, status: int = 200, **override: dict[str, Any]) -> Page:
    """The page with every editor's current state; `override` replaces one editor's state
    (the user's rejected text and the server's error)."""
    editors = {name: override.get(name) or await _current(ctx, bucket, e) for name, e in EDITORS.items()}
    versioning = override.get("versioning") or await _versioning(ctx, bucket)
    panels = {name: override.get(name) or await bucket_panels.current(ctx, bucket, p)
              for name, p in bucket_panels.PANELS.items()}
    return ctx.render("settings.html", status, bucket=bucket, editors=editors, meta=EDITORS, versioning=versioning,
                      panels=panels, kms_keys=await bucket_panels.kms_keys(ctx), pab_flags=bucket_panels.PAB_FLAGS,
                      lock_modes=bucket_panels.LOCK_MODES, lock_units=bucket_panels.LOCK_UNITS,
                      algorithms=bucket_panels.ALGORITHMS, max_tags=bucket_panels.MAX_TAGS,
                      saved=ctx.req.query.get("saved", ""), delete_error=override.get("delete", {}).get("error", ""))


async def show_settings(ctx: Ctx) -> Page:
    return await settings_page(ctx, ctx.params["bucket"])



async def save_versioning(ctx: Ctx) -> Page:
    bucket, status = ctx.params["bucket"], ctx.req.form().get("status", "")
    body = (f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>{status}</Status>'
            "</VersioningConfiguration>").encode() if status in ("Enabled", "Suspended") else b"<bad/>"
    reply = await ctx.s3("PUT", object_path(bucket), [("versioning", "")], body, content_md5(body))
    if not reply.ok:
        return await settings_page(ctx, bucket, reply.status,
                                   versioning={"status": status, "error": reply.error(), "readable": True})
    return Page.redirect(url(f"{CONSOLE}/b/{bucket}/settings", saved="versioning"))


async def _save(ctx: Ctx, bucket: str, editor: Editor, text: str) -> Reply | str:
    """The S3 reply, or the reason the text could not even be turned into a request."""
    if not text.strip():
        return await ctx.s3("DELETE", object_path(bucket), [(editor.subresource, "")])
    try:
        body = editor.encode(text)
    except ShapeError as exc:
        return str(exc)
    return await ctx.s3("PUT", object_path(bucket), [(editor.subresource, "")], body, content_md5(body))


async def save_document(ctx: Ctx) -> Page:
    bucket, kind = ctx.params["bucket"], ctx.params["kind"]
    if (panel := bucket_panels.PANELS.get(kind)) is not None:
        return await _save_panel(ctx, bucket, kind, panel)
    editor = EDITORS.get(kind)
    if editor is None:
        return Page.text("no such setting", 404)
    text = ctx.req.form().get("document", "")
    result = await _save(ctx, bucket, editor, text)
    if isinstance(result, str) or not result.ok:
        error, status = (result, 400) if isinstance(result, str) else (result.error(), result.status)
        return await settings_page(ctx, bucket, status, **{kind: {"text": text, "error": error, "readable": True}})
    return Page.redirect(url(f"{CONSOLE}/b/{bucket}/settings", saved=kind))


async def _save_panel(ctx: Ctx, bucket: str, kind: str, panel: bucket_panels.Panel) -> Page:
    form = ctx.req.form()
    reply = await bucket_panels.save(ctx, bucket, panel, form)
    if not reply.ok:
        state = {**panel.typed(form), "error": reply.error(), "readable": True}
        return await settings_page(ctx, bucket, reply.status, **{kind: state})
    return Page.redirect(url(f"{CONSOLE}/b/{bucket}/settings", saved=kind))


async def delete_bucket(ctx: Ctx) -> Page:
    bucket = ctx.params["bucket"]
    reply = await ctx.s3("DELETE", object_path(bucket))
    if not reply.ok:
        return await settings_page(ctx, bucket, reply.status, delete={"error": reply.error()})
    return Page.redirect(f"{CONSOLE}/buckets")


ROUTES = (
    Route("GET", "/b/{bucket}/settings", show_settings),
    Route("POST", "/b/{bucket}/settings/versioning", save_versioning),
    Route("POST", "/b/{bucket}/settings/{kind}", save_document),
    Route("POST", "/b/{bucket}/delete", delete_bucket),
)
