"""Who the console acts as. Signing itself is `rucket.s3.auth.client`, the one client-side SigV4
signer: the console never decides access, it signs each request with the logged-in user's key
and hands it to the S3 (or admin) app, which checks it exactly as it would an SDK's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credential:
    access_key: str
    secret: str = ""
    is_root: bool = False
    name: str = ""
