"""Policy documents: parsed and validated once, into frozen statements the evaluator matches.

Validation happens on PUT (PutBucketPolicy, the admin API's identity policies) so that a
document the evaluator would misread is refused with MalformedPolicy instead of stored:
unknown condition operators or keys, NotPrincipal with Allow, missing elements.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rucket.s3.iam.conditions import Condition, PolicyError, glob_match, parse_conditions

MAX_BUCKET_POLICY = 20 * 1024
MAX_IDENTITY_POLICY = 6 * 1024 * 10
VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_PRINCIPAL_ARN = re.compile(r"arn:aws:iam::([^:]*):(root|user/.+)")
_ACTION = re.compile(r"(s3:[A-Za-z0-9*?]+|\*)", re.IGNORECASE)
_RESOURCE = re.compile(r"(arn:aws:s3:::.*|\*)")
__all__ = ["Policy", "PolicyError", "Principal", "Statement", "cached", "check_bucket_resources", "parse"]
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                             "NotResource", "Condition"})


@dataclass(frozen=True)
class Principal:
    kind: str  # "*", "AWS", "CanonicalUser", "Service", "Federated"
    value: str


@dataclass(frozen=True)
class Statement:
    sid: str
    allow: bool
    principals: tuple[Principal, ...] | None  # None: no Principal element (identity policies)
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Policy:
    text: str
    statements: tuple[Statement, ...]


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise PolicyError(f"Policy has an invalid {what}")
    return tuple(items)


def _principals(value: Any) -> tuple[Principal, ...]:
    if value == "*":
        return (Principal("*", "*"),)
    if not isinstance(value, dict) or not value:
        raise PolicyError("Invalid principal in policy")
    out: list[Principal] = []
    for kind, raw in value.items():
        if kind not in ("AWS", "CanonicalUser", "Service", "Federated"):
            raise PolicyError("Invalid principal in policy")
        for v in _strings(raw, "principal"):
            if kind == "AWS" and v != "*" and v.startswith("arn:") and not _PRINCIPAL_ARN.fullmatch(v):
                raise PolicyError("Invalid principal in policy")
            out.append(Principal("*", "*") if kind == "AWS" and v == "*" else Principal(kind, v))
    return tuple(out)


def _pick(st: dict[str, Any], name: str, required: bool) -> tuple[Any, bool]:
    """The element or its Not- form (never both); returns (value, negated)."""
    plain, negated = st.get(name), st.get("Not" + name)
    if plain is not None and negated is not None:
        raise PolicyError(f"Statement cannot have both {name} and Not{name}")
    if plain is None and negated is None:
        if required:
            raise PolicyError(f"Missing required field {name}")
        return None, False
    return (plain, False) if plain is not None else (negated, True)


def _statement(st: Any, bucket_policy: bool) -> Statement:
    if not isinstance(st, dict) or not set(st) <= _STATEMENT_KEYS:
        raise PolicyError("Policy has an invalid statement")
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError("Invalid effect")
    principal, not_principal = _pick(st, "Principal", bucket_policy)
    if principal is not None and not bucket_policy:
        raise PolicyError("Identity policies cannot have a Principal")
    if not_principal and effect == "Allow":
        raise PolicyError("NotPrincipal is only allowed with Deny")
    actions, not_action = _pick(st, "Action", True)
    resources, not_resource = _pick(st, "Resource", True)
    acts, res = _strings(actions, "action"), _strings(resources, "resource")
    if not all(_ACTION.fullmatch(a) for a in acts):
        raise PolicyError("Policy has invalid action")
    if not all(_RESOURCE.fullmatch(r) for r in res):
        raise PolicyError("Policy has invalid resource")
    return Statement(str(st.get("Sid", "")), effect == "Allow",
                     _principals(principal) if principal is not None else None, not_principal,
                     tuple(a.lower() for a in acts), not_action, res, not_resource,
                     parse_conditions(st.get("Condition", {})))


def parse(text: str, *, bucket_policy: bool = True) -> Policy:
    """Parse and validate; raises PolicyError with the reason."""
    limit = MAX_BUCKET_POLICY if bucket_policy else MAX_IDENTITY_POLICY
    if len(text.encode("utf-8")) > limit:
        raise PolicyError("Policies must be less than 20 KB")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise PolicyError("This policy contains invalid Json") from exc
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise PolicyError("Missing required field Statement")
    if "Version" in doc and doc["Version"] not in VERSIONS:
        raise PolicyError("The policy must contain a valid version string")
    raw = doc["Statement"]
    items: Iterable[Any] = raw if isinstance(raw, list) else [raw]
    statements = tuple(_statement(st, bucket_policy) for st in items)
    if not statements:
        raise PolicyError("Could not parse the policy: Statement is empty!")
    return Policy(text, statements)


def check_bucket_resources(policy: Policy, bucket: str) -> None:
    """A bucket policy may only name its own bucket and its objects (AWS: "Policy has invalid resource").

    The bucket part of each ARN (up to the first "/") is a pattern that must match this bucket, so
    "arn:aws:s3:::*" and "arn:aws:s3:::logs-*/*" pass for bucket "logs-2026"; "arn:aws:s3:::other/*" does not.
    Without it a policy seemed to grant on another bucket while the evaluator never consults it there.
    """
    for st in policy.statements:
        for resource in st.resources:
            own = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            if resource != "*" and not glob_match(own, bucket):
                raise PolicyError("Policy has invalid resource")


@functools.lru_cache(maxsize=1024)
def cached(text: str, bucket_policy: bool = True) -> Policy:
    """Stored documents were validated on PUT; parsing them again on every request is waste."""
    return parse(text, bucket_policy=bucket_policy)
