"""Routing as a pure function of method, Host, path, query keys and x-amz-copy-source.

Tables, not `if` chains: `_BASE` maps (method, target, sub-resource keyword) to an
operation, `_REFINE` picks a more specific one when extra query keys are present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rucket.s3.errors import InvalidRequest, MethodNotAllowed, S3NotImplemented
from rucket.s3.ops import Operation as Op
from rucket.s3.ops import Target

COPY = "x-amz-copy-source"
B, O, S = Target.BUCKET, Target.OBJECT, Target.SERVICE  # noqa: E741 - table shorthand


@dataclass(frozen=True)
class Route:
    op: Op
    bucket: str
    key: str
    virtual_host: bool = False  # bucket came from the Host header (SigV2 signs it as /bucket/...)


def _rows(method: str, target: Target, pairs: Iterable[tuple[str, Op]]) -> dict[tuple[str, Target, str], Op]:
    return {(method, target, kw): op for kw, op in pairs}


_BASE: dict[tuple[str, Target, str], Op] = {
    ("GET", S, ""): Op.LIST_BUCKETS,
    ("HEAD", B, ""): Op.HEAD_BUCKET,
    ("HEAD", O, ""): Op.HEAD_OBJECT,
    ("OPTIONS", B, ""): Op.OPTIONS_BUCKET,
    ("OPTIONS", O, ""): Op.OPTIONS_OBJECT,
    ("POST", B, ""): Op.POST_OBJECT,
    ("POST", B, "delete"): Op.DELETE_OBJECTS,
    **_rows("GET", B, [
        ("", Op.LIST_OBJECTS), ("versions", Op.LIST_OBJECT_VERSIONS), ("uploads", Op.LIST_MULTIPART_UPLOADS),
        ("location", Op.GET_BUCKET_LOCATION), ("versioning", Op.GET_BUCKET_VERSIONING),
        ("acl", Op.GET_BUCKET_ACL), ("policy", Op.GET_BUCKET_POLICY), ("policyStatus", Op.GET_BUCKET_POLICY_STATUS),
        ("cors", Op.GET_BUCKET_CORS), ("lifecycle", Op.GET_BUCKET_LIFECYCLE), ("tagging", Op.GET_BUCKET_TAGGING),
        ("encryption", Op.GET_BUCKET_ENCRYPTION), ("website", Op.GET_BUCKET_WEBSITE),
        ("logging", Op.GET_BUCKET_LOGGING), ("notification", Op.GET_BUCKET_NOTIFICATION),
        ("replication", Op.GET_BUCKET_REPLICATION), ("requestPayment", Op.GET_BUCKET_REQUEST_PAYMENT),
        ("accelerate", Op.GET_BUCKET_ACCELERATE), ("object-lock", Op.GET_OBJECT_LOCK_CONFIG),
        ("publicAccessBlock", Op.GET_PUBLIC_ACCESS_BLOCK), ("ownershipControls", Op.GET_BUCKET_OWNERSHIP),
        ("analytics", Op.GET_BUCKET_ANALYTICS), ("inventory", Op.GET_BUCKET_INVENTORY),
        ("metrics", Op.GET_BUCKET_METRICS), ("intelligent-tiering", Op.GET_BUCKET_INTELLIGENT_TIERING)]),
    **_rows("PUT", B, [
        ("", Op.CREATE_BUCKET), ("versioning", Op.PUT_BUCKET_VERSIONING), ("acl", Op.PUT_BUCKET_ACL),
        ("policy", Op.PUT_BUCKET_POLICY), ("cors", Op.PUT_BUCKET_CORS), ("lifecycle", Op.PUT_BUCKET_LIFECYCLE),
        ("tagging", Op.PUT_BUCKET_TAGGING), ("encryption", Op.PUT_BUCKET_ENCRYPTION),
        ("website", Op.PUT_BUCKET_WEBSITE), ("logging", Op.PUT_BUCKET_LOGGING),
        ("notification", Op.PUT_BUCKET_NOTIFICATION), ("replication", Op.PUT_BUCKET_REPLICATION),
        ("requestPayment", Op.PUT_BUCKET_REQUEST_PAYMENT), ("accelerate", Op.PUT_BUCKET_ACCELERATE),
        ("object-lock", Op.PUT_OBJECT_LOCK_CONFIG), ("publicAccessBlock", Op.PUT_PUBLIC_ACCESS_BLOCK),
        ("ownershipControls", Op.PUT_BUCKET_OWNERSHIP)]),
    **_rows("DELETE", B, [
        ("", Op.DELETE_BUCKET), ("policy", Op.DELETE_BUCKET_POLICY), ("cors", Op.DELETE_BUCKET_CORS),
        ("lifecycle", Op.DELETE_BUCKET_LIFECYCLE), ("tagging", Op.DELETE_BUCKET_TAGGING),
        ("encryption", Op.DELETE_BUCKET_ENCRYPTION), ("website", Op.DELETE_BUCKET_WEBSITE),
        ("replication", Op.DELETE_BUCKET_REPLICATION), ("publicAccessBlock", Op.DELETE_PUBLIC_ACCESS_BLOCK),
        ("ownershipControls", Op.DELETE_BUCKET_OWNERSHIP)]),
    **_rows("GET", O, [
        ("", Op.GET_OBJECT), ("uploadId", Op.LIST_PARTS), ("acl", Op.GET_OBJECT_ACL),
        ("tagging", Op.GET_OBJECT_TAGGING), ("retention", Op.GET_OBJECT_RETENTION),
        ("legal-hold", Op.GET_OBJECT_LEGAL_HOLD), ("attributes", Op.GET_OBJECT_ATTRIBUTES),
        ("torrent", Op.GET_OBJECT_TORRENT)]),
    **_rows("PUT", O, [
        ("", Op.PUT_OBJECT), ("acl", Op.PUT_OBJECT_ACL), ("tagging", Op.PUT_OBJECT_TAGGING),
        ("retention", Op.PUT_OBJECT_RETENTION), ("legal-hold", Op.PUT_OBJECT_LEGAL_HOLD)]),
    **_rows("DELETE", O, [("", Op.DELETE_OBJECT), ("uploadId", Op.ABORT_MULTIPART_UPLOAD),
                          ("tagging", Op.DELETE_OBJECT_TAGGING)]),
    **_rows("POST", O, [("uploads", Op.CREATE_MULTIPART_UPLOAD), ("uploadId", Op.COMPLETE_MULTIPART_UPLOAD),
                        ("restore", Op.RESTORE_OBJECT), ("select", Op.SELECT_OBJECT_CONTENT)]),
}

SUBRESOURCES = frozenset(kw for (_m, _t, kw) in _BASE if kw)

_REFINE: dict[Op, tuple[tuple[frozenset[str], Op], ...]] = {  # first match wins
    Op.PUT_OBJECT: ((frozenset({"partNumber", "uploadId", COPY}), Op.UPLOAD_PART_COPY),
                    (frozenset({"partNumber", "uploadId"}), Op.UPLOAD_PART),
                    (frozenset({COPY}), Op.COPY_OBJECT)),
    Op.LIST_OBJECTS: ((frozenset({"list-type"}), Op.LIST_OBJECTS_V2),),
}

_OBJECT_KEYWORDS_ON_PUT = frozenset({"uploadId"})  # PUT ?partNumber&uploadId is refined, not a keyword


def split_bucket_key(host: str, path: str, domains: Iterable[str]) -> tuple[str, str, bool]:
    """Virtual-host style first (`bucket.<domain>`), then path style; the flag says which."""
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower()
    for domain in domains:
        if hostname.endswith("." + domain):
            return hostname[: -len(domain) - 1], path[1:], True
    bucket, _, key = path[1:].partition("/")
    return bucket, key, False


def resolve(method: str, host: str, path: str, query: Mapping[str, str], *, copy_source: bool = False,
            domains: Iterable[str] = ()) -> Route:
    bucket, key, virtual = split_bucket_key(host, path, domains)
    target = Target.OBJECT if key else Target.BUCKET if bucket else Target.SERVICE
    present = set(query.keys()) | ({COPY} if copy_source else set())
    keywords = present & SUBRESOURCES
    if method == "PUT" and target is Target.OBJECT:
        keywords -= _OBJECT_KEYWORDS_ON_PUT
    if len(keywords) > 1:
        keywords = {k for k in keywords if (method, target, k) in _BASE}
    if len(keywords) > 1:
        raise InvalidRequest("Conflicting query string parameters: " + ", ".join(sorted(keywords)))
    keyword = next(iter(keywords), "")
    op = _BASE.get((method, target, keyword))
    if op is None:
        if (method, target, "") not in _BASE and not any((method, target, k) in _BASE for k in SUBRESOURCES):
            raise MethodNotAllowed(resource=path, Method=method, ResourceType=target.value.upper())
        raise S3NotImplemented(resource=path)
    op = next((new for need, new in _REFINE.get(op, ()) if need <= present), op)
    return Route(op, bucket, key, virtual)
