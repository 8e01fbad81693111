"""Reading a multipart version: a byte range streamed across its ordered part blobs.

Kept apart from engine/multipart.py (which builds such versions) so that engine/objects.py
can read them without an import cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from rucket.core.model import ObjectVersion
from rucket.core.multipart import Part
from rucket.engine.store import Store


async def read_parts(store: Store, v: ObjectVersion, start: int, end: int) -> AsyncIterator[bytes]:
    """Bytes [start, end) of a multipart version; only the parts that overlap are opened."""
    if start >= end:
        return
    for part in store.index.version_parts(v.row_id, start, end):
        lo, hi = max(start, part.offset) - part.offset, min(end, part.offset + part.size) - part.offset
        if part.blob_id is None or lo >= hi:
            continue
        async for chunk in store.blobs.read(part.blob_id, lo, hi):
            yield chunk


def part_span(store: Store, v: ObjectVersion, idx: int) -> tuple[Part, int] | None:
    """The `idx`-th part (1-based, as GET ?partNumber= counts) and the part count; None if absent."""
    part = store.index.version_part(v.row_id, idx)
    return None if part is None else (part, store.index.version_parts_count(v.row_id))
