"""Issue 21's console tools over plain HTTP: each is the signed-in user's own S3 or admin
request, so a user gets exactly what the S3 API lets that user do — the console adds nothing.
(The browser flows are in test_console_features.py.)"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from botocore.client import BaseClient

from rucket.core.paths import CONSOLE
from tests.integration.conftest import ALT_KEY
from tests.integration.console_client import ConsoleSession, alerts
from tests.integration.test_console import alt, root
from tests.server import ServerProcess

__all__ = ["alt", "root"]  # the logged-in sessions of test_console.py


def test_share_link_is_signed_with_the_users_own_key(server: ServerProcess, root: ConsoleSession,
                                                     alt: ConsoleSession, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="private.txt", Body=b"root only")
    form = {"key": "private.txt", "amount": "2", "unit": "hours"}
    mine = root.post(f"{CONSOLE}/b/{bucket}/object/share", form)
    theirs = alt.post(f"{CONSOLE}/b/{bucket}/object/share", form)
    links = [r.text.split('id="share-url" class="wide" readonly value="')[1].split('"')[0].replace("&amp;", "&")
             for r in (mine, theirs) if 'id="share-url"' in r.text]
    assert len(links) == 1  # alt cannot even HEAD the object, so its page has no link form result
    assert parse_qs(urlparse(links[0]).query)["X-Amz-Credential"][0].startswith(f"{server.access_key}/")
    assert requests.get(links[0], timeout=10).content == b"root only"
    assert theirs.status_code == 403


@pytest.mark.parametrize(("amount", "unit"), [("8", "days"), ("0", "minutes"), ("x", "hours"), ("1", "weeks")])
def test_share_expiry_out_of_range_is_refused(root: ConsoleSession, s3: BaseClient, bucket: str, amount: str,
                                              unit: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    resp = root.post(f"{CONSOLE}/b/{bucket}/object/share", {"key": "k", "amount": amount, "unit": unit})
    assert resp.status_code == 400 and alerts(resp.text, "error-share") and 'id="share-url"' not in resp.text


def test_bulk_delete_as_another_user_deletes_nothing(alt: ConsoleSession, s3: BaseClient, bucket: str) -> None:
    for key in ("a", "dir/b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    resp = alt.post(f"{CONSOLE}/b/{bucket}/delete-many", {"confirm": "yes", "key": "a"})
    assert resp.status_code == 403 and "AccessDenied" in resp.text
    folder = alt.get(f"{CONSOLE}/b/{bucket}/delete-folder", params={"prefix": "dir/"})
    assert folder.status_code == 400 and "AccessDenied" in folder.text  # cannot even list it
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 2


def test_zip_urls_need_list_permission(root: ConsoleSession, alt: ConsoleSession, s3: BaseClient,
                                       bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/one.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="dir/two.txt", Body=b"22")
    body = {"bucket": bucket, "prefix": "dir/", "prefixes": ["dir/"], "keys": []}
    denied = alt.api(f"{CONSOLE}/api/zip", body)
    assert denied.status_code == 400 and "AccessDenied" in denied.json()["error"]
    files = root.api(f"{CONSOLE}/api/zip", body).json()["files"]
    assert [f["name"] for f in files] == ["one.txt", "two.txt"]
    assert [requests.get(root.base + f["url"], timeout=10).content for f in files] == [b"1", b"22"]
    no_csrf = root.http.post(root.base + f"{CONSOLE}/api/zip", json=body, timeout=10)
    assert no_csrf.status_code == 403


def test_delete_many_needs_csrf(root: ConsoleSession, s3: BaseClient, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="keep", Body=b"x")
    assert root.post(f"{CONSOLE}/b/{bucket}/delete-many", {"confirm": "yes", "key": "keep"},
                     csrf=False).status_code == 403
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_tags_and_metadata_of_a_foreign_object_are_refused(alt: ConsoleSession, s3: BaseClient,
                                                           bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    tags = alt.post(f"{CONSOLE}/b/{bucket}/object/tags", {"key": "k", "tag_key_0": "a", "tag_value_0": "2"})
    assert tags.status_code == 403
    meta = alt.post(f"{CONSOLE}/b/{bucket}/object/metadata", {"key": "k", "content-type": "text/html"})
    assert meta.status_code == 403
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "a", "Value": "1"}]
    assert s3.head_object(Bucket=bucket, Key="k")["ContentType"] != "text/html"


def test_bucket_settings_panels_as_another_user_show_the_s3_error(alt: ConsoleSession, s3: BaseClient,
                                                                  bucket: str) -> None:
    resp = alt.post(f"{CONSOLE}/b/{bucket}/settings/tagging", {"tag_key_0": "x", "tag_value_0": "y"})
    assert resp.status_code == 403 and alerts(resp.text, "error-tagging")[0].startswith("AccessDenied")
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_tagging(Bucket=bucket)  # nothing was set


@pytest.mark.parametrize("path", ["/identity"])
def test_identity_pages_are_root_only(alt: ConsoleSession, path: str) -> None:
    assert alt.get(CONSOLE + path).status_code == 403
    sim = alt.post(f"{CONSOLE}/identity/simulate", {"principal": ALT_KEY, "action": "s3:GetObject", "resource": "*"})
    assert sim.status_code == 403 and "Denied" not in sim.text and "Allowed" not in sim.text
