"""Lifecycle rules: the model, AWS's validation, filters and due-time arithmetic (pure).

A rule keeps the shape it was sent in (legacy top-level `<Prefix>` or `<Filter>`, an
`<And>` or a single predicate) so GetBucketLifecycleConfiguration returns what was put.
Transitions are refused when the document is parsed: this store has one storage class.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from rucket.core import errors
from rucket.core.model import ObjectVersion
from rucket.engine.tagging import validate_tags

DAY_MS = 86_400_000
MAX_RULES = 1000
MAX_ID_CHARS = 255
MAX_NEWER_NONCURRENT = 100
ENABLED, DISABLED = "Enabled", "Disabled"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.]+([+-]\d{2}:\d{2})?)?$")  # extended format only


@dataclass(frozen=True)
class Filter:
    prefix: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    size_gt: int | None = None
    size_lt: int | None = None
    use_and: bool = False  # the predicates were sent inside <And>

    def matches(self, key: str, size: int, tags: Sequence[tuple[str, str]]) -> bool:
        if self.prefix and not key.startswith(self.prefix):
            return False
        if self.size_gt is not None and not size > self.size_gt:
            return False
        if self.size_lt is not None and not size < self.size_lt:
            return False
        return set(self.tags) <= set(tags)


@dataclass(frozen=True)
class Rule:
    id: str
    status: str
    prefix: str | None = None  # legacy <Prefix> directly under <Rule>
    filter: Filter | None = None  # None: no <Filter> element
    expiration_days: int | None = None
    expiration_date: str | None = None  # ISO 8601, midnight UTC
    expired_object_delete_marker: bool | None = None
    noncurrent_days: int | None = None
    newer_noncurrent: int | None = None
    abort_days: int | None = None

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED

    @property
    def effective(self) -> Filter:
        return self.filter or Filter(prefix=self.prefix)

    @property
    def uses_tags(self) -> bool:
        return bool(self.effective.tags)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Rule:
        f = d.get("filter")
        flt = None if f is None else Filter(f.get("prefix"), tuple((k, v) for k, v in f.get("tags", ())),
                                            f.get("size_gt"), f.get("size_lt"), f.get("use_and", False))
        return cls(**{**d, "filter": flt})


def parse_date_ms(value: str) -> int:
    """`2017-09-27`, `2017-09-27T00:00:00Z` or `...T00:00:00.000Z`; must be midnight UTC."""
    text = value.strip().replace("Z", "+00:00")
    if not _ISO_DATE.match(text):
        raise errors.InvalidArgument("'Date' must be in ISO 8601 format")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise errors.InvalidArgument("'Date' must be in ISO 8601 format") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0) or when.utcoffset():
        raise errors.InvalidArgument("'Date' must be at midnight GMT")
    return int(when.timestamp() * 1000)


def due_ms(start_ms: int, days: int, day_ms: int = DAY_MS) -> int:
    """AWS: creation time + days, rounded up to the next midnight UTC (a day boundary). A shortened
    day (`lifecycle_time_scale`) counts from the creation time itself, as Ceph's
    `rgw_lc_debug_interval` does: rounding to a 10-second "midnight" would only add jitter."""
    if day_ms != DAY_MS:
        return start_ms + days * day_ms
    return -(-(start_ms + days * day_ms) // day_ms) * day_ms


def validate(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """AWS's checks on a whole configuration; returns the stored JSON (missing ids filled in)."""
    if not rules or len(rules) > MAX_RULES:
        raise errors.InvalidArgument(f"A lifecycle configuration holds 1 to {MAX_RULES} rules")
    out: list[Rule] = []
    seen: set[str] = set()
    for rule in rules:
        rule = rule if rule.id else replace(rule, id=secrets.token_hex(16))
        if len(rule.id) > MAX_ID_CHARS:
            raise errors.InvalidArgument("ID length should not exceed allowed limit of 255")
        if rule.id in seen:
            raise errors.InvalidArgument("Rule ID must be unique. Found same ID for more than one rule")
        seen.add(rule.id)
        _check_rule(rule)
        out.append(rule)
    return [r.to_json() for r in out]


def _check_rule(r: Rule) -> None:
    actions = (r.expiration_days, r.expiration_date, r.expired_object_delete_marker, r.noncurrent_days,
               r.newer_noncurrent, r.abort_days)
    if all(a is None for a in actions):
        raise errors.InvalidRequest("At least one action needs to be specified in a rule")
    for value, name in ((r.expiration_days, "Days"), (r.noncurrent_days, "NoncurrentDays"),
                        (r.abort_days, "DaysAfterInitiation")):
        if value is not None and value <= 0:
            raise errors.InvalidArgument(f"'{name}' must be a positive integer")
    if r.expiration_date is not None:
        parse_date_ms(r.expiration_date)
    if r.newer_noncurrent is not None and not 1 <= r.newer_noncurrent <= MAX_NEWER_NONCURRENT:
        raise errors.InvalidArgument("'NewerNoncurrentVersions' must be between 1 and 100")
    if r.newer_noncurrent is not None and r.noncurrent_days is None:
        raise errors.InvalidArgument("'NewerNoncurrentVersions' needs 'NoncurrentDays'")
    f = r.effective
    validate_tags(f.tags, limit=MAX_RULES)
    if f.tags and (r.expired_object_delete_marker or r.abort_days is not None):
        raise errors.InvalidRequest("Tag-based filters cannot be used with ExpiredObjectDeleteMarker "
                                    "or AbortIncompleteMultipartUpload")
    for size in (f.size_gt, f.size_lt):
        if size is not None and size < 0:
            raise errors.InvalidArgument("Object size filters must not be negative")
    if f.size_gt is not None and f.size_lt is not None and f.size_gt >= f.size_lt:
        raise errors.InvalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan")


def expiration_of(rules: Sequence[Rule], v: ObjectVersion, tags: Sequence[tuple[str, str]],
                  day_ms: int = DAY_MS) -> tuple[int, str] | None:
    """(when, rule id) of the earliest Expiration that applies to current version `v`: what S3
    reports in `x-amz-expiration` on PUT, GET and HEAD."""
    due: list[tuple[int, str]] = []
    for r in rules:
        if not r.enabled or not r.effective.matches(v.key, v.size, tags):
            continue
        if r.expiration_days is not None:
            due.append((due_ms(v.mtime_ms, r.expiration_days, day_ms), r.id))
        elif r.expiration_date is not None:
            due.append((parse_date_ms(r.expiration_date), r.id))
    return min(due) if due else None


def rules_of(config: dict[str, Any]) -> list[Rule]:
    return [Rule.from_json(d) for d in config.get("lifecycle") or ()]
