"""Admin endpoints for identities: users, access keys, identity policies and attachments.

Secrets appear in exactly two answers: creating a key and rotating one. Listing keys never
shows them.
"""

from __future__ import annotations

import json
from typing import Any

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services
from rucket.core.records import KeyRow, KeyScope, UserRow


def _user(u: UserRow, svc: Services) -> dict[str, Any]:
    return {"name": u.name, "canonical_id": u.canonical_id, "display_name": u.display_name, "email": u.email,
            "source": u.source, "policies": svc.iam.reads.policy_names_of(u.name),
            "arn": f"arn:aws:iam::000000000000:user/{u.name}"}


def _key(k: KeyRow, scope: KeyScope | None, now_ms: int) -> dict[str, Any]:
    expires = scope.expires_ms if scope else None
    return {"access_key": k.access_key, "user": k.user_name, "enabled": k.enabled, "created_ms": k.created_ms,
            "expires_ms": expires, "expired": expires is not None and expires <= now_ms,
            "service_account": bool(scope and scope.policy is not None), "policy": scope.policy if scope else None,
            "description": scope.description if scope else ""}


def _keys(svc: Services, user: str) -> list[dict[str, Any]]:
    scopes, now = svc.iam.reads.key_scopes_of(user), svc.engine.now_ms()
    return [_key(k, scopes.get(k.access_key), now) for k in svc.iam.reads.keys_of(user)]


def _expiry(body: Any) -> int | None:
    value = body.get("expires_ms") if isinstance(body, dict) else None
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise AdminError(400, "InvalidArgument", "expires_ms must be a time in epoch milliseconds, or null")
    return value


def _key_policy(body: Any, svc: Services) -> str | None:
    """A service account's policy: a JSON document (as text or as an object), checked like any policy."""
    value = body.get("policy") if isinstance(body, dict) else None
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        svc.validate_policy(text)
    except ValueError as exc:
        raise AdminError(400, "MalformedPolicy", str(exc)) from exc
    return text


def _str(body: Any, name: str, default: str = "") -> str:
    value = body.get(name, default) if isinstance(body, dict) else default
    if not isinstance(value, str):
        raise AdminError(400, "InvalidArgument", f"{name} must be a string")
    return value


async def list_users(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    return 200, {"users": [_user(u, svc) for u in svc.iam.reads.users()]}


async def create_user(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    body = req.json()
    name = _str(body, "name")
    user = await svc.iam.create_user(name, display_name=_str(body, "display_name"), email=_str(body, "email"),
                                     canonical_id=_str(body, "canonical_id"))
    out = _user(user, svc)
    if body.get("with_key", True):
        out["access_key"], out["secret_key"] = await svc.iam.create_key(name)
    return 201, out


async def get_user(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    user = svc.iam.reads.user(p["name"])
    if user is None:
        raise AdminError(404, "NotFound", f"no user {p['name']}")
    return 200, {**_user(user, svc), "keys": _keys(svc, user.name)}


async def delete_user(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    await svc.iam.delete_user(p["name"])
    return 200, {"deleted": p["name"]}


async def list_keys(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    return 200, {"keys": _keys(svc, p["name"])}


async def create_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    body = req.json()
    policy = _key_policy(body, svc)
    ak, sk = await svc.iam.create_key(p["name"], _str(body, "access_key"), _str(body, "secret_key"),
                                      expires_ms=_expiry(body), policy=policy, description=_str(body, "description"))
    return 201, {"access_key": ak, "secret_key": sk, "user": p["name"], "service_account": policy is not None}


async def update_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    """{"enabled": bool} and/or {"expires_ms": int | null}."""
    body = req.json()
    enabled = body.get("enabled") if isinstance(body, dict) else None
    if enabled is None and not (isinstance(body, dict) and "expires_ms" in body):
        raise AdminError(400, "InvalidArgument", "give enabled (true or false) or expires_ms")
    if enabled is not None and not isinstance(enabled, bool):
        raise AdminError(400, "InvalidArgument", "enabled must be true or false")
    if "expires_ms" in body:
        await svc.iam.set_key_expiry(p["access_key"], _expiry(body))
    if enabled is not None:
        await svc.iam.set_key_enabled(p["access_key"], enabled)
    return 200, {"access_key": p["access_key"], **{k: body[k] for k in ("enabled", "expires_ms") if k in body}}


async def rotate_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    ak, sk = await svc.iam.rotate_key(p["access_key"])
    return 201, {"access_key": ak, "secret_key": sk, "disabled": p["access_key"]}


async def delete_key(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    await svc.iam.delete_key(p["access_key"])
    return 200, {"deleted": p["access_key"]}


async def list_policies(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    return 200, {"policies": [{"name": n, "document": d} for n, d in svc.iam.reads.policies()]}


async def put_policy(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    document = req.body.decode("utf-8", "replace")
    try:
        svc.validate_policy(document)
    except ValueError as exc:
        raise AdminError(400, "MalformedPolicy", str(exc)) from exc
    await svc.iam.put_policy(p["name"], document)
    return 200, {"policy": p["name"]}


async def get_policy(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    document = svc.iam.reads.policy(p["name"])
    if document is None:
        raise AdminError(404, "NotFound", f"no policy {p['name']}")
    return 200, {"name": p["name"], "document": document}


async def delete_policy(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    await svc.iam.delete_policy(p["name"])
    return 200, {"deleted": p["name"]}


async def attach_policy(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    await svc.iam.attach(p["name"], p["policy"])
    return 200, {"user": p["name"], "attached": p["policy"]}


async def detach_policy(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    await svc.iam.attach(p["name"], p["policy"], attach=False)
    return 200, {"user": p["name"], "detached": p["policy"]}


ROUTES = (
    Route("GET", "/users", list_users),
    Route("POST", "/users", create_user),
    Route("GET", "/users/{name}", get_user),
    Route("DELETE", "/users/{name}", delete_user),
    Route("GET", "/users/{name}/keys", list_keys),
    Route("POST", "/users/{name}/keys", create_key),
    Route("PATCH", "/keys/{access_key}", update_key),
    Route("POST", "/keys/{access_key}/rotate", rotate_key),
    Route("DELETE", "/keys/{access_key}", delete_key),
    Route("GET", "/policies", list_policies),
    Route("PUT", "/policies/{name}", put_policy),
    Route("GET", "/policies/{name}", get_policy),
    Route("DELETE", "/policies/{name}", delete_policy),
    Route("PUT", "/users/{name}/policies/{policy}", attach_policy),
    Route("DELETE", "/users/{name}/policies/{policy}", detach_policy),
)
