"""PostObject: browser form uploads.

Fields are read up to the file part; the form's signature names the principal (anonymous
when unsigned) and its policy constrains the fields; then the request is authorized like a
PutObject of `key` by that principal (the same evaluator, with the form's `acl` and other
fields as the request headers) and the file is streamed into the store. The size range of
the policy is enforced while streaming and checked again before the commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

from rucket.blobs.base import WrittenBlob
from rucket.core.model import Principal
from rucket.engine.objects import PutSpec
from rucket.engine.tagging import validate_tags
from rucket.s3 import headers as hdr
from rucket.s3 import xml
from rucket.s3.auth.post_policy import check_policy, parse_policy, verify_signature
from rucket.s3.errors import EntityTooLarge, EntityTooSmall, InvalidArgument
from rucket.s3.form import FormReader, MalformedPOSTRequest, boundary_of
from rucket.s3.handlers import encryption as sse
from rucket.s3.handlers.acl import new_object_acl
from rucket.s3.ops import Operation, Target
from rucket.s3.request import RequestContext, Response

_AS_HEADER = {"acl": "x-amz-acl", "tagging": "x-amz-tagging-xml"}
_STATUSES = frozenset({"200", "201", "204"})


async def _fields(form: FormReader) -> tuple[dict[str, str], str]:
    """Lower-case field names → values, up to the file part; returns the file's name too."""
    fields: dict[str, str] = {}
    await form.start()
    total = 0
    while (part := await form.next_part()) is not None:
        name, filename = part
        if name.lower() == "file":
            return fields, filename or ""
        value = await form.value()
        total += len(value)
        if total > 64 * 1024:
            raise MalformedPOSTRequest("form fields exceed 64 KiB")
        fields[name.lower()] = value.decode("utf-8", "replace")
    raise InvalidArgument("POST requires exactly one file upload per request.", ArgumentName="file",
                          ArgumentValue="0")


def _principal(ctx: RequestContext, fields: Mapping[str, str]) -> tuple[Principal | None, tuple[int, int] | None]:
    """The signer (None: unsigned form) and the policy's content-length-range."""
    identities = getattr(ctx.users, "identities", None)
    found: dict[str, Principal | None] = {}

    def secret(access_key: str) -> str | None:
        user = found[access_key] = identities.lookup(access_key) if identities is not None else None
        return user.secret if user else None

    access_key = verify_signature(fields, secret, ctx.settings.signing_region)
    if access_key is None:
        return None, None
    policy = parse_policy(fields["policy"])
    check_policy(policy, {**fields, "bucket": ctx.bucket}, ctx.engine.now_ms())
    return found.get(access_key), policy.length


def _headers(fields: Mapping[str, str]) -> dict[str, str]:
    return {_AS_HEADER.get(k, k): v for k, v in fields.items()}


async def _bounded(stream: AsyncIterator[bytes], limit: int | None) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if limit is not None and seen > limit:
            raise EntityTooLarge("Your proposed upload exceeds the maximum allowed size")
        yield chunk


def _verify(headers: Mapping[str, str], algorithms: tuple[str, ...], rng: tuple[int, int] | None) -> Any:
    def verify(w: WrittenBlob) -> dict[str, str]:
        if rng is not None and w.size < rng[0]:
            raise EntityTooSmall("Your proposed upload is smaller than the minimum allowed size")
        return hdr.verify_written(headers, {}, w, algorithms)
    return verify


async def post_object(ctx: RequestContext) -> Response:
    form = FormReader(ctx.body_stream, boundary_of(ctx.headers.get("content-type", "")))
    fields, filename = await _fields(form)
    if not fields.get("key"):
        raise InvalidArgument("Bucket POST must contain a field named 'key'.", ArgumentName="key", ArgumentValue="")
    key = fields["key"] = fields["key"].replace("${filename}", filename)  # the policy sees the final key
    user, rng = _principal(ctx, fields)
    headers = _headers(fields)
    tags = tuple(validate_tags(xml.parse_tagging(headers["x-amz-tagging-xml"].encode()))) \
        if "x-amz-tagging-xml" in headers else ()  # the form's `tagging` field is a <Tagging> document
    bucket = ctx.target_bucket()
    authz = dataclasses.replace(ctx.authz, user=user, headers=headers, auth_type="POST")
    if not authz.secure and not ctx.settings.allow_insecure_sse_c:
        sse.refuse_insecure_customer_key(headers, {})  # SSE-C form fields, as the headers in s3/app.py
    authz.require("s3:PutObject", Target.OBJECT, bucket, key)
    as_writer = dataclasses.replace(ctx, user=user, headers=headers, key=key)
    owner, extra = new_object_acl(as_writer, bucket)
    algorithms = hdr.requested_checksums(headers)
    spec = PutSpec(owner=owner, headers=hdr.stored_headers(headers), user_meta=hdr.user_meta(headers),
                   checksum_algorithms=algorithms, extra=extra, verify=_verify(headers, algorithms, rng), tags=tags)
    spec.sse = sse.new_key(as_writer, bucket)  # x-amz-server-side-encryption* form fields, or the bucket default
    v = await ctx.engine.objects.put(ctx.bucket, key, _bounded(form.stream(), rng[1] if rng else None), spec)
    await form.drain()
    return _answer(ctx, fields, key, v.etag, v.version_id)


def _answer(ctx: RequestContext, fields: Mapping[str, str], key: str, etag: str, version_id: str) -> Response:
    out = [("etag", etag)] + ([("x-amz-version-id", version_id)] if version_id != "null" else [])
    if redirect := fields.get("success_action_redirect"):
        sep = "&" if "?" in redirect else "?"
        location = f"{redirect}{sep}bucket={quote(ctx.bucket)}&key={quote(key)}&etag={quote(etag)}"
        return Response.empty(303, [("location", location), *out])
    status = fields.get("success_action_status", "204")
    if status not in _STATUSES:
        status = "204"
    if status == "201":
        location = f"/{quote(ctx.bucket)}/{quote(key)}"
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>{location}'
                f"</Location><Bucket>{_esc(ctx.bucket)}</Bucket><Key>{_esc(key)}</Key><ETag>{_esc(etag)}</ETag>"
                "</PostResponse>").encode()
        return Response.xml(body, 201, out)
    return Response.empty(int(status), out)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


HANDLERS: Mapping[Operation, Any] = {Operation.POST_OBJECT: post_object}
