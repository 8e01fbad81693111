"""Browser POST uploads: the form's signature and its policy document.

The signature covers the base64 policy exactly as sent: SigV4 (x-amz-algorithm,
x-amz-credential, x-amz-date, x-amz-signature: hex HMAC-SHA256 with the usual signing key)
or SigV2 (AWSAccessKeyId, signature: base64 HMAC-SHA1). The policy then constrains every
form field: `{"field": "value"}` / `["eq", "$field", "value"]`, `["starts-with", "$field",
"prefix"]`, `["content-length-range", min, max]`, and an expiration. Field names are
case-insensitive, values are not. Every field but the exempt ones must be covered by a
condition, and the bucket always is.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rucket.s3.auth.base import SecretLookup
from rucket.s3.auth.sigv4 import ALGORITHM, hmac_hex, lookup, parse_credential, signing_key
from rucket.s3.errors import AccessDenied, InvalidArgument, InvalidPolicyDocument, SignatureDoesNotMatch

EXEMPT = frozenset({"policy", "signature", "x-amz-signature", "awsaccesskeyid", "file", "x-amz-algorithm",
                    "x-amz-credential", "x-amz-date", "x-amz-security-token"})
EXEMPT_PREFIXES = ("x-ignore-", "x-amz-checksum-")


@dataclass
class PostPolicy:
    expiration_ms: int
    exact: list[tuple[str, str]] = field(default_factory=list)  # (field, value)
    prefixes: list[tuple[str, str]] = field(default_factory=list)  # (field, prefix)
    length: tuple[int, int] | None = None  # content-length-range


def verify_signature(fields: Mapping[str, str], secrets: SecretLookup, region: str | None) -> str | None:
    """The access key that signed the form's policy; None for an unsigned (anonymous) form."""
    policy = fields.get("policy")
    if fields.get("x-amz-algorithm") or fields.get("x-amz-signature") or fields.get("x-amz-credential"):
        return _sigv4(fields, policy, secrets, region)
    if "awsaccesskeyid" in fields or "signature" in fields:
        access_key, signature = fields.get("awsaccesskeyid"), fields.get("signature")
        if not access_key or not signature or not policy:
            raise InvalidArgument("Bucket POST must contain a field named 'AWSAccessKeyId', 'signature' and 'policy'")
        expected = base64.b64encode(hmac.digest(lookup(secrets, access_key).encode(), policy.encode(), "sha1"))
        if not hmac.compare_digest(expected, signature.encode()):
            raise SignatureDoesNotMatch(AWSAccessKeyId=access_key)
        return access_key
    if policy is not None:
        raise InvalidArgument("Bucket POST with a policy must be signed")
    return None


def _sigv4(fields: Mapping[str, str], policy: str | None, secrets: SecretLookup, region: str | None) -> str:
    signature = fields.get("x-amz-signature")
    cred = parse_credential(fields.get("x-amz-credential", ""))
    if fields.get("x-amz-algorithm") != ALGORITHM or not signature or not policy or cred is None:
        raise InvalidArgument("Bucket POST must contain x-amz-algorithm, x-amz-credential, x-amz-date, "
                              "x-amz-signature and policy fields")
    if (region is not None and cred.region != region) or cred.service != "s3":  # sigv4.check_scope: why
        raise AccessDenied(f"the credential scope {cred.scope} is wrong for this endpoint")
    key = signing_key(lookup(secrets, cred.access_key), cred.date, cred.region, cred.service)
    if not hmac.compare_digest(hmac_hex(key, policy).encode(), signature.lower().encode()):
        raise SignatureDoesNotMatch(AWSAccessKeyId=cred.access_key)
    return cred.access_key


def _bad(message: str) -> InvalidPolicyDocument:
    return InvalidPolicyDocument(f"Invalid Policy: {message}")


def _expiration(value: Any) -> int:
    if not isinstance(value, str):
        raise _bad("Policy missing expiration.")
    try:
        t = datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z" if "." in value
                              else "%Y-%m-%dT%H:%M:%S%z")
    except ValueError as exc:
        raise _bad("Invalid 'expiration' value: " + value) from exc
    return int(t.timestamp() * 1000)


def _condition(policy: PostPolicy, cond: Any) -> None:
    if isinstance(cond, dict):
        if len(cond) != 1:
            raise _bad("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
        (name, value), = cond.items()
        policy.exact.append((name.lower().removeprefix("$"), str(value)))
        return
    if not isinstance(cond, list) or not cond or not isinstance(cond[0], str):
        raise _bad("Invalid condition")
    op = cond[0].lower()
    if op == "content-length-range":
        if len(cond) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in cond[1:]):
            raise _bad("Invalid content-length-range")
        if cond[1] < 0 or cond[2] < cond[1]:
            raise _bad("Invalid content-length-range")
        policy.length = (cond[1], cond[2])
        return
    if op not in ("eq", "starts-with") or len(cond) != 3 or not isinstance(cond[1], str) or not cond[1].startswith("$"):
        raise _bad(f"Invalid condition {cond[0]!r}")
    target = policy.exact if op == "eq" else policy.prefixes
    target.append((cond[1][1:].lower(), str(cond[2])))


def parse_policy(b64: str) -> PostPolicy:
    try:
        doc = json.loads(base64.b64decode(b64, validate=False))
    except (ValueError, binascii.Error) as exc:
        raise _bad("Could not parse the policy") from exc
    if not isinstance(doc, dict):
        raise _bad("Could not parse the policy")
    conditions = doc.get("conditions")
    if not isinstance(conditions, list):
        raise _bad("Policy missing conditions.")
    policy = PostPolicy(_expiration(doc.get("expiration")))
    for cond in conditions:
        _condition(policy, cond)
    return policy


def check_policy(policy: PostPolicy, fields: Mapping[str, str], now_ms: int) -> None:
    """`fields`: lower-case names, the bucket included. Raises AccessDenied on any violation."""
    if now_ms > policy.expiration_ms:
        raise AccessDenied("Invalid according to Policy: Policy expired.")
    for name, value in policy.exact:
        if fields.get(name) != value:
            raise AccessDenied(f"Invalid according to Policy: Policy Condition failed: [\"eq\", \"${name}\"]")
    for name, prefix in policy.prefixes:
        if not fields.get(name, "").startswith(prefix):  # ["starts-with", "$f", ""] allows f to be absent
            raise AccessDenied(f"Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"${name}\"]")
    covered = {n for n, _ in policy.exact} | {n for n, _ in policy.prefixes}
    for name in fields:
        if name not in covered and name not in EXEMPT and not name.startswith(EXEMPT_PREFIXES):
            raise AccessDenied(f"Invalid according to Policy: Extra input fields: {name}")
