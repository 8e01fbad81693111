"""aws-chunked bodies: AWS's streaming examples, chained-signature attacks, framing errors, botocore's encoder."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import create_request_object
from botocore.credentials import Credentials
from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum, apply_request_checksum
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.s3.auth.auth_helpers import (
    AK,
    DOC_NOW_MS,
    REGION,
    SK,
    crt_sign,
    drain,
    encode_signed_chunks,
    from_botocore,
    pieces,
    secrets,
)

from rucket.core import checksums
from rucket.s3 import errors
from rucket.s3.auth import AuthInput, AuthResult, PayloadMode, authenticate, verified_body

SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
SIGNED = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;" \
         "x-amz-storage-class"
A64K, A1K = b"a" * 65536, b"a" * 1024

# "Example: PUT Object" of sigv4-streaming.html: 64 KiB + 1 KiB of "a", typed from the page.
DOC_BODY = (b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" + A64K
            + b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" + A1K
            + b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
# The same upload with a CRC32C trailer, from sigv4-streaming-trailers.html.
DOC_TRAILER_CHUNKS = (
    b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n" + A64K
    + b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n" + A1K
    + b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n")
DOC_TRAILER = b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
DOC_TRAILER_SIG = b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"


def doc_request(*, trailer: bool = False, **changes: str | None) -> AuthInput:
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    signed = SIGNED.replace(";content-length;", ";") + ";x-amz-trailer" if trailer else SIGNED
    headers: dict[str, str | None] = {
        "host": "s3.amazonaws.com", "x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": mode, "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
        "authorization": f"AWS4-HMAC-SHA256 Credential={AK}/20130524/us-east-1/s3/aws4_request,"
                         f"SignedHeaders={signed},Signature={TRAILER_SEED if trailer else SEED}"}
    if trailer:
        headers.update({"x-amz-trailer": "x-amz-checksum-crc32c", "content-length": "66946"})
    headers.update({name.replace("_", "-"): value for name, value in changes.items()})
    return AuthInput("PUT", "/examplebucket/chunkObject.txt", "",
                     {k: v for k, v in headers.items() if v is not None}, DOC_NOW_MS)


def decode(req: AuthInput, body: bytes, size: int = 1 << 20, result: AuthResult | None = None) -> tuple[
        list[bytes], Exception | None, dict[str, str]]:
    """Feed `body` in pieces of `size`; by default the seed is that of the AWS example of the same mode,
    so tests can vary body-related headers of `req` without re-signing them."""
    if result is None:
        result = authenticate(doc_request(trailer=req.headers["x-amz-content-sha256"].endswith("TRAILER")),
                              secrets, REGION)
    verified = verified_body(result, req, pieces(body, size))
    got, error = drain(verified)
    return got, error, verified.trailers


@pytest.mark.parametrize("size", [1, 7, 8192, 65626, len(DOC_BODY)])
def test_verified_body_aws_doc_streaming_example(size: int) -> None:
    req = doc_request()
    result = authenticate(req, secrets, REGION)
    assert result.payload_mode is PayloadMode.STREAMING_SIGNED
    body = verified_body(result, req, pieces(DOC_BODY, size))
    assert (body.is_chunked, body.decoded_length) == (True, 66560)
    got, error = drain(body)
    assert error is None
    assert b"".join(got) == A64K + A1K
    assert body.trailers == {}


@pytest.mark.parametrize("layout", [
    pytest.param(DOC_TRAILER_CHUNKS + DOC_TRAILER + DOC_TRAILER_SIG + b"\r\n", id="sdk-layout"),
    pytest.param(DOC_TRAILER_CHUNKS + b"\r\n" + DOC_TRAILER + DOC_TRAILER_SIG, id="aws-page-layout"),
])
@pytest.mark.parametrize("size", [1, 100, 1 << 20])
def test_verified_body_aws_doc_trailer_example(layout: bytes, size: int) -> None:
    got, error, trailers = decode(doc_request(trailer=True), layout, size)
    assert error is None
    assert b"".join(got) == A64K + A1K
    assert trailers == {"x-amz-checksum-crc32c": "sOO8/Q=="}
    crc = checksums.new("CRC32C")  # auth only exposes the claim; here it is also the right value
    crc.update(b"".join(got))
    assert checksums.b64(crc.digest()) == trailers["x-amz-checksum-crc32c"]


def test_encode_signed_chunks_reproduces_aws_vectors() -> None:
    """The encoder the other tests use is itself checked against both AWS pages."""
    assert encode_signed_chunks([A64K, A1K], SEED) == DOC_BODY
    trailer = [("x-amz-checksum-crc32c", "sOO8/Q==")]
    assert encode_signed_chunks([A64K, A1K], TRAILER_SEED, trailers=trailer) == (
        DOC_TRAILER_CHUNKS + DOC_TRAILER + DOC_TRAILER_SIG + b"\r\n")


CHUNKS = [b"x" * 8192, b"y" * 9000, b"z" * 100]


def signed_body(chunks: list[bytes], trailers: list[tuple[str, str]] | None = None, seed: str = SEED) -> bytes:
    return encode_signed_chunks(chunks, seed, trailers=trailers)


def test_verified_body_bad_signature_mid_stream_stops_before_that_chunk() -> None:
    body = signed_body(CHUNKS)
    second = body.index(b"2328;chunk-signature=") + len(b"2328;chunk-signature=")
    forged = body[:second] + (b"0" if body[second:second + 1] != b"0" else b"1") + body[second + 1:]
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="17292"), forged, 1000)
    assert isinstance(error, errors.SignatureDoesNotMatch)
    assert b"".join(got) == CHUNKS[0]  # the bad chunk's bytes never reach the caller


def test_verified_body_tampered_data_byte_rejected_before_yield() -> None:
    body = bytearray(signed_body(CHUNKS))
    body[body.index(b"y" * 9000) + 4500] = ord("Y")
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="17292"), bytes(body), 333)
    assert isinstance(error, errors.SignatureDoesNotMatch)
    assert b"".join(got) == CHUNKS[0]


def frames(body: bytes) -> list[bytes]:
    """Split an encoded body into its chunks (header + data + CRLF), last one with the end of the body."""
    out: list[bytes] = []
    pos = 0
    while True:
        line_end = body.index(b"\r\n", pos)
        size = int(body[pos:line_end].split(b";")[0], 16)
        end = line_end + 2 + size + (2 if size else 0)
        if size == 0:
            return [*out, body[pos:]]
        out.append(body[pos:end])
        pos = end


@pytest.mark.parametrize("rearrange", [
    pytest.param(lambda f: [f[1], f[0], *f[2:]], id="swapped"),
    pytest.param(lambda f: [f[0], *f[2:]], id="dropped"),
    pytest.param(lambda f: [f[0], f[0], *f[1:]], id="replayed"),
])
def test_verified_body_rearranged_chunks_rejected(rearrange: object) -> None:
    parts = frames(signed_body([b"x" * 8192, b"y" * 8192, b"z" * 8192, b"w"]))
    forged = b"".join(rearrange(parts))  # type: ignore[operator]
    _, error, _ = decode(doc_request(x_amz_decoded_content_length=str(3 * 8192 + 1)), forged)
    assert isinstance(error, (errors.SignatureDoesNotMatch, errors.IncompleteBody))
    assert isinstance(error, errors.SignatureDoesNotMatch) or "dropped" in str(rearrange)


def test_verified_body_final_chunk_signature_checked() -> None:
    body = signed_body(CHUNKS)
    final = body.rindex(b"0;chunk-signature=") + len(b"0;chunk-signature=")
    forged = body[:final] + (b"a" if body[final:final + 1] != b"a" else b"b") + body[final + 1:]
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="17292"), forged)
    assert isinstance(error, errors.SignatureDoesNotMatch)
    assert b"".join(got) == b"".join(CHUNKS)  # streamed, but the iterator raised: nothing is committed


def test_verified_body_short_chunk_before_last_rejected() -> None:
    body = signed_body([b"x" * 8191, b"y" * 9000])
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="17191"), body)
    assert isinstance(error, errors.InvalidChunkSizeError)
    assert (error.status, error.extra) == (403, {"Chunk": "1", "BadChunkSize": "8191"})
    assert got == [b"x" * 8191]


def test_verified_body_single_small_chunk_allowed() -> None:
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="3"), signed_body([b"abc"]))
    assert (got, error) == ([b"abc"], None)


def test_verified_body_empty_payload_signed() -> None:
    got, error, _ = decode(doc_request(x_amz_decoded_content_length="0"), signed_body([]))
    assert (got, error) == ([], None)


@pytest.mark.parametrize(("length", "yielded"), [
    pytest.param("17291", [CHUNKS[0], CHUNKS[1]], id="header-too-small"),
    pytest.param("17293", CHUNKS, id="header-too-large"),
])
def test_verified_body_decoded_length_mismatch(length: str, yielded: list[bytes]) -> None:
    got, error, _ = decode(doc_request(x_amz_decoded_content_length=length), signed_body(CHUNKS))
    assert isinstance(error, errors.IncompleteBody)
    assert got == yielded


@pytest.mark.parametrize(("length", "error"), [
    pytest.param(None, errors.MissingContentLength, id="missing"),
    pytest.param("12a", errors.InvalidArgument, id="not-a-number"),
    pytest.param("-1", errors.InvalidArgument, id="negative"),
])
def test_verified_body_decoded_length_header_invalid(length: str | None, error: type[errors.S3Error]) -> None:
    req = doc_request()
    result = authenticate(req, secrets, REGION)
    headers = {k: v for k, v in req.headers.items() if k != "x-amz-decoded-content-length"}
    if length is not None:
        headers["x-amz-decoded-content-length"] = length
    changed = AuthInput(req.method, req.raw_path, "", headers, req.now_ms)
    with pytest.raises(error):
        verified_body(result, changed, pieces(DOC_BODY, 100))


def test_verified_body_truncated_anywhere_is_incomplete() -> None:
    """Cut the AWS example at every line boundary and through data: always IncompleteBody, never a hang."""
    body = DOC_BODY
    cuts = {0, 1, 10, 86, 87, 88, 89, 1000, 65624, 65625, 65626, 65700, 66700, len(body) - 3, len(body) - 2,
            len(body) - 1}
    for cut in sorted(cuts):
        _, error, _ = decode(doc_request(), body[:cut], 4096)
        assert isinstance(error, errors.IncompleteBody), cut


@pytest.mark.parametrize(("body", "error"), [
    pytest.param(b"zz;chunk-signature=00\r\n", errors.InvalidRequest, id="bad-hex"),
    pytest.param(b";chunk-signature=00\r\n", errors.InvalidRequest, id="no-size"),
    pytest.param(b"1000001;chunk-signature=00\r\n", errors.InvalidRequest, id="over-16-MiB"),
    pytest.param(b"3\r\nabc\r\n0\r\n\r\n", errors.SignatureDoesNotMatch, id="unsigned-chunk-in-signed-mode"),
    pytest.param(signed_body([b"abc"]).replace(b"abc\r\n", b"abcXX"), errors.InvalidRequest,
                 id="data-not-followed-by-crlf"),
    pytest.param(signed_body([b"abc"]) + b"junk", errors.InvalidRequest, id="data-after-end"),
    pytest.param(signed_body([b"abc"])[:-2] + b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n", errors.MalformedTrailerError,
                 id="trailer-in-mode-without-trailers"),
])
def test_verified_body_malformed_framing(body: bytes, error: type[errors.S3Error]) -> None:
    _, raised, _ = decode(doc_request(x_amz_decoded_content_length="3"), body)
    assert type(raised) is error


def test_verified_body_endless_size_line_refused_after_4_kib() -> None:
    """A client that never sends CRLF must not make the server buffer without bound."""
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 512
            yield b"a" * 512

    req = doc_request()
    _, error = drain(verified_body(authenticate(req, secrets, REGION), req, endless()))
    assert isinstance(error, errors.InvalidRequest)
    assert sent <= 8192


TRAILER = [("x-amz-checksum-crc32", "AAAAAA==")]


@pytest.mark.parametrize(("declared", "trailers", "tamper", "error"), [
    pytest.param("x-amz-checksum-crc32", TRAILER, None, None, id="valid"),
    pytest.param("x-amz-checksum-crc32", TRAILER, (b"AAAAAA==", b"AAAAAB=="), errors.SignatureDoesNotMatch,
                 id="trailer-value-changed"),
    pytest.param("x-amz-checksum-crc32", TRAILER, (b"x-amz-trailer-signature:", b"x-amz-trailer-signature:0"),
                 errors.SignatureDoesNotMatch, id="trailer-signature-changed"),
    pytest.param("x-amz-checksum-crc32", TRAILER, (b"x-amz-trailer-signature", b"x-amz-meta-signature"),
                 errors.MalformedTrailerError, id="trailer-signature-missing"),
    pytest.param("x-amz-checksum-crc32", [], None, errors.MalformedTrailerError, id="declared-trailer-missing"),
    pytest.param("x-amz-checksum-sha256", TRAILER, None, errors.MalformedTrailerError, id="undeclared-trailer"),
    pytest.param("x-amz-checksum-crc32", [*TRAILER, *TRAILER], None, errors.MalformedTrailerError,
                 id="trailer-twice"),
    pytest.param("x-amz-checksum-crc32", TRAILER, (b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32 "),
                 errors.MalformedTrailerError, id="trailer-without-colon"),
])
def test_verified_body_signed_trailers(declared: str, trailers: list[tuple[str, str]],
                                       tamper: tuple[bytes, bytes] | None, error: type[errors.S3Error] | None) -> None:
    body = signed_body([b"abc"], trailers, seed=TRAILER_SEED)
    if tamper is not None:
        body = body.replace(*tamper)
    got, raised, found = decode(doc_request(trailer=True, x_amz_decoded_content_length="3", x_amz_trailer=declared),
                                body, 5)
    assert got == [b"abc"]
    assert type(raised) is error if error else raised is None
    assert found == ({} if error else dict(trailers))


def test_verified_body_unsupported_trailer_name_refused_up_front() -> None:
    req = doc_request(trailer=True, x_amz_trailer="x-amz-meta-anything")
    with pytest.raises(errors.InvalidRequest):
        verified_body(authenticate(doc_request(trailer=True), secrets, REGION), req, pieces(b"", 1))


# --- awscrt seed + spec encoder: any chunk layout ------------------------------------------------------

WHEN = dt.datetime(2025, 3, 1, 12, 30, 5, tzinfo=dt.UTC)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(8192, 20000), max_size=3), last=st.integers(0, 9000),
       piece=st.sampled_from([1, 13, 4096, 70000]))
def test_verified_body_awscrt_seed_any_chunking(sizes: list[int], last: int, piece: int) -> None:
    chunks = [bytes([65 + i]) * n for i, n in enumerate(sizes)] + ([b"q" * last] if last else [])
    length = str(sum(map(len, chunks)))
    headers = crt_sign("PUT", "/b/k", {"host": "h", "x-amz-decoded-content-length": length,
                                       "content-encoding": "aws-chunked"}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", WHEN)
    req = AuthInput("PUT", "/b/k", "", headers, int(WHEN.timestamp() * 1000))
    seed = headers["authorization"].rsplit("=", 1)[1]
    body = encode_signed_chunks(chunks, seed, stamp="20250301T123005Z")
    got, error, _ = decode(req, body, piece, authenticate(req, secrets, REGION))
    assert error is None
    assert b"".join(got) == b"".join(chunks)


# --- STREAMING-UNSIGNED-PAYLOAD-TRAILER exactly as botocore sends it ------------------------------------

def botocore_trailer_upload(data: bytes, algorithm: str) -> tuple[AuthInput, bytes]:
    """botocore's own path: apply_request_checksum wraps the body in AwsChunkedWrapper, then SigV4 signs."""
    name = f"x-amz-checksum-{algorithm}"
    request_dict = {"url": "https://s3.example.com/bucket/key", "method": "PUT", "headers": {}, "body": data,
                    "context": {"checksum": {"request_algorithm": {"algorithm": algorithm, "in": "trailer",
                                                                   "name": name}}}}
    apply_request_checksum(request_dict)
    request = create_request_object(request_dict)
    S3SigV4Auth(Credentials(AK, SK), "s3", REGION).add_auth(request)
    wire = request.body.read()
    signed_ms = int(dt.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
                    .replace(tzinfo=dt.UTC).timestamp() * 1000)
    return from_botocore(request, signed_ms), wire


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha256", "crc64nvme"])
@pytest.mark.parametrize("size", [0, 1, 8191, (1 << 20) + 1])
def test_verified_body_botocore_unsigned_trailer(algorithm: str, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"t" * (size % 256)
    req, wire = botocore_trailer_upload(data, algorithm)
    result = authenticate(req, secrets, REGION)
    assert result.payload_mode is PayloadMode.STREAMING_UNSIGNED_TRAILER
    got, error, trailers = decode(req, wire, 65536, result)
    assert error is None
    assert b"".join(got) == data
    hasher = checksums.new(algorithm)
    hasher.update(data)
    assert trailers == {f"x-amz-checksum-{algorithm}": checksums.b64(hasher.digest())}


def test_verified_body_botocore_wrapper_small_chunks_byte_at_a_time() -> None:
    """Unsigned chunks carry no 8 KiB minimum: nothing to amortise a signature over."""
    data = b"0123456789" * 50
    wire = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32",
                             chunk_size=64).read()
    headers = {"host": "h", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": str(len(data))}
    req = AuthInput("PUT", "/b/k", "", headers, DOC_NOW_MS)  # anonymous: no Authorization at all
    result = authenticate(req, secrets, REGION)
    assert (result.access_key, result.payload_mode) == (None, PayloadMode.STREAMING_UNSIGNED_TRAILER)
    got, error, trailers = decode(req, wire, 1, result)
    assert (b"".join(got), error) == (data, None)
    assert set(trailers) == {"x-amz-checksum-crc32"}


def test_verified_body_unsigned_trailer_truncated_at_every_byte() -> None:
    wire = AwsChunkedWrapper(io.BytesIO(b"hello world"), checksum_cls=Crc32Checksum,
                             checksum_name="x-amz-checksum-crc32", chunk_size=4).read()
    headers = {"host": "h", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "11"}
    req = AuthInput("PUT", "/b/k", "", headers, DOC_NOW_MS)
    anonymous = authenticate(req, secrets, REGION)
    assert decode(req, wire, 3, anonymous)[1] is None
    for cut in range(len(wire) - 2):  # the last CRLF may be missing: the trailer line before it is complete
        _, error, _ = decode(req, wire[:cut], 3, anonymous)
        assert isinstance(error, (errors.IncompleteBody, errors.MalformedTrailerError)), cut


def test_verified_body_unsigned_payload_passes_through() -> None:
    req = AuthInput("PUT", "/b/k", "", {"host": "h", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, DOC_NOW_MS)
    body = verified_body(authenticate(req, secrets, REGION), req, pieces(b"abcdef", 4))
    assert drain(body) == ([b"abcd", b"ef"], None)
    assert (body.is_chunked, body.decoded_length, body.trailers) == (False, None, {})
