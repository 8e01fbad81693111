"""Router rows are the request shapes of the AWS API reference, in both addressing styles."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from rucket.s3.errors import InvalidRequest, MethodNotAllowed, S3NotImplemented
from rucket.s3.ops import Operation as Op
from rucket.s3.router import Route, resolve

DOMAINS = ("localhost", "s3.example.com")


def as_request(style: str, target: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if style == "path":
        return "localhost:9000", "/bkt" + (parts.path if parts.path != "/" else ""), query
    return "bkt.s3.example.com", parts.path, query


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize(("method", "target", "op", "copy"), [
    pytest.param("PUT", "/", Op.CREATE_BUCKET, False, id="create-bucket"),
    pytest.param("HEAD", "/", Op.HEAD_BUCKET, False, id="head-bucket"),
    pytest.param("DELETE", "/", Op.DELETE_BUCKET, False, id="delete-bucket"),
    pytest.param("GET", "/?location", Op.GET_BUCKET_LOCATION, False, id="location"),
    pytest.param("GET", "/", Op.LIST_OBJECTS, False, id="list-v1"),
    pytest.param("GET", "/?list-type=2&prefix=a", Op.LIST_OBJECTS_V2, False, id="list-v2"),
    pytest.param("GET", "/?versions", Op.LIST_OBJECT_VERSIONS, False, id="versions"),
    pytest.param("POST", "/?delete", Op.DELETE_OBJECTS, False, id="delete-objects"),
    pytest.param("GET", "/?cors", Op.GET_BUCKET_CORS, False, id="get-cors"),
    pytest.param("DELETE", "/?lifecycle", Op.DELETE_BUCKET_LIFECYCLE, False, id="delete-lifecycle"),
    pytest.param("PUT", "/k", Op.PUT_OBJECT, False, id="put-object"),
    pytest.param("PUT", "/k", Op.COPY_OBJECT, True, id="copy-object"),
    pytest.param("PUT", "/k?partNumber=1&uploadId=U", Op.UPLOAD_PART, False, id="upload-part"),
    pytest.param("PUT", "/k?partNumber=1&uploadId=U", Op.UPLOAD_PART_COPY, True, id="upload-part-copy"),
    pytest.param("GET", "/k", Op.GET_OBJECT, False, id="get-object"),
    pytest.param("GET", "/k?versionId=v1", Op.GET_OBJECT, False, id="get-object-version"),
    pytest.param("GET", "/k?partNumber=2", Op.GET_OBJECT, False, id="get-object-part"),
    pytest.param("HEAD", "/k", Op.HEAD_OBJECT, False, id="head-object"),
    pytest.param("DELETE", "/k", Op.DELETE_OBJECT, False, id="delete-object"),
    pytest.param("DELETE", "/k?uploadId=U", Op.ABORT_MULTIPART_UPLOAD, False, id="abort-mpu"),
    pytest.param("POST", "/k?uploads", Op.CREATE_MULTIPART_UPLOAD, False, id="create-mpu"),
    pytest.param("POST", "/k?uploadId=U", Op.COMPLETE_MULTIPART_UPLOAD, False, id="complete-mpu"),
    pytest.param("GET", "/k?uploadId=U", Op.LIST_PARTS, False, id="list-parts"),
    pytest.param("GET", "/k?tagging", Op.GET_OBJECT_TAGGING, False, id="get-object-tagging"),
    pytest.param("PUT", "/k?acl", Op.PUT_OBJECT_ACL, False, id="put-object-acl"),
    pytest.param("GET", "/a/b/c?attributes", Op.GET_OBJECT_ATTRIBUTES, False, id="nested-key"),
])
def test_resolve_aws_doc_examples(style: str, method: str, target: str, op: Op, copy: bool) -> None:
    host, path, query = as_request(style, target)
    key = urlsplit(target).path.lstrip("/")
    assert resolve(method, host, path, query, copy_source=copy, domains=DOMAINS) == \
        Route(op, "bkt", key, virtual_host=style == "virtual")
    assert op.action.startswith("s3:")


def test_resolve_service() -> None:
    assert resolve("GET", "localhost:9000", "/", {}, domains=DOMAINS) == Route(Op.LIST_BUCKETS, "", "")


def test_resolve_ip_host_is_path_style() -> None:
    assert resolve("GET", "127.0.0.1:9000", "/bkt/k", {}, domains=DOMAINS).bucket == "bkt"


def test_resolve_key_keeps_double_slashes() -> None:
    assert resolve("GET", "localhost", "/bkt//a//b", {}, domains=DOMAINS).key == "/a//b"


def test_resolve_conflicting_subresources() -> None:
    with pytest.raises(InvalidRequest):
        resolve("GET", "localhost", "/bkt", {"acl": "", "cors": ""}, domains=DOMAINS)


def test_resolve_unknown_method() -> None:
    with pytest.raises((MethodNotAllowed, S3NotImplemented)):
        resolve("PATCH", "localhost", "/bkt/k", {}, domains=DOMAINS)


def test_every_operation_declares_an_action() -> None:
    for op in Op:
        assert op.action.startswith("s3:") or op in (Op.OPTIONS_BUCKET, Op.OPTIONS_OBJECT)
