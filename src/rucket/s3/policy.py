"""Authorization: every decision is made here, from the operation's declared target.

Until ACLs and policies land (issue 6) the rule is the AWS default without grants: a
bucket and everything in it belongs to its owner alone; anonymous requests are denied.
"""

from __future__ import annotations

from rucket.core.model import Bucket
from rucket.s3.errors import AccessDenied
from rucket.s3.ops import Operation, Target
from rucket.s3.request import User

# LIST_BUCKETS: an anonymous caller owns nothing and gets an empty list (the handler sees user=None)
UNAUTHENTICATED = frozenset({Operation.OPTIONS_BUCKET, Operation.OPTIONS_OBJECT, Operation.POST_OBJECT,
                             Operation.LIST_BUCKETS})


def authorize(op: Operation, user: User | None, bucket: Bucket | None) -> None:
    """Raise AccessDenied unless `user` may perform `op` (bucket=None: it does not exist)."""
    if op in UNAUTHENTICATED:
        return
    if user is None:
        raise AccessDenied()
    if op.target is Target.SERVICE or op is Operation.CREATE_BUCKET or bucket is None:
        return  # missing buckets answer NoSuchBucket from the handler
    if bucket.owner != user.id:
        raise AccessDenied()
