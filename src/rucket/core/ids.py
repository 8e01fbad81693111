"""Identifiers: random where collisions must be impossible, sortable where order helps."""

from __future__ import annotations

import itertools
import os
import secrets
import time

_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def blob_id() -> str:
    """Blobs are named by a random id, never by key, so overwrites never collide."""
    return secrets.token_hex(16)


_REQUEST_PREFIX = secrets.token_hex(3).upper()  # per process, so two workers never collide
_request_counter = itertools.count(secrets.randbelow(1 << 20))


def _reseed() -> None:
    """Granian forks its workers from the parent: each child needs its own prefix."""
    global _REQUEST_PREFIX, _request_counter
    _REQUEST_PREFIX = secrets.token_hex(3).upper()
    _request_counter = itertools.count(secrets.randbelow(1 << 20))


os.register_at_fork(after_in_child=_reseed)


def request_id() -> str:
    """16 hex digits, unique per process without a syscall per request (os.urandom showed in profiles)."""
    return f"{_REQUEST_PREFIX}{next(_request_counter) & 0xFFFFFFFFFF:010X}"


def host_id() -> str:
    return secrets.token_urlsafe(24)


def version_id(now_ms: int | None = None) -> str:
    """Time-prefixed so later versions of a key sort after earlier ones, random tail for uniqueness."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    head = "".join(_B32[(ms >> s) & 31] for s in range(45, -5, -5))
    return head + secrets.token_urlsafe(15).replace("-", "A").replace("_", "B")


def upload_id() -> str:
    return secrets.token_urlsafe(32)
