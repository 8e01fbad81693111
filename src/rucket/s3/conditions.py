"""Conditional GET/HEAD (RFC 7232 with the precedence S3 applies), as one pure function."""

from __future__ import annotations

from collections.abc import Mapping

from rucket.core.errors import NotModified, PreconditionFailed
from rucket.engine.objects import etag_matches
from rucket.s3.request import parse_http_date


def check_read_conditions(headers: Mapping[str, str], etag: str, mtime_ms: int,
                          prefix: str = "") -> None:
    """Raise PreconditionFailed (412) or NotModified (304); `prefix` is "x-amz-copy-source-" for copies.

    S3: a true If-Match overrides a false If-Unmodified-Since, and a false If-None-Match
    overrides a true If-Modified-Since. Dates compare at one-second resolution.
    """
    mtime_s = mtime_ms // 1000
    if_match = headers.get(prefix + "if-match")
    if_none = headers.get(prefix + "if-none-match")
    unmod = parse_http_date(headers.get(prefix + "if-unmodified-since") or "")
    mod = parse_http_date(headers.get(prefix + "if-modified-since") or "")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise PreconditionFailed("If-Match")
    elif unmod is not None and mtime_s > unmod // 1000:
        raise PreconditionFailed("If-Unmodified-Since")
    if if_none is not None:
        if etag_matches(if_none, etag):
            raise (PreconditionFailed if prefix else NotModified)("If-None-Match")
    elif mod is not None and mtime_s <= mod // 1000:
        raise (PreconditionFailed if prefix else NotModified)("If-Modified-Since")
