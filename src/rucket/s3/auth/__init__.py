"""Request authentication: which signature scheme a request uses, and whether it holds.

`authenticate` checks everything the headers and query can prove and returns who signed;
`verified_body` then checks the payload half (digest, chunk signatures, trailers) while the
body streams. Schemes are found by table, Authorization scheme or query parameter name:

    Authorization: AWS4-HMAC-SHA256 ...   sigv4.verify_header   (presign.py: X-Amz-Algorithm=...)
    Authorization: AWS AK:sig             sigv2.verify_header   (sigv2.verify_query: AWSAccessKeyId=...)
    neither                               anonymous
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rucket.s3.auth import presign, sigv2, sigv4
from rucket.s3.auth.base import (
    AuthInput,
    AuthResult,
    AuthType,
    ChunkSigning,
    PayloadMode,
    RawParam,
    SecretLookup,
    anonymous,
    decode,
    parse_query,
)
from rucket.s3.auth.body import VerifiedBody, verified_body
from rucket.s3.errors import InvalidArgument, S3NotImplemented

__all__ = ["AuthInput", "AuthResult", "AuthType", "ChunkSigning", "PayloadMode", "SecretLookup", "VerifiedBody",
           "authenticate", "verified_body"]

Verifier = Callable[[AuthInput, list[RawParam], SecretLookup, str | None], AuthResult]


def _sigv4a(req: AuthInput, params: list[RawParam], secrets: SecretLookup, region: str | None) -> AuthResult:
    raise S3NotImplemented("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported.")


HEADER_SCHEMES: Mapping[str, Verifier] = {  # first word of the Authorization header
    sigv4.ALGORITHM: sigv4.verify_header,
    "AWS": sigv2.verify_header,
    "AWS4-ECDSA-P256-SHA256": _sigv4a,
}

QUERY_SCHEMES: Mapping[str, Verifier] = {  # a query parameter that marks query auth; first match wins
    "X-Amz-Algorithm": presign.verify_query,
    "X-Amz-Credential": presign.verify_query,
    "X-Amz-Signature": presign.verify_query,
    "AWSAccessKeyId": sigv2.verify_query,
    "Signature": sigv2.verify_query,
}


def authenticate(req: AuthInput, secrets: SecretLookup, region: str | None) -> AuthResult:
    """Checks the request's signature (SigV4 header, SigV4 presigned query, SigV2 header,
    SigV2 query, or none = anonymous). Raises S3Error subclasses."""
    header = req.headers.get("authorization", "")
    if not header and req.raw_query and (known := presign.MEMO.hit(req, region, secrets)) is not None:
        return known  # this exact presigned request verified before (presign.py)
    params = parse_query(req.raw_query)
    by_query = _query_scheme(params)
    if header and by_query is not None:
        raise InvalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                              "Signature query string parameter or the Authorization header should be specified",
                              ArgumentName="Authorization", ArgumentValue=header)
    if header:
        if (by_header := HEADER_SCHEMES.get(header.partition(" ")[0])) is None:
            raise InvalidArgument("Unsupported Authorization Type", ArgumentName="Authorization",
                                  ArgumentValue=header)
        return by_header(req, params, secrets, region)
    if by_query is not None:
        return by_query(req, params, secrets, region)
    return anonymous(req)


def _query_scheme(params: list[RawParam]) -> Verifier | None:
    if not params:
        return None
    names = {decode(name) for name, _ in params}
    return next((verifier for name, verifier in QUERY_SCHEMES.items() if name in names), None)
