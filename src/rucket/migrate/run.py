"""One migration: for each bucket, versioning first, then every key's history, then the configuration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rucket.migrate import configs
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
        try:
            self.dst.head_bucket(Bucket=bucket)
        except Exception:
            try:
                self.dst.create_bucket(Bucket=bucket)
            except Exception as exc:
                self.report.fail(bucket, "destination CreateBucket", exc)
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
        ours = histories(self.dst, bucket, versioned)
        work = [plan(bucket, h, ours.get(k, []), versioned, self.report) for k, h in sorted(theirs.items())]
        return Plan(bucket, versioned, [w for w in work if w], sum(len(h) for h in theirs.values()))

    def copy(self, p: Plan, progress: Progress) -> None:
        tally = self.report.tally(p.bucket)
        pending = sum(len(w) for w in p.work)
        tally.unchanged += p.total - pending
        progress(p.total - pending)

        def one_key(entries: list[Entry]) -> None:
            for entry in entries:  # oldest first: versions keep their order
                copied = copy_one(self.src, self.dst, p.bucket, entry, self.report)
                if copied < 0:
                    return  # a later version on top of a missing one would break the order
                tally.copied += 1
                tally.bytes += copied

        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for entries, _ in zip(p.work, pool.map(one_key, p.work), strict=True):
                progress(len(entries))

    def finish(self, p: Plan) -> None:
        configs.copy_configs(self.src, self.dst, p.bucket, self.report)
        status = configs.source_versioning(self.src, p.bucket, Report())
        if status == "Suspended":
            configs.set_versioning(self.dst, p.bucket, "Suspended", self.report)
