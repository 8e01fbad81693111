"""ListObjects v1/v2 through boto3: pagination, delimiters, encoding, ordering."""

from __future__ import annotations

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

KEYS = ["a/1", "a/2", "a/b/3", "b", "c/4", "c/5", "d", "é/6", "\U0001f600"]


@pytest.fixture
def filled(s3: BaseClient, bucket: str) -> str:
    for k in KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    return bucket


def byte_order(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def test_list_v2_all_keys_in_utf8_byte_order(s3: BaseClient, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled)
    assert [o["Key"] for o in out["Contents"]] == byte_order(KEYS)
    assert out["KeyCount"] == len(KEYS) and out["IsTruncated"] is False


def test_list_v2_delimiter_and_prefix(s3: BaseClient, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == byte_order(["b", "d", "\U0001f600"])
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == byte_order(["a/", "c/", "é/"])
    out = s3.list_objects_v2(Bucket=filled, Delimiter="/", Prefix="a/")
    assert [o["Key"] for o in out["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/b/"]


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
@pytest.mark.parametrize("delimiter", ["", "/"])
def test_list_v2_pagination_concatenates(s3: BaseClient, filled: str, page_size: int, delimiter: str) -> None:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=filled, Delimiter=delimiter,
                                                         PaginationConfig={"PageSize": page_size})
    seen: list[str] = []
    for page in pages:
        items = [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert len(items) <= page_size
        seen += items
    full = s3.list_objects_v2(Bucket=filled, Delimiter=delimiter)
    expected = [o["Key"] for o in full.get("Contents", [])] + [p["Prefix"] for p in full.get("CommonPrefixes", [])]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_list_v1_pagination_with_markers(s3: BaseClient, filled: str, delimiter: str) -> None:
    pages = s3.get_paginator("list_objects").paginate(Bucket=filled, Delimiter=delimiter,
                                                      PaginationConfig={"PageSize": 2})
    seen = []
    for page in pages:
        seen += [o["Key"] for o in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert len(seen) == len(set(seen))
    assert set(seen) == ({*KEYS} if not delimiter else {"a/", "b", "c/", "d", "é/", "\U0001f600"})


def test_list_start_after_and_max_keys(s3: BaseClient, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, StartAfter="c/4", MaxKeys=2)
    assert [o["Key"] for o in out["Contents"]] == ["c/5", "d"]
    assert out["IsTruncated"] is True and out["StartAfter"] == "c/4"
    out = s3.list_objects(Bucket=filled, Marker="c/5")
    assert out["Contents"][0]["Key"] == "d"


def test_list_encoding_type_url(s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="sp ace+plus&amp", Body=b"x")
    out = s3.list_objects_v2(Bucket=bucket, EncodingType="url")
    # botocore decodes keys only when it set EncodingType itself; here the caller did, so we see the wire form
    assert [o["Key"] for o in out["Contents"]] == ["sp%20ace%2Bplus%26amp"]


def test_list_fetch_owner(s3: BaseClient, filled: str) -> None:
    assert "Owner" not in s3.list_objects_v2(Bucket=filled)["Contents"][0]
    owner = s3.list_objects_v2(Bucket=filled, FetchOwner=True)["Contents"][0]["Owner"]
    assert owner["ID"] == "rucketadmin"
    assert "Owner" in s3.list_objects(Bucket=filled)["Contents"][0]


def test_list_bad_continuation_token(s3: BaseClient, filled: str) -> None:
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=filled, ContinuationToken="!!!not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_list_max_keys_zero(s3: BaseClient, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert out["KeyCount"] == 0 and out["IsTruncated"] is False


def test_list_v2_empty_continuation_token_is_first_page(s3: BaseClient, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, ContinuationToken="")
    assert out["ContinuationToken"] == "" and len(out["Contents"]) == len(KEYS)


@pytest.mark.parametrize("op", ["ListObjects", "ListObjectsV2"])
def test_allow_unordered_lists_every_key_and_refuses_a_delimiter(s3: BaseClient, filled: str, op: str) -> None:
    """Ceph's `allow-unordered=true`: any order is allowed (ours stays sorted); with a delimiter, 400."""
    def unordered(params, **_):  # type: ignore[no-untyped-def]
        params["url"] += ("&" if "?" in params["url"] else "?") + "allow-unordered=true"
    s3.meta.events.register(f"before-call.s3.{op}", unordered)
    try:
        call = s3.list_objects if op == "ListObjects" else s3.list_objects_v2
        assert sorted(o["Key"] for o in call(Bucket=filled)["Contents"]) == sorted(KEYS)
        with pytest.raises(ClientError) as exc:
            call(Bucket=filled, Delimiter="/")
        assert exc.value.response["Error"]["Code"] == "InvalidArgument"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        s3.meta.events.unregister(f"before-call.s3.{op}", unordered)
