"""Internal API request signing: HMAC-SHA256 with a key derived from the cluster secret, versioned.

Nodes talk to each other on the internal port (S3 + 1) to stream blobs, heartbeat and heal. Anyone
who can reach that port must not be able to write or read data, so every request carries:

    x-rucket-proto: 1                    protocol version (mixed-version clusters negotiate, see below)
    x-rucket-node: n2                    the sender's node id
    x-rucket-date: 1764807600123         sender's wall clock, ms (bounds replay to the skew window)
    x-rucket-content-sha256: <hex>|UNSIGNED-PAYLOAD
    x-rucket-signature: <hex HMAC of the canonical string below>

The canonical string binds version, date, node, method, path, sorted query and payload hash, so a
signature cannot be moved to another request. Streamed shard bodies use UNSIGNED-PAYLOAD: their
bytes are covered by the per-shard checksums stored in the signed metadata record instead.
A signature seen once is refused again until it falls out of the skew window (replay guard).

Versioning: a node accepts the versions in `SUPPORTED`; an unsupported one is refused with the range
it does support, so a newer peer can fall back (`negotiate`) during a rolling upgrade.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import quote

from rucket.core.hlc import Clock

PROTO_VERSION = 1
SUPPORTED = frozenset({1})
ALGORITHM = "RUCKET-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
PROTO, NODE, DATE, CONTENT, SIGNATURE = ("x-rucket-proto", "x-rucket-node", "x-rucket-date",
                                         "x-rucket-content-sha256", "x-rucket-signature")
_KEY_LABEL = b"rucket internal api signing key v1"


class SigningError(Exception):
    """An internal request that must not be served; `status` is what the internal server answers."""

    status: ClassVar[int] = 403


class MissingSignature(SigningError):
    pass


class BadSignature(SigningError):
    pass


class RequestExpired(SigningError):
    pass


class ReplayedRequest(SigningError):
    pass


class UnsupportedProto(SigningError):
    status = 400

    def __init__(self, version: str, supported: frozenset[int]) -> None:
        super().__init__(f"x-rucket-proto {version!r} unsupported; this node speaks {sorted(supported)}")
        self.supported = supported


def _internal_key(secret: bytes) -> bytes:
    """Separate key per purpose: the etcd token and this key never reveal each other or the secret."""
    if len(secret) < 16:
        raise ValueError("the cluster secret must be at least 16 bytes")
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))


def _canonical_message(proto: int, date_ms: int, node: str, method: str, path: str, query: Mapping[str, str],
                   payload: str) -> bytes:
    return "\n".join([ALGORITHM, str(proto), str(date_ms), node, method.upper(), quote(path, safe="/-_.~"),
                      canonical_query(query), payload]).encode()


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def negotiate(mine: frozenset[int], theirs: frozenset[int]) -> int:
    """Highest version both sides speak; none in common → the peer is too old or too new to talk to."""
    common = mine & theirs
    if not common:
        raise UnsupportedProto(",".join(map(str, sorted(theirs))), mine)
    return max(common)


@dataclass(frozen=True)
class Signer:
    secret: bytes = field(repr=False)
    node: str
    clock: Clock
    proto: int = PROTO_VERSION

    def sign(self, method: str, path: str, query: Mapping[str, str], payload: str) -> dict[str, str]:
        """Headers to add to an internal request (`payload`: `payload_hash(body)` or UNSIGNED_PAYLOAD)."""
        date = self.clock.now_ms()
        mac = hmac.new(_internal_key(self.secret),
                       _canonical_message(self.proto, date, self.node, method, path, query, payload), hashlib.sha256)
        return {PROTO: str(self.proto), NODE: self.node, DATE: str(date), CONTENT: payload,
                SIGNATURE: mac.hexdigest()}


@dataclass(frozen=True)
class Verified:
    node: str
    proto: int
    payload: str  # the body must still be checked against it unless UNSIGNED_PAYLOAD


class ReplayGuard:
    """Signatures accepted within the skew window; bounded (oldest forgotten first)."""

    def __init__(self, window_ms: int, capacity: int = 200_000) -> None:
        self.window_ms, self.capacity = window_ms, capacity
        self._seen: OrderedDict[str, int] = OrderedDict()

    def check_and_remember(self, signature: str, now_ms: int) -> None:
        while self._seen and (next(iter(self._seen.values())) < now_ms - 2 * self.window_ms
                              or len(self._seen) >= self.capacity):
            self._seen.popitem(last=False)
        if signature in self._seen:
            raise ReplayedRequest("signature already used")
        self._seen[signature] = now_ms


@dataclass
class Verifier:
    secret: bytes = field(repr=False)
    clock: Clock
    max_skew_ms: int = 30_000
    supported: frozenset[int] = SUPPORTED
    replay: ReplayGuard | None = None

    def __post_init__(self) -> None:
        self._key = _internal_key(self.secret)
        if self.replay is None:
            self.replay = ReplayGuard(self.max_skew_ms)

    def verify(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Verified:
        """Accept or raise; checks cheap fields first, compares the MAC in constant time, then replay."""
        h = {k.lower(): v for k, v in headers.items()}
        missing = [name for name in (PROTO, NODE, DATE, CONTENT, SIGNATURE) if not h.get(name)]
        if missing:
            raise MissingSignature(f"missing {', '.join(missing)}")
        if not h[PROTO].isdigit() or int(h[PROTO]) not in self.supported:
            raise UnsupportedProto(h[PROTO], self.supported)
        if not h[DATE].isdigit():
            raise BadSignature("malformed x-rucket-date")
        now, date = self.clock.now_ms(), int(h[DATE])
        if abs(now - date) > self.max_skew_ms:
            raise RequestExpired(f"x-rucket-date {date} is {(now - date) / 1000:+.1f}s from this node's clock")
        expected = hmac.new(self._key, _canonical_message(int(h[PROTO]), date, h[NODE], method, path, query,
                                                      h[CONTENT]), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, h[SIGNATURE]):
            raise BadSignature("signature does not match (wrong cluster secret or altered request)")
        assert self.replay is not None
        self.replay.check_and_remember(h[SIGNATURE], now)
        return Verified(h[NODE], int(h[PROTO]), h[CONTENT])
