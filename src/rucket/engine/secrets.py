"""Secret keys encrypted at rest: AES-256-GCM under a server master key.

SigV4 needs the plaintext secret to recompute signatures, so secrets cannot be hashed like
passwords; they are encrypted instead, and a copy of `meta.db` alone reveals nothing. The
master key comes from `RUCKET_MASTER_KEY` / config (base64 of 32 bytes) or from
`<data>/master.key`, created on first start with mode 0600. The access key is bound as
associated data, so a ciphertext cannot be moved to another key's row.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "master.key"
_NONCE = 12


class MasterKeyError(Exception):
    """The master key is missing, malformed, or does not decrypt the stored secrets."""


def decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise MasterKeyError("master key is not valid base64") from exc
    if len(key) != 32:
        raise MasterKeyError("master key must be 32 bytes (base64 of 32 random bytes)")
    return key


def load_or_create(data_dir: Path, configured: str = "") -> bytes:
    """The configured key, else the key file in the data dir, created atomically (0600) if absent."""
    if configured:
        return decode_key(configured)
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return decode_key(path.read_text())
    try:
        os.write(fd, base64.b64encode(secrets.token_bytes(32)) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return decode_key(path.read_text())


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, access_key: str, secret: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, secret.encode("utf-8"), access_key.encode("utf-8"))

    def open(self, access_key: str, sealed: bytes) -> str:
        try:
            plain = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], access_key.encode("utf-8"))
        except InvalidTag as exc:
            raise MasterKeyError(f"cannot decrypt the secret of {access_key}: wrong master key?") from exc
        return plain.decode("utf-8")
