"""Condition operators and keys, with the AWS semantics for absent keys and value sets.

- Several operators in a block, several keys under one operator: AND. Several values for a
  key: OR (NOR for negated operators).
- A key absent from the request: positive operators are false, negated ones
  (StringNotEquals, NotIpAddress, ...) true; `...IfExists` is true; `Null` tests presence;
  `ForAllValues:` is true and `ForAnyValue:` false.
- Unknown operators and unknown keys are refused when the policy is stored; if one reaches
  the evaluator anyway, `Statement` matching treats it as failing closed (see evaluate.py).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class PolicyError(ValueError):
    """The document is not a policy this server can enforce; the message says why (AWS wording)."""


class PolicyConditionError(PolicyError):
    """A condition the evaluator cannot decide (unknown key or operator)."""


class Context(Protocol):
    def values(self, key: str) -> list[str] | None:
        """Request values of a lower-case condition key, None when the request has no such key."""


@dataclass(frozen=True)
class Condition:
    operator: str  # base operator, e.g. "StringLike"
    qualifier: str  # "", "ForAnyValue" or "ForAllValues"
    if_exists: bool
    key: str  # lower case: condition keys are case-insensitive
    values: tuple[str, ...]


@functools.lru_cache(maxsize=2048)
def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`*` any run (slashes included), `?` one character; nothing else is special."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      flags | re.DOTALL)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, re.IGNORECASE if ignore_case else 0).fullmatch(value) is not None


def _num(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _date(v: str) -> float | None:
    """ISO 8601 (naive means UTC) or epoch seconds, as aws:CurrentTime / aws:EpochTime compare."""
    if v.isdigit():
        return float(v)
    try:
        t = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).timestamp()


def _cmp(parse: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(req: str, pol: str) -> bool:
        a, b = parse(req), parse(pol)
        return a is not None and b is not None and test(a, b)
    return match


def _ip(req: str, pol: str) -> bool:
    try:
        return ipaddress.ip_address(req) in ipaddress.ip_network(pol, strict=False)
    except ValueError:
        return False


def _binary(req: str, pol: str) -> bool:
    try:
        return base64.b64decode(pol) == req.encode() or req == pol
    except ValueError:
        return False


# base operator -> (matcher(request value, policy value), negated)
OPERATORS: Mapping[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda a, b: a == b, False),
    "StringNotEquals": (lambda a, b: a == b, True),
    "StringEqualsIgnoreCase": (lambda a, b: a.lower() == b.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda a, b: a.lower() == b.lower(), True),
    "StringLike": (lambda a, b: glob_match(b, a), False),
    "StringNotLike": (lambda a, b: glob_match(b, a), True),
    "NumericEquals": (_cmp(_num, lambda a, b: a == b), False),
    "NumericNotEquals": (_cmp(_num, lambda a, b: a == b), True),
    "NumericLessThan": (_cmp(_num, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_cmp(_num, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_cmp(_num, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_cmp(_num, lambda a, b: a >= b), False),
    "DateEquals": (_cmp(_date, lambda a, b: a == b), False),
    "DateNotEquals": (_cmp(_date, lambda a, b: a == b), True),
    "DateLessThan": (_cmp(_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_cmp(_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_cmp(_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_cmp(_date, lambda a, b: a >= b), False),
    "Bool": (lambda a, b: a.lower() == b.lower(), False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (lambda a, b: a == b, False),
    "ArnNotEquals": (lambda a, b: a == b, True),
    "ArnLike": (lambda a, b: glob_match(b, a), False),
    "ArnNotLike": (lambda a, b: glob_match(b, a), True),
    "Null": (lambda a, b: True, False),  # presence test, handled in `holds`
}

GLOBAL_KEYS = frozenset({
    "aws:sourceip", "aws:securetransport", "aws:referer", "aws:useragent", "aws:currenttime", "aws:epochtime",
    "aws:username", "aws:userid", "aws:principaltype", "aws:principalarn", "aws:principalaccount",
    "aws:sourcearn", "aws:sourceaccount", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip",
    "aws:multifactorauthpresent", "aws:multifactorauthage", "aws:tokenissuetime", "aws:principalorgid",
    "aws:viaawsservice", "aws:calledvia", "aws:requestedregion", "aws:principalisawsservice",
})
S3_KEYS = frozenset({
    "s3:prefix", "s3:delimiter", "s3:max-keys", "s3:x-amz-acl", "s3:x-amz-grant-read", "s3:x-amz-grant-write",
    "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write-acp", "s3:x-amz-grant-full-control", "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive", "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-customer-algorithm",
    "s3:x-amz-storage-class", "s3:x-amz-content-sha256", "s3:x-amz-website-redirect-location", "s3:versionid",
    "s3:locationconstraint", "s3:object-lock-mode", "s3:object-lock-retain-until-date",
    "s3:object-lock-remaining-retention-days", "s3:object-lock-legal-hold", "s3:signatureversion",
    "s3:authtype", "s3:signatureage", "s3:tlsversion", "s3:requestobjecttagkeys", "s3:resourceaccount",
    "s3:accesspointnetworkorigin", "s3:datarequested", "s3:x-amz-object-ownership",
})
KEY_PREFIXES = ("s3:existingobjecttag/", "s3:requestobjecttag/", "aws:requesttag/", "aws:principaltag/",
                "aws:resourcetag/")


def known_key(key: str) -> bool:
    k = key.lower()
    return k in GLOBAL_KEYS or k in S3_KEYS or any(k.startswith(p) and len(k) > len(p) for p in KEY_PREFIXES)


def _split_operator(name: str) -> tuple[str, str, bool]:
    qualifier, _, base = name.rpartition(":")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"Invalid Condition type : {name}")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    base = base.removesuffix("IfExists") if if_exists else base
    if base not in OPERATORS or (if_exists and base == "Null"):
        raise PolicyError(f"Invalid Condition type : {name}")
    return base, qualifier, if_exists


def _values(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError("Empty condition values")
    out = []
    for v in items:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, (str, int, float)):
            out.append(str(v))
        else:
            raise PolicyError("Invalid condition value")
    return tuple(out)


def parse_conditions(block: Any) -> tuple[Condition, ...]:
    """Validate a Condition block; unknown operators or keys raise (AWS: MalformedPolicy)."""
    if not isinstance(block, dict):
        raise PolicyError("Invalid Condition block")
    out: list[Condition] = []
    for op_name, keys in block.items():
        base, qualifier, if_exists = _split_operator(str(op_name))
        if not isinstance(keys, dict) or not keys:
            raise PolicyError(f"Invalid Condition block for {op_name}")
        for key, raw in keys.items():
            if not known_key(key):
                raise PolicyError("Policy has an invalid condition key")
            out.append(Condition(base, qualifier, if_exists, key.lower(), _values(raw)))
    return tuple(out)


def holds(c: Condition, ctx: Context) -> bool:
    """Whether one (operator, key) pair holds for the request."""
    if not known_key(c.key):
        raise PolicyConditionError(c.key)  # evaluator fails closed
    present = ctx.values(c.key)
    if c.operator == "Null":
        absent = not present
        return any((v.lower() == "true") == absent for v in c.values)
    if not present:
        if c.if_exists or c.qualifier == "ForAllValues":
            return True
        return False if c.qualifier == "ForAnyValue" else OPERATORS[c.operator][1]
    test, negated = OPERATORS[c.operator]

    def matches(v: str) -> bool:
        hit = any(test(v, p) for p in c.values)
        return not hit if negated else hit

    if c.qualifier == "ForAllValues":
        return all(matches(v) for v in present)
    if c.qualifier == "ForAnyValue":
        return any(matches(v) for v in present)
    return all(matches(v) for v in present) if negated else any(matches(v) for v in present)


def all_hold(conditions: tuple[Condition, ...], ctx: Context) -> bool:
    return all(holds(c, ctx) for c in conditions)

