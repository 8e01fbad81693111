"""Object Lock across a migration: the bucket must be created with it (S3 cannot turn it on later
for an existing bucket here), each version keeps its retention and legal hold, and the bucket's
default retention is set only after the copy (set before, it would lock every copied version
from the copy's date instead of its own)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rucket.migrate.report import Report, code_of

Client = Any
NONE_CODES = frozenset({"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration",
                        "InvalidRequest"})  # InvalidRequest: "bucket is missing Object Lock configuration"


def source_lock(src: Client, bucket: str, report: Report) -> dict[str, Any] | None:
    """The source bucket's ObjectLockConfiguration, or None when it has none (or refused: reported)."""
    try:
        conf: dict[str, Any] = src.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except Exception as exc:
        if code_of(exc) not in NONE_CODES:
            report.fail(f"{bucket}: object lock", "source GetObjectLockConfiguration", exc)
        return None
    return conf if conf.get("ObjectLockEnabled") == "Enabled" else None


def set_default_retention(dst: Client, bucket: str, conf: dict[str, Any], report: Report) -> None:
    if "Rule" not in conf:
        return
    try:
        dst.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=conf)
    except Exception as exc:
        report.fail(f"{bucket}: object lock", "destination PutObjectLockConfiguration", exc)
        return
    report.tally(bucket).configs.append("object lock default retention copied")


def version_args(src: Client, bucket: str, key: str, version: dict[str, str], label: str, report: Report,
                 now: Callable[[], dt.datetime]) -> dict[str, Any]:
    """PutObject arguments that give the copy the source version's retention and legal hold.
    A retention already over is not copied (S3 refuses a retain-until date in the past)."""
    args: dict[str, Any] = {}
    try:
        retention = src.get_object_retention(Bucket=bucket, Key=key, **version).get("Retention", {})
        if retention.get("RetainUntilDate") and retention["RetainUntilDate"] > now():
            args["ObjectLockMode"] = retention["Mode"]
            args["ObjectLockRetainUntilDate"] = retention["RetainUntilDate"]
    except Exception as exc:
        if code_of(exc) not in NONE_CODES:
            report.fail(label, "source GetObjectRetention (copied without retention)", exc)
    try:
        hold = src.get_object_legal_hold(Bucket=bucket, Key=key, **version).get("LegalHold", {})
        if hold.get("Status") == "ON":
            args["ObjectLockLegalHoldStatus"] = "ON"
    except Exception as exc:
        if code_of(exc) not in NONE_CODES:
            report.fail(label, "source GetObjectLegalHold (copied without legal hold)", exc)
    return args
