"""Issue 21 in a real browser: share links, versions, tags and metadata, find and bulk
actions, each checked through the S3 API with boto3 afterwards, and keyboard-only use of the
main flows. Bucket settings, the server page and identity: test_console_admin_pages.py.

Same setup as test_console_browser.py (Debian chromium + chromium-driver via selenium);
screenshots go to $RUCKET_SCREENSHOTS (docs/images to refresh the committed ones).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from botocore.client import BaseClient

from rucket.core.paths import CONSOLE as PREFIX
from tests.integration.console_pages import bulk_bucket, demo, fill, full_shot, page, pick, saved, visible
from tests.integration.test_console_browser import browser, by_id, css, log_in, shot, wait_for
from tests.server import ServerProcess

__all__ = ["browser", "bulk_bucket", "demo"]  # fixtures: chromium (shared with the first browser tests), buckets


def test_01_log_in(browser: Any, server: ServerProcess) -> None:
    log_in(browser, server, server.access_key, server.secret_key)
    wait_for(lambda: browser.current_url.endswith(f"{PREFIX}/buckets"), what="the bucket list")


def test_share_link_with_expiry_and_copy(browser: Any, server: ServerProcess, s3: BaseClient, demo: str) -> None:
    from selenium.webdriver.support.ui import Select

    s3.put_object(Bucket=demo, Key="reports/q3.txt", Body=b"quarterly numbers\n", ContentType="text/plain")
    page(browser, server, f"/b/{demo}/object?key=reports/q3.txt")
    amount = by_id(browser, "share-amount")
    amount.clear()
    amount.send_keys("8")
    Select(by_id(browser, "share-unit")).select_by_visible_text("days")
    by_id(browser, "create-share").click()
    assert "7 days" in wait_for(lambda: css(browser, "#error-share"), what="the expiry error")[0].text
    assert not css(browser, "#share-url")
    amount = by_id(browser, "share-amount")
    amount.clear()
    amount.send_keys("7")
    Select(by_id(browser, "share-unit")).select_by_visible_text("days")
    by_id(browser, "create-share").click()
    link = wait_for(lambda: css(browser, "#share-url"), what="the link")[0].get_attribute("value")
    assert link.startswith(server.endpoint + "/")
    assert parse_qs(urlparse(link).query)["X-Amz-Expires"] == [str(7 * 86400)]
    by_id(browser, "copy-share").click()
    assert wait_for(lambda: by_id(browser, "copy-status").text, what="copy status") == "Copied"
    got = requests.get(link, timeout=10)  # no cookie, no key: the link alone
    assert got.status_code == 200 and got.content == b"quarterly numbers\n"
    longer = link.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801")
    assert requests.get(longer, timeout=10).status_code == 400  # past 7 days: refused by the S3 API itself
    assert requests.get(link.replace("X-Amz-Expires=604800", "X-Amz-Expires=3600"), timeout=10).status_code == 403
    full_shot(browser, "object-share")


def test_versions_list_download_restore_delete(browser: Any, server: ServerProcess, s3: BaseClient,
                                               demo: str) -> None:
    from selenium.webdriver.common.by import By

    ids = [s3.put_object(Bucket=demo, Key="doc.txt", Body=f"draft {i}\n".encode())["VersionId"] for i in range(3)]
    s3.delete_object(Bucket=demo, Key="doc.txt")  # latest is now a delete marker
    page(browser, server, f"/b/{demo}")
    assert "doc.txt" not in by_id(browser, "objects").text
    by_id(browser, "toggle-versions").click()
    wait_for(lambda: "versions=1" in browser.current_url, what="the versions listing")
    assert by_id(browser, "toggle-versions").get_attribute("aria-checked") == "true"
    rows = [r for r in css(browser, "tr.object") if r.get_attribute("data-name") == "doc.txt"]
    assert len(rows) == 4 and sum("delete marker" in r.text for r in rows) == 1
    shot(browser, "browse-versions")
    page(browser, server, f"/b/{demo}/object?key=doc.txt")
    assert css(browser, "#deleted")
    listed = [r.get_attribute("data-version") for r in css(browser, "#versions tr.version")]
    assert listed[1:] == ids[::-1] and "delete marker" in css(browser, "#versions tr.version")[0].text
    row = next(r for r in css(browser, "#versions tr.version") if r.get_attribute("data-version") == ids[0])
    row.find_element(By.CSS_SELECTOR, "a.download-version").click()
    target = browser.downloads / "doc.txt"
    wait_for(lambda: target.exists() and target.read_bytes() == b"draft 0\n", timeout=30, what="version 0")
    row = next(r for r in css(browser, "#versions tr.version") if r.get_attribute("data-version") == ids[0])
    row.find_element(By.CSS_SELECTOR, "button.restore-version").click()
    saved(browser, "restored")
    assert s3.get_object(Bucket=demo, Key="doc.txt")["Body"].read() == b"draft 0\n"
    assert len(s3.list_object_versions(Bucket=demo, Prefix="doc.txt")["Versions"]) == 4  # history kept
    browser.execute_script("window.confirm = () => true")
    row = next(r for r in css(browser, "#versions tr.version") if r.get_attribute("data-version") == ids[1])
    row.find_element(By.CSS_SELECTOR, "button.delete-version").click()
    wait_for(lambda: ids[1] not in by_id(browser, "versions").text, what="the version to go")
    left = [v["VersionId"] for v in s3.list_object_versions(Bucket=demo, Prefix="doc.txt")["Versions"]]
    assert ids[1] not in left and ids[0] in left and ids[2] in left
    full_shot(browser, "object-versions")


def test_tags_and_metadata_edit(browser: Any, server: ServerProcess, s3: BaseClient, demo: str) -> None:
    s3.put_object(Bucket=demo, Key="img/logo.bin", Body=b"\x89PNG-not-really", ContentType="application/octet-stream",
                  Metadata={"owner": "web"}, Tagging="team=web")
    page(browser, server, f"/b/{demo}/object?key=img/logo.bin")
    assert by_id(browser, "tag-key-0").get_attribute("value") == "team"
    fill(browser, "tag-value-0", "design")
    fill(browser, "tag-key-1", "x" * 129)  # over S3's 128-character limit: the server says no
    fill(browser, "tag-value-1", "v")
    by_id(browser, "save-tags").click()
    assert wait_for(lambda: css(browser, "#error-tags"), what="the tag error")[0].text.startswith("InvalidTag")
    fill(browser, "tag-key-1", "stage")
    fill(browser, "tag-value-1", "prod")
    by_id(browser, "save-tags").click()
    saved(browser, "tags")
    tags = s3.get_object_tagging(Bucket=demo, Key="img/logo.bin")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "prod"), ("team", "design")]
    fill(browser, "hdr-content-type", "image/png")
    fill(browser, "hdr-cache-control", "max-age=60")
    fill(browser, "meta-key-1", "reviewed")
    fill(browser, "meta-value-1", "yes")
    by_id(browser, "save-metadata").click()
    saved(browser, "metadata")
    head = s3.head_object(Bucket=demo, Key="img/logo.bin")
    assert head["ContentType"] == "image/png" and head["CacheControl"] == "max-age=60"
    assert head["Metadata"] == {"owner": "web", "reviewed": "yes"}
    assert s3.get_object(Bucket=demo, Key="img/logo.bin")["Body"].read() == b"\x89PNG-not-really"
    assert len(s3.get_object_tagging(Bucket=demo, Key="img/logo.bin")["TagSet"]) == 2  # tags copied along
    assert "x-amz-meta-reviewed" in by_id(browser, "details").text
    full_shot(browser, "object-tags-metadata")


def test_filter_select_delete_many(browser: Any, server: ServerProcess, s3: BaseClient, bulk_bucket: str) -> None:
    from selenium.webdriver.common.keys import Keys

    page(browser, server, f"/b/{bulk_bucket}")
    by_id(browser, "filter").send_keys("ta")  # client-side substring: beta.txt
    wait_for(lambda: visible(browser) == ["beta.txt"], what="the filtered rows")
    fill(browser, "filter", "lo")
    wait_for(lambda: visible(browser) == ["logs/", "logo.png"], what="logs/ and logo.png")
    by_id(browser, "filter").send_keys(Keys.ENTER)  # server-side: prefix "lo"
    wait_for(lambda: "search=lo" in browser.current_url, what="the server search")
    assert visible(browser) == ["logs/", "logo.png"]
    page(browser, server, f"/b/{bulk_bucket}")
    assert by_id(browser, "delete-selected").get_attribute("disabled")
    pick(browser, "alpha.txt", "gamma.csv")
    assert by_id(browser, "selected-count").text == "2 selected"
    shot(browser, "browse-bulk")
    by_id(browser, "delete-selected").click()
    assert wait_for(lambda: css(browser, "#confirm-count"), what="confirmation")[0].text == "Delete 2 objects?"
    by_id(browser, "confirm-delete-button").click()
    wait_for(lambda: css(browser, "#deleted-notice"), what="the deleted notice")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bulk_bucket)["Contents"]]
    assert "alpha.txt" not in keys and "gamma.csv" not in keys and "beta.txt" in keys


def test_delete_folder_says_how_many(browser: Any, server: ServerProcess, s3: BaseClient, bulk_bucket: str) -> None:
    from selenium.webdriver.common.by import By

    page(browser, server, f"/b/{bulk_bucket}")
    folder = next(r for r in css(browser, "tr.folder") if r.get_attribute("data-name") == "logs/")
    folder.find_element(By.CSS_SELECTOR, "a.delete-folder").click()
    count = wait_for(lambda: css(browser, "#confirm-count"), what="confirmation")[0].text
    assert count == "Delete 25 objects under logs/?"
    assert "and 5 more" in by_id(browser, "confirm-keys").text
    shot(browser, "confirm-delete")
    by_id(browser, "cancel-delete").click()
    assert s3.list_objects_v2(Bucket=bulk_bucket, Prefix="logs/")["KeyCount"] == 25  # cancel deletes nothing
    page(browser, server, f"/b/{bulk_bucket}/delete-folder?prefix=logs/")
    by_id(browser, "confirm-delete-button").click()
    assert wait_for(lambda: css(browser, "#deleted-notice"), what="notice")[0].text == "Deleted 25 objects."
    assert s3.list_objects_v2(Bucket=bulk_bucket, Prefix="logs/")["KeyCount"] == 0


def test_download_selection_as_zip(browser: Any, server: ServerProcess, bulk_bucket: str) -> None:
    for old in browser.downloads.glob("*.zip"):
        old.unlink()
    page(browser, server, f"/b/{bulk_bucket}")
    pick(browser, "logs/", "beta.txt")
    by_id(browser, "zip-selected").click()
    wait_for(lambda: by_id(browser, "zip-status").get_attribute("data-done"), what="the zip")
    assert by_id(browser, "zip-status").get_attribute("data-done") == "26", by_id(browser, "zip-status").text
    target = browser.downloads / f"{bulk_bucket}.zip"
    wait_for(lambda: target.exists() and not list(browser.downloads.glob("*.crdownload")), what="the zip file")
    with zipfile.ZipFile(io.BytesIO(target.read_bytes())) as z:
        assert z.testzip() is None  # every CRC the browser computed is right
        names = sorted(z.namelist())
        assert names[0] == "beta.txt" and len(names) == 26
        assert z.read("logs/2024/day-07.log") == b"log 7\n" and z.read("beta.txt") == b"beta.txt"


# ---- keyboard only: tab order, visible focus, labels ------------------------------------------
UNLABELLED = """return Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML.slice(0, 120));"""
FOCUS_RING = """const s = getComputedStyle(arguments[0]);
return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;"""


def press(browser: Any, *keys: str) -> Any:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()
    return browser.switch_to.active_element


def back_tab(browser: Any) -> Any:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    return browser.switch_to.active_element


def tab_to(browser: Any, target: str, limit: int = 80) -> list[str]:
    """Tab until the element with id `target` has focus; every stop must show a focus ring.
    Returns the ids (or names) of the stops on the way, in order."""
    from selenium.webdriver.common.keys import Keys

    stops: list[str] = []
    for _ in range(limit):
        el = press(browser, Keys.TAB)
        stops.append(el.get_attribute("id") or el.get_attribute("name") or el.text)
        assert browser.execute_script(FOCUS_RING, el), f"no visible focus on {el.get_attribute('outerHTML')[:120]}"
        if el.get_attribute("id") == target:
            return stops
    raise AssertionError(f"{target} not reached by Tab; stops: {stops}")


@pytest.mark.parametrize("path", ["/b/{demo}", "/b/{demo}/object?key=reports/q3.txt", "/b/{demo}/settings",
                                  "/identity", "/server", "/buckets", "/users"])
def test_every_field_has_a_label(browser: Any, server: ServerProcess, demo: str, path: str) -> None:
    page(browser, server, path.format(demo=demo))
    assert browser.execute_script(UNLABELLED) == []


def test_keyboard_only_login_share_and_copy(browser: Any, server: ServerProcess, s3: BaseClient, demo: str) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.delete_all_cookies()
    page(browser, server, "/login")
    focused = browser.switch_to.active_element  # autofocus: the access key field
    assert focused.get_attribute("id") == "access_key"
    focused.send_keys(server.access_key)
    assert press(browser, Keys.TAB).get_attribute("id") == "secret_key"
    press(browser, server.secret_key, Keys.ENTER)
    wait_for(lambda: browser.current_url.endswith(f"{PREFIX}/buckets"), what="logged in by keyboard")

    s3.put_object(Bucket=demo, Key="reports/q3.txt", Body=b"quarterly numbers\n")
    page(browser, server, f"/b/{demo}/object?key=reports/q3.txt")
    stops = tab_to(browser, "share-amount")
    assert stops.index("download") < stops.index("open-share") < stops.index("delete-object")  # reading order
    press(browser, Keys.CONTROL, "a", Keys.NULL, "2")
    assert press(browser, Keys.TAB).get_attribute("id") == "share-unit"
    assert press(browser, Keys.TAB).get_attribute("id") == "create-share"
    press(browser, Keys.ENTER)
    link = wait_for(lambda: css(browser, "#share-url"), what="the link")[0].get_attribute("value")
    assert parse_qs(urlparse(link).query)["X-Amz-Expires"] == [str(2 * 86400)]
    tab_to(browser, "copy-share")
    press(browser, Keys.ENTER)
    assert wait_for(lambda: by_id(browser, "copy-status").text, what="copied") == "Copied"


def test_keyboard_only_select_and_delete(browser: Any, server: ServerProcess, s3: BaseClient,
                                         bulk_bucket: str) -> None:
    from selenium.webdriver.common.keys import Keys

    page(browser, server, f"/b/{bulk_bucket}")
    stops = tab_to(browser, "filter")
    assert "settings" in stops and "file-input" in stops  # the page tools come first
    press(browser, "gamma")
    wait_for(lambda: visible(browser) == ["gamma.csv"], what="the filter")
    stops = tab_to(browser, "select-all")
    assert stops.index("search") < stops.index("toggle-versions")
    press(browser, Keys.SPACE)  # selects the visible rows only: gamma.csv
    assert by_id(browser, "selected-count").text == "1 selected"
    assert back_tab(browser).get_attribute("id") == "zip-selected"  # Shift+Tab: the bulk buttons, in order
    el = back_tab(browser)
    assert el.get_attribute("id") == "delete-selected", el.get_attribute("outerHTML")[:100]
    press(browser, Keys.ENTER)
    assert wait_for(lambda: css(browser, "#confirm-count"), what="confirmation")[0].text == "Delete 1 object?"
    tab_to(browser, "confirm-delete-button")
    press(browser, Keys.ENTER)
    wait_for(lambda: css(browser, "#deleted-notice"), what="deleted")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bulk_bucket)["Contents"]]
    assert "gamma.csv" not in keys and "beta.txt" in keys
