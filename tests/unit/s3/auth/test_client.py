"""The one client-side SigV4 signer (console, `rucket admin`, bench), checked against botocore's
presigner and our own verifier."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rucket.s3.auth import AuthInput, authenticate
from rucket.s3.auth.base import parse_amz_date
from rucket.s3.auth.client import AccessKey, object_path, presign, sign_headers

CRED = AccessKey("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
NOW = parse_amz_date("20240102T030405Z") or 0
HOST = "127.0.0.1:9000"


def secrets(access_key: str) -> str | None:
    return CRED.secret if access_key == CRED.access_key else None


@pytest.mark.parametrize(("bucket", "key", "params"), [
    pytest.param("bkt", "plain.txt", [], id="plain"),
    pytest.param("bkt", "dir/with space+plus&amp=é.txt", [], id="odd-key"),
    pytest.param("bkt", "k", [("uploads", "")], id="create-multipart"),
    pytest.param("bkt", "k", [("partNumber", "3"), ("uploadId", "a/b+c=")], id="upload-part"),
    pytest.param("bkt", "k", [("response-content-disposition", "attachment; filename*=UTF-8''x%20y")],
                 id="disposition"),
])
def test_presign_matches_botocore(bucket: str, key: str, params: list[tuple[str, str]]) -> None:
    """botocore signs at its own clock; ours signs at the same instant and must agree byte for byte."""
    req = AWSRequest(method="PUT", url=f"http://{HOST}{object_path(bucket, key)}", params=dict(params))
    S3SigV4QueryAuth(Credentials(CRED.access_key, CRED.secret), "s3", "us-east-1", expires=900).add_auth(req)
    theirs = dict(parse_qsl(urlsplit(req.url).query, keep_blank_values=True))
    at = parse_amz_date(theirs["X-Amz-Date"]) or 0
    url = presign(CRED, "PUT", object_path(bucket, key), params, HOST, at, "us-east-1", 900)
    ours = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert ours == theirs


def test_presigned_url_verifies_with_the_server_code() -> None:
    url = presign(CRED, "GET", object_path("bkt", "a b/c"), [], HOST, NOW, "us-east-1", 900)
    parts = urlsplit(url)
    result = authenticate(AuthInput("GET", parts.path, parts.query, {"host": HOST}, NOW + 1000), secrets, "us-east-1")
    assert result.access_key == CRED.access_key


def test_header_signature_verifies_and_binds_the_body() -> None:
    import hashlib

    body = b'{"Version": "2012-10-17"}'
    digest = hashlib.sha256(body).hexdigest()
    headers = sign_headers(CRED, "PUT", "/bkt", "policy", HOST, digest, NOW, "us-east-1",
                           {"content-length": str(len(body))})
    result = authenticate(AuthInput("PUT", "/bkt", "policy", headers, NOW), secrets, "us-east-1")
    assert result.access_key == CRED.access_key and result.payload_sha256 == digest
    other = {**headers, "x-amz-content-sha256": hashlib.sha256(b"other").hexdigest()}
    with pytest.raises(Exception, match="signature"):
        authenticate(AuthInput("PUT", "/bkt", "policy", other, NOW), secrets, "us-east-1")


def test_sigv4_signing_lives_only_in_s3_auth() -> None:
    """One client signer: the console, `rucket admin` and the benchmarks import client.py instead
    of deriving SigV4 keys themselves (three copies had drifted before). A module that computes
    an HMAC and names the SigV4 scope terminator is a SigV4 signer."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    files = [*(root / "src" / "rucket").rglob("*.py"), *(root / "bench").rglob("*.py")]
    outside = [p for p in files if "s3/auth" not in p.as_posix()]
    signers = [p for p in outside if "hmac" in (text := p.read_text()) and ("aws4_request" in text or '"AWS4' in text)]
    assert outside and not signers
