"""ListObjects (v1) and ListObjectsV2."""

from __future__ import annotations

import base64
import binascii

from rucket.core.model import ListPage, Owner
from rucket.engine.listing import ListQuery, after, resume_point, successor
from rucket.s3 import xml
from rucket.s3.errors import InvalidArgument
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response, int_param

MAX_KEYS = 1000


def _encoding(ctx: RequestContext) -> bool:
    enc = ctx.query.get("encoding-type")
    if enc is None:
        return False
    if enc.lower() != "url":
        raise InvalidArgument("Invalid Encoding Method specified in Request",
                              ArgumentName="encoding-type", ArgumentValue=enc)
    return True


def _refuse_unordered_delimiter(ctx: RequestContext, delimiter: str) -> None:
    """Ceph's `allow-unordered=true` lets a listing come back in any order; ours is always in key
    order, which is one such order, so the flag changes nothing, except that Ceph refuses it with
    a delimiter (common prefixes need ordered keys) and clients written for RGW rely on that."""
    if delimiter and ctx.query.get("allow-unordered", "").lower() == "true":
        raise InvalidArgument("allow-unordered cannot be used with a delimiter",
                              ArgumentName="allow-unordered", ArgumentValue="true")


def _owners(ctx: RequestContext, page: ListPage, wanted: bool = True) -> dict[str, Owner]:
    return {e.owner: ctx.owner_of(e.owner) for e in page.entries} if wanted else {}


def encode_token(page: ListPage, delimiter: str) -> str:
    """The token is where the next page starts (inclusive), so it resumes exactly after the last entry."""
    last = page.next_marker
    is_prefix = bool(delimiter and page.prefixes and page.prefixes[-1] == last)
    nxt = (successor(last) or after(last)) if is_prefix else after(last)
    return base64.urlsafe_b64encode(nxt.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidArgument("The continuation token provided is incorrect",
                              ArgumentName="continuation-token") from exc


async def list_objects(ctx: RequestContext) -> Response:
    q = ctx.query
    prefix, delimiter, marker = q.get("prefix", ""), q.get("delimiter", ""), q.get("marker", "")
    max_keys = int_param(q, "max-keys", MAX_KEYS, hi=MAX_KEYS)
    encode = _encoding(ctx)
    _refuse_unordered_delimiter(ctx, delimiter)
    query = ListQuery(ctx.bucket, prefix, delimiter, resume_point(prefix, delimiter, marker), max_keys)
    page = ctx.engine.list_objects(query)
    params = xml.ListParams(ctx.bucket, prefix, delimiter, int_param(q, "max-keys", MAX_KEYS), encode,
                            marker=marker)
    return Response.xml(xml.render_list_objects(params, page, _owners(ctx, page)))


async def list_objects_v2(ctx: RequestContext) -> Response:
    q = ctx.query
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    token, start_after = q.get("continuation-token"), q.get("start-after", "")
    max_keys = int_param(q, "max-keys", MAX_KEYS, hi=MAX_KEYS)
    encode = _encoding(ctx)
    _refuse_unordered_delimiter(ctx, delimiter)
    start = decode_token(token) if token else (after(start_after) if start_after else "")
    page = ctx.engine.list_objects(ListQuery(ctx.bucket, prefix, delimiter, start, max_keys))
    fetch_owner = q.get("fetch-owner", "").lower() == "true"
    params = xml.ListParams(ctx.bucket, prefix, delimiter, int_param(q, "max-keys", MAX_KEYS), encode,
                            fetch_owner=fetch_owner, v2=True, marker=start_after, token=token,
                            next_token=encode_token(page, delimiter) if page.truncated else "")
    return Response.xml(xml.render_list_objects(params, page, _owners(ctx, page, fetch_owner)))


HANDLERS = {Operation.LIST_OBJECTS: list_objects, Operation.LIST_OBJECTS_V2: list_objects_v2}
