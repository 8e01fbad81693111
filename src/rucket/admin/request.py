"""What every admin endpoint sees: the parsed request, the services, its error type and the
shape of a route declaration. Endpoint modules import only this (never `app.py`), so the app
can import their route tables without a cycle."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rucket.engine import Engine
from rucket.engine.iam import Iam

Params = Mapping[str, str]


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str
    raw_path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise AdminError(400, "InvalidJSON", "the request body is not JSON") from exc


@dataclass
class Services:
    engine: Engine
    iam: Iam
    validate_policy: Callable[[str], None]  # raises ValueError with the reason
    info: dict[str, Any] = field(default_factory=dict)  # version, start time, config without secrets (views.py)
    lifecycle_status: Callable[[], dict[str, Any]] | None = None  # the worker's last pass (status.py)
    simulate: Callable[[str, str, str], dict[str, Any]] | None = None  # (principal, action, resource), s3/simulate.py
    disk: Callable[[], dict[str, int]] | None = None  # free/total/reserve bytes of the data dir (blobs/space.py)
    cluster: Callable[[], Awaitable[dict[str, Any]]] | None = None  # cluster mode: nodes, etcd, PGs (admin/cluster.py)


Handler = Callable[[AdminRequest, Params, Services], Awaitable[tuple[int, Any]]]


@dataclass(frozen=True)
class Route:
    """One endpoint: `template` is relative to `core.paths.ADMIN`; `{name}` captures a segment."""

    method: str
    template: str
    handler: Handler
