"""Internal API signing: the right secret passes once; anything else is refused."""

from __future__ import annotations

import pytest

from rucket.cluster.signing import (
    CONTENT,
    DATE,
    NODE,
    PROTO,
    SIGNATURE,
    UNSIGNED_PAYLOAD,
    BadSignature,
    MissingSignature,
    ReplayedRequest,
    RequestExpired,
    Signer,
    UnsupportedProto,
    Verifier,
    negotiate,
    payload_hash,
)
from rucket.core.hlc import FakeClock

SECRET = b"the-cluster-secret-of-n1-n2-n3"
QUERY = {"pg": "17", "shard": "3"}


def signed(clock: FakeClock, *, secret: bytes = SECRET, proto: int = 1, body: bytes = b"shard bytes") -> dict[str, str]:
    return Signer(secret, "n2", clock, proto).sign("PUT", "/internal/v1/blobs/abc", QUERY, payload_hash(body))


def test_right_secret_verifies_and_names_the_sender() -> None:
    clock = FakeClock()
    got = Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, signed(clock))
    assert (got.node, got.proto, got.payload) == ("n2", 1, payload_hash(b"shard bytes"))


def test_wrong_secret_is_refused_with_403() -> None:
    clock = FakeClock()
    with pytest.raises(BadSignature) as err:
        Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY,
                                       signed(clock, secret=b"some-other-cluster-secret"))
    assert err.value.status == 403


@pytest.mark.parametrize(("method", "path", "query", "header", "value"), [
    pytest.param("DELETE", "/internal/v1/blobs/abc", QUERY, None, None, id="method"),
    pytest.param("PUT", "/internal/v1/blobs/abd", QUERY, None, None, id="path"),
    pytest.param("PUT", "/internal/v1/blobs/abc", {"pg": "18", "shard": "3"}, None, None, id="query"),
    pytest.param("PUT", "/internal/v1/blobs/abc", QUERY, NODE, "n3", id="sender"),
    pytest.param("PUT", "/internal/v1/blobs/abc", QUERY, CONTENT, UNSIGNED_PAYLOAD, id="payload"),
    pytest.param("PUT", "/internal/v1/blobs/abc", QUERY, DATE, "1700000000001", id="date"),
])
def test_any_altered_part_breaks_the_signature(method: str, path: str, query: dict[str, str],
                                               header: str | None, value: str | None) -> None:
    clock = FakeClock()
    headers = signed(clock)
    if header is not None and value is not None:
        headers[header] = value
    with pytest.raises(BadSignature):
        Verifier(SECRET, clock).verify(method, path, query, headers)


def test_missing_headers_and_malformed_date_are_refused() -> None:
    clock = FakeClock()
    headers = signed(clock)
    del headers[SIGNATURE]
    with pytest.raises(MissingSignature):
        Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, headers)
    with pytest.raises(BadSignature):
        Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, {**signed(clock), DATE: "soon"})


def test_clock_skew_beyond_the_window_expires_the_request() -> None:
    clock = FakeClock()
    headers = signed(clock)
    clock.advance(seconds=31)
    with pytest.raises(RequestExpired):
        Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, headers)


def test_a_signature_is_accepted_once() -> None:
    clock = FakeClock()
    verifier, headers = Verifier(SECRET, clock), signed(clock)
    verifier.verify("PUT", "/internal/v1/blobs/abc", QUERY, headers)
    clock.advance(seconds=1)
    with pytest.raises(ReplayedRequest):
        verifier.verify("PUT", "/internal/v1/blobs/abc", QUERY, headers)
    clock.advance(seconds=1)
    verifier.verify("PUT", "/internal/v1/blobs/abc", QUERY, signed(clock))  # a fresh one still passes


def test_header_names_are_case_insensitive() -> None:
    clock = FakeClock()
    headers = {k.title(): v for k, v in signed(clock).items()}
    assert Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, headers).node == "n2"


def test_unsupported_version_is_refused_with_the_supported_range() -> None:
    clock = FakeClock()
    with pytest.raises(UnsupportedProto) as err:
        Verifier(SECRET, clock).verify("PUT", "/internal/v1/blobs/abc", QUERY, signed(clock, proto=2))
    assert err.value.status == 400 and err.value.supported == frozenset({1})
    assert Verifier(SECRET, clock, supported=frozenset({1, 2})).verify(
        "PUT", "/internal/v1/blobs/abc", QUERY, signed(clock, proto=2)).proto == 2
    assert signed(clock)[PROTO] == "1"


def test_negotiate_picks_the_highest_common_version() -> None:
    assert negotiate(frozenset({1, 2}), frozenset({1})) == 1
    assert negotiate(frozenset({1, 2, 3}), frozenset({2, 3})) == 3
    with pytest.raises(UnsupportedProto):
        negotiate(frozenset({2}), frozenset({1}))


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Verifier(b"short", FakeClock())
