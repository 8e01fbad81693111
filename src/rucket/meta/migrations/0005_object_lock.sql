-- Object Lock state set after the write (PutObjectRetention, PutObjectLegalHold): a separate
-- record per version, like tags and ACLs, so the version row stays immutable. The state given
-- at write time (x-amz-object-lock-* headers or the bucket's default retention) lives in the
-- version's attrs (extra "lock"); a row here replaces it entirely.
CREATE TABLE object_locks (
    vid             INTEGER PRIMARY KEY,
    mode            TEXT NOT NULL DEFAULT '',       -- '', 'GOVERNANCE' or 'COMPLIANCE'
    retain_until_ms INTEGER NOT NULL DEFAULT 0,
    legal_hold      INTEGER                         -- NULL: never set; 0 OFF; 1 ON
);

-- Only a version whose lock allows it is ever deleted (engine/lock.py), and its record goes with it.
CREATE TRIGGER versions_drop_lock AFTER DELETE ON versions
BEGIN
    DELETE FROM object_locks WHERE vid = OLD.id;
END;
