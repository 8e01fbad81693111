from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rucket.core.errors import InvalidRange
from rucket.s3.request import parse_range


@pytest.mark.parametrize(("header", "size", "expected"), [
    pytest.param("bytes=0-9", 100, (0, 10), id="first-ten"),
    pytest.param("bytes=10-", 100, (10, 100), id="open-end"),
    pytest.param("bytes=-10", 100, (90, 100), id="suffix"),
    pytest.param("bytes=-1000", 100, (0, 100), id="suffix-larger-than-object"),
    pytest.param("bytes=90-1000", 100, (90, 100), id="end-past-size-clamped"),
    pytest.param("bytes=0-1,5-6", 100, None, id="multi-range-whole-object"),
    pytest.param("items=0-1", 100, None, id="other-unit-ignored"),
    pytest.param("bytes=5-1", 100, None, id="inverted-ignored"),
    pytest.param(None, 100, None, id="absent"),
])
def test_parse_range_examples(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=100-", 100), ("bytes=100-200", 100), ("bytes=-0", 100),
                                              ("bytes=0-", 0), ("bytes=-5", 0)])
def test_parse_range_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(InvalidRange):
        parse_range(header, size)


BOUND = st.one_of(st.none(), st.integers(0, 4_000))


@given(st.integers(0, 3_000), BOUND, BOUND)
def test_parse_range_selects_exactly_the_bytes_rfc9110_names(size: int, a: int | None, b: int | None) -> None:
    """Oracle: RFC 9110 §14.1.2 says which byte positions `bytes=a-b` names, position by position;
    the parsed [start, end) must cover exactly those, an empty selection is 416, and a spec that
    is not a byte range (`bytes=-`, a > b) means the whole object."""
    header = f"bytes={'' if a is None else a}-{'' if b is None else b}"
    if (a is None and b is None) or (a is not None and b is not None and a > b):
        assert parse_range(header, size) is None
        return

    def named(i: int) -> bool:
        if a is None:
            return i >= size - (b or 0)  # suffix: the last b bytes
        return a <= i and (b is None or i <= b)

    expected = [i for i in range(size) if named(i)]
    if not expected:
        with pytest.raises(InvalidRange):
            parse_range(header, size)
        return
    rng = parse_range(header, size)
    assert rng is not None and list(range(*rng)) == expected
