"""`POST /_rucket/admin/lifecycle/run`: one lifecycle pass now, so an operator (or a demo) need not wait
for the worker's next pass. Safe beside the background worker: every deletion is guarded by
`if_latest`, so two passes never act twice on the same key."""

from __future__ import annotations

import dataclasses
from typing import Any

from rucket.admin.request import AdminRequest, Params, Route, Services
from rucket.engine.lifecycle import Lifecycle


async def run_lifecycle(req: AdminRequest, p: Params, svc: Services) -> tuple[int, Any]:
    report = await Lifecycle(svc.engine).run_once()
    return 200, {"report": dataclasses.asdict(report)}


ROUTES = (
    Route("POST", "/lifecycle/run", run_lifecycle),
)
