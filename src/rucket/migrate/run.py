"""One migration: for each bucket, versioning first, then every key's history, then the configuration."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rucket.migrate import configs, lock
from rucket.migrate.objects import Entry, copy_one, histories, plan
from rucket.migrate.report import Report, code_of

Progress = Callable[[int], None]  # called with the number of source entries just dealt with


class MigrateError(Exception):
    """The migration cannot start (no boto3, a source that lists nothing); the message says why."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    ca_bundle: str | None = None

    def client(self) -> Any:
        try:
            import boto3  # type: ignore[import-untyped]
            from botocore.config import Config  # type: ignore[import-untyped]
        except ImportError as exc:
            raise MigrateError("rucket migrate needs boto3: pip install 'rucket[migrate]'") from exc
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name=self.region,
                            verify=self.ca_bundle if self.ca_bundle else None,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3},
                                          max_pool_connections=16))


@dataclass
class Plan:
    bucket: str
    versioned: bool
    work: list[list[Entry]]  # per key, the entries still to copy, oldest first
    total: int  # source entries in the bucket
    lock: dict[str, Any] | None = None  # the source's Object Lock configuration, if enabled


class Migration:
    def __init__(self, source: Endpoint, dest: Endpoint, *, parallel: int = 4) -> None:
        self.src, self.dst, self.parallel = source.client(), dest.client(), parallel
        self.report = Report()

    def buckets(self, wanted: Sequence[str]) -> list[str]:
        if wanted:
            return list(wanted)
        try:
            return [b["Name"] for b in self.src.list_buckets().get("Buckets", [])]
        except Exception as exc:
            raise MigrateError(f"the source refused to list its buckets ({code_of(exc) or exc}): "
                               "name them with --bucket") from exc

    def prepare(self, bucket: str) -> Plan | None:
        """Create the bucket, set versioning, and work out what is left to copy (None: reported, skip)."""
        status = configs.source_versioning(self.src, bucket, self.report)
        if status is None:
            return None
        locked = lock.source_lock(self.src, bucket, self.report)
        if not self._ensure_bucket(bucket, locked is not None):
            return None
        versioned = status in ("Enabled", "Suspended")
        tally = self.report.tally(bucket)
        if versioned:  # Enabled while copying even if Suspended at the source: every version must land
            if not configs.set_versioning(self.dst, bucket, "Enabled", self.report):
                return None
            tally.configs.append(f"versioning {status}")
        try:
            theirs = histories(self.src, bucket, versioned)
        except Exception as exc:
            self.report.fail(bucket, "source ListObjectVersions" if versioned else "source ListObjectsV2", exc)
            return None
        try:
            ours = histories(self.dst, bucket, versioned)
        except Exception as exc:
            self.report.fail(bucket, "destination listing", exc)
            return None
        work = [plan(bucket, h, ours.get(k, []), versioned, self.report) for k, h in sorted(theirs.items())]
        return Plan(bucket, versioned, [w for w in work if w], sum(len(h) for h in theirs.values()), locked)

    def _ensure_bucket(self, bucket: str, locked: bool) -> bool:
        """Create the destination bucket (with Object Lock when the source has it); False: reported."""
        try:
            self.dst.head_bucket(Bucket=bucket)
        except Exception:
            try:
                self.dst.create_bucket(Bucket=bucket, **({"ObjectLockEnabledForBucket": True} if locked else {}))
            except Exception as exc:
                self.report.fail(bucket, "destination CreateBucket", exc)
                return False
            return True
        if locked and lock.source_lock(self.dst, bucket, Report()) is None:
            self.report.fail(f"{bucket}: object lock", "destination bucket",
                             "exists without Object Lock: versions are copied without retention or legal hold")
        return True

    def copy(self, p: Plan, progress: Progress) -> None:
        tally = self.report.tally(p.bucket)
        pending = sum(len(w) for w in p.work)
        tally.unchanged += p.total - pending
        progress(p.total - pending)

        guard = threading.Lock()

        def one_key(entries: list[Entry]) -> None:
            for n, entry in enumerate(entries):  # oldest first: versions keep their order
                copied = copy_one(self.src, self.dst, p.bucket, entry, self.report, locked=p.lock is not None)
                if copied < 0:  # a later version on top of a missing one would break the order
                    if n + 1 < len(entries):
                        self.report.fail(f"{p.bucket}/{entry.key}", "later versions",
                                         f"{len(entries) - n - 1} newer version(s) left for the next run")
                    return
                with guard:
                    tally.copied += 1
                    tally.bytes += copied

        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for entries, _ in zip(p.work, pool.map(one_key, p.work), strict=True):
                progress(len(entries))

    def finish(self, p: Plan) -> None:
        configs.copy_configs(self.src, self.dst, p.bucket, self.report)
        if p.lock is not None:
            lock.set_default_retention(self.dst, p.bucket, p.lock, self.report)
        status = configs.source_versioning(self.src, p.bucket, Report())
        if status == "Suspended":
            configs.set_versioning(self.dst, p.bucket, "Suspended", self.report)
