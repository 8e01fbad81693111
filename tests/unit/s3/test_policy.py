"""The evaluator, table-driven: Deny wins, ownership, ACLs, PublicAccessBlock, principals, every operator."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from rucket.core.model import Bucket, Principal
from rucket.engine.acl import ALL_USERS, AUTHENTICATED_USERS, Acl, Grant, canned, private
from rucket.s3.iam.conditions import Condition, holds
from rucket.s3.iam.document import PolicyError, parse
from rucket.s3.iam.evaluate import decide
from rucket.s3.iam.keys import RequestKeys
from rucket.s3.iam.model import AccessRequest, ObjectFacts
from rucket.s3.iam.public import policy_is_public
from rucket.s3.ops import Target

OWNER = Principal("owner", "owner", "owner", "s", name="owner")
ALT = Principal("alt", "alt", "alt", "s", name="alt")


@dataclass
class Facts:
    obj: ObjectFacts | None = None
    tag_list: list[tuple[str, str]] = field(default_factory=list)

    def object(self) -> ObjectFacts | None:
        return self.obj

    def owner_id(self) -> str | None:
        return self.obj.owner if self.obj else None

    def tags(self) -> list[tuple[str, str]]:
        return self.tag_list


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect: str = "Allow", action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/*",
         principal: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


def bucket(**config: Any) -> Bucket:
    return Bucket("b", "owner", 0, "us-east-1", config=config)


def ask(user: Principal | None, action: str, b: Bucket | None, key: str = "k", *, facts: Facts | None = None,
        headers: dict[str, str] | None = None, query: dict[str, str] | None = None, ip: str = "10.1.2.3",
        secure: bool = False) -> bool:
    target = Target.OBJECT if key else Target.BUCKET
    f = facts or Facts(ObjectFacts("owner", private("owner")))
    keys = RequestKeys(user, headers or {}, query or {}, ip, secure, object_tags=f.tags)
    return decide(AccessRequest(action.lower(), target, user, b, key, keys, f, headers or {})).allowed


def test_object_owner_reads_but_cannot_overwrite_without_bucket_write() -> None:
    """Owning the current version grants its data and ACL, not the bucket's WRITE (AWS, and s3-tests
    test_bucket_policy_put_obj_copy_source): writes and deletes need the bucket owner, a grant or a policy."""
    mine = Facts(ObjectFacts("alt", private("alt")))
    assert ask(ALT, "s3:GetObject", bucket(), facts=mine)
    assert ask(ALT, "s3:PutObjectAcl", bucket(), facts=mine)
    assert not ask(ALT, "s3:PutObject", bucket(), facts=mine)
    assert not ask(ALT, "s3:DeleteObject", bucket(), facts=mine)
    assert ask(OWNER, "s3:DeleteObject", bucket(), facts=mine)


@pytest.mark.parametrize(("user", "action", "config", "key", "allowed"), [
    pytest.param(OWNER, "s3:GetObject", {}, "k", True, id="owner-reads-own-object"),
    pytest.param(ALT, "s3:GetObject", {}, "k", False, id="alt-implicit-deny"),
    pytest.param(None, "s3:GetObject", {}, "k", False, id="anonymous-implicit-deny"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt())}, "k", True, id="bucket-policy-allows-everyone"),
    pytest.param(None, "s3:GetObject", {"policy": policy(stmt(principal={"AWS": "*"}))}, "k", True,
                 id="anonymous-via-aws-star"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(), stmt("Deny"))}, "k", False, id="deny-wins"),
    pytest.param(OWNER, "s3:GetObject", {"policy": policy(stmt("Deny"))}, "k", False, id="deny-binds-owner"),
    pytest.param(OWNER, "s3:PutBucketPolicy", {"policy": policy(stmt("Deny", "s3:*Policy", "arn:aws:s3:::b"))}, "",
                 True, id="owner-never-locked-out-of-policy"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(resource="arn:aws:s3:::b"))}, "k", False,
                 id="bucket-arn-does-not-cover-objects"),
    pytest.param(ALT, "s3:PutObject", {"policy": policy(stmt())}, "k", False, id="other-action"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(principal={"AWS": "arn:aws:iam::000000000000:user/alt"}))},
                 "k", True, id="user-arn"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(principal={"CanonicalUser": "alt"}))}, "k", True,
                 id="canonical-id"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(principal={"AWS": "arn:aws:iam::alt:root"}))}, "k",
                 True, id="account-root-arn"),
    pytest.param(OWNER, "s3:GetObject", {"policy": policy(stmt(principal={"AWS": "arn:aws:iam::alt:root"}))}, "k",
                 True, id="owner-not-named-still-owner"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt("Deny", principal="*"), stmt())}, "k", False,
                 id="deny-star"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::000000000000:user/alt"}, "Action": "s3:*",
         "Resource": "*"}, stmt())}, "k", True, id="notprincipal-exempts"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(action="s3:*"))}, "k", True, id="action-wildcard"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt(action="S3:getobject"))}, "k", True,
                 id="action-case-insensitive"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy({"Effect": "Allow", "Principal": "*",
                                                         "NotAction": "s3:PutObject", "Resource": "*"})}, "k", True,
                 id="notaction"),
    pytest.param(ALT, "s3:GetObject", {"policy": policy(stmt()), "public_access_block":
                                       {"RestrictPublicBuckets": True}}, "k", False, id="restrict-public-buckets"),
    pytest.param(ALT, "s3:ListBucket", {"acl": canned("public-read", "owner", "owner").to_json()}, "", True,
                 id="bucket-acl-public-read"),
    pytest.param(ALT, "s3:ListBucket", {"acl": canned("public-read", "owner", "owner").to_json(),
                                        "public_access_block": {"IgnorePublicAcls": True}}, "", False,
                 id="ignore-public-acls"),
    pytest.param(None, "s3:ListBucket", {"acl": canned("authenticated-read", "owner", "owner").to_json()}, "",
                 False, id="authenticated-read-not-anonymous"),
    pytest.param(ALT, "s3:PutObject", {"acl": canned("public-read-write", "owner", "owner").to_json()}, "k", True,
                 id="bucket-write-grant"),
    pytest.param(ALT, "s3:PutObject", {"acl": canned("public-read-write", "owner", "owner").to_json(),
                                       "ownership": "BucketOwnerEnforced"}, "k", False, id="enforced-disables-acls"),
    pytest.param(ALT, "s3:ListAllMyBuckets", {}, "", True, id="list-own-buckets"),
])
def test_decide(user: Principal | None, action: str, config: dict[str, Any], key: str, allowed: bool) -> None:
    target_key = key
    b = bucket(**config)
    if action == "s3:ListAllMyBuckets":
        assert decide(AccessRequest("s3:listallmybuckets", Target.SERVICE, user, None, "",
                                    RequestKeys(user, {}, {}, "", False), Facts())).allowed is allowed
        return
    assert ask(user, action, b, target_key) is allowed


def test_object_acl_public_read_lets_anyone_read() -> None:
    acl = Acl("owner", (Grant("Group", ALL_USERS, "READ"), Grant("CanonicalUser", "owner", "FULL_CONTROL")))
    assert ask(None, "s3:GetObject", bucket(), facts=Facts(ObjectFacts("owner", acl)))
    assert not ask(None, "s3:PutObjectAcl", bucket(), facts=Facts(ObjectFacts("owner", acl)))


def test_bucket_owner_cannot_read_foreign_object_but_can_delete_it() -> None:
    foreign = Facts(ObjectFacts("alt", private("alt")))
    assert not ask(OWNER, "s3:GetObject", bucket(), facts=foreign)
    assert ask(OWNER, "s3:DeleteObject", bucket(), facts=foreign)
    assert ask(ALT, "s3:GetObjectAcl", bucket(), facts=foreign)


def test_missing_object_needs_list_permission() -> None:
    b = bucket(policy=policy(stmt(action="s3:ListBucket", resource="arn:aws:s3:::b",
                                  Condition={"StringLike": {"s3:prefix": "public/*"}})))
    assert ask(ALT, "s3:GetObject", b, "public/x", facts=Facts(None))
    assert not ask(ALT, "s3:GetObject", b, "private/x", facts=Facts(None))


def test_block_public_acls_refuses_public_canned_acl_on_put() -> None:
    b = bucket(public_access_block={"BlockPublicAcls": True})
    assert not ask(OWNER, "s3:PutObject", b, headers={"x-amz-acl": "public-read"})
    assert ask(OWNER, "s3:PutObject", b, headers={"x-amz-acl": "private"})


def test_identity_policy_allows_and_denies() -> None:
    allow = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    deny = policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    same_account = Principal("owner", "owner", "AKDEV", "s", name="dev", member=True,
                        policies=(allow.replace('"Principal": "*", ', ""),))
    assert ask(same_account, "s3:GetObject", bucket())
    other_account = dataclasses.replace(same_account, id="alt", member=False)
    assert not ask(other_account, "s3:GetObject", bucket())  # its policy speaks for its own account only
    assert not ask(Principal("owner", "owner", "owner", "s", policies=(deny,)), "s3:GetObject", bucket())


def _ident(action: str, resource: str = "arn:aws:s3:::b/*", effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]})


@pytest.mark.parametrize(("user_policy", "key_policy", "action", "allowed"), [
    pytest.param(_ident("s3:*"), _ident("s3:GetObject"), "s3:GetObject", True, id="both-allow"),
    pytest.param(_ident("s3:*"), _ident("s3:GetObject"), "s3:PutObject", False, id="key-policy-silent"),
    pytest.param(_ident("s3:GetObject"), _ident("s3:*"), "s3:PutObject", False, id="never-widens"),
    pytest.param(_ident("s3:*"), _ident("s3:*", effect="Deny"), "s3:GetObject", False, id="key-policy-denies"),
    pytest.param(_ident("s3:*"), None, "s3:PutObject", True, id="plain-key"),
])
def test_service_account_policy_narrows_its_user(user_policy: str, key_policy: str | None, action: str,
                                                 allowed: bool) -> None:
    sa = Principal("owner", "owner", "AKSA", "s", name="dev", member=True, policies=(user_policy,),
                   key_policy=key_policy)
    assert ask(sa, action, bucket()) is allowed


def test_service_account_of_the_bucket_owner_is_narrowed_too() -> None:
    """Ownership allows the owner's plain key everything; its service account only what its policy says."""
    sa = Principal("owner", "owner", "AKSA", "s", name="owner", key_policy=_ident("s3:GetObject"))
    assert ask(sa, "s3:GetObject", bucket()) and not ask(sa, "s3:DeleteObject", bucket())
    assert ask(OWNER, "s3:DeleteObject", bucket())


@pytest.mark.parametrize(("condition", "ctx", "expected"), [
    pytest.param({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"ip": "10.1.2.3"}, True, id="ip-in"),
    pytest.param({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"ip": "192.168.1.1"}, False, id="ip-out"),
    pytest.param({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"ip": "192.168.1.1"}, True, id="not-ip"),
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, {"secure": True}, True, id="bool-tls"),
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, {"secure": False}, False, id="bool-plain"),
    pytest.param({"StringEquals": {"s3:x-amz-acl": "private"}}, {"headers": {"x-amz-acl": "private"}}, True,
                 id="string-equals"),
    pytest.param({"StringNotEquals": {"s3:x-amz-acl": "private"}}, {}, True, id="negated-absent-is-true"),
    pytest.param({"StringEquals": {"s3:x-amz-acl": "private"}}, {}, False, id="positive-absent-is-false"),
    pytest.param({"StringEqualsIgnoreCase": {"s3:x-amz-acl": "PRIVATE"}}, {"headers": {"x-amz-acl": "private"}},
                 True, id="ignore-case"),
    pytest.param({"StringNotEqualsIgnoreCase": {"s3:x-amz-acl": "PRIVATE"}}, {"headers": {"x-amz-acl": "private"}},
                 False, id="not-ignore-case"),
    pytest.param({"StringLike": {"aws:Referer": "http://www.example.com/*"}},
                 {"headers": {"referer": "http://www.example.com/a"}}, True, id="like"),
    pytest.param({"StringNotLike": {"aws:Referer": "http://www.example.com/*"}},
                 {"headers": {"referer": "http://evil.com/"}}, True, id="not-like"),
    pytest.param({"StringLikeIfExists": {"aws:Referer": "http://x/*"}}, {}, True, id="if-exists-absent"),
    pytest.param({"StringLikeIfExists": {"aws:Referer": "http://x/*"}}, {"headers": {"referer": "http://y/"}}, False,
                 id="if-exists-present"),
    pytest.param({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"query": {"max-keys": "5"}}, True, id="num-le"),
    pytest.param({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"query": {"max-keys": "5"}}, False, id="num-gt"),
    pytest.param({"NumericEquals": {"s3:max-keys": "5"}}, {"query": {"max-keys": "5"}}, True, id="num-eq"),
    pytest.param({"NumericNotEquals": {"s3:max-keys": "5"}}, {"query": {"max-keys": "5"}}, False, id="num-ne"),
    pytest.param({"NumericLessThan": {"s3:max-keys": "5"}}, {"query": {"max-keys": "4"}}, True, id="num-lt"),
    pytest.param({"NumericGreaterThanEquals": {"s3:max-keys": "5"}}, {"query": {"max-keys": "5"}}, True, id="num-ge"),
    pytest.param({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {}, True, id="date-gt"),
    pytest.param({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {}, False, id="date-lt"),
    pytest.param({"DateLessThanEquals": {"aws:EpochTime": "1"}}, {}, False, id="date-le-epoch"),
    pytest.param({"DateGreaterThanEquals": {"aws:EpochTime": "1"}}, {}, True, id="date-ge-epoch"),
    pytest.param({"DateEquals": {"aws:EpochTime": "1"}}, {}, False, id="date-eq"),
    pytest.param({"DateNotEquals": {"aws:EpochTime": "1"}}, {}, True, id="date-ne"),
    pytest.param({"Null": {"s3:x-amz-server-side-encryption": "true"}}, {}, True, id="null-absent"),
    pytest.param({"Null": {"s3:x-amz-server-side-encryption": "false"}},
                 {"headers": {"x-amz-server-side-encryption": "AES256"}}, True, id="null-present"),
    pytest.param({"StringEquals": {"s3:prefix": "a/"}}, {"query": {"prefix": "a/"}}, True, id="prefix"),
    pytest.param({"StringEquals": {"s3:delimiter": "/"}}, {"query": {"delimiter": "/"}}, True, id="delimiter"),
    pytest.param({"StringEquals": {"aws:UserAgent": "curl"}}, {"headers": {"user-agent": "curl"}}, True, id="ua"),
    pytest.param({"StringEquals": {"s3:ExistingObjectTag/security": "public"}}, {"tags": [("security", "public")]},
                 True, id="existing-tag"),
    pytest.param({"StringEquals": {"s3:RequestObjectTag/team": "a"}}, {"headers": {"x-amz-tagging": "team=a"}}, True,
                 id="request-tag"),
    pytest.param({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["x", "team"]}},
                 {"headers": {"x-amz-tagging": "team=a&z=1"}}, True, id="for-any-value"),
    pytest.param({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["x", "team"]}},
                 {"headers": {"x-amz-tagging": "team=a&z=1"}}, False, id="for-all-values"),
    pytest.param({"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["x"]}}, {}, True,
                 id="for-all-values-absent"),
    pytest.param({"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": ["x"]}}, {}, False,
                 id="for-any-value-absent"),
    pytest.param({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/al*"}}, {}, True, id="arn-like"),
    pytest.param({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::000000000000:user/alt"}}, {}, True,
                 id="arn-equals"),
    pytest.param({"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::000000000000:user/alt"}}, {}, False,
                 id="arn-not-equals"),
    pytest.param({"ArnNotLike": {"aws:PrincipalArn": "arn:*:bob"}}, {}, True, id="arn-not-like"),
    pytest.param({"BinaryEquals": {"s3:x-amz-acl": "cHJpdmF0ZQ=="}}, {"headers": {"x-amz-acl": "private"}}, True,
                 id="binary"),
    pytest.param({"StringEquals": {"s3:x-amz-acl": ["a", "private"]}}, {"headers": {"x-amz-acl": "private"}}, True,
                 id="values-or"),
    pytest.param({"StringEquals": {"s3:x-amz-acl": "private", "aws:UserAgent": "curl"}},
                 {"headers": {"x-amz-acl": "private"}}, False, id="keys-and"),
])
def test_condition_operators(condition: dict[str, Any], ctx: dict[str, Any], expected: bool) -> None:
    doc = parse(policy(stmt(Condition=condition)))
    keys = RequestKeys(ALT, ctx.get("headers", {}), ctx.get("query", {}), ctx.get("ip", ""), ctx.get("secure", False),
                       object_tags=lambda: ctx.get("tags", []))
    assert all(holds(c, keys) for c in doc.statements[0].conditions) is expected


@pytest.mark.parametrize("document", [
    pytest.param("not json", id="not-json"),
    pytest.param(policy(stmt(Condition={"StringEquals": {"s3:nosuchkey": "x"}})), id="unknown-condition-key"),
    pytest.param(policy(stmt(Condition={"StringSortOf": {"s3:prefix": "x"}})), id="unknown-operator"),
    pytest.param(policy({"Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}),
                 id="notprincipal-allow"),
    pytest.param(policy(stmt(effect="Maybe")), id="bad-effect"),
    pytest.param(policy(stmt(action="ec2:RunInstances")), id="foreign-action"),
    pytest.param(policy(stmt(resource="arn:aws:sqs:::q")), id="foreign-resource"),
    pytest.param(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
                 id="bucket-policy-without-principal"),
    pytest.param(json.dumps({"Version": "2099-01-01", "Statement": [stmt()]}), id="bad-version"),
])
def test_malformed_policies_refused(document: str) -> None:
    with pytest.raises(PolicyError):
        parse(document)


def test_unknown_key_reaching_evaluator_fails_closed() -> None:
    keys = RequestKeys(ALT, {}, {}, "", False)
    with pytest.raises(PolicyError):
        holds(Condition("StringEquals", "", False, "s3:bogus", ("x",)), keys)


def test_policy_public_detection() -> None:
    assert policy_is_public(parse(policy(stmt())))
    assert not policy_is_public(parse(policy(stmt(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/32"}}))))
    assert not policy_is_public(parse(policy(stmt(principal={"AWS": "arn:aws:iam::s3tenant1:root"}))))
    assert canned("authenticated-read", "o", "o").is_public
    assert Acl("o", (Grant("Group", AUTHENTICATED_USERS, "READ"),)).without_public().grants == ()


# --- accounts: an IAM user (member) carries its account's id but none of the account's rights -----------

MEMBER = Principal("owner", "owner", "AKMEMBER", "s", name="dev", member=True)
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                  "Resource": "*"}]})


@pytest.mark.parametrize(("user", "action", "config", "key", "allowed"), [
    pytest.param(MEMBER, "s3:GetObject", {}, "k", False, id="member-owns-nothing"),
    pytest.param(MEMBER, "s3:PutBucketPolicy", {}, "", False, id="member-not-bucket-owner"),
    pytest.param(dataclasses.replace(MEMBER, policies=(ALLOW_ALL,)), "s3:GetObject", {}, "k", True,
                 id="member-with-identity-policy"),
    pytest.param(MEMBER, "s3:GetObject",
                 {"policy": policy(stmt(principal={"AWS": "arn:aws:iam::000000000000:user/dev"}))},
                 "k", True, id="bucket-policy-naming-the-user"),
    pytest.param(MEMBER, "s3:GetObject", {"policy": policy(stmt(principal={"CanonicalUser": "owner"}))}, "k", False,
                 id="bucket-policy-naming-the-account-id"),
    pytest.param(MEMBER, "s3:ListBucket", {"acl": canned("authenticated-read", "owner", "owner").to_json()}, "",
                 True, id="group-grants-apply"),
    pytest.param(MEMBER, "s3:ListBucket", {}, "", False, id="account-grant-does-not"),
    pytest.param(OWNER, "s3:ListBucket", {}, "", True, id="the-account-itself"),
])
def test_decide_for_iam_users(user: Principal, action: str, config: dict[str, Any], key: str, allowed: bool) -> None:
    assert ask(user, action, bucket(**config), key) is allowed


@pytest.mark.parametrize(("user", "allowed"), [pytest.param(MEMBER, False, id="member-needs-a-policy"),
                                               pytest.param(ALT, True, id="account"),
                                               pytest.param(None, False, id="anonymous")])
@pytest.mark.parametrize("action", ["s3:CreateBucket", "s3:ListAllMyBuckets"])
def test_account_actions(user: Principal | None, allowed: bool, action: str) -> None:
    """Anonymous ListBuckets is allowed: the handler answers an empty list (s3-tests test_list_buckets_anonymous)."""
    target = Target.BUCKET if action == "s3:CreateBucket" else Target.SERVICE
    req = AccessRequest(action.lower(), target, user, None, "", RequestKeys(user, {}, {}, "", False), Facts())
    anonymous_listing = user is None and action == "s3:ListAllMyBuckets"
    assert decide(req).allowed is (allowed or anonymous_listing)


def test_identity_policy_does_not_reach_another_accounts_bucket() -> None:
    """The root's IAM user with s3:* gets nothing in alt's bucket unless that bucket grants it."""
    user = dataclasses.replace(MEMBER, policies=(ALLOW_ALL,))
    other = Bucket("b", "alt", 0, "us-east-1")
    assert not ask(user, "s3:GetObject", other, "k", facts=Facts(ObjectFacts("alt", private("alt"))))
    granted = Bucket("b", "alt", 0, "us-east-1", config={"policy": policy(
        stmt(principal={"AWS": "arn:aws:iam::000000000000:user/dev"}))})
    assert ask(user, "s3:GetObject", granted, "k", facts=Facts(ObjectFacts("alt", private("alt"))))
