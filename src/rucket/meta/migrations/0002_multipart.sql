-- Multipart uploads in progress. `attrs` holds what the completed version will carry
-- (content headers, user metadata, checksum algorithm/type, tags, ACL).
CREATE TABLE uploads (
    upload_id     TEXT PRIMARY KEY,
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    initiated_ms  INTEGER NOT NULL,
    owner         TEXT NOT NULL,
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    attrs         TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
-- ListMultipartUploads order: key, then initiation time.
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated_ms, upload_id);

-- Parts of uploads in progress: each an immutable, fsync'd blob (NULL for an empty part).
CREATE TABLE upload_parts (
    upload_id   TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob_id     TEXT,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    mtime_ms    INTEGER NOT NULL,
    checksums   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX upload_parts_by_blob ON upload_parts (blob_id);

-- The bytes of a completed multipart version (versions.blob_id = 'parts'): its part blobs
-- in order. `idx` (1..N) is what GET ?partNumber= addresses; `offset` locates a range.
CREATE TABLE version_parts (
    vid         INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    part_number INTEGER NOT NULL,
    blob_id     TEXT,
    "offset"    INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    checksums   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (vid, idx)
) WITHOUT ROWID;
CREATE INDEX version_parts_by_blob ON version_parts (blob_id);

-- A version's parts go with it, whichever code path removes the version (the caller asks
-- Tx.delete_version which blobs became unreferenced).
CREATE TRIGGER versions_drop_parts AFTER DELETE ON versions
BEGIN
    DELETE FROM version_parts WHERE vid = OLD.id;
END;

-- Completed uploads, kept for a day so a retried CompleteMultipartUpload gets the same answer.
CREATE TABLE completed_uploads (
    upload_id    TEXT PRIMARY KEY,
    bucket       TEXT NOT NULL,
    key          TEXT NOT NULL,
    version_id   TEXT NOT NULL,
    etag         TEXT NOT NULL,
    checksums    TEXT NOT NULL DEFAULT '{}',
    completed_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed_ms);
