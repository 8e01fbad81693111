from __future__ import annotations

import pytest

from rucket.core.errors import InvalidBucketName, InvalidKey, KeyTooLong
from rucket.core.names import validate_bucket_name, validate_key


@pytest.mark.parametrize("name", ["abc", "my-bucket", "a.b.c", "1bucket", "a" * 63])
def test_valid_bucket_names(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize("name", [
    pytest.param("ab", id="too-short"), pytest.param("a" * 64, id="too-long"),
    pytest.param("Abc", id="uppercase"), pytest.param("-abc", id="leading-dash"),
    pytest.param("abc-", id="trailing-dash"), pytest.param("a..b", id="double-dot"),
    pytest.param("192.168.5.4", id="ip"), pytest.param("a_b", id="underscore"),
    pytest.param("xn--abc", id="xn-prefix"), pytest.param("abc-s3alias", id="alias-suffix"),
    pytest.param("a.-b", id="dot-dash"),
])
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(InvalidBucketName):
        validate_bucket_name(name)


def test_key_limits() -> None:
    assert validate_key("a" * 1024)
    assert validate_key("é" * 512)  # 1024 bytes
    with pytest.raises(KeyTooLong):
        validate_key("é" * 513)
    with pytest.raises(InvalidKey):
        validate_key("")
    with pytest.raises(InvalidKey):
        validate_key("\udcff")
