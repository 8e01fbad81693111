"""One `Principal` type (issue 14): the IAM store returns it, authorization decides on it and
the console signs as it. Three look-alikes (engine Identity, s3 User, console Credential) had
to be converted into each other on every request."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "rucket"


def test_only_principal_carries_an_access_key_with_its_secret() -> None:
    """A class with both `access_key` and `secret` fields is a principal; only core.model has one
    (s3/auth/client.AccessKey is the bare key pair `rucket admin` and bench sign with)."""
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                fields = {s.target.id for s in node.body
                          if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                if {"access_key", "secret"} <= fields:
                    found.append(f"{path.relative_to(SRC)}:{node.name}")
    assert sorted(found) == ["core/model.py:Principal", "s3/auth/client.py:AccessKey"]


def test_principal_owner_and_arn() -> None:
    from rucket.core.model import Owner, Principal

    p = Principal("cid", "Ann", "AK", "sk", name="ann")
    assert p.owner == Owner("cid", "Ann") and p.arn == "arn:aws:iam::000000000000:user/ann"
    assert Principal("cid", "Ann", "AK", "sk").arn.endswith("user/AK")
