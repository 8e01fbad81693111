"""The policy simulator's resource parsing (its answers are checked against real requests in
tests/integration/test_service_accounts.py)."""

from __future__ import annotations

import pytest

from rucket.s3.ops import Target
from rucket.s3.simulate import SimulationError, parse_resource


def test_simulator_resources() -> None:
    assert parse_resource("*") == (Target.SERVICE, "", "")
    assert parse_resource("arn:aws:s3:::b") == (Target.BUCKET, "b", "")
    assert parse_resource("arn:aws:s3:::b/dir/k") == (Target.OBJECT, "b", "dir/k")
    for bad in ("arn:aws:s3:::", "arn:aws:s3:::b/", "b/k", "arn:aws:iam::1:user/x"):
        with pytest.raises(SimulationError):
            parse_resource(bad)
