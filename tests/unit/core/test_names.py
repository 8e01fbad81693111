from __future__ import annotations

import pytest

from rucket.core.errors import InvalidBucketName, InvalidKey, KeyTooLong
from rucket.core.names import validate_bucket_name, validate_key


@pytest.mark.parametrize("name", ["abc", "my-bucket", "a.b.c", "1bucket", "a" * 63])
def test_valid_bucket_names(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize(("name", "rule"), [
    pytest.param("ab", "3 to 63 characters long, not 2", id="too-short"),
    pytest.param("a" * 64, "3 to 63 characters long, not 64", id="too-long"),
    pytest.param("Abc", "only lowercase letters", id="uppercase"),
    pytest.param("-abc", "begin and end with a letter or digit", id="leading-dash"),
    pytest.param("abc-", "begin and end with a letter or digit", id="trailing-dash"),
    pytest.param("a..b", "two adjacent periods", id="double-dot"),
    pytest.param("192.168.5.4", "IP address", id="ip"),
    pytest.param("a_b", "only lowercase letters", id="underscore"),
    pytest.param("xn--abc", "prefix 'xn--' is reserved", id="xn-prefix"),
    pytest.param("abc-s3alias", "suffix '-s3alias' is reserved", id="alias-suffix"),
    pytest.param("a.-b", "period must not be next to a hyphen", id="dot-dash"),
])
def test_invalid_bucket_names_say_which_rule_failed(name: str, rule: str) -> None:
    with pytest.raises(InvalidBucketName) as err:
        validate_bucket_name(name)
    assert str(err.value).startswith("The specified bucket is not valid: ") and rule in str(err.value)


def test_key_limits() -> None:
    assert validate_key("a" * 1024)
    assert validate_key("é" * 512)  # 1024 bytes
    with pytest.raises(KeyTooLong):
        validate_key("é" * 513)
    with pytest.raises(InvalidKey):
        validate_key("")
    with pytest.raises(InvalidKey):
        validate_key("\udcff")
