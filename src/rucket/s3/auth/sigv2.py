"""AWS Signature Version 2 (legacy clients): `Authorization: AWS AK:sig` and query-string form.

Spec: docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html. The string to sign
and the sub-resource list follow botocore's `HmacV1Auth` / `HmacV1QueryAuth`, which the tests use
as the oracle. HMAC-SHA1 of
    VERB \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n x-amz-headers CanonicalizedResource
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import unquote

from rucket.s3.auth.base import (
    AuthInput,
    AuthResult,
    AuthType,
    RawParam,
    SecretLookup,
    check_skew,
    decode,
    iso8601,
    missing_date,
    parse_amz_date,
    parse_http_date,
    query_values,
    unsigned_payload_mode,
)
from rucket.s3.auth.sigv4 import canonical_uris, lookup
from rucket.s3.errors import AccessDenied, InvalidArgument, SignatureDoesNotMatch

SUBRESOURCES = frozenset({  # botocore HmacV1Auth.QSAOfInterest: signed as part of the resource
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
    "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
    "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore", "select",
    "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
    "versions", "website",
})
QUERY_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")
_SECONDS = re.compile(r"\d{1,12}")


def canonical_resource(raw_path: str, vhost_bucket: str, params: Iterable[RawParam]) -> str:
    """Bucket-qualified path plus the signed sub-resources, sorted, values decoded."""
    path = f"/{vhost_bucket}{raw_path or '/'}" if vhost_bucket else raw_path or "/"
    subs = sorted(((n, v) for n, v in params if n in SUBRESOURCES), key=lambda p: p[0])
    if not subs:
        return path
    return path + "?" + "&".join(n if v is None else f"{n}={unquote(v)}" for n, v in subs)


def canonical_amz_headers(amz: Mapping[str, str]) -> str:
    return "".join(f"{name}:{amz[name]}\n" for name in sorted(amz))


def string_to_sign(method: str, content_md5: str, content_type: str, date: str, amz: Mapping[str, str],
                   resource: str) -> str:
    return f"{method}\n{content_md5}\n{content_type}\n{date}\n{canonical_amz_headers(amz)}{resource}"


def sign(secret: str, sts: str) -> str:
    return base64.b64encode(hmac.digest(secret.encode(), sts.encode("utf-8"), hashlib.sha1)).decode()


def verify_header(req: AuthInput, params: list[RawParam], secrets: SecretLookup, region: str | None) -> AuthResult:
    """`Authorization: AWS AK:base64(hmac-sha1)`; the Date (or x-amz-date) bounds replay to 15 minutes."""
    value = req.headers["authorization"]
    access_key, colon, signature = value[4:].strip().partition(":")
    if not (access_key and colon and signature):
        raise InvalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                              ArgumentName="Authorization", ArgumentValue=value)
    secret = lookup(secrets, access_key)
    # a present-but-empty x-amz-date does not fall back to Date: AWS refuses it
    shown = req.headers["x-amz-date"] if "x-amz-date" in req.headers else req.headers.get("date", "")
    if (ms := parse_http_date(shown)) is None and (ms := parse_amz_date(shown)) is None:
        raise missing_date()
    if ms < 0:  # before the epoch: not a date AWS accepts at all
        raise missing_date()
    check_skew(ms, shown, req.now_ms)
    date_line = "" if "x-amz-date" in req.headers else req.headers.get("date", "")  # AWS: x-amz-date wins
    amz = {n: v.strip() for n, v in req.headers.items() if n.startswith("x-amz-")}
    _check(req, params, secret, access_key, signature, (date_line, amz, req.headers))
    mode, digest = unsigned_payload_mode(req.headers.get("x-amz-content-sha256"))
    return AuthResult(access_key, AuthType.SIGV2_HEADER, mode, digest)


def verify_query(req: AuthInput, params: list[RawParam], secrets: SecretLookup, region: str | None) -> AuthResult:
    """`?AWSAccessKeyId=&Expires=&Signature=`; headers the signer hoisted into the query count as headers."""
    found = query_values(params, QUERY_PARAMS)
    if any(len(found.get(name, ())) != 1 for name in QUERY_PARAMS):
        raise AccessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
                           "parameters")
    access_key, expires = found["AWSAccessKeyId"][0], found["Expires"][0]
    signature = found["Signature"][0].replace(" ", "+")  # an unencoded "+" of base64 decodes as a space
    if not _SECONDS.fullmatch(expires):
        raise AccessDenied(f"Invalid date (should be seconds since epoch): {expires}")
    secret = lookup(secrets, access_key)
    if req.now_ms > int(expires) * 1000:
        raise AccessDenied("Request has expired", Expires=iso8601(int(expires) * 1000),
                           ServerTime=iso8601(req.now_ms))
    headers = {**_hoisted(params), **req.headers}
    amz = {n: v.strip() for n, v in headers.items() if n.startswith("x-amz-")}
    _check(req, params, secret, access_key, signature, (expires, amz, headers))
    mode, digest = unsigned_payload_mode(req.headers.get("x-amz-content-sha256"))
    return AuthResult(access_key, AuthType.SIGV2_QUERY, mode, digest)


def _hoisted(params: Iterable[RawParam]) -> dict[str, str]:
    """botocore's HmacV1QueryAuth moves x-amz-*, Content-Type and Content-MD5 into the URL it signs."""
    out: dict[str, str] = {}
    for raw_name, raw_value in params:
        name = decode(raw_name).lower()
        if name.startswith("x-amz-") or name in ("content-type", "content-md5"):
            out[name] = decode(raw_value or "")
    return out


def _signed_paths(raw_path: str, vhost_bucket: str) -> Iterator[str]:
    """The forms a client may have signed: as sent, RFC 3986, and "/bucket/" for a path-style "/bucket".

    boto3's HmacV1Auth signs bucket operations as "/bucket/" while sending "/bucket" (its auth_path);
    both name the bucket itself and nothing else, so accepting either admits no other resource.
    """
    forms = list(canonical_uris(raw_path))
    yield from forms
    first = forms[0]
    if not vhost_bucket and len(first) > 1 and "/" not in first[1:]:
        yield first + "/"


def _check(req: AuthInput, params: list[RawParam], secret: str, access_key: str, provided: str,
           parts: tuple[str, Mapping[str, str], Mapping[str, str]]) -> None:
    """Try the path as sent, then its RFC 3986 form (both name the same key), as for SigV4."""
    date, amz, headers = parts
    md5, ctype = headers.get("content-md5", "").strip(), headers.get("content-type", "").strip()
    first = ""
    for path in _signed_paths(req.raw_path, req.vhost_bucket):
        sts = string_to_sign(req.method, md5, ctype, date, amz, canonical_resource(path, req.vhost_bucket, params))
        if hmac.compare_digest(sign(secret, sts).encode(), provided.encode("utf-8", "replace")):
            return
        first = first or sts
    raise SignatureDoesNotMatch(AWSAccessKeyId=access_key, StringToSign=first, SignatureProvided=provided)
