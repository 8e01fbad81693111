"""The migration's resume logic: what of a key's history still has to be copied."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from rucket.migrate.objects import Entry, plan
from rucket.migrate.report import Report, describe

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def e(key: str = "k", etag: str = '"aa"', size: int = 1, sec: int = 0, marker: bool = False,
      vid: str | None = None) -> Entry:
    return Entry(key, vid, etag, size, T0 + dt.timedelta(seconds=sec), marker)


@pytest.mark.parametrize(("src", "dst", "copy"), [
    pytest.param(e(), None, True, id="missing"),
    pytest.param(e(), e(sec=5), False, id="same-and-ours-newer"),
    pytest.param(e(etag='"bb"'), e(sec=5), True, id="etag-differs"),
    pytest.param(e(size=2), e(sec=5), True, id="size-differs"),
    pytest.param(e(sec=9), e(sec=5), True, id="source-changed-after-our-copy"),
    pytest.param(e(etag='"aa-3"'), e(etag='"cc"', sec=5), False, id="multipart-copied-in-one-put-matches-by-size"),
])
def test_plan_unversioned(src: Entry, dst: Entry | None, copy: bool) -> None:
    assert plan("b", [src], [dst] if dst else [], False, Report()) == ([src] if copy else [])


def test_plan_versioned_copies_only_the_missing_tail() -> None:
    src = [e(etag='"1"', vid="a"), e(marker=True, etag="", size=0, vid="b"), e(etag='"3"', vid="c")]
    dst = [e(etag='"1"', vid="x")]
    assert plan("b", src, dst, True, Report()) == src[1:]
    assert plan("b", src, [e(etag='"1"'), e(marker=True, etag="", size=0), e(etag='"3"')], True, Report()) == []


def test_plan_versioned_diverged_history_is_reported_not_touched() -> None:
    report = Report()
    assert plan("b", [e(etag='"1"'), e(etag='"2"')], [e(etag='"9"')], True, report) == []
    assert len(report.failures) == 1 and "do not match" in report.failures[0].reason


def test_entry_parts_from_etag() -> None:
    assert e(etag='"abc-12"').parts == 12 and e(etag='"abc"').parts == 0 and e(etag='"a-b"').parts == 0


def test_describe_s3_error_and_head_error() -> None:
    class Err(Exception):
        def __init__(self, code: str, message: str) -> None:
            self.response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}

    assert describe(Err("AccessDenied", "Access Denied")) == "AccessDenied (403): Access Denied"
    assert describe(Err("403", "Forbidden")) == "HTTP 403 Forbidden"
    assert describe(ValueError("x")) == "ValueError: x"


def test_migrate_without_boto3_says_how_to_install_it() -> None:
    code = ("import sys; sys.modules['boto3'] = None; from rucket.cli import main; "
            "main(['migrate', '--from', 'http://127.0.0.1:9', '--access-key', 'k', '--secret-key', 's'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "pip install 'rucket[migrate]'" in out.stderr
