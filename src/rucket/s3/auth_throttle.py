"""Failed SigV4/SigV2 authentication, throttled per client address and per access key.

Once a client address or an access key has `limit.failures` failed signatures within the
window, each further FAILING request is answered 503 SlowDown with Retry-After (SDKs back off
on it) instead of SignatureDoesNotMatch/InvalidAccessKeyId: guessing gets slow and loud. A
request whose signature verifies always passes, so flooding someone's access key with bad
signatures cannot lock its owner out.
"""

from __future__ import annotations

import re

from rucket.core.throttle import FailureThrottle
from rucket.s3.auth import AuthInput
from rucket.s3.errors import InvalidAccessKeyId, S3Error, SignatureDoesNotMatch, SlowDown

COUNTED: tuple[type[S3Error], ...] = (SignatureDoesNotMatch, InvalidAccessKeyId)
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/|^AWS ([^:\s]+):")
_QUERY_KEY = re.compile(r"(?:^|&)(?:X-Amz-Credential|AWSAccessKeyId)=([^&%]+)")


def claimed_access_key(req: AuthInput) -> str:
    """The access key a request says it is signed with (header or presigned query), verified or not."""
    m = _CREDENTIAL.search(req.headers.get("authorization", "")) or _QUERY_KEY.search(req.raw_query)
    return next((g for g in m.groups() if g), "") if m else ""


def on_failure(throttle: FailureThrottle, req: AuthInput, client_ip: str, err: S3Error) -> S3Error:
    """Count a failed authentication; the error to answer (SlowDown once over the limit)."""
    if not isinstance(err, COUNTED):
        return err
    key = claimed_access_key(req)
    keys = [f"ip:{client_ip}", *([f"key:{key}"] if key else [])]
    throttle.fail(keys)
    wait = throttle.blocked(keys)
    if not wait:
        return err
    return SlowDown(f"Too many failed authentication attempts: retry in {wait} s", headers={"Retry-After": str(wait)})
