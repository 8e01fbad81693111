"""Issue 15 item 10: the admin API and the console live under `/_rucket/`, a path no bucket can
have, so buckets named `admin` or `console` are ordinary buckets for signed and anonymous clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from botocore.client import BaseClient

from rucket.core.paths import ADMIN, CONSOLE, PREFIX
from tests.integration.conftest import _empty
from tests.server import ServerProcess

BROWSER = {"accept": "text/html,application/xhtml+xml", "sec-fetch-dest": "document"}


@pytest.fixture(params=["admin", "console"])
def shadowed(request: pytest.FixtureRequest, s3: BaseClient) -> Iterator[str]:
    """A public-read bucket whose name was once an endpoint, holding `users` and `login`."""
    name: str = request.param
    s3.create_bucket(Bucket=name, ACL="public-read")
    for key in ("users", "login"):
        s3.put_object(Bucket=name, Key=key, Body=f"{name}/{key}".encode(), ACL="public-read")
    yield name
    _empty(s3, name)
    s3.delete_bucket(Bucket=name)


def test_bucket_named_like_an_old_endpoint_is_reachable_signed(s3: BaseClient, shadowed: str) -> None:
    assert s3.get_object(Bucket=shadowed, Key="users")["Body"].read() == f"{shadowed}/users".encode()
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=shadowed)["Contents"]] == ["login", "users"]


def test_bucket_named_like_an_old_endpoint_is_reachable_anonymously(server: ServerProcess, shadowed: str) -> None:
    """Even a browser page load of `/console/login` is the bucket's object now."""
    for headers in ({}, BROWSER):
        got = requests.get(f"{server.endpoint}/{shadowed}/login", headers=headers, timeout=10, allow_redirects=False)
        assert (got.status_code, got.content) == (200, f"{shadowed}/login".encode())
        listing = requests.get(f"{server.endpoint}/{shadowed}", headers=headers, timeout=10, allow_redirects=False)
        assert listing.status_code == 200 and b"<ListBucketResult" in listing.content


def test_console_is_under_the_reserved_prefix(server: ServerProcess) -> None:
    login = requests.get(f"{server.endpoint}{CONSOLE}/login", timeout=10, allow_redirects=False)
    assert login.status_code == 200 and 'id="login-form"' in login.text
    home = requests.get(f"{server.endpoint}{CONSOLE}/", timeout=10, allow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == f"{CONSOLE}/login"


def test_admin_is_under_the_reserved_prefix(server: ServerProcess) -> None:
    unsigned = requests.get(f"{server.endpoint}{ADMIN}/users", timeout=10)
    assert unsigned.status_code == 403 and unsigned.json()["error"] == "AccessDenied"


@pytest.mark.parametrize("path", [PREFIX, f"{PREFIX}/"])
def test_reserved_prefix_redirects_to_the_console(server: ServerProcess, path: str) -> None:
    got = requests.get(server.endpoint + path, timeout=10, allow_redirects=False)
    assert got.status_code == 302 and got.headers["location"] == f"{CONSOLE}/"


def test_browser_opening_the_root_goes_to_the_console(server: ServerProcess) -> None:
    got = requests.get(server.endpoint + "/", headers=BROWSER, timeout=10, allow_redirects=False)
    assert got.status_code == 302 and got.headers["location"] == f"{CONSOLE}/"


def test_sdk_listing_buckets_at_the_root_is_not_redirected(server: ServerProcess, s3: BaseClient) -> None:
    assert requests.get(server.endpoint + "/", timeout=10, allow_redirects=False).status_code == 200
    assert "Buckets" in s3.list_buckets()
