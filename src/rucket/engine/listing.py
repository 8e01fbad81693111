"""ListObjects (v1 and v2) over the `latest` index: prefix, delimiter, markers, max-keys.

A common prefix is skipped with one index seek to its successor rather than by walking
every key under it, so a page costs O(page) even when a "folder" holds a million keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rucket.core.model import ListEntry, ListPage
from rucket.meta.base import ObjectIndex

BATCH = 1000


def successor(prefix: str) -> str | None:
    """Smallest string greater than every string starting with `prefix` (None: no upper bound)."""
    for i in range(len(prefix) - 1, -1, -1):
        if ord(prefix[i]) < 0x10FFFF:
            return prefix[:i] + chr(ord(prefix[i]) + 1)
    return None


def after(key: str) -> str:
    """Smallest string greater than `key` in byte order."""
    return key + "\x00"


@dataclass(frozen=True)
class ListQuery:
    bucket: str
    prefix: str = ""
    delimiter: str = ""
    start: str = ""  # inclusive lower bound (from a marker, token or start-after)
    max_keys: int = 1000


def resume_point(prefix: str, delimiter: str, marker: str) -> str:
    """Where a listing resumes after `marker`; a marker that is a common prefix skips it whole."""
    if not marker:
        return ""
    if delimiter and marker.startswith(prefix) and marker.endswith(delimiter) \
            and delimiter in marker[len(prefix):]:
        return successor(marker) or after(marker)
    return after(marker)


def _walk(meta: ObjectIndex, q: ListQuery) -> Iterator[ListEntry | str]:
    lower = max(q.start, q.prefix)
    below = successor(q.prefix) if q.prefix else None
    while True:
        rows = meta.list_latest(q.bucket, lower, below, BATCH)
        if not rows:
            return
        for row in rows:
            cut = row.key.find(q.delimiter, len(q.prefix)) if q.delimiter else -1
            if cut < 0:
                yield row
                lower = after(row.key)
                continue
            common = row.key[: cut + len(q.delimiter)]
            yield common
            nxt = successor(common)
            if nxt is None:
                return
            lower = nxt
            break  # re-seek past everything under the common prefix
        else:
            if len(rows) < BATCH:
                return


def list_objects(meta: ObjectIndex, q: ListQuery) -> ListPage:
    entries: list[ListEntry] = []
    prefixes: list[str] = []
    last = ""
    if q.max_keys <= 0:
        return ListPage([], [], False)
    for item in _walk(meta, q):
        if len(entries) + len(prefixes) == q.max_keys:
            return ListPage(entries, prefixes, True, last)
        if isinstance(item, str):
            prefixes.append(item)
            last = item
        else:
            entries.append(item)
            last = item.key
    return ListPage(entries, prefixes, False, last)
