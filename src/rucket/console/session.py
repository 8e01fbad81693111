"""Console sessions: an AES-GCM sealed cookie, keyed from the server master key.

The cookie holds the access key, an expiry, a random session id and a fingerprint of the
secret — never the secret itself. Each request looks the key up again (so a disabled,
deleted or rotated key ends its sessions at once, in every worker process) and signs with
the secret found there. Every worker derives the same cookie key from the master key, so a
session survives any worker and a restart; a random key is used when no master key is given.
The CSRF token is an HMAC of the session id: forms and fetch() calls must echo it.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

COOKIE = "rucket_console"
TTL_MS = 12 * 3600 * 1000
_NONCE = 12


@dataclass(frozen=True)
class Session:
    access_key: str
    fingerprint: str
    expires_ms: int
    sid: str


def fingerprint(secret: str) -> str:
    """Binds a session to the secret it logged in with; rotating the secret ends the session."""
    return hmac.digest(secret.encode(), b"rucket console session", "sha256").hex()[:32]


class Sessions:
    def __init__(self, master_key: bytes | None = None) -> None:
        material = master_key if master_key is not None else secrets.token_bytes(32)
        key = HKDF(hashes.SHA256(), 64, salt=None, info=b"rucket console v1").derive(material)
        self._aead = AESGCM(key[:32])
        self._csrf_key = key[32:]

    def issue(self, access_key: str, secret: str, now_ms: int) -> tuple[Session, str]:
        session = Session(access_key, fingerprint(secret), now_ms + TTL_MS, secrets.token_hex(16))
        plain = json.dumps([session.access_key, session.fingerprint, session.expires_ms, session.sid]).encode()
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, plain, COOKIE.encode())
        return session, base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, cookie: str, now_ms: int) -> Session | None:
        """The session of a cookie, None when it is forged, damaged or expired."""
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], COOKIE.encode())
            access_key, fp, expires, sid = json.loads(plain)
        except (ValueError, InvalidTag, TypeError):
            return None
        session = Session(str(access_key), str(fp), int(expires), str(sid))
        return session if session.expires_ms > now_ms else None

    def csrf(self, session: Session) -> str:
        return hmac.digest(self._csrf_key, session.sid.encode(), "sha256").hex()

    def check_csrf(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(self.csrf(session), token)

    @staticmethod
    def same_secret(session: Session, secret: str) -> bool:
        return hmac.compare_digest(session.fingerprint, fingerprint(secret))
