"""ACLs: Get/PutBucketAcl, Get/PutObjectAcl, and the ACL a write request asks for.

An ACL comes from exactly one of: a canned `x-amz-acl`, `x-amz-grant-*` headers, or (Put*Acl
only) an AccessControlPolicy body. Grantees by canonical id must be known principals
(InvalidArgument otherwise); grantees by e-mail resolve to the user with that address or
fail with UnresolvableGrantByEmailAddress, as AWS answers. Under BucketOwnerEnforced, ACLs
are disabled: only `bucket-owner-full-control` is accepted on writes, and Put*Acl answer
AccessControlListNotSupported. `new_object_acl` is the helper every object write path
(PutObject, CopyObject, CreateMultipartUpload, PostObject) uses to pick owner and ACL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rucket.core.model import Bucket, ObjectVersion, Owner
from rucket.engine.acl import (
    BUCKET_ACL_KEY,
    CANNED,
    CANONICAL,
    GROUP,
    GROUPS,
    Acl,
    Grant,
    bucket_acl,
    canned,
    private,
)
from rucket.s3.errors import (
    AccessControlListNotSupported,
    AccessDenied,
    BucketAlreadyExists,
    InvalidArgument,
    InvalidBucketAclWithObjectOwnership,
    MalformedACLError,
    MethodNotAllowed,
    NoSuchKey,
    UnexpectedContent,
    UnresolvableGrantByEmailAddress,
)
from rucket.s3.iam.evaluate import can_put_acl
from rucket.s3.iam.grants import GRANT_HEADERS
from rucket.s3.iam.model import ANONYMOUS_ID, ENFORCED, OWNERSHIP_KEY, PREFERRED, WRITER, ownership_of
from rucket.s3.ops import Operation
from rucket.s3.request import RequestContext, Response
from rucket.s3.xml import acl as xml_acl

_GRANT_ITEM = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)', re.IGNORECASE)
_HEADER_PERMISSION = {h: h.removeprefix("x-amz-grant-").upper().replace("-", "_") for h in GRANT_HEADERS}
OWNER_FULL_CONTROL = "bucket-owner-full-control"


def _resolve(ctx: RequestContext, kind: str, value: str) -> tuple[str, str]:
    """(grant kind, grantee) for a grantee given by id, URI or e-mail; refuses unknown ones."""
    if kind == "Group":
        if value not in GROUPS:
            raise InvalidArgument("Invalid group uri", ArgumentName="uri", ArgumentValue=value)
        return GROUP, value
    if kind == "AmazonCustomerByEmail":
        identities = getattr(ctx.users, "identities", None)
        owner = identities.by_email(value) if identities is not None else None
        if owner is None:
            raise UnresolvableGrantByEmailAddress(EmailAddress=value)
        return CANONICAL, owner.id
    if kind != "CanonicalUser":
        raise MalformedACLError()
    if ctx.users.get(value) is None:
        raise InvalidArgument("Invalid id", ArgumentName="CanonicalUser/ID", ArgumentValue=value)
    return CANONICAL, value


def _header_grants(ctx: RequestContext) -> list[Grant]:
    kinds = {"id": "CanonicalUser", "uri": "Group", "emailaddress": "AmazonCustomerByEmail"}
    grants: list[Grant] = []
    for header, permission in _HEADER_PERMISSION.items():
        raw = ctx.headers.get(header)
        if raw is None:
            continue
        items = _GRANT_ITEM.findall(raw)
        if not items:
            raise InvalidArgument("Invalid grant header", ArgumentName=header, ArgumentValue=raw)
        for kind, value in items:
            grants.append(Grant(*_resolve(ctx, kinds[kind.lower()], value.strip()), permission))
    return grants


def acl_from_headers(ctx: RequestContext, owner: str, bucket_owner: str) -> Acl | None:
    """The ACL asked for by `x-amz-acl` or `x-amz-grant-*`; None when neither is present."""
    name = ctx.headers.get("x-amz-acl")
    grants = _header_grants(ctx)
    if name is not None and grants:
        raise InvalidArgument("Specifying both Canned ACLs and Header Grants is not allowed",
                              ArgumentName="x-amz-acl")
    if name is not None:
        if name.strip() not in CANNED:
            raise InvalidArgument("Invalid canned ACL", ArgumentName="x-amz-acl", ArgumentValue=name)
        return canned(name.strip(), owner, bucket_owner)
    return Acl(owner, tuple(grants)) if grants else None


def new_object_acl(ctx: RequestContext, bucket: Bucket) -> tuple[str, dict[str, Any]]:
    """(owner id, PutSpec.extra entries) for a new object version, applying ObjectOwnership."""
    writer = ctx.user.id if ctx.user else ANONYMOUS_ID
    mode = ownership_of(bucket)
    requested = ctx.headers.get("x-amz-acl", "").strip()
    if mode == ENFORCED:
        if (requested and requested != OWNER_FULL_CONTROL) or any(h in ctx.headers for h in GRANT_HEADERS):
            raise AccessControlListNotSupported()
        return bucket.owner, {}
    owner = bucket.owner if mode == PREFERRED and requested == OWNER_FULL_CONTROL else writer
    acl = acl_from_headers(ctx, owner, bucket.owner)
    if acl is None or acl == private(owner):
        return owner, {}
    return owner, {"acl": acl.to_json()}


def _body_acl(ctx: RequestContext, body: bytes, owner: str) -> Acl:
    _claimed_owner, grants = xml_acl.parse_acl(body)
    return Acl(owner, tuple(Grant(*_resolve(ctx, g.kind, g.value), g.permission) for g in grants))


async def _requested_acl(ctx: RequestContext, owner: str, bucket: Bucket) -> Acl:
    if ownership_of(bucket) == ENFORCED:
        raise AccessControlListNotSupported()
    body = await ctx.body(limit=64 * 1024)
    from_headers = acl_from_headers(ctx, owner, bucket.owner)
    if from_headers is not None and body.strip():
        raise UnexpectedContent()
    acl = from_headers or (_body_acl(ctx, body, owner) if body.strip() else None)
    if acl is None:
        raise MalformedACLError()
    if not can_put_acl(bucket, acl.is_public):
        raise AccessDenied()
    return acl


def _render(ctx: RequestContext, acl: Acl) -> bytes:
    def owner(cid: str) -> Owner:
        return ctx.owner_of(cid) if cid != ANONYMOUS_ID else Owner(ANONYMOUS_ID, "anonymous")

    ordered = sorted(acl.grants, key=lambda g: g.kind != GROUP)  # groups first, as RGW lists them
    grants = [xml_acl.GrantOut(g.kind, g.permission, owner(g.grantee)) if g.kind == CANONICAL
              else xml_acl.GrantOut(g.kind, g.permission, uri=g.grantee) for g in ordered]
    return xml_acl.render_acl(owner(acl.owner), grants)


def _version(ctx: RequestContext) -> ObjectVersion:
    vid = ctx.query.get("versionId")
    v = ctx.engine.objects.head(ctx.bucket, ctx.key, vid)
    if v.delete_marker:
        if vid is not None:
            raise MethodNotAllowed(Method=ctx.method, ResourceType="DeleteMarker")
        raise NoSuchKey(Key=ctx.key)
    return v


async def get_bucket_acl(ctx: RequestContext) -> Response:
    return Response.xml(_render(ctx, bucket_acl(ctx.target_bucket())))


async def put_bucket_acl(ctx: RequestContext) -> Response:
    bucket = ctx.target_bucket()
    acl = await _requested_acl(ctx, bucket.owner, bucket)
    await ctx.engine.acls.set_bucket(ctx.bucket, acl)
    return Response.empty(200)


async def get_object_acl(ctx: RequestContext) -> Response:
    return Response.xml(_render(ctx, ctx.engine.acls.of_object(_version(ctx))),
                        headers=_version_header(ctx))


async def put_object_acl(ctx: RequestContext) -> Response:
    v = _version(ctx)
    acl = await _requested_acl(ctx, v.owner, ctx.target_bucket())
    await ctx.engine.acls.set_object(v, acl)
    return Response.empty(200, _version_header(ctx))


def _version_header(ctx: RequestContext) -> list[tuple[str, str]]:
    vid = ctx.query.get("versionId")
    return [("x-amz-version-id", vid)] if vid else []


def same_acl(a: Acl, b: Acl) -> bool:
    return a.owner == b.owner and sorted(_key(a.grants)) == sorted(_key(b.grants))


def _key(grants: Iterable[Grant]) -> list[tuple[str, str, str]]:
    return [(g.kind, g.grantee, g.permission) for g in grants]


HANDLERS: Mapping[Operation, Any] = {
    Operation.GET_BUCKET_ACL: get_bucket_acl,
    Operation.PUT_BUCKET_ACL: put_bucket_acl,
    Operation.GET_OBJECT_ACL: get_object_acl,
    Operation.PUT_OBJECT_ACL: put_object_acl,
}


def bucket_create_config(ctx: RequestContext, owner: str) -> dict[str, Any]:
    """Sub-resources CreateBucket sets from its headers: the ACL and the ObjectOwnership."""
    ownership = ctx.headers.get("x-amz-object-ownership")
    if ownership is not None and ownership not in (ENFORCED, PREFERRED, WRITER):
        raise InvalidArgument("Invalid x-amz-object-ownership header", ArgumentName="x-amz-object-ownership",
                              ArgumentValue=ownership)
    config: dict[str, Any] = {OWNERSHIP_KEY: ownership} if ownership else {}
    acl = acl_from_headers(ctx, owner, owner)
    if acl is not None and not same_acl(acl, private(owner)):
        if ownership == ENFORCED:
            raise InvalidBucketAclWithObjectOwnership()
        config[BUCKET_ACL_KEY] = acl.to_json()
    return config


def check_recreate(ctx: RequestContext, owner: str) -> None:
    """Re-creating one's own bucket with a different ACL is refused (BucketAlreadyExists), as RGW does."""
    wanted = acl_from_headers(ctx, owner, owner) or private(owner)
    if not same_acl(bucket_acl(ctx.target_bucket()), wanted):
        raise BucketAlreadyExists()
