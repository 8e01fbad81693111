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


BOUND = st.one_of(st.none(), st.integers(0, 20_000))


@given(st.integers(0, 10_000), BOUND, BOUND)
def test_parse_range_result_is_within_object(size: int, a: int | None, b: int | None) -> None:
    header = f"bytes={'' if a is None else a}-{'' if b is None else b}"
    try:
        rng = parse_range(header, size)
    except InvalidRange:
        return
    if rng is not None:
        start, end = rng
        assert 0 <= start < end <= size
        blob = bytes(range(256)) * (size // 256 + 1)
        assert len(blob[start:end]) == end - start > 0
