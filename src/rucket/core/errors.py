"""Domain errors raised below the S3 layer.

The engine speaks in these; `rucket.s3.errors.DOMAIN_TO_S3` maps each onto the S3 error
code a client expects, so storage code never has to know about HTTP.
"""

from __future__ import annotations

import errno


class DomainError(Exception):
    """Base of every expected failure of the storage engine."""


class InvalidBucketName(DomainError):
    pass


class InvalidKey(DomainError):
    """Key empty, over 1024 bytes, or not valid UTF-8."""


class KeyTooLong(InvalidKey):
    pass


class BucketNotFound(DomainError):
    pass


class BucketAlreadyExists(DomainError):
    """Another owner holds the name."""


class BucketAlreadyOwnedByYou(DomainError):
    pass


class BucketNotEmpty(DomainError):
    pass


class KeyNotFound(DomainError):
    pass


class VersionNotFound(DomainError):
    pass


class PreconditionFailed(DomainError):
    pass


class NotModified(DomainError):
    pass


class InvalidRange(DomainError):
    pass


class BadDigest(DomainError):
    """A checksum or Content-MD5 sent by the client does not match the bytes received."""


class IncompleteBody(DomainError):
    """The body ended before the announced length."""


class EntityTooLarge(DomainError):
    pass


class CorruptBlob(DomainError):
    """Stored bytes do not match their recorded checksum: never serve them."""


class Unavailable(DomainError):
    """Timeout, overload or lost quorum: the client should retry."""


class InvalidArgument(DomainError):
    """A configuration value breaks a documented limit (lifecycle days, rule ids, dates)."""


class InvalidTag(DomainError):
    """Too many tags, a key or value too long, or a duplicate key."""


class InvalidBucketState(DomainError):
    """The bucket's state forbids the change (e.g. suspending versioning under Object Lock)."""


class InvalidRequest(DomainError):
    """A configuration that is well-formed but not acceptable (e.g. an unsupported CORS method)."""


# ---- server-side encryption (engine/encryption.py, engine/kms.py) -----------------------
class EncryptionKeyMismatch(DomainError):
    """An SSE-C key that is not the one the object was stored with (AWS: 403 AccessDenied)."""


class KmsKeyNotFound(DomainError):
    """No KMS key (or key version) of that id."""


class KmsKeyDisabled(DomainError):
    pass


# ---- object lock (engine/lock.py) -------------------------------------------------------
class ObjectLocked(DomainError):
    """A retention or legal hold forbids deleting the version or weakening its retention."""


class InvalidRetentionPeriod(DomainError):
    pass


class MalformedConfiguration(DomainError):
    """A configuration document is well-formed XML but not a valid one (S3 says MalformedXML)."""


# ---- multipart uploads (engine/multipart.py) ------------------------------------------
class NoSuchUpload(DomainError):
    pass


class InvalidPart(DomainError):
    """A listed part was not uploaded, or its ETag or checksum differs from the uploaded one."""


class InvalidPartOrder(DomainError):
    pass


class EntityTooSmall(DomainError):
    """A part other than the last is below the minimum part size."""


class StorageFull(DomainError):
    """The data dir's disk is below its free-space reserve (or a write hit ENOSPC): not retryable as is."""


_ENOSPC = (errno.ENOSPC, errno.EDQUOT)
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"


def disk_full(exc: BaseException) -> bool:
    """A failure that means "no space left", from a file write (ENOSPC, EDQUOT) or from SQLite (SQLITE_FULL)."""
    if isinstance(exc, OSError) and exc.errno in _ENOSPC:
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == _SQLITE_FULL
