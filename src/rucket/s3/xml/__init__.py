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

# versioning, tagging, CORS, lifecycle and the smaller bucket sub-resources
from rucket.s3.xml.bucket_config import (
    notification_targets,
    parse_encryption,
    parse_logging_enabled,
    parse_ownership,
    parse_public_access_block,
    parse_request_payment,
    render_empty,
    render_empty_list,
    render_encryption,
    render_ownership,
    render_public_access_block,
    render_request_payment,
)
from rucket.s3.xml.cors import parse_cors, render_cors
from rucket.s3.xml.lifecycle import parse_lifecycle, render_lifecycle
from rucket.s3.xml.multipart import (  # multipart uploads, copies, GetObjectAttributes
    Attributes,
    UploadsParams,
    parse_complete,
    render_attributes,
    render_complete,
    render_copy_result,
    render_initiate,
    render_list_parts,
    render_list_uploads,
)
from rucket.s3.xml.tagging import parse_tagging, render_tagging
from rucket.s3.xml.versioning import (
    VersioningRequest,
    VersionListParams,
    parse_versioning,
    render_list_versions,
    render_versioning,
)

__all__ += [
    "VersionListParams", "VersioningRequest", "notification_targets", "parse_cors", "parse_encryption",
    "parse_lifecycle", "parse_logging_enabled", "parse_ownership", "parse_public_access_block",
    "parse_request_payment", "parse_tagging", "parse_versioning", "render_cors", "render_empty",
    "render_empty_list", "render_encryption", "render_lifecycle", "render_list_versions", "render_ownership",
    "render_public_access_block", "render_request_payment", "render_tagging", "render_versioning",
]

# Object Lock
from rucket.s3.xml.lock import (  # noqa: E402
    parse_legal_hold,
    parse_lock_configuration,
    parse_retention,
    render_legal_hold,
    render_lock_configuration,
    render_retention,
)

__all__ += ["parse_legal_hold", "parse_lock_configuration", "parse_retention", "render_legal_hold",
            "render_lock_configuration", "render_retention"]

__all__ += [
    "Attributes", "UploadsParams", "parse_complete", "render_attributes", "render_complete", "render_copy_result",
    "render_initiate", "render_list_parts", "render_list_uploads",
]
