"""Issue 21 in a real browser, the bucket-settings, server and identity pages: each change is
checked through the S3 or admin API afterwards. Same setup as test_console_browser.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.client import BaseClient

from rucket.core.paths import CONSOLE as PREFIX
from tests.integration.console_pages import (
    admin_call,
    bulk_bucket,
    demo,
    fill,
    full_shot,
    locked_bucket,
    page,
    save_panel,
    saved,
)
from tests.integration.test_console_browser import browser, by_id, css, log_in, shot, wait_for
from tests.server import ServerProcess

__all__ = ["browser", "bulk_bucket", "demo", "locked_bucket"]  # fixtures


def test_01_log_in(browser: Any, server: ServerProcess) -> None:
    log_in(browser, server, server.access_key, server.secret_key)
    wait_for(lambda: browser.current_url.endswith(f"{PREFIX}/buckets"), what="the bucket list")


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
    fill(browser, "lock-amount", "0")  # the server refuses a zero-day retention, and the page says why
    save_panel(browser, "object-lock")
    error = wait_for(lambda: css(browser, "#error-object-lock"), what="the lock error")[0].text
    assert error.startswith("InvalidRetentionPeriod"), error
    assert by_id(browser, "lock-amount").get_attribute("value") == "0"  # kept to fix in place
    fill(browser, "lock-amount", "5")
    save_panel(browser, "object-lock")
    saved(browser, "object-lock")
    rule = s3.get_object_lock_configuration(Bucket=locked_bucket)["ObjectLockConfiguration"]["Rule"]
    assert rule["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 5}

    Select(by_id(browser, "enc-algorithm")).select_by_visible_text("SSE-S3 (AES256)")
    save_panel(browser, "encryption")
    saved(browser, "encryption")
    rules = s3.get_bucket_encryption(Bucket=locked_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    Select(by_id(browser, "enc-algorithm")).select_by_visible_text("SSE-KMS")
    fill(browser, "enc-kms-key", f"console-{locked_bucket}")
    save_panel(browser, "encryption")
    saved(browser, "encryption")
    rules = s3.get_bucket_encryption(Bucket=locked_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    default = rules[0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms" and default["KMSMasterKeyID"].endswith(f"console-{locked_bucket}")

    fill(browser, "btag-key-0", "cost-center")
    fill(browser, "btag-value-0", "42")
    save_panel(browser, "tagging")
    saved(browser, "tagging")
    assert s3.get_bucket_tagging(Bucket=locked_bucket)["TagSet"] == [{"Key": "cost-center", "Value": "42"}]

    for flag in ("BlockPublicAcls", "BlockPublicPolicy"):
        by_id(browser, f"pab-{flag}").click()
    save_panel(browser, "public-access-block")
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
        fill(browser, "key-days", "30")
        fill(browser, "key-description", "read-only job")
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

        fill(browser, "sim-principal", ak)
        fill(browser, "sim-action", "s3:PutObject")
        fill(browser, "sim-resource", f"arn:aws:s3:::{demo}/sa.txt")
        by_id(browser, "simulate").click()
        assert wait_for(lambda: css(browser, "#decision"), what="the answer")[0].text == "Denied"
        assert "service account policy" in by_id(browser, "reason").text
        fill(browser, "sim-action", "s3:GetObject")
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
