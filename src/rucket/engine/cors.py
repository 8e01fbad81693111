"""CORS rules: the model, its validation, and matching a request against it (pure functions).

S3 evaluates the rules in order and uses the first one whose AllowedOrigin, AllowedMethod
and (for a preflight) AllowedHeader patterns all cover the request. Origins and headers
may hold one `*` wildcard (`http://*.example.com`); header names compare case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rucket.core import errors

METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")
MAX_RULES = 100
MAX_ID_CHARS = 255
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


@dataclass(frozen=True)
class CorsRule:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    max_age: int | None = None
    id: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CorsRule:
        return cls(tuple(d["origins"]), tuple(d["methods"]), tuple(d.get("headers", ())),
                   tuple(d.get("expose", ())), d.get("max_age"), d.get("id", ""))


def validate(rules: Sequence[CorsRule]) -> list[dict[str, Any]]:
    """AWS's checks; returns the JSON form stored in the bucket's config."""
    if not rules or len(rules) > MAX_RULES:
        raise errors.InvalidRequest(f"A CORS configuration holds 1 to {MAX_RULES} rules")
    for r in rules:
        if not r.origins or not r.methods:
            raise errors.InvalidRequest("Each CORSRule needs an AllowedOrigin and an AllowedMethod")
        bad = [m for m in r.methods if m not in METHODS]
        if bad:
            raise errors.InvalidRequest(f"Found unsupported HTTP method in CORS config. Unsupported method is {bad[0]}")
        for pattern in (*r.origins, *r.headers):
            if pattern.count("*") > 1:
                raise errors.InvalidRequest(f'"{pattern}" can not have more than one wildcard.')
        if len(r.id) > MAX_ID_CHARS:
            raise errors.InvalidArgument("The CORSRule ID is too long")
        if r.max_age is not None and r.max_age < 0:
            raise errors.InvalidArgument("MaxAgeSeconds must not be negative")
    return [r.to_json() for r in rules]


def wildcard_match(pattern: str, value: str) -> bool:
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def split_header_list(value: str) -> list[str]:
    """`Access-Control-Request-Headers: X-Amz-Date, content-type` -> ["x-amz-date", "content-type"]."""
    return [h.strip().lower() for h in value.split(",") if h.strip()]


@dataclass(frozen=True)
class Match:
    rule: CorsRule
    origin_pattern: str  # the AllowedOrigin that matched: "*" answers "*", others echo the Origin


def find_rule(rules: Iterable[CorsRule], origin: str, method: str, headers: Sequence[str] = ()) -> Match | None:
    for rule in rules:
        if method not in rule.methods:
            continue
        pattern = next((o for o in rule.origins if wildcard_match(o, origin)), None)
        if pattern is None:
            continue
        allowed = [h.lower() for h in rule.headers]
        if all(any(wildcard_match(p, h) for p in allowed) for h in headers):
            return Match(rule, pattern)
    return None


def response_headers(m: Match, origin: str, *, preflight: bool, headers: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The Access-Control-* headers S3 sends for a matched rule (preflight or actual request)."""
    any_origin = m.origin_pattern == "*"
    out = [("access-control-allow-origin", "*" if any_origin else origin),
           ("access-control-allow-methods", ", ".join(m.rule.methods))]
    if not any_origin:
        out.append(("access-control-allow-credentials", "true"))
    if preflight and headers:
        out.append(("access-control-allow-headers", ", ".join(headers)))
    if m.rule.expose:
        out.append(("access-control-expose-headers", ", ".join(m.rule.expose)))
    if m.rule.max_age is not None:
        out.append(("access-control-max-age", str(m.rule.max_age)))
    out.append(("vary", VARY))
    return out


def rules_of(config: dict[str, Any]) -> list[CorsRule]:
    return [CorsRule.from_json(d) for d in config.get("cors") or ()]
