"""The built-in KMS: named keys with versioned material, for SSE-KMS.

A key is created, listed and rotated by an administrator (`rucket admin kms create|ls|
rotate`). Each version's 32 bytes of material are random and stored wrapped under a KEK
derived from the server master key (HKDF label `rucket/kms/material/v1`); the key id,
version and purpose are the associated data, so a wrapped version cannot be replayed under
another key or version. Rotation appends a version: new objects use the latest, while an
object records the version that wrapped its data key, so old objects keep opening. Keys
are never deleted (that would make objects unreadable); unwrapped material is cached in
memory for the life of the process.

Key ids are names (`testkey-1`); requests may also name a key as `alias/<name>` or by an
ARN ending in `key/<name>` or `alias/<name>`, as clients copied from AWS do.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rucket.core import errors
from rucket.core.mutations import KmsKeyIs, PutKmsKey, PutKmsVersion
from rucket.core.records import KmsVersionRow
from rucket.engine import writes
from rucket.engine.store import Store
from rucket.engine.writes import Plan
from rucket.events.records import EventType, StorageEvent

KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_ARN = re.compile(r"arn:aws:kms:[^:]*:[^:]*:(?:key|alias)/(.+)")
_NONCE = 12


@dataclass(frozen=True)
class KmsKey:
    key_id: str
    description: str
    enabled: bool
    created_ms: int
    versions: int

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:local:000000000000:key/{self.key_id}"


def canonical_id(requested: str) -> str:
    """`name`, `alias/name` or an ARN naming it -> `name` (no lookup)."""
    text = requested.strip()
    m = _ARN.fullmatch(text)
    if m:
        text = m.group(1)
    return text.removeprefix("alias/")


class Kms:
    def __init__(self, store: Store, kek: bytes) -> None:
        self.s = store
        self._aead = AESGCM(kek)
        self._cache: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    # ---- administration -------------------------------------------------------
    async def create(self, key_id: str, description: str = "") -> KmsKey:
        if not KEY_ID.fullmatch(key_id):
            raise errors.InvalidArgument("a KMS key id is 1-128 of A-Z a-z 0-9 _ . - (starting alphanumeric)")
        now, hlc = self.s.clock.now_ms(), self.s.hlc.now()
        plan = self._version_plan(key_id, 1, now, hlc, "created")
        plan.mutations.insert(0, PutKmsKey(key_id, description, True, now))
        plan.preconditions.append(KmsKeyIs(key_id, -1))
        await writes.run(self.s.config.apply, lambda: plan,
                         lambda c: errors.InvalidRequest(f"KMS key {key_id} already exists"))
        return self.key(key_id)

    def ensure(self, key_ids: Sequence[str]) -> list[str]:
        """Create the configured keys (`kms_keys` in rucket.toml) that do not exist yet, so a fresh
        server has them; existing keys keep their material. Sync: runs once at start-up, before
        serving. Returns the ids it created."""
        missing = [k for k in dict.fromkeys(canonical_id(k) for k in key_ids) if self.s.config.kms_key(k) is None]
        for key_id in missing:
            if not KEY_ID.fullmatch(key_id):
                raise errors.InvalidArgument(f"kms_keys: {key_id!r} is not a KMS key id "
                                             "(1-128 of A-Z a-z 0-9 _ . -, starting alphanumeric)")
        if not missing:
            return []
        now, hlc = self.s.clock.now_ms(), self.s.hlc.now()
        plan: Plan[None] = Plan()
        for key_id in missing:
            one = self._version_plan(key_id, 1, now, hlc, "created")
            plan.mutations += [PutKmsKey(key_id, "declared in the configuration", True, now), *one.mutations]
            plan.preconditions.append(KmsKeyIs(key_id, -1))
            plan.events += one.events
        self.s.config.apply_sync(plan.batch())
        return missing

    async def rotate(self, key_id: str) -> KmsKey:
        """A new version for new objects; every older version stays (old objects still open). Pinned on
        the version count it read: two concurrent rotations cannot both claim one number."""
        now, hlc = self.s.clock.now_ms(), self.s.hlc.now()

        def plan() -> Plan[None]:
            row = self.s.config.kms_key(key_id)
            if row is None:
                raise errors.KmsKeyNotFound(key_id)
            p = self._version_plan(key_id, row.versions + 1, now, hlc, "rotated")
            p.preconditions.append(KmsKeyIs(key_id, row.versions))
            return p

        await writes.run(self.s.config.apply, plan)
        return self.key(key_id)

    def _version_plan(self, key_id: str, version: int, now: int, hlc: int, what: str) -> Plan[None]:
        material = self._wrap(key_id, version, secrets.token_bytes(32))
        return Plan(mutations=[PutKmsVersion(KmsVersionRow(key_id, version, material, now))],
                    events=[StorageEvent(EventType.KMS_CHANGED, hlc, "", None, None,
                                         {"key": key_id, "version": version, "change": what})])

    def all_keys(self) -> list[KmsKey]:
        return [KmsKey(r.key_id, r.description, r.enabled, r.created_ms, r.versions) for r in self.s.config.kms_keys()]

    def key(self, requested: str) -> KmsKey:
        row = self.s.config.kms_key(canonical_id(requested))
        if row is None:
            raise errors.KmsKeyNotFound(requested)
        return KmsKey(row.key_id, row.description, row.enabled, row.created_ms, row.versions)

    # ---- use by SSE-KMS ---------------------------------------------------------
    def current(self, requested: str) -> tuple[str, int, bytes]:
        """(key id, latest version, material) for sealing a new data key."""
        key = self.key(requested)
        if not key.enabled:
            raise errors.KmsKeyDisabled(key.key_id)
        return key.key_id, key.versions, self.material(key.key_id, key.versions)

    def material(self, key_id: str, version: int) -> bytes:
        cached = self._cache.get((key_id, version))
        if cached is not None:
            return cached
        row = self.s.config.kms_version(key_id, version)
        if row is None:
            raise errors.KmsKeyNotFound(f"{key_id} version {version}")
        plain = self._unwrap(key_id, version, row.material)
        with self._lock:
            self._cache[(key_id, version)] = plain
        return plain

    def _aad(self, key_id: str, version: int) -> bytes:
        return f"rucket/kms/material/v1\0{key_id}\0{version}".encode()

    def _wrap(self, key_id: str, version: int, material: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, material, self._aad(key_id, version))

    def _unwrap(self, key_id: str, version: int, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], self._aad(key_id, version))
        except InvalidTag as exc:
            raise errors.CorruptBlob(f"KMS key {key_id} v{version} does not open: wrong master key?") from exc
