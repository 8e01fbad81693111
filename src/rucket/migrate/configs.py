"""Bucket configuration, one table row per kind: how to read it at the source, how to write it here.

Read and written after the objects (a Deny policy or an expiring lifecycle rule must not act on
the copy while it is being made); versioning is the exception and is set first, so versions
arrive as versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rucket.migrate.report import Report, code_of

Client = Any  # a boto3 S3 client (boto3 ships no type hints)


@dataclass(frozen=True)
class Kind:
    name: str
    get_op: str  # the S3 operation name, for the report
    put_op: str
    absent: frozenset[str]  # error codes that mean "the source has none"
    read: Callable[[Client, str], Any]
    write: Callable[[Client, str, Any], None]


def _policy_write(c: Client, b: str, v: Any) -> None:
    c.put_bucket_policy(Bucket=b, Policy=v)


def _lifecycle_write(c: Client, b: str, v: Any) -> None:
    c.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": v})


def _cors_write(c: Client, b: str, v: Any) -> None:
    c.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": v})


def _tagging_write(c: Client, b: str, v: Any) -> None:
    c.put_bucket_tagging(Bucket=b, Tagging={"TagSet": v})


def _encryption_write(c: Client, b: str, v: Any) -> None:
    c.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration=v)


KINDS: tuple[Kind, ...] = (
    Kind("policy", "GetBucketPolicy", "PutBucketPolicy", frozenset({"NoSuchBucketPolicy"}),
         lambda c, b: c.get_bucket_policy(Bucket=b)["Policy"], _policy_write),
    Kind("lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
         frozenset({"NoSuchLifecycleConfiguration"}),
         lambda c, b: c.get_bucket_lifecycle_configuration(Bucket=b)["Rules"], _lifecycle_write),
    Kind("cors", "GetBucketCors", "PutBucketCors", frozenset({"NoSuchCORSConfiguration"}),
         lambda c, b: c.get_bucket_cors(Bucket=b)["CORSRules"], _cors_write),
    Kind("tagging", "GetBucketTagging", "PutBucketTagging", frozenset({"NoSuchTagSet", "NoSuchTagSetError"}),
         lambda c, b: c.get_bucket_tagging(Bucket=b)["TagSet"], _tagging_write),
    Kind("encryption", "GetBucketEncryption", "PutBucketEncryption",
         frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
         lambda c, b: c.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"], _encryption_write),
)


def copy_configs(src: Client, dst: Client, bucket: str, report: Report) -> None:
    tally = report.tally(bucket)
    for kind in KINDS:
        try:
            value = kind.read(src, bucket)
        except Exception as exc:
            if code_of(exc) in kind.absent:
                tally.configs.append(f"{kind.name} absent")
            else:
                report.fail(f"{bucket}: {kind.name}", f"source {kind.get_op}", exc)
            continue
        try:
            kind.write(dst, bucket, value)
        except Exception as exc:
            report.fail(f"{bucket}: {kind.name}", f"destination {kind.put_op}", exc)
            continue
        tally.configs.append(f"{kind.name} copied")


def source_versioning(src: Client, bucket: str, report: Report) -> str | None:
    """"Enabled", "Suspended" or "" (never enabled); None when the source refused to say."""
    try:
        return str(src.get_bucket_versioning(Bucket=bucket).get("Status", ""))
    except Exception as exc:
        report.fail(f"{bucket}: versioning", "source GetBucketVersioning", exc)
        return None


def set_versioning(dst: Client, bucket: str, status: str, report: Report) -> bool:
    try:
        dst.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    except Exception as exc:
        report.fail(f"{bucket}: versioning", "destination PutBucketVersioning", exc)
        return False
    return True
