"""Remembered authorization decisions: only where no condition key can be read, only until a commit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.fakes import chunks, make_engine

from rucket.core.model import Bucket, Principal
from rucket.engine.objects import PutSpec
from rucket.s3.iam.model import Decision
from rucket.s3.iam.public import POLICY_KEY
from rucket.s3.ops import Target
from rucket.s3.policy import Authorizer, Decisions

OWNER = Principal("owner", "owner", "owner", "s", name="owner")
RULED = Principal("ruled", "ruled", "ruled", "s", name="ruled", policies=('{"Version":"2012-10-17","Statement":[]}',))
PLAIN = Bucket("b", "owner", 0, "us-east-1")
WITH_POLICY = Bucket("b", "owner", 0, "us-east-1", config={POLICY_KEY: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                            "Resource": "arn:aws:s3:::b/*", "Condition": {
                                                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})})


class Gen:
    def __init__(self) -> None:
        self.value: int | None = 1

    def __call__(self) -> int | None:
        return self.value


@pytest.mark.parametrize(("user", "action", "bucket", "remembered"), [
    pytest.param(OWNER, "s3:getobject", PLAIN, True, id="plain-read"),
    pytest.param(None, "s3:getobject", PLAIN, True, id="anonymous-read"),
    pytest.param(RULED, "s3:getobject", PLAIN, False, id="identity-policy"),
    pytest.param(OWNER, "s3:getobject", WITH_POLICY, False, id="bucket-policy"),
    pytest.param(OWNER, "s3:putobject", PLAIN, False, id="acl-write-reads-headers"),
])
def test_which_decisions_are_remembered(user: Principal | None, action: str, bucket: Bucket, remembered: bool) -> None:
    assert (Decisions(Gen()).key(user, action, bucket, "k", None) is not None) == remembered


def test_a_commit_or_disabled_caching_forgets() -> None:
    gen = Gen()
    memo = Decisions(gen)
    key = memo.key(OWNER, "s3:getobject", PLAIN, "k", None)
    assert key is not None
    memo.put(key, 1, Decision(True, "x"))
    assert memo.get(key) == Decision(True, "x")
    gen.value = 2  # a commit
    assert memo.get(key) is None
    memo.put(key, 1, Decision(True, "stale"))  # decided before the commit: not kept
    assert memo.get(key) is None
    gen.value = None  # several worker processes
    memo.put(key, None, Decision(True, "x"))
    assert memo.get(key) is None


def test_authorizer_follows_a_changed_owner(tmp_path: Path) -> None:
    """Through the real store: a second writer takes the key over; the memo must not keep answering yes."""
    engine = make_engine(tmp_path)
    alt = Principal("alt", "alt", "alt", "s", name="alt")

    async def scenario() -> None:
        await engine.buckets.create("bkt", "alt")
        authz = Authorizer(engine, alt, {}, {}, decisions=Decisions(engine.store.index.generation))
        bucket = engine.store.config.get_bucket("bkt")
        await engine.objects.put("bkt", "k", chunks(b"1"), PutSpec("alt"))
        assert authz.check("s3:GetObject", Target.OBJECT, bucket, "k")
        assert authz.check("s3:GetObject", Target.OBJECT, bucket, "k")  # remembered
        await engine.objects.put("bkt", "k", chunks(b"2"), PutSpec("someone-else"))
        assert not authz.check("s3:GetObject", Target.OBJECT, bucket, "k")  # the object owner changed

    asyncio.run(scenario())
    engine.close()
