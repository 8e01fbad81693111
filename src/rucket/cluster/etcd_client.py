"""etcd client wrapper: a deadline on every call, endpoint rotation, typed results.

aetcd (1.0) speaks the v3 gRPC API but connects to one endpoint and waits as long as gRPC lets it.
A storage node cannot: a request that cannot reach a quorum within its deadline must fail fast with
`Unavailable` (→ 503 SlowDown) and the next call must try another member. So every call here has
an overall deadline, each attempt a shorter timeout, and a failed attempt moves on to the next
endpoint (the member that answered last is tried first next time).

Retrying is only safe when a repeat cannot change the outcome. Reads, puts of a fixed value and
deletes are retried; a transaction (compare-and-swap) is retried only when it provably never left
this process (the connection was refused), otherwise `EtcdUncertain` tells the caller to re-read
before deciding, which is what exactly-once conditional writes need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aetcd  # type: ignore[import-untyped]
import aetcd.exceptions  # type: ignore[import-untyped]

from rucket.core.errors import Unavailable

T = TypeVar("T")
_RETRYABLE = (TimeoutError, aetcd.exceptions.ConnectionFailedError, aetcd.exceptions.ConnectionTimeoutError,
              aetcd.exceptions.InternalError)
_NEVER_SENT = ("failed to connect", "connection refused", "Connection refused", "connect failed")


class EtcdUnavailable(Unavailable):
    """No etcd member answered within the deadline (no quorum, partition, or all members down)."""


class EtcdUncertain(EtcdUnavailable):
    """A write timed out after it may have reached the leader: re-read before retrying."""


@dataclass(frozen=True)
class KeyValue:
    key: bytes
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int


@dataclass(frozen=True)
class ClusterStatus:
    leader: str | None  # member name, None while an election is running
    raft_term: int
    raft_index: int


@dataclass(frozen=True)
class Member:
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]  # empty until the member has started and joined

    @property
    def started(self) -> bool:
        return bool(self.client_urls)


def _kv(raw: Any) -> KeyValue:
    return KeyValue(raw.key, raw.value, raw.create_revision, raw.mod_revision, raw.version, raw.lease)


def _never_sent(exc: BaseException) -> bool:
    return isinstance(exc, aetcd.exceptions.ConnectionFailedError) and any(s in str(exc) for s in _NEVER_SENT)


Factory = Callable[[str, int, float], Any]


def _default_factory(host: str, port: int, timeout: float) -> Any:
    return aetcd.Client(host=host, port=port, timeout=timeout)


class EtcdClient:
    """Talks to whichever member answers; `endpoints` are "host:port" client addresses."""

    def __init__(self, endpoints: Sequence[str], *, deadline: float = 5.0, attempt_timeout: float = 1.0,
                 factory: Factory = _default_factory, monotonic: Callable[[], float] = time.monotonic) -> None:
        if not endpoints:
            raise ValueError("at least one etcd endpoint")
        self.endpoints = tuple(endpoints)
        self.deadline, self.attempt_timeout = deadline, attempt_timeout
        self._factory, self._monotonic = factory, monotonic
        self._clients: dict[str, Any] = {}
        self._current = 0

    @property
    def current(self) -> str:
        return self.endpoints[self._current]

    def _client(self, endpoint: str) -> Any:
        if endpoint not in self._clients:
            host, _, port = endpoint.rpartition(":")
            self._clients[endpoint] = self._factory(host, int(port), self.attempt_timeout)
        return self._clients[endpoint]

    async def call(self, name: str, fn: Callable[[Any], Awaitable[T]], *, idempotent: bool = True,
                   deadline: float | None = None) -> T:
        """Run `fn(aetcd_client)` against the current member, rotating until one answers or time is up."""
        total = self.deadline if deadline is None else deadline
        end = self._monotonic() + total
        last: BaseException | None = None
        for attempt in range(1_000):
            remaining = end - self._monotonic()
            if remaining <= 0:
                break
            try:
                return await asyncio.wait_for(fn(self._client(self.current)),
                                              min(self.attempt_timeout, remaining))
            except _RETRYABLE as exc:
                if not idempotent and not _never_sent(exc):
                    raise EtcdUncertain(f"etcd {name}: outcome unknown ({type(exc).__name__})") from exc
                last = exc
                self._current = (self._current + 1) % len(self.endpoints)
                await asyncio.sleep(min(0.05 * (attempt + 1), max(0.0, end - self._monotonic())))
        raise EtcdUnavailable(f"etcd {name}: no member answered within {total:.1f}s "
                              f"(last: {type(last).__name__ if last else 'none'})") from last

    async def get(self, key: bytes, *, serializable: bool = False, deadline: float | None = None) -> KeyValue | None:
        """Linearizable by default; `serializable` reads the answering member's copy (may be stale)."""
        raw = await self.call("get", lambda c: c.get(key, serializable=serializable), deadline=deadline)
        return None if raw is None else _kv(raw)

    async def get_prefix(self, prefix: bytes, *, deadline: float | None = None) -> list[KeyValue]:
        raw = await self.call("get_prefix", lambda c: c.get_prefix(prefix, sort_target="key"), deadline=deadline)
        return [_kv(kv) for kv in raw]

    async def put(self, key: bytes, value: bytes, *, lease: int | None = None,
                  deadline: float | None = None) -> int:
        """Store `value`; returns the cluster revision of the write (retrying a put of the same value is safe)."""
        raw = await self.call("put", lambda c: c.put(key, value, lease=lease), deadline=deadline)
        return int(raw.header.revision)

    async def delete(self, key: bytes, *, deadline: float | None = None) -> bool:
        raw = await self.call("delete", lambda c: c.delete(key), deadline=deadline)
        return raw is not None and int(raw.deleted) > 0

    async def txn(self, compare: list[Any], success: list[Any], failure: list[Any] | None = None, *,
                  deadline: float | None = None) -> tuple[bool, list[Any]]:
        """Atomic compare-then-ops (aetcd's `transactions` builders); never blindly retried."""
        ok, responses = await self.call("txn", lambda c: c.transaction(compare, success, failure or []),
                                        idempotent=False, deadline=deadline)
        return bool(ok), list(responses)

    @property
    def ops(self) -> Any:
        """aetcd's transaction builders (`value`, `version`, `mod`, `put`, `get`, `delete`)."""
        return self._client(self.current).transactions

    async def lease(self, ttl: int, *, deadline: float | None = None) -> int:
        raw = await self.call("lease", lambda c: c.lease(ttl), idempotent=False, deadline=deadline)
        return int(raw.id)

    async def refresh_lease(self, lease_id: int, *, deadline: float | None = None) -> int:
        """Keep a lease alive; returns its remaining TTL in seconds, 0 once it has expired (re-grant then)."""
        reply = await self.call("refresh_lease", lambda c: c.refresh_lease(lease_id), deadline=deadline)
        return max(0, int(reply.TTL)) if reply is not None else 0

    async def revoke_lease(self, lease_id: int, *, deadline: float | None = None) -> None:
        """Drop a lease and its keys now (a node leaving cleanly is seen as gone at once); an expired or
        already revoked lease is fine: the goal, no lease, holds."""
        try:
            await self.call("revoke_lease", lambda c: c.revoke_lease(lease_id), deadline=deadline)
        except aetcd.exceptions.ClientError as exc:
            if "lease not found" not in str(exc):
                raise

    async def status(self, *, deadline: float | None = None) -> ClusterStatus:
        raw = await self.call("status", lambda c: c.status(), deadline=deadline)
        return ClusterStatus(raw.leader.name if raw.leader is not None else None, raw.raft_term, raw.raft_index)

    async def members(self, *, deadline: float | None = None) -> list[Member]:
        async def listing(c: Any) -> list[Member]:
            return sorted([Member(m.name, tuple(m.peer_urls), tuple(m.client_urls)) async for m in c.members()],
                          key=lambda m: m.name)

        return await self.call("members", listing, deadline=deadline)

    async def member_names(self, *, deadline: float | None = None) -> list[str]:
        return [m.name for m in await self.members(deadline=deadline)]

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()
