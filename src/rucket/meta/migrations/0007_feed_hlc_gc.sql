-- Issue 14: a replication-grade event feed, versions ordered by HLC, deferred blob GC.

-- Each event carries the full record of its mutation (JSON row images, see meta/records.py),
-- the placement group of its key and the region that wrote it. Rows of older releases keep
-- record '' (their summary payload stays) and the CRC they were written with.
ALTER TABLE events ADD COLUMN pg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN record TEXT NOT NULL DEFAULT '';

-- Named feed consumers (replicators, notification senders): the last LSN each has processed and
-- when it was last heard from. Events stay while a consumer seen within the retention needs them.
CREATE TABLE event_consumers (
    name          TEXT PRIMARY KEY,
    lsn           INTEGER NOT NULL,
    seen_ms       INTEGER NOT NULL,
    registered_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- "Latest" is the highest (HLC, version id) of a key, which means the same on every node; the
-- local row id does not. A key's HLCs must strictly increase for that: releases before this one
-- took the HLC per worker process and never seeded it, so two versions of a key could share one
-- or go backwards. Rewrite each key's HLCs to the smallest strictly increasing sequence that is
-- >= the stored values, in row-id order (the order those releases meant):
-- h'(i) = max over j <= i of (h(j) + i - j) = i + max(h(j) - j).
UPDATE versions SET hlc = fixed.h
FROM (SELECT id, rn + max(hlc - rn) OVER (PARTITION BY bucket, key ORDER BY id) AS h
      FROM (SELECT id, bucket, key, hlc,
                   row_number() OVER (PARTITION BY bucket, key ORDER BY id) AS rn FROM versions)) AS fixed
WHERE versions.id = fixed.id AND versions.hlc <> fixed.h;

-- ListObjectVersions walks keys ascending and, within a key, newest (HLC, version id) first.
DROP INDEX IF EXISTS versions_by_key_newest;
CREATE INDEX versions_by_key_hlc ON versions (bucket, key, hlc DESC, version_id DESC);

-- Blobs a committed mutation stopped referencing, freed by the GC worker once `due_ms` has passed
-- (engine/gc.py): a GET that already read the old version keeps its bytes until then. Written in
-- the same transaction as the delete, so start-up recovery reads this table instead of walking
-- every blob file.
CREATE TABLE gc (
    blob_id TEXT PRIMARY KEY,
    due_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX gc_by_due ON gc (due_ms);
