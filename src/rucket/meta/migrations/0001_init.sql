-- Buckets: configuration sub-resources live in `config` (JSON), versioning is a column
-- because every write path reads it.
CREATE TABLE buckets (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    region      TEXT NOT NULL,
    versioning  TEXT NOT NULL DEFAULT '',
    object_lock INTEGER NOT NULL DEFAULT 0,
    config      TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;

-- Every version of every key, immutable once written. `id` orders versions of a key.
CREATE TABLE versions (
    id            INTEGER PRIMARY KEY,
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    version_id    TEXT NOT NULL,
    delete_marker INTEGER NOT NULL DEFAULT 0,
    blob_id       TEXT,
    size          INTEGER NOT NULL DEFAULT 0,
    etag          TEXT NOT NULL DEFAULT '',
    mtime_ms      INTEGER NOT NULL,
    hlc           INTEGER NOT NULL,
    owner         TEXT NOT NULL,
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    attrs         TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX versions_by_key ON versions (bucket, key, id);
CREATE UNIQUE INDEX versions_by_vid ON versions (bucket, key, version_id);
CREATE INDEX versions_by_blob ON versions (blob_id);

-- The current version of each key, denormalised so a listing page is one index range scan.
CREATE TABLE latest (
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    vid           INTEGER NOT NULL,
    live          INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    mtime_ms      INTEGER NOT NULL,
    storage_class TEXT NOT NULL,
    owner         TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- Bytes of small objects, kept apart from the version rows (metadata and data stay separate).
CREATE TABLE inline_data (
    vid  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);

-- The event log: every mutation, in the same transaction as the mutation itself.
CREATE TABLE events (
    lsn        INTEGER PRIMARY KEY AUTOINCREMENT,
    hlc        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    key        TEXT,
    version_id TEXT,
    payload    TEXT NOT NULL,
    crc32      INTEGER NOT NULL
);
