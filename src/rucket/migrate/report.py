"""What a migration did and, item by item, what it could not do and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def describe(exc: BaseException) -> str:
    """`AccessDenied (403)` for an S3 error answer, the exception's text otherwise."""
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    if error:
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        message = error.get("Message", "")
        if str(error.get("Code", "")).isdigit():  # a HEAD answer has no body, so no S3 error code
            return f"HTTP {status} {message}".rstrip()
        return f"{error.get('Code', 'Error')} ({status}){': ' + message if message else ''}"
    return f"{type(exc).__name__}: {exc}"


def code_of(exc: BaseException) -> str:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@dataclass
class Failure:
    what: str  # "bucket/key (version v)" or "bucket: lifecycle"
    step: str  # "source GetObject", "destination PutBucketPolicy", ...
    reason: str

    def line(self) -> str:
        return f"  {self.what}: {self.step} failed: {self.reason}"


@dataclass
class BucketTally:
    copied: int = 0
    unchanged: int = 0
    bytes: int = 0
    configs: list[str] = field(default_factory=list)  # "versioning copied", "lifecycle absent", ...


@dataclass
class Report:
    buckets: dict[str, BucketTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def tally(self, bucket: str) -> BucketTally:
        return self.buckets.setdefault(bucket, BucketTally())

    def fail(self, what: str, step: str, exc: BaseException | str) -> None:
        self.failures.append(Failure(what, step, exc if isinstance(exc, str) else describe(exc)))

    def lines(self) -> list[str]:
        out = []
        for name, t in self.buckets.items():
            out.append(f"bucket {name}: {t.copied} copied ({t.bytes} bytes), {t.unchanged} unchanged; "
                       f"{', '.join(t.configs) or 'no bucket configuration'}")
        if self.failures:
            out.append(f"NOT COPIED ({len(self.failures)}):")
            out += [f.line() for f in self.failures]
        else:
            out.append("everything was copied")
        return out
