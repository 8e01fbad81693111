"""`POST /simulate`: the policy simulator. The question goes to the real evaluator (injected
as `Services.simulate` by `server.py`); this module only checks the request's shape."""

from __future__ import annotations

from typing import Any

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services


async def simulate(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    """{"principal": access key or user name, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}."""
    body = req.json()
    fields = [body.get(n) if isinstance(body, dict) else None for n in ("principal", "action", "resource")]
    if not all(isinstance(f, str) and f.strip() for f in fields):
        raise AdminError(400, "InvalidArgument", "principal, action and resource are required strings")
    if svc.simulate is None:
        raise AdminError(501, "NotImplemented", "this server was built without the policy simulator")
    try:
        return 200, svc.simulate(*(str(f) for f in fields))
    except ValueError as exc:
        raise AdminError(400, "InvalidArgument", str(exc)) from exc


ROUTES = (Route("POST", "/simulate", simulate),)
