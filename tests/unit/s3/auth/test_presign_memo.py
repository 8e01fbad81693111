"""The presigned-URL memo: an identical URL skips the HMAC, never the checks that can change."""

from __future__ import annotations

import pytest
from tests.unit.s3.auth.auth_helpers import AK, DOC_NOW_MS, REGION, SK
from tests.unit.s3.auth.test_presign import doc_query, presigned

from rucket.s3 import errors
from rucket.s3.auth import authenticate, presign


@pytest.fixture(autouse=True)
def fresh_memo(monkeypatch: pytest.MonkeyPatch) -> presign._Memo:
    memo = presign._Memo(limit=4)
    monkeypatch.setattr(presign, "MEMO", memo)
    return memo


def test_second_identical_url_is_a_memo_hit(fresh_memo: presign._Memo) -> None:
    calls: list[str] = []

    def counting(access_key: str) -> str | None:
        calls.append(access_key)
        return SK if access_key == AK else None

    first = authenticate(presigned(doc_query()), counting, REGION)
    assert len(fresh_memo.entries) == 1
    second = authenticate(presigned(doc_query()), counting, REGION)
    assert second == first and second.access_key == AK


def test_remembered_url_still_expires() -> None:
    authenticate(presigned(doc_query()), lambda ak: SK, REGION)
    with pytest.raises(errors.AccessDenied) as info:
        authenticate(presigned(doc_query(), DOC_NOW_MS + 86_401_000), lambda ak: SK, REGION)
    assert info.value.message == "Request has expired"


def test_remembered_url_fails_once_the_secret_changes() -> None:
    authenticate(presigned(doc_query()), lambda ak: SK, REGION)
    with pytest.raises(errors.SignatureDoesNotMatch):
        authenticate(presigned(doc_query()), lambda ak: SK + "rotated", REGION)
    with pytest.raises(errors.InvalidAccessKeyId):
        authenticate(presigned(doc_query()), lambda ak: None, REGION)


def test_remembered_url_refuses_an_added_unsigned_amz_header() -> None:
    authenticate(presigned(doc_query()), lambda ak: SK, REGION)
    with pytest.raises(errors.AccessDenied) as info:
        authenticate(presigned(doc_query(), headers={"x-amz-acl": "public-read"}), lambda ak: SK, REGION)
    assert info.value.extra.get("HeadersNotSigned") == "x-amz-acl"


def test_another_host_is_not_a_hit() -> None:
    authenticate(presigned(doc_query()), lambda ak: SK, REGION)
    with pytest.raises(errors.SignatureDoesNotMatch):
        authenticate(presigned(doc_query(), headers={"host": "evil.example.com"}), lambda ak: SK, REGION)


def test_memo_is_bounded(fresh_memo: presign._Memo) -> None:
    for seconds in range(10):  # distinct URLs (X-Amz-Expires differs), each one fails its signature
        with pytest.raises(errors.SignatureDoesNotMatch):
            authenticate(presigned(doc_query(**{"X-Amz-Expires": str(1000 + seconds)})), lambda ak: SK, REGION)
    assert len(fresh_memo.entries) == 0  # failures are never remembered
    authenticate(presigned(doc_query()), lambda ak: SK, REGION)
    assert len(fresh_memo.entries) <= fresh_memo.limit
