"""Bucket configuration sub-resources kept in `bucket.config`, each validated before it is stored.

One table names every sub-resource and the check it must pass; handlers parse the XML into
the value and call `put`. `get` answers None for a sub-resource never set, and the handler
turns that into the AWS "not configured" error of that sub-resource. Each change is one
`Buckets.update` transaction, which appends a BucketConfigChanged event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rucket.core.model import Bucket, ObjectVersion
from rucket.engine import cors, lifecycle_rules
from rucket.engine.buckets import Buckets
from rucket.engine.tagging import Tagging

CORS, LIFECYCLE, TAGGING = "cors", "lifecycle", "tagging"
PUBLIC_ACCESS_BLOCK, OWNERSHIP, ENCRYPTION = "public_access_block", "ownership", "encryption"
NOTIFICATION, REQUEST_PAYMENT = "notification", "request_payment"


def _as_is(value: Any) -> Any:
    return value


VALIDATORS: Mapping[str, Callable[[Any], Any]] = {
    CORS: cors.validate,  # list[CorsRule] -> stored JSON
    LIFECYCLE: lifecycle_rules.validate,  # list[Rule] -> stored JSON (ids filled in)
    TAGGING: Tagging.validate_bucket,  # list[(key, value)], at most 50
    PUBLIC_ACCESS_BLOCK: _as_is,  # {"BlockPublicAcls": bool, ...}; enforced by s3/policy.py
    OWNERSHIP: _as_is,  # "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter"
    ENCRYPTION: _as_is,  # {"algorithm": "AES256", "bucket_key": bool}; applied by SSE-S3
    NOTIFICATION: _as_is,  # only an empty configuration (no targets) is accepted
    REQUEST_PAYMENT: _as_is,  # "BucketOwner"
}


class BucketConfig:
    def __init__(self, buckets: Buckets) -> None:
        self.buckets = buckets

    def get(self, bucket: str, name: str) -> Any | None:
        return self.buckets.get(bucket).config.get(name)

    async def put(self, bucket: str, name: str, value: Any) -> None:
        stored = VALIDATORS[name](value)
        await self.buckets.update(bucket, config={name: stored})

    async def delete(self, bucket: str, name: str) -> None:
        """Deleting what is not there is a no-op (S3 answers 204 either way)."""
        if self.get(bucket, name) is not None:
            await self.buckets.update(bucket, config={name: None})

    def cors_rules(self, bucket: str) -> list[cors.CorsRule]:
        return cors.rules_of(self.buckets.get(bucket).config)

    def lifecycle_rules(self, bucket: str) -> list[lifecycle_rules.Rule]:
        return lifecycle_rules.rules_of(self.buckets.get(bucket).config)

    def expiration(self, v: ObjectVersion, tags: Sequence[tuple[str, str]],
                   known: Bucket | None = None) -> tuple[int, str] | None:
        """When the bucket's lifecycle rules will expire current version `v`, and by which rule
        (`known`: the bucket record, when the caller has it)."""
        config = (known if known is not None and known.name == v.bucket else self.buckets.get(v.bucket)).config
        if not config.get(LIFECYCLE) or v.delete_marker:
            return None
        day_ms = self.buckets.s.lifecycle_day_ms
        return lifecycle_rules.expiration_of(lifecycle_rules.rules_of(config), v, tags, day_ms)
