"""SigV4 presigned URLs: the AWS example, the validity window, parameter errors, botocore as oracle."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.s3.auth.auth_helpers import AK, DOC_NOW_MS, REGION, SK, drain, from_botocore, pieces, secrets

from rucket.s3 import errors
from rucket.s3.auth import AuthInput, AuthType, PayloadMode, authenticate, verified_body
from rucket.s3.auth.base import parse_amz_date

HOST = {"host": "examplebucket.s3.amazonaws.com"}
CREDENTIAL = "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
DOC_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"


def doc_query(**changes: str | None) -> str:
    """The query of AWS's presigned GET /test.txt example (sigv4-query-string-auth.html)."""
    params: dict[str, str | None] = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": CREDENTIAL, "X-Amz-Date": "20130524T000000Z",
        "X-Amz-Expires": "86400", "X-Amz-SignedHeaders": "host", "X-Amz-Signature": DOC_SIGNATURE}
    params.update(changes)
    return "&".join(f"{k}={v}" for k, v in params.items() if v is not None)


def presigned(query: str, now_ms: int = DOC_NOW_MS, headers: dict[str, str] | None = None) -> AuthInput:
    return AuthInput("GET", "/test.txt", query, {**HOST, **(headers or {})}, now_ms)


def test_authenticate_aws_doc_presigned_url_accepted() -> None:
    result = authenticate(presigned(doc_query()), secrets, REGION)
    assert (result.access_key, result.auth_type, result.payload_mode) == (AK, AuthType.SIGV4_QUERY,
                                                                          PayloadMode.UNSIGNED)


def test_authenticate_aws_doc_presigned_url_parameter_order_irrelevant() -> None:
    query = "&".join(reversed(doc_query().split("&")))
    assert authenticate(presigned(query), secrets, REGION).access_key == AK


@pytest.mark.parametrize(("offset_s", "error", "message"), [
    pytest.param(0, None, "", id="at-signing"),
    pytest.param(86400, None, "", id="last-second"),
    pytest.param(86401, errors.AccessDenied, "Request has expired", id="expired"),
    pytest.param(-14 * 60, None, "", id="signer-clock-ahead-within-skew"),
    pytest.param(-16 * 60, errors.AccessDenied, "Request is not yet valid", id="not-yet-valid"),
])
def test_authenticate_presigned_validity_window(offset_s: int, error: type[errors.S3Error] | None,
                                                message: str) -> None:
    req = presigned(doc_query(), DOC_NOW_MS + offset_s * 1000)
    if error is None:
        assert authenticate(req, secrets, REGION).access_key == AK
        return
    with pytest.raises(error) as info:
        authenticate(req, secrets, REGION)
    assert info.value.message == message


def test_authenticate_expired_presigned_url_says_when() -> None:
    with pytest.raises(errors.AccessDenied) as info:
        authenticate(presigned(doc_query(), DOC_NOW_MS + 90_000_000), secrets, REGION)
    assert info.value.extra == {"X-Amz-Expires": "86400", "Expires": "2013-05-25T00:00:00Z",
                                "ServerTime": "2013-05-25T01:00:00Z"}


@pytest.mark.parametrize(("query", "error", "message"), [
    pytest.param(doc_query(**{"X-Amz-Expires": None}), errors.AuthorizationQueryParametersError,
                 "requires the X-Amz-Algorithm", id="missing-expires"),
    pytest.param(doc_query(**{"X-Amz-SignedHeaders": None}), errors.AuthorizationQueryParametersError,
                 "requires the X-Amz-Algorithm", id="missing-signed-headers"),
    pytest.param(doc_query() + "&X-Amz-Signature=00", errors.AuthorizationQueryParametersError,
                 "requires the X-Amz-Algorithm", id="duplicate-signature"),
    pytest.param(doc_query(**{"X-Amz-Expires": "604801"}), errors.AuthorizationQueryParametersError,
                 "less than a week", id="expires-over-a-week"),
    pytest.param(doc_query(**{"X-Amz-Expires": "-1"}), errors.AccessDenied,
                 "expired", id="expires-negative"),
    pytest.param(doc_query(**{"X-Amz-Expires": "soon"}), errors.AuthorizationQueryParametersError,
                 "should be a number", id="expires-not-a-number"),
    pytest.param(doc_query(**{"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}), errors.AuthorizationQueryParametersError,
                 "only supports", id="bad-algorithm"),
    pytest.param(doc_query(**{"X-Amz-Algorithm": "AWS4-ECDSA-P256-SHA256"}), errors.S3NotImplemented, "SigV4a",
                 id="sigv4a"),
    pytest.param(doc_query(**{"X-Amz-Date": "2013-05-24"}), errors.AuthorizationQueryParametersError,
                 "ISO8601 Long Format", id="bad-date"),
    pytest.param(doc_query(**{"X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"}),
                 errors.AuthorizationQueryParametersError, "Credential is mal-formed", id="short-credential"),
    pytest.param(doc_query(**{"X-Amz-Credential": CREDENTIAL.replace("us-east-1", "eu-west-1")}),
                 errors.AuthorizationQueryParametersError, "the region 'eu-west-1' is wrong", id="wrong-region"),
    pytest.param(doc_query(**{"X-Amz-Credential": CREDENTIAL.replace("20130524", "20130523", 1)}),
                 errors.AuthorizationQueryParametersError, "Invalid credential date", id="credential-date"),
    pytest.param(doc_query(**{"X-Amz-Credential": CREDENTIAL.replace("AKIA", "AKIB")}),
                 errors.InvalidAccessKeyId, "does not exist", id="unknown-key"),
    pytest.param(doc_query(**{"X-Amz-Signature": DOC_SIGNATURE[:-1] + "5"}), errors.SignatureDoesNotMatch,
                 "does not match", id="signature-byte"),
    pytest.param(doc_query(**{"X-Amz-Expires": "86401"}), errors.SignatureDoesNotMatch, "does not match",
                 id="extended-expiry"),
    pytest.param(doc_query() + "&versionId=2", errors.SignatureDoesNotMatch, "does not match",
                 id="added-parameter"),
    pytest.param(doc_query(**{"X-Amz-SignedHeaders": "x-amz-date"}), errors.AccessDenied, "not signed",
                 id="host-not-signed"),
])
def test_authenticate_presigned_errors(query: str, error: type[errors.S3Error], message: str) -> None:
    with pytest.raises(error) as info:
        authenticate(presigned(query), secrets, REGION)
    assert type(info.value) is error
    assert message in info.value.message


def test_authenticate_presigned_region_error_names_region() -> None:
    query = doc_query(**{"X-Amz-Credential": CREDENTIAL.replace("us-east-1", "eu-west-1")})
    with pytest.raises(errors.AuthorizationQueryParametersError) as info:
        authenticate(presigned(query), secrets, REGION)
    assert info.value.extra == {"Region": REGION}


def test_authenticate_presigned_with_added_amz_header_rejected() -> None:
    """Whoever holds a presigned PUT must not turn it into a copy or change its ACL."""
    with pytest.raises(errors.AccessDenied) as info:
        authenticate(presigned(doc_query(), headers={"x-amz-copy-source": "/other/key"}), secrets, REGION)
    assert info.value.extra == {"HeadersNotSigned": "x-amz-copy-source"}


def test_authenticate_presigned_signed_streaming_refused() -> None:
    headers = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    with pytest.raises(errors.InvalidRequest):
        authenticate(presigned(doc_query(), headers=headers), secrets, REGION)


# --- botocore's S3SigV4QueryAuth as the oracle --------------------------------------------------------

KEYS = st.text(st.sampled_from("aZ09-_.~ +%=&?#!$/€é日"), min_size=1, max_size=30)
VALUES = st.text(st.sampled_from("aZ09-_.~ +%=&/€é"), max_size=12)
NAMES = st.text(st.sampled_from("abcXYZ-_.~%+ é"), min_size=1, max_size=8)


def botocore_presign(method: str, key: str, params: list[tuple[str, str]], headers: dict[str, str],
                     expires: int = 3600) -> AWSRequest:
    query = "&".join(f"{quote(n, safe='-_.~')}={quote(v, safe='-_.~')}" for n, v in params)
    url = f"https://s3.example.com/bucket/{quote(key, safe='/~')}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=headers)
    S3SigV4QueryAuth(Credentials(AK, SK), "s3", REGION, expires=expires).add_auth(request)
    return request


def signed_at(request: AWSRequest) -> int:
    stamp = parse_qs(urlsplit(request.url).query)["X-Amz-Date"][0]
    signed_ms = parse_amz_date(stamp)
    assert signed_ms is not None
    return signed_ms


@settings(max_examples=100, deadline=None)
@given(method=st.sampled_from(["GET", "PUT", "DELETE", "HEAD"]), key=KEYS,
       params=st.lists(st.tuples(NAMES, VALUES), max_size=3, unique_by=lambda p: p[0]))
def test_authenticate_accepts_botocore_presigned_urls(method: str, key: str, params: list[tuple[str, str]]) -> None:
    request = botocore_presign(method, key, params, {})
    req = from_botocore(request, signed_at(request) + 1000)
    assert authenticate(req, secrets, REGION).auth_type is AuthType.SIGV4_QUERY


@settings(max_examples=60, deadline=None)
@given(key=KEYS, value=VALUES, where=st.sampled_from(["key", "value", "signature", "method"]))
def test_authenticate_rejects_changed_botocore_presigned_url(key: str, value: str, where: str) -> None:
    request = botocore_presign("GET", key, [("q", value)], {})
    req = from_botocore(request, signed_at(request))
    path, query, method = req.raw_path, req.raw_query, req.method
    if where == "key":
        path = quote(f"/bucket/{key}x", safe="/~")
    elif where == "value":
        query = query.replace(f"q={quote(value, safe='-_.~')}&", f"q={quote(value, safe='-_.~')}y&")
    elif where == "signature":
        query = query[:-1] + ("0" if query[-1] != "0" else "1")
    else:
        method = "PUT"
    with pytest.raises(errors.SignatureDoesNotMatch):
        authenticate(AuthInput(method, path, query, req.headers, req.now_ms), secrets, REGION)


def test_authenticate_botocore_presigned_put_with_signed_headers() -> None:
    request = botocore_presign("PUT", "k", [], {"Content-Type": "text/plain", "x-amz-meta-owner": "ann"})
    req = from_botocore(request, signed_at(request))
    assert authenticate(req, secrets, REGION).access_key == AK
    changed = AuthInput("PUT", req.raw_path, req.raw_query, {**req.headers, "content-type": "text/html"}, req.now_ms)
    with pytest.raises(errors.SignatureDoesNotMatch):
        authenticate(changed, secrets, REGION)


def test_authenticate_botocore_presigned_url_expires_after_its_window() -> None:
    request = botocore_presign("GET", "k", [], {}, expires=60)
    assert authenticate(from_botocore(request, signed_at(request) + 60_000), secrets, REGION).access_key == AK
    with pytest.raises(errors.AccessDenied):
        authenticate(from_botocore(request, signed_at(request) + 61_000), secrets, REGION)


def test_verified_body_presigned_with_fixed_payload_hash_checks_body() -> None:
    body = b"exact bytes"
    digest = hashlib.sha256(body).hexdigest()
    request = botocore_presign("PUT", "k", [], {"X-Amz-Content-SHA256": digest})
    req = from_botocore(request, signed_at(request))
    result = authenticate(req, secrets, REGION)
    assert (result.payload_mode, result.payload_sha256) == (PayloadMode.SHA256, digest)
    assert drain(verified_body(result, req, pieces(body, 3))) == ([b"exa", b"ct ", b"byt", b"es"], None)
    got, error = drain(verified_body(result, req, pieces(b"other bytes", 4)))
    assert b"".join(got) == b"other bytes"  # streamed, but the caller never commits: the iterator raised
    assert isinstance(error, errors.XAmzContentSHA256Mismatch)
