"""Admin endpoints of the built-in KMS: create, list, show and rotate keys (engine/kms.py).

Key material never leaves the server: answers carry ids, versions and dates only.
"""

from __future__ import annotations

from typing import Any

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services
from rucket.core import errors
from rucket.engine.kms import KmsKey


def _key(k: KmsKey) -> dict[str, Any]:
    return {"key_id": k.key_id, "arn": k.arn, "description": k.description, "enabled": k.enabled,
            "versions": k.versions, "created_ms": k.created_ms}


def _text(body: Any, name: str) -> str:
    value = body.get(name, "") if isinstance(body, dict) else ""
    if not isinstance(value, str):
        raise AdminError(400, "InvalidArgument", f"{name} must be a string")
    return value


async def list_keys(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    return 200, {"keys": [_key(k) for k in svc.engine.encryption.kms.all_keys()]}


async def create_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    body = req.json()
    try:
        key = await svc.engine.encryption.kms.create(_text(body, "key_id"), _text(body, "description"))
    except errors.InvalidRequest as exc:
        raise AdminError(409, "Conflict", str(exc)) from exc
    return 201, _key(key)


async def show_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    return 200, _key(_found(svc, p["key_id"]))


async def rotate_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    _found(svc, p["key_id"])
    return 200, _key(await svc.engine.encryption.kms.rotate(p["key_id"]))


def _found(svc: Services, key_id: str) -> KmsKey:
    try:
        return svc.engine.encryption.kms.key(key_id)
    except errors.KmsKeyNotFound as exc:
        raise AdminError(404, "NotFound", f"no KMS key {key_id}") from exc


ROUTES = (
    Route("GET", "/kms/keys", list_keys),
    Route("POST", "/kms/keys", create_key),
    Route("GET", "/kms/keys/{key_id}", show_key),
    Route("POST", "/kms/keys/{key_id}/rotate", rotate_key),
)
