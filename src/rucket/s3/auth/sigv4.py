"""AWS Signature Version 4 with the Authorization header, and the pieces presign.py reuses.

Spec: docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html. The canonical
request is built in one function, in the spec's numbered steps, as Swift's
`SigV4Mixin._canonical_request` does; the test vectors are the ones from that page.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import quote_from_bytes, unquote_to_bytes

from rucket.s3.auth.base import (
    AuthInput,
    AuthResult,
    AuthType,
    ChunkSigning,
    RawParam,
    SecretLookup,
    amz_date,
    check_amz_headers_signed,
    check_skew,
    missing_date,
    parse_amz_date,
    parse_http_date,
    payload_mode,
)
from rucket.s3.errors import (
    AccessDenied,
    AuthorizationHeaderMalformed,
    InvalidAccessKeyId,
    InvalidRequest,
    S3Error,
    SignatureDoesNotMatch,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINAL = "aws4_request"
HEADER_PREFIX = "The authorization header is malformed;"
_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*")
_DATE8 = re.compile(r"\d{8}")


class Credential(NamedTuple):  # NamedTuple, not a frozen dataclass: built on every request, 3x cheaper
    access_key: str
    date: str
    region: str
    service: str
    terminal: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminal}"


class SignedRequest(NamedTuple):
    """Everything one SigV4 signature check needs besides the request itself."""

    access_key: str
    key: bytes
    amz_date: str
    scope: str
    signed_headers: tuple[str, ...]
    payload_hash: str
    query: str
    provided: str
    raw_query: str = ""  # the query as minio-js signs it (raw_canonical_query); tried when `query` fails


@functools.lru_cache(maxsize=4096)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derived key; it changes once a day per key, so caching removes four HMACs from every request."""
    key = hmac.digest(("AWS4" + secret).encode(), date.encode(), "sha256")
    for part in (region, service, TERMINAL):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.digest(key, message.encode(), "sha256").hex()


@functools.lru_cache(maxsize=8192)
def uri_encode(raw: str) -> str:
    """Canonical form of one raw query name or value: form-decoded, then RFC 3986 encoded.

    Cached: names, credentials and dates repeat across a client's requests, and this runs for
    every parameter of every presigned request.

    Decoding to bytes (not str) keeps invalid UTF-8 such as "%FF" exactly as the client encoded it.
    """
    if _UNRESERVED.fullmatch(raw):
        return raw
    return quote_from_bytes(unquote_to_bytes(raw.replace("+", " ")), safe="")


def canonical_query(params: Iterable[RawParam], skip: str = "") -> str:
    """Names and values encoded, sorted by name then value; `skip` drops X-Amz-Signature for presigning."""
    pairs = sorted((uri_encode(n), uri_encode(v or "")) for n, v in params)
    return "&".join(f"{n}={v}" for n, v in pairs if n != skip)


def canonical_uris(raw_path: str) -> Iterator[str]:
    """The path as sent (S3 neither normalises nor double-encodes), then its RFC 3986 form.

    The second form accepts clients that send "$" or "!" raw but sign them encoded (the AWS PUT
    example does); both forms decode to the same key, so nothing else can be substituted.
    """
    path = raw_path or "/"
    yield path
    if (normal := quote_from_bytes(unquote_to_bytes(path), safe="/")) != path:
        yield normal


def canonical_request(method: str, uri: str, query: str, headers: Mapping[str, str],
                      signed_headers: Sequence[str], payload_hash: str) -> str:
    """The SigV4 canonical request, one step per line of the spec."""
    step1_method = method
    step2_uri = uri
    step3_query = query
    step4_headers = "".join(f"{name}:{_trimall(_header(headers, name))}\n" for name in signed_headers)
    step5_signed = ";".join(signed_headers)
    step6_payload = payload_hash
    return "\n".join((step1_method, step2_uri, step3_query, step4_headers, step5_signed, step6_payload))


def string_to_sign(stamp: str, scope: str, canonical: bytes) -> str:
    return f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical).hexdigest()}"


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None and name == "expect":
        return "100-continue"  # servers and proxies may swallow Expect; this is the only value clients send
    return value or ""


def _trimall(value: str) -> str:
    return " ".join(value.split())  # str.split() is what botocore uses: any run of whitespace counts


def _encodings(text: str) -> Iterator[bytes]:
    """UTF-8 is what botocore hashes; latin-1 gives back the wire bytes of clients that sent UTF-8 raw."""
    yield text.encode("utf-8")
    if not text.isascii() and max(text) <= "\xff":
        yield text.encode("latin-1")


def raw_canonical_query(raw_query: str, skip: str = "") -> str:
    """The query as sent, its "name=value" parts sorted as strings (minio-js 8's getCanonicalRequest).

    minio-js pages ListObjectVersions with an unescaped `key-marker=a/b` and signs it so. This form
    decodes to exactly the parameters of the canonical one (only the escaping differs), so the
    signature still covers every name and value: accepting it admits no other request.
    """
    parts = (p if "=" in p else p + "=" for p in raw_query.split("&") if p)
    return "&".join(sorted(p for p in parts if not skip or p.partition("=")[0] != skip))


def check_signature(req: AuthInput, s: SignedRequest) -> None:
    """Accept if any canonical form matches; the error carries the first form, as AWS shows its own."""
    provided = s.provided.lower().encode("utf-8", "replace")
    first: tuple[str, str] | None = None
    queries = (s.query, s.raw_query) if s.raw_query and s.raw_query != s.query else (s.query,)
    for query in queries:
        for uri in canonical_uris(req.raw_path):
            canonical = canonical_request(req.method, uri, query, req.headers, s.signed_headers, s.payload_hash)
            for data in _encodings(canonical):
                sts = string_to_sign(s.amz_date, s.scope, data)
                if hmac.compare_digest(hmac.digest(s.key, sts.encode(), "sha256").hex().encode(), provided):
                    return
                first = first or (canonical, sts)
    assert first is not None
    raise SignatureDoesNotMatch(AWSAccessKeyId=s.access_key, StringToSign=first[1],
                                SignatureProvided=s.provided, CanonicalRequest=first[0])


def parse_credential(value: str) -> Credential | None:
    parts = value.rsplit("/", 4)
    if len(parts) != 5 or not parts[0] or not _DATE8.fullmatch(parts[1]):
        return None
    return Credential(*parts)


def check_scope(cred: Credential, region: str | None, error: type[S3Error], prefix: str) -> None:
    """Region, service and terminal of the credential scope, with AWS's messages.

    `region` None accepts the scope's region, as MinIO does when no region is configured: git-annex
    signs with its host name as the region. The region is only an input of the key derivation: the
    signature still proves the secret, and Host is always signed (check_host_signed), so a request
    signed for another endpoint cannot be replayed here. An explicitly configured region is strict.
    """
    if region is not None and cred.region != region:
        raise error(f"{prefix} the region '{cred.region}' is wrong; expecting '{region}'", Region=region)
    if cred.service != SERVICE:
        raise error(f'{prefix} incorrect service "{cred.service}". This endpoint belongs to "{SERVICE}".')
    if cred.terminal != TERMINAL:
        raise error(f'{prefix} incorrect terminal "{cred.terminal}". This endpoint uses "{TERMINAL}".')


def check_credential_date(cred: Credential, stamp: str, error: type[S3Error], prefix: str) -> None:
    if cred.date != stamp[:8]:
        raise error(f'{prefix} Invalid credential date "{cred.date}". '
                    f'This date is not the same as X-Amz-Date: "{stamp[:8]}".')


def lookup(secrets: SecretLookup, access_key: str) -> str:
    if (secret := secrets(access_key)) is None:
        raise InvalidAccessKeyId(AWSAccessKeyId=access_key)
    return secret


def check_host_signed(signed_headers: Sequence[str]) -> None:
    """Without Host in the signature a request could be replayed against another bucket's host."""
    if "host" not in signed_headers:
        raise AccessDenied("There were headers present in the request which were not signed", HeadersNotSigned="host")


def parse_authorization(value: str) -> tuple[Credential, tuple[str, ...], str]:
    """`AWS4-HMAC-SHA256 Credential=AK/date/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex`."""
    fields: dict[str, str] = {}
    for part in value.partition(" ")[2].split(","):
        name, eq, field = part.strip().partition("=")
        if eq and name not in fields:
            fields[name] = field.strip()
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        raise AuthorizationHeaderMalformed(f"{HEADER_PREFIX} the authorization header requires three "
                                           "components: Credential, SignedHeaders, and Signature.")
    if (cred := parse_credential(fields["Credential"])) is None:
        raise AuthorizationHeaderMalformed(f'{HEADER_PREFIX} the Credential is mal-formed; expecting '
                                           '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
    signed = tuple(fields["SignedHeaders"].split(";"))
    if not all(signed):
        raise AuthorizationHeaderMalformed(f"{HEADER_PREFIX} SignedHeaders is empty or has an empty name.")
    return cred, signed, fields["Signature"]


def request_time(headers: Mapping[str, str]) -> tuple[str, int]:
    """The signed timestamp in basic ISO 8601: x-amz-date wins, else Date (as botocore falls back)."""
    ms: int | None = None
    if (stamp := headers.get("x-amz-date")) is not None:
        ms = parse_amz_date(stamp)
    elif (date := headers.get("date")) is not None and (ms := parse_http_date(date)) is not None:
        stamp = amz_date(ms)
    if ms is None or stamp is None:
        raise missing_date()
    return stamp, ms


def verify_header(req: AuthInput, params: list[RawParam], secrets: SecretLookup,
                  region: str | None) -> AuthResult:
    """SigV4 header auth; checks in AWS's order: shape, scope, date, key, skew, payload, signature."""
    cred, signed_headers, signature = parse_authorization(req.headers["authorization"])
    check_scope(cred, region, AuthorizationHeaderMalformed, HEADER_PREFIX)
    stamp, ms = request_time(req.headers)
    check_credential_date(cred, stamp, AuthorizationHeaderMalformed, HEADER_PREFIX)
    secret = lookup(secrets, cred.access_key)
    check_skew(ms, stamp, req.now_ms)
    if (content := req.headers.get("x-amz-content-sha256")) is None:
        raise InvalidRequest("Missing required header for this request: x-amz-content-sha256")
    mode, digest = payload_mode(content)
    check_host_signed(signed_headers)
    check_amz_headers_signed(req.headers, signed_headers)
    key = signing_key(secret, cred.date, cred.region, cred.service)
    check_signature(req, SignedRequest(cred.access_key, key, stamp, cred.scope, signed_headers, content,
                                       canonical_query(params), signature, raw_canonical_query(req.raw_query)))
    chunks = ChunkSigning(key, stamp, cred.scope, signature.lower()) if mode.signs_chunks else None
    return AuthResult(cred.access_key, AuthType.SIGV4_HEADER, mode, digest, chunks)
