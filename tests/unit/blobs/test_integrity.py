"""Blob integrity: checksummed names, verified whole and range reads, pathsend trust, bit flips."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rucket.blobs import integrity as ig
from rucket.blobs.local import LocalBlobs
from rucket.core import checksums
from rucket.core.errors import CorruptBlob

run = asyncio.run
MiB = 1 << 20


class Ms:
    def __init__(self) -> None:
        self.ms = 1_000

    def __call__(self) -> int:
        return self.ms


def write(blobs: LocalBlobs, data: bytes) -> str:
    async def go() -> str:
        w = blobs.writer({"MD5": checksums.md5()}, -1)
        for i in range(0, len(data), 300_000):
            await w.write(data[i:i + 300_000])
        written = await w.finish()
        assert written.blob_id is not None
        return written.blob_id

    return run(go())


def read(blobs: LocalBlobs, blob_id: str, start: int, end: int) -> bytes:
    async def go() -> bytes:
        return b"".join([c async for c in blobs.read(blob_id, start, end)])

    return run(go())


def flip(blobs: LocalBlobs, blob_id: str, offset: int) -> None:
    with open(blobs.path(blob_id), "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobs:
    return LocalBlobs(tmp_path, fsync=False, now_ms=Ms())


DATA = os.urandom(3 * MiB + 12345)


def test_blob_name_carries_crc64nvme_of_its_bytes(blobs: LocalBlobs) -> None:
    blob_id = write(blobs, DATA)
    assert ig.expected_crc(blob_id) == ig.crc64(DATA)
    assert blobs.path(blob_id).read_bytes() == DATA


@pytest.mark.parametrize(("name", "crc"), [
    pytest.param("0" * 32 + "-00000000000000ff", 255, id="checksummed"),
    pytest.param("0" * 32, None, id="legacy-no-suffix"),
    pytest.param("0" * 32 + "-xyz", None, id="bad-suffix"),
    pytest.param("0" * 32 + "-" + "F" * 16, None, id="uppercase-not-ours"),
])
def test_expected_crc_parses_only_our_names(name: str, crc: int | None) -> None:
    assert ig.expected_crc(name) == crc


def test_combine_of_block_crcs_is_whole_crc() -> None:
    blocks = [ig.crc64(DATA[i:i + ig.BLOCK]) for i in range(0, len(DATA), ig.BLOCK)]
    assert ig.combine(blocks, len(DATA)) == ig.crc64(DATA)


@pytest.mark.parametrize(("start", "end"), [
    pytest.param(0, len(DATA), id="whole"),
    pytest.param(0, 10, id="head"),
    pytest.param(MiB - 3, MiB + 3, id="across-block-boundary"),
    pytest.param(len(DATA) - 7, len(DATA), id="tail"),
    pytest.param(5, len(DATA) - 5, id="nearly-all"),
])
def test_reads_return_exact_bytes(blobs: LocalBlobs, start: int, end: int) -> None:
    blob_id = write(blobs, DATA)
    assert read(blobs, blob_id, start, end) == DATA[start:end]


@pytest.mark.parametrize("offset", [0, MiB + 17, len(DATA) - 1], ids=["first-block", "middle", "last-byte"])
def test_whole_read_of_flipped_blob_never_yields_the_last_block(blobs: LocalBlobs, offset: int) -> None:
    blob_id = write(blobs, DATA)
    flip(blobs, blob_id, offset)
    got: list[bytes] = []

    async def go() -> None:
        async for chunk in blobs.read(blob_id, 0, len(DATA)):
            got.append(chunk)

    with pytest.raises(CorruptBlob):
        run(go())
    assert sum(map(len, got)) < len(DATA)  # the response can never be completed
    assert blobs.stats.corrupt_reads == 1


def test_one_block_corrupt_blob_fails_before_first_byte(blobs: LocalBlobs) -> None:
    small = os.urandom(200_000)
    blob_id = write(blobs, small)
    flip(blobs, blob_id, 100)

    async def go() -> AsyncIterator[bytes]:
        return await ig.primed(blobs.read(blob_id, 0, len(small)))

    with pytest.raises(CorruptBlob):
        run(go())


def test_range_read_of_flipped_blob_fails_before_first_byte(blobs: LocalBlobs) -> None:
    blob_id = write(blobs, DATA)
    flip(blobs, blob_id, 2 * MiB + 5)

    async def go() -> AsyncIterator[bytes]:
        return await ig.primed(blobs.read(blob_id, 0, 100))  # the flipped block is not even in range

    with pytest.raises(CorruptBlob):
        run(go())


def test_range_read_rechecks_blocks_even_when_rot_keeps_the_file_identity(blobs: LocalBlobs) -> None:
    """Silent rot (nothing we can stat changes): the cached block CRCs still catch it."""
    blob_id = write(blobs, DATA)
    assert read(blobs, blob_id, 0, 10) == DATA[:10]  # verified pass: block CRCs cached
    known = blobs.verified.get(blob_id, ig.Identity.of(os.stat(blobs.path(blob_id))))
    assert known is not None
    flip(blobs, blob_id, MiB + 1)
    blobs.verified.put(blob_id, ig.Identity.of(os.stat(blobs.path(blob_id))), list(known.blocks))  # same "identity"
    assert read(blobs, blob_id, 0, 10) == DATA[:10]  # block 0 is intact
    with pytest.raises(CorruptBlob):
        read(blobs, blob_id, MiB, MiB + 10)


def test_pathsend_trust_needs_recent_verification_and_unchanged_file(tmp_path: Path) -> None:
    clock = Ms()
    blobs = LocalBlobs(tmp_path, fsync=False, trust_window_ms=60_000, now_ms=clock)
    blob_id = write(blobs, DATA)
    assert not blobs.trusted(blob_id)  # never verified
    assert read(blobs, blob_id, 0, len(DATA)) == DATA
    assert blobs.trusted(blob_id)
    clock.ms += 60_001
    assert not blobs.trusted(blob_id)  # too old
    assert run(blobs.check(blob_id))[0] == "ok"  # the scrubber refreshes the trust
    assert blobs.trusted(blob_id)
    flip(blobs, blob_id, 10)
    assert not blobs.trusted(blob_id)  # the file was written since


def test_small_blobs_and_zero_window_are_never_trusted(tmp_path: Path) -> None:
    blobs = LocalBlobs(tmp_path, fsync=False, now_ms=Ms())
    small = write(blobs, b"s" * 100_000)
    assert read(blobs, small, 0, 100_000) == b"s" * 100_000
    assert not blobs.trusted(small)  # one block: verifying costs less than it saves
    strict = LocalBlobs(tmp_path, fsync=False, trust_window_ms=0)
    big = write(strict, DATA)
    read(strict, big, 0, len(DATA))
    assert not strict.trusted(big)


def test_check_reports_each_state(blobs: LocalBlobs) -> None:
    good, bad = write(blobs, DATA), write(blobs, b"b" * 100_000)
    flip(blobs, bad, 7)
    legacy = "1" * 32
    blobs.path(legacy).parent.mkdir(parents=True, exist_ok=True)
    blobs.path(legacy).write_bytes(b"old")
    paced: list[int] = []

    async def pace(n: int) -> None:
        paced.append(n)

    assert run(blobs.check(good, pace)) == ("ok", len(DATA))
    assert sum(paced) == len(DATA)
    assert run(blobs.check(bad)) == ("corrupt", 100_000)
    assert run(blobs.check(legacy))[0] == "unverifiable"
    assert run(blobs.check("2" * 32 + "-" + "0" * 16))[0] == "missing"


def test_truncated_blob_is_corrupt(blobs: LocalBlobs) -> None:
    blob_id = write(blobs, DATA)
    os.truncate(blobs.path(blob_id), len(DATA) - 100)
    with pytest.raises(CorruptBlob):
        read(blobs, blob_id, 0, len(DATA))
