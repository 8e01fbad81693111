"""Encrypted blob format: a 16-byte header, then the plaintext in AES-256-GCM sealed blocks.

**Layout.** `header | block 0 | block 1 | ... | block n-1`. Each block seals `block_size`
plaintext bytes (64 KiB; the last block is shorter and may be empty) into
`len(plaintext) + 16` bytes (ciphertext + GCM tag). An object of `size` bytes has
`max(1, ceil(size / block_size))` blocks, so even an empty object carries one sealed, empty,
final block and cannot be truncated to nothing unnoticed. The header is

    magic "RKE" | version 1 | block shift (16 = 64 KiB) | 3 zero bytes | 8-byte nonce prefix

**Nonces and associated data.** Block `i` uses nonce `prefix || i` (4 bytes, big-endian) and
associated data `header || i (8 bytes) || final flag`. The prefix is random per blob, so the
parts of a multipart upload, which share one data key, never reuse a nonce (2^-64 per pair).
Because the index and the final flag are authenticated, blocks cannot be reordered, moved
to another blob under the same key (its header, hence its prefix and AAD, differ),
duplicated, or dropped from the end: the block a reader expects to be final must have been
sealed as final.

**Why a header in the blob, not only a metadata record.** The data key itself is wrapped in
the version's metadata (engine/encryption.py), because rewrapping it (copy across SSE
modes, KMS keys) must not touch the bytes. Everything needed to *parse* the bytes - format
version, block size, nonce prefix - travels with the bytes: a multipart version is a list
of part blobs each with its own prefix (no column in the part tables), a copy that shares a
blob shares its prefix, and fsck can tell an encrypted blob by its magic. 16 bytes per blob.

**Random access.** Plaintext `[start, end)` needs only blocks `start // B .. (end-1) // B`,
whose ciphertext is one contiguous span (`span()`); a range GET reads the header and that
span, nothing else. Encryption and decryption use `encrypt_into`/`decrypt_into` on whole
batches, so a 1 MiB batch is 16 calls and one buffer; callers run batches in a worker
thread (AES-GCM in OpenSSL releases the GIL).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"RKE"
VERSION = 1
HEADER_SIZE = 16
TAG = 16
PREFIX = 8
DEFAULT_SHIFT = 16  # 64 KiB plaintext blocks: one GCM call per block, 0.02 % tag overhead
MAX_BLOCKS = 1 << 32  # the nonce counter is 4 bytes


class TamperedBlob(Exception):
    """Ciphertext, header or framing fails authentication: wrong key, corruption or tampering."""


@dataclass(frozen=True)
class Header:
    shift: int = DEFAULT_SHIFT
    prefix: bytes = b"\0" * PREFIX

    @property
    def block(self) -> int:
        return 1 << self.shift

    def pack(self) -> bytes:
        return MAGIC + bytes([VERSION, self.shift, 0, 0, 0]) + self.prefix

    @classmethod
    def new(cls, shift: int = DEFAULT_SHIFT) -> Header:
        return cls(shift, secrets.token_bytes(PREFIX))

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) < HEADER_SIZE or raw[:3] != MAGIC or raw[3] != VERSION or raw[5:8] != b"\0\0\0" \
                or not 10 <= raw[4] <= 24:
            raise TamperedBlob("not an encrypted blob header")
        return cls(raw[4], bytes(raw[8:16]))


def blocks_of(size: int, block: int) -> int:
    return max(1, -(-size // block))


def opened_size(n_sealed: int, block: int) -> int:
    """Plaintext bytes in `n_sealed` bytes of consecutive sealed blocks (the last may be short)."""
    return n_sealed - TAG * -(-n_sealed // (block + TAG))


def sealed_size(size: int, shift: int = DEFAULT_SHIFT) -> int:
    """Bytes on disk for `size` plaintext bytes."""
    return HEADER_SIZE + size + TAG * blocks_of(size, 1 << shift)


@dataclass(frozen=True)
class Span:
    """The ciphertext a plaintext range needs: blocks first..last, bytes [c_start, c_end)."""

    first: int
    last: int
    c_start: int
    c_end: int


def span(size: int, start: int, end: int, shift: int = DEFAULT_SHIFT) -> Span:
    """For 0 <= start < end <= size (or start == end == size == 0: the empty final block)."""
    block = 1 << shift
    first = start // block
    last = max(first, (end - 1) // block)
    last_len = min(block, size - last * block)
    return Span(first, last, HEADER_SIZE + first * (block + TAG), HEADER_SIZE + last * (block + TAG) + last_len + TAG)


@dataclass(frozen=True)
class Segment:
    """A run of whole blocks of a span, opened on its own: ciphertext [c_start, c_end) holds
    blocks first.., and plaintext [lo, hi) of the opened run belongs to the requested range."""

    first: int
    c_start: int
    c_end: int
    lo: int
    hi: int


def segments(size: int, start: int, end: int, shift: int, blocks_per: int) -> list[Segment]:
    """Cut the span of plaintext [start, end) into runs of `blocks_per` blocks. Runs are
    independent (each block's nonce and associated data depend only on its index), so they can
    be read and opened in parallel and their outputs concatenated in order."""
    sp, block = span(size, start, end, shift), 1 << shift
    out = []
    for i in range(sp.first, sp.last + 1, blocks_per):
        j = min(i + blocks_per, sp.last + 1)
        c_end = sp.c_end if j == sp.last + 1 else HEADER_SIZE + j * (block + TAG)
        base = i * block
        out.append(Segment(i, HEADER_SIZE + i * (block + TAG), c_end, max(start, base) - base,
                           min(end, j * block, size) - base))
    return out


class Cipher:
    """Seals and opens the blocks of one blob (one data key, one header)."""

    def __init__(self, key: bytes, header: Header) -> None:
        if len(key) != 32:
            raise ValueError("AES-256 needs a 32-byte key")
        self.header = header
        self._aead = AESGCM(key)
        self._packed = header.pack()

    def _nonce(self, index: int) -> bytes:
        if index >= MAX_BLOCKS:
            raise ValueError("object too large for one encrypted blob")
        return self.header.prefix + index.to_bytes(4, "big")

    def _aad(self, index: int, final: bool) -> bytes:
        return self._packed + index.to_bytes(8, "big") + (b"\1" if final else b"\0")

    def seal_into(self, plain: memoryview, first: int, final_last: bool, dst: memoryview) -> int:
        """Seal `plain` as blocks first, first+1, ... into `dst`; only the last may be short (and
        then final). Returns the bytes written."""
        block, pos = self.header.block, 0
        count = blocks_of(len(plain), block)
        for k in range(count):
            chunk = plain[k * block:(k + 1) * block]
            self._aead.encrypt_into(self._nonce(first + k), chunk, self._aad(first + k, final_last and k == count - 1),
                                    dst[pos:pos + len(chunk) + TAG])
            pos += len(chunk) + TAG
        return pos

    def open_into(self, sealed: memoryview, first: int, final_index: int, dst: memoryview) -> int:
        """Open consecutive sealed blocks starting at `first` into `dst`; `final_index` is the
        object's last block. Returns the plaintext bytes written."""
        frame, pos, k = self.header.block + TAG, 0, 0
        count = -(-len(sealed) // frame) if sealed else 0
        try:
            for k in range(count):
                chunk = sealed[k * frame:(k + 1) * frame]
                if len(chunk) < TAG:
                    raise InvalidTag
                i = first + k
                self._aead.decrypt_into(self._nonce(i), chunk, self._aad(i, i == final_index),
                                        dst[pos:pos + len(chunk) - TAG])
                pos += len(chunk) - TAG
        except InvalidTag as exc:
            raise TamperedBlob(f"block {first + k} fails authentication") from exc
        return pos

    def open_segment(self, sealed: bytes | bytearray | memoryview, seg: Segment, final_index: int,
                     out: bytearray | None = None) -> bytes | bytearray:
        """Plaintext of `seg` (its ciphertext given whole), cut to the requested range. With `out`
        (`seg.hi - seg.lo` bytes) it is written there and `out` returned: a run wanted whole is
        opened straight into it, so a long read can reuse its buffers instead of allocating."""
        if len(sealed) != seg.c_end - seg.c_start:
            raise TamperedBlob("encrypted span is truncated")
        if out is None:
            return bytes(memoryview(self.open_blocks(sealed, seg.first, final_index))[seg.lo:seg.hi])
        if len(out) != seg.hi - seg.lo:
            raise ValueError("output buffer does not fit the segment")
        if seg.lo == 0 and seg.hi == opened_size(len(sealed), self.header.block):
            self.open_into(memoryview(sealed), seg.first, final_index, memoryview(out))
        else:
            out[:] = memoryview(self.open_blocks(sealed, seg.first, final_index))[seg.lo:seg.hi]
        return out

    def seal_blocks(self, plain: bytes | bytearray | memoryview, first: int, final_last: bool) -> bytearray:
        view = memoryview(plain)
        out = bytearray(len(view) + TAG * blocks_of(len(view), self.header.block))
        self.seal_into(view, first, final_last, memoryview(out))
        return out

    def open_blocks(self, sealed: bytes | bytearray | memoryview, first: int, final_index: int) -> bytearray:
        view = memoryview(sealed)
        out = bytearray(opened_size(len(view), self.header.block))
        self.open_into(view, first, final_index, memoryview(out))
        return out


class Sealer:
    """Streaming encryption: `update()` returns ciphertext (the header first) for the blocks
    that are certainly not the last; `finish()` seals the rest as the final block."""

    def __init__(self, key: bytes, header: Header | None = None) -> None:
        self.cipher = Cipher(key, header or Header.new())
        self._pending = bytearray()
        self._next = 0
        self._started = False

    def _prologue(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return self.cipher.header.pack()

    def update(self, data: bytes | bytearray | memoryview) -> bytes | bytearray:
        """Seals straight from `data`; only a partial block is copied (to join the next call's)."""
        view, block = memoryview(data), self.cipher.header.block
        total = len(self._pending) + len(view)
        ready = (total - 1) // block if total else 0  # keep 1..block bytes back: the last block is final
        head = self._prologue()
        if ready <= 0:
            self._pending += view
            return head
        out = bytearray(len(head) + ready * (block + TAG))
        dst = memoryview(out)
        dst[:len(head)] = head
        pos, done = len(head), 0
        if self._pending:
            need = block - len(self._pending)
            self._pending += view[:need]
            view = view[need:]
            pos += self.cipher.seal_into(memoryview(self._pending), self._next, False, dst[pos:])
            done = 1
        rest = (ready - done) * block
        if rest:
            self.cipher.seal_into(view[:rest], self._next + done, False, dst[pos:])
        self._pending = bytearray(view[rest:])
        self._next += ready
        return out

    def finish(self) -> bytes:
        sealed = self.cipher.seal_blocks(self._pending, self._next, True)
        self._pending = bytearray()
        return self._prologue() + sealed


class Opener:
    """Streaming decryption of plaintext `[start, end)` of a `size`-byte object: feed it the
    ciphertext `span(size, start, end)` names, in any chunking; it yields only the range."""

    def __init__(self, key: bytes, header: Header, size: int, start: int, end: int) -> None:
        self.cipher = Cipher(key, header)
        self.span = span(size, start, end, header.shift)
        self._final = blocks_of(size, header.block) - 1
        self._last_frame = self.span.c_end - (HEADER_SIZE + self.span.last * (header.block + TAG))
        self._skip = start - self.span.first * header.block  # plaintext bytes before `start` in the first block
        self._want = end - start
        self._pending = bytearray()
        self._next = self.span.first

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Opens every complete block but the span's last, which `finish()` checks for length.
        Opens straight from `data`; only a partial block is copied (to join the next call's)."""
        view, block = memoryview(data), self.cipher.header.block
        frame = block + TAG
        ready = min((len(self._pending) + len(view)) // frame, self.span.last - self._next)
        if ready <= 0:
            self._pending += view
            return b""
        out = bytearray(ready * block)  # every block before the object's last is a full one
        dst = memoryview(out)
        done = 0
        if self._pending:
            need = frame - len(self._pending)
            self._pending += view[:need]
            view = view[need:]
            self.cipher.open_into(memoryview(self._pending), self._next, self._final, dst)
            done = 1
        rest = (ready - done) * frame
        self.cipher.open_into(view[:rest], self._next + done, self._final, dst[done * block:])
        self._pending = bytearray(view[rest:])
        self._next += ready
        return self._trim(out)

    def finish(self) -> bytes:
        if self._next != self.span.last or len(self._pending) != self._last_frame:
            raise TamperedBlob("encrypted span is truncated or too long")
        plain = self.cipher.open_blocks(self._pending, self._next, self._final)
        self._pending = bytearray()
        self._next += 1
        return self._trim(plain)

    def _trim(self, plain: bytearray) -> bytes:
        view = memoryview(plain)[self._skip:]
        self._skip = max(0, self._skip - len(plain))
        out = bytes(view[:self._want])
        self._want -= len(out)
        return out


# ---- whole-buffer helpers (inline objects, tests) ----------------------------------------
def seal(key: bytes, plain: bytes, header: Header | None = None) -> bytes:
    s = Sealer(key, header)
    return bytes(s.update(plain) + s.finish())


def open_range(key: bytes, sealed: bytes | bytearray | memoryview, size: int, start: int, end: int) -> bytes:
    """Plaintext [start, end) of a sealed buffer holding the whole object (checked for length)."""
    header = Header.parse(bytes(sealed[:HEADER_SIZE]))
    if len(sealed) != sealed_size(size, header.shift):
        raise TamperedBlob("encrypted object has the wrong length")
    if start >= end and size:
        return b""
    o = Opener(key, header, size, start, end)
    return o.update(memoryview(sealed)[o.span.c_start:o.span.c_end]) + o.finish()


def open_all(key: bytes, sealed: bytes, size: int) -> bytes:
    return open_range(key, sealed, size, 0, size)
