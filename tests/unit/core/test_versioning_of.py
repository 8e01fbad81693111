"""Bucket.versioning_of: MinIO's ExcludedPrefixes / ExcludeFolders make keys of an Enabled bucket "Suspended"."""

from __future__ import annotations

import pytest

from rucket.core.model import VERSIONING_EXCLUSIONS, Bucket


def _bucket(versioning: str, prefixes: list[str], folders: bool = False) -> Bucket:
    return Bucket("b", "owner", 0, "us-east-1", versioning,
                  config={VERSIONING_EXCLUSIONS: {"prefixes": prefixes, "folders": folders}})


@pytest.mark.parametrize(("versioning", "prefixes", "folders", "key", "state"), [
    pytest.param("Enabled", ["_tmp/"], False, "_tmp/a", "Suspended", id="under-prefix"),
    pytest.param("Enabled", ["_tmp/"], False, "_tmpx", "Enabled", id="not-under-prefix"),
    pytest.param("Enabled", ["a*/b"], False, "a/x/b/c", "Suspended", id="star-wildcard"),
    pytest.param("Enabled", ["a?"], False, "ab", "Enabled", id="question-mark-literal"),
    pytest.param("Enabled", ["a?"], False, "a?c", "Suspended", id="question-mark-matches-itself"),
    pytest.param("Enabled", [], True, "dir/", "Suspended", id="folder"),
    pytest.param("Enabled", [], True, "dir/file", "Enabled", id="file-in-folder"),
    pytest.param("Suspended", [], True, "dir/", "Suspended", id="suspended-bucket"),
    pytest.param("", ["x"], False, "x", "", id="unversioned-bucket"),
])
def test_versioning_of(versioning: str, prefixes: list[str], folders: bool, key: str, state: str) -> None:
    assert _bucket(versioning, prefixes, folders).versioning_of(key) == state


def test_versioning_of_without_extensions_is_the_bucket_state() -> None:
    assert Bucket("b", "o", 0, "us-east-1", "Enabled").versioning_of("any/") == "Enabled"
