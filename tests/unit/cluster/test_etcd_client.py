"""EtcdClient: deadlines, endpoint rotation and the retry rule for non-idempotent calls (fake members)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aetcd.exceptions  # type: ignore[import-untyped]
import pytest

from rucket.cluster.etcd_client import EtcdClient, EtcdUnavailable, EtcdUncertain
from rucket.core.errors import Unavailable


@dataclass
class Raw:
    key: bytes = b"k"
    value: bytes = b"v"
    create_revision: int = 1
    mod_revision: int = 2
    version: int = 1
    lease: int = 0


@dataclass
class FakeMember:
    """Behaves like one aetcd.Client: answers, refuses connections, or hangs."""

    mode: str  # "ok" | "refused" | "hang" | "leader-changed"
    calls: list[str] = field(default_factory=list)

    async def _act(self, name: str) -> None:
        self.calls.append(name)
        if self.mode == "refused":
            raise aetcd.exceptions.ConnectionFailedError("failed to connect to all addresses")
        if self.mode == "leader-changed":
            raise aetcd.exceptions.ConnectionFailedError("etcdserver: leader changed")
        if self.mode == "hang":
            await asyncio.sleep(3600)

    async def get(self, key: bytes, serializable: bool = False) -> Raw:
        await self._act("get")
        return Raw(key=key)

    async def transaction(self, compare: list[Any], success: list[Any], failure: list[Any]) -> tuple[bool, list[Any]]:
        await self._act("txn")
        return True, []

    async def close(self) -> None:
        self.calls.append("close")


def client_for(modes: dict[str, str], **kw: Any) -> tuple[EtcdClient, dict[str, FakeMember]]:
    members = {ep: FakeMember(mode) for ep, mode in modes.items()}
    client = EtcdClient(list(modes), factory=lambda host, port, _t: members[f"{host}:{port}"], **kw)
    return client, members


def test_rotates_past_refused_and_hanging_members_and_sticks_with_the_one_that_answers() -> None:
    client, members = client_for({"a:1": "refused", "b:1": "hang", "c:1": "ok"}, deadline=3, attempt_timeout=0.1)
    kv = asyncio.run(client.get(b"x"))
    assert kv is not None and kv.key == b"x"
    assert client.current == "c:1"
    asyncio.run(client.get(b"y"))
    assert members["c:1"].calls == ["get", "get"] and members["a:1"].calls == ["get"]


def test_deadline_bounds_the_whole_call() -> None:
    client, _ = client_for({"a:1": "hang", "b:1": "hang"}, deadline=0.4, attempt_timeout=0.1)
    loop = asyncio.new_event_loop()
    start = loop.time()
    with pytest.raises(EtcdUnavailable) as err:
        loop.run_until_complete(client.get(b"x"))
    assert loop.time() - start < 1.0
    assert isinstance(err.value, Unavailable)  # maps to 503 through the domain error table
    loop.close()


def test_txn_retried_only_when_it_never_left() -> None:
    refused, members = client_for({"a:1": "refused", "b:1": "ok"}, deadline=2, attempt_timeout=0.2)
    assert asyncio.run(refused.txn([], [])) == (True, [])
    assert members["b:1"].calls == ["txn"]
    for mode in ("leader-changed", "hang"):
        uncertain, members = client_for({"a:1": mode, "b:1": "ok"}, deadline=2, attempt_timeout=0.2)
        with pytest.raises(EtcdUncertain):
            asyncio.run(uncertain.txn([], []))
        assert members["b:1"].calls == []  # a possibly-applied compare-and-swap is never sent twice


def test_close_closes_every_member_client() -> None:
    client, members = client_for({"a:1": "ok"})
    asyncio.run(client.get(b"x"))
    asyncio.run(client.close())
    assert members["a:1"].calls[-1] == "close"
    with pytest.raises(ValueError):
        EtcdClient([])
