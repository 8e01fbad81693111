"""The internal API over real sockets: signed requests pass, unsigned or wrongly signed ones get 403
and reach no handler, a peer too far ahead in time is refused, chunked streams arrive whole."""

from __future__ import annotations

import asyncio
from typing import Any

from rucket.cluster import wire
from rucket.cluster.internal import PREFIX, InternalApi, PeerClient, PeerError, json_response, signed_json
from rucket.cluster.signing import Signer, Verified, Verifier
from rucket.core.hlc import HLC, FakeClock

SECRET = b"0123456789abcdef0123"


async def _serve(clock: FakeClock) -> tuple[wire.Server, list[Any]]:
    seen: list[Any] = []
    api = InternalApi(Verifier(SECRET, clock), HLC(clock))

    async def echo(req: wire.Request, v: Verified) -> wire.Response:
        seen.append((v.node, await signed_json(req, v)))
        return json_response(200, {"ok": True})

    async def sink(req: wire.Request, v: Verified) -> wire.Response:
        n = 0
        async for chunk in req.body:
            n += len(chunk)
        return json_response(200, {"bytes": n})

    api.route("POST", "echo", echo)
    api.route("PUT", "sink", sink)
    server = wire.Server(api)
    await server.start("127.0.0.1", 0)
    return server, seen


def test_signed_call_reaches_the_handler_and_bad_ones_do_not() -> None:
    async def run() -> None:
        clock = FakeClock()
        server, seen = await _serve(clock)
        address = f"127.0.0.1:{server.port}"
        good = PeerClient(Signer(SECRET, "n2", clock))
        assert await good.call(address, "POST", f"{PREFIX}/echo", {"x": 1}) == {"ok": True}
        assert seen == [("n2", {"x": 1})]
        bad = PeerClient(Signer(b"another-secret-0123456789", "n9", clock))
        try:
            await bad.call(address, "POST", f"{PREFIX}/echo", {"x": 2})
            raise AssertionError("a wrong secret must be refused")
        except PeerError as exc:
            assert "403" in str(exc)
        reply = await wire.request(address, "POST", f"{PREFIX}/echo", {}, {}, b'{"x": 3}')
        assert reply.status == 403 and b"MissingSignature" in await reply.read()
        ahead = FakeClock(clock.ms + 5_000)  # 5 s ahead: within the replay window, beyond the HLC's skew
        try:
            await PeerClient(Signer(SECRET, "n3", ahead)).call(address, "POST", f"{PREFIX}/echo", {"x": 4})
            raise AssertionError("a clock 5 s ahead must be refused")
        except PeerError as exc:
            assert "ClockSkew" in str(exc)
        assert [s[1] for s in seen] == [{"x": 1}]
        await server.stop()

    asyncio.run(run())


def test_chunked_upload_streams() -> None:
    async def run() -> None:
        clock = FakeClock()
        server, _ = await _serve(clock)
        address = f"127.0.0.1:{server.port}"
        client = PeerClient(Signer(SECRET, "n2", clock))
        up = await wire.upload(address, "PUT", f"{PREFIX}/sink", {},
                               client.headers("PUT", f"{PREFIX}/sink", {}, "UNSIGNED-PAYLOAD"))
        for _ in range(10):
            await up.send(b"x" * 300_000)
        reply = await up.finish()
        assert reply.status == 200 and b'"bytes": 3000000' in await reply.read()
        await server.stop()

    asyncio.run(run())
