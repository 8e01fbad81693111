"""SQL of the account model: moving what IAM users own to their account's canonical id.

Before accounts, every user was a principal of its own: buckets and objects an API-created user
made were owned by its own canonical id, so the root got 403 on them and deleting the user left
them orphaned. Now IAM users act inside the root's account and what they create belongs to the
account; `tx_adopt` rewrites older data (buckets, versions, latest rows, uploads, and the owner and
grantee ids inside bucket and object ACLs) once at start-up, before anything is served.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rucket.meta.tx import Tx


def rewrite(value: Any, old: frozenset[str], new: str) -> Any:
    """ACL-shaped dicts ({"owner": id, "grants": [[kind, grantee, permission], ...]}) anywhere in a document."""
    if isinstance(value, list):
        return [rewrite(v, old, new) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: rewrite(v, old, new) for k, v in value.items()}
    if isinstance(out.get("owner"), str) and isinstance(out.get("grants"), list):
        out["owner"] = new if out["owner"] in old else out["owner"]
        out["grants"] = [[g[0], new if g[1] in old else g[1], *g[2:]] if isinstance(g, list) and len(g) >= 2 else g
                         for g in out["grants"]]
    return out


def _rewrite_text(text: str, old: frozenset[str], new: str) -> str:
    return json.dumps(rewrite(json.loads(text), old, new))


def tx_adopt(tx: Tx, members: Sequence[str], account: str) -> int:
    """Give everything owned by the `members` canonical ids to `account`; returns the rows changed."""
    old = frozenset(m for m in members if m and m != account)
    if not old:
        return 0
    marks = ",".join("?" * len(old))
    ids = tuple(old)
    changed = 0
    for name, config in tx.c.execute(f"SELECT name, config FROM buckets WHERE owner IN ({marks})", ids).fetchall():
        tx.c.execute("UPDATE buckets SET owner=?, config=? WHERE name=?", (account, _rewrite_text(config, old, account),
                                                                          name))
        changed += 1
    tx.buckets_changed = changed > 0 or tx.buckets_changed
    for vid, attrs in tx.c.execute(f"SELECT id, attrs FROM versions WHERE owner IN ({marks})", ids).fetchall():
        tx.c.execute("UPDATE versions SET owner=?, attrs=? WHERE id=?", (account, _rewrite_text(attrs, old, account),
                                                                        vid))
        changed += 1
    for vid, acl in tx.c.execute("SELECT vid, acl FROM object_acls").fetchall():
        if any(m in acl for m in old):
            tx.c.execute("UPDATE object_acls SET acl=? WHERE vid=?", (_rewrite_text(acl, old, account), vid))
    for table in ("latest", "uploads"):
        changed += tx.c.execute(f"UPDATE {table} SET owner=? WHERE owner IN ({marks})", (account, *ids)).rowcount
    return changed
