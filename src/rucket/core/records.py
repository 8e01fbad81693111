"""Configuration records the engine stores besides buckets and versions: identities and KMS keys.

Plain frozen dataclasses in `core/` so every side of the storage seam (the engine, the SQLite
store, an in-memory or etcd store, the event log) speaks the same rows without importing
each other. Secrets and key material arrive here already sealed: no record holds plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass

LockRow = tuple[str, int, bool | None]  # Object Lock state: (mode or "", retain-until ms, legal hold: None = never set)


@dataclass(frozen=True)
class UserRow:
    name: str
    canonical_id: str
    display_name: str
    email: str
    source: str  # "config" (rucket.toml, bootstrapped on every start) or "api"
    created_ms: int


@dataclass(frozen=True)
class KeyRow:
    access_key: str
    user_name: str
    secret_enc: bytes
    enabled: bool
    created_ms: int


@dataclass(frozen=True)
class KeyScope:
    """What narrows one access key: an expiry, and for a service account its own policy."""

    access_key: str
    expires_ms: int | None  # None: never
    policy: str | None  # None: a plain key of its user; a document: a service account
    description: str = ""


@dataclass(frozen=True)
class KmsKeyRow:
    key_id: str
    description: str
    enabled: bool
    created_ms: int
    versions: int  # how many versions of material (the latest is used for new objects)


@dataclass(frozen=True)
class KmsVersionRow:
    key_id: str
    version: int
    material: bytes  # wrapped: nonce || AES-256-GCM(material)
    created_ms: int
