"""Fixtures and helpers shared by the issue-21 browser tests (test_console_features.py and
test_console_admin_pages.py): demo buckets, page navigation under the console prefix,
full-page screenshots, form filling and the saved-notice wait, signed admin calls."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient

from rucket.core.paths import ADMIN
from rucket.core.paths import CONSOLE as PREFIX
from tests.integration.conftest import _empty
from tests.integration.test_console_browser import by_id, css, wait_for
from tests.server import ServerProcess


@pytest.fixture(scope="module")
def demo(s3: BaseClient) -> Iterator[str]:
    """A versioned bucket with a few objects for the object tools."""
    name = f"features-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    _empty(s3, name)
    s3.delete_bucket(Bucket=name)


def full_shot(browser: Any, name: str) -> None:
    """A screenshot of the whole page, not just the part in the window (Chrome DevTools capture)."""
    import base64

    from tests.integration.test_console_browser import IMAGES

    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}
    data = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                              "clip": clip})["data"]
    IMAGES.mkdir(parents=True, exist_ok=True)
    (IMAGES / f"console-{name}.png").write_bytes(base64.b64decode(data))


def page(browser: Any, server: ServerProcess, path: str) -> None:
    browser.get(server.endpoint + PREFIX + path)


def fill(browser: Any, id_: str, text: str) -> None:
    field = by_id(browser, id_)
    field.clear()
    field.send_keys(text)


@pytest.fixture
def bulk_bucket(s3: BaseClient) -> Iterator[str]:
    name = f"bulk-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    for i in range(25):
        s3.put_object(Bucket=name, Key=f"logs/2024/day-{i:02}.log", Body=f"log {i}\n".encode())
    for key in ("alpha.txt", "beta.txt", "gamma.csv", "logo.png"):
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    yield name
    _empty(s3, name)
    s3.delete_bucket(Bucket=name)


def visible(browser: Any) -> list[str]:
    return [r.get_attribute("data-name") for r in css(browser, "tr.object, tr.folder") if r.is_displayed()]


def pick(browser: Any, *names: str) -> None:
    from selenium.webdriver.common.by import By

    for r in css(browser, "tr.object, tr.folder"):
        if r.get_attribute("data-name") in names:
            r.find_element(By.CSS_SELECTOR, "input.pick-row").click()


def admin_call(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A signed admin API request as root (`path` below the admin prefix, e.g. "kms/keys")."""
    from rucket.cli_admin import signed_request

    data = json.dumps(body).encode() if body is not None else b""
    return signed_request(server.endpoint, server.access_key, server.secret_key, "us-east-1", method, f"{ADMIN}/{path}",
                          data)


@pytest.fixture
def locked_bucket(s3: BaseClient) -> Iterator[str]:
    name = f"locked-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    yield name
    _empty(s3, name)
    s3.delete_bucket(Bucket=name)


def save_panel(browser: Any, name: str) -> None:
    by_id(browser, f"save-{name}").click()


def saved(browser: Any, what: str) -> None:
    """The page after the save says so (not the notice of the save before, still on screen)."""
    wait_for(lambda: any(e.text == f"Saved: {what}." for e in css(browser, "#saved")), what=f"saved {what}")
