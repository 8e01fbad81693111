"""All S3 XML: ElementTree out, defusedxml in. One function per document.

A package split by resource family (as Garage's `xml.rs` outgrew one file); every document
function is re-exported here so callers keep writing `xml.render_x(...)`. A new family is
a new module below and one import line here.
"""

from __future__ import annotations

from rucket.s3.xml.base import S3_NS, doc, iso8601_ms, owner_el, parse_root, sub
from rucket.s3.xml.core import (
    DeleteOutcome,
    DeleteRequest,
    ListParams,
    parse_create_bucket,
    parse_delete,
    render_delete_result,
    render_error,
    render_list_buckets,
    render_list_objects,
    render_location,
)

__all__ = [
    "S3_NS", "DeleteOutcome", "DeleteRequest", "ListParams", "doc", "iso8601_ms", "owner_el", "parse_create_bucket",
    "parse_delete", "parse_root", "render_delete_result", "render_error", "render_list_buckets",
    "render_list_objects", "render_location", "sub",
]
