"""Integer-only logarithm for straw2, the way Ceph's CRUSH does it (`crush_ln`, two lookup tables).

Why integers: every node computes the placement table on its own, and two nodes that disagree about
which nodes hold a PG would write copies nobody reads. Floating-point `log` may differ in the last bit
between libm builds and CPUs; integer arithmetic cannot. So the tables below are *generated* at import
with big-integer fixed-point arithmetic (no float anywhere) and `crush_ln` only adds, multiplies and
shifts. The layout follows Ceph's `crush_ln_table.h`:

- `RH[k]` ≈ 2^55 / k for k in 128..256 (a reciprocal, so the lookup needs no division),
- `LH[k]` ≈ 2^48 · log2(k / 128),
- `LL[i]` ≈ 2^48 · log2(1 + i / 2^15) for i in 0..255 (the residual after dividing by k / 128).

Ceph's shipped table has a few hand-edited entries near its end; ours is exact by construction, so the
two agree to within rounding on the regular entries (tests/unit/placement/test_crush_ln.py checks some).
"""

from __future__ import annotations

_PRECISION = 128  # working fraction bits of the generator: far more than the 48 kept
_GUARD = 8  # extra result bits, rounded off at the end


def log2_fixed(num: int, den: int, bits: int) -> int:
    """round(2^bits · log2(num/den)) for 1 ≤ num/den ≤ 2, by repeated squaring (one result bit per step).

    y in [1, 2): y² ≥ 2 means the next binary digit of log2(y) is 1 (then halve y). Truncation at
    `_PRECISION` bits is amplified at most 2^(bits+guard) times, still far below one unit of the result.
    """
    if not den <= num <= 2 * den:
        raise ValueError("log2_fixed needs 1 <= num/den <= 2")
    if num == 2 * den:
        return 1 << bits
    y, two, result = (num << _PRECISION) // den, 2 << _PRECISION, 0
    for _ in range(bits + _GUARD):
        y = (y * y) >> _PRECISION
        result <<= 1
        if y >= two:
            y >>= 1
            result |= 1
    return (result + (1 << (_GUARD - 1))) >> _GUARD


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


RH: tuple[int, ...] = tuple(_ceil_div(1 << 55, k) for k in range(128, 257))
LH: tuple[int, ...] = tuple(log2_fixed(k, 128, 48) for k in range(128, 257))
LL: tuple[int, ...] = tuple(log2_fixed((1 << 15) + i, 1 << 15, 48) for i in range(256))

LN_ONE = 1 << 48  # crush_ln(0xffff) = 2^44 · log2(0x10000) = 2^48


def crush_ln(xin: int) -> int:
    """2^44 · log2(xin + 1) for xin in [0, 0xffff], integers only (Ceph's crush_ln).

    Normalise x = xin + 1 into [2^15, 2^16] remembering the exponent, split it as (k/128) · (1 + f)
    with k = x >> 8, and add the two table logarithms.
    """
    if not 0 <= xin <= 0xFFFF:
        raise ValueError("crush_ln takes a 16-bit input")
    x = xin + 1
    shift = max(0, 16 - x.bit_length())  # leading zeros of the 17-bit window
    x <<= shift
    exponent = 15 - shift
    k = x >> 8  # 128..256
    residual = ((x * RH[k - 128]) >> 48) & 0xFF  # x / (k/128) ≈ 2^15 + residual
    frac = (LH[k - 128] + LL[residual]) >> (48 - 12 - 32)
    return (exponent << 44) + frac
