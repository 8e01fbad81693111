"""Lifecycle configuration validation (AWS's documented errors) and the stored form."""

from __future__ import annotations

import pytest

from rucket.core import errors
from rucket.core.model import ObjectVersion
from rucket.engine.lifecycle_rules import DAY_MS, Filter, Rule, expiration_of, parse_date_ms, rules_of, validate


def rule(**kw: object) -> Rule:
    return Rule(id=str(kw.pop("id", "r")), status="Enabled", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rules", "error"), [
    pytest.param([rule(id="x" * 256, expiration_days=1)], errors.InvalidArgument, id="id-too-long"),
    pytest.param([rule(expiration_days=1), rule(expiration_days=2)], errors.InvalidArgument, id="same-id"),
    pytest.param([rule(expiration_days=0)], errors.InvalidArgument, id="zero-days"),
    pytest.param([rule(noncurrent_days=-1)], errors.InvalidArgument, id="negative-noncurrent-days"),
    pytest.param([rule(abort_days=0)], errors.InvalidArgument, id="zero-abort-days"),
    pytest.param([rule(expiration_date="2024-01-01T12:00:00Z")], errors.InvalidArgument, id="date-not-midnight"),
    pytest.param([rule(expiration_date="20240101")], errors.InvalidArgument, id="date-not-iso"),
    pytest.param([rule(noncurrent_days=1, newer_noncurrent=101)], errors.InvalidArgument, id="newer-too-many"),
    pytest.param([rule()], errors.InvalidRequest, id="no-action"),
    pytest.param([rule(id=str(i), expiration_days=1) for i in range(1001)], errors.InvalidArgument, id="too-many"),
    pytest.param([rule(filter=Filter(tags=(("a", "1"),)), expired_object_delete_marker=True)], errors.InvalidRequest,
                 id="marker-with-tag-filter"),
    pytest.param([rule(filter=Filter(size_gt=10, size_lt=5, use_and=True), expiration_days=1)],
                 errors.InvalidArgument, id="empty-size-range"),
    pytest.param([rule(filter=Filter(tags=(("a", "1"), ("a", "2")), use_and=True), expiration_days=1)],
                 errors.InvalidTag, id="duplicate-tag-keys"),
])
def test_invalid_configurations(rules: list[Rule], error: type[Exception]) -> None:
    with pytest.raises(error):
        validate(rules)


def test_missing_ids_are_generated_and_the_shape_is_kept() -> None:
    given = [Rule(id="", status="Enabled", prefix="logs/", expiration_days=3),
             Rule(id="b", status="Disabled", filter=Filter(prefix="x", tags=(("k", "v"),), use_and=True),
                  noncurrent_days=2, newer_noncurrent=1)]
    stored = rules_of({"lifecycle": validate(given)})
    assert stored[0].id and stored[0].prefix == "logs/" and stored[0].filter is None
    assert stored[1] == given[1]


@pytest.mark.parametrize("text", ["2017-09-27", "2017-09-27T00:00:00Z", "2017-09-27T00:00:00.000Z"])
def test_dates_at_midnight_utc(text: str) -> None:
    assert parse_date_ms(text) == 1506470400000


def test_expiration_of_reports_the_earliest_applicable_rule() -> None:
    v = ObjectVersion(bucket="b", key="logs/a", version_id="null", row_id=1, size=5, etag='"e"', mtime_ms=DAY_MS + 1,
                      hlc=0, owner="o")
    rules = [rule(id="late", expiration_days=30), rule(id="early", filter=Filter(prefix="logs/"), expiration_days=3),
             Rule(id="off", status="Disabled", expiration_days=1),
             rule(id="tagged", filter=Filter(tags=(("t", "1"),)), expiration_days=1)]
    assert expiration_of(rules, v, []) == (5 * DAY_MS, "early")
    assert expiration_of(rules, v, [("t", "1")]) == (3 * DAY_MS, "tagged")
    assert expiration_of([rule(noncurrent_days=1)], v, []) is None
