"""The encrypted blob format: round trips, random access, and every kind of tampering refused."""

from __future__ import annotations

import dataclasses
import os
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rucket.blobs import crypto
from rucket.blobs.crypto import HEADER_SIZE, TAG, Header, Opener, Sealer, TamperedBlob

KEY = bytes(range(32))
SMALL = 10  # 1 KiB blocks keep hypothesis examples multi-block and fast


def sealed(plain: bytes, shift: int = SMALL, key: bytes = KEY) -> bytes:
    return crypto.seal(key, plain, Header(shift, b"prefix!!"))


def frames(size: int, shift: int = SMALL) -> list[tuple[int, int]]:
    """(offset, length) of each sealed block in the blob."""
    block, out, pos = 1 << shift, [], HEADER_SIZE
    for i in range(crypto.blocks_of(size, block)):
        n = min(block, size - i * block) + TAG
        out.append((pos, n))
        pos += n
    return out


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=5000), st.data())
def test_open_range_any_range_equals_plaintext_slice(plain: bytes, data: st.DataObject) -> None:
    blob = sealed(plain)
    assert len(blob) == crypto.sealed_size(len(plain), SMALL)
    start = data.draw(st.integers(0, len(plain)))
    end = data.draw(st.integers(start, len(plain)))
    assert crypto.open_range(KEY, blob, len(plain), start, end) == plain[start:end]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=5000), st.data())
def test_opener_reads_only_the_span_in_any_chunking(plain: bytes, data: st.DataObject) -> None:
    blob = sealed(plain)
    start = data.draw(st.integers(0, len(plain) - 1))
    end = data.draw(st.integers(start + 1, len(plain)))
    o = Opener(KEY, Header.parse(blob[:HEADER_SIZE]), len(plain), start, end)
    assert o.span.c_end - o.span.c_start <= (end - start) + 2 * ((1 << SMALL) + TAG)  # at most two extra blocks
    piece, pos, out = data.draw(st.integers(1, 3000)), o.span.c_start, b""
    while pos < o.span.c_end:
        out += o.update(blob[pos:min(pos + piece, o.span.c_end)])
        pos += piece
    assert out + o.finish() == plain[start:end]


@settings(max_examples=100)
@given(st.lists(st.binary(max_size=3000), max_size=8))
def test_sealer_any_write_pattern_same_bytes(pieces: list[bytes]) -> None:
    header = Header(SMALL, b"prefix!!")
    s = Sealer(KEY, header)
    out = b"".join(s.update(p) for p in pieces) + s.finish()
    assert out == sealed(b"".join(pieces))


@pytest.mark.parametrize("pieces", [(500, 600), (500, 524), (1024, 1), (1, 1023, 1024, 1), (1025, 1023, 2)])
def test_sealer_and_opener_joining_a_held_back_block(pieces: tuple[int, ...]) -> None:
    data = [os.urandom(n) for n in pieces]
    s = Sealer(KEY, Header(SMALL, b"prefix!!"))
    blob = b"".join(bytes(s.update(d)) for d in data) + s.finish()
    plain = b"".join(data)
    assert blob == sealed(plain)
    o = Opener(KEY, Header.parse(blob[:HEADER_SIZE]), len(plain), 0, len(plain))
    cuts = [HEADER_SIZE, *(HEADER_SIZE + sum(pieces[:i + 1]) for i in range(len(pieces))), len(blob)]
    out = b"".join(o.update(blob[a:b]) for a, b in pairwise(cuts))
    assert out + o.finish() == plain


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.data())
def test_any_flipped_bit_is_refused(plain: bytes, data: st.DataObject) -> None:
    blob = bytearray(sealed(plain))
    pos = data.draw(st.integers(0, len(blob) - 1))
    blob[pos] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, bytes(blob), len(plain))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=4000), st.data())
def test_flipped_bit_inside_the_read_span_is_refused(plain: bytes, data: st.DataObject) -> None:
    blob = bytearray(sealed(plain))
    start = data.draw(st.integers(0, len(plain) - 1))
    end = data.draw(st.integers(start + 1, len(plain)))
    sp = crypto.span(len(plain), start, end, SMALL)
    pos = data.draw(st.integers(sp.c_start, sp.c_end - 1))
    blob[pos] ^= 0x80
    with pytest.raises(TamperedBlob):
        crypto.open_range(KEY, bytes(blob), len(plain), start, end)


def test_swapped_blocks_are_refused() -> None:
    plain = os.urandom(5000)
    blob, f = sealed(plain), frames(5000)
    (a0, an), (b0, bn) = f[0], f[1]
    swapped = blob[:a0] + blob[b0:b0 + bn] + blob[a0:a0 + an] + blob[b0 + bn:]
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, swapped, 5000)


@pytest.mark.parametrize("size", [1024, 3000, 4096])
def test_truncation_to_whole_blocks_is_refused(size: int) -> None:
    """Dropping trailing blocks and shrinking the recorded size to match still fails: the new
    last block was not sealed as final."""
    plain = os.urandom(size)
    blob, f = sealed(plain), frames(size)
    off, n = f[-2] if len(f) > 1 else f[-1]
    cut_size = (len(f) - 1) * 1024
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, blob[:off + n], cut_size)
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, blob[:-1], size)


def test_empty_object_has_one_final_block_and_cannot_be_faked() -> None:
    blob = sealed(b"")
    assert len(blob) == HEADER_SIZE + TAG
    assert crypto.open_all(KEY, blob, 0) == b""
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, blob[:HEADER_SIZE], 0)
    first_block_of_other = sealed(b"x" * 2048)[: HEADER_SIZE + 1024 + TAG]
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, first_block_of_other, 1024)


def test_block_spliced_from_another_blob_under_the_same_key_is_refused() -> None:
    """Parts of one multipart upload share a data key; their random prefixes keep them apart."""
    a = crypto.seal(KEY, b"a" * 2048, Header(SMALL, b"AAAAAAAA"))
    b = crypto.seal(KEY, b"b" * 2048, Header(SMALL, b"BBBBBBBB"))
    (off, n) = frames(2048)[0]
    spliced = a[:off] + b[off:off + n] + a[off + n:]
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, spliced, 2048)


def test_wrong_key_is_refused() -> None:
    with pytest.raises(TamperedBlob):
        crypto.open_all(bytes(32), sealed(b"secret"), 6)


@pytest.mark.parametrize("raw", [b"", b"XYZ" + bytes(13), b"RKE\x02" + bytes(12), b"RKE\x01\x05" + bytes(11),
                                 b"RKE\x01\x10\x00\x00\x01" + bytes(8)])
def test_bad_headers_are_refused(raw: bytes) -> None:
    with pytest.raises(TamperedBlob):
        Header.parse(raw)


def test_header_is_authenticated() -> None:
    blob = bytearray(sealed(b"hello"))
    blob[HEADER_SIZE - 1] ^= 1  # the nonce prefix
    with pytest.raises(TamperedBlob):
        crypto.open_all(KEY, bytes(blob), 5)


def test_default_block_is_64k_and_headers_are_random() -> None:
    h1, h2 = Header.new(), Header.new()
    assert h1.block == 65536 and h1.prefix != h2.prefix
    plain = os.urandom(200_000)
    blob = crypto.seal(KEY, plain)
    assert len(blob) == crypto.sealed_size(200_000) == HEADER_SIZE + 200_000 + 4 * TAG
    assert crypto.open_range(KEY, blob, 200_000, 65_000, 140_000) == plain[65_000:140_000]


def test_span_of_a_range_within_one_block_is_one_frame() -> None:
    sp = crypto.span(10_000, 1030, 1040, SMALL)
    assert (sp.first, sp.last) == (1, 1)
    assert sp.c_end - sp.c_start == 1024 + TAG


def _drawn_range(plain: bytes, data: st.DataObject) -> tuple[bytes, int, int, crypto.Cipher, int]:
    """A sealed blob of `plain`, a drawn plaintext range [start, end), its cipher and final block index."""
    blob = sealed(plain)
    start = data.draw(st.integers(0, max(0, len(plain) - 1)))
    end = data.draw(st.integers(min(start + 1, len(plain)), len(plain)))
    cipher = crypto.Cipher(KEY, Header.parse(blob[:HEADER_SIZE]))
    return blob, start, end, cipher, crypto.blocks_of(len(plain), 1 << SMALL) - 1


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=6000), st.integers(1, 4), st.data())
def test_segments_opened_independently_concatenate_to_the_range(plain: bytes, per: int, data: st.DataObject) -> None:
    """What a parallel GET does: each run of blocks read and opened on its own, joined in order."""
    blob, start, end, cipher, final = _drawn_range(plain, data)
    segs = crypto.segments(len(plain), start, end, SMALL, per)
    sp = crypto.span(len(plain), start, end, SMALL)
    assert (segs[0].c_start, segs[-1].c_end) == (sp.c_start, sp.c_end)
    out = b"".join(cipher.open_segment(blob[s.c_start:s.c_end], s, final) for s in segs)
    assert out == plain[start:end]
    with pytest.raises(TamperedBlob):  # a run opened with the wrong index (moved) fails
        cipher.open_segment(blob[segs[0].c_start:segs[0].c_end], dataclasses.replace(segs[0], first=segs[0].first + 1),
                            final)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=6000), st.integers(1, 4), st.data())
def test_segments_opened_into_given_buffers(plain: bytes, per: int, data: st.DataObject) -> None:
    """The pooled path of a GET: each run opened into a caller's buffer, whole runs directly."""
    blob, start, end, cipher, final = _drawn_range(plain, data)
    out = []
    for s in crypto.segments(len(plain), start, end, SMALL, per):
        buf = bytearray(b"?" * (s.hi - s.lo))
        assert cipher.open_segment(memoryview(blob)[s.c_start:s.c_end], s, final, buf) is buf
        out.append(bytes(buf))
    assert b"".join(out) == plain[start:end]


def test_opening_into_a_buffer_checks_its_size_and_every_tag() -> None:
    plain = os.urandom(5000)
    blob = bytearray(sealed(plain))
    cipher = crypto.Cipher(KEY, Header.parse(bytes(blob[:HEADER_SIZE])))
    seg = crypto.segments(len(plain), 0, len(plain), SMALL, 8)[0]
    with pytest.raises(ValueError):
        cipher.open_segment(blob[seg.c_start:seg.c_end], seg, 4, bytearray(seg.hi - seg.lo + 1))
    blob[HEADER_SIZE + 3 * (1024 + TAG) + 5] ^= 1  # the fourth block of the run
    with pytest.raises(TamperedBlob):
        cipher.open_segment(blob[seg.c_start:seg.c_end], seg, 4, bytearray(seg.hi - seg.lo))


@pytest.mark.parametrize("n", [0, 1, 1023, 1024, 1040, 1041, 5000, 1040 * 3])
def test_opened_size_inverts_the_framing(n: int) -> None:
    plain = os.urandom(n)
    body = sealed(plain)[HEADER_SIZE:]
    assert crypto.opened_size(len(body), 1 << SMALL) == n
