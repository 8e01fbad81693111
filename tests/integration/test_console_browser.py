"""The console's main flows in a real browser: Debian chromium + chromium-driver, via selenium.

Log in, create a bucket, upload a 20 MiB file with a progress bar (multipart through
presigned URLs), download it and compare SHA-256, set a bucket policy with an error and then
fix it, manage users, watch the metrics charts. Screenshots of each page are written to
docs/images/ (committed, so the README and the issue can show them).

The browser is installed by `make test` (root, apt) when missing; without it these tests
skip locally and fail in CI (CI=true), where they must run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from rucket.core.paths import CONSOLE
from tests.server import ServerProcess

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# Screenshots are test artifacts (build/screenshots, git-ignored); RUCKET_SCREENSHOTS=docs/images refreshes
# the committed ones in the README's docs/images instead.
IMAGES = Path(__file__).resolve().parents[2] / os.environ.get("RUCKET_SCREENSHOTS", "build/screenshots")
MiB = 1024 * 1024
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]


def _unavailable() -> str:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if not CHROMIUM or not DRIVER:
        return "chromium / chromium-driver not installed (apt-get install -y chromium chromium-driver)"
    return ""


@pytest.fixture(scope="module")
def browser(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI", "false").lower() == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    home = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in [*FLAGS, f"--user-data-dir={home / 'profile'}"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(home / "downloads"),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER or ""), options=options)
    driver.downloads = home / "downloads"  # type: ignore[attr-defined]
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow",
                                                           "downloadPath": str(home / "downloads")})
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module", autouse=True)
def demo_buckets(server: ServerProcess) -> Iterator[None]:
    """The buckets the flows create are removed afterwards, so other tests see a clean server."""
    yield
    from tests.integration.conftest import _empty, make_client

    s3 = make_client(server)
    for name in ("console-demo", "photos", "logs"):
        try:
            _empty(s3, name)
            s3.delete_bucket(Bucket=name)
        except s3.exceptions.ClientError:
            pass


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


def wait_for(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (StaleElementReferenceException, NoSuchElementException):  # the page re-rendered under us
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def shot(driver: Any, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(IMAGES / f"console-{name}.png"))


def by_id(driver: Any, id_: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, id_)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def log_in(driver: Any, server: ServerProcess, key: str, secret: str) -> None:
    driver.get(server.endpoint + f"{CONSOLE}/login")
    by_id(driver, "access_key").send_keys(key)
    by_id(driver, "secret_key").send_keys(secret)
    by_id(driver, "login").click()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_01_login(browser: Any, server: ServerProcess) -> None:
    log_in(browser, server, server.access_key, "wrong-secret")
    assert "Invalid access key" in by_id(browser, "error").text
    browser.get(server.endpoint + f"{CONSOLE}/login")
    shot(browser, "login")
    log_in(browser, server, server.access_key, server.secret_key)
    wait_for(lambda: browser.current_url.endswith(f"{CONSOLE}/buckets"), what="the bucket list")
    assert by_id(browser, "logout").is_displayed()


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="480" height="270">'
       b'<rect width="480" height="270" fill="#7fb2ff"/>'
       b'<circle cx="380" cy="70" r="40" fill="#ffd34d"/><path d="M0 200 Q120 150 240 200 T480 200 V270 H0Z" '
       b'fill="#2f6fde"/><rect y="235" width="480" height="35" fill="#f2d9a0"/></svg>')


def test_02_create_bucket(browser: Any, server: ServerProcess, s3: BaseClient) -> None:
    for name, keys in (("photos", {"2024/beach.svg": SVG}), ("logs", {"app/2024-06-01.log": b"ok\n" * 2000})):
        if name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=name)
        for key, body in keys.items():
            s3.put_object(Bucket=name, Key=key, Body=body)
    browser.get(server.endpoint + f"{CONSOLE}/buckets")
    by_id(browser, "bucket-name").send_keys("console-demo")
    by_id(browser, "create").click()
    wait_for(lambda: browser.current_url.endswith(f"{CONSOLE}/b/console-demo"), what="the new bucket's page")
    assert "console-demo" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    browser.get(server.endpoint + f"{CONSOLE}/buckets")
    assert "console-demo" in by_id(browser, "buckets").text
    shot(browser, "buckets")


def test_03_upload_20_mib_with_progress(browser: Any, server: ServerProcess, s3: BaseClient, files: Path) -> None:
    big = files / "dataset.bin"
    big.write_bytes(os.urandom(20 * MiB))
    (files / "notes.txt").write_text("Rucket console upload test.\nSecond line.\n")
    browser.get(server.endpoint + f"{CONSOLE}/b/console-demo")
    browser.execute_script("document.getElementById('upload').dataset.stay = '1'")  # no reload: watch the rows
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {  # slow enough to see the bar move
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 6 * MiB})
    try:
        by_id(browser, "file-input").send_keys(f"{big}\n{files / 'notes.txt'}")
        seen: set[int] = set()

        def progressed() -> bool:
            value = browser.execute_script("const p = document.querySelector('#transfers progress');"
                                           "return p ? Math.floor(100 * p.value / p.max) : -1")
            seen.add(int(value))
            if 30 <= value <= 80 and "progress" not in shots:
                shot(browser, "upload-progress")
                shots.add("progress")
            return browser.execute_script("return document.getElementById('upload').dataset.finished") == "2"

        shots: set[str] = set()
        wait_for(progressed, timeout=120, what="both uploads")
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert any(0 < p < 100 for p in seen), f"no intermediate progress observed: {sorted(seen)}"
    assert all("done" in row.get_attribute("class") for row in css(browser, "#transfers li"))
    if "progress" not in shots:
        shot(browser, "upload-progress")
    got = s3.get_object(Bucket="console-demo", Key="dataset.bin")
    assert hashlib.sha256(got["Body"].read()).hexdigest() == sha256(big)
    if _has_multipart(s3):  # 8 MiB parts; without multipart (501) the page falls back to one PUT
        assert got["ETag"].endswith('-3"'), got["ETag"]
    browser.refresh()
    assert "dataset.bin" in by_id(browser, "objects").text
    shot(browser, "object-browser")


def _has_multipart(s3: BaseClient) -> bool:
    from botocore.exceptions import ClientError

    try:
        upload = s3.create_multipart_upload(Bucket="console-demo", Key="probe")
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 501
        return False
    s3.abort_multipart_upload(Bucket="console-demo", Key="probe", UploadId=upload["UploadId"])
    return True


def test_04_download_matches(browser: Any, server: ServerProcess, files: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.endpoint + f"{CONSOLE}/b/console-demo")
    row = next(r for r in css(browser, "tr.object") if "dataset.bin" in r.text)
    row.find_element(By.CSS_SELECTOR, "a.download").click()
    target = browser.downloads / "dataset.bin"
    wait_for(lambda: target.exists() and not list(browser.downloads.glob("*.crdownload")), timeout=60,
             what="the download")
    assert sha256(target) == sha256(files / "dataset.bin")


def test_05_preview_text_and_image(browser: Any, server: ServerProcess) -> None:
    browser.get(server.endpoint + f"{CONSOLE}/b/console-demo/object?key=notes.txt")
    assert "Second line." in by_id(browser, "preview").text
    browser.get(server.endpoint + f"{CONSOLE}/b/photos/object?key=2024/beach.svg")
    image = css(browser, "#preview img")[0]
    wait_for(lambda: browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image),
             what="the image preview to load")
    shot(browser, "object-preview")


def test_06_policy_error_then_fix(browser: Any, server: ServerProcess, s3: BaseClient) -> None:
    browser.get(server.endpoint + f"{CONSOLE}/b/console-demo/settings")
    editor = by_id(browser, "doc-policy")
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Allowed", "Principal": "*",
                                                     "Action": "s3:GetObject",
                                                     "Resource": "arn:aws:s3:::console-demo/*"}]}
    editor.clear()
    editor.send_keys(json.dumps(broken, indent=2))
    by_id(browser, "save-policy").click()
    error = wait_for(lambda: css(browser, "#error-policy"), what="the policy error")[0]
    assert error.text.startswith("MalformedPolicy")
    browser.execute_script("document.getElementById('panel-policy').scrollIntoView()")
    shot(browser, "policy-error")
    editor = by_id(browser, "doc-policy")
    assert "Allowed" in editor.get_attribute("value")  # the rejected text is still there to fix
    browser.execute_script("arguments[0].value = arguments[0].value.replace('Allowed', 'Allow')", editor)
    by_id(browser, "save-policy").click()
    wait_for(lambda: css(browser, "#saved"), what="the saved notice")
    assert json.loads(s3.get_bucket_policy(Bucket="console-demo")["Policy"])["Statement"][0]["Effect"] == "Allow"
    assert not css(browser, "#error-policy")


def test_07_users(browser: Any, server: ServerProcess) -> None:
    browser.get(server.endpoint + f"{CONSOLE}/users")
    by_id(browser, "policy-name").send_keys("read-console-demo")
    by_id(browser, "policy-document").send_keys(json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                                 "Resource": ["arn:aws:s3:::console-demo",
                                                              "arn:aws:s3:::console-demo/*"]}]}))
    by_id(browser, "save-identity-policy").click()
    wait_for(lambda: "read-console-demo" in by_id(browser, "users").text, what="the policy in the attach list")
    by_id(browser, "user-name").send_keys(f"ann-{uuid.uuid4().hex[:4]}")
    by_id(browser, "add-user").click()
    secret = wait_for(lambda: css(browser, "#new-secret-key"), what="the new secret")[0].text
    assert len(secret) >= 20
    shot(browser, "users")


def test_08_metrics_charts(browser: Any, server: ServerProcess, s3: BaseClient) -> None:
    stop = threading.Event()

    def traffic() -> None:  # a little steady load, so the charts have something to draw
        i = 0
        while not stop.is_set():
            s3.put_object(Bucket="logs", Key=f"app/tick-{i % 20}.log", Body=b"x" * 4096 * (1 + i % 8))
            s3.get_object(Bucket="logs", Key=f"app/tick-{i % 20}.log")["Body"].read()
            s3.head_bucket(Bucket="console-demo")
            i += 1
            time.sleep(0.02 * (1 + i % 5))

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    try:
        browser.get(server.endpoint + f"{CONSOLE}/metrics")
        wait_for(lambda: int(browser.execute_script(
            "return document.getElementById('charts').dataset.samples || 0")) >= 6, timeout=30, what="six samples")
    finally:
        stop.set()
        worker.join(timeout=10)
    assert css(browser, "#chart-requests polyline") and css(browser, "#chart-storage rect")
    shot(browser, "metrics")


def test_09_server_overview(browser: Any, server: ServerProcess) -> None:
    browser.get(server.endpoint + f"{CONSOLE}/server")
    assert "ObjectPut" in by_id(browser, "events").text
    shot(browser, "server")
