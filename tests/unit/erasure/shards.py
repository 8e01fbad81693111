"""In-memory shard holders for erasure tests: they count reads and can fail or rot."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MemoryShard:
    data: bytearray = field(default_factory=bytearray)
    fail_writes_after: int | None = None  # frames accepted before the holder "dies"
    unreachable: bool = False
    reads: list[tuple[int, int]] = field(default_factory=list)
    writes: int = 0

    async def write(self, data: bytes) -> None:
        if self.fail_writes_after is not None and self.writes >= self.fail_writes_after:
            raise OSError("shard holder went away")
        self.writes += 1
        self.data += data

    async def read(self, offset: int, length: int) -> bytes:
        self.reads.append((offset, length))
        if self.unreachable:
            raise ConnectionError("holder unreachable")
        return bytes(self.data[offset:offset + length])

    def rot(self, offset: int) -> None:
        self.data[offset] ^= 0x40
