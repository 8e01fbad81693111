"""Issue 21 in a real browser: share links, versions, tags and metadata, find and bulk
actions, bucket settings, the server page and identity tools, each checked through the
S3 API with boto3 afterwards; plus keyboard-only use of the main flows.

Same setup as test_console_browser.py (Debian chromium + chromium-driver via selenium);
screenshots go to $RUCKET_SCREENSHOTS (docs/images to refresh the committed ones).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from botocore.client import BaseClient

from rucket.core.paths import ADMIN
from rucket.core.paths import CONSOLE as PREFIX
from tests.integration.conftest import _empty
from tests.integration.test_console_browser import browser, by_id, css, log_in, shot, wait_for
from tests.server import ServerProcess

__all__ = ["browser"]  # the module-scoped chromium fixture, shared with the first browser tests


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


def _fill(browser: Any, id_: str, text: str) -> None:
    field = by_id(browser, id_)
    field.clear()
    field.send_keys(text)


def test_tags_and_metadata_edit(browser: Any, server: ServerProcess, s3: BaseClient, demo: str) -> None:
    s3.put_object(Bucket=demo, Key="img/logo.bin", Body=b"\x89PNG-not-really", ContentType="application/octet-stream",
                  Metadata={"owner": "web"}, Tagging="team=web")
    page(browser, server, f"/b/{demo}/object?key=img/logo.bin")
    assert by_id(browser, "tag-key-0").get_attribute("value") == "team"
    _fill(browser, "tag-value-0", "design")
    _fill(browser, "tag-key-1", "x" * 129)  # over S3's 128-character limit: the server says no
    _fill(browser, "tag-value-1", "v")
    by_id(browser, "save-tags").click()
    assert wait_for(lambda: css(browser, "#error-tags"), what="the tag error")[0].text.startswith("InvalidTag")
    _fill(browser, "tag-key-1", "stage")
    _fill(browser, "tag-value-1", "prod")
    by_id(browser, "save-tags").click()
    saved(browser, "tags")
    tags = s3.get_object_tagging(Bucket=demo, Key="img/logo.bin")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "prod"), ("team", "design")]
    _fill(browser, "hdr-content-type", "image/png")
    _fill(browser, "hdr-cache-control", "max-age=60")
    _fill(browser, "meta-key-1", "reviewed")
    _fill(browser, "meta-value-1", "yes")
    by_id(browser, "save-metadata").click()
    saved(browser, "metadata")
    head = s3.head_object(Bucket=demo, Key="img/logo.bin")
    assert head["ContentType"] == "image/png" and head["CacheControl"] == "max-age=60"
    assert head["Metadata"] == {"owner": "web", "reviewed": "yes"}
    assert s3.get_object(Bucket=demo, Key="img/logo.bin")["Body"].read() == b"\x89PNG-not-really"
    assert len(s3.get_object_tagging(Bucket=demo, Key="img/logo.bin")["TagSet"]) == 2  # tags copied along
    assert "x-amz-meta-reviewed" in by_id(browser, "details").text
    full_shot(browser, "object-tags-metadata")


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


def _visible(browser: Any) -> list[str]:
    return [r.get_attribute("data-name") for r in css(browser, "tr.object, tr.folder") if r.is_displayed()]


def _pick(browser: Any, *names: str) -> None:
    from selenium.webdriver.common.by import By

    for r in css(browser, "tr.object, tr.folder"):
        if r.get_attribute("data-name") in names:
            r.find_element(By.CSS_SELECTOR, "input.pick-row").click()


def test_filter_select_delete_many(browser: Any, server: ServerProcess, s3: BaseClient, bulk_bucket: str) -> None:
    from selenium.webdriver.common.keys import Keys

    page(browser, server, f"/b/{bulk_bucket}")
    by_id(browser, "filter").send_keys("ta")  # client-side substring: beta.txt
    wait_for(lambda: _visible(browser) == ["beta.txt"], what="the filtered rows")
    _fill(browser, "filter", "lo")
    wait_for(lambda: _visible(browser) == ["logs/", "logo.png"], what="logs/ and logo.png")
    by_id(browser, "filter").send_keys(Keys.ENTER)  # server-side: prefix "lo"
    wait_for(lambda: "search=lo" in browser.current_url, what="the server search")
    assert _visible(browser) == ["logs/", "logo.png"]
    page(browser, server, f"/b/{bulk_bucket}")
    assert by_id(browser, "delete-selected").get_attribute("disabled")
    _pick(browser, "alpha.txt", "gamma.csv")
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
    _pick(browser, "logs/", "beta.txt")
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


def _save_panel(browser: Any, name: str) -> None:
    by_id(browser, f"save-{name}").click()


def saved(browser: Any, what: str) -> None:
    """The page after the save says so (not the notice of the save before, still on screen)."""
    wait_for(lambda: any(e.text == f"Saved: {what}." for e in css(browser, "#saved")), what=f"saved {what}")


def test_bucket_settings_lock_encryption_tags_pab(browser: Any, server: ServerProcess, s3: BaseClient,
                                                  locked_bucket: str) -> None:
    from selenium.webdriver.support.ui import Select

    status, _ = admin_call(server, "POST", "kms/keys", {"key_id": f"console-{locked_bucket}"})
    assert status == 201
    page(browser, server, f"/b/{locked_bucket}/settings")
    offered = [o.get_attribute("value") for o in css(browser, "#kms-keys option")]
    assert f"console-{locked_bucket}" in offered  # the root user picks from the server's KMS keys
    assert "no bucket quotas" in by_id(browser, "quota-note").text
    Select(by_id(browser, "lock-mode")).select_by_visible_text("GOVERNANCE")
    _fill(browser, "lock-amount", "0")  # the server refuses a zero-day retention, and the page says why
    _save_panel(browser, "object-lock")
    error = wait_for(lambda: css(browser, "#error-object-lock"), what="the lock error")[0].text
    assert error.startswith("InvalidRetentionPeriod"), error
    assert by_id(browser, "lock-amount").get_attribute("value") == "0"  # kept to fix in place
    _fill(browser, "lock-amount", "5")
    _save_panel(browser, "object-lock")
    saved(browser, "object-lock")
    rule = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]["Rule"]
    assert rule["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 5}

    Select(by_id(browser, "enc-algorithm")).select_by_visible_text("SSE-S3 (AES256)")
    _save_panel(browser, "encryption")
    saved(browser, "encryption")
    rules = s3.get_bucket_encryption(Bucket=locked_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    Select(by_id(browser, "enc-algorithm")).select_by_visible_text("SSE-KMS")
    _fill(browser, "enc-kms-key", f"console-{locked_bucket}")
    _save_panel(browser, "encryption")
    saved(browser, "encryption")
    rules = s3.get_bucket_encryption(Bucket=locked_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    default = rules[0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"].endswith(f"console-{locked_bucket}")

    _fill(browser, "btag-key-0", "cost-center")
    _fill(browser, "btag-value-0", "42")
    _save_panel(browser, "tagging")
    saved(browser, "tagging")
    assert s3.get_bucket_tagging(Bucket=locked_bucket)["TagSet"] == [{"Key": "cost-center", "Value": "42"}]

    for flag in ("BlockPublicAcls", "BlockPublicPolicy"):
        by_id(browser, f"pab-{flag}").click()
    _save_panel(browser, "public-access-block")
    saved(browser, "public-access-block")
    pab = s3.get_public_access_block(Bucket=locked_bucket)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": False}
    full_shot(browser, "bucket-settings")


def test_server_page_disks_counts_version_uptime(browser: Any, server: ServerProcess, s3: BaseClient,
                                                 bulk_bucket: str) -> None:
    import shutil

    from selenium.webdriver.common.by import By

    import rucket

    page(browser, server, "/server")
    assert by_id(browser, "version").text == rucket.__version__
    assert by_id(browser, "uptime").text.endswith("s") or "m" in by_id(browser, "uptime").text
    (disk,) = css(browser, "#disks tr.disk")
    assert str(server.data_dir.resolve()) in disk.text
    total = shutil.disk_usage(server.data_dir).total
    assert disk.find_element(By.CSS_SELECTOR, ".disk-total").text.split()[0] in f"{total / 1024**3:.1f}"
    assert disk.find_element(By.CSS_SELECTOR, "svg.gauge").get_attribute("aria-valuenow")
    row = next(r for r in css(browser, "#bucket-usage tr") if r.text.startswith(bulk_bucket))
    assert row.text.split()[1] == "29"  # 25 logs and 4 top-level objects
    # drawn with the page (no script, no second sample): the charts are never empty on first load
    bars = css(browser, "#chart-bucket-objects rect")
    assert bars and any(bulk_bucket in (b.find_element(By.TAG_NAME, "title").get_attribute("textContent"))
                        for b in bars)
    shot(browser, "server")


def test_metrics_charts_draw_on_first_load(browser: Any, server: ServerProcess, s3: BaseClient, demo: str) -> None:
    s3.put_object(Bucket=demo, Key="metrics-probe", Body=b"x" * 1000)
    page(browser, server, "/metrics")
    wait_for(lambda: css(browser, "#chart-requests polyline"), timeout=5, what="a line soon after loading")
    wait_for(lambda: css(browser, "#chart-storage rect"), timeout=5, what="storage bars soon after loading")


def test_identity_service_account_expiry_and_simulator(browser: Any, server: ServerProcess, s3: BaseClient,
                                                       demo: str) -> None:
    from botocore.exceptions import ClientError
    from selenium.webdriver.support.ui import Select

    from tests.integration.conftest import make_client

    user = f"svc-{uuid.uuid4().hex[:6]}"
    everything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{demo}", f"arn:aws:s3:::{demo}/*"]}]}
    assert admin_call(server, "PUT", f"policies/{user}", everything)[0] == 200
    assert admin_call(server, "POST", "users", {"name": user, "with_key": False})[0] == 201
    assert admin_call(server, "PUT", f"users/{user}/policies/{user}")[0] == 200
    try:
        page(browser, server, "/identity")
        Select(by_id(browser, "key-user")).select_by_visible_text(user)
        _fill(browser, "key-days", "30")
        _fill(browser, "key-description", "read-only job")
        by_id(browser, "key-policy").send_keys('{"Statement": [{"Effect": "Sometimes"}]}')
        by_id(browser, "create-key").click()
        assert wait_for(lambda: css(browser, "#error-new-key"), what="policy error")[0].text.startswith(
            "MalformedPolicy")
        read = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                        "Resource": f"arn:aws:s3:::{demo}/*"}]}
        by_id(browser, "key-policy").clear()
        by_id(browser, "key-policy").send_keys(json.dumps(read))
        by_id(browser, "create-key").click()
        ak = wait_for(lambda: css(browser, "#new-access-key"), what="the new key")[0].text
        sk = by_id(browser, "new-secret-key").text
        row = next(r for r in css(browser, "#keys tr.key") if r.get_attribute("data-key") == ak)
        assert "service account" in row.text and "read-only job" in row.text and "enabled" in row.text
        assert "never" not in row.text  # 30 days from now
        client = make_client(server, key=ak, secret=sk)
        s3.put_object(Bucket=demo, Key="sa.txt", Body=b"hello")
        assert client.get_object(Bucket=demo, Key="sa.txt")["Body"].read() == b"hello"
        with pytest.raises(ClientError):
            client.put_object(Bucket=demo, Key="sa.txt", Body=b"overwrite")

        _fill(browser, "sim-principal", ak)
        _fill(browser, "sim-action", "s3:PutObject")
        _fill(browser, "sim-resource", f"arn:aws:s3:::{demo}/sa.txt")
        by_id(browser, "simulate").click()
        assert wait_for(lambda: css(browser, "#decision"), what="the answer")[0].text == "Denied"
        assert "service account policy" in by_id(browser, "reason").text
        _fill(browser, "sim-action", "s3:GetObject")
        by_id(browser, "simulate").click()
        wait_for(lambda: by_id(browser, "decision").text == "Allowed", what="allowed")
        assert "identity policy" in by_id(browser, "reason").text
        full_shot(browser, "identity")

        row = next(r for r in css(browser, "#keys tr.key") if r.get_attribute("data-key") == ak)
        from selenium.webdriver.common.by import By

        row.find_element(By.NAME, "expires_days").send_keys("0")
        row.find_element(By.CSS_SELECTOR, "button").click()
        assert "1 to 36500 days" in wait_for(lambda: css(browser, "#error"), what="expiry error")[0].text
    finally:
        admin_call(server, "DELETE", f"users/{user}")
        admin_call(server, "DELETE", f"policies/{user}")


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
    wait_for(lambda: _visible(browser) == ["gamma.csv"], what="the filter")
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
