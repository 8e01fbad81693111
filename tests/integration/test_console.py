"""The web console over HTTP: sessions, CSRF, and that every action is the user's own S3 or
admin request (never more than the user may do). The browser flows are in test_console_browser.py."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests
from botocore.client import BaseClient

from rucket.console.session import COOKIE
from rucket.core.paths import CONSOLE
from tests.integration.conftest import ALT_KEY, ALT_SECRET, make_client
from tests.integration.console_client import ConsoleSession, alerts
from tests.server import ServerProcess


@pytest.fixture
def root(server: ServerProcess) -> ConsoleSession:
    console = ConsoleSession(server)
    assert console.login(server.access_key, server.secret_key).status_code == 303
    return console


@pytest.fixture
def alt(server: ServerProcess) -> ConsoleSession:
    console = ConsoleSession(server)
    assert console.login(ALT_KEY, ALT_SECRET).status_code == 303
    return console


def test_pages_need_a_session(server: ServerProcess) -> None:
    anon = ConsoleSession(server)
    for path in (f"{CONSOLE}/buckets", f"{CONSOLE}/users", f"{CONSOLE}/b/x", f"{CONSOLE}/metrics"):
        resp = anon.get(path)
        assert resp.status_code == 303 and resp.headers["location"] == f"{CONSOLE}/login"


@pytest.mark.parametrize(("key", "secret"), [(ALT_KEY, "wrong"), ("nobody", "x"), ("", "")])
def test_login_with_bad_credentials_is_401(server: ServerProcess, key: str, secret: str) -> None:
    console = ConsoleSession(server)
    resp = console.login(key, secret)
    assert resp.status_code == 401 and COOKIE not in console.http.cookies


def test_session_cookie_flags(server: ServerProcess) -> None:
    resp = ConsoleSession(server).login(server.access_key, server.secret_key)
    cookies = resp.raw.headers.getlist("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{COOKIE}="))
    assert all(flag in session for flag in ("HttpOnly", "SameSite=Strict", f"Path={CONSOLE}"))
    assert not any(server.secret_key in c for c in cookies)


def test_login_form_token_is_required(server: ServerProcess) -> None:
    resp = requests.post(server.endpoint + f"{CONSOLE}/login", timeout=10, allow_redirects=False,
                         data={"access_key": server.access_key, "secret_key": server.secret_key})
    assert resp.status_code == 403


def test_state_change_without_csrf_token_is_refused(root: ConsoleSession) -> None:
    name = f"c-{uuid.uuid4().hex[:12]}"
    assert root.post(f"{CONSOLE}/buckets", {"name": name}, csrf=False).status_code == 403
    assert root.post(f"{CONSOLE}/buckets", {"name": name, "csrf": "0" * 64}, csrf=False).status_code == 403
    cross = root.post(f"{CONSOLE}/buckets", {"name": name}, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    assert root.get(f"{CONSOLE}/b/{name}").status_code == 404  # nothing was created


def test_tampered_cookie_is_no_session(root: ConsoleSession) -> None:
    value = root.http.cookies[COOKIE]
    root.http.cookies.set(COOKIE, value[:-3] + "AAA", path=f"{CONSOLE}")
    assert root.get(f"{CONSOLE}/buckets").status_code == 303


def test_logout_ends_the_session(root: ConsoleSession) -> None:
    assert root.post(f"{CONSOLE}/logout").status_code == 303
    assert root.get(f"{CONSOLE}/buckets").status_code == 303


def test_create_browse_download_delete(root: ConsoleSession, s3: BaseClient) -> None:
    name = f"c-{uuid.uuid4().hex[:12]}"
    resp = root.post(f"{CONSOLE}/buckets", {"name": name})
    assert resp.status_code == 303 and resp.headers["location"] == f"{CONSOLE}/b/{name}"
    s3.put_object(Bucket=name, Key="docs/readme.txt", Body=b"hello console", ContentType="text/plain")
    s3.put_object(Bucket=name, Key="top.bin", Body=b"\x00\x01")
    top = root.get(f"{CONSOLE}/b/{name}").text
    assert "docs/" in top and "top.bin" in top and "readme.txt" not in top
    assert "readme.txt" in root.get(f"{CONSOLE}/b/{name}", params={"prefix": "docs/"}).text
    shown = root.get(f"{CONSOLE}/b/{name}/object", params={"key": "docs/readme.txt"})
    assert shown.status_code == 200 and "hello console" in shown.text
    link = root.get(f"{CONSOLE}/b/{name}/download", params={"key": "docs/readme.txt"})
    assert link.status_code == 303
    got = requests.get(root.base + link.headers["location"], timeout=10)
    assert got.content == b"hello console" and got.headers["content-disposition"].startswith("attachment")
    assert root.post(f"{CONSOLE}/b/{name}/object/delete", {"key": "docs/readme.txt"}).status_code == 303
    assert root.post(f"{CONSOLE}/b/{name}/object/delete", {"key": "top.bin"}).status_code == 303
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    assert root.post(f"{CONSOLE}/b/{name}/delete").status_code == 303


def test_invalid_bucket_name_shows_the_s3_error(root: ConsoleSession) -> None:
    resp = root.post(f"{CONSOLE}/buckets", {"name": "Not_Valid"})
    assert resp.status_code == 400 and alerts(resp.text)[0].startswith("InvalidBucketName")


def test_presign_api_returns_urls_that_work(root: ConsoleSession, s3: BaseClient, bucket: str) -> None:
    put = root.api(f"{CONSOLE}/api/presign", {"op": "put", "bucket": bucket, "key": "via/presign.txt"})
    assert put.status_code == 200
    assert requests.put(root.base + put.json()["url"], data=b"abc", timeout=10).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="via/presign.txt")["Body"].read() == b"abc"
    bad = root.api(f"{CONSOLE}/api/presign", {"op": "parts", "bucket": bucket, "key": "k", "upload_id": "u",
                                            "parts": [0]})
    assert bad.status_code == 400
    no_csrf = root.http.post(root.base + f"{CONSOLE}/api/presign", json={"op": "put", "bucket": bucket, "key": "x"},
                             timeout=10)
    assert no_csrf.status_code == 403


def test_console_obeys_policies_exactly_like_s3(root: ConsoleSession, alt: ConsoleSession, s3: BaseClient,
                                                 s3_alt: BaseClient, bucket: str) -> None:
    """alt may do through the console exactly what its own SDK requests may do, no more."""
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"secret")
    assert alt.get(f"{CONSOLE}/b/{bucket}").status_code == 403
    assert alt.get(f"{CONSOLE}/b/{bucket}/object", params={"key": "k.txt"}).status_code == 403
    denied = alt.post(f"{CONSOLE}/b/{bucket}/object/delete", {"key": "k.txt"})
    assert denied.status_code == 403 and alerts(denied.text)[0].startswith("AccessDenied")
    presigned = alt.api(f"{CONSOLE}/api/presign", {"op": "put", "bucket": bucket, "key": "k.txt"}).json()["url"]
    assert requests.put(alt.base + presigned, data=b"overwrite", timeout=10).status_code == 403
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]},
              "Action": ["s3:ListBucket", "s3:GetObject"],
              "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    saved = root.post(f"{CONSOLE}/b/{bucket}/settings/policy", {"document": json.dumps(policy)})
    assert saved.status_code == 303
    assert alt.get(f"{CONSOLE}/b/{bucket}").status_code == 200
    assert "secret" in alt.get(f"{CONSOLE}/b/{bucket}/object", params={"key": "k.txt"}).text
    assert alt.post(f"{CONSOLE}/b/{bucket}/object/delete", {"key": "k.txt"}).status_code == 403  # still no delete
    assert s3_alt.get_object(Bucket=bucket, Key="k.txt")["Body"].read() == b"secret"  # same answer as the SDK
    assert alt.get(f"{CONSOLE}/users").status_code == 403
    assert alt.get(f"{CONSOLE}/api/metrics").status_code == 403


def test_settings_editors_show_server_errors_and_save(root: ConsoleSession, s3: BaseClient, bucket: str) -> None:
    bad = root.post(f"{CONSOLE}/b/{bucket}/settings/policy", {"document": '{"Statement": [{"Effect": "Maybe"}]}'})
    assert bad.status_code == 400 and alerts(bad.text, "error-policy")[0].startswith("MalformedPolicy")
    assert "Maybe" in bad.text  # the rejected text stays in the editor
    not_json = root.post(f"{CONSOLE}/b/{bucket}/settings/cors", {"document": '{"CORSRules": ['})
    assert not_json.status_code == 400 and alerts(not_json.text, "error-cors")
    rules = {"Rules": [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]}
    assert root.post(f"{CONSOLE}/b/{bucket}/settings/lifecycle", {"document": json.dumps(rules)}).status_code == 303
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == "tmp"
    cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["https://a.example"]}]}
    assert root.post(f"{CONSOLE}/b/{bucket}/settings/cors", {"document": json.dumps(cors)}).status_code == 303
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"] == ["https://a.example"]
    assert root.post(f"{CONSOLE}/b/{bucket}/settings/versioning", {"status": "Enabled"}).status_code == 303
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    page = root.get(f"{CONSOLE}/b/{bucket}/settings").text
    assert "tmp/" in page and "https://a.example" in page
    assert root.post(f"{CONSOLE}/b/{bucket}/settings/lifecycle", {"document": ""}).status_code == 303  # empty: delete
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_users_keys_and_policies(root: ConsoleSession, server: ServerProcess, bucket: str) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    created = root.post(f"{CONSOLE}/users", {"name": name})
    assert created.status_code == 201
    key = re.search(r'id="new-access-key">([^<]+)', created.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="new-secret-key">([^<]+)', created.text).group(1)  # type: ignore[union-attr]
    user_console = ConsoleSession(server)
    assert user_console.login(key, secret).status_code == 303
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                   "Resource": f"arn:aws:s3:::{bucket}"}]}
    bad = root.post(f"{CONSOLE}/policies", {"name": f"p-{name}", "document": '{"Statement": 1}'})
    assert bad.status_code == 400 and alerts(bad.text, "error-identity-policy")[0].startswith("MalformedPolicy")
    assert root.post(f"{CONSOLE}/policies", {"name": f"p-{name}", "document": json.dumps(doc)}).status_code == 303
    assert user_console.get(f"{CONSOLE}/b/{bucket}").status_code == 403
    assert root.post(f"{CONSOLE}/users/{name}/policies", {"policy": f"p-{name}", "action": "attach"}).status_code == 303
    assert user_console.get(f"{CONSOLE}/b/{bucket}").status_code == 200
    assert root.post(f"{CONSOLE}/keys/{key}/state", {"enabled": "false"}).status_code == 303
    assert user_console.get(f"{CONSOLE}/buckets").status_code == 303  # a disabled key ends its sessions
    client = make_client(server, key=key, secret=secret)
    with pytest.raises(client.exceptions.ClientError):
        client.list_objects_v2(Bucket=bucket)
    assert root.post(f"{CONSOLE}/users/{name}/delete").status_code == 303
    assert root.post(f"{CONSOLE}/policies/p-{name}/delete").status_code == 303
    assert name not in root.get(f"{CONSOLE}/users").text


def test_root_pages_render(root: ConsoleSession) -> None:
    for path in (f"{CONSOLE}/buckets", f"{CONSOLE}/users", f"{CONSOLE}/metrics", f"{CONSOLE}/server"):
        assert root.get(path).status_code == 200, path
    metrics = root.get(f"{CONSOLE}/api/metrics")
    assert metrics.status_code == 200 and "rucket_s3_requests_total" in metrics.text


def test_security_headers(root: ConsoleSession) -> None:
    headers = root.get(f"{CONSOLE}/buckets").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "same-origin"


def test_s3_documents_opened_by_a_browser_are_sandboxed(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    """An uploaded HTML file opened as a page must not run with the console's origin."""
    s3.put_object(Bucket=bucket, Key="x.html", Body=b"<script>alert(1)</script>", ContentType="text/html")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "x.html"})
    page = requests.get(url, headers={"sec-fetch-dest": "document"}, timeout=10)
    assert page.status_code == 200 and page.headers["content-security-policy"] == "sandbox"
    assert "content-security-policy" not in requests.get(url, timeout=10).headers  # SDKs see plain S3


def test_bucket_named_console_stays_reachable_by_sdk(s3: BaseClient) -> None:
    s3.create_bucket(Bucket="console")
    try:
        s3.put_object(Bucket="console", Key="k", Body=b"v")
        assert s3.get_object(Bucket="console", Key="k")["Body"].read() == b"v"
    finally:
        s3.delete_object(Bucket="console", Key="k")
        s3.delete_bucket(Bucket="console")
