"""ACL grants in the decision: which permission each action needs, and on what.

The mapping is AWS's "ACL permission → policy permission" table: bucket READ lists, bucket
WRITE creates and deletes objects, object READ reads, READ_ACP/WRITE_ACP read and write the
ACL itself; FULL_CONTROL is all of them. Other actions (configuration, tagging, ...) are
never granted by an ACL.
"""

from __future__ import annotations

from collections.abc import Mapping

from rucket.engine.acl import ALL_USERS, AUTHENTICATED_USERS, CANONICAL, GROUP, PUBLIC_GROUPS, Acl

BUCKET, OBJECT = "bucket", "object"

ACL_PERMISSION: Mapping[str, tuple[str, str]] = {  # action -> (where the grant is read, permission)
    "s3:listbucket": (BUCKET, "READ"),
    "s3:listbucketversions": (BUCKET, "READ"),
    "s3:listbucketmultipartuploads": (BUCKET, "READ"),
    "s3:getbucketacl": (BUCKET, "READ_ACP"),
    "s3:putbucketacl": (BUCKET, "WRITE_ACP"),
    "s3:putobject": (BUCKET, "WRITE"),
    "s3:deleteobject": (BUCKET, "WRITE"),
    "s3:deleteobjectversion": (BUCKET, "WRITE"),
    "s3:abortmultipartupload": (BUCKET, "WRITE"),
    "s3:listmultipartuploadparts": (BUCKET, "WRITE"),
    "s3:getobject": (OBJECT, "READ"),
    "s3:getobjectversion": (OBJECT, "READ"),
    "s3:getobjecttorrent": (OBJECT, "READ"),
    "s3:getobjectattributes": (OBJECT, "READ"),
    "s3:getobjectversionattributes": (OBJECT, "READ"),
    "s3:getobjectacl": (OBJECT, "READ_ACP"),
    "s3:getobjectversionacl": (OBJECT, "READ_ACP"),
    "s3:putobjectacl": (OBJECT, "WRITE_ACP"),
    "s3:putobjectversionacl": (OBJECT, "WRITE_ACP"),
}

# Locking an object (or lifting GOVERNANCE) takes away someone's right to delete it: only the
# bucket owner or an explicit policy grant may, never mere ownership of the object (AWS: these
# actions have no ACL permission, so an object owner with s3:PutObject alone is refused).
LOCK_ACTIONS = frozenset({"s3:putobjectretention", "s3:putobjectlegalhold", "s3:bypassgovernanceretention"})

# Object actions the bucket owner may take on any object in its bucket, whoever wrote it.
BUCKET_OWNER_OBJECT_ACTIONS = frozenset(a for a, (where, perm) in ACL_PERMISSION.items()
                                        if where == BUCKET and perm == "WRITE")

PUBLIC_CANNED = frozenset({"public-read", "public-read-write", "authenticated-read"})
GRANT_HEADERS = ("x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp",
                 "x-amz-grant-full-control")


def grantee_matches(kind: str, grantee: str, principal_id: str | None) -> bool:
    """principal_id None = anonymous."""
    if kind == GROUP:
        return grantee == ALL_USERS or (grantee == AUTHENTICATED_USERS and principal_id is not None)
    return kind == CANONICAL and principal_id is not None and grantee == principal_id


def acl_grants(acl: Acl, permission: str, principal_id: str | None) -> bool:
    return any(g.permission in (permission, "FULL_CONTROL") and grantee_matches(g.kind, g.grantee, principal_id)
               for g in acl.grants)


def headers_carry_public_acl(headers: Mapping[str, str]) -> bool:
    """A canned public ACL or a grant header naming AllUsers/AuthenticatedUsers (BlockPublicAcls)."""
    if headers.get("x-amz-acl", "").strip() in PUBLIC_CANNED:
        return True
    return any(group in headers.get(h, "") for h in GRANT_HEADERS for group in PUBLIC_GROUPS)
