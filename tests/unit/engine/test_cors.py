"""CORS rule matching and validation (pure functions)."""

from __future__ import annotations

import pytest

from rucket.core import errors
from rucket.engine.cors import CorsRule, find_rule, response_headers, split_header_list, validate, wildcard_match

RULES = [
    CorsRule(("http://*.example.com",), ("GET", "HEAD"), ("x-amz-*", "content-type"), ("ETag",), 300, "site"),
    CorsRule(("https://app.test",), ("PUT",), ("*",)),
    CorsRule(("*",), ("GET",)),
]


@pytest.mark.parametrize(("pattern", "value", "ok"), [
    pytest.param("*", "anything", True, id="star"),
    pytest.param("http://*.example.com", "http://a.example.com", True, id="subdomain"),
    pytest.param("http://*.example.com", "http://example.com", False, id="no-subdomain"),
    pytest.param("http://*.example.com", "https://a.example.com", False, id="scheme"),
    pytest.param("start*end", "startend", True, id="empty-middle"),
    pytest.param("start*end", "0start12end", False, id="prefix-mismatch"),
    pytest.param("ab*ba", "aba", False, id="overlapping-head-tail"),
    pytest.param("exact", "exact", True, id="exact"),
])
def test_wildcard_match(pattern: str, value: str, ok: bool) -> None:
    assert wildcard_match(pattern, value) is ok


@pytest.mark.parametrize(("origin", "method", "headers", "rule_id"), [
    pytest.param("http://a.example.com", "GET", [], "site", id="first-rule"),
    pytest.param("http://a.example.com", "GET", ["x-amz-date", "content-type"], "site", id="allowed-headers"),
    pytest.param("http://a.example.com", "GET", ["authorization"], None, id="header-not-allowed"),
    pytest.param("http://a.example.com", "PUT", [], None, id="method-not-allowed"),
    pytest.param("https://app.test", "PUT", ["anything"], "", id="any-header"),
    pytest.param("http://other", "GET", [], "", id="falls-through-to-star"),
    pytest.param("http://other", "DELETE", [], None, id="no-rule"),
])
def test_find_rule_is_first_full_match(origin: str, method: str, headers: list[str], rule_id: str | None) -> None:
    m = find_rule(RULES, origin, method, headers)
    assert (m.rule.id if m else None) == rule_id


def test_star_origin_answers_star_without_credentials() -> None:
    m = find_rule(RULES, "http://other", "GET")
    assert m is not None
    h = dict(response_headers(m, "http://other", preflight=False))
    assert h["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in h


def test_preflight_headers_echo_origin_and_requested_headers() -> None:
    requested = split_header_list("X-Amz-Date, Content-Type")
    m = find_rule(RULES, "http://a.example.com", "GET", requested)
    assert m is not None
    h = dict(response_headers(m, "http://a.example.com", preflight=True, headers=requested))
    assert h == {"access-control-allow-origin": "http://a.example.com", "access-control-allow-methods": "GET, HEAD",
                 "access-control-allow-credentials": "true", "access-control-allow-headers": "x-amz-date, content-type",
                 "access-control-expose-headers": "ETag", "access-control-max-age": "300",
                 "vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}


@pytest.mark.parametrize(("rules", "error"), [
    pytest.param([CorsRule(("*",), ("PATCH",))], errors.InvalidRequest, id="bad-method"),
    pytest.param([CorsRule(("*.*.com",), ("GET",))], errors.InvalidRequest, id="two-wildcards"),
    pytest.param([CorsRule((), ("GET",))], errors.InvalidRequest, id="no-origin"),
    pytest.param([], errors.InvalidRequest, id="no-rules"),
    pytest.param([CorsRule(("*",), ("GET",))] * 101, errors.InvalidRequest, id="too-many"),
    pytest.param([CorsRule(("*",), ("GET",), max_age=-1)], errors.InvalidArgument, id="negative-max-age"),
])
def test_invalid_configurations(rules: list[CorsRule], error: type[Exception]) -> None:
    with pytest.raises(error):
        validate(rules)


def test_stored_form_round_trips() -> None:
    assert [CorsRule.from_json(d) for d in validate(RULES)] == RULES
