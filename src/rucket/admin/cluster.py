"""`GET /cluster`: the cluster's state as this node sees it (nodes, etcd roles, PG counts, map epoch).

The numbers come from the cluster runtime, injected by `server.py` as `Services.cluster` (admin/
never names the cluster package); a single-node server has none and says so.
"""

from __future__ import annotations

from typing import Any

from rucket.admin.request import AdminError, AdminRequest, Params, Route, Services


async def status(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    if svc.cluster is None:
        raise AdminError(400, "NotClustered", "this server runs as a single node (start it with --cluster)")
    return 200, await svc.cluster()


ROUTES = (Route("GET", "/cluster", status),)
