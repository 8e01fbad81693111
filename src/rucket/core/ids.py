"""Identifiers: random where collisions must be impossible, sortable where order helps."""

from __future__ import annotations

import os
import secrets
import time

_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def blob_id() -> str:
    """Blobs are named by a random id, never by key, so overwrites never collide."""
    return secrets.token_hex(16)


def request_id() -> str:
    return secrets.token_hex(8).upper()


def host_id() -> str:
    return secrets.token_urlsafe(24)


def version_id(now_ms: int | None = None) -> str:
    """Time-prefixed so later versions of a key sort after earlier ones, random tail for uniqueness."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    head = "".join(_B32[(ms >> s) & 31] for s in range(45, -5, -5))
    return head + secrets.token_urlsafe(15).replace("-", "A").replace("_", "B")


def upload_id() -> str:
    return secrets.token_urlsafe(32)


def random_bytes(n: int) -> bytes:
    return os.urandom(n)
