"""Stripe layout arithmetic and the framed stripe codec."""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rucket.core.errors import CorruptBlob
from rucket.erasure.codec import (
    CHECKSUM_BYTES,
    StripeLayout,
    decode_stripe,
    encode_stripe,
    fragment_size,
    frame,
    unframe,
)


def test_pyeclib_wheel_bundles_isa_l() -> None:
    """The isa_l backend must come from the wheel itself (no system liberasurecode/ISA-L needed)."""
    import pyeclib

    libs = os.listdir(os.path.join(os.path.dirname(pyeclib.__file__), os.pardir, "pyeclib.libs"))
    assert any(name.startswith("libisal") for name in libs)
    assert len(encode_stripe(8, 4, b"x" * 4096)) == 12


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 50 << 20), st.sampled_from([4096, 65536, 1 << 20]), st.data())
def test_stripes_for_covers_exactly_the_range(size: int, stripe: int, data: st.DataObject) -> None:
    layout = StripeLayout(8, 4, size, stripe)
    start = data.draw(st.integers(0, size - 1))
    end = data.draw(st.integers(start + 1, size))
    needed = layout.stripes_for(start, end)
    assert needed.start * stripe <= start and end <= min(size, needed.stop * stripe)
    assert (needed.start + 1) * stripe > start and (needed.stop - 1) * stripe < end  # none wasted
    assert sum(layout.stripe_len(s) for s in range(layout.stripes)) == size


def test_frame_offsets_tile_each_shard() -> None:
    layout = StripeLayout(8, 4, 5 * (1 << 20) + 123)
    offsets = [layout.frame_offset(s) for s in range(layout.stripes)]
    for a, b in itertools.pairwise(range(layout.stripes)):
        assert offsets[b] - offsets[a] == layout.frame_len(a)
    assert layout.shard_len() == offsets[-1] + layout.frame_len(layout.stripes - 1)
    assert layout.frame_len(0) == fragment_size(8, 4, 1 << 20) + CHECKSUM_BYTES
    with pytest.raises(ValueError):
        layout.stripes_for(0, layout.size + 1)
    with pytest.raises(ValueError):
        StripeLayout(8, 4, 0)


@pytest.mark.parametrize(("k", "m"), [(8, 4), (6, 3), (4, 2), (2, 2)])
def test_any_k_fragments_decode(k: int, m: int) -> None:
    data = os.urandom(100_003)
    frames = encode_stripe(k, m, data)
    fragments = [unframe(f) for f in frames]
    for lost in itertools.combinations(range(k + m), m):
        kept = {i: fragments[i] for i in range(k + m) if i not in lost}
        assert decode_stripe(k, m, kept) == data


def test_too_few_fragments_or_rot_is_corrupt() -> None:
    frames = encode_stripe(8, 4, b"abc" * 1000)
    with pytest.raises(CorruptBlob):
        decode_stripe(8, 4, {i: unframe(frames[i]) for i in range(7)})
    rotten = bytearray(frames[3])
    rotten[100] ^= 1
    with pytest.raises(CorruptBlob):
        unframe(bytes(rotten))
    with pytest.raises(CorruptBlob):
        unframe(b"short")
    assert unframe(frame(b"payload")) == b"payload"


def test_allocator_tuning_applies_on_glibc() -> None:
    import subprocess
    import sys

    code = "from rucket.erasure.codec import tune_allocator; print(tune_allocator())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"  # in a child: the test process keeps its own allocator settings
