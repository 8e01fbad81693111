"""Route templates and the merged tables of the admin API and the console (core/paths.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from rucket.core.errors import DomainError
from rucket.core.names import validate_bucket_name
from rucket.core.paths import ADMIN, CONSOLE, PREFIX, find, merge, under


@dataclass(frozen=True)
class R:
    method: str
    template: str


def test_reserved_prefix_can_never_be_a_bucket() -> None:
    name = PREFIX.strip("/")
    with pytest.raises(DomainError):
        validate_bucket_name(name)
    assert ADMIN.startswith(PREFIX + "/") and CONSOLE.startswith(PREFIX + "/")


@pytest.mark.parametrize(("path", "inside"), [
    pytest.param(ADMIN, True, id="itself"),
    pytest.param(f"{ADMIN}/users", True, id="below"),
    pytest.param(f"{ADMIN}x/users", False, id="longer-name"),
    pytest.param("/admin/users", False, id="old-path"),
])
def test_under(path: str, inside: bool) -> None:
    assert under(path, ADMIN) is inside


def test_merge_refuses_a_route_declared_twice() -> None:
    with pytest.raises(ValueError, match="GET /p/users is declared twice"):
        merge("/p", [R("GET", "/users")], [R("POST", "/users"), R("GET", "/users")])


def test_find_captures_segments_and_tells_404_from_405() -> None:
    table = merge("/p", [R("GET", "/users/{name}"), R("DELETE", "/users/{name}")])
    assert find(table, "DELETE", "/p/users/ann") == (R("DELETE", "/users/{name}"), {"name": "ann"})
    assert find(table, "PUT", "/p/users/ann") == 405
    assert find(table, "GET", "/p/users/ann/keys") == 404
    assert find(table, "GET", "/users/ann") == 404  # the prefix is part of the pattern
    assert find(table, "HEAD", "/p/users/ann") == 405
    assert find(table, "HEAD", "/p/users/ann", head_as_get=True) == (R("GET", "/users/{name}"), {"name": "ann"})


def test_admin_and_console_tables_are_merged_explicitly() -> None:
    """Every endpoint module's ROUTES, each declared once, all under its prefix."""
    from rucket.admin import cluster, events, handlers, kms, lifecycle, simulate, views
    from rucket.admin.routes import ROUTES as ADMIN_ROUTES
    from rucket.console import views as pages
    from rucket.console.views import ROUTES as CONSOLE_ROUTES

    declared = [*handlers.ROUTES, *kms.ROUTES, *lifecycle.ROUTES, *views.ROUTES, *events.ROUTES, *simulate.ROUTES,
                *cluster.ROUTES]
    assert [c.route for c in ADMIN_ROUTES] == declared
    modules = (pages.auth, pages.buckets, pages.objects, pages.object_tools, pages.bulk, pages.settings, pages.users,
               pages.identity, pages.admin)
    assert [c.route for c in CONSOLE_ROUTES] == [r for m in modules for r in m.ROUTES]
    assert all(c.pattern.pattern.startswith(re.escape(ADMIN)) for c in ADMIN_ROUTES)
    assert all(c.pattern.pattern.startswith(re.escape(CONSOLE)) for c in CONSOLE_ROUTES)
