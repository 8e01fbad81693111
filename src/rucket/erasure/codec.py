"""Reed-Solomon stripes: fixed-size stripes, one framed fragment per shard, pure synchronous functions.

An object is cut into stripes of `STRIPE_SIZE` bytes (the last one shorter); each stripe is encoded
into k+m fragments by pyeclib (`isa_l_rs_cauchy`, ISA-L bundled in the PyPI wheel), and shard i's
stream is the concatenation of fragment i of every stripe. Because stripes have a fixed size, every
frame but the last has the same length, so stripe s of any shard starts at `s * frame_size`: a
ranged read fetches exactly the stripes it needs, from any k shards.

Each fragment is framed with its xxh3_64 (8 bytes, big-endian) so bit rot in one stripe of one shard
is caught before decoding and only that shard is skipped; the record keeps one xxh3_64 per whole
shard stream for the deep scrub.

These functions hold the GIL while pyeclib runs (its C extension never releases it), so callers
run them in worker *processes* (see stream.py); they are module-level and picklable for that.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import xxhash
from pyeclib.ec_iface import ECDriver

from rucket.core.errors import CorruptBlob

EC_TYPE = "isa_l_rs_cauchy"
STRIPE_SIZE = 1 << 20  # 1 MiB of data per stripe: 128 KiB fragments at 8+4
CHECKSUM_BYTES = 8


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc mallopt parameters
_KEEP_BYTES = 8 << 20  # > the ~1.5 MiB a stripe needs, small next to a node's 300 MiB RSS budget


def tune_allocator() -> bool:
    """Keep coding buffers on the heap instead of fresh mmap()s (once per process that codes).

    liberasurecode allocates ~1.5 MiB of aligned buffers per 1 MiB stripe and frees them again. Above
    glibc's mmap threshold every call maps, faults in and unmaps fresh zeroed pages: measured here,
    8+4 encode of 1 MiB stripes ran at ~150 MB/s that way and ~1.8 GB/s with the buffers kept (the
    64 KiB stripes below the threshold were fast either way). Returns False where there is no glibc.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(param, value) == 1 for param, value in ((_M_MMAP_THRESHOLD, _KEEP_BYTES),
                                                                (_M_TRIM_THRESHOLD, 4 * _KEEP_BYTES),
                                                                (_M_TOP_PAD, _KEEP_BYTES)))


@functools.cache
def driver(k: int, m: int) -> ECDriver:
    """One pyeclib driver per (k, m) per process (building one loads the backend library)."""
    return ECDriver(k=k, m=m, ec_type=EC_TYPE)


@functools.cache
def fragment_size(k: int, m: int, stripe_len: int) -> int:
    """Bytes of one fragment of a stripe of `stripe_len` (pyeclib header included)."""
    return int(driver(k, m).get_segment_info(stripe_len, stripe_len)["fragment_size"])


@dataclass(frozen=True)
class StripeLayout:
    """Where every byte of an object lives in its shards: pure arithmetic on (k, m, size, stripe)."""

    k: int
    m: int
    size: int
    stripe_size: int = STRIPE_SIZE

    def __post_init__(self) -> None:
        if self.size <= 0 or self.stripe_size <= 0:
            raise ValueError("erasure coding needs a non-empty object and stripe")

    @property
    def stripes(self) -> int:
        return -(-self.size // self.stripe_size)

    def stripe_len(self, stripe: int) -> int:
        if not 0 <= stripe < self.stripes:
            raise IndexError(stripe)
        return min(self.stripe_size, self.size - stripe * self.stripe_size)

    def frame_len(self, stripe: int) -> int:
        return fragment_size(self.k, self.m, self.stripe_len(stripe)) + CHECKSUM_BYTES

    def frame_offset(self, stripe: int) -> int:
        return stripe * (fragment_size(self.k, self.m, self.stripe_size) + CHECKSUM_BYTES)

    def shard_len(self) -> int:
        """Length of every shard stream (all shards are equally long)."""
        last = self.stripes - 1
        return self.frame_offset(last) + self.frame_len(last)

    def stripes_for(self, start: int, end: int) -> range:
        """Stripes covering bytes [start, end) of the object."""
        if not 0 <= start < end <= self.size:
            raise ValueError(f"range [{start}, {end}) outside an object of {self.size} bytes")
        return range(start // self.stripe_size, (end - 1) // self.stripe_size + 1)


def frame(fragment: bytes) -> bytes:
    return fragment + xxhash.xxh3_64_intdigest(fragment).to_bytes(CHECKSUM_BYTES, "big")


def unframe(data: bytes) -> bytes:
    """The fragment inside a frame, or CorruptBlob when its checksum does not match."""
    fragment, stored = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if len(data) <= CHECKSUM_BYTES or xxhash.xxh3_64_intdigest(fragment).to_bytes(CHECKSUM_BYTES, "big") != stored:
        raise CorruptBlob("shard fragment checksum mismatch")
    return fragment


def encode_stripe(k: int, m: int, data: bytes) -> list[bytes]:
    """One stripe → k+m framed fragments (index = shard number; 0..k-1 carry the data)."""
    return [frame(bytes(f)) for f in driver(k, m).encode(data)]


def decode_stripe(k: int, m: int, fragments: Mapping[int, bytes]) -> bytes:
    """Verified, unframed fragments (any k, keyed by shard index) → the stripe's bytes."""
    if len(fragments) < k:
        raise CorruptBlob(f"only {len(fragments)} of the {k} fragments needed")
    chosen: Sequence[bytes] = [fragments[i] for i in sorted(fragments)[:k]]  # data shards sort first
    return bytes(driver(k, m).decode(list(chosen)))
